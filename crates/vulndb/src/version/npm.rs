//! npm package versions: SemVer 2.0 as `node-semver` parses it.
//!
//! Parsing and ordering come from `nodejs-semver` (a port of npm's
//! `node-semver`): loose input such as a leading `v` or `=` is accepted,
//! pre-releases sort before the release (`1.0.0-alpha < 1.0.0`), numeric
//! pre-release identifiers compare numerically and before alphanumeric ones,
//! and build metadata (`+build`) is ignored for ordering.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed npm version.
#[derive(Debug, Clone)]
pub struct NpmVersion(nodejs_semver::Version);

impl NpmVersion {
    /// The underlying `nodejs-semver` version.
    pub fn inner(&self) -> &nodejs_semver::Version {
        &self.0
    }
}

impl FromStr for NpmVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        super::check_input(VersionScheme::Npm, s)?;
        let text = s.trim();
        // nodejs-semver also accepts shapes npm's `semver.valid` rejects
        // (such as `1.2.3.4.5`): require `[v]MAJOR.MINOR.PATCH[-pre][+build]`.
        let bare = text.strip_prefix('v').unwrap_or(text);
        let core_end = bare.find(['-', '+']).unwrap_or(bare.len());
        let core: Vec<&str> = bare[..core_end].split('.').collect();
        let core_ok = core.len() == 3
            && !bare.ends_with(['-', '+', '.'])
            && core
                .iter()
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
        if !core_ok {
            return Err(VersionError::new(
                VersionScheme::Npm,
                s,
                "expected MAJOR.MINOR.PATCH",
            ));
        }
        nodejs_semver::Version::parse(text)
            .map(NpmVersion)
            .map_err(|e| VersionError::new(VersionScheme::Npm, s, e.to_string()))
    }
}

impl fmt::Display for NpmVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for NpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NpmVersion {}

impl PartialOrd for NpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NpmVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        // nodejs-semver's `Ord` follows SemVer precedence (build ignored).
        self.0.cmp(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Npm;

    #[test]
    fn semver_spec_precedence() {
        // SemVer 2.0.0 §11.
        assert_increasing(
            Npm,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "2.0.0",
                "2.1.0",
                "2.1.1",
            ],
        );
        assert_increasing(Npm, &["1.0.0-1", "1.0.0-2", "1.0.0-10", "1.0.0-a"]);
    }

    #[test]
    fn loose_input_and_build_metadata() {
        assert_all_equal(Npm, &["1.2.3", "v1.2.3", "1.2.3+build.5", " 1.2.3 "]);
    }

    #[test]
    fn invalid() {
        assert_invalid(Npm, &["", "1.2.3.4.5", "not-a-version", "1.2.3-"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-[0-9a-z]{1,3}(\\.[0-9a-z]{1,3}){0,2})?(\\+[0-9a-z]{1,3})?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Npm, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Npm, &a), Ok(()));
        }
    }
}
