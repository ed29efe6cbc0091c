//! Ruby gem versions, ordered like `Gem::Version`.
//!
//! Hand-written port of the documented behaviour of RubyGems'
//! `Gem::Version` (no Rust crate implements it):
//! * a version is dot-separated segments of digits and letters
//!   (`1.2.3`, `1.0.0.rc1`, `2.0.0-beta.1`); a `-` means `.pre.`;
//! * segments are further split between digits and letters (`rc1` → `rc`,
//!   `1`); numeric segments compare as integers;
//! * a version containing a letter is a pre-release: a string segment
//!   sorts before any number (`1.0.a < 1.0 < 1.0.0.1`);
//! * trailing zeros of the release part and of the pre-release part are
//!   dropped before comparing (`1.0 == 1`, `1.0.a.0 == 1.0.a`);
//! * missing segments count as 0; strings compare bytewise.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Digits without leading zeros (`""` is zero).
    Number(String),
    Text(String),
}

impl Segment {
    fn is_zero(&self) -> bool {
        matches!(self, Segment::Number(n) if n.is_empty())
    }
}

fn cmp_segments(a: &Segment, b: &Segment) -> Ordering {
    match (a, b) {
        (Segment::Number(x), Segment::Number(y)) => x.len().cmp(&y.len()).then_with(|| x.cmp(y)),
        (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
        (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
        (Segment::Text(x), Segment::Text(y)) => x.cmp(y),
    }
}

/// A parsed gem version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    original: String,
    /// Canonical segments: trailing zeros of each part removed.
    canonical: Vec<Segment>,
    prerelease: bool,
}

impl GemVersion {
    /// Whether this is a pre-release (contains a letter).
    pub fn is_prerelease(&self) -> bool {
        self.prerelease
    }
}

impl FromStr for GemVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(VersionScheme::RubyGems, s, reason);
        super::check_input(VersionScheme::RubyGems, s)?;
        let text = s.trim();
        // Gem::Version::ANCHORED_VERSION_PATTERN: starts with a digit,
        // then alphanumerics and dots, optionally `-` pre-release parts.
        let valid_chars = text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        if !valid_chars || !text.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(err("expected digits, letters, dots and dashes"));
        }
        if text.contains("..") || text.ends_with('.') || text.ends_with('-') {
            return Err(err("empty segment"));
        }
        let text = text.replace('-', ".pre.");
        let mut segments = Vec::new();
        for part in text.split('.') {
            // Split between digits and letters.
            let bytes = part.as_bytes();
            let mut start = 0;
            for end in 1..=bytes.len() {
                if end < bytes.len()
                    && bytes[end].is_ascii_digit() == bytes[end - 1].is_ascii_digit()
                {
                    continue;
                }
                let piece = &part[start..end];
                segments.push(if piece.as_bytes()[0].is_ascii_digit() {
                    Segment::Number(piece.trim_start_matches('0').to_string())
                } else {
                    Segment::Text(piece.to_string())
                });
                start = end;
            }
        }
        let prerelease = segments.iter().any(|s| matches!(s, Segment::Text(_)));
        // Canonical segments: drop trailing zeros from the release part and
        // from the pre-release part separately.
        let split = segments
            .iter()
            .position(|s| matches!(s, Segment::Text(_)))
            .unwrap_or(segments.len());
        let mut release: Vec<Segment> = segments[..split].to_vec();
        let mut pre: Vec<Segment> = segments[split..].to_vec();
        while release.last().is_some_and(Segment::is_zero) {
            release.pop();
        }
        while pre.last().is_some_and(Segment::is_zero) {
            pre.pop();
        }
        release.extend(pre);
        Ok(GemVersion {
            original: s.to_string(),
            canonical: release,
            prerelease,
        })
    }
}

impl fmt::Display for GemVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Segment::Number(String::new());
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let a = self.canonical.get(i).unwrap_or(&zero);
            let b = other.canonical.get(i).unwrap_or(&zero);
            let ord = cmp_segments(a, b);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::GemVersion;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::RubyGems;

    #[test]
    fn gem_version_documented_order() {
        // From the Gem::Version documentation and its test suite.
        assert_increasing(
            RubyGems,
            &[
                "1.0.a",
                "1.0.a.2",
                "1.0.b1",
                "1.0.rc1",
                "1.0",
                "1.0.0.1",
                "1.1.a",
                "1.1",
                "1.2.0-beta.1",
                "1.2.0",
                "1.10",
            ],
        );
        assert_increasing(
            RubyGems,
            &[
                "0.9.0.pre.1",
                "0.9.0",
                "5.2.4.3",
                "5.2.4.4",
                "6.0.0.rc1",
                "6.0.0",
            ],
        );
        assert_all_equal(RubyGems, &["1", "1.0", "1.0.0", "01.0"]);
        assert_all_equal(RubyGems, &["1.0.a", "1.0.a.0", "1.0a"]);
        assert_all_equal(RubyGems, &["1.2.0-beta", "1.2.0.pre.beta"]);
    }

    #[test]
    fn prerelease_flag() {
        let pre = |s: &str| s.parse::<GemVersion>().map(|v| v.is_prerelease());
        assert_eq!(pre("1.0.0.rc1"), Ok(true));
        assert_eq!(pre("1.0.0"), Ok(false));
    }

    #[test]
    fn invalid() {
        assert_invalid(RubyGems, &["", "junk", "1..2", "1.2 3", "1.0.", "=1.0"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "[0-9]{1,2}(\\.([0-9]{1,2}|a|b|rc|pre|beta[0-9]?)){0,4}(-[a-z]{1,3}(\\.[0-9])?)?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(RubyGems, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(RubyGems, &a), Ok(()));
        }
    }
}
