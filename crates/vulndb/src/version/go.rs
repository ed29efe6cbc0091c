//! Go module versions: SemVer with a `v` prefix, as `golang.org/x/mod/semver`
//! defines it.
//!
//! Hand-written on top of the `semver` crate because Go differs in its
//! edges: the `v` prefix (optional here, since OSV writes Go versions without
//! it), the shorthands `v1` and `v1.2` (meaning `v1.0.0` and `v1.2.0`),
//! `+incompatible` build metadata (ignored for ordering, like all build
//! metadata), and pseudo-versions. Pseudo-versions are pre-releases by
//! construction, so plain SemVer precedence orders them correctly:
//!
//! * `vX.0.0-yyyymmddhhmmss-abcdefabcdef` (no earlier tag),
//! * `vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef` (after a pre-release tag),
//! * `vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef` (after the release `vX.Y.Z`),
//!
//! which sort after the tag they derive from and before the next release.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use vedette_model::package::VersionScheme;

use super::VersionError;

/// A parsed Go module version.
#[derive(Debug, Clone)]
pub struct GoVersion(semver::Version);

impl GoVersion {
    /// Whether the build metadata is `+incompatible` (a v2+ module without a
    /// `go.mod`).
    pub fn is_incompatible(&self) -> bool {
        self.0.build.as_str() == "incompatible"
    }

    /// The pseudo-version's timestamp and 12-hex-digit revision prefix, if
    /// this is a pseudo-version.
    pub fn pseudo(&self) -> Option<(&str, &str)> {
        let pre = self.0.pre.as_str();
        // The last dot-separated identifier is `yyyymmddhhmmss-revision`,
        // preceded by `0` (or nothing for the `vX.0.0-` form).
        let last = pre.rsplit('.').next()?;
        let (time, rev) = last.split_once('-')?;
        let is_time = time.len() == 14 && time.bytes().all(|b| b.is_ascii_digit());
        let is_rev = rev.len() == 12 && rev.bytes().all(|b| b.is_ascii_hexdigit());
        let prefix_ok = pre == last || pre.strip_suffix(last).is_some_and(|p| p.ends_with("0."));
        (is_time && is_rev && prefix_ok).then_some((time, rev))
    }

    /// The underlying SemVer version (without the `v`).
    pub fn inner(&self) -> &semver::Version {
        &self.0
    }
}

impl FromStr for GoVersion {
    type Err = VersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |reason: &str| VersionError::new(VersionScheme::Go, s, reason);
        super::check_input(VersionScheme::Go, s)?;
        let bare = s.strip_prefix('v').unwrap_or(s);
        // Shorthands `v1` and `v1.2` (without pre-release or build).
        let dots = bare.bytes().filter(|&b| b == b'.').count();
        let all_numeric = bare.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        let padded;
        let text = if all_numeric && dots < 2 {
            padded = format!("{bare}{}", ".0".repeat(2 - dots));
            padded.as_str()
        } else {
            bare
        };
        semver::Version::parse(text)
            .map(GoVersion)
            .map_err(|e| err(&e.to_string()))
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

impl PartialEq for GoVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GoVersion {}

impl PartialOrd for GoVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for GoVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp_precedence(&other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::GoVersion;
    use proptest::prelude::*;
    use vedette_model::package::VersionScheme::Go;

    #[test]
    fn pseudo_versions_sort_between_tags() {
        // The three pseudo-version forms of the Go modules reference.
        assert_increasing(
            Go,
            &[
                "v0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-000000000000",
                "v0.1.0",
                "v0.1.1-0.20200301000000-abcdefabcdef",
                "v0.1.1",
                "v1.0.0-rc.1",
                "v1.0.0-rc.1.0.20200401000000-abcdefabcdef",
                "v1.0.0-rc.2",
                "v1.0.0",
            ],
        );
    }

    #[test]
    fn pseudo_detection() {
        let p = |s: &str| s.parse::<GoVersion>().map(|v| v.pseudo().is_some());
        assert_eq!(p("v0.0.0-20191109021931-daa7c04131f5"), Ok(true));
        assert_eq!(p("v1.2.4-0.20191109021931-daa7c04131f5"), Ok(true));
        assert_eq!(p("v1.2.4-pre.0.20191109021931-daa7c04131f5"), Ok(true));
        assert_eq!(p("v1.2.4-pre"), Ok(false));
        assert_eq!(p("v1.2.4"), Ok(false));
    }

    #[test]
    fn prefix_shorthand_and_incompatible() {
        assert_all_equal(Go, &["v1.2.0", "1.2.0", "v1.2", "v1.2.0+incompatible"]);
        assert_all_equal(Go, &["v2", "v2.0.0"]);
        assert_increasing(
            Go,
            &["v2.0.0+incompatible", "v2.0.1+incompatible", "v3.0.0"],
        );
        let v: Result<GoVersion, _> = "v4.5.0+incompatible".parse();
        assert!(v.is_ok_and(|v| v.is_incompatible()));
    }

    #[test]
    fn invalid() {
        assert_invalid(Go, &["", "vx", "v1.2-pre", "v1.02.3", "latest"]);
    }

    fn version() -> impl Strategy<Value = String> {
        "v(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)\\.(0|[1-9][0-9]?)(-(0\\.|rc\\.1\\.0\\.)?20[12][0-9]{11}-[0-9a-f]{12}|-rc\\.[1-9])?(\\+incompatible)?"
    }

    proptest! {
        #[test]
        fn total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(order_laws(Go, &a, &b, &c), Ok(()));
            prop_assert_eq!(display_round_trip(Go, &a), Ok(()));
        }
    }
}
