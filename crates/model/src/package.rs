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

/// One installed package found by an SBOM cataloger.
///
/// `name` is the name as the ecosystem's advisories spell it: Maven packages
/// are `group:artifact`, npm scoped packages `@scope/name`, Go packages the
/// module path and Composer packages `vendor/name`. `purl` is the package URL
/// built from these fields (and the distro for OS packages) by the SBOM
/// crate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Package name, as the ecosystem spells it.
    pub name: String,
    /// Installed version, as the ecosystem spells it (dpkg and RPM versions
    /// carry their epoch as `epoch:`, RPM versions are `version-release`).
    pub version: String,
    /// Ecosystem of the package.
    pub package_type: PackageType,
    /// Package URL (<https://github.com/package-url/purl-spec>).
    #[serde(default)]
    pub purl: String,
    /// Source package name, where the distro builds binary packages from a
    /// source package its advisories name (Debian/Ubuntu source packages,
    /// RPM source RPMs, Alpine origins).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Version of the source package, when it differs from `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// CPU architecture of OS packages (`amd64`, `x86_64`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Declared licenses, as written by the package (SPDX expressions when
    /// the ecosystem uses them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Paths where the package was found, absolute inside the scanned source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
    /// Name of the cataloger that found the package.
    #[serde(default)]
    pub cataloger: String,
    /// The package is a Linux kernel image or kernel module package: kernel
    /// advisories apply to it only when it is the running kernel.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub kernel: bool,
}

impl Package {
    /// A package with only its identity set; the other fields are empty.
    pub fn new(
        package_type: PackageType,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            package_type,
            purl: String::new(),
            source_name: None,
            source_version: None,
            arch: None,
            licenses: Vec::new(),
            locations: Vec::new(),
            cataloger: String::new(),
            kernel: false,
        }
    }

    /// Whether this is an operating-system package (deb, rpm, apk), whose
    /// advisories are scoped by distro release.
    pub fn is_os_package(&self) -> bool {
        matches!(
            self.package_type,
            PackageType::Deb | PackageType::Rpm | PackageType::Apk
        )
    }

    /// The source package name, falling back to the binary package name.
    pub fn source_or_name(&self) -> &str {
        self.source_name.as_deref().unwrap_or(&self.name)
    }
}

/// The operating system of a scanned source, from `/etc/os-release`
/// (<https://www.freedesktop.org/software/systemd/man/os-release.html>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Distro {
    /// `ID`, lower case: `debian`, `ubuntu`, `alpine`, `rhel`, …
    pub id: String,
    /// `VERSION_ID`: `12`, `22.04`, `3.19.1`, … (empty on rolling releases).
    #[serde(default)]
    pub version_id: String,
    /// `ID_LIKE`, split on spaces: `["rhel", "fedora"]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// `PRETTY_NAME`, for people.
    #[serde(default)]
    pub pretty_name: String,
    /// `VERSION_CODENAME` (`bookworm`, `jammy`), which Debian's and Ubuntu's
    /// trackers use to name releases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
}

impl Distro {
    /// Whether the distro is `id` or declares itself like `id`.
    pub fn is_like(&self, id: &str) -> bool {
        self.id == id || self.id_like.iter().any(|like| like == id)
    }

    /// The release as package URLs qualify it: `debian-12`, `alpine-3.19.1`.
    pub fn purl_qualifier(&self) -> String {
        if self.version_id.is_empty() {
            self.id.clone()
        } else {
            format!("{}-{}", self.id, self.version_id)
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

    #[test]
    fn os_packages_and_source_names() {
        let mut p = Package::new(PackageType::Deb, "libc6", "2.36-9+deb12u4");
        assert!(p.is_os_package());
        assert_eq!(p.source_or_name(), "libc6");
        p.source_name = Some("glibc".into());
        assert_eq!(p.source_or_name(), "glibc");
        assert!(!Package::new(PackageType::Npm, "left-pad", "1.3.0").is_os_package());
    }

    #[test]
    fn distro_qualifier_and_likeness() {
        let d = Distro {
            id: "ubuntu".into(),
            version_id: "22.04".into(),
            id_like: vec!["debian".into()],
            pretty_name: "Ubuntu 22.04.4 LTS".into(),
            version_codename: Some("jammy".into()),
        };
        assert_eq!(d.purl_qualifier(), "ubuntu-22.04");
        assert!(d.is_like("debian"));
        assert!(d.is_like("ubuntu"));
        assert!(!d.is_like("rhel"));
        let arch = Distro {
            id: "arch".into(),
            ..Distro::default()
        };
        assert_eq!(arch.purl_qualifier(), "arch");
    }
}
