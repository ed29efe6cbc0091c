//! Python package versions, ordered by PEP 440.
//!
//! Parsing, normalisation and ordering come from `pep440_rs` (the parser
//! used by uv): epochs (`1!2.0`), pre-releases (`a`/`b`/`rc` and their
//! spellings `alpha`, `c`, `pre`, `preview`), post-releases (`.post1`, `-1`),
//! development releases (`.dev0`), local versions (`+ubuntu.1`), a leading
//! `v`, case and separator variations, and zero padding (`1.0 == 1.0.0`).
//! Order: `1.0.dev0 < 1.0a1.dev0 < 1.0a1 < 1.0b1 < 1.0rc1 < 1.0 < 1.0+local
//! < 1.0.post1.dev0 < 1.0.post1`.
//!
//! Non-PEP 440 "legacy" versions are rejected rather than guessed at.

use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pep440Version(pep440_rs::Version);

impl Pep440Version {
    /// The underlying `pep440_rs` version.
    pub fn inner(&self) -> &pep440_rs::Version {
        &self.0
    }
}

impl FromStr for Pep440Version {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::check_input(VersionScheme::Pep440, s)?;
        pep440_rs::Version::from_str(s.trim())
            .map(Pep440Version)
            .map_err(|e| VersionError::new(VersionScheme::Pep440, s, e.to_string()))
    }
}

impl fmt::Display for Pep440Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Pep440;

    #[test]
    fn pep440_documented_order() {
        // The ordering example of PEP 440 ("Summary of permitted suffixes
        // and relative ordering").
        assert_increasing(
            Pep440,
            &[
                "1.dev0",
                "1.0.dev456",
                "1.0a1",
                "1.0a2.dev456",
                "1.0a12.dev456",
                "1.0a12",
                "1.0b1.dev456",
                "1.0b2",
                "1.0b2.post345.dev456",
                "1.0b2.post345",
                "1.0rc1.dev456",
                "1.0rc1",
                "1.0",
                "1.0+abc.5",
                "1.0+abc.7",
                "1.0+5",
                "1.0.post456.dev34",
                "1.0.post456",
                "1.0.15",
                "1.1.dev1",
            ],
        );
    }

    #[test]
    fn normalisation() {
        assert_all_equal(Pep440, &["1.0", "1.0.0", "v1.0", "1.0.0.0", "0!1.0"]);
        assert_all_equal(Pep440, &["1.0a1", "1.0alpha1", "1.0-a.1", "1.0.A1"]);
        assert_all_equal(Pep440, &["1.0rc1", "1.0c1", "1.0pre1", "1.0preview1"]);
        assert_all_equal(
            Pep440,
            &["1.0.post1", "1.0-1", "1.0post1", "1.0.r1", "1.0-rev1"],
        );
        assert_all_equal(Pep440, &["1.0.dev0", "1.0dev", "1.0-dev0"]);
        assert_all_equal(Pep440, &["1.0+ubuntu-1", "1.0+ubuntu.1", "1.0+UBUNTU_1"]);
        assert_all_equal(Pep440, &["1.01", "1.1"]);
        assert_increasing(Pep440, &["2013.10", "1!1.0", "1!2.0", "2!0.1"]);
    }

    #[test]
    fn invalid() {
        assert_invalid(Pep440, &["", "french toast", "1.0-beta-x", "1.0.*"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "([1-2]!)?[0-9]{1,3}(\\.[0-9]{1,2}){0,2}((a|b|rc)[0-9])?(\\.post[0-9])?(\\.dev[0-9])?(\\+[a-z0-9]{1,3}(\\.[0-9]{1,2})?)?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Pep440, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Pep440, &a), Ok(()));
        }
    }
}
