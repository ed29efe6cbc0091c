//! The Alpine secdb and Debian tracker importers on the real documents of
//! the test data, and on malformed input.

use vedette_vulndb::distro::FeedError;
use vedette_vulndb::distro::alpine::parse_secdb;
use vedette_vulndb::distro::debian::{DebianStatus, parse_tracker};

use crate::common::advisories;

fn read(rel: &str) -> Vec<u8> {
    let path = advisories().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_alpine_secdb_document_parses() {
    // (document, release, number of packages); repositories without fixes
    // are published with `"packages": {}`.
    let docs = [
        (
            "vuln-list-update-testdata/alpine/testdata/311-main.json",
            "3.11",
            1,
        ),
        (
            "vuln-list-update-testdata/alpine/testdata/311-community.json",
            "3.3",
            0,
        ),
        (
            "vuln-list-update-testdata/alpine/testdata/312-main.json",
            "3.12",
            1,
        ),
        (
            "vuln-list-update-testdata/alpine/testdata/312-community.json",
            "3.3",
            0,
        ),
        (
            "vuln-list-update-testdata/alpine/testdata/edge-main.json",
            "edge",
            1,
        ),
        (
            "vuln-list-update-testdata/alpine/testdata/edge-community.json",
            "edge",
            0,
        ),
        (
            "vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb/v3.15/main.yaml",
            "3.15",
            5,
        ),
        (
            "vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb/v3.15/community.yaml",
            "3.15",
            2,
        ),
    ];
    for (rel, release, count) in docs {
        let secdb = parse_secdb(&read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        assert_eq!(secdb.release, release, "{rel}");
        assert_eq!(secdb.packages.len(), count, "{rel}");
    }
    // The vuln-list-update golden for ansible in 3.12 main.
    let secdb = parse_secdb(&read(
        "vuln-list-update-testdata/alpine/testdata/312-main.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let ansible = secdb.packages.iter().find(|p| p.name == "ansible");
    assert_eq!(
        ansible.map(|p| p.fixes.clone()),
        Some(vec![
            ("2.7.9-r0".to_string(), vec!["CVE-2018-16876".to_string()]),
            ("2.8.0-r0".to_string(), vec![]),
        ])
    );
    assert_eq!(secdb.repo, "main");
}

#[test]
fn debian_tracker_documents_parse() {
    let entries = parse_tracker(&read(
        "vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let chromium_bullseye = entries
        .iter()
        .find(|e| e.source == "chromium" && e.id == "CVE-2022-0456" && e.codename == "bullseye");
    assert_eq!(
        chromium_bullseye.map(|e| (e.release, e.status.clone())),
        Some((
            Some("11"),
            DebianStatus::Fixed("98.0.4758.80-1~deb11u1".into())
        ))
    );
    let eol = entries
        .iter()
        .find(|e| e.source == "chromium" && e.id == "CVE-2022-0456" && e.codename == "buster");
    assert_eq!(
        eol.map(|e| e.status.clone()),
        Some(DebianStatus::WillNotFix)
    );
    let never = entries
        .iter()
        .find(|e| e.source == "prototypejs" && e.id == "CVE-2007-2383");
    assert_eq!(
        never.map(|e| e.status.clone()),
        Some(DebianStatus::NotAffected)
    );

    // osv.dev's mock of the same export.
    let mock = parse_tracker(&read(
        "osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/debian/debian_security_tracker_mock.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!mock.is_empty());
}

#[test]
fn malformed_feeds_are_clear_errors() {
    assert!(matches!(
        parse_secdb(b"{{{ not yaml"),
        Err(FeedError::Syntax { .. })
    ));
    assert!(matches!(
        parse_secdb(b"packages: []"),
        Err(FeedError::Shape { .. })
    ));
    assert!(matches!(
        parse_secdb(b"distroversion: v3.19\npackages:\n- nopkg: 1\n"),
        Err(FeedError::Shape { .. })
    ));
    assert!(matches!(
        parse_tracker(b"[1, 2]"),
        Err(FeedError::Shape { .. })
    ));
    assert!(matches!(
        parse_tracker(b"{\"p\": 5}"),
        Err(FeedError::Shape { .. })
    ));
    assert!(matches!(
        parse_tracker(b"\xff\xfe"),
        Err(FeedError::Syntax { .. })
    ));
}
