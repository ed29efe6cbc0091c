//! PHP Composer package versions.
//!
//! Hand-written port of two documented PHP behaviours (there is no Rust
//! crate for either):
//! 1. Composer's `VersionParser::normalize`: strip a leading `v` and build
//!    metadata (`+…`), pad to four numbers (`1.2` → `1.2.0.0`), or keep a
//!    date version (`20100102`, `2010.01.02`); recognise a stability suffix
//!    (`-alpha`/`a`, `-beta`/`b`, `-RC`, `-patch`/`pl`/`p`, `-stable`,
//!    each with optional numbers, then optional `-dev`) and write it as
//!    `-alpha2`, `-RC1`, `-patch1`…; `-stable` disappears.
//! 2. PHP's `version_compare` on the normalised strings: parts are split at
//!    `.`, `-`, `_`, `+` and at digit/letter transitions; numbers compare
//!    numerically; words rank `dev < alpha = a < beta = b < RC = rc <
//!    (number) < pl = p` (so `patch` ranks as `p`), unknown words first; when
//!    one side runs out, a remaining number makes it newer and a remaining
//!    word is ranked against a number.
//!
//! Branch names (`dev-master`, `1.x-dev`) are not versions and are rejected.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    original: String,
    normalized: String,
    /// `normalized` split for `version_compare`.
    parts: Vec<Part>,
}

impl ComposerVersion {
    /// The version as Composer normalises it, e.g. `1.2.0.0-beta2`.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    /// Digits without leading zeros.
    Number(String),
    /// The rank of a word in PHP's special forms.
    Word(i8),
}

/// Rank of the number pseudo-word `#` among PHP's special forms.
const NUMBER_RANK: i8 = 4;

/// PHP `compare_special_version_forms`: the first form the word starts with.
fn word_rank(word: &str) -> i8 {
    const FORMS: [(&str, i8); 10] = [
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("RC", 3),
        ("rc", 3),
        ("#", NUMBER_RANK),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(form, _)| word.starts_with(form))
        .map_or(-1, |(_, rank)| *rank)
}

/// PHP `php_canonicalize_version` followed by the split at dots.
fn php_parts(version: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, parts: &mut Vec<Part>| {
        if current.is_empty() {
            return;
        }
        let part = if current.as_bytes()[0].is_ascii_digit() {
            Part::Number(current.trim_start_matches('0').to_string())
        } else {
            Part::Word(word_rank(current))
        };
        parts.push(part);
        current.clear();
    };
    for c in version.chars() {
        if !c.is_ascii_alphanumeric() {
            flush(&mut current, &mut parts);
            continue;
        }
        let transition = current
            .chars()
            .last()
            .is_some_and(|last| last.is_ascii_digit() != c.is_ascii_digit());
        if transition {
            flush(&mut current, &mut parts);
        }
        current.push(c);
    }
    flush(&mut current, &mut parts);
    parts
}

fn cmp_parts(a: &Part, b: &Part) -> Ordering {
    match (a, b) {
        (Part::Number(x), Part::Number(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Part::Number(_), Part::Word(w)) => NUMBER_RANK.cmp(w),
        (Part::Word(w), Part::Number(_)) => w.cmp(&NUMBER_RANK),
        (Part::Word(x), Part::Word(y)) => x.cmp(y),
    }
}

/// PHP `version_compare` on split parts.
fn version_compare(a: &[Part], b: &[Part]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = cmp_parts(x, y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    // One side has parts left: a number makes it newer, a word is ranked
    // against a number.
    let rest = |parts: &[Part]| -> Ordering {
        for part in parts {
            let ord = match part {
                Part::Number(_) => Ordering::Greater,
                Part::Word(w) => w.cmp(&NUMBER_RANK),
            };
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    };
    match a.len().cmp(&b.len()) {
        Ordering::Greater => rest(&a[b.len()..]),
        Ordering::Less => rest(&b[a.len()..]).reverse(),
        Ordering::Equal => Ordering::Equal,
    }
}

/// Splits a leading run of ASCII digits.
fn digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

/// Parses the stability modifier (everything after the numbers) into its
/// normalised form, e.g. `-beta.2` → `-beta2`, `RC1-dev` → `-RC1-dev`.
fn normalize_modifier(modifier: &str) -> Option<String> {
    let lower = modifier.to_ascii_lowercase();
    let mut rest = lower.as_str();
    rest = rest.strip_prefix(['.', '_', '-']).unwrap_or(rest);
    let mut out = String::new();
    const NAMES: [(&str, &str); 9] = [
        ("stable", ""),
        ("alpha", "alpha"),
        ("beta", "beta"),
        ("patch", "patch"),
        ("rc", "RC"),
        ("pl", "patch"),
        ("a", "alpha"),
        ("b", "beta"),
        ("p", "patch"),
    ];
    // A lone `dev` is a modifier, not a stability name.
    let is_dev = |r: &str| matches!(r.strip_prefix(['.', '-']).unwrap_or(r), "dev");
    if !rest.is_empty() && !is_dev(rest) {
        let (name, expanded) = NAMES.iter().find(|(n, _)| rest.starts_with(n))?;
        rest = &rest[name.len()..];
        // Numbers after the name, each optionally after `.` or `-`.
        let mut numbers = String::new();
        loop {
            let candidate = rest.strip_prefix(['.', '-']).unwrap_or(rest);
            let (n, after) = digits(candidate);
            if n.is_empty() {
                break;
            }
            if !numbers.is_empty() {
                numbers.push('.');
            }
            numbers.push_str(n);
            rest = after;
        }
        if !expanded.is_empty() {
            out.push('-');
            out.push_str(expanded);
            out.push_str(&numbers);
        }
    }
    if is_dev(rest) {
        out.push_str("-dev");
        rest = "";
    }
    rest.is_empty().then_some(out)
}

/// Composer's `VersionParser::normalize` for release and date versions.
fn normalize(version: &str) -> Option<String> {
    let mut v = version.trim();
    // Stability flags (`1.0@dev`) and build metadata (`1.0+build`).
    if let Some((head, _)) = v.split_once('@') {
        v = head;
    }
    if let Some((head, _)) = v.split_once('+') {
        v = head;
    }
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let (first, mut rest) = digits(v);
    if first.is_empty() {
        return None;
    }
    // Date versions: a 4+ digit year-like first number keeps its shape.
    if first.len() >= 4 && first.len() != 5 || first.len() > 5 {
        let mut numbers = vec![first.to_string()];
        loop {
            let candidate = rest.strip_prefix(['.', ':', '-']).unwrap_or(rest);
            let (n, after) = digits(candidate);
            if n.is_empty() || numbers.len() >= 9 {
                break;
            }
            numbers.push(n.to_string());
            rest = after;
        }
        let modifier = normalize_modifier(rest)?;
        return Some(format!("{}{modifier}", numbers.join(".")));
    }
    let mut numbers = vec![first.to_string()];
    while numbers.len() < 4 {
        let Some(candidate) = rest.strip_prefix('.') else {
            break;
        };
        let (n, after) = digits(candidate);
        if n.is_empty() {
            break;
        }
        numbers.push(n.to_string());
        rest = after;
    }
    while numbers.len() < 4 {
        numbers.push("0".to_string());
    }
    let modifier = normalize_modifier(rest)?;
    Some(format!("{}{modifier}", numbers.join(".")))
}

impl FromStr for ComposerVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::check_input(VersionScheme::Composer, s)?;
        let normalized = normalize(s).ok_or_else(|| {
            VersionError::new(VersionScheme::Composer, s, "not a Composer release version")
        })?;
        let parts = php_parts(&normalized);
        Ok(ComposerVersion {
            original: s.to_string(),
            normalized,
            parts,
        })
    }
}

impl fmt::Display for ComposerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        version_compare(&self.parts, &other.parts)
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::ComposerVersion;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Composer;

    fn normalized(s: &str) -> String {
        s.parse::<ComposerVersion>()
            .map(|v| v.normalized().to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn normalisation_matches_composer() {
        // Cases from Composer's VersionParserTest::successfulNormalizedVersions.
        let cases = [
            ("1.0.0", "1.0.0.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0-rc1", "1.0.0.0-RC1"),
            ("1.0.0-pl3", "1.0.0.0-patch3"),
            ("1", "1.0.0.0"),
            ("v1.0.0", "1.0.0.0"),
            ("00.01.03.04", "00.01.03.04"),
            ("000.001.003.004", "000.001.003.004"),
            ("0", "0.0.0.0"),
            ("1.0.0-alpha", "1.0.0.0-alpha"),
            ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
            ("2010.01.02", "2010.01.02"),
            ("2010-01-02", "2010.01.02"),
            ("20100102", "20100102"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0-patch1", "1.0.0.0-patch1"),
            ("1.0.0-b2", "1.0.0.0-beta2"),
            ("1.0-dev", "1.0.0.0-dev"),
        ];
        for (input, want) in cases {
            assert_eq!(normalized(input), want, "{input}");
        }
    }

    #[test]
    fn ordering() {
        assert_increasing(
            Composer,
            &[
                "1.0.0-dev",
                "1.0.0-alpha1",
                "1.0.0-beta1",
                "1.0.0-beta2",
                "1.0.0-RC1",
                "1.0.0",
                "1.0.0-patch1",
                "1.0.1",
                "1.1",
                "v2.0.0",
                "10.0.0",
            ],
        );
        assert_all_equal(
            Composer,
            &["1.0", "1.0.0", "v1.0.0.0", "1.0.0-stable", "1.0.0+build"],
        );
        // Drupal core versions from the advisories.
        assert_increasing(
            Composer,
            &["8.9.20", "9.0.0-beta1", "9.0.0", "9.5.11", "10.1.8"],
        );
    }

    #[test]
    fn branches_are_not_versions() {
        assert_invalid(
            Composer,
            &["", "dev-master", "1.x-dev", "foo", "1.0.0-what"],
        );
    }

    fn version() -> impl Strategy<Value = String> {
        "v?[0-9]{1,4}(\\.[0-9]{1,2}){0,3}([-._]?(alpha|beta|RC|rc|patch|pl|p|a|b|stable)([.-]?[0-9]{1,2})?)?([.-]?dev)?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Composer, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Composer, &a), Ok(()));
        }
    }
}
