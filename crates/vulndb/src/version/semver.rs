//! Cargo crate versions: strict SemVer 2.0.0 through the `semver` crate
//! (the one Cargo itself uses).
//!
//! Ordering is SemVer precedence: build metadata is ignored
//! (`1.0.0+a == 1.0.0+b`), unlike `semver::Version`'s own `Ord` which
//! orders build metadata too.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed Cargo (SemVer 2) version.
#[derive(Debug, Clone)]
pub struct SemverVersion(semver::Version);

impl SemverVersion {
    /// The underlying `semver` version.
    pub fn inner(&self) -> &semver::Version {
        &self.0
    }
}

impl FromStr for SemverVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::check_input(VersionScheme::Semver, s)?;
        semver::Version::parse(s)
            .map(SemverVersion)
            .map_err(|e| VersionError::new(VersionScheme::Semver, s, e.to_string()))
    }
}

impl fmt::Display for SemverVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for SemverVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemverVersion {}

impl PartialOrd for SemverVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SemverVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Semver;

    #[test]
    fn semver_spec_precedence() {
        assert_increasing(
            Semver,
            &[
                "0.9.99",
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.10.0",
            ],
        );
        assert_all_equal(Semver, &["1.0.0+build.1", "1.0.0+build.2", "1.0.0"]);
    }

    #[test]
    fn strict_parsing() {
        assert_invalid(
            Semver,
            &["", "v1.0.0", "1.0", "01.0.0", "1.0.0-01", "1.0.0-"],
        );
    }

    fn version() -> impl Strategy<Value = String> {
        "(0|[1-9][0-9]{0,2})\\.(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)(-[a-z][0-9a-z]{0,2}(\\.(0|[1-9][0-9]?)){0,2})?(\\+[0-9a-z]{1,3})?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Semver, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Semver, &a), Ok(()));
        }
    }
}
