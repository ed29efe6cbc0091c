//! `yarn.lock`, classic (v1, a custom indented format) and berry (v2+,
//! YAML with a `__metadata` key).
//!
//! Classic: an unindented line lists the specifiers (`"a@^1", a@~1.2:`),
//! then an indented `version "1.2.3"`. Berry: `"a@npm:^1.0.0": { version:
//! 1.2.3, resolution: "a@npm:1.2.3" }`; workspace and patch entries are
//! skipped.

use std::collections::BTreeMap;

/// `(name, version)` of every locked package.
pub fn parse(text: &str) -> Result<Vec<(String, String)>, String> {
    if text.contains("\n__metadata:") || text.starts_with("__metadata:") {
        return parse_berry(text);
    }
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            // First specifier names the package: `"@scope/a@^1", …:`.
            let first = line
                .trim_end_matches(':')
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"');
            current = spec_name(first);
            continue;
        }
        let trimmed = line.trim();
        if let (Some(name), Some(version)) = (&current, trimmed.strip_prefix("version ")) {
            out.push((name.clone(), version.trim_matches('"').to_string()));
            current = None;
        }
    }
    Ok(out)
}

/// The package name in a specifier: `@scope/a@^1` → `@scope/a`.
fn spec_name(spec: &str) -> Option<String> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some(spec[..at].to_string()).filter(|n| !n.is_empty())
}

fn parse_berry(text: &str) -> Result<Vec<(String, String)>, String> {
    let doc: BTreeMap<String, serde_yaml::Value> =
        serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for (key, value) in doc {
        if key == "__metadata" {
            continue;
        }
        let resolution = value
            .get("resolution")
            .and_then(|r| r.as_str())
            .unwrap_or(&key);
        if resolution.contains("@workspace:")
            || resolution.contains("@patch:")
            || resolution.contains("@link:")
        {
            continue;
        }
        let first = key.split(',').next().unwrap_or("").trim();
        let (Some(name), Some(version)) = (spec_name(first), value.get("version")) else {
            continue;
        };
        let version = match version {
            serde_yaml::Value::String(s) => s.clone(),
            serde_yaml::Value::Number(n) => n.to_string(),
            _ => continue,
        };
        out.push((name, version));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_and_berry() -> Result<(), String> {
        let v1 = "# yarn lockfile v1\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.22.13\":\n  version \"7.22.13\"\n  resolved \"https://registry.yarnpkg.com/x\"\n\nlodash@^4.17.21:\n  version \"4.17.21\"\n";
        assert_eq!(
            parse(v1)?,
            [
                ("@babel/code-frame".into(), "7.22.13".into()),
                ("lodash".into(), "4.17.21".into())
            ]
        );
        let berry = "__metadata:\n  version: 6\n  cacheKey: 8\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n\n\"lodash@npm:^4.17.21\":\n  version: 4.17.21\n  resolution: \"lodash@npm:4.17.21\"\n";
        assert_eq!(parse(berry)?, [("lodash".into(), "4.17.21".into())]);
        assert!(parse("__metadata:\n  - [unclosed").is_err());
        Ok(())
    }
}
