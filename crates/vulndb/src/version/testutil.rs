//! Helpers shared by the per-scheme unit and property tests.

use std::cmp::Ordering;

use vedette_model::package::VersionScheme;

use super::{Version, compare};

/// Asserts that `versions` are given in strictly increasing order, checking
/// every pair (not only neighbours).
pub fn assert_increasing(scheme: VersionScheme, versions: &[&str]) {
    for (i, a) in versions.iter().enumerate() {
        for (j, b) in versions.iter().enumerate() {
            let got = compare(scheme, a, b).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got, i.cmp(&j), "{scheme:?}: {a} vs {b}");
        }
    }
}

/// Asserts that every version of `versions` compares equal to the others.
pub fn assert_all_equal(scheme: VersionScheme, versions: &[&str]) {
    for a in versions {
        for b in versions {
            let got = compare(scheme, a, b).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got, Ordering::Equal, "{scheme:?}: {a} vs {b}");
        }
    }
}

/// Asserts that each string fails to parse.
pub fn assert_invalid(scheme: VersionScheme, versions: &[&str]) {
    for v in versions {
        assert!(
            Version::parse(scheme, v).is_err(),
            "{scheme:?}: {v:?} should be invalid"
        );
    }
}

/// Checks the total-order laws on three parsed versions: reflexive,
/// antisymmetric and transitive. Returns a description of the first broken law.
pub fn order_laws(scheme: VersionScheme, a: &str, b: &str, c: &str) -> Result<(), String> {
    let (Ok(va), Ok(vb), Ok(vc)) = (
        Version::parse(scheme, a),
        Version::parse(scheme, b),
        Version::parse(scheme, c),
    ) else {
        return Err(format!("generated version failed to parse: {a} {b} {c}"));
    };
    let cmp = |x: &Version, y: &Version| x.cmp_same(y).unwrap_or(Ordering::Equal);
    if cmp(&va, &va) != Ordering::Equal {
        return Err(format!("not reflexive: {a}"));
    }
    if cmp(&va, &vb) != cmp(&vb, &va).reverse() {
        return Err(format!("not antisymmetric: {a} {b}"));
    }
    let (ab, bc, ac) = (cmp(&va, &vb), cmp(&vb, &vc), cmp(&va, &vc));
    if ab != Ordering::Greater && bc != Ordering::Greater && ab == bc && ac != ab {
        return Err(format!("not transitive: {a} {b} {c}"));
    }
    if ab != Ordering::Greater && bc != Ordering::Greater && ac == Ordering::Greater {
        return Err(format!("not transitive: {a} <= {b} <= {c} but {a} > {c}"));
    }
    Ok(())
}

/// Checks that displaying a parsed version and parsing it again gives an
/// equal version.
pub fn display_round_trip(scheme: VersionScheme, s: &str) -> Result<(), String> {
    let v = Version::parse(scheme, s).map_err(|e| e.to_string())?;
    let shown = v.to_string();
    let again = Version::parse(scheme, &shown).map_err(|e| e.to_string())?;
    if v.cmp_same(&again) != Some(Ordering::Equal) {
        return Err(format!(
            "{s} displayed as {shown} which compares differently"
        ));
    }
    Ok(())
}
