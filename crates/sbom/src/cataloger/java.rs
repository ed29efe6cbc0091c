//! Java archives (`.jar`, `.war`, `.ear`, Jenkins `.hpi`/`.jpi`), including
//! archives nested inside them (`WEB-INF/lib/*.jar`, Spring Boot's
//! `BOOT-INF/lib/*.jar`).
//!
//! Every `META-INF/maven/<group>/<artifact>/pom.properties` is a package
//! (shaded jars carry several). An archive without any falls back to its
//! `META-INF/MANIFEST.MF` and file name.
//!
//! Hostile archives are bounded: nesting depth ([`MAX_DEPTH`]), the size of
//! a nested archive held in memory ([`MAX_NESTED_SIZE`]), the bytes inflated
//! per outer archive ([`INFLATE_BUDGET`], against zip bombs) and the entry
//! count ([`MAX_ENTRIES`]). The outer archive is read through seeks: only
//! its central directory and the entries we need are read.

use std::io::{Cursor, Read, Seek};

use vedette_model::package::{Package, PackageType};
use zip::ZipArchive;

use super::{Cataloger, Found};
use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Deepest archive nesting read (the file itself is depth 0).
pub const MAX_DEPTH: usize = 4;
/// Largest nested archive loaded into memory.
pub const MAX_NESTED_SIZE: u64 = 64 << 20;
/// Bytes that may be inflated from one outer archive, nested ones included.
pub const INFLATE_BUDGET: u64 = 256 << 20;
/// Largest entry count per archive.
pub const MAX_ENTRIES: usize = 200_000;
/// Largest `pom.properties` or manifest read.
const MAX_META_SIZE: u64 = 1 << 20;

/// Cataloger for Java archives.
pub struct JavaCataloger;

impl Cataloger for JavaCataloger {
    fn name(&self) -> &'static str {
        "java"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        is_archive_name(file.file_name())
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let archive =
            ZipArchive::new(input).map_err(|e| Error::malformed(path, format!("zip: {e}")))?;
        let mut walk = Walk {
            found: Found::default(),
            budget: INFLATE_BUDGET,
        };
        walk.archive(archive, path, 0)?;
        Ok(walk.found)
    }
}

fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".jar", ".war", ".ear", ".hpi", ".jpi"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// State of one outer archive's traversal.
struct Walk {
    found: Found,
    /// Inflation bytes left.
    budget: u64,
}

impl Walk {
    fn archive<R: Read + Seek>(
        &mut self,
        mut zip: ZipArchive<R>,
        location: &str,
        depth: usize,
    ) -> Result<(), Error> {
        if zip.len() > MAX_ENTRIES {
            return Err(Error::malformed(
                location,
                format!("{} entries, more than {MAX_ENTRIES}", zip.len()),
            ));
        }
        let names: Vec<String> = (0..zip.len())
            .map(|i| {
                zip.name_for_index(i)
                    .and_then(|n| n.ok())
                    .map(|n| n.into_owned())
                    .unwrap_or_default()
            })
            .collect();
        let mut poms = 0;
        for (i, name) in names.iter().enumerate() {
            if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
                let text = self.read_entry(&mut zip, i, location, MAX_META_SIZE)?;
                match pom_package(&String::from_utf8_lossy(&text)) {
                    Some(mut pkg) => {
                        pkg.locations.push(location.to_string());
                        self.found.packages.push(pkg);
                        poms += 1;
                    }
                    None => self.found.warnings.push(format!(
                        "{location}!{name}: no groupId, artifactId or version"
                    )),
                }
            }
        }
        if poms == 0 {
            let manifest = match names.iter().position(|n| n == "META-INF/MANIFEST.MF") {
                Some(i) => String::from_utf8_lossy(&self.read_entry(
                    &mut zip,
                    i,
                    location,
                    MAX_META_SIZE,
                )?)
                .into_owned(),
                None => String::new(),
            };
            if let Some(mut pkg) = manifest_package(&manifest, location) {
                pkg.locations.push(location.to_string());
                self.found.packages.push(pkg);
            }
        }
        for (i, name) in names.iter().enumerate() {
            if !is_archive_name(name) {
                continue;
            }
            let nested_location = format!("{location}!/{name}");
            if depth + 1 > MAX_DEPTH {
                self.found.warnings.push(format!(
                    "{nested_location}: nested deeper than {MAX_DEPTH} archives, skipped"
                ));
                continue;
            }
            let bytes = match self.read_entry(&mut zip, i, location, MAX_NESTED_SIZE) {
                Ok(bytes) => bytes,
                Err(e) => {
                    self.found.warnings.push(format!("{nested_location}: {e}"));
                    continue;
                }
            };
            match ZipArchive::new(Cursor::new(bytes)) {
                Ok(nested) => {
                    if let Err(e) = self.archive(nested, &nested_location, depth + 1) {
                        self.found.warnings.push(e.to_string());
                    }
                }
                Err(e) => self
                    .found
                    .warnings
                    .push(format!("{nested_location}: not a zip archive: {e}")),
            }
        }
        Ok(())
    }

    /// Inflates entry `index`, at most `limit` bytes and within the budget.
    fn read_entry<R: Read + Seek>(
        &mut self,
        zip: &mut ZipArchive<R>,
        index: usize,
        location: &str,
        limit: u64,
    ) -> Result<Vec<u8>, Error> {
        let limit = limit.min(self.budget);
        let entry = zip
            .by_index(index)
            .map_err(|e| Error::malformed(location, format!("zip entry {index}: {e}")))?;
        let mut buf = Vec::new();
        entry
            .take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| Error::malformed(location, format!("zip entry {index}: {e}")))?;
        self.budget = self.budget.saturating_sub(buf.len() as u64);
        if buf.len() as u64 > limit {
            return Err(Error::TooLarge {
                path: format!("{location} (entry {index})"),
                limit,
            });
        }
        Ok(buf)
    }
}

/// Reads `groupId`, `artifactId` and `version` from pom.properties.
fn pom_package(text: &str) -> Option<Package> {
    let get = |key: &str| {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let (group, artifact, version) = (get("groupId")?, get("artifactId")?, get("version")?);
    Some(Package::new(
        PackageType::Maven,
        format!("{group}:{artifact}"),
        version,
    ))
}

/// The main section's attributes of a manifest. Lines are wrapped at 72
/// bytes, a continuation line starting with one space
/// (<https://docs.oracle.com/en/java/javase/17/docs/specs/jar/jar.html#manifest-specification>).
fn manifest_attributes(text: &str) -> Vec<(String, String)> {
    let mut attrs: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break; // the main section ends; per-entry sections follow
        }
        if let Some(more) = line.strip_prefix(' ') {
            if let Some((_, value)) = attrs.last_mut() {
                value.push_str(more);
            }
        } else if let Some((k, v)) = line.split_once(':') {
            attrs.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    attrs
}

/// Falls back on the manifest and the file name (`log4j-core-2.14.1.jar`).
fn manifest_package(manifest: &str, location: &str) -> Option<Package> {
    let attrs = manifest_attributes(manifest);
    let attr = |key: &str| {
        attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let file = location.rsplit(['/', '!']).next().unwrap_or(location);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    // `name-1.2.3` → (`name`, `1.2.3`): the version starts at the first
    // `-<digit>`.
    let from_name = stem
        .match_indices('-')
        .find(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        .map(|(i, _)| (&stem[..i], &stem[i + 1..]));
    let version = attr("Implementation-Version")
        .or_else(|| attr("Bundle-Version"))
        .or_else(|| attr("Specification-Version"))
        .or(from_name.map(|(_, v)| v))?;
    let artifact = from_name
        .map(|(n, _)| n)
        .or_else(|| attr("Implementation-Title"))
        .or_else(|| attr("Bundle-SymbolicName"))
        .unwrap_or(stem);
    let name = match attr("Implementation-Vendor-Id").or_else(|| attr("Automatic-Module-Name")) {
        Some(group) if !group.contains(' ') => format!("{group}:{artifact}"),
        _ => artifact.to_string(),
    };
    Some(Package::new(PackageType::Maven, name, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use zip::write::{SimpleFileOptions, ZipWriter};

    fn jar(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in entries {
            w.start_file(*name, SimpleFileOptions::default())
                .expect("zip entry");
            w.write_all(data).expect("zip write");
        }
        w.finish().expect("zip finish").into_inner()
    }

    #[test]
    fn manifest_continuation_lines() {
        let m = "Manifest-Version: 1.0\r\nImplementation-Title: very-long-artifact-name-that-does-not-fit-on-one-manifest-l\r\n ine\r\nImplementation-Version: 1.2.3\r\n\r\nName: x/y\r\nImplementation-Version: 9\r\n";
        let p = manifest_package(m, "/lib/app.jar").expect("a package");
        assert_eq!(p.version, "1.2.3");
        assert_eq!(
            p.name,
            "very-long-artifact-name-that-does-not-fit-on-one-manifest-line"
        );
    }

    #[test]
    fn pom_properties_nested_and_manifest_fallback() -> Result<(), Error> {
        let inner = jar(&[(
            "META-INF/maven/org.example/inner/pom.properties",
            b"groupId=org.example\nartifactId=inner\nversion=1.0\n",
        )]);
        let plain = jar(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Version: 3.2\n",
        )]);
        let outer = jar(&[
            (
                "META-INF/maven/org.example/app/pom.properties",
                b"groupId=org.example\nartifactId=app\nversion=2.0\n",
            ),
            ("WEB-INF/lib/inner-1.0.jar", &inner),
            ("WEB-INF/lib/plain-3.2.jar", &plain),
        ]);
        let found = JavaCataloger.catalog("/srv/app.war", &mut Cursor::new(outer))?;
        let got: Vec<_> = found
            .packages
            .iter()
            .map(|p| format!("{}@{} {}", p.name, p.version, p.locations[0]))
            .collect();
        assert_eq!(
            got,
            [
                "org.example:app@2.0 /srv/app.war",
                "org.example:inner@1.0 /srv/app.war!/WEB-INF/lib/inner-1.0.jar",
                "plain@3.2 /srv/app.war!/WEB-INF/lib/plain-3.2.jar",
            ]
        );
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        Ok(())
    }
}
