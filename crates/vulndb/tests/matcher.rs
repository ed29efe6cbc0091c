//! The matcher on real advisories of the test data; expected results come
//! from each advisory's own text.

use vedette_model::package::{Distro, PackageType};
use vedette_vulndb::distro::alpine::parse_secdb;
use vedette_vulndb::distro::debian::parse_tracker;
use vedette_vulndb::matcher::{MatchState, Matcher, Query};

use crate::common::{OSV_FOLDERS, advisories, load_folder};

fn read(rel: &str) -> Vec<u8> {
    let path = advisories().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn distro(id: &str, version_id: &str) -> Distro {
    Distro {
        id: id.into(),
        version_id: version_id.into(),
        ..Distro::default()
    }
}

fn language(t: PackageType, name: &'static str, version: &'static str) -> Query<'static> {
    Query {
        package_type: t,
        name,
        version,
        source_name: None,
        source_version: None,
        distro: None,
    }
}

/// `(advisory id, state)` of every match.
fn found(m: &Matcher, q: &Query<'_>) -> Vec<(String, MatchState)> {
    m.matches(q)
        .into_iter()
        .map(|x| (x.advisory.id.clone(), x.state))
        .collect()
}

fn osv_matcher() -> Matcher {
    let mut m = Matcher::new();
    for folder in OSV_FOLDERS {
        for (_, record) in load_folder(folder).records {
            m.add_osv(&record);
        }
    }
    m
}

#[test]
fn every_osv_record_of_the_test_data_is_indexed() {
    let m = osv_matcher();
    // Only the linter's deliberately broken records may be skipped.
    for s in m.skipped() {
        assert!(
            [
                "CVE-2018-5407",
                "GHSA-9v2f-6vcg-3hgv",
                "nondistinct-CVE-2018-5407"
            ]
            .iter()
            .any(|id| s.id.contains(id)),
            "skipped: {s:?}"
        );
    }
    // Bitnami, Homebrew and CRAN records name no package type Vedette catalogs.
    assert!(m.len() > 1500, "{} advisories", m.len());
}

#[test]
fn language_packages() {
    let m = osv_matcher();
    // GHSA-269g-pwp5-87pp: junit 4.7 to 4.13 leak temp files; fixed in 4.13.1.
    let q = language(PackageType::Maven, "junit:junit", "4.12");
    assert!(found(&m, &q).contains(&(
        "GHSA-269g-pwp5-87pp".into(),
        MatchState::Fixed("4.13.1".into())
    )));
    let q = language(PackageType::Maven, "junit:junit", "4.13.1");
    assert!(found(&m, &q).is_empty());
    // GHSA-vh95-rmgr-6w4m: minimist prototype pollution, fixed in 0.2.1 and 1.2.3.
    let q = language(PackageType::Npm, "minimist", "0.0.8");
    assert_eq!(
        found(&m, &q),
        [(
            "GHSA-vh95-rmgr-6w4m".into(),
            MatchState::Fixed("0.2.1".into())
        )]
    );
    let q = language(PackageType::Npm, "minimist", "1.2.3");
    assert!(found(&m, &q).is_empty());
    // GHSA-5crp-9r3c-p9vr: Newtonsoft.Json before 13.0.1; NuGet ids ignore case.
    let q = language(PackageType::Nuget, "newtonsoft.json", "12.0.1");
    assert_eq!(
        found(&m, &q),
        [(
            "GHSA-5crp-9r3c-p9vr".into(),
            MatchState::Fixed("13.0.1".into())
        )]
    );
    // PYSEC-2022-230: lxml before 4.9.1; PyPI names normalise (PEP 503).
    let q = language(PackageType::Pypi, "LXML", "4.9.0");
    assert!(found(&m, &q).iter().any(|(id, _)| id == "PYSEC-2022-230"));
    let q = language(PackageType::Pypi, "lxml", "4.9.1");
    assert!(!found(&m, &q).iter().any(|(id, _)| id == "PYSEC-2022-230"));
    // GO-2020-0001: gin's logger before 1.6.0; pseudo-versions order by date.
    let q = language(PackageType::Golang, "github.com/gin-gonic/gin", "v1.5.0");
    assert!(found(&m, &q).contains(&("GO-2020-0001".into(), MatchState::Fixed("1.6.0".into()))));
    let q = language(
        PackageType::Golang,
        "github.com/gin-gonic/gin",
        "v1.6.1-0.20200501000000-abcdefabcdef",
    );
    assert!(!found(&m, &q).iter().any(|(id, _)| id == "GO-2020-0001"));
    // An npm package name is not a PyPI package name: ecosystem first.
    let q = language(PackageType::Pypi, "minimist", "0.0.8");
    assert!(found(&m, &q).is_empty());
}

#[test]
fn rpm_advisories_are_release_scoped() {
    let m = osv_matcher();
    // ALSA-2025:10073: firefox on AlmaLinux 10 fixed in 128.12.0-1.el10_0.
    let alma10 = distro("almalinux", "10.0");
    let alma9 = distro("almalinux", "9.6");
    let rocky10 = distro("rocky", "10.0");
    let q = |d: &'static Distro, v: &'static str| Query {
        package_type: PackageType::Rpm,
        name: "firefox",
        version: v,
        source_name: None,
        source_version: None,
        distro: Some(d),
    };
    let alma10: &'static Distro = Box::leak(Box::new(alma10));
    let alma9: &'static Distro = Box::leak(Box::new(alma9));
    let rocky10: &'static Distro = Box::leak(Box::new(rocky10));
    let ids = |q: Query<'_>| {
        found(&m, &q)
            .into_iter()
            .map(|(id, _)| id)
            .collect::<Vec<_>>()
    };
    assert!(ids(q(alma10, "128.11.0-1.el10_0")).contains(&"ALSA-2025:10073".to_string()));
    assert!(!ids(q(alma10, "128.12.0-1.el10_0")).contains(&"ALSA-2025:10073".to_string()));
    assert!(!ids(q(alma9, "128.11.0-1.el9_6")).contains(&"ALSA-2025:10073".to_string()));
    assert!(!ids(q(rocky10, "128.11.0-1.el10_0")).contains(&"ALSA-2025:10073".to_string()));
}

#[test]
fn ubuntu_binary_packages_match_through_their_source() {
    let m = osv_matcher();
    let jammy = distro("ubuntu", "22.04");
    // USN-7412-1: gnupg2 in 22.04 fixed in 2.2.27-3ubuntu2.3; `gpg` is one of its binaries.
    let q = Query {
        package_type: PackageType::Deb,
        name: "gpg",
        version: "2.2.27-3ubuntu2.1",
        source_name: Some("gnupg2"),
        source_version: None,
        distro: Some(&jammy),
    };
    let matches = m.matches(&q);
    let usn = matches.iter().find(|x| x.advisory.id == "USN-7412-1");
    assert!(usn.is_some_and(|x| x.state == MatchState::Fixed("2.2.27-3ubuntu2.3".into())));
    // A binary the record does not list matches through its source only.
    let unlisted = Query {
        name: "gpg-unlisted-binary",
        ..q
    };
    let via_source = m.matches(&unlisted);
    let usn = via_source.iter().find(|x| x.advisory.id == "USN-7412-1");
    assert!(usn.is_some_and(|x| x.matched_name == "gnupg2"));
    // Known only by its binary name (no source): the record lists its binaries.
    let binary_only = Query {
        source_name: None,
        ..q
    };
    let usn = m.matches(&binary_only);
    let usn = usn.iter().find(|x| x.advisory.id == "USN-7412-1");
    assert!(usn.is_some_and(|x| x.matched_name == "gpg"));
    let fixed = Query {
        version: "2.2.27-3ubuntu2.3",
        ..q
    };
    assert!(
        !m.matches(&fixed)
            .iter()
            .any(|x| x.advisory.id == "USN-7412-1")
    );
    // UBUNTU-CVE-2017-11164: pcre3 open (no fix) in 14.04 ESM.
    let trusty = distro("ubuntu", "14.04");
    let q = Query {
        package_type: PackageType::Deb,
        name: "libpcre3",
        version: "2:8.31-2ubuntu2.3",
        source_name: Some("pcre3"),
        source_version: None,
        distro: Some(&trusty),
    };
    assert!(found(&m, &q).contains(&("UBUNTU-CVE-2017-11164".into(), MatchState::Unfixed)));
}

#[test]
fn alpine_secdb() {
    let secdb = parse_secdb(&read(
        "vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb/v3.15/main.yaml",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(secdb.release, "3.15");
    let mut m = Matcher::new();
    m.add_alpine(&secdb);
    let v315 = distro("alpine", "3.15.4");
    let v316 = distro("alpine", "3.16.0");
    // zlib: CVE-2018-25032 fixed in 1.2.12-r0, CVE-2022-37434 in 1.2.12-r2.
    let q = Query {
        package_type: PackageType::Apk,
        name: "zlib",
        version: "1.2.12-r1",
        source_name: None,
        source_version: None,
        distro: Some(&v315),
    };
    assert_eq!(
        found(&m, &q),
        [(
            "CVE-2022-37434".into(),
            MatchState::Fixed("1.2.12-r2".into())
        )]
    );
    let q = Query {
        version: "1.2.11-r3",
        ..q
    };
    assert_eq!(found(&m, &q).len(), 2);
    // The 3.15 secdb says nothing about 3.16.
    let q = Query {
        distro: Some(&v316),
        ..q
    };
    assert!(found(&m, &q).is_empty());
}

#[test]
fn debian_tracker_states_and_backports() {
    let entries = parse_tracker(&read(
        "vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json",
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut m = Matcher::new();
    m.add_debian(&entries);
    let bullseye = distro("debian", "11");
    let buster = distro("debian", "10");
    let bookworm = distro("debian", "12");
    // CVE-2022-0456 in chromium: bullseye fixed by the backport
    // 98.0.4758.80-1~deb11u1, buster open at end of life, bookworm fixed in
    // 98.0.4758.80-1. Binary packages match through the source package.
    let q = |d: &'static Distro, v: &'static str| Query {
        package_type: PackageType::Deb,
        name: "chromium-driver",
        version: v,
        source_name: Some("chromium"),
        source_version: None,
        distro: Some(d),
    };
    let leak = |d: Distro| -> &'static Distro { Box::leak(Box::new(d)) };
    let (bullseye, buster, bookworm) = (leak(bullseye), leak(buster), leak(bookworm));
    assert_eq!(
        found(&m, &q(bullseye, "97.0.4692.99-1~deb11u2")),
        [(
            "CVE-2022-0456".into(),
            MatchState::Fixed("98.0.4758.80-1~deb11u1".into())
        )]
    );
    // The backported version is fixed even though it sorts below 98.0.4758.80-1.
    assert!(found(&m, &q(bullseye, "98.0.4758.80-1~deb11u1")).is_empty());
    assert_eq!(
        found(&m, &q(buster, "90.0.4430.212-1~deb10u1")),
        [("CVE-2022-0456".into(), MatchState::WillNotFix)]
    );
    assert!(found(&m, &q(bookworm, "98.0.4758.80-1")).is_empty());
    // CVE-2007-2383 (prototypejs): fixed_version 0, never affected.
    let q = Query {
        package_type: PackageType::Deb,
        name: "libjs-prototype",
        version: "1.7.1-3",
        source_name: Some("prototypejs"),
        source_version: None,
        distro: Some(bookworm),
    };
    assert!(!found(&m, &q).iter().any(|(id, _)| id == "CVE-2007-2383"));
    // Debian advisories do not apply to Ubuntu.
    let jammy = leak(distro("ubuntu", "22.04"));
    let q = Query {
        distro: Some(jammy),
        ..q
    };
    assert!(found(&m, &q).is_empty());
}
