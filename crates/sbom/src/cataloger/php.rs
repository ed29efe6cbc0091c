//! PHP packages from Composer: `composer.lock` and the installed-packages
//! list `vendor/composer/installed.json` (a bare array in Composer 1, an
//! object with `packages` in Composer 2).

use serde::Deserialize;
use vedette_model::package::{Package, PackageType};

use super::{Cataloger, Found, read_text};
use crate::Error;
use crate::source::{FileInfo, FileInput};

/// Cataloger for Composer lock files and installed.json.
pub struct ComposerCataloger;

#[derive(Deserialize)]
struct Entry {
    name: String,
    version: String,
    #[serde(default)]
    license: Vec<String>,
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: Vec<Entry>,
    #[serde(default, rename = "packages-dev")]
    packages_dev: Vec<Entry>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Installed {
    V1(Vec<Entry>),
    V2 { packages: Vec<Entry> },
}

impl Cataloger for ComposerCataloger {
    fn name(&self) -> &'static str {
        "composer"
    }

    fn version(&self) -> u32 {
        1
    }

    fn required(&self, file: &FileInfo<'_>) -> bool {
        file.file_name() == "composer.lock"
            || file.path.ends_with("/vendor/composer/installed.json")
    }

    fn catalog(&self, path: &str, input: &mut dyn FileInput) -> Result<Found, Error> {
        let text = read_text(path, input)?;
        let entries = if path.ends_with("installed.json") {
            match serde_json::from_str::<Installed>(&text).map_err(|e| Error::malformed(path, e))? {
                Installed::V1(list) | Installed::V2 { packages: list } => list,
            }
        } else {
            let lock: Lock = serde_json::from_str(&text).map_err(|e| Error::malformed(path, e))?;
            lock.packages.into_iter().chain(lock.packages_dev).collect()
        };
        Ok(entries
            .into_iter()
            .map(|e| {
                let mut p = Package::new(PackageType::Composer, e.name, e.version);
                p.licenses = e.license;
                p
            })
            .collect::<Vec<_>>()
            .into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn lock_and_installed() -> Result<(), Error> {
        let lock = r#"{"packages":[{"name":"monolog/monolog","version":"2.9.1","license":["MIT"]}],"packages-dev":[{"name":"phpunit/phpunit","version":"9.6.0"}]}"#;
        let found = ComposerCataloger.catalog("/app/composer.lock", &mut Cursor::new(lock))?;
        assert_eq!(found.packages.len(), 2);
        assert_eq!(found.packages[0].licenses, ["MIT"]);
        let v2 = r#"{"packages":[{"name":"symfony/console","version":"v6.4.1"}],"dev":true}"#;
        let found = ComposerCataloger
            .catalog("/app/vendor/composer/installed.json", &mut Cursor::new(v2))?;
        assert_eq!(found.packages[0].version, "v6.4.1");
        let v1 = r#"[{"name":"a/b","version":"1.0.0"}]"#;
        assert_eq!(
            ComposerCataloger
                .catalog("/x/vendor/composer/installed.json", &mut Cursor::new(v1))?
                .packages
                .len(),
            1
        );
        assert!(
            ComposerCataloger
                .catalog("/app/composer.lock", &mut Cursor::new("{not json"))
                .is_err()
        );
        Ok(())
    }
}
