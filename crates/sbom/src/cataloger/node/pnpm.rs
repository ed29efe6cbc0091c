//! `pnpm-lock.yaml`: the `packages` map's keys name each package.
//!
//! Key forms by lock version: v5 `/name/1.2.3` or `/@scope/name/1.2.3_peer`,
//! v6 `/name@1.2.3(peer@1.0.0)`, v9 `name@1.2.3(peer@1.0.0)`.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: BTreeMap<String, serde_yaml::Value>,
}

/// `(name, version)` of every locked package.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let lock: Lock = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    Ok(lock.packages.keys().filter_map(|k| parse_key(k)).collect())
}

fn parse_key(key: &str) -> Option<(String, String)> {
    // Drop peer-dependency suffixes: `(…)` in v6+.
    let key = key.split('(').next()?;
    let key = key.strip_prefix('/').unwrap_or(key);
    // The scope, if any, is the first segment: `@babel/`.
    let scope_len = if key.starts_with('@') {
        key.find('/')? + 1
    } else {
        0
    };
    let rest = &key[scope_len..];
    let sep = rest.find(['/', '@'])?;
    let name = &key[..scope_len + sep];
    let version = &rest[sep + 1..];
    // v5 separates the version with `/` and appends peers after `_`.
    let version = if rest.as_bytes()[sep] == b'/' {
        version.split('_').next()?
    } else {
        version
    };
    (!name.is_empty() && !version.is_empty()).then(|| (name.to_string(), version.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_forms() -> Result<(), String> {
        let v5 = "lockfileVersion: 5.4\npackages:\n  /lodash/4.17.21:\n    resolution: {integrity: sha512-x}\n  /@babel/core/7.23.0_supports-color@5.5.0:\n    dev: true\n";
        assert_eq!(
            parse(v5)?,
            [
                ("@babel/core".into(), "7.23.0".into()),
                ("lodash".into(), "4.17.21".into())
            ]
        );
        let v9 = "lockfileVersion: '9.0'\npackages:\n  '@types/node@20.8.0':\n    resolution: {integrity: sha512-y}\n  react-dom@18.2.0(react@18.2.0):\n    resolution: {integrity: sha512-z}\n";
        assert_eq!(
            parse(v9)?,
            [
                ("@types/node".into(), "20.8.0".into()),
                ("react-dom".into(), "18.2.0".into())
            ]
        );
        assert_eq!(
            parse_key("/ws@8.14.2"),
            Some(("ws".into(), "8.14.2".into()))
        );
        Ok(())
    }
}
