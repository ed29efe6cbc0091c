//! The DB file end to end: build time and size from the real test feeds,
//! load time (read, verify signature and checksum, decompress, decode,
//! rebuild the matcher), and matching 10,000 packages against the loaded
//! DB, grouped into findings.
//!
//! Run with `cargo run --release -p vedette-vulndb --example bench_db
//! [ADVISORIES_DIR]` (default: `../shared/testdata/advisories`). The
//! 10,000 packages mix this machine's installed Debian packages
//! (`/var/lib/dpkg/status`, with the distro of `/etc/os-release`) and
//! packages and versions taken from the DB's own advisories.

use std::path::{Path, PathBuf};
use std::time::Instant;

use vedette_model::package::{Distro, PackageType};
use vedette_vulndb::db::build::Builder;
use vedette_vulndb::db::model::StoredAffected;
use vedette_vulndb::db::{VulnDb, file, keys};
use vedette_vulndb::matcher::Query;
use vedette_vulndb::osv::Ecosystem;

const PACKAGES: usize = 10_000;

/// A package to query: type, name, version, source name and version, distro.
type Spec = (
    PackageType,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<Distro>,
);

/// The feeds of the test data (see its MANIFEST.md), by kind.
const FEEDS: [(&str, &[&str]); 6] = [
    (
        "osv",
        &[
            "almalinux-osv-database",
            "bitnami-vulndb",
            "drupal-advisory-database",
            "ghsa-advisory-database-excerpts",
            "go-vulndb",
            "homebrew-advisory-database",
            "pypa-advisory-database",
            "r-advisory-database",
            "ubuntu-security-notices-excerpts",
            "vuln-list-update-testdata/osvdev/testdata",
            "vunnel-provider-fixtures/tests/unit/providers/alma/test-fixtures/osv-database",
            "vunnel-provider-fixtures/tests/unit/providers/bitnami/test-fixtures/vulndb",
            "vunnel-provider-fixtures/tests/unit/providers/rocky/test-fixtures/osv",
            "vunnel-provider-fixtures/tests/unit/providers/ubuntu/test-fixtures/osv",
            "vunnel-provider-fixtures/tests/unit/providers/ubuntu/test-fixtures/osv-esm-cases",
        ],
    ),
    (
        "alpine",
        &[
            "vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb",
            "vuln-list-update-testdata/alpine/testdata/311-main.json",
            "vuln-list-update-testdata/alpine/testdata/312-main.json",
            "vuln-list-update-testdata/alpine/testdata/edge-main.json",
        ],
    ),
    (
        "debian",
        &[
            "vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json",
            "osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/debian/debian_security_tracker_mock.json",
        ],
    ),
    (
        "nvd",
        &[
            "osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/nvdcve-2.0",
            "osv.dev-vulnfeeds-testdata/vulnfeeds/conversion/nvd/testdata/test.json",
            "vunnel-provider-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json",
        ],
    ),
    ("epss", &["epss-excerpt/epss_scores-current.head.csv"]),
    ("kev", &["cisa-kev/known_exploited_vulnerabilities.json"]),
];

fn die(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!("bench_db: {what}: {e}");
    std::process::exit(1)
}

fn link_feeds(advisories: &Path, root: &Path) {
    for (kind, rels) in FEEDS {
        let dir = root.join(kind);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| die("mkdir", e));
        for (n, rel) in rels.iter().enumerate() {
            let target = advisories.join(rel);
            if !target.exists() {
                die("missing test data", target.display());
            }
            let name = format!("{n:02}-{}", rel.replace('/', "_"));
            std::os::unix::fs::symlink(&target, dir.join(name))
                .unwrap_or_else(|e| die("symlink", e));
        }
    }
}

/// `/etc/os-release` fields (hand-read: `KEY=value` lines, optional quotes).
fn os_release() -> Distro {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let field = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(k)?.strip_prefix('='))
            .map(|v| v.trim_matches('"').to_string())
    };
    Distro {
        id: field("ID").unwrap_or_default(),
        version_id: field("VERSION_ID").unwrap_or_default(),
        version_codename: field("VERSION_CODENAME"),
        ..Distro::default()
    }
}

/// Installed packages of `/var/lib/dpkg/status`: (name, version, source
/// name, source version). Hand-read: stanzas of `Field: value` lines.
fn dpkg_packages() -> Vec<(String, String, Option<String>, Option<String>)> {
    let text = std::fs::read_to_string("/var/lib/dpkg/status").unwrap_or_default();
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let field = |k: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(k)?.strip_prefix(": "))
                .map(str::to_string)
        };
        let (Some(name), Some(version)) = (field("Package"), field("Version")) else {
            continue;
        };
        if !field("Status").is_some_and(|s| s.ends_with(" installed")) {
            continue;
        }
        // `Source: name (version)` when the source version differs.
        let (source, source_version) = match field("Source") {
            Some(s) => match s.split_once(" (") {
                Some((n, v)) => (
                    Some(n.to_string()),
                    Some(v.trim_end_matches(')').to_string()),
                ),
                None => (Some(s), None),
            },
            None => (None, None),
        };
        out.push((name, version, source, source_version));
    }
    out
}

fn main() {
    let advisories = std::env::args().nth(1).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/advisories"),
        PathBuf::from,
    );
    let work = tempfile::tempdir().unwrap_or_else(|e| die("tempdir", e));
    let feeds = work.path().join("feeds");
    link_feeds(&advisories, &feeds);
    let key = keys::generate().unwrap_or_else(|e| die("key", e));

    // Build: read every feed, merge, encode, compress, sign.
    let start = Instant::now();
    let mut builder = Builder::new();
    builder
        .add_feed_dir(&feeds)
        .unwrap_or_else(|e| die("feeds", e));
    let built = builder.finish();
    let ingest = start.elapsed();
    let counts = built.header.counts.clone();
    let feed_count = built.header.feeds.len();
    let raw_len = postcard_len(&built.payload);
    let bytes =
        file::encode(built.header, &built.payload, &key, 12).unwrap_or_else(|e| die("encode", e));
    let build_time = start.elapsed();
    let path = work.path().join("vedette.db");
    std::fs::write(&path, &bytes).unwrap_or_else(|e| die("write", e));

    // Load from disk: read, verify, decompress, decode, rebuild the matcher.
    let start = Instant::now();
    let db = VulnDb::open(&path, &key.verifying_key()).unwrap_or_else(|e| die("open", e));
    let load_time = start.elapsed();

    // 10,000 packages: this machine's dpkg packages, then the DB's own.
    let distro = os_release();
    let installed = dpkg_packages();
    let mut specs: Vec<Spec> = installed
        .iter()
        .map(|(n, v, s, sv)| {
            (
                PackageType::Deb,
                n.clone(),
                v.clone(),
                s.clone(),
                sv.clone(),
                Some(distro.clone()),
            )
        })
        .collect();
    let dpkg_count = specs.len();
    let mut own = Vec::new();
    for a in &reread_payload(&bytes, &key).advisories {
        for affected in &a.affected {
            match affected {
                StoredAffected::Osv {
                    ecosystem,
                    name,
                    ranges,
                    ..
                } => {
                    let eco = Ecosystem::parse(ecosystem);
                    let Some(t) = eco.package_type else { continue };
                    let d = eco.distro.map(|id| Distro {
                        id: id.into(),
                        version_id: eco.release.clone().unwrap_or_default(),
                        ..Distro::default()
                    });
                    for e in ranges.iter().flat_map(|r| &r.events) {
                        let v = match e {
                            vedette_vulndb::db::model::StoredEvent::Fixed(v)
                            | vedette_vulndb::db::model::StoredEvent::Introduced(v) => v,
                            _ => continue,
                        };
                        if v != "0" {
                            own.push((t, name.clone(), v.clone(), None, None, d.clone()));
                        }
                    }
                }
                StoredAffected::Alpine {
                    release,
                    package,
                    fixed,
                } => own.push((
                    PackageType::Apk,
                    package.clone(),
                    fixed.clone(),
                    None,
                    None,
                    Some(Distro {
                        id: "alpine".into(),
                        version_id: release.clone(),
                        ..Distro::default()
                    }),
                )),
                StoredAffected::Debian { .. } => {}
            }
        }
    }
    if own.is_empty() {
        die("no packages", "the DB has no advisory");
    }
    let need = PACKAGES.saturating_sub(specs.len());
    specs.extend(own.iter().cycle().take(need).cloned());
    specs.truncate(PACKAGES);
    let queries: Vec<Query<'_>> = specs
        .iter()
        .map(|(t, name, version, source, source_version, d)| Query {
            package_type: *t,
            name,
            version,
            source_name: source.as_deref(),
            source_version: source_version.as_deref(),
            distro: d.as_ref(),
        })
        .collect();

    let start = Instant::now();
    let (mut findings, mut matches, mut kev) = (0, 0, 0);
    for q in &queries {
        for f in db.findings(q) {
            findings += 1;
            matches += f.matches.len();
            kev += usize::from(f.vulnerability.is_some_and(|v| v.kev.is_some()));
        }
    }
    let match_time = start.elapsed();
    let dpkg_findings: usize = queries[..dpkg_count.min(queries.len())]
        .iter()
        .map(|q| db.findings(q).len())
        .sum();

    println!(
        "feeds: {feed_count} sources; {} problems, {} advisories, {} affected entries",
        counts.vulnerabilities, counts.advisories, counts.affected
    );
    println!("build: {build_time:.2?} (reading and merging feeds {ingest:.2?})");
    println!(
        "size: {} bytes on disk ({:.1} MiB; payload {:.1} MiB before zstd)",
        bytes.len(),
        bytes.len() as f64 / 1048576.0,
        raw_len as f64 / 1048576.0
    );
    println!("load from disk (read, verify, decompress, decode, index): {load_time:.2?}");
    println!(
        "matched {} packages ({dpkg_count} from this machine's dpkg status on {} {}, {dpkg_findings} findings there) in {match_time:.2?} ({:.0} packages/s): {findings} findings ({kev} in KEV) from {matches} advisory matches",
        queries.len(),
        distro.id,
        distro.version_id,
        queries.len() as f64 / match_time.as_secs_f64(),
    );
    println!(
        "open + match 10,000 packages: {:.2?}",
        load_time + match_time
    );
}

fn postcard_len(payload: &vedette_vulndb::db::Payload) -> usize {
    postcard::to_stdvec(payload).map_or(0, |v| v.len())
}

fn reread_payload(bytes: &[u8], key: &ed25519_dalek::SigningKey) -> vedette_vulndb::db::Payload {
    file::verify(bytes, &key.verifying_key())
        .and_then(|v| v.payload())
        .unwrap_or_else(|e| die("payload", e))
}
