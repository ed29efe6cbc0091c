//! Version ordering checked against the reference `osv` Python library on
//! real versions: every version of the test data's advisories (OSV events
//! and listed versions, Alpine secdb, Debian tracker and `Sources`, RubySec,
//! RustSec, FriendsOfPHP) and this machine's `/var/lib/dpkg/status`.
//!
//! Python sorts each pool with the ecosystem's `sort_key`; Vedette must agree
//! on every neighbouring pair of that order (which, both orders being total,
//! means the orders are the same). Versions only one side can parse are
//! disagreements too. Every disagreement must be listed in
//! `tests/version_reference_allowlist.txt` (reasons in `docs/vulndb.md`).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use vedette_model::package::VersionScheme;
use vedette_vulndb::osv::{Ecosystem, RangeType};
use vedette_vulndb::version::Version;

use crate::common::{OSV_FOLDERS, advisories, load_folder};
use crate::osv_reference::{allowlist, run_python};

/// A pool of versions: the reference ecosystem name, our scheme, versions.
type Pools = BTreeMap<String, (VersionScheme, BTreeSet<String>)>;

fn add(pools: &mut Pools, reference: &str, scheme: VersionScheme, v: &str) {
    let v = v.trim();
    if v.is_empty() || v == "0" || v.contains('*') {
        return;
    }
    pools
        .entry(reference.to_string())
        .or_insert_with(|| (scheme, BTreeSet::new()))
        .1
        .insert(v.to_string());
}

/// The reference ecosystem name standing for an OSV ecosystem base.
fn reference_name(base: &str) -> Option<&'static str> {
    Some(match base {
        "AlmaLinux" => "AlmaLinux:8",
        "Rocky Linux" => "Rocky Linux:9",
        "Ubuntu" => "Ubuntu:22.04:LTS",
        "Alpine" => "Alpine:v3.18",
        "Debian" => "Debian:12",
        "PyPI" => "PyPI",
        "npm" => "npm",
        "Maven" => "Maven",
        "Go" => "Go",
        "crates.io" => "crates.io",
        "RubyGems" => "RubyGems",
        "Packagist" => "Packagist",
        "NuGet" => "NuGet",
        _ => return None,
    })
}

fn osv_pools(pools: &mut Pools) {
    for folder in OSV_FOLDERS {
        for (_, record) in load_folder(folder).records {
            for affected in &record.affected {
                let Some(package) = &affected.package else {
                    continue;
                };
                let eco = Ecosystem::parse(&package.ecosystem);
                for range in &affected.ranges {
                    let events = range.events.iter().flat_map(|e| {
                        [&e.introduced, &e.fixed, &e.last_affected, &e.limit]
                            .into_iter()
                            .flatten()
                    });
                    match range.kind {
                        // SEMVER ranges: SemVer ordering whatever the ecosystem.
                        RangeType::Semver => {
                            for v in events {
                                add(pools, "Bitnami", VersionScheme::Go, v);
                            }
                        }
                        RangeType::Ecosystem => {
                            let (Some(name), Some(scheme)) =
                                (reference_name(&eco.base), eco.scheme)
                            else {
                                continue;
                            };
                            for v in events.chain(affected.versions.iter()) {
                                add(pools, name, scheme, v);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Tokens of requirement strings that start with a digit (`>= 1.2.3` →
/// `1.2.3`).
fn requirement_versions(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'' | '[' | ']'))
        .map(|t| t.trim_start_matches(['>', '<', '=', '~', '^', '!']))
        .filter(|t| t.starts_with(|c: char| c.is_ascii_digit()))
}

fn walk_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk_files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn files_under(folder: &str) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    walk_files(&advisories().join(folder), &mut out);
    assert!(!out.is_empty(), "no files under {folder}");
    out.sort();
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn distro_pools(pools: &mut Pools) {
    // dpkg: this machine's installed packages, Debian Sources and tracker.
    let status = read(Path::new("/var/lib/dpkg/status"));
    let mut sources = files_under("vuln-list-update-testdata/debian/tracker/testdata");
    sources.retain(|p| p.ends_with("Sources"));
    let mut texts = vec![status];
    texts.extend(sources.iter().map(|p| read(p)));
    for text in &texts {
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("Version: ") {
                add(pools, "Debian:12", VersionScheme::Dpkg, v);
            }
        }
    }
    let tracker = advisories().join(
        "vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json",
    );
    let tracker: Value = serde_json::from_str(&read(&tracker)).unwrap_or_else(|e| panic!("{e}"));
    for cves in tracker.as_object().into_iter().flat_map(|o| o.values()) {
        for cve in cves.as_object().into_iter().flat_map(|o| o.values()) {
            for rel in cve["releases"]
                .as_object()
                .into_iter()
                .flat_map(|o| o.values())
            {
                if let Some(v) = rel["fixed_version"].as_str() {
                    add(pools, "Debian:12", VersionScheme::Dpkg, v);
                }
                for v in rel["repositories"]
                    .as_object()
                    .into_iter()
                    .flat_map(|o| o.values())
                {
                    add(
                        pools,
                        "Debian:12",
                        VersionScheme::Dpkg,
                        v.as_str().unwrap_or(""),
                    );
                }
            }
        }
    }
    // Alpine secdb (JSON and YAML): the `secfixes` keys are versions.
    let mut secdb = files_under("vuln-list-update-testdata/alpine/testdata");
    secdb.extend(files_under(
        "vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input",
    ));
    for path in secdb {
        let text = read(&path);
        let doc: Value = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => serde_json::from_str(&text).unwrap_or(Value::Null),
            Some("yaml") => serde_yaml::from_str(&text).unwrap_or(Value::Null),
            _ => continue,
        };
        for pkg in doc["packages"].as_array().into_iter().flatten() {
            for v in pkg["pkg"]["secfixes"]
                .as_object()
                .into_iter()
                .flat_map(|o| o.keys())
            {
                add(pools, "Alpine:v3.18", VersionScheme::Apk, v);
            }
        }
    }
}

fn language_pools(pools: &mut Pools) {
    // RubySec: patched_versions / unaffected_versions requirements.
    for path in files_under("rubysec-ruby-advisory-db/gems") {
        let doc: Value = serde_yaml::from_str(&read(&path)).unwrap_or(Value::Null);
        for key in ["patched_versions", "unaffected_versions"] {
            for req in doc[key].as_array().into_iter().flatten() {
                for v in requirement_versions(req.as_str().unwrap_or("")) {
                    add(pools, "RubyGems", VersionScheme::RubyGems, v);
                }
            }
        }
    }
    // RustSec: `patched = [">= 1.2.3"]` lines; complete versions only.
    for path in files_under("rustsec-advisory-db/crates") {
        for line in read(&path).lines() {
            if line.starts_with("patched") || line.starts_with("unaffected") {
                for v in requirement_versions(line) {
                    if v.split('.').count() >= 3 {
                        add(pools, "crates.io", VersionScheme::Semver, v);
                    }
                }
            }
        }
    }
    // FriendsOfPHP: branch `versions: ['>=1.0.0', '<1.0.5']`.
    for path in files_under("friendsofphp-security-advisories") {
        let doc: Value = serde_yaml::from_str(&read(&path)).unwrap_or(Value::Null);
        for branch in doc["branches"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.values())
        {
            for req in branch["versions"].as_array().into_iter().flatten() {
                for v in requirement_versions(req.as_str().unwrap_or("")) {
                    add(pools, "Packagist", VersionScheme::Composer, v);
                }
            }
        }
    }
}

#[test]
fn version_orderings_agree_with_the_osv_python_library() {
    let mut pools = Pools::new();
    osv_pools(&mut pools);
    distro_pools(&mut pools);
    language_pools(&mut pools);
    let names: Vec<&String> = pools.keys().collect();
    let request = json!({
        "orderings": pools
            .iter()
            .map(|(name, (_, versions))| json!({"ecosystem": name, "versions": versions}))
            .collect::<Vec<_>>()
    });
    let answer = run_python(&request);
    let orderings = answer["orderings"].as_array().cloned().unwrap_or_default();
    assert_eq!(orderings.len(), names.len());
    let allowed = allowlist("version_reference_allowlist.txt");
    let mut disagreements: BTreeMap<(String, String, String), String> = BTreeMap::new();
    eprintln!("ecosystem: versions / neighbour pairs compared / disagreements");
    for ((name, (scheme, versions)), ordering) in pools.iter().zip(orderings) {
        assert_eq!(ordering["status"], "ok", "{name}: {ordering}");
        let parse = |v: &str| Version::parse(*scheme, v).ok();
        let theirs_invalid: BTreeSet<&str> = ordering["invalid"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let before = disagreements.len();
        for v in versions {
            let ours_valid = parse(v).is_some();
            let theirs_valid = !theirs_invalid.contains(v.as_str());
            if ours_valid != theirs_valid {
                let why = if ours_valid {
                    "only vedette parses it"
                } else {
                    "only osv parses it"
                };
                disagreements.insert((name.clone(), v.clone(), "-".into()), why.into());
            }
        }
        let sorted: Vec<&str> = ordering["sorted"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let equal_next: Vec<bool> = ordering["equal_next"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|b| b.as_bool().unwrap_or(false))
            .collect();
        // Neighbouring pairs of the reference order, skipping versions we
        // reject (already reported above).
        let mut pairs = 0;
        let mut prev: Option<(&str, Version, bool)> = None;
        for (i, v) in sorted.iter().enumerate() {
            let Some(ours) = parse(v) else {
                continue;
            };
            if let Some((p, pv, equal)) = &prev {
                pairs += 1;
                let want = if *equal {
                    Ordering::Equal
                } else {
                    Ordering::Less
                };
                let got = pv.cmp_same(&ours);
                if got != Some(want) {
                    disagreements.insert(
                        (name.clone(), p.to_string(), v.to_string()),
                        format!("vedette {got:?}, osv {want:?}"),
                    );
                }
            }
            // Whether v equals the next valid version in the reference order:
            // true only if every step until then is an equality.
            let equal = equal_next.get(i).copied().unwrap_or(false);
            prev = Some((v, ours, equal));
        }
        eprintln!(
            "  {name}: {} / {pairs} / {}",
            versions.len(),
            disagreements.len() - before
        );
    }
    let unexplained: Vec<String> = disagreements
        .iter()
        .filter(|(k, _)| !allowed.contains_key(*k))
        .map(|((e, a, b), why)| format!("{e}\t{a}\t{b}\t{why}"))
        .collect();
    let stale: Vec<String> = allowed
        .keys()
        .filter(|k| !disagreements.contains_key(*k))
        .map(|(e, a, b)| format!("{e}\t{a}\t{b}"))
        .collect();
    assert!(
        unexplained.is_empty() && stale.is_empty(),
        "unexplained disagreements ({}):\n{}\nallow-listed but no longer disagreeing ({}):\n{}",
        unexplained.len(),
        unexplained.join("\n"),
        stale.len(),
        stale.join("\n")
    );
}
