//! Software packages as found by the SBOM catalogers and matched by the
//! vulnerability matcher.

use serde::{Deserialize, Serialize};

/// The kind of a package, named after its package-URL type
/// (<https://github.com/package-url/purl-spec/blob/main/PURL-TYPES.rst>).
///
/// The type decides how versions compare (see [`PackageType::version_scheme`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum PackageType {
    /// Debian and Ubuntu packages (dpkg).
    Deb,
    /// RPM packages (Red Hat, AlmaLinux, Rocky, Fedora, SUSE, Amazon Linux…).
    Rpm,
    /// Alpine and Wolfi packages (apk).
    Apk,
    /// Python packages.
    Pypi,
    /// Node.js packages.
    Npm,
    /// Java packages.
    Maven,
    /// Go modules.
    Golang,
    /// Rust crates.
    Cargo,
    /// Ruby gems.
    Gem,
    /// PHP packages.
    Composer,
    /// .NET packages.
    Nuget,
}

/// How versions of a [`PackageType`] are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum VersionScheme {
    /// Debian policy ordering (epoch, upstream, revision, `~`).
    Dpkg,
    /// RPM epoch:version-release ordering (rpmvercmp).
    Rpm,
    /// Alpine apk ordering.
    Apk,
    /// PEP 440.
    Pep440,
    /// Semantic versioning as npm applies it.
    Npm,
    /// Semantic versioning as Cargo applies it.
    Semver,
    /// Go module versions, including pseudo-versions.
    Go,
    /// Maven ComparableVersion ordering.
    Maven,
    /// RubyGems `Gem::Version` ordering.
    RubyGems,
    /// NuGet (SemVer 2 with a fourth revision number).
    NuGet,
    /// Composer ordering.
    Composer,
}

impl PackageType {
    /// Every package type, in a stable order.
    pub const ALL: [PackageType; 11] = [
        PackageType::Deb,
        PackageType::Rpm,
        PackageType::Apk,
        PackageType::Pypi,
        PackageType::Npm,
        PackageType::Maven,
        PackageType::Golang,
        PackageType::Cargo,
        PackageType::Gem,
        PackageType::Composer,
        PackageType::Nuget,
    ];

    /// The package-URL type, e.g. `deb` or `pypi`.
    pub fn purl_type(self) -> &'static str {
        match self {
            PackageType::Deb => "deb",
            PackageType::Rpm => "rpm",
            PackageType::Apk => "apk",
            PackageType::Pypi => "pypi",
            PackageType::Npm => "npm",
            PackageType::Maven => "maven",
            PackageType::Golang => "golang",
            PackageType::Cargo => "cargo",
            PackageType::Gem => "gem",
            PackageType::Composer => "composer",
            PackageType::Nuget => "nuget",
        }
    }

    /// The package type of a package-URL type, if Vedette knows it.
    pub fn from_purl_type(purl_type: &str) -> Option<PackageType> {
        PackageType::ALL
            .into_iter()
            .find(|t| t.purl_type().eq_ignore_ascii_case(purl_type))
    }

    /// How versions of this package type compare.
    pub fn version_scheme(self) -> VersionScheme {
        match self {
            PackageType::Deb => VersionScheme::Dpkg,
            PackageType::Rpm => VersionScheme::Rpm,
            PackageType::Apk => VersionScheme::Apk,
            PackageType::Pypi => VersionScheme::Pep440,
            PackageType::Npm => VersionScheme::Npm,
            PackageType::Maven => VersionScheme::Maven,
            PackageType::Golang => VersionScheme::Go,
            PackageType::Cargo => VersionScheme::Semver,
            PackageType::Gem => VersionScheme::RubyGems,
            PackageType::Composer => VersionScheme::Composer,
            PackageType::Nuget => VersionScheme::NuGet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purl_types_round_trip() {
        for t in PackageType::ALL {
            assert_eq!(PackageType::from_purl_type(t.purl_type()), Some(t));
        }
        assert_eq!(PackageType::from_purl_type("DEB"), Some(PackageType::Deb));
        assert_eq!(PackageType::from_purl_type("conda"), None);
    }
}
