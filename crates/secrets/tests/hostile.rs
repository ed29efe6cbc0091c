//! Hostile inputs: the scan completes and reports each problem per file, without blocking,
//! looping or reading without bound.

use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use vedette_secrets::{
    ArchiveLimits, FileErrorKind, RuleErrorKind, Ruleset, ScanOptions, Scanner, SkipReason,
};

use crate::util::{Rng, write};

fn scanner(options: ScanOptions) -> Scanner {
    Scanner::new(Ruleset::builtin().expect("rules"), options).expect("scanner")
}

#[test]
fn file_over_the_size_limit_is_reported_as_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(11);
    let token = rng.github("ghp");
    let mut big = format!("TOKEN={token}\n");
    big.push_str(&"a".repeat(2 << 20));
    write(dir.path(), "big.txt", &big);
    let report = scanner(ScanOptions {
        max_file_size: 1 << 20,
        ..ScanOptions::default()
    })
    .scan_path(dir.path());
    assert!(report.findings.is_empty());
    assert_eq!(report.skipped.len(), 1);
    assert!(matches!(
        report.skipped[0].reason,
        SkipReason::TooLarge { limit, .. } if limit == 1 << 20
    ));
}

#[test]
fn fifo_is_skipped_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe.env");
    let status = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("the `mkfifo` command (coreutils) is needed by this test");
    assert!(status.success());
    write(dir.path(), "ok.txt", "nothing here\n");
    let started = Instant::now();
    let report = scanner(ScanOptions::default()).scan_path(dir.path());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(report.stats.files_scanned, 1);
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.path == fifo && s.reason == SkipReason::NotRegular),
        "{:?}",
        report.skipped
    );
}

#[test]
fn symlink_loops_and_escapes_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(12);
    write(
        outside.path(),
        "secret.env",
        &format!("TOKEN={}\n", rng.github("ghp")),
    );
    let root = dir.path().join("root");
    write(&root, "a/ok.txt", "nothing here\n");
    std::os::unix::fs::symlink(&root, root.join("a/loop")).expect("symlink");
    std::os::unix::fs::symlink(outside.path(), root.join("escape")).expect("symlink");

    // Not following: both links are counted and ignored.
    let report = scanner(ScanOptions::default()).scan_path(&root);
    assert_eq!(report.stats.symlinks_skipped, 2);
    assert!(report.findings.is_empty() && report.errors.is_empty());

    // Following: the loop is a per-file walk error, the escape is refused.
    let report = scanner(ScanOptions {
        follow_symlinks: true,
        ..ScanOptions::default()
    })
    .scan_path(&root);
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(
        report
            .errors
            .iter()
            .any(|e| matches!(&e.kind, FileErrorKind::Walk(m) if m.contains("loop"))),
        "{:?}",
        report.errors
    );
    assert!(
        report
            .skipped
            .iter()
            .any(|s| s.reason == SkipReason::OutsideRoot)
    );
    assert_eq!(report.stats.files_scanned, 1);
}

#[test]
fn non_utf8_file_names_are_scanned_and_serialized() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(13);
    let token = rng.github("ghp");
    let name = std::ffi::OsStr::from_bytes(b"conf\xff\xfe.env");
    std::fs::write(dir.path().join(name), format!("TOKEN={token}\n")).expect("write");
    let report = scanner(ScanOptions::default()).scan_path(dir.path());
    assert_eq!(report.findings.len(), 1);
    let json = serde_json::to_string(&report).expect("json");
    assert!(json.contains("conf\u{fffd}\u{fffd}.env"));
}

#[test]
fn pathological_user_regexes_are_rejected_or_bounded() {
    let rule = |regex: &str| {
        format!(
            "[[rules]]\nid = \"user-rule\"\nname = \"user\"\nseverity = \"low\"\nkeywords = [\"aaa\"]\nregex = '''{regex}'''\n"
        )
    };
    // Too big once compiled.
    let err = Scanner::new(
        Ruleset::from_toml(&rule("(a{1000}){1000}")).expect("parses"),
        ScanOptions::default(),
    )
    .expect_err("must be rejected");
    assert_eq!(err.rule_id.as_deref(), Some("user-rule"));
    assert!(matches!(err.kind, RuleErrorKind::Regex(_)), "{err}");
    // Matches the empty string.
    let err = Scanner::new(
        Ruleset::from_toml(&rule("a*")).expect("parses"),
        ScanOptions::default(),
    )
    .expect_err("must be rejected");
    assert!(
        matches!(err.kind, RuleErrorKind::RegexMatchesEmpty),
        "{err}"
    );
    // Too long a source.
    let long = "a".repeat(5000);
    let err = Scanner::new(
        Ruleset::from_toml(&rule(&long)).expect("parses"),
        ScanOptions::default(),
    )
    .expect_err("must be rejected");
    assert!(
        matches!(err.kind, RuleErrorKind::RegexTooLong { .. }),
        "{err}"
    );
    // A backtracking-bomb shape compiles but runs in linear time on a hostile line.
    let scanner = Scanner::new(
        Ruleset::from_toml(&rule("(a+)+b")).expect("parses"),
        ScanOptions::default(),
    )
    .expect("accepted: the regex engine is linear");
    let hostile = "a".repeat(1 << 20);
    let started = Instant::now();
    assert!(
        scanner
            .scan_bytes(Path::new("x.txt"), hostile.as_bytes())
            .is_empty()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

fn archive_options(limits: ArchiveLimits) -> ScanOptions {
    ScanOptions {
        archives: Some(limits),
        ..ScanOptions::default()
    }
}

fn zip_bytes(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        zip.start_file(*name, options).expect("zip entry");
        zip.write_all(data).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

#[test]
fn secrets_inside_zip_and_tar_gz_are_found() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rng = Rng::new(14);
    let in_zip = rng.github("ghp");
    let in_tgz = format!("glpat-{}", rng.base62(20));
    let zip = zip_bytes(&[(
        "BOOT-INF/classes/application.properties",
        format!("github.token={in_zip}\n").into_bytes(),
    )]);
    std::fs::write(dir.path().join("app.jar"), zip).expect("write");
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(
        Vec::new(),
        flate2::Compression::fast(),
    ));
    let data = format!("GITLAB_TOKEN={in_tgz}\n");
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(&mut header, "etc/ci.env", data.as_bytes())
        .expect("tar entry");
    let gz = tar.into_inner().expect("tar").finish().expect("gz");
    std::fs::write(dir.path().join("layer.tar.gz"), gz).expect("write");

    // Off by default: archives are binary and skipped.
    let report = scanner(ScanOptions::default()).scan_path(dir.path());
    assert!(report.findings.is_empty());

    let report = scanner(archive_options(ArchiveLimits::default())).scan_path(dir.path());
    let mut files: Vec<String> = report
        .findings
        .iter()
        .map(|f| f.file.to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{:?}", report.findings);
    assert!(files[0].ends_with("app.jar!/BOOT-INF/classes/application.properties"));
    assert!(files[1].ends_with("layer.tar.gz!/etc/ci.env"));
    assert_eq!(report.stats.archive_entries_scanned, 2);
}

#[test]
fn zip_bombs_and_entry_floods_are_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 64 MiB of zeros compresses to about 64 KiB.
    let bomb = zip_bytes(&[("zeros.txt", vec![b'0'; 64 << 20])]);
    assert!(bomb.len() < 1 << 20);
    std::fs::write(dir.path().join("bomb.zip"), bomb).expect("write");
    let many: Vec<(String, Vec<u8>)> = (0..300)
        .map(|i| (format!("f{i}.txt"), b"x\n".to_vec()))
        .collect();
    let many_refs: Vec<(&str, Vec<u8>)> =
        many.iter().map(|(n, d)| (n.as_str(), d.clone())).collect();
    std::fs::write(dir.path().join("many.zip"), zip_bytes(&many_refs)).expect("write");

    let limits = ArchiveLimits {
        max_archive_size: 8 << 20,
        max_entries: 100,
        max_total_bytes: 4 << 20,
    };
    let started = Instant::now();
    let report = scanner(archive_options(limits)).scan_path(dir.path());
    assert!(started.elapsed() < Duration::from_secs(20));
    let reasons: Vec<&SkipReason> = report.skipped.iter().map(|s| &s.reason).collect();
    assert!(
        reasons.contains(&&SkipReason::ArchiveByteLimit { limit: 4 << 20 }),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&&SkipReason::ArchiveEntryLimit { limit: 100 }),
        "{reasons:?}"
    );
    assert_eq!(report.stats.archive_entries_scanned, 100);
}

#[test]
fn file_size_is_not_trusted_from_metadata() {
    // procfs files report a size of 0 but have content, like a file that grows after `stat`:
    // the reader reads until end of file (bounded by the limit), not the announced size.
    let status = Path::new("/proc/self/status");
    assert_eq!(std::fs::metadata(status).expect("procfs").len(), 0);
    let report = scanner(ScanOptions::default()).scan_path(status);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.stats.files_scanned, 1);
    assert!(report.stats.bytes_scanned > 100);
}

#[test]
fn a_file_shrinking_while_scanned_does_not_fail_the_scan() {
    // A writer truncates and rewrites the file in a loop while the scanner reads it: every
    // scan completes, and whatever it read is scanned without error.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("churn.log");
    let mut rng = Rng::new(15);
    let token = rng.github("ghp");
    let full = format!("{}TOKEN={token}\n", "log line\n".repeat(50_000));
    std::fs::write(&path, &full).expect("write");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (path, stop, full) = (path.clone(), stop.clone(), full.clone());
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::fs::write(&path, &full[..full.len() / 3]);
                let _ = std::fs::write(&path, &full);
            }
        })
    };
    let scanner = scanner(ScanOptions::default());
    for _ in 0..20 {
        let report = scanner.scan_path(dir.path());
        assert!(report.errors.is_empty(), "{:?}", report.errors);
        assert!(report.findings.len() <= 1);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().expect("writer");
}

#[test]
fn unreadable_entries_become_per_file_errors() {
    // Tests run as root here, so permission bits cannot make a file unreadable; a dangling
    // symlink that the walk is asked to follow is an entry that cannot be read either.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "ok.txt", "nothing here\n");
    std::os::unix::fs::symlink(dir.path().join("gone.env"), dir.path().join("dangling.env"))
        .expect("symlink");
    let report = scanner(ScanOptions {
        follow_symlinks: true,
        ..ScanOptions::default()
    })
    .scan_path(dir.path());
    assert_eq!(report.stats.files_scanned, 1);
    let failed: Vec<String> = report
        .errors
        .iter()
        .map(|e| {
            e.path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
        .collect();
    assert!(
        failed
            .iter()
            .any(|n| n == "dangling.env" || n == "gone.env"),
        "{:?} {:?}",
        report.errors,
        report.skipped
    );
}
