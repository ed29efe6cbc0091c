//! Node.js packages: installed packages (`node_modules/**/package.json`) and
//! lock files (`package-lock.json` / `npm-shrinkwrap.json` v1–v3,
//! `yarn.lock` v1 and berry, `pnpm-lock.yaml`).

pub mod package_lock;
pub mod pnpm;
pub mod yarn;

use serde::Deserialize;
use vedette_model::package::{Package, PackageType};

use super::{Cataloger, Found, read_text};
use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Cataloger for packages installed under `node_modules`.
pub struct NodeInstalledCataloger;

/// Cataloger for npm, yarn and pnpm lock files.
pub struct NodeLockCataloger;

#[derive(Deserialize)]
struct PackageJson {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    license: Option<serde_json::Value>,
}

impl Cataloger for NodeInstalledCataloger {
    fn name(&self) -> &'static str {
        "node-installed"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        // `…/node_modules/<name>/package.json` or `…/node_modules/@scope/<name>/package.json`;
        // deeper package.json files (tests, fixtures inside a package) are not packages.
        let Some(dir) = file.path.strip_suffix("/package.json") else {
            return false;
        };
        let Some((parent, _name)) = dir.rsplit_once('/') else {
            return false;
        };
        parent.ends_with("/node_modules")
            || parent
                .rsplit_once('/')
                .is_some_and(|(pp, scope)| scope.starts_with('@') && pp.ends_with("/node_modules"))
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let text = read_text(path, input)?;
        let json: PackageJson =
            serde_json::from_str(&text).map_err(|e| Error::malformed(path, e))?;
        let (Some(name), Some(version)) = (json.name, json.version) else {
            return Ok(Found::default()); // private helper folders have no version
        };
        let mut pkg = Package::new(PackageType::Npm, name, version);
        pkg.licenses = match json.license {
            Some(serde_json::Value::String(s)) => vec![s],
            Some(serde_json::Value::Object(o)) => o
                .get("type")
                .and_then(|t| t.as_str())
                .map(str::to_string)
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
        Ok(vec![pkg].into())
    }
}

impl Cataloger for NodeLockCataloger {
    fn name(&self) -> &'static str {
        "node-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        // Lock files inside node_modules belong to installed packages and
        // describe their development trees, not what is installed.
        matches!(
            file.file_name(),
            "package-lock.json" | "npm-shrinkwrap.json" | "yarn.lock" | "pnpm-lock.yaml"
        ) && !file.path.contains("/node_modules/")
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let text = read_text(path, input)?;
        let (_, file) = super::split_path(path);
        let entries = match file {
            "yarn.lock" => yarn::parse(&text).map_err(|e| Error::malformed(path, e))?,
            "pnpm-lock.yaml" => pnpm::parse(&text).map_err(|e| Error::malformed(path, e))?,
            _ => package_lock::parse(&text).map_err(|e| Error::malformed(path, e))?,
        };
        let mut seen = std::collections::BTreeSet::new();
        Ok(entries
            .into_iter()
            .filter(|e| seen.insert(e.clone()))
            .map(|(name, version)| Package::new(PackageType::Npm, name, version))
            .collect::<Vec<_>>()
            .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_paths() {
        let meta = || None;
        let want = |p: &str| NodeInstalledCataloger.required(&FileInfo::new(p, &meta));
        assert!(want("/app/node_modules/lodash/package.json"));
        assert!(want("/app/node_modules/@babel/core/package.json"));
        assert!(want("/app/node_modules/a/node_modules/b/package.json"));
        assert!(!want("/app/node_modules/lodash/test/package.json"));
        assert!(!want("/app/package.json"));
    }
}
