//! Alpine (and Wolfi) packages from the apk database `/lib/apk/db/installed`.
//!
//! One block per package, blank-line separated, of `X:value` lines
//! (<https://wiki.alpinelinux.org/wiki/Apk_spec>): `P` name, `V` version,
//! `A` arch, `L` license, `o` origin (the source package advisories use).

use vedette_model::package::{Package, PackageType};

use super::{Cataloger, DATABASE_LIMIT, Found, is_kernel_package};
use crate::Error;
use crate::source::{FileInfo, FileInput, read_limited};

/// Cataloger for the apk database.
pub struct ApkCataloger;

impl Cataloger for ApkCataloger {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        file.path.ends_with("/lib/apk/db/installed")
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let bytes = read_limited(path, input, DATABASE_LIMIT)?;
        Ok(parse(&String::from_utf8_lossy(&bytes)))
    }
}

/// Parses an apk `installed` database.
pub fn parse(text: &str) -> Found {
    let mut found = Found::default();
    for (index, block) in text.split("\n\n").enumerate() {
        let (mut name, mut version, mut arch, mut license, mut origin) =
            (None, None, None, None, None);
        let mut dir = "";
        for line in block.lines() {
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            match key {
                // `F:` a directory, then `R:` the files in it.
                "F" => dir = value,
                "R" => found
                    .owned_files
                    .push(format!("/{dir}/{value}").replace("//", "/")),
                "P" => name = Some(value),
                "V" => version = Some(value),
                "A" => arch = Some(value),
                "L" => license = Some(value),
                "o" => origin = Some(value),
                _ => {}
            }
        }
        if block.trim().is_empty() {
            continue;
        }
        let (Some(name), Some(version)) = (name, version) else {
            found
                .warnings
                .push(format!("block {}: no P: or V: line", index + 1));
            continue;
        };
        let mut pkg = Package::new(PackageType::Apk, name, version);
        pkg.arch = arch.map(str::to_string);
        pkg.source_name = origin.map(str::to_string);
        pkg.licenses = license.into_iter().map(str::to_string).collect();
        pkg.kernel = is_kernel_package(name, origin);
        found.packages.push(pkg);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks() {
        let text = "C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nL:MIT\no:musl\nm:Maintainer\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:libssl3\nV:3.1.4-r5\nA:x86_64\nL:Apache-2.0\no:openssl\n\nP:orphan\n\n";
        let found = parse(text);
        assert_eq!(found.packages.len(), 2);
        assert_eq!(found.packages[1].source_name.as_deref(), Some("openssl"));
        assert_eq!(found.packages[1].licenses, ["Apache-2.0"]);
        assert_eq!(found.warnings.len(), 1);
        assert_eq!(
            found.owned_files,
            ["/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"]
        );
    }
}
