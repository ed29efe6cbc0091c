//! `vedette scan …` and `vedette sbom` as a CI pipeline runs them: a tree
//! with real package databases (dpkg status, Python dist-info, node_modules,
//! log4j jars, a .NET deps.json) built here, a DB built by `vedette db build`
//! from the shared real feeds plus the log4j advisory (tests/fixtures/osv),
//! the same tree as a Docker Engine image (`docker import`) and as a
//! `docker save` archive, every output format parsed and validated against
//! its official schema, filters, ignore files, exit codes; secrets and
//! malware planted in files, with no full secret anywhere in the output.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::db::{advisories, build, feeds, keygen};
use crate::process::BIN;
use vedette_testkit::docker::{TempImage, busybox, docker};

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A signed DB built from the real feeds plus PyPA's advisories and the
/// log4j record, with its public key.
struct Db {
    path: PathBuf,
    public_key: PathBuf,
}

impl Db {
    fn build(dir: &Path) -> Db {
        let feeds = feeds(dir);
        let osv = feeds.join("osv");
        std::os::unix::fs::symlink(
            advisories().join("pypa-advisory-database"),
            osv.join("pypa-advisory-database"),
        )
        .unwrap();
        std::os::unix::fs::symlink(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/osv/GHSA-jfh8-c2jp-5v3q.json"),
            osv.join("GHSA-jfh8-c2jp-5v3q.json"),
        )
        .unwrap();
        let (private, public_key) = keygen(dir, "scan");
        let path = dir.join("vedette.db");
        build(&feeds, &private, &path);
        Db { path, public_key }
    }

    /// `--db … --public-key …`.
    fn args(&self) -> Vec<String> {
        vec![
            "--db".into(),
            s(&self.path).into(),
            "--public-key".into(),
            s(&self.public_key).into(),
        ]
    }
}

fn run(args: &[String]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("VEDETTE_DB")
        .env_remove("VEDETTE_DB_PUBLIC_KEY")
        .env_remove("VEDETTE_IGNORE_FILE")
        .env_remove("VEDETTE_DB_MAX_AGE")
        .output()
        .expect("run vedette")
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

/// Runs `vedette scan KIND TARGET` with the DB and `extra`, expecting `code`.
fn scan(db: &Db, kind: &str, target: &str, extra: &[&str], code: i32) -> Output {
    let mut args = strings(&["scan", kind, target]);
    args.extend(db.args());
    args.extend(strings(extra));
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "vedette {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

/// (vulnerability id, package, installed version, fixed version or state).
type Row = (String, String, String, String);

fn rows(report: &Value) -> BTreeSet<Row> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["type"], "vulnerability");
            (
                f["id"].as_str().unwrap().to_string(),
                f["package"]["name"].as_str().unwrap().to_string(),
                f["package"]["version"].as_str().unwrap().to_string(),
                f["fixed_version"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| f["state"].as_str().unwrap().to_string()),
            )
        })
        .collect()
}

fn row(id: &str, package: &str, version: &str, fixed: &str) -> Row {
    (id.into(), package.into(), version.into(), fixed.into())
}

/// What the fixture tree must give, derived from the advisory texts:
/// - CVE-2021-44228 (GHSA-jfh8-c2jp-5v3q): log4j-core 2.13.0 ≤ v < 2.15.0;
///   2.17.1 is past every range;
/// - CVE-2022-0456 (Debian tracker): chromium in bullseye fixed by the
///   backport 98.0.4758.80-1~deb11u1, so chromium-driver 97.0.4692.99-1~deb11u2
///   is affected and `chromium` at the backported version is not (the matcher
///   side of this is `debian_tracker_states_and_backports` in
///   crates/vulndb/tests/matcher.rs);
/// - CVE-2023-37276 (PYSEC-2023-120): aiohttp < 3.8.5;
/// - CVE-2021-23404 (PYSEC-2021-332): every sqlite-web version, no fix;
/// - CVE-2020-7598 (GHSA-vh95-rmgr-6w4m): minimist 1.0.0 ≤ v < 1.2.3;
/// - GHSA-5crp-9r3c-p9vr: Newtonsoft.Json < 13.0.1.
fn expected() -> BTreeSet<Row> {
    [
        row(
            "CVE-2021-44228",
            "org.apache.logging.log4j:log4j-core",
            "2.14.1",
            "2.15.0",
        ),
        row(
            "CVE-2022-0456",
            "chromium-driver",
            "97.0.4692.99-1~deb11u2",
            "98.0.4758.80-1~deb11u1",
        ),
        row("CVE-2023-37276", "aiohttp", "3.8.4", "3.8.5"),
        row("CVE-2021-23404", "sqlite-web", "0.4.0", "unfixed"),
        row("CVE-2020-7598", "minimist", "1.2.0", "1.2.3"),
        row("GHSA-5crp-9r3c-p9vr", "Newtonsoft.Json", "12.0.1", "13.0.1"),
    ]
    .into_iter()
    .collect()
}

fn write(path: &Path, content: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A jar as Maven builds it: the artifact's pom.properties inside.
fn jar(path: &Path, version: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("META-INF/MANIFEST.MF", options).unwrap();
    zip.write_all(b"Manifest-Version: 1.0\r\nImplementation-Title: Apache Log4j Core\r\n\r\n")
        .unwrap();
    zip.start_file(
        "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
        options,
    )
    .unwrap();
    zip.write_all(
        format!("version={version}\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\n")
            .as_bytes(),
    )
    .unwrap();
    zip.start_file("org/apache/logging/log4j/core/Logger.class", options)
        .unwrap();
    zip.write_all(&[0xca, 0xfe, 0xba, 0xbe]).unwrap();
    zip.finish().unwrap();
}

/// A Debian 11 root with packages of several ecosystems.
fn tree(root: &Path) {
    write(
        &root.join("etc/os-release"),
        b"PRETTY_NAME=\"Debian GNU/Linux 11 (bullseye)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"11\"\nVERSION=\"11 (bullseye)\"\nVERSION_CODENAME=bullseye\nID=debian\n",
    );
    write(
        &root.join("var/lib/dpkg/status"),
        b"Package: chromium-driver\nStatus: install ok installed\nPriority: optional\nSection: web\nInstalled-Size: 12345\nMaintainer: Debian Chromium Team <chromium@packages.debian.org>\nArchitecture: amd64\nSource: chromium\nVersion: 97.0.4692.99-1~deb11u2\nDescription: web browser - WebDriver support\n\nPackage: chromium\nStatus: install ok installed\nPriority: optional\nSection: web\nInstalled-Size: 234567\nMaintainer: Debian Chromium Team <chromium@packages.debian.org>\nArchitecture: amd64\nVersion: 98.0.4758.80-1~deb11u1\nDescription: web browser\n\nPackage: base-files\nStatus: install ok installed\nPriority: required\nSection: admin\nInstalled-Size: 340\nMaintainer: Santiago Vila <sanvila@debian.org>\nArchitecture: amd64\nVersion: 11.1+deb11u8\nDescription: Debian base system miscellaneous files\n\n",
    );
    let site = root.join("usr/local/lib/python3.9/site-packages");
    write(
        &site.join("aiohttp-3.8.4.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: aiohttp\nVersion: 3.8.4\nSummary: Async http client/server framework (asyncio)\nLicense: Apache 2\n",
    );
    write(
        &site.join("sqlite_web-0.4.0.dist-info/METADATA"),
        b"Metadata-Version: 2.1\nName: sqlite-web\nVersion: 0.4.0\nSummary: Web-based SQLite database browser.\nLicense: MIT\n",
    );
    write(
        &root.join("srv/app/node_modules/minimist/package.json"),
        br#"{"name": "minimist", "version": "1.2.0", "license": "MIT"}"#,
    );
    write(
        &root.join("srv/app/App.deps.json"),
        br#"{"runtimeTarget": {"name": ".NETCoreApp,Version=v6.0"}, "targets": {}, "libraries": {"App/1.0.0": {"type": "project"}, "Newtonsoft.Json/12.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-x"}}}"#,
    );
    jar(&root.join("srv/app/lib/log4j-core-2.14.1.jar"), "2.14.1");
    jar(&root.join("opt/new/lib/log4j-core-2.17.1.jar"), "2.17.1");
}

/// Validates a document with the schema validators (Python `jsonschema` in
/// the test venv that crates/sbom/tests/prepare.sh makes).
fn validate(kind: &str, path: &Path) {
    let (script, args) = match kind {
        "sarif" => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/validate_sarif.py"),
            vec![s(path).to_string()],
        ),
        _ => (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../sbom/tests/validate.py"),
            vec![kind.to_string(), s(path).to_string()],
        ),
    };
    let out = Command::new(vedette_testkit::python())
        .arg(&script)
        .args(&args)
        .output()
        .expect("python3 of the test venv");
    assert!(
        out.status.success(),
        "{kind} document {} does not validate:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn fs_scan_reports_what_the_advisories_say() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::build(dir.path());
    let root = dir.path().join("root");
    tree(&root);
    let out = scan(&db, "fs", s(&root), &["--format", "json"], 0);
    let report = json(&out);
    assert_eq!(report["schema"], "vedette-report/1");
    assert_eq!(rows(&report), expected());
    let log4j = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "CVE-2021-44228")
        .unwrap();
    assert_eq!(log4j["severity"], "CRITICAL");
    assert!(log4j["kev"]["date_added"].is_string(), "{log4j}");
    assert!(
        log4j["aliases"]
            .as_array()
            .unwrap()
            .contains(&Value::from("GHSA-jfh8-c2jp-5v3q"))
    );
    assert!(
        log4j["package"]["locations"][0]
            .as_str()
            .unwrap()
            .ends_with("/srv/app/lib/log4j-core-2.14.1.jar")
    );
    // Most severe first.
    assert_eq!(report["findings"][0]["id"], "CVE-2021-44228");
    assert_eq!(report["summary"]["kev"], 1);
    // The table: summary, one row per finding, ids and aliases, severity, KEV.
    let out = scan(&db, "fs", s(&root), &[], 0);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("Vulnerabilities: 6"), "{table}");
    assert!(table.contains("CRITICAL: 1"), "{table}");
    for (id, package, _, fixed) in expected() {
        assert!(
            table.contains(&id) && table.contains(&package),
            "{id} {package}: {table}"
        );
        if fixed != "unfixed" {
            assert!(table.contains(&fixed), "{fixed}: {table}");
        }
    }
    assert!(
        table.contains("(unfixed)") && table.contains("GHSA-jfh8-c2jp-5v3q"),
        "{table}"
    );
    assert!(
        table.find("CVE-2021-44228").unwrap() < table.find("CVE-2020-7598").unwrap(),
        "not sorted by severity: {table}"
    );
    // No progress decorations when stderr is not a terminal.
    assert!(!String::from_utf8_lossy(&out.stderr).contains('\u{1b}'));
}

#[test]
fn every_output_format_parses_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::build(dir.path());
    let root = dir.path().join("root");
    tree(&root);
    // SARIF 2.1.0 against the official schema.
    let sarif = dir.path().join("report.sarif");
    scan(
        &db,
        "fs",
        s(&root),
        &["--format", "sarif", "--output", s(&sarif)],
        0,
    );
    validate("sarif", &sarif);
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(run["results"].as_array().unwrap().len(), 6);
    let rules: BTreeSet<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains("CVE-2021-44228"), "{rules:?}");
    let log4j = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "CVE-2021-44228")
        .unwrap();
    assert_eq!(log4j["level"], "error");
    assert!(
        log4j["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("srv/app/lib/log4j-core-2.14.1.jar")
    );
    let index = log4j["ruleIndex"].as_u64().unwrap() as usize;
    assert_eq!(
        run["tool"]["driver"]["rules"][index]["properties"]["security-severity"],
        "10.0"
    );

    // CycloneDX 1.6 with vulnerabilities against the schema the SBOM crate vendors.
    let cdx = dir.path().join("report.cdx.json");
    scan(
        &db,
        "fs",
        s(&root),
        &["--format", "cyclonedx", "-o", s(&cdx)],
        0,
    );
    validate("cyclonedx", &cdx);
    let bom: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    let refs: BTreeSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let vulns = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 6);
    for v in vulns {
        for affected in v["affects"].as_array().unwrap() {
            assert!(refs.contains(affected["ref"].as_str().unwrap()), "{v}");
        }
    }
    let log4j = vulns.iter().find(|v| v["id"] == "CVE-2021-44228").unwrap();
    assert!(
        log4j["affects"][0]["ref"]
            .as_str()
            .unwrap()
            .starts_with("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1")
    );
    assert!(
        log4j["ratings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["severity"] == "critical")
    );

    // SPDX 2.3 (the SBOM) against its schema.
    let spdx = dir.path().join("report.spdx.json");
    scan(
        &db,
        "fs",
        s(&root),
        &["--format", "spdx", "-o", s(&spdx)],
        0,
    );
    validate("spdx", &spdx);

    // JSON and table to standard output.
    json(&scan(&db, "fs", s(&root), &["-f", "json"], 0));
}

#[test]
fn an_sbom_round_trip_gives_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::build(dir.path());
    let root = dir.path().join("root");
    tree(&root);
    for format in ["cyclonedx", "spdx"] {
        let doc = dir.path().join(format!("sbom.{format}.json"));
        let out = run(&strings(&[
            "sbom",
            s(&root),
            "--format",
            format,
            "-o",
            s(&doc),
        ]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        validate(format, &doc);
        let report = json(&scan(&db, "sbom", s(&doc), &["--format", "json"], 0));
        assert_eq!(rows(&report), expected(), "through {format}");
    }
    // Our own CycloneDX with vulnerabilities reads back as an SBOM too.
    let cdx = dir.path().join("with-vulns.cdx.json");
    scan(
        &db,
        "fs",
        s(&root),
        &["--format", "cyclonedx", "-o", s(&cdx)],
        0,
    );
    assert_eq!(
        rows(&json(&scan(&db, "sbom", s(&cdx), &["--format", "json"], 0))),
        expected()
    );
}

#[test]
fn filters_ignore_files_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::build(dir.path());
    let root = dir.path().join("root");
    tree(&root);
    let ids =
        |out: &Output| -> BTreeSet<String> { rows(&json(out)).into_iter().map(|r| r.0).collect() };
    let set = |ids: &[&str]| -> BTreeSet<String> { ids.iter().map(|s| s.to_string()).collect() };

    // --severity keeps only the listed severities, counted in the summary.
    let out = scan(
        &db,
        "fs",
        s(&root),
        &["-f", "json", "--severity", "CRITICAL"],
        0,
    );
    assert_eq!(ids(&out), set(&["CVE-2021-44228"]));
    assert_eq!(json(&out)["summary"]["filtered_severity"], 5);
    let out = scan(
        &db,
        "fs",
        s(&root),
        &["-f", "json", "--severity", "medium,low"],
        0,
    );
    assert_eq!(ids(&out), set(&["CVE-2020-7598", "GHSA-5crp-9r3c-p9vr"]));

    // --ignore-unfixed drops what has no fix.
    let out = scan(&db, "fs", s(&root), &["-f", "json", "--ignore-unfixed"], 0);
    assert_eq!(ids(&out).len(), 5);
    assert!(!ids(&out).contains("CVE-2021-23404"));

    // --fail-on: 3 when met, 0 otherwise; KEV as a condition.
    scan(&db, "fs", s(&root), &["--fail-on", "critical"], 3);
    let out = scan(&db, "fs", s(&root), &["--fail-on", "kev", "-f", "json"], 3);
    json(&out); // the report is still written in full
    assert!(String::from_utf8_lossy(&out.stderr).contains("CVE-2021-44228"));
    scan(
        &db,
        "fs",
        s(&root),
        &["--fail-on", "high", "--severity", "LOW,MEDIUM"],
        0,
    );

    // An ignore file: an active entry (by alias and package purl), an expired one.
    let ignore = dir.path().join("ignore.yaml");
    write(
        &ignore,
        b"ignore:\n  - id: GHSA-jfh8-c2jp-5v3q\n    package: pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1\n    reason: JNDI lookups are disabled by log4j2.formatMsgNoLookups in this service\n    expires: 2999-12-31\n  - id: CVE-2020-7598\n    reason: only used by a build script\n    expires: 2020-01-01\n",
    );
    let out = scan(
        &db,
        "fs",
        s(&root),
        &[
            "-f",
            "json",
            "--ignore-file",
            s(&ignore),
            "--fail-on",
            "critical,kev",
        ],
        0,
    );
    let report = json(&out);
    assert_eq!(rows(&report).len(), 5);
    assert!(!ids(&out).contains("CVE-2021-44228"));
    assert!(
        ids(&out).contains("CVE-2020-7598"),
        "an expired entry must not ignore"
    );
    assert_eq!(report["summary"]["ignored"], 1);
    assert_eq!(
        report["ignored"][0]["reason"],
        "JNDI lookups are disabled by log4j2.formatMsgNoLookups in this service"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("expired") && stderr.contains("CVE-2020-7598"),
        "{stderr}"
    );
    let table = String::from_utf8_lossy(
        &scan(&db, "fs", s(&root), &["--ignore-file", s(&ignore)], 0).stdout,
    )
    .into_owned();
    assert!(table.contains("1 ignored by the ignore file"), "{table}");

    // The same in TOML; an entry for another package version ignores nothing.
    let toml = dir.path().join("ignore.toml");
    write(
        &toml,
        b"[[ignore]]\nid = \"CVE-2021-44228\"\npackage = \"pkg:maven/org.apache.logging.log4j/log4j-core@2.15.0\"\nreason = \"pinned elsewhere\"\n",
    );
    scan(
        &db,
        "fs",
        s(&root),
        &["--ignore-file", s(&toml), "--fail-on", "critical"],
        3,
    );
    let toml_all = dir.path().join("all.toml");
    write(
        &toml_all,
        b"[[ignore]]\nid = \"CVE-2021-44228\"\npackage = \"org.apache.logging.log4j:log4j-core\"\nreason = \"accepted risk, ticket SEC-12\"\n",
    );
    scan(
        &db,
        "fs",
        s(&root),
        &["--ignore-file", s(&toml_all), "--fail-on", "critical"],
        0,
    );

    // An entry without a reason is refused with exit code 1.
    let bad = dir.path().join("bad.yaml");
    write(&bad, b"ignore:\n  - id: CVE-2021-44228\n");
    let out = scan(&db, "fs", s(&root), &["--ignore-file", s(&bad)], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("reason"));
}

#[test]
fn a_missing_db_says_what_to_run_and_an_old_one_warns() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    tree(&root);
    let out = run(&strings(&[
        "scan",
        "fs",
        s(&root),
        "--db",
        s(&dir.path().join("none.db")),
    ]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("vedette db update") && stderr.contains("vedette db import"),
        "{stderr}"
    );
    let db = Db::build(dir.path());
    let out = scan(&db, "fs", s(&root), &["--max-age", "0s"], 0);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: the vulnerability DB is older than"),
        "{stderr}"
    );
    let out = scan(&db, "fs", s(&root), &[], 0);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("older than"));
}

#[test]
fn images_from_the_docker_engine_and_from_a_docker_save_archive() {
    let busybox = busybox();
    let dir = tempfile::tempdir().unwrap();
    let db = Db::build(dir.path());
    let root = dir.path().join("root");
    tree(&root);
    let rootfs = dir.path().join("rootfs.tar");
    assert!(
        Command::new("tar")
            .args(["-C", s(&root), "-cf", s(&rootfs), "."])
            .status()
            .unwrap()
            .success()
    );
    // Removed when the test ends, passed or failed.
    let temp = TempImage::new("scan");
    let image = temp.tag();
    docker(&["import", s(&rootfs), image]);
    // Streamed from the Engine over its socket.
    let out = scan(&db, "image", image, &["--format", "json"], 0);
    let report = json(&out);
    assert_eq!(rows(&report), expected());
    assert_eq!(report["target"], format!("docker:{image}"));
    assert_eq!(report["distro"]["version_codename"], "bullseye");
    // From a `docker save` archive.
    let archive = dir.path().join("image.tar");
    docker(&["save", "-o", s(&archive), image]);
    let report = json(&scan(&db, "image", s(&archive), &["--format", "json"], 0));
    assert_eq!(rows(&report), expected());
    // The SBOM of the Engine image validates; an unknown image is a clear error.
    let doc = dir.path().join("image.cdx.json");
    let out = run(&strings(&[
        "sbom",
        &format!("docker:{image}"),
        "-o",
        s(&doc),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    validate("cyclonedx", &doc);
    let missing = TempImage::new("scan-missing");
    let out = scan(&db, "image", missing.tag(), &[], 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not in the Docker Engine"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The busybox image of the sensor tests has no package database: no findings.
    let report = json(&scan(&db, "image", &busybox, &["-f", "json"], 0));
    assert_eq!(report["summary"]["total"], 0);
}

/// A GitHub classic token with a valid CRC32 checksum (format only; not a
/// real credential).
fn github_token() -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let random = "Vd7tScN4qP2mXw9ZrT5yLk3HbJ8fGs";
    let mut n = crc32fast::hash(random.as_bytes());
    let mut checksum = Vec::new();
    while n > 0 {
        checksum.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while checksum.len() < 6 {
        checksum.push(b'0');
    }
    checksum.reverse();
    format!("ghp_{random}{}", String::from_utf8(checksum).unwrap())
}

fn run_secrets(root: &Path, extra: &[&str], code: i32) -> Output {
    let mut args = strings(&["scan", "secrets", s(root)]);
    args.extend(strings(extra));
    let out = run(&args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn secrets_are_reported_masked_never_in_full() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let token = github_token();
    write(
        &root.join("deploy/.env"),
        format!("APP_ENV=production\nGITHUB_TOKEN={token}\n").as_bytes(),
    );
    write(
        &root.join("src/main.py"),
        b"import os\n\n# the documented example key is not a finding\nAWS_ACCESS_KEY_ID = \"AKIAIOSFODNN7EXAMPLE\"\n",
    );
    let never_in = |out: &Output| {
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(&token),
                "the full secret was printed: {text}"
            );
            assert!(
                !text.contains(&token[4..20]),
                "a long part of the secret was printed"
            );
        }
    };
    let out = run_secrets(&root, &[], 0);
    never_in(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("github-pat-classic") && table.contains("Secrets: 1"),
        "{table}"
    );
    assert!(table.contains("deploy/.env:2:14"), "{table}");

    let out = run_secrets(&root, &["--format", "json"], 0);
    never_in(&out);
    let report = json(&out);
    let finding = &report["findings"][0];
    assert_eq!(finding["type"], "secret");
    assert_eq!(finding["rule_id"], "github-pat-classic");
    assert_eq!(finding["severity"], "CRITICAL");
    assert!(finding["masked"].as_str().unwrap().starts_with("ghp_"));
    assert_eq!(finding["secret_len"], 40);
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);

    let sarif = dir.path().join("secrets.sarif");
    let out = run_secrets(
        &root,
        &["--format", "sarif", "-o", s(&sarif), "--fail-on", "high"],
        3,
    );
    never_in(&out);
    let text = std::fs::read_to_string(&sarif).unwrap();
    assert!(!text.contains(&token));
    validate("sarif", &sarif);
    let log: Value = serde_json::from_str(&text).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "github-pat-classic");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );

    // Ignored by rule id and path glob; SBOM formats are refused.
    let ignore = dir.path().join("ignore.yaml");
    write(
        &ignore,
        b"ignore:\n  - id: github-pat-classic\n    path: \"**/deploy/.env\"\n    reason: revoked on 2026-11-01, kept as a test fixture\n",
    );
    let report = json(&run_secrets(
        &root,
        &[
            "-f",
            "json",
            "--ignore-file",
            s(&ignore),
            "--fail-on",
            "low",
        ],
        0,
    ));
    assert_eq!(report["summary"]["ignored"], 1);
    let out = run_secrets(&root, &["--format", "cyclonedx"], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("table, json and sarif"));
}

#[test]
fn malware_eicar_in_a_file_and_in_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("files");
    // The EICAR test file, assembled here so this source is not itself a match.
    let eicar = [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
    ]
    .concat();
    write(&root.join("downloads/eicar.com"), eicar.as_bytes());
    write(&root.join("docs/readme.txt"), b"nothing to see here\n");
    {
        let path = root.join("archives/bundle.zip");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        zip.start_file("inner/eicar.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(eicar.as_bytes()).unwrap();
        zip.finish().unwrap();
    }
    let malware = |extra: &[&str], code: i32| -> Output {
        let mut args = strings(&["scan", "malware", s(&root)]);
        args.extend(strings(extra));
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let report = json(&malware(&["--format", "json"], 0));
    let found: BTreeSet<(String, Option<String>)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                f["member"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("eicar.com".to_string(), None)].into_iter().collect()
    );
    assert_eq!(report["findings"][0]["rule_id"], "vedette:EICAR_Test_File");
    assert_eq!(report["findings"][0]["severity"], "INFO");

    // Inside archives with --archives; SARIF validates; --fail-on.
    let sarif = dir.path().join("malware.sarif");
    malware(
        &[
            "--archives",
            "-f",
            "sarif",
            "-o",
            s(&sarif),
            "--fail-on",
            "info",
        ],
        3,
    );
    validate("sarif", &sarif);
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(log["runs"][0]["results"].as_array().unwrap().len(), 2);
    let table = String::from_utf8_lossy(&malware(&["--archives"], 0).stdout).into_owned();
    assert!(
        table.contains("Malware matches: 2") && table.contains("bundle.zip!inner/eicar.txt"),
        "{table}"
    );

    // Own rules instead of the built-in set; a broken rule file is a clear error.
    let rules = dir.path().join("rules");
    write(
        &rules.join("local.yar"),
        b"rule Readme_Marker { meta: severity = \"low\" strings: $a = \"nothing to see\" condition: $a }\n",
    );
    let report = json(&malware(&["--rules", s(&rules), "-f", "json"], 0));
    assert_eq!(report["findings"].as_array().unwrap().len(), 1);
    assert_eq!(report["findings"][0]["rule_id"], "local:Readme_Marker");
    write(
        &rules.join("broken.yar"),
        b"rule Broken { condition: $missing }\n",
    );
    let out = malware(&["--rules", s(&rules)], 1);
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.yar"));
}

#[test]
fn secrets_and_malware_in_every_layer_of_an_image() {
    let busybox = busybox();
    let dir = tempfile::tempdir().unwrap();
    let token = github_token();
    let eicar = [
        "X5O!P%@AP[4\\PZX54(P^)7CC)7}$",
        "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*",
    ]
    .concat();
    // Layers: busybox (0), COPY of the token and EICAR (1), RUN rm of the
    // token (2): the token is gone from the final filesystem, not from the image.
    let ctx = dir.path().join("ctx");
    write(
        &ctx.join("app/token.env"),
        format!("GITHUB_TOKEN={token}\n").as_bytes(),
    );
    write(&ctx.join("app/eicar.com"), eicar.as_bytes());
    write(
        &ctx.join("Dockerfile"),
        format!(
            "FROM {busybox}\nCOPY app/ /app/\nRUN [\"/bin/busybox\", \"rm\", \"/app/token.env\"]\n"
        )
        .as_bytes(),
    );
    // Removed when the test ends, passed or failed.
    let temp = TempImage::new("scan-layers");
    let image = temp.tag().to_string();
    docker(&["build", "--network", "none", "-q", "-t", &image, s(&ctx)]);
    let never_in = |out: &Output| {
        for stream in [&out.stdout, &out.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(&token),
                "the full secret was printed: {text}"
            );
            assert!(
                !text.contains(&token[4..20]),
                "a long part of the secret was printed"
            );
        }
    };
    let check_token = |report: &Value| {
        let findings = report["findings"].as_array().unwrap();
        assert_eq!(findings.len(), 1, "{report:#}");
        let finding = &findings[0];
        assert_eq!(finding["rule_id"], "github-pat-classic");
        assert_eq!(finding["path"], "/app/token.env", "{finding:#}");
        assert!(finding["masked"].as_str().unwrap().starts_with("ghp_"));
        assert_eq!(finding["layer"]["index"], 1, "{finding:#}");
        assert_eq!(finding["layer"]["visible"], false, "{finding:#}");
        assert!(
            !finding["layer"]["digest"].as_str().unwrap().is_empty(),
            "{finding:#}"
        );
        finding["layer"]["digest"].as_str().unwrap().to_string()
    };

    // Streamed from the Docker Engine.
    let out = run_secrets(Path::new(&image), &["--format", "json"], 0);
    never_in(&out);
    let report = json(&out);
    assert_eq!(report["target"], format!("docker:{image}"));
    let streamed_digest = check_token(&report);

    // From a `docker save` archive: the same layer.
    let archive = dir.path().join("image.tar");
    docker(&["save", "-o", s(&archive), &image]);
    let out = run_secrets(&archive, &["--format", "json"], 0);
    never_in(&out);
    let report = json(&out);
    assert_eq!(report["target"], format!("image:{}", s(&archive)));
    assert_eq!(check_token(&report), streamed_digest);

    // The table names the layer; SARIF carries it and validates; --fail-on
    // exits with 3 for an image target.
    let out = run_secrets(Path::new(&image), &[], 0);
    never_in(&out);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("/app/token.env:1:14") && table.contains("deleted later"),
        "{table}"
    );
    let sarif = dir.path().join("image.sarif");
    let out = run_secrets(
        Path::new(&image),
        &["--format", "sarif", "-o", s(&sarif), "--fail-on", "high"],
        3,
    );
    never_in(&out);
    let text = std::fs::read_to_string(&sarif).unwrap();
    assert!(!text.contains(&token));
    validate("sarif", &sarif);
    let log: Value = serde_json::from_str(&text).unwrap();
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["properties"]["layer"]["index"], 1);
    assert_eq!(result["properties"]["layer"]["visible"], false);

    // Malware: EICAR in layer 1, still visible.
    let malware = |target: &str, extra: &[&str], code: i32| -> Output {
        let mut args = strings(&["scan", "malware", target]);
        args.extend(strings(extra));
        let out = run(&args);
        assert_eq!(
            out.status.code(),
            Some(code),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    };
    let report = json(&malware(&image, &["--format", "json"], 0));
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{report:#}");
    assert_eq!(findings[0]["rule_id"], "vedette:EICAR_Test_File");
    assert_eq!(findings[0]["path"], "/app/eicar.com");
    assert_eq!(findings[0]["layer"]["index"], 1);
    assert_eq!(findings[0]["layer"]["visible"], true);
    let report = json(&malware(s(&archive), &["--format", "json"], 0));
    assert_eq!(report["findings"][0]["path"], "/app/eicar.com");
    malware(&image, &["--fail-on", "info"], 3);

    // `fs:` scans an archive file as it is; an unknown image is a clear error.
    let report = json(&malware(
        &format!("fs:{}", s(&archive)),
        &["--format", "json"],
        0,
    ));
    assert_eq!(report["target"], format!("dir:{}", s(&archive)));
    let out = malware("vedette-no-such-image:never", &[], 1);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not in the Docker Engine"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
