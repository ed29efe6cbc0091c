//! Alpine secdb documents (`https://secdb.alpinelinux.org/v3.19/main.json`),
//! in their JSON or YAML form.
//!
//! A document covers one release and repository; for each origin (source)
//! package, `secfixes` maps the first fixed version to the CVEs it fixes.
//! The version `0` means the CVE never affected Alpine's package.

use serde_yaml::Value;

use super::FeedError;

/// The largest secdb document accepted (the real ones are under 1 MiB).
pub const MAX_SECDB_BYTES: usize = 64 << 20;

/// One secdb document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secdb {
    /// The release, without the `v`: `3.19`, or `edge`.
    pub release: String,
    /// The repository: `main` or `community`.
    pub repo: String,
    /// The packages with security fixes.
    pub packages: Vec<SecdbPackage>,
}

/// The fixes of one origin package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecdbPackage {
    /// The origin package name.
    pub name: String,
    /// `(fixed version, identifiers)`; version `0`: not affected.
    pub fixes: Vec<(String, Vec<String>)>,
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses a secdb document (JSON is YAML, so one parser reads both).
pub fn parse_secdb(bytes: &[u8]) -> Result<Secdb, FeedError> {
    const FEED: &str = "alpine secdb";
    if bytes.len() > MAX_SECDB_BYTES {
        return Err(FeedError::TooLarge {
            feed: FEED,
            limit: MAX_SECDB_BYTES,
        });
    }
    let doc: Value = serde_yaml::from_slice(bytes).map_err(|e| FeedError::Syntax {
        feed: FEED,
        reason: e.to_string(),
    })?;
    let shape = |reason: &str| FeedError::Shape {
        feed: FEED,
        reason: reason.to_string(),
    };
    let release = doc
        .get("distroversion")
        .and_then(scalar)
        .ok_or_else(|| shape("missing distroversion"))?;
    let release = release.trim_start_matches('v').to_string();
    let repo = doc.get("reponame").and_then(scalar).unwrap_or_default();
    let mut packages = Vec::new();
    let list = match doc.get("packages") {
        Some(Value::Sequence(list)) => list.as_slice(),
        // Repositories without fixes are published as `"packages": {}`.
        Some(Value::Mapping(m)) if m.is_empty() => &[],
        _ => return Err(shape("missing packages list")),
    };
    for entry in list {
        let pkg = entry
            .get("pkg")
            .ok_or_else(|| shape("package without pkg"))?;
        let name = pkg
            .get("name")
            .and_then(scalar)
            .ok_or_else(|| shape("package without name"))?;
        let mut fixes = Vec::new();
        if let Some(map) = pkg.get("secfixes").and_then(Value::as_mapping) {
            for (version, ids) in map {
                let Some(version) = scalar(version) else {
                    return Err(shape("secfixes key is not a version"));
                };
                // Entries are `CVE-…` possibly followed by other ids.
                let ids: Vec<String> = ids
                    .as_sequence()
                    .into_iter()
                    .flatten()
                    .filter_map(scalar)
                    .flat_map(|s| s.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                    .collect();
                fixes.push((version, ids));
            }
        }
        packages.push(SecdbPackage { name, fixes });
    }
    Ok(Secdb {
        release,
        repo,
        packages,
    })
}
