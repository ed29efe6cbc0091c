//! The DB file: built from the real test feeds, written, verified and
//! loaded again; matching through the file agrees with matching from the
//! feeds; enrichment lands on the right CVE; damaged or foreign files are
//! refused with clear errors.

use std::collections::BTreeSet;
use std::path::Path;

use ed25519_dalek::SigningKey;
use vedette_model::package::{Distro, PackageType};
use vedette_vulndb::db::build::Builder;
use vedette_vulndb::db::model::SeverityLevel;
use vedette_vulndb::db::{DbError, VulnDb, file, install, keys};
use vedette_vulndb::distro::alpine::parse_secdb;
use vedette_vulndb::distro::debian::{DebianEntry, DebianStatus, parse_tracker};
use vedette_vulndb::enrich::epss::parse_epss;
use vedette_vulndb::matcher::{MatchState, Matcher, Query};
use vedette_vulndb::osv::{Limits, load_dir, load_zip};

use crate::common::{OSV_FOLDERS, advisories};

/// Real feed files linked into the layout `vedette db build` reads.
pub struct Feeds {
    /// The temporary directory holding the layout.
    pub dir: tempfile::TempDir,
}

/// Alpine secdb documents of the test data.
const ALPINE: [&str; 7] = [
    "vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb",
    "vuln-list-update-testdata/alpine/testdata/311-main.json",
    "vuln-list-update-testdata/alpine/testdata/311-community.json",
    "vuln-list-update-testdata/alpine/testdata/312-main.json",
    "vuln-list-update-testdata/alpine/testdata/312-community.json",
    "vuln-list-update-testdata/alpine/testdata/edge-main.json",
    "vuln-list-update-testdata/alpine/testdata/edge-community.json",
];
/// Debian tracker exports of the test data.
const DEBIAN: [&str; 2] = [
    "vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json",
    "osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/debian/debian_security_tracker_mock.json",
];
/// NVD CVE API 2.0 responses of the test data.
const NVD: [&str; 4] = [
    "osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/nvdcve-2.0",
    "osv.dev-vulnfeeds-testdata/vulnfeeds/conversion/nvd/testdata/test.json",
    "vunnel-provider-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json",
    "vunnel-provider-fixtures/tests/unit/providers/nvd/test-fixtures/single-entry.json",
];
const EPSS: [&str; 2] = [
    "epss-excerpt/epss_scores-current.head.csv",
    "vunnel-provider-fixtures/tests/unit/providers/epss/test-fixtures/example-1.csv",
];
const KEV: [&str; 1] = ["cisa-kev/known_exploited_vulnerabilities.json"];

fn link(kind_dir: &Path, n: usize, rel: &str) {
    let target = advisories().join(rel);
    assert!(target.exists(), "test data {} is missing", target.display());
    let name = format!("{n:02}-{}", rel.replace('/', "_"));
    std::os::unix::fs::symlink(&target, kind_dir.join(name))
        .unwrap_or_else(|e| panic!("symlink {}: {e}", target.display()));
}

/// Every real feed of the test data, laid out by kind.
pub fn all_feeds() -> Feeds {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let kinds: [(&str, &[&str]); 6] = [
        ("osv", &OSV_FOLDERS),
        ("alpine", &ALPINE),
        ("debian", &DEBIAN),
        ("nvd", &NVD),
        ("epss", &EPSS),
        ("kev", &KEV),
    ];
    for (kind, sources) in kinds {
        let kind_dir = dir.path().join(kind);
        std::fs::create_dir(&kind_dir).unwrap_or_else(|e| panic!("{e}"));
        for (n, rel) in sources.iter().enumerate() {
            link(&kind_dir, n, rel);
        }
    }
    Feeds { dir }
}

fn key() -> SigningKey {
    keys::generate().unwrap_or_else(|e| panic!("{e}"))
}

/// Builds and encodes a DB from the feeds.
fn build_bytes(feeds: &Path, key: &SigningKey) -> (Vec<u8>, Vec<String>) {
    let mut b = Builder::new();
    b.add_feed_dir(feeds).unwrap_or_else(|e| panic!("{e}"));
    let built = b.finish();
    let bytes =
        file::encode(built.header, &built.payload, key, 3).unwrap_or_else(|e| panic!("{e}"));
    (bytes, built.warnings)
}

fn open(bytes: &[u8], key: &SigningKey) -> VulnDb {
    VulnDb::from_bytes(bytes, &key.verifying_key()).unwrap_or_else(|e| panic!("{e}"))
}

/// The matcher straight from the same feeds, without the DB.
fn feed_matcher() -> Matcher {
    let mut m = Matcher::new();
    let limits = Limits::default();
    // A record present in two folders (a zip dump and its golden copy…)
    // counts once, in its most recently modified copy, as in the DB.
    let mut records: Vec<vedette_vulndb::osv::Record> = Vec::new();
    for folder in OSV_FOLDERS {
        for (_, r) in load_dir(&advisories().join(folder), &limits).records {
            match records.iter_mut().find(|x| x.id == r.id) {
                Some(old) if r.modified > old.modified => *old = r,
                Some(_) => {}
                None => records.push(r),
            }
        }
    }
    for r in &records {
        m.add_osv(r);
    }
    let read = |rel: &str| std::fs::read(advisories().join(rel)).unwrap_or_else(|e| panic!("{e}"));
    for rel in &ALPINE[1..] {
        m.add_alpine(&parse_secdb(&read(rel)).unwrap_or_else(|e| panic!("{e}")));
    }
    for release in ["main", "community"] {
        let rel = format!("{}/v3.15/{release}.yaml", ALPINE[0]);
        m.add_alpine(&parse_secdb(&read(&rel)).unwrap_or_else(|e| panic!("{e}")));
    }
    for rel in DEBIAN {
        m.add_debian(&parse_tracker(&read(rel)).unwrap_or_else(|e| panic!("{e}")));
    }
    m
}

fn distro(id: &str, version_id: &str) -> Distro {
    Distro {
        id: id.into(),
        version_id: version_id.into(),
        ..Distro::default()
    }
}

fn ids_states(m: &Matcher, q: &Query<'_>) -> BTreeSet<(String, String)> {
    m.matches(q)
        .into_iter()
        .map(|x| (x.advisory.id.clone(), format!("{:?}", x.state)))
        .collect()
}

#[test]
fn matching_through_the_file_equals_matching_from_the_feeds() {
    let feeds = all_feeds();
    let key = key();
    let (bytes, warnings) = build_bytes(feeds.dir.path(), &key);
    // Only the osv-schema tools' test files may be left out: the linter's
    // deliberately broken records and the GHSA converter's API inputs.
    for w in &warnings {
        assert!(
            w.contains("ossf-osv-schema_tools")
                || w.contains("CVE-2018-5407")
                || w.contains("GHSA-9v2f-6vcg-3hgv"),
            "unexpected warning: {w}"
        );
    }
    let path = feeds.dir.path().join("vedette.db");
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let db = VulnDb::open(&path, &key.verifying_key()).unwrap_or_else(|e| panic!("{e}"));
    let direct = feed_matcher();

    // Every affected package of every OSV record, at every event version
    // (and Alpine/Debian entries at and below their fixed versions): the
    // same advisories and states either way.
    let mut queries: Vec<(PackageType, String, String, Option<Distro>)> = Vec::new();
    for folder in OSV_FOLDERS {
        for (_, r) in load_dir(&advisories().join(folder), &Limits::default()).records {
            for a in &r.affected {
                let Some(p) = &a.package else { continue };
                let eco = vedette_vulndb::osv::Ecosystem::parse(&p.ecosystem);
                let Some(t) = eco.package_type else { continue };
                let d = eco
                    .distro
                    .map(|id| distro(id, eco.release.as_deref().unwrap_or_default()));
                let versions = a
                    .ranges
                    .iter()
                    .flat_map(|rg| &rg.events)
                    .flat_map(|e| [&e.introduced, &e.fixed, &e.last_affected])
                    .flatten()
                    .chain(a.versions.iter().take(2));
                for v in versions {
                    queries.push((t, p.name.clone(), v.clone(), d.clone()));
                }
            }
        }
    }
    let debian12 = distro("debian", "12");
    for (name, version) in [
        ("chromium", "97.0.4692.99-1"),
        ("apparmor", "3.0.8-3"),
        ("openssl", "3.0.11-1~deb12u2"),
    ] {
        queries.push((
            PackageType::Deb,
            name.into(),
            version.into(),
            Some(debian12.clone()),
        ));
    }
    let alpine = distro("alpine", "3.15.4");
    for (name, version) in [
        ("zlib", "1.2.11-r3"),
        ("openssl", "1.1.1l-r0"),
        ("busybox", "1.34.1-r3"),
    ] {
        queries.push((
            PackageType::Apk,
            name.into(),
            version.into(),
            Some(alpine.clone()),
        ));
    }
    assert!(queries.len() > 10_000, "{} queries", queries.len());
    let mut compared = 0;
    for (t, name, version, d) in &queries {
        let q = Query {
            package_type: *t,
            name,
            version,
            source_name: None,
            source_version: None,
            distro: d.as_ref(),
        };
        assert_eq!(
            ids_states(db.matcher(), &q),
            ids_states(&direct, &q),
            "{t:?} {name} {version} {d:?}"
        );
        compared += 1;
    }
    assert_eq!(compared, queries.len());
}

#[test]
fn known_results_survive_the_round_trip() {
    let feeds = all_feeds();
    let key = key();
    let (bytes, _) = build_bytes(feeds.dir.path(), &key);
    let db = open(&bytes, &key);
    let found = |q: &Query<'_>| -> Vec<(String, MatchState)> {
        db.matcher()
            .matches(q)
            .into_iter()
            .map(|m| (m.advisory.id.clone(), m.state))
            .collect()
    };
    let lang = |t, name, version| Query {
        package_type: t,
        name,
        version,
        source_name: None,
        source_version: None,
        distro: None,
    };
    // GHSA-vh95-rmgr-6w4m: minimist prototype pollution, fixed in 0.2.1.
    assert_eq!(
        found(&lang(PackageType::Npm, "minimist", "0.0.8")),
        [(
            "GHSA-vh95-rmgr-6w4m".into(),
            MatchState::Fixed("0.2.1".into())
        )]
    );
    // GHSA-269g-pwp5-87pp: junit before 4.13.1.
    assert!(
        found(&lang(PackageType::Maven, "junit:junit", "4.12")).contains(&(
            "GHSA-269g-pwp5-87pp".into(),
            MatchState::Fixed("4.13.1".into())
        ))
    );
    // Debian backport: chromium in bullseye fixed by 98.0.4758.80-1~deb11u1.
    let bullseye = distro("debian", "11");
    let q = Query {
        package_type: PackageType::Deb,
        name: "chromium-driver",
        version: "97.0.4692.99-1~deb11u2",
        source_name: Some("chromium"),
        source_version: None,
        distro: Some(&bullseye),
    };
    assert!(found(&q).contains(&(
        "CVE-2022-0456".into(),
        MatchState::Fixed("98.0.4758.80-1~deb11u1".into())
    )));
    let fixed = Query {
        version: "98.0.4758.80-1~deb11u1",
        ..q
    };
    assert!(!found(&fixed).iter().any(|(id, _)| id == "CVE-2022-0456"));
    // Alpine 3.15 zlib: CVE-2022-37434 fixed in 1.2.12-r2.
    let v315 = distro("alpine", "3.15.4");
    let q = Query {
        package_type: PackageType::Apk,
        name: "zlib",
        version: "1.2.12-r1",
        source_name: None,
        source_version: None,
        distro: Some(&v315),
    };
    assert!(found(&q).contains(&(
        "CVE-2022-37434".into(),
        MatchState::Fixed("1.2.12-r2".into())
    )));

    // Header: schema, feeds with counts, checksums.
    let h = db.header();
    assert_eq!(h.schema_version, vedette_vulndb::db::SCHEMA_VERSION);
    let kinds: BTreeSet<&str> = h.feeds.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["alpine", "debian", "epss", "kev", "nvd", "osv"])
    );
    let kev = h.feeds.iter().find(|f| f.kind == "kev");
    assert_eq!(
        kev.map(|f| (f.records, f.date.as_deref())),
        Some((1404, Some("2025-08-25T17:04:19.9796Z")))
    );
    // Alpine's community secdb documents of the test data list no package.
    let empty: Vec<&str> = h
        .feeds
        .iter()
        .filter(|f| f.records == 0)
        .map(|f| f.source.as_str())
        .collect();
    assert!(
        empty.iter().all(|s| s.ends_with("-community.json")),
        "{empty:?}"
    );
    assert_eq!(h.counts.advisories as usize, db.matcher().len());
}

#[test]
fn aliases_merge_into_one_problem_with_enrichment() {
    let feeds = all_feeds();
    let key = key();
    let (bytes, _) = build_bytes(feeds.dir.path(), &key);
    let db = open(&bytes, &key);

    // PYSEC-2023-212 (urllib3) is CVE-2023-45803 and GHSA-g4mx-q9vg-27p4:
    // one problem, named by its CVE. The record gives a CVSS 3.1 vector
    // (base score computed: 4.2, medium), so NVD's v3.1 is not added.
    let v = db
        .vulnerability("PYSEC-2023-212")
        .unwrap_or_else(|| panic!("no problem"));
    assert_eq!(v.id, "CVE-2023-45803");
    assert!(v.aliases.contains(&"GHSA-g4mx-q9vg-27p4".to_string()));
    assert_eq!(
        db.vulnerability("GHSA-g4mx-q9vg-27p4").map(|x| &x.id),
        Some(&v.id)
    );
    assert_eq!(
        v.cvss.iter().filter(|c| c.version.starts_with('3')).count(),
        1
    );
    let nvd31 = v.cvss.iter().find(|c| c.version == "3.1");
    assert_eq!(
        nvd31.map(|c| (c.vector.as_str(), c.score, c.source.starts_with("nvd:"))),
        Some((
            "CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:N/A:N",
            Some(4.2),
            false
        ))
    );
    assert_eq!(v.severity, SeverityLevel::Medium);
    assert!(v.kev.is_none());
    let q = Query {
        package_type: PackageType::Pypi,
        name: "urllib3",
        version: "2.0.6",
        source_name: None,
        source_version: None,
        distro: None,
    };
    let findings = db.findings(&q);
    let f = findings
        .iter()
        .find(|f| f.vulnerability.is_some_and(|v| v.id == "CVE-2023-45803"));
    assert!(f.is_some_and(|f| f.matches.iter().any(|m| m.advisory.id == "PYSEC-2023-212")));

    // KEV: DRUPAL-CORE-2018-002 is CVE-2018-7600 (Drupalgeddon 2), in the
    // KEV catalog since 2021-11-03.
    let v = db
        .vulnerability("DRUPAL-CORE-2018-002")
        .unwrap_or_else(|| panic!("no problem"));
    assert_eq!(v.id, "CVE-2018-7600");
    assert_eq!(
        v.kev.as_ref().map(|k| k.date_added.as_str()),
        Some("2021-11-03")
    );
    // A CVE that is not in the catalog has no KEV entry.
    assert!(
        db.vulnerability("CVE-2022-0456")
            .is_some_and(|v| v.kev.is_none())
    );

    // NVD on a Debian tracker CVE: CVE-2016-1585 (apparmor) carries no
    // score in the tracker; NVD gives CVSS 3.1 9.8.
    let v = db
        .vulnerability("CVE-2016-1585")
        .unwrap_or_else(|| panic!("no problem"));
    assert!(
        v.cvss
            .iter()
            .any(|c| c.version == "3.1" && c.score == Some(9.8)),
        "{:?}",
        v.cvss
    );
    assert_eq!(v.severity, SeverityLevel::Critical);
}

#[test]
fn epss_scores_land_on_their_cve() {
    // The EPSS excerpt covers CVE-1999-0001..0050, which no advisory of the
    // test data names; a tracker entry (constructed in the tracker's shape)
    // for CVE-1999-0002 takes its real score.
    let csv = std::fs::read(advisories().join(EPSS[0])).unwrap_or_else(|e| panic!("{e}"));
    let scores = parse_epss(&csv).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(scores.score_date.as_deref(), Some("2026-09-29T12:00:22Z"));
    assert_eq!(scores.scores.len(), 49);
    let mut b = Builder::new();
    b.add_epss(&scores);
    let entry = |id: &str| DebianEntry {
        source: "example".into(),
        id: id.into(),
        description: None,
        codename: "bookworm".into(),
        release: Some("12"),
        status: DebianStatus::Unfixed,
        urgency: None,
    };
    b.add_debian(&[entry("CVE-1999-0002"), entry("CVE-2099-0001")]);
    let built = b.finish();
    let key = key();
    let bytes =
        file::encode(built.header, &built.payload, &key, 3).unwrap_or_else(|e| panic!("{e}"));
    let db = open(&bytes, &key);
    let epss = db.vulnerability("CVE-1999-0002").and_then(|v| v.epss);
    assert_eq!(
        epss.map(|e| (e.score, e.percentile)),
        Some((0.27858, 0.98037))
    );
    assert!(
        db.vulnerability("CVE-2099-0001")
            .is_some_and(|v| v.epss.is_none())
    );
}

/// A small real DB (the GHSA excerpts) for the failure cases.
fn small_db(key: &SigningKey) -> Vec<u8> {
    let mut b = Builder::new();
    let dir = advisories().join("ghsa-advisory-database-excerpts");
    for (_, r) in load_dir(&dir, &Limits::default()).records {
        b.add_osv(&r);
    }
    let built = b.finish();
    file::encode(built.header, &built.payload, key, 3).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn damaged_and_foreign_files_are_refused() {
    let key = key();
    let trusted = key.verifying_key();
    let good = small_db(&key);
    assert!(file::verify(&good, &trusted).is_ok());

    // Another publisher's key.
    let other = keys::generate().unwrap_or_else(|e| panic!("{e}"));
    let err = file::verify(&good, &other.verifying_key()).err();
    assert!(matches!(err, Some(DbError::BadSignature { .. })), "{err:?}");

    // A flipped byte in the signed header.
    let mut tampered = good.clone();
    tampered[20] ^= 1;
    let err = file::verify(&tampered, &trusted).err();
    assert!(matches!(err, Some(DbError::BadSignature { .. })), "{err:?}");

    // A flipped byte in the payload: the signed checksum catches it.
    let mut tampered = good.clone();
    let last = tampered.len() - 10;
    tampered[last] ^= 0x40;
    let err = file::verify(&tampered, &trusted).err();
    assert!(matches!(err, Some(DbError::Checksum { .. })), "{err:?}");
    assert!(err.is_some_and(|e| e.to_string().contains("checksum mismatch")));

    // An interrupted download, in the payload or in the header.
    for cut in [good.len() - 1, good.len() / 2, 30] {
        let err = file::verify(&good[..cut], &trusted).err();
        assert!(
            matches!(err, Some(DbError::Truncated { .. })),
            "cut {cut}: {err:?}"
        );
    }
    assert!(matches!(
        file::verify(b"VDTVL", &trusted),
        Err(DbError::NotADb)
    ));
    assert!(matches!(
        file::verify(b"<html>404</html>", &trusted),
        Err(DbError::NotADb)
    ));

    // A future schema, properly signed.
    let mut b = Builder::new();
    b.add_kev(
        &vedette_vulndb::enrich::kev::parse_kev(
            &std::fs::read(advisories().join(KEV[0])).unwrap_or_else(|e| panic!("{e}")),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    let mut built = b.finish();
    built.header.schema_version = 2;
    let future =
        file::encode(built.header, &built.payload, &key, 3).unwrap_or_else(|e| panic!("{e}"));
    let err = file::verify(&future, &trusted).err();
    assert!(
        matches!(
            err,
            Some(DbError::SchemaVersion {
                found: 2,
                supported: 1
            })
        ),
        "{err:?}"
    );
}

#[test]
fn install_swaps_atomically_and_keys_round_trip() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (private, public) = (dir.path().join("db.key"), dir.path().join("db.pub"));
    let key = key();
    keys::write_key_pair(&key, &private, &public).unwrap_or_else(|e| panic!("{e}"));
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&private)
            .unwrap_or_else(|e| panic!("{e}"))
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // Keys are never overwritten.
    assert!(keys::write_key_pair(&key, &private, &public).is_err());
    let signing = keys::read_signing_key(&private).unwrap_or_else(|e| panic!("{e}"));
    let trusted = keys::read_verifying_key(&public).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(signing.verifying_key(), trusted);
    assert!(keys::read_verifying_key(&private).is_err());

    let target = dir.path().join("vulndb/vedette.db");
    let first = small_db(&signing);
    let verified = file::verify(&first, &trusted).unwrap_or_else(|e| panic!("{e}"));
    install::install(&verified, &target).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(std::fs::read(&target).ok(), Some(first.clone()));
    let second = small_db(&signing);
    assert_ne!(first, second, "built_at or signature differ");
    let verified = file::verify(&second, &trusted).unwrap_or_else(|e| panic!("{e}"));
    install::install(&verified, &target).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(std::fs::read(&target).ok(), Some(second));
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("vulndb"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["vedette.db"]);
}

#[test]
fn osv_zip_dumps_are_feeds_too() {
    // A per-ecosystem zip dump given directly as an OSV source.
    let zip = "vuln-list-update-testdata/osvdev/testdata/go/all.zip";
    let loaded =
        load_zip(&advisories().join(zip), &Limits::default()).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let osv = dir.path().join("osv");
    std::fs::create_dir(&osv).unwrap_or_else(|e| panic!("{e}"));
    link(&osv, 0, zip);
    // A misspelt kind folder is reported, not silently ignored.
    std::fs::create_dir(dir.path().join("ovs")).unwrap_or_else(|e| panic!("{e}"));
    let mut b = Builder::new();
    b.add_feed_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let built = b.finish();
    assert_eq!(built.warnings.len(), 1, "{:?}", built.warnings);
    assert!(built.warnings[0].contains("ovs: not a feed folder"));
    assert_eq!(built.header.feeds.len(), 1);
    assert_eq!(built.header.feeds[0].records as usize, loaded.records.len());
    assert!(!built.payload.advisories.is_empty());
    // An empty directory is no feed directory.
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        Builder::new().add_feed_dir(empty.path()),
        Err(DbError::NoFeeds(_))
    ));
}

#[test]
fn enrichment_readers_on_real_files_and_bad_input() {
    use vedette_vulndb::enrich::EnrichError;
    use vedette_vulndb::enrich::kev::parse_kev;
    use vedette_vulndb::enrich::nvd::parse_nvd;
    let read =
        |rel: &str| std::fs::read(advisories().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    // Every NVD CVE API 2.0 record of osv.dev's test data.
    let dir = advisories().join(NVD[0]);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 23);
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("{e}"));
        let page = parse_nvd(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert_eq!(page.cves.len(), 1, "{}", f.display());
    }
    // CVE-2023-4863 (libwebp): NVD's primary CVSS 3.1 is 8.8, and NVD
    // records its KEV addition.
    let page = parse_nvd(&read(&format!("{}/CVE-2023-4863.json", NVD[0])))
        .unwrap_or_else(|e| panic!("{e}"));
    let first = page.cves[0].cvss.first();
    assert_eq!(
        first.map(|c| (c.version.as_str(), c.score, c.primary)),
        Some(("3.1", Some(8.8), true))
    );
    // A vunnel NVD page holds several CVEs.
    let page = parse_nvd(&read(NVD[2])).unwrap_or_else(|e| panic!("{e}"));
    assert!(page.cves.len() > 1);
    // Not NVD: an OSV record, a KEV catalog.
    assert!(matches!(
        parse_nvd(&read("ghsa-advisory-database-excerpts/README.md")),
        Err(EnrichError::Syntax { .. })
    ));
    assert!(matches!(
        parse_nvd(&read(KEV[0])),
        Err(EnrichError::Shape { .. })
    ));
    assert!(matches!(
        parse_kev(&read(&format!("{}/CVE-2023-4863.json", NVD[0]))),
        Err(EnrichError::Shape { .. })
    ));
    // vunnel's EPSS fixtures: a wrong header is refused, a missing date is not fatal.
    let epss = "vunnel-provider-fixtures/tests/unit/providers/epss/test-fixtures";
    assert!(matches!(
        parse_epss(&read(&format!("{epss}/invalid-header.csv"))),
        Err(EnrichError::Shape { .. })
    ));
    let no_date =
        parse_epss(&read(&format!("{epss}/missing-date.csv"))).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(no_date.score_date, None);
    assert_eq!(no_date.model_version.as_deref(), Some("v2023.03.01"));
    assert!(!no_date.scores.is_empty());
}
