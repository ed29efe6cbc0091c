//! Version parsing and ordering native to each package ecosystem.
//!
//! Every [`VersionScheme`] of `vedette-model` has one module here. They all
//! sit behind one API: [`Version::parse`] turns a string into a parsed
//! version of a scheme, and parsed versions of the same scheme are totally
//! ordered. [`compare`] is the one-shot form for two strings.
//!
//! Parsing is done once per string; the matcher keeps parsed versions so
//! that comparing is cheap (see `examples/bench_versions.rs`).

pub mod apk;
pub mod composer;
pub mod dpkg;
pub mod go;
pub mod maven;
pub mod npm;
pub mod nuget;
pub mod pep440;
pub mod rpm;
pub mod rubygems;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

use vedette_model::package::VersionScheme;

/// The longest version string accepted, in bytes: real versions are short,
/// and a bound keeps hostile feeds from making comparisons expensive.
pub const MAX_VERSION_LEN: usize = 256;

/// Why a version string could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {scheme:?} version {version:?}: {reason}")]
pub struct VersionError {
    /// The scheme the string was parsed with.
    pub scheme: VersionScheme,
    /// The offending string (cut to [`MAX_VERSION_LEN`] bytes).
    pub version: String,
    /// What is wrong with it.
    pub reason: String,
}

impl VersionError {
    /// A new error for `version` parsed as `scheme`.
    pub fn new(scheme: VersionScheme, version: &str, reason: impl Into<String>) -> Self {
        let mut end = version.len().min(MAX_VERSION_LEN);
        while !version.is_char_boundary(end) {
            end -= 1;
        }
        VersionError {
            scheme,
            version: version[..end].to_string(),
            reason: reason.into(),
        }
    }
}

/// Checks the shared limits every scheme applies before parsing.
pub(crate) fn check_input(scheme: VersionScheme, s: &str) -> Result<(), VersionError> {
    if s.is_empty() {
        return Err(VersionError::new(scheme, s, "empty version"));
    }
    if s.len() > MAX_VERSION_LEN {
        return Err(VersionError::new(scheme, s, "version too long"));
    }
    Ok(())
}

/// A parsed version of one ecosystem.
///
/// Versions of the same scheme compare with [`Version::cmp_same`] or
/// [`PartialOrd`]; versions of different schemes are not comparable
/// (`partial_cmp` returns `None`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Version {
    /// Debian and Ubuntu.
    Dpkg(dpkg::DpkgVersion),
    /// RPM distributions.
    Rpm(rpm::RpmVersion),
    /// Alpine and Wolfi.
    Apk(apk::ApkVersion),
    /// Python.
    Pep440(pep440::Pep440Version),
    /// npm.
    Npm(npm::NpmVersion),
    /// Cargo (SemVer 2).
    Semver(semver::SemverVersion),
    /// Go modules.
    Go(go::GoVersion),
    /// Maven.
    Maven(maven::MavenVersion),
    /// RubyGems.
    RubyGems(rubygems::GemVersion),
    /// NuGet.
    NuGet(nuget::NuGetVersion),
    /// Composer.
    Composer(composer::ComposerVersion),
}

impl Version {
    /// Parses `s` with the rules of `scheme`.
    pub fn parse(scheme: VersionScheme, s: &str) -> Result<Version, VersionError> {
        check_input(scheme, s)?;
        Ok(match scheme {
            VersionScheme::Dpkg => Version::Dpkg(s.parse()?),
            VersionScheme::Rpm => Version::Rpm(s.parse()?),
            VersionScheme::Apk => Version::Apk(s.parse()?),
            VersionScheme::Pep440 => Version::Pep440(s.parse()?),
            VersionScheme::Npm => Version::Npm(s.parse()?),
            VersionScheme::Semver => Version::Semver(s.parse()?),
            VersionScheme::Go => Version::Go(s.parse()?),
            VersionScheme::Maven => Version::Maven(s.parse()?),
            VersionScheme::RubyGems => Version::RubyGems(s.parse()?),
            VersionScheme::NuGet => Version::NuGet(s.parse()?),
            VersionScheme::Composer => Version::Composer(s.parse()?),
            _ => {
                return Err(VersionError::new(scheme, s, "unsupported version scheme"));
            }
        })
    }

    /// The scheme this version was parsed with.
    pub fn scheme(&self) -> VersionScheme {
        match self {
            Version::Dpkg(_) => VersionScheme::Dpkg,
            Version::Rpm(_) => VersionScheme::Rpm,
            Version::Apk(_) => VersionScheme::Apk,
            Version::Pep440(_) => VersionScheme::Pep440,
            Version::Npm(_) => VersionScheme::Npm,
            Version::Semver(_) => VersionScheme::Semver,
            Version::Go(_) => VersionScheme::Go,
            Version::Maven(_) => VersionScheme::Maven,
            Version::RubyGems(_) => VersionScheme::RubyGems,
            Version::NuGet(_) => VersionScheme::NuGet,
            Version::Composer(_) => VersionScheme::Composer,
        }
    }

    /// Compares two versions of the same scheme; `None` when the schemes
    /// differ.
    pub fn cmp_same(&self, other: &Version) -> Option<Ordering> {
        Some(match (self, other) {
            (Version::Dpkg(a), Version::Dpkg(b)) => a.cmp(b),
            (Version::Rpm(a), Version::Rpm(b)) => a.cmp(b),
            (Version::Apk(a), Version::Apk(b)) => a.cmp(b),
            (Version::Pep440(a), Version::Pep440(b)) => a.cmp(b),
            (Version::Npm(a), Version::Npm(b)) => a.cmp(b),
            (Version::Semver(a), Version::Semver(b)) => a.cmp(b),
            (Version::Go(a), Version::Go(b)) => a.cmp(b),
            (Version::Maven(a), Version::Maven(b)) => a.cmp(b),
            (Version::RubyGems(a), Version::RubyGems(b)) => a.cmp(b),
            (Version::NuGet(a), Version::NuGet(b)) => a.cmp(b),
            (Version::Composer(a), Version::Composer(b)) => a.cmp(b),
            _ => return None,
        })
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp_same(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.cmp_same(other)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Version::Dpkg(v) => v.fmt(f),
            Version::Rpm(v) => v.fmt(f),
            Version::Apk(v) => v.fmt(f),
            Version::Pep440(v) => v.fmt(f),
            Version::Npm(v) => v.fmt(f),
            Version::Semver(v) => v.fmt(f),
            Version::Go(v) => v.fmt(f),
            Version::Maven(v) => v.fmt(f),
            Version::RubyGems(v) => v.fmt(f),
            Version::NuGet(v) => v.fmt(f),
            Version::Composer(v) => v.fmt(f),
        }
    }
}

/// Compares two version strings with the rules of `scheme`.
pub fn compare(scheme: VersionScheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = Version::parse(scheme, a)?;
    let b = Version::parse(scheme, b)?;
    // Both parsed with `scheme`, so they are always comparable.
    Ok(a.cmp_same(&b).unwrap_or(Ordering::Equal))
}

/// Every scheme this module implements, in a stable order.
pub const SCHEMES: [VersionScheme; 11] = [
    VersionScheme::Dpkg,
    VersionScheme::Rpm,
    VersionScheme::Apk,
    VersionScheme::Pep440,
    VersionScheme::Npm,
    VersionScheme::Semver,
    VersionScheme::Go,
    VersionScheme::Maven,
    VersionScheme::RubyGems,
    VersionScheme::NuGet,
    VersionScheme::Composer,
];

#[cfg(test)]
pub(crate) mod testutil;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary input never panics any parser, and whatever parses is
        /// equal to itself.
        #[test]
        fn any_input_is_safe(s in "[0-9a-zA-Z.+~^_:!*@ -]{0,40}|\\PC{0,20}") {
            for scheme in SCHEMES {
                if let Ok(v) = Version::parse(scheme, &s) {
                    prop_assert_eq!(v.cmp_same(&v), Some(Ordering::Equal));
                    prop_assert!(compare(scheme, &s, &s).is_ok());
                }
            }
        }
    }

    #[test]
    fn limits_and_cross_scheme() {
        let long = "1.".repeat(200);
        for scheme in SCHEMES {
            assert!(Version::parse(scheme, "").is_err(), "{scheme:?}");
            assert!(Version::parse(scheme, &long).is_err(), "{scheme:?}");
        }
        let a = Version::parse(VersionScheme::Npm, "1.0.0");
        let b = Version::parse(VersionScheme::Semver, "1.0.0");
        let (Ok(a), Ok(b)) = (a, b) else {
            panic!("1.0.0 must parse");
        };
        assert_eq!(a.partial_cmp(&b), None);
        assert_eq!(a.scheme(), VersionScheme::Npm);
    }
}
