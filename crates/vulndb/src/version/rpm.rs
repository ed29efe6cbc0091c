//! RPM versions (`[epoch:]version[-release]`), ordered like `rpmvercmp`.
//!
//! Hand-written because the algorithm is short and well specified by rpm's
//! `rpmvercmp.c`: strings are split into runs of digits and runs of letters
//! (other characters only separate); digit runs compare numerically and
//! beat letter runs; `~` sorts before everything (pre-releases) and `^`
//! sorts after the end of the string but before any further run
//! (post-release snapshots). The epoch (default 0) is compared first, then
//! the version, then the release.
//!
//! rpm itself ignores the release when one side has none, which is not a
//! total order; here a missing release is the empty string, which sorts
//! before any release (as the reference `osv` library does).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed RPM epoch-version-release.
#[derive(Debug, Clone)]
pub struct RpmVersion {
    epoch: u64,
    version: String,
    release: Option<String>,
}

impl RpmVersion {
    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// The version part.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The release part, if any.
    pub fn release(&self) -> Option<&str> {
        self.release.as_deref()
    }
}

impl FromStr for RpmVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(VersionScheme::Rpm, s, reason);
        super::check_input(VersionScheme::Rpm, s)?;
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("whitespace in version"));
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                let epoch = e.parse().map_err(|_| err("epoch out of range"))?;
                (epoch, rest)
            }
            Some(_) => return Err(err("epoch is not a number")),
            None => (0, s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, Some(r.to_string())),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err(err("empty version"));
        }
        Ok(RpmVersion {
            epoch,
            version: version.to_string(),
            release,
        })
    }
}

impl fmt::Display for RpmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.epoch != 0 {
            write!(f, "{}:", self.epoch)?;
        }
        f.write_str(&self.version)?;
        if let Some(r) = &self.release {
            write!(f, "-{r}")?;
        }
        Ok(())
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| {
                rpmvercmp(
                    self.release.as_deref().unwrap_or(""),
                    other.release.as_deref().unwrap_or(""),
                )
            })
    }
}

/// rpm's segment comparison of two version or release strings.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    let is_sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while a.first().is_some_and(|&c| is_sep(c)) {
            a = &a[1..];
        }
        while b.first().is_some_and(|&c| is_sep(c)) {
            b = &b[1..];
        }
        let (ca, cb) = (a.first().copied(), b.first().copied());
        // `~` sorts before everything, even the end of the string.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            a = &a[1..];
            b = &b[1..];
            continue;
        }
        // `^` sorts after the end of the string but before anything else.
        if ca == Some(b'^') || cb == Some(b'^') {
            match (ca, cb) {
                (None, _) => return Ordering::Less,
                (_, None) => return Ordering::Greater,
                (Some(x), _) if x != b'^' => return Ordering::Greater,
                (_, Some(y)) if y != b'^' => return Ordering::Less,
                _ => {}
            }
            a = &a[1..];
            b = &b[1..];
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = ca.is_ascii_digit();
        let run = |s: &[u8]| -> usize {
            s.iter()
                .take_while(|c| {
                    if numeric {
                        c.is_ascii_digit()
                    } else {
                        c.is_ascii_alphabetic()
                    }
                })
                .count()
        };
        let (la, lb) = (run(a), run(b));
        let (seg_a, seg_b) = (&a[..la], &b[..lb]);
        a = &a[la..];
        b = &b[lb..];
        // Different kinds of segment: numbers are newer than letters.
        if lb == 0 {
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let ord = if numeric {
            let strip = |s: &'_ [u8]| -> usize { s.iter().take_while(|&&c| c == b'0').count() };
            let (na, nb) = (&seg_a[strip(seg_a)..], &seg_b[strip(seg_b)..]);
            na.len().cmp(&nb.len()).then_with(|| na.cmp(nb))
        } else {
            seg_a.cmp(seg_b)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    match (a.is_empty(), b.is_empty()) {
        (true, true) => Ordering::Equal,
        (false, _) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Rpm;

    #[test]
    fn rpmvercmp_cases_from_rpm_test_suite() {
        // Pairs from rpm's documented behaviour (tests/rpmvercmp.at).
        let cases = [
            ("1.0", "1.0", 0),
            ("1.0", "2.0", -1),
            ("2.0.1", "2.0.1a", -1),
            ("5.5p1", "5.5p2", -1),
            ("5.5p10", "5.5p1", 1),
            ("10xyz", "10.1xyz", -1),
            ("xyz10", "xyz10.1", -1),
            ("xyz.4", "8", -1),
            ("8", "xyz.4", 1),
            ("5.6.7", "5.6-7", 0),
            ("1.0010", "1.9", 1),
            ("1.05", "1.5", 0),
            ("1.0", "1", 1),
            ("2.0", "2_0", 0),
            ("2.0", "2a", 1),
            ("a", "a", 0),
            ("a+", "a_", 0),
            ("+a", "_a", 0),
            ("1.0~rc1", "1.0", -1),
            ("1.0~rc1", "1.0~rc2", -1),
            ("1.0~rc1~git123", "1.0~rc1", -1),
            ("1.0^", "1.0", 1),
            ("1.0^git1", "1.0", 1),
            ("1.0^git1", "1.01", -1),
            ("1.0^20160101", "1.0.1", -1),
            ("1.0^20160102", "1.0^20160101^git1", 1),
            ("1.0~rc1^git1", "1.0~rc1", 1),
            ("1.0^git1~pre", "1.0^git1", -1),
        ];
        for (a, b, want) in cases {
            assert_eq!(rpmvercmp(a, b), want.cmp(&0), "{a} vs {b}");
        }
    }

    #[test]
    fn evr() {
        assert_increasing(
            Rpm,
            &[
                "2.14.1-1.el8",
                "2.14.1-2.el8",
                "2.14.1-2.el8_9.1",
                "2.17.0-1.el8",
                "1:1.0-1",
            ],
        );
        assert_all_equal(Rpm, &["0:1.2-3", "1.2-3"]);
        // A missing release sorts before any release (total order).
        assert_increasing(Rpm, &["1.2", "1.2-1"]);
        assert_invalid(Rpm, &["", "x:1.0", "1.0 beta"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "([0-9]:)?[0-9]{1,3}([._~^]?[0-9a-z]{1,3}){0,3}(-[0-9a-z._~^]{1,5})?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Rpm, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Rpm, &a), Ok(()));
        }
    }
}
