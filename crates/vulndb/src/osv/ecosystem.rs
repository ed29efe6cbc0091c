//! OSV ecosystem strings mapped to Vedette package types and distro
//! releases.
//!
//! OSV names an ecosystem, optionally followed by `:` and a release or
//! repository: `PyPI`, `Debian:12`, `Alpine:v3.18`, `Ubuntu:22.04:LTS`,
//! `Ubuntu:Pro:18.04:LTS`, `AlmaLinux:8`, `Rocky Linux:9`,
//! `Red Hat:rhel_aus:8.6::appstream`, `openSUSE:Leap 15.5`,
//! `SUSE:Linux Enterprise Server 15 SP5`, `Packagist:https://packages.drupal.org/8`.
//! The list is in `ossf-osv-schema/ecosystems.json` of the test data.

use vedette_model::package::{PackageType, VersionScheme};

/// What an OSV ecosystem string means for matching.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ecosystem {
    /// The ecosystem name without release, e.g. `Debian` or `Rocky Linux`.
    pub base: String,
    /// The Vedette package type, when Vedette catalogs such packages.
    pub package_type: Option<PackageType>,
    /// How versions of this ecosystem order, when Vedette knows.
    pub scheme: Option<VersionScheme>,
    /// The `os-release` `ID` of the distribution, for distro ecosystems.
    pub distro: Option<&'static str>,
    /// The distribution release (`12`, `3.18`, `22.04`, `8`), or the
    /// repository qualifier of a language ecosystem.
    pub release: Option<String>,
}

impl Ecosystem {
    /// Interprets an OSV ecosystem string. Unknown ecosystems are returned
    /// with no package type and no scheme (they can still be stored and
    /// matched by exact version).
    pub fn parse(ecosystem: &str) -> Ecosystem {
        let (base, rest) = match ecosystem.split_once(':') {
            Some((b, r)) => (b.trim(), Some(r.trim())),
            None => (ecosystem.trim(), None),
        };
        let language = |t: PackageType| (Some(t), Some(t.version_scheme()), None);
        let os = |t: PackageType, id: &'static str| (Some(t), Some(t.version_scheme()), Some(id));
        let (package_type, scheme, distro) = match base {
            "PyPI" => language(PackageType::Pypi),
            "npm" => language(PackageType::Npm),
            "Maven" => language(PackageType::Maven),
            "Go" => language(PackageType::Golang),
            "crates.io" => language(PackageType::Cargo),
            "RubyGems" => language(PackageType::Gem),
            "Packagist" => language(PackageType::Composer),
            "NuGet" => language(PackageType::Nuget),
            "Debian" => os(PackageType::Deb, "debian"),
            "Ubuntu" => os(PackageType::Deb, "ubuntu"),
            "Alpine" => os(PackageType::Apk, "alpine"),
            "Wolfi" => os(PackageType::Apk, "wolfi"),
            "Chainguard" => os(PackageType::Apk, "chainguard"),
            "Alpaquita" => os(PackageType::Apk, "alpaquita"),
            "MinimOS" => os(PackageType::Apk, "minimos"),
            "AlmaLinux" => os(PackageType::Rpm, "almalinux"),
            "Rocky Linux" => os(PackageType::Rpm, "rocky"),
            "Red Hat" => os(PackageType::Rpm, "rhel"),
            "openSUSE" => os(PackageType::Rpm, "opensuse"),
            "SUSE" => os(PackageType::Rpm, "sles"),
            "Mageia" => os(PackageType::Rpm, "mageia"),
            "openEuler" => os(PackageType::Rpm, "openEuler"),
            "Azure Linux" => os(PackageType::Rpm, "azurelinux"),
            "Photon OS" => os(PackageType::Rpm, "photon"),
            // SemVer ecosystems Vedette does not catalog: ranges still
            // evaluate with SemVer precedence, through the lenient Go parser
            // (optional `v`, `1.2` shorthand) as for all SEMVER ranges.
            "Bitnami" | "Hex" | "SwiftURL" => (None, Some(VersionScheme::Go), None),
            _ => (None, None, None),
        };
        Ecosystem {
            base: base.to_string(),
            package_type,
            scheme,
            distro,
            release: rest.and_then(|r| release_of(base, r)),
        }
    }

    /// Whether this ecosystem is a Linux distribution.
    pub fn is_distro(&self) -> bool {
        self.distro.is_some()
    }
}

/// Extracts the release from what follows the first `:`.
fn release_of(base: &str, rest: &str) -> Option<String> {
    let release = match base {
        // `v3.18` → `3.18`
        "Alpine" => rest.trim_start_matches('v').to_string(),
        // `22.04:LTS`, `Pro:18.04:LTS`, `22.04:FIPS`, `25.10`
        "Ubuntu" => rest
            .split(':')
            .find(|part| part.starts_with(|c: char| c.is_ascii_digit()))?
            .to_string(),
        // `rhel_aus:8.6::appstream`, `enterprise_linux:9::baseos` → `8.6`, `9`
        "Red Hat" => rest
            .split(':')
            .find(|part| part.starts_with(|c: char| c.is_ascii_digit()))?
            .to_string(),
        // `Leap 15.5`, `Linux Enterprise Server 15 SP5` → the version words
        "openSUSE" | "SUSE" => {
            let words: Vec<&str> = rest
                .split_whitespace()
                .skip_while(|w| !w.starts_with(|c: char| c.is_ascii_digit()))
                .collect();
            if words.is_empty() {
                rest.to_string()
            } else {
                words.join(" ")
            }
        }
        _ => rest.to_string(),
    };
    (!release.is_empty()).then_some(release)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(s: &str, t: Option<PackageType>, distro: Option<&str>, release: Option<&str>) {
        let e = Ecosystem::parse(s);
        assert_eq!(e.package_type, t, "{s}");
        assert_eq!(e.distro, distro, "{s}");
        assert_eq!(e.release.as_deref(), release, "{s}");
    }

    #[test]
    fn ecosystems_seen_in_the_test_data() {
        use PackageType::*;
        check("PyPI", Some(Pypi), None, None);
        check("Go", Some(Golang), None, None);
        check("crates.io", Some(Cargo), None, None);
        check(
            "Packagist:https://packages.drupal.org/8",
            Some(Composer),
            None,
            Some("https://packages.drupal.org/8"),
        );
        check("Debian:12", Some(Deb), Some("debian"), Some("12"));
        check("Alpine:v3.18", Some(Apk), Some("alpine"), Some("3.18"));
        check("Ubuntu:22.04:LTS", Some(Deb), Some("ubuntu"), Some("22.04"));
        check(
            "Ubuntu:Pro:16.04:LTS",
            Some(Deb),
            Some("ubuntu"),
            Some("16.04"),
        );
        check("Ubuntu:25.10", Some(Deb), Some("ubuntu"), Some("25.10"));
        check("AlmaLinux:8", Some(Rpm), Some("almalinux"), Some("8"));
        check("Rocky Linux:9", Some(Rpm), Some("rocky"), Some("9"));
        check(
            "Red Hat:rhel_aus:8.6::appstream",
            Some(Rpm),
            Some("rhel"),
            Some("8.6"),
        );
        check(
            "openSUSE:Leap 15.5",
            Some(Rpm),
            Some("opensuse"),
            Some("15.5"),
        );
        check(
            "SUSE:Linux Enterprise Server 15 SP5",
            Some(Rpm),
            Some("sles"),
            Some("15 SP5"),
        );
        check("Wolfi", Some(Apk), Some("wolfi"), None);
        check("CRAN", None, None, None);
        assert_eq!(Ecosystem::parse("Bitnami").scheme, Some(VersionScheme::Go));
        assert_eq!(Ecosystem::parse("Hackage").scheme, None);
    }
}
