//! .NET packages: `*.deps.json` (next to built applications) and NuGet's
//! `packages.lock.json`.
//!
//! `deps.json` lists `libraries` keyed `Name/Version` with a `type`
//! (`package` for NuGet packages, `project` for the app itself);
//! `packages.lock.json` lists, per target framework, packages with their
//! `resolved` version.

use std::collections::BTreeMap;

use serde::Deserialize;
use vedette_model::package::{Package, PackageType};

use super::{Cataloger, Found, read_text};
use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Cataloger for .NET dependency files.
pub struct DotnetCataloger;

#[derive(Deserialize)]
struct DepsJson {
    #[serde(default)]
    libraries: BTreeMap<String, Library>,
}

#[derive(Deserialize)]
struct Library {
    #[serde(rename = "type", default)]
    kind: String,
}

#[derive(Deserialize)]
struct LockJson {
    #[serde(default)]
    dependencies: BTreeMap<String, BTreeMap<String, Locked>>,
}

#[derive(Deserialize)]
struct Locked {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    resolved: Option<String>,
}

impl Cataloger for DotnetCataloger {
    fn name(&self) -> &'static str {
        "dotnet"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        let name = file.file_name();
        name.ends_with(".deps.json") || name == "packages.lock.json"
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let text = read_text(path, input)?;
        let mut packages = Vec::new();
        if path.ends_with(".deps.json") {
            let deps: DepsJson =
                serde_json::from_str(&text).map_err(|e| Error::malformed(path, e))?;
            for (key, lib) in deps.libraries {
                if !lib.kind.eq_ignore_ascii_case("package") {
                    continue;
                }
                if let Some((name, version)) = key.split_once('/') {
                    packages.push(Package::new(PackageType::Nuget, name, version));
                }
            }
        } else {
            let lock: LockJson =
                serde_json::from_str(&text).map_err(|e| Error::malformed(path, e))?;
            let mut seen = std::collections::BTreeSet::new();
            for deps in lock.dependencies.into_values() {
                for (name, dep) in deps {
                    let Some(version) = dep.resolved else {
                        continue;
                    };
                    if dep.kind.eq_ignore_ascii_case("project")
                        || !seen.insert((name.clone(), version.clone()))
                    {
                        continue;
                    }
                    packages.push(Package::new(PackageType::Nuget, name, version));
                }
            }
        }
        Ok(packages.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn deps_and_lock() -> Result<(), Error> {
        let deps = r#"{"runtimeTarget":{"name":".NETCoreApp,Version=v6.0"},"libraries":{"App/1.0.0":{"type":"project"},"Newtonsoft.Json/13.0.1":{"type":"package","serviceable":true}}}"#;
        let found = DotnetCataloger.catalog("/app/App.deps.json", &mut Cursor::new(deps))?;
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.packages[0].name, "Newtonsoft.Json");
        let lock = r#"{"version":1,"dependencies":{"net6.0":{"Serilog":{"type":"Direct","requested":"[2.10.0, )","resolved":"2.10.0"},"Lib":{"type":"Project"}},"net7.0":{"Serilog":{"type":"Direct","resolved":"2.10.0"}}}}"#;
        let found = DotnetCataloger.catalog("/app/packages.lock.json", &mut Cursor::new(lock))?;
        assert_eq!(found.packages.len(), 1);
        assert!(
            DotnetCataloger
                .catalog("/app/x.deps.json", &mut Cursor::new("[1,2"))
                .is_err()
        );
        Ok(())
    }
}
