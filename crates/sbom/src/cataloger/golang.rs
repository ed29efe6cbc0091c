//! Go executables: the module build information the Go linker embeds
//! (`go version -m` prints the same), read from the `.go.buildinfo` section.
//!
//! Layout (Go's `debug/buildinfo`): a 32-byte header starting with
//! `\xff Go buildinf:`, then pointer size (byte 14) and flags (byte 15).
//! With flag 2 (Go ≥ 1.18) two varint-prefixed strings follow the header:
//! the Go version and the module info. Older binaries store two pointers
//! instead; those are not read (a warning says so). The module info, between
//! 16-byte sentinels, has `mod` (main module), `dep` and `=>` (replacement)
//! lines of tab-separated path and version.
//!
//! Hand-written on top of `object`: no crate reads Go build info.

use vedette_model::package::{Package, PackageType};

use super::{Cataloger, Found, is_object_file, maybe_executable, read_section};
use crate::Error;
use crate::source::{FileInfo, FileInput};

const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// The section is a header and two strings: anything larger is not Go's.
const SECTION_LIMIT: u64 = 16 << 20;

/// Cataloger for Go executables.
pub struct GoBinaryCataloger;

impl Cataloger for GoBinaryCataloger {
    fn name(&self) -> &'static str {
        "go-binary"
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
        let Some(data) = read_section(
            path,
            input,
            &[".go.buildinfo", "__go_buildinfo"],
            SECTION_LIMIT,
        )?
        else {
            return Ok(Found::default());
        };
        parse(&data).map_err(|reason| Error::malformed(path, reason))
    }
}

/// Parses the content of a `.go.buildinfo` section.
pub fn parse(data: &[u8]) -> Result<Found, String> {
    if !data.starts_with(MAGIC) || data.len() < 32 {
        return Err("no Go build info magic".into());
    }
    let flags = data[15];
    if flags & 2 == 0 {
        return Ok(Found {
            warnings: vec!["Go build info from before Go 1.18 (pointer format) is not read".into()],
            ..Found::default()
        });
    }
    let mut rest = &data[32..];
    let go_version = varint_string(&mut rest).ok_or("truncated Go version")?;
    let mod_info = varint_string(&mut rest).ok_or("truncated module info")?;
    let mut found = Found::default();
    if let Some(v) = go_version.strip_prefix("go") {
        // Go's own library, which Go advisories call `stdlib`.
        let v = v.split([' ', '-']).next().unwrap_or(v);
        found
            .packages
            .push(Package::new(PackageType::Golang, "stdlib", format!("v{v}")));
    }
    found.packages.extend(parse_mod_info(&mod_info));
    Ok(found)
}

/// Reads a uvarint length then that many bytes.
fn varint_string(rest: &mut &[u8]) -> Option<String> {
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let (&b, tail) = rest.split_first()?;
        *rest = tail;
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let len = usize::try_from(len).ok()?;
    let (s, tail) = (rest.get(..len)?, rest.get(len..)?);
    *rest = tail;
    Some(String::from_utf8_lossy(s).into_owned())
}

/// Parses `go version -m` style module lines.
pub fn parse_mod_info(info: &str) -> Vec<Package> {
    // Strip the 16-byte sentinels around the text when present.
    let info = if info.len() >= 33 && info.as_bytes().get(info.len() - 17) == Some(&b'\n') {
        info.get(16..info.len() - 16).unwrap_or(info)
    } else {
        info
    };
    let mut packages: Vec<Package> = Vec::new();
    for line in info.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["mod", path, version, ..] if *version != "(devel)" => {
                packages.push(Package::new(PackageType::Golang, *path, *version));
            }
            ["dep", path, version, ..] => {
                packages.push(Package::new(PackageType::Golang, *path, *version))
            }
            ["=>", path, version, ..] => {
                // The previous dependency is replaced by this module; a
                // replacement by a local directory keeps the required
                // module's identity (the code is not from any release).
                let local = path.starts_with(['.', '/']);
                if let Some(last) = packages.last_mut()
                    && !version.is_empty()
                    && !local
                {
                    last.name = path.to_string();
                    last.version = version.to_string();
                }
            }
            _ => {}
        }
    }
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mod_info_with_replacement() {
        let info = "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgithub.com/a/b\tv1.2.3\th1:x=\ndep\tgolang.org/x/net\tv0.1.0\th1:y=\n=>\tgithub.com/fork/net\tv0.2.0\th1:z=\ndep\texample.com/local\tv0.0.1\n=>\t./local\t(devel)\t\nbuild\t-compiler=gc\n";
        let got: Vec<_> = parse_mod_info(info)
            .iter()
            .map(|p| format!("{}@{}", p.name, p.version))
            .collect();
        assert_eq!(
            got,
            [
                "github.com/a/b@v1.2.3",
                "github.com/fork/net@v0.2.0",
                "example.com/local@v0.0.1"
            ]
        );
    }

    #[test]
    fn malformed_sections() {
        assert!(parse(b"not go").is_err());
        let mut data = MAGIC.to_vec();
        data.extend_from_slice(&[8, 2]);
        data.resize(32, 0);
        data.push(0xff); // a varint that never ends
        assert!(parse(&data).is_err());
    }
}
