//! Rust crates: `Cargo.lock` files, and the dependency list that
//! `cargo auditable` embeds in binaries (section `.dep-v0`: zlib-compressed
//! JSON, <https://github.com/rust-secure-code/cargo-auditable>).
//!
//! The binary's section is read alone (not the whole executable) and its
//! decompression is bounded ([`AUDIT_JSON_LIMIT`]).

use std::io::Read;

use serde::Deserialize;
use vedette_model::package::{Package, PackageType};

use super::{Cataloger, Found, is_object_file, maybe_executable, read_section, read_text};
use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Largest compressed `.dep-v0` section read.
const SECTION_LIMIT: u64 = 4 << 20;
/// Largest decompressed audit JSON (cargo-auditable itself caps it at 8 MiB).
pub const AUDIT_JSON_LIMIT: u64 = 8 << 20;

/// Cataloger for `Cargo.lock`.
pub struct CargoLockCataloger;

/// Cataloger for cargo-auditable binaries.
pub struct AuditableBinaryCataloger;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Locked>,
}

#[derive(Deserialize)]
struct Locked {
    name: String,
    version: String,
}

#[derive(Deserialize)]
struct Audit {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
}

impl Cataloger for CargoLockCataloger {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        file.file_name() == "Cargo.lock"
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let text = read_text(path, input)?;
        let lock: Lock = toml::from_str(&text).map_err(|e| Error::malformed(path, e.message()))?;
        Ok(lock
            .package
            .into_iter()
            .map(|p| Package::new(PackageType::Cargo, p.name, p.version))
            .collect::<Vec<_>>()
            .into())
    }
}

impl Cataloger for AuditableBinaryCataloger {
    fn name(&self) -> &'static str {
        "rust-auditable"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        maybe_executable(file)
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        if !is_object_file(input) {
            return Ok(Found::default());
        }
        let Some(compressed) = read_section(path, input, &[".dep-v0"], SECTION_LIMIT)? else {
            return Ok(Found::default());
        };
        parse_audit_section(path, &compressed)
    }
}

/// Decompresses (bounded) and parses a `.dep-v0` section.
pub fn parse_audit_section(path: &str, compressed: &[u8]) -> Result<Found, Error> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(AUDIT_JSON_LIMIT + 1)
        .read_to_end(&mut json)
        .map_err(|e| Error::malformed(path, format!(".dep-v0: {e}")))?;
    if json.len() as u64 > AUDIT_JSON_LIMIT {
        return Err(Error::TooLarge {
            path: format!("{path} (.dep-v0 decompressed)"),
            limit: AUDIT_JSON_LIMIT,
        });
    }
    let audit: Audit = serde_json::from_slice(&json)
        .map_err(|e| Error::malformed(path, format!(".dep-v0: {e}")))?;
    Ok(audit
        .packages
        .into_iter()
        // Local crates are the binary's own workspace, not published crates.
        .filter(|p| p.source != "local")
        .map(|p| Package::new(PackageType::Cargo, p.name, p.version))
        .collect::<Vec<_>>()
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    #[test]
    fn cargo_lock() -> Result<(), Error> {
        let lock = "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.193\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n";
        let found = CargoLockCataloger.catalog("/src/Cargo.lock", &mut Cursor::new(lock))?;
        assert_eq!(found.packages.len(), 2);
        assert!(
            CargoLockCataloger
                .catalog("/src/Cargo.lock", &mut Cursor::new("[[package]\n"))
                .is_err()
        );
        Ok(())
    }

    #[test]
    fn audit_section_bomb_is_bounded() -> Result<(), Box<dyn std::error::Error>> {
        // 64 MiB of zeros compresses to about 64 KiB.
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![b' '; 64 << 20])?;
        let bomb = enc.finish()?;
        assert!(matches!(
            parse_audit_section("/bin/x", &bomb),
            Err(Error::TooLarge { .. })
        ));
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","kind":"runtime","root":true},{"name":"itoa","version":"1.0.9","source":"crates.io"}]}"#)?;
        let found = parse_audit_section("/bin/x", &enc.finish()?)?;
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.packages[0].name, "itoa");
        Ok(())
    }
}
