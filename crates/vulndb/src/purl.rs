//! Package URLs (<https://github.com/package-url/purl-spec>) turned into the
//! package identity the matcher looks up: type, name as the ecosystem's
//! advisories spell it, version, source package and distro.
//!
//! This is how packages from an SBOM made by another tool are matched:
//! ecosystem and package URL first, never fuzzy names.
//!
//! Conventions read (those of the purl spec and of Syft/Trivy SBOMs):
//! * names: Maven `namespace:name`, npm `@scope/name`, Go and Composer
//!   `namespace/name`, others `name`;
//! * `distro=debian-12`, `distro=alpine-3.19.1`, `distro=rocky-linux-8`,
//!   or a codename (`distro=bookworm`, `distro=jammy`); without it the
//!   namespace of an OS package names the distro;
//! * `epoch=1` on RPM packages becomes the `1:` prefix of the version;
//! * `upstream=glibc` (deb, apk) or `upstream=openssl-3.0.7-24.el9.src.rpm`
//!   (rpm) names the source package; `arch=source`/`src` means the package
//!   is itself a source package.

use std::str::FromStr;

use packageurl::PackageUrl;
use vedette_model::package::{Distro, Package, PackageType};

use crate::distro::debian::release_of_codename;

/// Why a package URL cannot be matched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PurlError {
    /// Not a valid package URL.
    #[error("invalid package URL {purl:?}: {reason}")]
    Invalid {
        /// The input.
        purl: String,
        /// The parser's message.
        reason: String,
    },
    /// A package URL type Vedette does not match (`brew`, `bitnami`…).
    #[error("package URL type {0:?} is not matched by Vedette")]
    UnknownType(String),
}

/// A package and, for OS packages, its distro.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PurlPackage {
    /// The package (type, name, version, source, arch).
    pub package: Package,
    /// The distro named by the URL, for OS packages.
    pub distro: Option<Distro>,
}

/// Ubuntu codenames and their `VERSION_ID`.
const UBUNTU: [(&str, &str); 10] = [
    ("trusty", "14.04"),
    ("xenial", "16.04"),
    ("bionic", "18.04"),
    ("focal", "20.04"),
    ("jammy", "22.04"),
    ("mantic", "23.10"),
    ("noble", "24.04"),
    ("oracular", "24.10"),
    ("plucky", "25.04"),
    ("questing", "25.10"),
];

/// The `os-release` `ID` for a purl distro or namespace spelling.
fn os_release_id(name: &str) -> String {
    match name.to_ascii_lowercase().as_str() {
        "rocky-linux" | "rockylinux" | "rocky" => "rocky".into(),
        "redhat" | "red-hat" | "rhel" => "rhel".into(),
        "alma" | "almalinux" | "alma-linux" => "almalinux".into(),
        other => other.into(),
    }
}

/// Reads a `distro` qualifier: `id-version`, or a codename.
fn distro_of(value: &str, namespace: Option<&str>) -> Distro {
    // `trusty/esm` → `trusty`
    let value = value.split('/').next().unwrap_or(value);
    let split = value
        .char_indices()
        .filter(|(_, c)| *c == '-')
        .map(|(i, _)| i)
        .find(|&i| value[i + 1..].starts_with(|c: char| c.is_ascii_digit()));
    if let Some(i) = split {
        // The version is the leading digits and dots: Rocky writes
        // `rocky-linux-8-4-legacy` for a variant of release 8.
        let rest = &value[i + 1..];
        let end = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        return Distro {
            id: os_release_id(&value[..i]),
            version_id: rest[..end].trim_end_matches('.').to_string(),
            ..Distro::default()
        };
    }
    let lower = value.to_ascii_lowercase();
    if let Some((_, v)) = UBUNTU.iter().find(|(c, _)| *c == lower) {
        return Distro {
            id: "ubuntu".into(),
            version_id: (*v).into(),
            version_codename: Some(lower),
            ..Distro::default()
        };
    }
    if let Some(v) = release_of_codename(&lower) {
        return Distro {
            id: "debian".into(),
            version_id: if v == "unstable" {
                String::new()
            } else {
                v.into()
            },
            version_codename: Some(lower),
            ..Distro::default()
        };
    }
    Distro {
        id: namespace.map_or_else(|| lower.clone(), os_release_id),
        version_codename: Some(lower),
        ..Distro::default()
    }
}

/// The source package name of an `upstream` qualifier.
fn upstream_name(package_type: PackageType, upstream: &str) -> String {
    if package_type == PackageType::Rpm {
        // `openssl-3.0.7-24.el9.src.rpm` → `openssl`
        let base = upstream.trim_end_matches(".rpm").trim_end_matches(".src");
        let mut parts = base.rsplitn(3, '-');
        let (_release, _version, name) = (parts.next(), parts.next(), parts.next());
        if let Some(name) = name {
            return name.to_string();
        }
    }
    // `glibc@2.36-9` → `glibc`
    upstream.split('@').next().unwrap_or(upstream).to_string()
}

/// Parses a package URL into the package the matcher looks up.
pub fn parse_purl(purl: &str) -> Result<PurlPackage, PurlError> {
    let invalid = |reason: String| PurlError::Invalid {
        purl: purl.to_string(),
        reason,
    };
    // The parser splits at the last `?`: a second one (seen in real
    // Ubuntu records) would end up inside the name.
    if purl.matches('?').count() > 1 {
        return Err(invalid("more than one `?`".into()));
    }
    let url = PackageUrl::from_str(purl).map_err(|e| invalid(e.to_string()))?;
    let package_type = PackageType::from_purl_type(url.ty())
        .ok_or_else(|| PurlError::UnknownType(url.ty().to_string()))?;
    let namespace = url.namespace();
    let name = match (package_type, namespace) {
        (PackageType::Maven, Some(ns)) => format!("{ns}:{}", url.name()),
        (PackageType::Npm | PackageType::Golang | PackageType::Composer, Some(ns)) => {
            format!("{ns}/{}", url.name())
        }
        _ => url.name().to_string(),
    };
    let qualifier = |key: &str| {
        url.qualifiers()
            .iter()
            .find(|(k, _)| k.as_ref() == key)
            .map(|(_, v)| v.as_ref())
    };
    let mut version = url.version().unwrap_or_default().to_string();
    if package_type == PackageType::Rpm
        && let Some(epoch) = qualifier("epoch").filter(|e| *e != "0")
        && !version.is_empty()
        && !version.contains(':')
    {
        version = format!("{epoch}:{version}");
    }
    let mut package = Package::new(package_type, name, version);
    package.purl = purl.to_string();
    package.arch = qualifier("arch").map(str::to_string);
    let is_os = package.is_os_package();
    if is_os {
        package.source_name = match (qualifier("upstream"), qualifier("arch")) {
            (Some(up), _) => Some(upstream_name(package_type, up)),
            (None, Some("source" | "src")) => Some(package.name.clone()),
            _ => None,
        };
    }
    let distro = match qualifier("distro") {
        Some(d) if is_os => Some(distro_of(d, namespace)),
        None if is_os => namespace.map(|ns| Distro {
            id: os_release_id(ns),
            ..Distro::default()
        }),
        _ => None,
    };
    Ok(PurlPackage { package, distro })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(purl: &str) -> PurlPackage {
        parse_purl(purl).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn language_names() {
        let p = parsed("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1");
        assert_eq!(p.package.name, "org.apache.logging.log4j:log4j-core");
        assert_eq!(p.package.version, "2.14.1");
        assert_eq!(p.distro, None);
        assert_eq!(
            parsed("pkg:npm/%40angular/core@16.0.0").package.name,
            "@angular/core"
        );
        assert_eq!(
            parsed("pkg:golang/github.com/gin-gonic/gin@v1.5.0")
                .package
                .name,
            "github.com/gin-gonic/gin"
        );
        assert_eq!(
            parsed("pkg:composer/drupal/core@9.5.0").package.name,
            "drupal/core"
        );
        assert_eq!(
            parse_purl("pkg:brew/unzip"),
            Err(PurlError::UnknownType("brew".into()))
        );
        assert!(matches!(
            parse_purl("not a purl"),
            Err(PurlError::Invalid { .. })
        ));
    }

    #[test]
    fn os_packages() {
        // Syft's spellings.
        let p = parsed(
            "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&upstream=glibc&distro=debian-12",
        );
        assert_eq!(p.package.source_name.as_deref(), Some("glibc"));
        let d = p.distro.unwrap_or_default();
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", "12"));
        let p = parsed(
            "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&upstream=openssl-3.0.7-24.el9.src.rpm&distro=rhel-9.3",
        );
        assert_eq!(p.package.version, "1:3.0.7-24.el9");
        assert_eq!(p.package.source_name.as_deref(), Some("openssl"));
        assert_eq!(
            p.distro.map(|d| (d.id, d.version_id)),
            Some(("rhel".into(), "9.3".into()))
        );
        let p = parsed(
            "pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&upstream=busybox&distro=alpine-3.19.1",
        );
        assert_eq!(p.distro.map(|d| d.version_id), Some("3.19.1".into()));
        // Codenames.
        let p =
            parsed("pkg:deb/ubuntu/wayland@1.16.0-1ubuntu1.1~18.04.4?arch=source&distro=bionic");
        assert_eq!(p.package.source_name.as_deref(), Some("wayland"));
        assert_eq!(
            p.distro.map(|d| (d.id, d.version_id)),
            Some(("ubuntu".into(), "18.04".into()))
        );
        let p = parsed("pkg:deb/debian/openssl@3.0.11-1~deb12u2?distro=bookworm");
        assert_eq!(p.distro.map(|d| d.version_id), Some("12".into()));
    }
}
