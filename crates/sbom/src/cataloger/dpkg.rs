//! Debian and Ubuntu packages from the dpkg database: `/var/lib/dpkg/status`
//! and distroless images' `/var/lib/dpkg/status.d/*` (one file per package).
//!
//! The database is a list of deb822 stanzas separated by blank lines. Only
//! packages whose `Status` ends in `installed` count (status.d files have no
//! `Status`: what is there is installed). `Source: name (version)` gives the
//! source package that Debian's and Ubuntu's advisories are written against.

use vedette_model::package::{Package, PackageType};

use super::{Cataloger, DATABASE_LIMIT, Found, is_kernel_package};
use crate::Error;
use crate::source::{FileInfo, FileInput, read_limited};

/// Cataloger for the dpkg database.
pub struct DpkgCataloger;

impl Cataloger for DpkgCataloger {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        let p = file.path;
        p.ends_with("/var/lib/dpkg/status")
            || p.contains("/var/lib/dpkg/status.d/")
            || p.contains("/var/lib/dpkg/info/") && p.ends_with(".list")
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let bytes = read_limited(path, input, DATABASE_LIMIT)?;
        let text = String::from_utf8_lossy(&bytes);
        if path.ends_with(".list") {
            // `info/<package>.list`: the package's files, one per line.
            return Ok(Found {
                owned_files: text
                    .lines()
                    .filter(|l| l.starts_with('/'))
                    .map(str::to_string)
                    .collect(),
                ..Found::default()
            });
        }
        if path.ends_with(".md5sums") {
            // Distroless `status.d/<package>.md5sums`: `<md5>  <path without />`.
            return Ok(Found {
                owned_files: text
                    .lines()
                    .filter_map(|l| l.split_once("  "))
                    .map(|(_, file)| format!("/{}", file.trim_start_matches('/')))
                    .collect(),
                ..Found::default()
            });
        }
        Ok(parse(&text, path.contains("/status.d/")))
    }
}

/// Parses a dpkg status file; `assume_installed` for status.d files.
pub fn parse(text: &str, assume_installed: bool) -> Found {
    let mut found = Found::default();
    for (index, stanza) in stanzas(text).enumerate() {
        let field = |name: &str| {
            stanza
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim())
        };
        if stanza.is_empty() {
            found
                .warnings
                .push(format!("stanza {}: no `Field: value` lines", index + 1));
            continue;
        }
        let installed = match field("Status") {
            Some(status) => status.ends_with(" installed"),
            None if assume_installed => true,
            None => {
                found
                    .warnings
                    .push(format!("stanza {}: no Status field", index + 1));
                continue;
            }
        };
        if !installed {
            continue;
        }
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            found
                .warnings
                .push(format!("stanza {}: no Package or Version field", index + 1));
            continue;
        };
        if name.is_empty() || version.is_empty() {
            found
                .warnings
                .push(format!("stanza {}: empty Package or Version", index + 1));
            continue;
        }
        let mut pkg = Package::new(PackageType::Deb, name, version);
        pkg.arch = field("Architecture")
            .filter(|a| !a.is_empty())
            .map(str::to_string);
        if let Some(source) = field("Source") {
            // `Source: glibc (2.36-9)` when the source version differs.
            let (source_name, source_version) = match source.split_once('(') {
                Some((n, v)) => (n.trim(), Some(v.trim_end_matches(')').trim())),
                None => (source, None),
            };
            if !source_name.is_empty() {
                pkg.source_name = Some(source_name.to_string());
                pkg.source_version = source_version.map(str::to_string);
            }
        }
        pkg.kernel = is_kernel_package(&pkg.name, pkg.source_name.as_deref());
        found.packages.push(pkg);
    }
    found
}

/// Splits deb822 text into stanzas of `(field, value)`; continuation lines
/// (starting with a space or tab) are dropped, no field we read uses them.
/// Blocks of text without any field come out empty, so that the caller can
/// report them.
fn stanzas(text: &str) -> impl Iterator<Item = Vec<(&str, &str)>> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            block
                .lines()
                .filter(|l| !l.starts_with([' ', '\t']) && !l.starts_with('#'))
                .filter_map(|l| l.split_once(':'))
                .collect()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stanzas_status_and_source() {
        let text = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\nDescription: GNU C Library\n more text: with colon\n\n\
Package: gone\nStatus: deinstall ok config-files\nVersion: 1.0\n\n\
Package: zlib1g\nStatus: install ok installed\nSource: zlib (1:1.2.13.dfsg-1)\nVersion: 1:1.2.13.dfsg-1+b1\n\n\
Package: broken\nStatus: install ok installed\n\n\
Package: linux-image-6.1.0-18-amd64\nStatus: install ok installed\nSource: linux-signed-amd64 (6.1.76+1)\nVersion: 6.1.76-1\n";
        let found = parse(text, false);
        let names: Vec<_> = found.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libc6", "zlib1g", "linux-image-6.1.0-18-amd64"]);
        assert_eq!(found.packages[0].source_name.as_deref(), Some("glibc"));
        assert_eq!(found.packages[0].arch.as_deref(), Some("amd64"));
        assert_eq!(
            found.packages[1].source_version.as_deref(),
            Some("1:1.2.13.dfsg-1")
        );
        assert!(found.packages[2].kernel);
        assert!(!found.packages[0].kernel);
        assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
    }

    #[test]
    fn distroless_status_d_has_no_status_field() {
        let found = parse(
            "Package: tzdata\nVersion: 2024a-0+deb12u1\nArchitecture: all\n",
            true,
        );
        assert_eq!(found.packages.len(), 1);
        assert!(
            parse("Package: tzdata\nVersion: 2024a-0+deb12u1\n", false)
                .packages
                .is_empty()
        );
    }

    #[test]
    fn file_lists_of_status_d_and_info() -> Result<(), Error> {
        use std::io::Cursor;
        let md5 = "0a1b  usr/share/zoneinfo/UTC\n2c3d  usr/share/doc/tzdata/copyright\n";
        let found = DpkgCataloger.catalog(
            "/var/lib/dpkg/status.d/tzdata.md5sums",
            &mut Cursor::new(md5),
        )?;
        assert_eq!(
            found.owned_files,
            ["/usr/share/zoneinfo/UTC", "/usr/share/doc/tzdata/copyright"]
        );
        assert!(found.packages.is_empty());
        let list = "/.\n/usr\n/usr/bin/bash\n";
        let found =
            DpkgCataloger.catalog("/var/lib/dpkg/info/bash.list", &mut Cursor::new(list))?;
        assert_eq!(found.owned_files, ["/.", "/usr", "/usr/bin/bash"]);
        Ok(())
    }
}
