//! Hostile and malformed inputs: each must end as a clear per-file
//! diagnostic or error, with bounded memory and nothing written outside the
//! test's temporary directory.

use std::io::{Cursor, Write};
use std::os::unix::fs::symlink;

use vedette_sbom::Error;
use vedette_sbom::cataloger::Cataloger;
use vedette_sbom::cataloger::java::{JavaCataloger, MAX_DEPTH};
use vedette_sbom::cataloger::rpm::RpmCataloger;
use vedette_sbom::source::DirSource;
use zip::write::{SimpleFileOptions, ZipWriter};

use crate::util::{TestResult, testdata};

fn zip_of(entries: &[(&str, &[u8])]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in entries {
        w.start_file(*name, SimpleFileOptions::default())?;
        w.write_all(data)?;
    }
    Ok(w.finish()?.into_inner())
}

#[test]
fn malformed_databases_and_manifests_become_diagnostics() -> TestResult {
    let root = tempfile::tempdir()?;
    let r = root.path();
    let files: [(&str, &[u8]); 10] = [
        (
            "var/lib/dpkg/status",
            b"\x00\x01\x02 not a status file\n\nPackage: only-name\n",
        ),
        ("lib/apk/db/installed", b"P:\nV\n\n\xff\xfe"),
        ("var/lib/rpm/Packages", b"definitely not berkeley db"),
        ("var/lib/rpm/rpmdb.sqlite", b"SQLite format 3\0truncated"),
        ("app/package-lock.json", b"{\"packages\": [1, 2"),
        ("app/yarn.lock", b"__metadata:\n  - ]["),
        ("app/composer.lock", b"null"),
        ("app/Cargo.lock", b"[[package]]\nname = 5\n"),
        ("app/lib/broken.jar", b"PK\x03\x04 not really a zip"),
        (
            "usr/lib/python3/dist-packages/x-1.dist-info/METADATA",
            b"garbage without headers",
        ),
    ];
    for (path, data) in files {
        let full = r.join(path);
        std::fs::create_dir_all(full.parent().ok_or("no parent")?)?;
        std::fs::write(full, data)?;
    }
    let sbom = vedette_sbom::catalog(&DirSource::open(r)?)?;
    let flagged: Vec<&str> = sbom.diagnostics.iter().map(|d| d.path.as_str()).collect();
    for path in [
        "/var/lib/dpkg/status",
        "/lib/apk/db/installed",
        "/var/lib/rpm/Packages",
        "/var/lib/rpm/rpmdb.sqlite",
        "/app/package-lock.json",
        "/app/yarn.lock",
        "/app/composer.lock",
        "/app/Cargo.lock",
        "/app/lib/broken.jar",
        "/usr/lib/python3/dist-packages/x-1.dist-info/METADATA",
    ] {
        assert!(
            flagged.contains(&path),
            "no diagnostic for {path}: {:?}",
            sbom.diagnostics
        );
    }
    for d in &sbom.diagnostics {
        assert!(!d.message.is_empty() && !d.cataloger.is_empty(), "{d:?}");
    }
    assert!(sbom.packages.is_empty(), "{:?}", sbom.packages);
    Ok(())
}

#[test]
fn corrupted_rpm_databases_are_refused_without_panicking() -> TestResult {
    for file in ["rpm/Packages", "rpm/Packages.db", "rpm/rpmdb.sqlite"] {
        let original = std::fs::read(testdata(file))?;
        // Flip bytes all over the file and truncate it at many points.
        for step in [1usize, 7, 61, 509] {
            let mut data = original.clone();
            for i in (0..data.len()).step_by(step.max(data.len() / 200)) {
                data[i] ^= 0xa5;
            }
            let _ = RpmCataloger.catalog(file, &mut Cursor::new(data));
        }
        for len in (0..original.len()).step_by(original.len() / 50 + 1) {
            let _ = RpmCataloger.catalog(file, &mut Cursor::new(original[..len].to_vec()));
        }
    }
    // A Berkeley DB overflow chain that loops on itself is cut.
    let mut looped = std::fs::read(testdata("rpm/Packages"))?;
    let page = 4096;
    for p in 1..looped.len() / page {
        let at = p * page;
        if looped[at + 25] == 7 {
            looped[at + 16..at + 20].copy_from_slice(&(p as u32).to_le_bytes());
            looped[at + 22..at + 24].copy_from_slice(&1u16.to_le_bytes());
        }
    }
    match RpmCataloger.catalog("Packages", &mut Cursor::new(looped)) {
        Ok(found) => assert!(found.packages.is_empty() || !found.warnings.is_empty()),
        Err(e) => assert!(e.to_string().contains("Packages"), "{e}"),
    }
    Ok(())
}

#[test]
fn deeply_nested_jars_stop_at_the_depth_limit() -> TestResult {
    let mut jar = zip_of(&[(
        "META-INF/maven/org.example/leaf/pom.properties",
        b"groupId=org.example\nartifactId=leaf\nversion=1\n",
    )])?;
    for level in 0..MAX_DEPTH + 3 {
        jar = zip_of(&[(&format!("lib/level{level}.jar"), &jar)])?;
    }
    let found = JavaCataloger.catalog("/deep.jar", &mut Cursor::new(jar))?;
    assert!(
        found.packages.iter().all(|p| p.name != "org.example:leaf"),
        "the leaf is deeper than the limit"
    );
    assert!(
        found
            .warnings
            .iter()
            .any(|w| w.contains(&format!("nested deeper than {MAX_DEPTH}"))),
        "{:?}",
        found.warnings
    );
    Ok(())
}

#[test]
fn zip_bombs_are_bounded() -> TestResult {
    // 1 GiB of zeros deflates to about 1 MiB; the manifest limit is 1 MiB
    // and a nested archive is limited to 64 MiB.
    let mut w = ZipWriter::new(Cursor::new(Vec::new()));
    let zeros = vec![0u8; 1 << 20];
    w.start_file(
        "META-INF/maven/x/y/pom.properties",
        SimpleFileOptions::default(),
    )?;
    for _ in 0..256 {
        w.write_all(&zeros)?;
    }
    w.start_file("lib/bomb.jar", SimpleFileOptions::default())?;
    for _ in 0..1024 {
        w.write_all(&zeros)?;
    }
    let bomb = w.finish()?.into_inner();
    assert!(
        bomb.len() < 8 << 20,
        "the bomb is small on disk: {}",
        bomb.len()
    );
    match JavaCataloger.catalog("/bomb.jar", &mut Cursor::new(bomb)) {
        Err(Error::TooLarge { limit, .. }) => assert_eq!(limit, 1 << 20),
        other => panic!("expected a size error, got {other:?}"),
    }
    Ok(())
}

#[test]
fn huge_files_are_refused_by_size() -> TestResult {
    let root = tempfile::tempdir()?;
    // A sparse 100 MiB lock file: larger than the 64 MiB manifest limit.
    let file = std::fs::File::create(root.path().join("Cargo.lock"))?;
    file.set_len(100 << 20)?;
    let sbom = vedette_sbom::catalog(&DirSource::open(root.path())?)?;
    assert_eq!(sbom.diagnostics.len(), 1, "{:?}", sbom.diagnostics);
    assert!(
        sbom.diagnostics[0].message.contains("byte limit"),
        "{:?}",
        sbom.diagnostics
    );
    Ok(())
}

#[test]
fn symlinks_cannot_escape_the_root() -> TestResult {
    let outside = tempfile::tempdir()?;
    std::fs::create_dir_all(outside.path().join("etc"))?;
    std::fs::write(outside.path().join("etc/os-release"), "ID=escaped\n")?;
    std::fs::write(
        outside.path().join("status"),
        "Package: escaped\nStatus: install ok installed\nVersion: 1\n",
    )?;
    let root = tempfile::tempdir()?;
    let r = root.path();
    std::fs::create_dir_all(r.join("var/lib/dpkg"))?;
    std::fs::create_dir_all(r.join("etc"))?;
    // Absolute links, as a container image would have them, and a relative
    // one climbing out.
    symlink(
        outside.path().join("etc/os-release"),
        r.join("etc/os-release"),
    )?;
    symlink(
        format!(
            "../../../../../../../../..{}",
            outside.path().join("status").display()
        ),
        r.join("var/lib/dpkg/status"),
    )?;
    symlink(outside.path(), r.join("outside"))?;
    let sbom = vedette_sbom::catalog(&DirSource::open(r)?)?;
    assert!(
        sbom.distro.is_none(),
        "os-release read from outside the root: {:?}",
        sbom.distro
    );
    assert!(sbom.packages.is_empty(), "{:?}", sbom.packages);
    Ok(())
}

#[test]
fn every_cataloger_survives_corrupted_real_files() -> TestResult {
    // Real files of every format, truncated and bit-flipped, fed to every
    // cataloger (also the ones not meant for them): errors are fine,
    // panics and hangs are not.
    let fixtures = crate::util::fixtures();
    let mut samples: Vec<(String, Vec<u8>)> = Vec::new();
    let mut add = |name: &str, path: &std::path::Path, max: usize| -> TestResult {
        let mut data = std::fs::read(path)
            .map_err(|e| format!("{}: {e}: run crates/sbom/tests/prepare.sh", path.display()))?;
        data.truncate(max);
        samples.push((name.to_string(), data));
        Ok(())
    };
    add(
        "/var/lib/dpkg/status",
        std::path::Path::new("/var/lib/dpkg/status"),
        64 << 10,
    )?;
    add(
        "/app/package-lock.json",
        &fixtures.join("node/package-lock.json"),
        64 << 10,
    )?;
    add("/app/yarn.lock", &fixtures.join("yarn/yarn.lock"), 64 << 10)?;
    add(
        "/berry/yarn.lock",
        &fixtures.join("berry/yarn.lock"),
        64 << 10,
    )?;
    add(
        "/app/pnpm-lock.yaml",
        &fixtures.join("pnpm/pnpm-lock.yaml"),
        64 << 10,
    )?;
    add(
        "/x.dist-info/METADATA",
        &fixtures.join("python/requests-2.31.0.dist-info/METADATA"),
        64 << 10,
    )?;
    add("/var/lib/rpm/Packages", &testdata("rpm/Packages"), 1 << 20)?;
    add(
        "/var/lib/rpm/Packages.db",
        &testdata("rpm/Packages.db"),
        1 << 20,
    )?;
    add(
        "/bin/busybox",
        std::path::Path::new("/usr/bin/busybox"),
        4 << 20,
    )?;
    let jar = std::fs::read_dir("/usr/share/java")?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("log4j-api-"))
        })
        .ok_or("no log4j-api jar: run crates/sbom/tests/prepare.sh")?;
    add("/app/lib/log4j-api.jar", &jar, 8 << 20)?;
    let catalogers = vedette_sbom::cataloger::all();
    let mut runs = 0;
    for (path, original) in &samples {
        let len = original.len();
        let mut variants: Vec<Vec<u8>> = (1..8).map(|k| original[..len * k / 8].to_vec()).collect();
        for seed in [3usize, 17, 101] {
            let mut v = original.clone();
            let mut i = seed;
            while i < len {
                v[i] ^= 0x5a;
                i += len / 64 + seed;
            }
            variants.push(v);
        }
        for variant in variants {
            for c in &catalogers {
                let _ = c.catalog(path, &mut Cursor::new(variant.clone()));
                runs += 1;
            }
        }
    }
    assert_eq!(runs, samples.len() * 10 * catalogers.len());
    Ok(())
}
