//! Loading the real OSV records of the test data.

use std::collections::BTreeSet;
use std::io::Write;

use vedette_vulndb::osv::{
    CompiledAffected, Ecosystem, Limits, LoadError, RangeType, load_file, load_zip, parse_record,
};

use crate::common::{OSV_FOLDERS, advisories, load_folder};

#[test]
fn every_osv_folder_loads_with_the_manifest_counts() {
    // Record counts from MANIFEST.md ("upstream records → kept").
    let expected = [
        ("almalinux-osv-database", 317),
        ("bitnami-vulndb", 298),
        ("drupal-advisory-database", 591),
        ("go-vulndb", 321),
        ("homebrew-advisory-database", 43),
        ("pypa-advisory-database", 287),
        ("r-advisory-database", 14),
        ("ghsa-advisory-database-excerpts", 3),
        ("ubuntu-security-notices-excerpts", 2),
    ];
    for (folder, count) in expected {
        let loaded = load_folder(folder);
        let problems: Vec<String> = loaded.problems.iter().map(|p| p.to_string()).collect();
        assert!(problems.is_empty(), "{folder}: {problems:#?}");
        assert_eq!(loaded.records.len(), count, "{folder}");
    }
}

#[test]
fn every_affected_entry_with_a_known_ordering_compiles() {
    let mut compiled = 0;
    for folder in OSV_FOLDERS {
        for (source, record) in load_folder(folder).records {
            for affected in &record.affected {
                let eco = Ecosystem::parse(
                    affected
                        .package
                        .as_ref()
                        .map_or("", |p| p.ecosystem.as_str()),
                );
                let has_version_ranges = affected.ranges.iter().any(|r| r.kind != RangeType::Git);
                if eco.scheme.is_none() && has_version_ranges {
                    continue;
                }
                match CompiledAffected::compile(affected) {
                    Ok(_) => compiled += 1,
                    // The linter's deliberately broken records.
                    Err(_) if source.contains("osv-linter") => {}
                    Err(e) => panic!("{source}: {}: {e}", record.id),
                }
            }
        }
    }
    assert!(compiled > 6000, "only {compiled} affected entries compiled");
}

#[test]
fn zip_dumps_match_their_golden_records() {
    let base = advisories().join("vuln-list-update-testdata/osvdev/testdata");
    for eco in ["go", "python", "rust"] {
        let loaded = load_zip(&base.join(eco).join("all.zip"), &Limits::default())
            .unwrap_or_else(|e| panic!("{eco}: {e}"));
        assert!(loaded.problems.is_empty(), "{eco}: {:?}", loaded.problems);
        let ids: BTreeSet<String> = loaded.records.iter().map(|(_, r)| r.id.clone()).collect();
        // Every golden file is one record of the zip, with the same
        // matching data (the goldens drop a few reporting fields).
        let golden_dir = base.join("golden").join(eco);
        let golden = crate::common::load_dir_records(&golden_dir);
        assert!(!golden.is_empty(), "{eco}: no golden records");
        for record in golden {
            assert!(ids.contains(&record.id), "{eco}: {} not in zip", record.id);
            let from_zip = loaded.records.iter().find(|(_, r)| r.id == record.id);
            let matching =
                |r: &vedette_vulndb::osv::Record| (r.aliases.clone(), r.affected.clone());
            assert_eq!(from_zip.map(|(_, r)| matching(r)), Some(matching(&record)));
        }
    }
}

#[test]
fn zip_bomb_is_stopped_by_the_entry_limit() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = dir.path().join("bomb.zip");
    let file = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{e}"));
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("GO-0000-0000.json", options)
        .unwrap_or_else(|e| panic!("{e}"));
    // 64 MiB of spaces deflates to a few tens of KiB.
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..64 {
        zip.write_all(&chunk).unwrap_or_else(|e| panic!("{e}"));
    }
    zip.finish().unwrap_or_else(|e| panic!("{e}"));
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    assert!(size < 1 << 20, "bomb is {size} bytes");
    let limits = Limits {
        max_record_bytes: 1 << 20,
        ..Limits::default()
    };
    match load_zip(&path, &limits) {
        Err(LoadError::TooLarge { limit, .. }) => assert_eq!(limit, 1 << 20),
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn yaml_records_keep_unquoted_numbers_as_versions() {
    let yaml = b"id: TEST-1\naffected:\n- package: {name: p, ecosystem: PyPI}\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: 0\n    - fixed: 2\n  versions: [1, 1.5]\n";
    let record = parse_record(yaml, vedette_vulndb::osv::load::Format::Yaml, "inline")
        .unwrap_or_else(|e| panic!("{e}"));
    let events = &record.affected[0].ranges[0].events;
    assert_eq!(events[0].introduced.as_deref(), Some("0"));
    assert_eq!(events[1].fixed.as_deref(), Some("2"));
    assert_eq!(record.affected[0].versions, ["1", "1.5"]);
}

#[test]
fn reporting_fields_of_real_records() {
    // GHSA record for junit:junit (Maven): CVSS v3 vector, aliases, references.
    let path = advisories().join(
        "ghsa-advisory-database-excerpts/advisories/github-reviewed/2020/10/GHSA-269g-pwp5-87pp/GHSA-269g-pwp5-87pp.json",
    );
    let record = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(record.id, "GHSA-269g-pwp5-87pp");
    assert!(record.aliases.contains(&"CVE-2020-15250".to_string()));
    let cvss: Vec<_> = record
        .severity
        .iter()
        .filter_map(|s| s.cvss_version())
        .collect();
    assert!(cvss.contains(&3), "{:?}", record.severity);
    assert!(
        record
            .severity
            .iter()
            .any(|s| s.score.starts_with("CVSS:3."))
    );
    assert!(!record.references.is_empty());
    assert!(record.published.is_some() && record.modified.is_some());
    let pkg = record.affected[0].package.as_ref().map(|p| p.name.as_str());
    assert_eq!(pkg, Some("junit:junit"));

    // CVSS v4 vectors from Bitnami.
    let path = advisories().join("bitnami-vulndb/data/jre/BIT-jre-2024-47776.json");
    let record = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        record
            .severities()
            .any(|s| s.cvss_version() == Some(4) && s.score.starts_with("CVSS:4.0/")),
        "{:?}",
        record.affected
    );

    // A withdrawn record (GHSA tooling test data).
    let path = advisories().join("ossf-osv-schema/tools/ghsa/testdata/withdrawn.osv.json");
    let record = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(record.is_withdrawn());
}

#[test]
fn real_ranges_evaluate_as_their_advisories_say() {
    // junit:junit: "4.7 to 4.13 are affected; fixed in 4.13.1".
    let path = advisories().join(
        "ghsa-advisory-database-excerpts/advisories/github-reviewed/2020/10/GHSA-269g-pwp5-87pp/GHSA-269g-pwp5-87pp.json",
    );
    let record = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let a = CompiledAffected::compile(&record.affected[0]).unwrap_or_else(|e| panic!("{e}"));
    for (v, want) in [
        ("4.6", false),
        ("4.7", true),
        ("4.12", true),
        ("4.13", true),
        ("4.13.1", false),
        ("5.0", false),
    ] {
        assert_eq!(a.is_affected(v).ok(), Some(want), "junit {v}");
    }
    assert_eq!(a.fixed_version("4.12").as_deref(), Some("4.13.1"));

    // minimist (npm): fixed in 0.2.1 and 1.2.3.
    let path = advisories().join(
        "ghsa-advisory-database-excerpts/advisories/github-reviewed/2020/04/GHSA-vh95-rmgr-6w4m/GHSA-vh95-rmgr-6w4m.json",
    );
    let record = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let verdict = |v: &str| {
        record
            .affected
            .iter()
            .any(|a| CompiledAffected::compile(a).is_ok_and(|c| c.is_affected(v) == Ok(true)))
    };
    assert!(verdict("0.0.8"));
    assert!(!verdict("0.2.1"));
    assert!(verdict("1.2.0"));
    assert!(!verdict("1.2.3"));
}

#[test]
fn hostile_inputs_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A record larger than the limit.
    let big = dir.path().join("big.json");
    std::fs::write(&big, vec![b' '; 4096]).unwrap_or_else(|e| panic!("{e}"));
    let small = Limits {
        max_record_bytes: 1024,
        ..Limits::default()
    };
    assert!(matches!(
        load_file(&big, &small),
        Err(LoadError::TooLarge { .. })
    ));
    // Deep nesting stops at serde_json's recursion limit instead of the stack.
    let deep = format!(
        "{{\"id\":\"X\",\"affected\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_path = dir.path().join("deep.json");
    std::fs::write(&deep_path, deep).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        load_file(&deep_path, &Limits::default()),
        Err(LoadError::Json { .. })
    ));
    // Not a record, and not even JSON: reported, the rest still loads.
    std::fs::write(dir.path().join("junk.json"), b"\x00\x01 not json")
        .unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("list.yaml"), b"- a\n- b\n").unwrap_or_else(|e| panic!("{e}"));
    let good = advisories().join(
        "ghsa-advisory-database-excerpts/advisories/github-reviewed/2020/10/GHSA-269g-pwp5-87pp/GHSA-269g-pwp5-87pp.json",
    );
    std::fs::copy(&good, dir.path().join("good.json")).unwrap_or_else(|e| panic!("{e}"));
    let loaded = vedette_vulndb::osv::load_dir(dir.path(), &Limits::default());
    assert_eq!(loaded.records.len(), 1);
    assert_eq!(loaded.problems.len(), 4, "{:?}", loaded.problems);
    // A zip with more entries than allowed; and a file that is not a zip.
    let zip_path = dir.path().join("many.zip");
    let file = std::fs::File::create(&zip_path).unwrap_or_else(|e| panic!("{e}"));
    let mut zip = zip::ZipWriter::new(file);
    for i in 0..5 {
        zip.start_file(
            format!("../../etc/{i}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        zip.write_all(b"{}").unwrap_or_else(|e| panic!("{e}"));
    }
    zip.finish().unwrap_or_else(|e| panic!("{e}"));
    let few = Limits {
        max_entries: 4,
        ..Limits::default()
    };
    assert!(matches!(
        load_zip(&zip_path, &few),
        Err(LoadError::TooManyEntries(4))
    ));
    // Entry names are never used as paths: `../` names are just bad records.
    let loaded = load_zip(&zip_path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(loaded.problems.len(), 5);
    assert!(matches!(
        load_zip(&big, &Limits::default()),
        Err(LoadError::Zip { .. })
    ));
}

#[test]
fn withdrawn_records_match_nothing() {
    let path = advisories().join("ossf-osv-schema/tools/ghsa/testdata/withdrawn.osv.json");
    let record = load_file(&path, &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let mut m = vedette_vulndb::matcher::Matcher::new();
    m.add_osv(&record);
    assert!(m.is_empty());
}

#[test]
fn every_osv_ecosystem_is_classified() {
    // ossf-osv-schema/ecosystems.json lists every ecosystem OSV defines.
    let text = std::fs::read_to_string(advisories().join("ossf-osv-schema/ecosystems.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let list: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&String> = list
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert!(names.len() > 40);
    let cataloged: BTreeSet<&str> = names
        .iter()
        .filter(|n| Ecosystem::parse(n).package_type.is_some())
        .map(|n| n.as_str())
        .collect();
    let expected: BTreeSet<&str> = [
        "AlmaLinux",
        "Alpaquita",
        "Alpine",
        "Azure Linux",
        "Chainguard",
        "crates.io",
        "Debian",
        "Go",
        "Mageia",
        "Maven",
        "MinimOS",
        "npm",
        "NuGet",
        "openEuler",
        "openSUSE",
        "Packagist",
        "Photon OS",
        "PyPI",
        "Red Hat",
        "Rocky Linux",
        "RubyGems",
        "SUSE",
        "Ubuntu",
        "Wolfi",
    ]
    .into_iter()
    .collect();
    assert_eq!(cataloged, expected);
}

#[test]
fn osv_package_urls_name_the_same_packages() {
    // Every purl of the test data's OSV records that Vedette can match
    // names the same package type, name and distro release as the record's
    // ecosystem and name.
    let mut checked = 0;
    let mut malformed = Vec::new();
    for folder in OSV_FOLDERS {
        for (_, record) in load_folder(folder).records {
            for affected in &record.affected {
                let Some(pkg) = &affected.package else {
                    continue;
                };
                let Some(purl) = &pkg.purl else { continue };
                let eco = Ecosystem::parse(&pkg.ecosystem);
                let parsed = match vedette_vulndb::purl::parse_purl(purl) {
                    Ok(p) => p,
                    Err(vedette_vulndb::purl::PurlError::UnknownType(_)) => {
                        assert_eq!(eco.package_type, None, "{purl}");
                        continue;
                    }
                    Err(e) => {
                        malformed.push(e.to_string());
                        continue;
                    }
                };
                assert_eq!(
                    Some(parsed.package.package_type),
                    eco.package_type,
                    "{purl}"
                );
                assert!(
                    parsed.package.name.eq_ignore_ascii_case(&pkg.name),
                    "{purl} vs {}",
                    pkg.name
                );
                if let (Some(release), Some(d)) = (&eco.release, &parsed.distro)
                    && !d.version_id.is_empty()
                {
                    assert_eq!(&d.version_id, release, "{purl}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked}");
    // Only UBUNTU-CVE-2017-11164's six purls are malformed: they write
    // `?arch=src?distro=trusty/esm` (two `?`).
    assert_eq!(malformed.len(), 6, "{malformed:#?}");
    assert!(
        malformed
            .iter()
            .all(|m| m.contains("pkg:deb/ubuntu/pcre3?arch=src?distro="))
    );
}
