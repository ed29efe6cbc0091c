//! Matching throughput: 10,000 package queries against every advisory of
//! the test data.
//!
//! Run with `cargo run --release -p vedette-vulndb --example bench_matcher
//! [ADVISORIES_DIR]` (default: `../shared/testdata/advisories`). Queries are
//! built from the advisories' own packages and event versions (so a good
//! share of them match), spread over languages and distros.

use std::path::PathBuf;
use std::time::Instant;

use vedette_model::package::{Distro, PackageType};
use vedette_vulndb::distro::alpine::parse_secdb;
use vedette_vulndb::distro::debian::parse_tracker;
use vedette_vulndb::matcher::{Matcher, Query};
use vedette_vulndb::osv::{Ecosystem, Limits, load_dir};

const QUERIES: usize = 10_000;

fn main() {
    let dir = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/advisories"),
        PathBuf::from,
    );
    let start = Instant::now();
    let loaded = load_dir(&dir, &Limits::default());
    let records: Vec<_> = loaded
        .records
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| !r.affected.is_empty())
        .collect();
    let load_time = start.elapsed();

    let start = Instant::now();
    let mut matcher = Matcher::new();
    for r in &records {
        matcher.add_osv(r);
    }
    let secdb = dir.join("vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb/v3.15/main.yaml");
    if let Ok(bytes) = std::fs::read(&secdb)
        && let Ok(doc) = parse_secdb(&bytes)
    {
        matcher.add_alpine(&doc);
    }
    let tracker = dir.join(
        "vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json",
    );
    if let Ok(bytes) = std::fs::read(&tracker)
        && let Ok(entries) = parse_tracker(&bytes)
    {
        matcher.add_debian(&entries);
    }
    let build_time = start.elapsed();

    // (type, name, version, distro) from the advisories themselves.
    let mut specs: Vec<(PackageType, String, String, Option<Distro>)> = Vec::new();
    for r in &records {
        for a in &r.affected {
            let Some(p) = &a.package else { continue };
            let eco = Ecosystem::parse(&p.ecosystem);
            let Some(t) = eco.package_type else { continue };
            let distro = eco.distro.map(|id| Distro {
                id: id.to_string(),
                version_id: eco.release.clone().unwrap_or_default(),
                ..Distro::default()
            });
            for range in &a.ranges {
                for e in &range.events {
                    if let Some(v) = e
                        .fixed
                        .as_ref()
                        .or(e.introduced.as_ref())
                        .filter(|v| *v != "0")
                    {
                        specs.push((t, p.name.clone(), v.clone(), distro.clone()));
                    }
                }
            }
        }
    }
    assert!(
        !specs.is_empty(),
        "no advisories found under {}",
        dir.display()
    );
    let queries: Vec<Query<'_>> = specs
        .iter()
        .cycle()
        .take(QUERIES)
        .map(|(t, name, version, distro)| Query {
            package_type: *t,
            name,
            version,
            source_name: None,
            source_version: None,
            distro: distro.as_ref(),
        })
        .collect();

    let start = Instant::now();
    let mut hits = 0;
    for q in &queries {
        hits += matcher.matches(q).len();
    }
    let match_time = start.elapsed();

    println!(
        "advisory records loaded: {} in {:.2?}",
        records.len(),
        load_time
    );
    println!(
        "matcher built: {} advisories in {:.2?}",
        matcher.len(),
        build_time
    );
    println!(
        "matched {} packages in {:.2?} ({:.0} packages/s), {} matches",
        queries.len(),
        match_time,
        queries.len() as f64 / match_time.as_secs_f64(),
        hits
    );
}
