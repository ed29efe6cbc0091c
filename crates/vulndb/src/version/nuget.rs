//! NuGet package versions, ordered like NuGet's `NuGetVersion`.
//!
//! Hand-written (no Rust crate implements NuGet's rules), following the
//! NuGet documentation "Package versioning":
//! * `Major[.Minor[.Patch[.Revision]]][-Prerelease][+Metadata]`; missing
//!   numbers are 0 and leading zeros are ignored (`1.01 == 1.1.0.0`);
//! * a release sorts after its pre-releases; pre-release labels compare
//!   like SemVer 2 (numeric labels numerically and before alphanumeric
//!   ones, more labels win when all shared ones are equal) except that
//!   alphanumeric labels compare case-insensitively (`1.0.0-Beta ==
//!   1.0.0-beta`);
//! * build metadata is ignored.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    original: String,
    numbers: [u64; 4],
    /// Pre-release labels, lowercased.
    labels: Vec<String>,
}

impl NuGetVersion {
    /// Whether this is a pre-release.
    pub fn is_prerelease(&self) -> bool {
        !self.labels.is_empty()
    }
}

impl FromStr for NuGetVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(VersionScheme::NuGet, s, reason);
        super::check_input(VersionScheme::NuGet, s)?;
        let text = s.trim();
        let text = match text.split_once('+') {
            Some((main, meta)) => {
                let ok = !meta.is_empty()
                    && meta.split('.').all(|p| {
                        !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    });
                if !ok {
                    return Err(err("invalid build metadata"));
                }
                main
            }
            None => text,
        };
        let (core, pre) = match text.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (text, None),
        };
        let parts: Vec<&str> = core.split('.').collect();
        if parts.len() > 4 {
            return Err(err("more than four version numbers"));
        }
        let mut numbers = [0u64; 4];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err("version numbers must be digits"));
            }
            *slot = part
                .parse()
                .map_err(|_| err("version number out of range"))?;
        }
        let mut labels = Vec::new();
        if let Some(pre) = pre {
            for label in pre.split('.') {
                let ok = !label.is_empty()
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-');
                if !ok {
                    return Err(err("invalid pre-release label"));
                }
                labels.push(label.to_ascii_lowercase());
            }
        }
        Ok(NuGetVersion {
            original: s.to_string(),
            numbers,
            labels,
        })
    }
}

impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

fn cmp_label(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let (x, y) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.numbers.cmp(&other.numbers).then_with(|| {
            match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.labels.iter().zip(&other.labels) {
                        let ord = cmp_label(a, b);
                        if ord != Ordering::Equal {
                            return ord;
                        }
                    }
                    self.labels.len().cmp(&other.labels.len())
                }
            }
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::NuGet;

    #[test]
    fn documented_order() {
        // The pre-release example of NuGet's "Package versioning" page.
        assert_increasing(
            NuGet,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-beta",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.0.1",
                "1.0.1",
                "1.1",
            ],
        );
        assert_increasing(NuGet, &["1.0.0-2", "1.0.0-10", "1.0.0-a"]);
    }

    #[test]
    fn normalisation() {
        // Leading zeros, missing parts, case and metadata do not matter.
        assert_all_equal(
            NuGet,
            &["1.0", "1.0.0", "1.0.0.0", "1.00.0", "1.0.0+git.abc"],
        );
        assert_all_equal(NuGet, &["1.0.0-Beta", "1.0.0-beta", "1.0.0-BETA+meta"]);
        assert_all_equal(NuGet, &["4.0.01", "4.0.1"]);
    }

    #[test]
    fn invalid() {
        assert_invalid(
            NuGet,
            &["", "1.0.0.0.0", "a.b", "1.0.0-", "1.0.0-beta..1", "1..0"],
        );
    }

    fn version() -> impl Strategy<Value = String> {
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-[0-9A-Za-z]{1,3}(\\.[0-9a-z]{1,2}){0,2})?(\\+[a-z0-9]{1,3})?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(NuGet, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(NuGet, &a), Ok(()));
        }
    }
}
