//! Debian package versions (`[epoch:]upstream[-revision]`), as ordered by
//! dpkg and Debian Policy §5.6.12.
//!
//! Parsing and ordering come from the `debversion` crate (a faithful port of
//! dpkg's `verrevcmp`): letters sort before non-letters, `~` sorts before
//! everything including the end of the string, digits compare numerically,
//! a missing epoch is 0 and a missing revision compares like `0`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed Debian version.
#[derive(Debug, Clone)]
pub struct DpkgVersion(debversion::Version);

impl DpkgVersion {
    /// The epoch (0 when absent).
    pub fn epoch(&self) -> u32 {
        self.0.epoch.unwrap_or(0)
    }

    /// The upstream part.
    pub fn upstream(&self) -> &str {
        &self.0.upstream_version
    }

    /// The Debian revision, if any.
    pub fn revision(&self) -> Option<&str> {
        self.0.debian_revision.as_deref()
    }
}

impl FromStr for DpkgVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(VersionScheme::Dpkg, s, reason);
        super::check_input(VersionScheme::Dpkg, s)?;
        // dpkg rejects versions whose upstream part does not start with a
        // digit only with a warning; advisories do contain a few, so accept.
        let v = debversion::Version::from_str(s.trim())
            .or_else(|_| debversion::Version::parse_lenient(s.trim()))
            .map_err(|e| err(&e.to_string()))?;
        if v.upstream_version.is_empty() {
            return Err(err("empty upstream version"));
        }
        Ok(DpkgVersion(v))
    }
}

impl fmt::Display for DpkgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Dpkg;

    #[test]
    fn policy_examples() {
        // Debian Policy §5.6.12: `~` sorts before anything, even the end.
        assert_increasing(Dpkg, &["1.0~~", "1.0~~a", "1.0~", "1.0", "1.0a"]);
        assert_increasing(Dpkg, &["1.0-1", "1.0-1+deb12u1", "1.0-2", "1:0.9-1"]);
        assert_increasing(Dpkg, &["2.30-1~bpo12+1", "2.30-1", "2.30-1+b1"]);
        // Numeric parts compare as numbers, not strings.
        assert_increasing(Dpkg, &["1.9", "1.10", "1.100"]);
        // Letters sort before non-letters.
        assert_increasing(Dpkg, &["1.0a", "1.0+", "1.0."]);
        // Epoch dominates.
        assert_increasing(Dpkg, &["9.9-9", "1:0.1-1", "2:0.0.1"]);
    }

    #[test]
    fn missing_parts_are_zero() {
        assert_all_equal(Dpkg, &["1.0", "0:1.0", "1.0-0"]);
        assert_all_equal(Dpkg, &["1.01", "1.1"]);
    }

    #[test]
    fn real_backport_versions() {
        // openssl in Debian 12: the security backport sorts above the point release.
        assert_increasing(Dpkg, &["3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "3.0.11-1"]);
        assert_increasing(Dpkg, &["2.36-9+deb12u3", "2.36-9+deb12u4", "2.36-10"]);
    }

    #[test]
    fn invalid() {
        assert_invalid(Dpkg, &["", "1.0 beta", "1.0!"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "([0-9]{1,2}:)?[0-9]{1,3}(\\.[0-9a-z~+]{1,3}){0,3}(-[0-9a-z~+.]{1,4})?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Dpkg, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Dpkg, &a), Ok(()));
        }
    }
}
