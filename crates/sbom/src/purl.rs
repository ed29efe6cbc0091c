//! Package URLs (<https://github.com/package-url/purl-spec>) for cataloged
//! packages.
//!
//! Catalogers fill in names the way each ecosystem spells them
//! (`group:artifact`, `@scope/name`, …); this module splits them into purl
//! namespace and name, and adds the distro qualifiers OS packages need
//! (`?arch=amd64&distro=debian-12`). Encoding is left to the `packageurl`
//! crate.

use std::str::FromStr;

use packageurl::PackageUrl;
use vedette_model::package::{Distro, Package, PackageType};

/// The package URL of `package`, found on `distro` (if known).
///
/// Returns an empty string only if the name is empty, which catalogers never
/// produce.
pub fn build(package: &Package, distro: Option<&Distro>) -> String {
    let (namespace, name) = split_name(package, distro);
    let Ok(mut purl) = PackageUrl::new(package.package_type.purl_type(), name.as_str()) else {
        return String::new();
    };
    // Errors below only come from empty values, which are skipped.
    if let Some(ns) = namespace.filter(|ns| !ns.is_empty()) {
        let _ = purl.with_namespace(ns);
    }
    let mut version = package.version.clone();
    if package.package_type == PackageType::Rpm {
        // purl-spec: the RPM epoch is a qualifier, not part of the version.
        if let Some((epoch, rest)) = version.split_once(':') {
            let _ = purl.add_qualifier("epoch", epoch.to_string());
            version = rest.to_string();
        }
    }
    if !version.is_empty() {
        let _ = purl.with_version(version);
    }
    if package.is_os_package() {
        if let Some(arch) = package.arch.as_deref().filter(|a| !a.is_empty()) {
            let _ = purl.add_qualifier("arch", arch.to_string());
        }
        if let Some(d) = distro.filter(|d| !d.id.is_empty()) {
            let _ = purl.add_qualifier("distro", d.purl_qualifier());
        }
        if let Some(source) = &package.source_name
            && source != &package.name
        {
            let upstream = match &package.source_version {
                Some(v) if v != &package.version => format!("{source}@{v}"),
                _ => source.clone(),
            };
            let _ = purl.add_qualifier("upstream", upstream);
        }
    }
    purl.to_string()
}

/// Splits an ecosystem name into purl namespace and name.
fn split_name(package: &Package, distro: Option<&Distro>) -> (Option<String>, String) {
    let name = package.name.as_str();
    match package.package_type {
        PackageType::Deb | PackageType::Rpm | PackageType::Apk => {
            let ns = distro.map(|d| d.id.clone()).or_else(|| {
                // Without os-release, fall back to the family's usual vendor.
                Some(match package.package_type {
                    PackageType::Deb => "debian".to_string(),
                    PackageType::Apk => "alpine".to_string(),
                    _ => "redhat".to_string(),
                })
            });
            (ns, name.to_string())
        }
        PackageType::Maven => match name.split_once(':') {
            Some((group, artifact)) => (Some(group.to_string()), artifact.to_string()),
            None => (None, name.to_string()),
        },
        PackageType::Npm => match name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, rest)) => (Some(format!("@{scope}")), rest.to_string()),
            None => (None, name.to_string()),
        },
        PackageType::Golang | PackageType::Composer => match name.rsplit_once('/') {
            Some((ns, rest)) => (Some(ns.to_string()), rest.to_string()),
            None => (None, name.to_string()),
        },
        PackageType::Pypi => {
            // purl-spec: PyPI names are lower case with `_` replaced by `-`.
            (None, name.to_ascii_lowercase().replace('_', "-"))
        }
        _ => (None, name.to_string()),
    }
}

/// Rebuilds a package from its package URL (when reading SBOMs written by
/// other tools): the inverse of [`build`]. `None` for purl types Vedette
/// does not know or strings that are not purls.
pub fn parse(purl: &str) -> Option<Package> {
    let url = PackageUrl::from_str(purl).ok()?;
    let package_type = PackageType::from_purl_type(url.ty())?;
    let name = match (package_type, url.namespace()) {
        (PackageType::Maven, Some(ns)) => format!("{ns}:{}", url.name()),
        (PackageType::Npm | PackageType::Golang | PackageType::Composer, Some(ns)) => {
            format!("{ns}/{}", url.name())
        }
        _ => url.name().to_string(),
    };
    let qualifier = |key: &str| url.qualifiers().get(key).map(|v| v.to_string());
    let mut version = url.version().unwrap_or_default().to_string();
    if package_type == PackageType::Rpm
        && let Some(epoch) = qualifier("epoch").filter(|e| e != "0")
    {
        version = format!("{epoch}:{version}");
    }
    let mut package = Package::new(package_type, name, version);
    package.purl = purl.to_string();
    package.arch = qualifier("arch");
    if let Some(upstream) = qualifier("upstream") {
        match upstream.split_once('@') {
            Some((name, version)) => {
                package.source_name = Some(name.to_string());
                package.source_version = Some(version.to_string());
            }
            None => package.source_name = Some(upstream),
        }
    }
    Some(package)
}

/// The distro named by an OS package's `distro` qualifier (`debian-12`).
pub fn distro_of(purl: &str) -> Option<Distro> {
    let url = PackageUrl::from_str(purl).ok()?;
    let qualifier = url.qualifiers().get("distro")?;
    let (id, version_id) = match qualifier.rsplit_once('-') {
        Some((id, v)) if v.starts_with(|c: char| c.is_ascii_digit()) => {
            (id.to_string(), v.to_string())
        }
        _ => (
            url.namespace().unwrap_or(qualifier).to_string(),
            String::new(),
        ),
    };
    Some(Distro {
        id,
        version_id,
        ..Distro::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn debian() -> Distro {
        Distro {
            id: "debian".into(),
            version_id: "12".into(),
            id_like: vec![],
            pretty_name: "Debian GNU/Linux 12 (bookworm)".into(),
            version_codename: Some("bookworm".into()),
        }
    }

    #[test]
    fn deb_with_distro_arch_and_upstream() {
        let mut p = Package::new(PackageType::Deb, "libc6", "2.36-9+deb12u4");
        p.arch = Some("amd64".into());
        p.source_name = Some("glibc".into());
        assert_eq!(
            build(&p, Some(&debian())),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc"
        );
    }

    #[test]
    fn rpm_epoch_becomes_a_qualifier() {
        let mut p = Package::new(PackageType::Rpm, "openssl-libs", "1:3.0.7-27.el9");
        p.arch = Some("x86_64".into());
        let d = Distro {
            id: "rocky".into(),
            version_id: "9.3".into(),
            ..Distro::default()
        };
        assert_eq!(
            build(&p, Some(&d)),
            "pkg:rpm/rocky/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rocky-9.3&epoch=1"
        );
    }

    #[test]
    fn language_namespaces() {
        let cases = [
            (
                PackageType::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
                "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            ),
            (
                PackageType::Npm,
                "@babel/core",
                "7.0.0",
                "pkg:npm/%40babel/core@7.0.0",
            ),
            (
                PackageType::Npm,
                "lodash",
                "4.17.21",
                "pkg:npm/lodash@4.17.21",
            ),
            (
                PackageType::Golang,
                "github.com/gorilla/mux",
                "v1.8.0",
                "pkg:golang/github.com/gorilla/mux@v1.8.0",
            ),
            (
                PackageType::Composer,
                "symfony/console",
                "v6.0.0",
                "pkg:composer/symfony/console@v6.0.0",
            ),
            (
                PackageType::Pypi,
                "Django_Extensions",
                "3.2.3",
                "pkg:pypi/django-extensions@3.2.3",
            ),
            (
                PackageType::Cargo,
                "serde",
                "1.0.0",
                "pkg:cargo/serde@1.0.0",
            ),
        ];
        for (ty, name, version, want) in cases {
            assert_eq!(
                build(&Package::new(ty, name, version), None),
                want,
                "{name}"
            );
        }
    }

    #[test]
    fn parse_is_the_inverse_of_build() {
        let mut rpm = Package::new(PackageType::Rpm, "openssl-libs", "1:3.0.7-27.el9");
        rpm.arch = Some("x86_64".into());
        rpm.source_name = Some("openssl".into());
        rpm.source_version = Some("3.0.7-27.el9".into());
        let mut deb = Package::new(PackageType::Deb, "libc6", "2.36-9+deb12u4");
        deb.arch = Some("amd64".into());
        deb.source_name = Some("glibc".into());
        let others = [
            Package::new(
                PackageType::Maven,
                "org.apache.logging.log4j:log4j-core",
                "2.14.1",
            ),
            Package::new(PackageType::Npm, "@babel/core", "7.0.0"),
            Package::new(PackageType::Golang, "github.com/gorilla/mux", "v1.8.0"),
            Package::new(PackageType::Composer, "symfony/console", "v6.0.0"),
        ];
        for original in [rpm, deb].into_iter().chain(others) {
            let purl = build(&original, Some(&debian()));
            let back = parse(&purl).expect("a valid purl");
            assert_eq!(
                (&back.name, &back.version, back.package_type),
                (&original.name, &original.version, original.package_type),
                "{purl}"
            );
            assert_eq!(back.arch, original.arch);
            assert_eq!(back.source_name, original.source_name, "{purl}");
        }
        assert_eq!(
            distro_of("pkg:deb/debian/libc6@2.36?distro=debian-12").map(|d| d.purl_qualifier()),
            Some("debian-12".into())
        );
        assert!(parse("pkg:conda/numpy@1.0").is_none());
        assert!(parse("not a purl").is_none());
    }
}
