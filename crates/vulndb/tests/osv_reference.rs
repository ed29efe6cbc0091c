//! Correctness check against the reference `osv` Python library (PyPI
//! package `osv`, pinned below).
//!
//! For every OSV record of the test data, for every affected package whose
//! ecosystem both sides can order, both implementations judge the record's
//! boundary versions: each event version, the next version below and above
//! it where one can be built (last number ±1), and the explicitly listed
//! versions. All Python queries go through one process fed JSON on stdin.
//!
//! Every disagreement must be listed, with its reason, in
//! `tests/osv_reference_allowlist.txt`; the reasons are explained in
//! `docs/vulndb.md`. A listed disagreement that no longer happens fails the
//! test too, so the list stays exact.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use vedette_vulndb::osv::{CompiledAffected, RangeType};

use crate::common::{OSV_FOLDERS, load_folder};

/// The reference library version the allow-list was written against.
const OSV_PYPI_VERSION: &str = "0.0.22";

/// A Python interpreter with `osv` importable: `VEDETTE_OSV_PYTHON` if set,
/// else a virtualenv created once under the test target directory.
fn reference_python() -> PathBuf {
    if let Ok(python) = std::env::var("VEDETTE_OSV_PYTHON") {
        return PathBuf::from(python);
    }
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("osv-py-{OSV_PYPI_VERSION}"));
    let python = venv.join("bin/python");
    let has_osv = |python: &Path| {
        Command::new(python)
            .args(["-c", "import osv.ecosystems, osv.impact"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if has_osv(&python) {
        return python;
    }
    let run = |cmd: &mut Command, what: &str| {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("cannot run {what}: {e} (needs python3 with venv and pip)"));
        assert!(
            out.status.success(),
            "{what} failed; the reference check needs `pip install osv=={OSV_PYPI_VERSION}` \
             (PyPI access) or VEDETTE_OSV_PYTHON pointing at a python with it:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // Tests run in parallel processes: build the virtualenv under a private
    // name and move it into place; the first to finish wins.
    let private = venv.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&private);
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&private),
        "python3 -m venv",
    );
    run(
        Command::new(private.join("bin/python")).args([
            "-m",
            "pip",
            "install",
            "--quiet",
            &format!("osv=={OSV_PYPI_VERSION}"),
        ]),
        "pip install osv",
    );
    if std::fs::rename(&private, &venv).is_err() {
        let _ = std::fs::remove_dir_all(&private);
    }
    assert!(has_osv(&python), "osv installed but not importable");
    python
}

/// The version with its last run of digits changed by `delta`, if that
/// makes a different, non-negative number.
fn neighbour(version: &str, delta: i64) -> Option<String> {
    let bytes = version.as_bytes();
    let end = bytes.iter().rposition(u8::is_ascii_digit)? + 1;
    let start = bytes[..end]
        .iter()
        .rposition(|b| !b.is_ascii_digit())
        .map_or(0, |i| i + 1);
    let digits = &version[start..end];
    if digits.len() > 15 {
        return None; // timestamps and hashes: no meaningful neighbour
    }
    let n: i64 = digits.parse().ok()?;
    let m = n.checked_add(delta).filter(|m| *m >= 0)?;
    Some(format!("{}{m}{}", &version[..start], &version[end..]))
}

struct Item {
    key: String,
    ecosystem: String,
    record: String,
    compiled: CompiledAffected,
    candidates: Vec<String>,
}

/// The items to judge, the requests for the reference, and per ecosystem
/// the number of affected entries Vedette cannot order (not compared).
fn collect_items() -> (Vec<Item>, Vec<Value>, BTreeMap<String, usize>) {
    let mut unordered: BTreeMap<String, usize> = BTreeMap::new();
    let mut items = Vec::new();
    let mut requests = Vec::new();
    let mut seen = BTreeSet::new();
    for folder in OSV_FOLDERS {
        for (_, record) in load_folder(folder).records {
            for (i, affected) in record.affected.iter().enumerate() {
                let Some(package) = &affected.package else {
                    continue;
                };
                let Ok(compiled) = CompiledAffected::compile(affected) else {
                    // Ecosystems Vedette cannot order: counted, not compared.
                    let base = package.ecosystem.split(':').next().unwrap_or("");
                    *unordered.entry(base.to_string()).or_default() += 1;
                    continue;
                };
                let ranges: Vec<Value> = affected
                    .ranges
                    .iter()
                    .filter(|r| matches!(r.kind, RangeType::Ecosystem | RangeType::Semver))
                    .map(|r| json!({"type": format!("{:?}", r.kind).to_uppercase(), "events": r.events}))
                    .collect();
                let mut candidates = BTreeSet::new();
                for range in affected.ranges.iter().filter(|r| r.kind != RangeType::Git) {
                    for evt in &range.events {
                        for v in [&evt.introduced, &evt.fixed, &evt.last_affected, &evt.limit]
                            .into_iter()
                            .flatten()
                        {
                            if v == "0" || v.contains('*') {
                                continue;
                            }
                            candidates.insert(v.clone());
                            candidates.extend(neighbour(v, -1));
                            candidates.extend(neighbour(v, 1));
                        }
                    }
                }
                // A few listed versions (first and last) exercise the list.
                let n = affected.versions.len();
                for (j, v) in affected.versions.iter().enumerate() {
                    if j < 2 || j + 2 >= n {
                        candidates.insert(v.clone());
                    }
                }
                if candidates.is_empty() {
                    continue;
                }
                // The same record appears in several folders (zip + golden).
                let key = format!("{}#{i}#{}", record.id, package.ecosystem);
                if !seen.insert(key.clone()) {
                    continue;
                }
                let candidates: Vec<String> = candidates.into_iter().collect();
                requests.push(json!({
                    "key": key,
                    "ecosystem": package.ecosystem,
                    "ranges": ranges,
                    "versions": affected.versions,
                    "candidates": candidates,
                }));
                items.push(Item {
                    key,
                    ecosystem: package.ecosystem.clone(),
                    record: record.id.clone(),
                    compiled,
                    candidates,
                });
            }
        }
    }
    (items, requests, unordered)
}

/// Runs the reference script on one request and returns its JSON answer.
pub fn run_python(request: &Value) -> Value {
    let python = reference_python();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/osv_reference.py");
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", python.display()));
    let input = request.to_string();
    let mut stdin = child.stdin.take().unwrap_or_else(|| panic!("no stdin"));
    // Write from a thread so a full stdout pipe cannot deadlock us.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("reference run failed: {e}"));
    let _ = writer.join();
    assert!(
        out.status.success(),
        "reference script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("reference output is not JSON: {e}"))
}

fn run_reference(requests: Vec<Value>) -> BTreeMap<String, Value> {
    let parsed = run_python(&json!({ "items": requests }));
    let mut results = BTreeMap::new();
    for r in parsed["results"].as_array().cloned().unwrap_or_default() {
        let key = r["key"].as_str().unwrap_or_default().to_string();
        results.insert(key, r);
    }
    results
}

/// Allow-listed disagreements: `a<TAB>b<TAB>c<TAB>reason` lines of a file
/// in `tests/`.
pub fn allowlist(file: &str) -> BTreeMap<(String, String, String), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut list = BTreeMap::new();
    for line in text.lines() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        assert!(fields.len() == 4, "bad allow-list line: {line:?}");
        list.insert(
            (
                fields[0].to_string(),
                fields[1].to_string(),
                fields[2].to_string(),
            ),
            fields[3].to_string(),
        );
    }
    list
}

fn verdict_text(v: &Option<bool>) -> &'static str {
    match v {
        Some(true) => "affected",
        Some(false) => "not affected",
        None => "invalid",
    }
}

#[test]
fn verdicts_agree_with_the_osv_python_library() {
    let (items, requests, unordered) = collect_items();
    let reference = run_reference(requests);
    let allowed = allowlist("osv_reference_allowlist.txt");
    // Per ecosystem: compared, agreed, agreed affected, agreed invalid,
    // entries the reference cannot order.
    let mut stats: BTreeMap<String, [usize; 5]> = BTreeMap::new();
    let mut disagreements = BTreeMap::new();
    for item in &items {
        let base = item.ecosystem.split(':').next().unwrap_or("").to_string();
        let entry = stats.entry(base).or_default();
        let Some(result) = reference.get(&item.key) else {
            panic!("no reference result for {}", item.key);
        };
        match result["status"].as_str() {
            Some("ok") => {}
            Some("unsupported") => {
                entry[4] += 1;
                continue;
            }
            _ => {
                for c in &item.candidates {
                    disagreements.insert(
                        (item.record.clone(), item.ecosystem.clone(), c.clone()),
                        format!("reference error: {}", result["error"]),
                    );
                }
                continue;
            }
        }
        for c in &item.candidates {
            let ours = item.compiled.is_affected(c).ok();
            let theirs = result["affected"][c.as_str()].as_bool();
            entry[0] += 1;
            if ours == theirs {
                entry[1] += 1;
                match ours {
                    Some(true) => entry[2] += 1,
                    None => entry[3] += 1,
                    Some(false) => {}
                }
            } else {
                disagreements.insert(
                    (item.record.clone(), item.ecosystem.clone(), c.clone()),
                    format!(
                        "vedette: {}, osv: {}",
                        verdict_text(&ours),
                        verdict_text(&theirs)
                    ),
                );
            }
        }
    }
    eprintln!(
        "ecosystem: verdicts compared / agreed (of which affected, both invalid) / entries the reference cannot order"
    );
    for (eco, [compared, agreed, affected, invalid, unsupported]) in &stats {
        eprintln!("  {eco}: {compared} / {agreed} ({affected}, {invalid}) / {unsupported}");
    }
    eprintln!("affected entries Vedette cannot order (not compared): {unordered:?}");
    let total: usize = stats.values().map(|s| s[0]).sum();
    assert!(total > 5000, "only {total} verdicts compared");
    let unexplained: Vec<String> = disagreements
        .iter()
        .filter(|(k, _)| !allowed.contains_key(*k))
        .map(|((r, e, v), why)| format!("{r}\t{e}\t{v}\t{why}"))
        .collect();
    let stale: Vec<String> = allowed
        .keys()
        .filter(|k| !disagreements.contains_key(*k))
        .map(|(r, e, v)| format!("{r}\t{e}\t{v}"))
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

#[test]
fn neighbours() {
    assert_eq!(neighbour("4.9.1", -1).as_deref(), Some("4.9.0"));
    assert_eq!(neighbour("4.9.1", 1).as_deref(), Some("4.9.2"));
    assert_eq!(
        neighbour("2.14.1-2.el8_9", 1).as_deref(),
        Some("2.14.1-2.el8_10")
    );
    assert_eq!(neighbour("1.0.0", -1), None);
    assert_eq!(neighbour("abc", 1), None);
}
