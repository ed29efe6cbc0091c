//! Installed Python distributions: `*.dist-info/METADATA` (wheels, pip),
//! `*.egg-info/PKG-INFO` and single-file `*.egg-info` (setuptools, Debian's
//! `python3-*` packages).
//!
//! All three are RFC 822-style core metadata
//! (<https://packaging.python.org/en/latest/specifications/core-metadata/>):
//! `Name`, `Version`, `License` / `License-Expression` headers, then a body.

use vedette_model::package::{Package, PackageType};

use super::{Cataloger, Found, read_text};
use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Cataloger for installed Python packages.
pub struct PythonCataloger;

impl Cataloger for PythonCataloger {
    fn name(&self) -> &'static str {
        "python"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        let p = file.path;
        p.ends_with(".dist-info/METADATA")
            || p.ends_with(".egg-info/PKG-INFO")
            || p.ends_with(".egg-info")
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let text = read_text(path, input)?;
        parse(&text)
            .map(|p| Found::from(vec![p]))
            .ok_or_else(|| Error::malformed(path, "no Name or Version header"))
    }
}

/// Parses core metadata headers into a package.
pub fn parse(text: &str) -> Option<Package> {
    let (mut name, mut version, mut licenses) = (None, None, Vec::new());
    for line in text.lines() {
        if line.trim().is_empty() {
            break; // the body (long description) starts here
        }
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key {
            "Name" => name = Some(value),
            "Version" => version = Some(value),
            "License-Expression" => licenses.insert(0, value.to_string()),
            // Old-style License is often a whole licence text: keep short ones.
            "License" if !value.is_empty() && value != "UNKNOWN" && value.len() < 100 => {
                licenses.push(value.to_string())
            }
            _ => {}
        }
    }
    let (name, version) = (
        name.filter(|n| !n.is_empty())?,
        version.filter(|v| !v.is_empty())?,
    );
    let mut pkg = Package::new(PackageType::Pypi, name, version);
    licenses.truncate(1);
    pkg.licenses = licenses;
    Some(pkg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_metadata() {
        let pkg = parse("Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\nLicense: Apache 2.0\n\nName: not-this\n").expect("valid");
        assert_eq!(
            (pkg.name.as_str(), pkg.version.as_str()),
            ("requests", "2.31.0")
        );
        assert_eq!(pkg.licenses, ["Apache 2.0"]);
        assert!(parse("Metadata-Version: 2.1\nName: x\n").is_none());
        assert!(parse("\u{0}\u{1}binary").is_none());
    }
}
