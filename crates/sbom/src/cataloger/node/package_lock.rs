//! npm's `package-lock.json` and `npm-shrinkwrap.json`
//! (<https://docs.npmjs.com/cli/configuring-npm/package-lock-json>).
//!
//! v1 nests `dependencies` (name → version, dependencies); v2 and v3 list
//! `packages` keyed by install path (`node_modules/a/node_modules/b`). v2
//! has both: `packages` wins.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    packages: BTreeMap<String, Entry>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

#[derive(Deserialize)]
struct Entry {
    version: Option<String>,
    name: Option<String>,
    #[serde(default)]
    link: bool,
}

#[derive(Deserialize)]
struct V1Entry {
    version: Option<String>,
    #[serde(default)]
    dependencies: BTreeMap<String, V1Entry>,
}

/// `(name, version)` of every locked package.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    let lock: Lock = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    if !lock.packages.is_empty() {
        for (key, entry) in lock.packages {
            // "" is the project itself; links point at workspace folders.
            let Some(pos) = key.rfind("node_modules/") else {
                continue;
            };
            if entry.link {
                continue;
            }
            let name = entry
                .name
                .unwrap_or_else(|| key[pos + "node_modules/".len()..].to_string());
            if let Some(version) = entry.version {
                out.push((name, version));
            }
        }
        return Ok(out);
    }
    let mut stack: Vec<(String, V1Entry)> = lock.dependencies.into_iter().collect();
    // Bounded by the input: each entry is visited once.
    while let Some((name, entry)) = stack.pop() {
        stack.extend(entry.dependencies);
        if let Some(version) = entry.version.filter(|v| !v.starts_with("file:")) {
            out.push((name, version));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v1_and_v3() -> Result<(), String> {
        let v1 = r#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}},"local":{"version":"file:../local"}}}"#;
        assert_eq!(
            parse(v1)?,
            [("a".into(), "1.0.0".into()), ("b".into(), "2.0.0".into())]
        );
        let v3 = r#"{"lockfileVersion":3,"packages":{"":{"name":"app","version":"1.0.0"},"node_modules/@babel/core":{"version":"7.23.0"},"node_modules/a/node_modules/b":{"version":"1.1.0"},"node_modules/ws":{"resolved":"packages/ws","link":true}}}"#;
        assert_eq!(
            parse(v3)?,
            [
                ("@babel/core".into(), "7.23.0".into()),
                ("b".into(), "1.1.0".into())
            ]
        );
        assert!(parse("{\"packages\": 5}").is_err());
        Ok(())
    }
}
