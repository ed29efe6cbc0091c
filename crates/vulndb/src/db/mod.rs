//! The vulnerability DB file: one compact, versioned, checksummed and
//! ed25519-signed file holding everything the [`Matcher`] needs, plus the
//! merged problems (CVE ↔ GHSA ↔ distro ids) with CVSS, EPSS and KEV.
//!
//! * [`build`]: [`build::Builder`] ingests feeds (a feed directory laid out
//!   by kind, or records one by one) into a [`model::Payload`];
//! * [`file`]: the byte layout, [`file::encode`] (sign) and
//!   [`file::verify`] (signature, schema version, length, checksum);
//! * [`keys`]: ed25519 key pairs in PEM files;
//! * [`install`]: atomic replacement of the installed DB;
//! * [`VulnDb`]: a verified DB loaded for matching.
//!
//! ```no_run
//! # fn main() -> Result<(), vedette_vulndb::db::DbError> {
//! use vedette_vulndb::db::{VulnDb, keys};
//! let key = keys::read_verifying_key("vulndb.pub".as_ref())?;
//! let db = VulnDb::open("vedette.db".as_ref(), &key)?;
//! println!("{} problems", db.vulnerabilities().len());
//! # Ok(()) }
//! ```

pub mod build;
pub mod file;
pub mod install;
pub mod keys;
pub mod model;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;
use sha2::{Digest, Sha256};

use crate::advisory::Advisory;
use crate::distro::alpine::{Secdb, SecdbPackage};
use crate::distro::debian::{DebianEntry, DebianStatus, release_of_codename};
use crate::matcher::{Match, Matcher, Query, group_by_alias};
use crate::osv::record::Reference;
use crate::osv::{Affected, Event, PackageRef, Range, RangeType, Record, Severity};
use model::{DistroState, StoredAdvisory, StoredAffected, StoredEvent, StoredFeed};
pub use model::{Header, Payload, SCHEMA_VERSION, Vulnerability};

/// Why a DB could not be built, read, verified or installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes do not start like a Vedette DB.
    #[error("not a Vedette vulnerability DB (bad magic)")]
    NotADb,
    /// The file is shorter than its header says (interrupted download).
    #[error("truncated DB: expected {expected} bytes, found {found}")]
    Truncated {
        /// Expected length.
        expected: u64,
        /// Actual length.
        found: u64,
    },
    /// The signature does not verify with the trusted key.
    #[error(
        "DB signature does not verify with the trusted public key (key id {expected_key}): \
         the file was modified or signed by another key"
    )]
    BadSignature {
        /// Id of the trusted key.
        expected_key: String,
    },
    /// The payload schema is not the one this build reads.
    #[error(
        "DB schema version {found} is not supported (this vedette reads version {supported}); \
         use a matching vedette release"
    )]
    SchemaVersion {
        /// The file's version.
        found: u32,
        /// The supported version.
        supported: u32,
    },
    /// The payload's SHA-256 differs from the signed header's.
    #[error(
        "DB payload checksum mismatch (expected sha256 {expected}, found {found}): corrupted file"
    )]
    Checksum {
        /// Signed checksum.
        expected: String,
        /// Actual checksum.
        found: String,
    },
    /// The file is structurally wrong (bad header, payload, sizes).
    #[error("malformed DB: {0}")]
    Malformed(String),
    /// Serialising failed.
    #[error("cannot encode DB: {0}")]
    Encode(String),
    /// A key file is unusable.
    #[error("key: {0}")]
    Key(String),
    /// A feed directory holds no feed.
    #[error("{}: no feed found (expected subdirectories osv, alpine, debian, nvd, epss, kev)", .0.display())]
    NoFeeds(PathBuf),
}

/// The id of a public key: first 8 bytes of the SHA-256 of its 32 bytes, hex.
pub fn key_id(key: &VerifyingKey) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

/// A verified DB loaded for matching.
#[derive(Debug)]
pub struct VulnDb {
    header: Header,
    matcher: Matcher,
    vulnerabilities: Vec<Vulnerability>,
    /// Every advisory id and alias, and every problem id and alias, to its
    /// problem.
    by_name: HashMap<String, u32>,
}

/// One problem affecting a queried package: its merged record and the
/// feed advisories that matched (CVE ↔ GHSA ↔ distro ids together).
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    /// The merged problem, with CVSS, EPSS, KEV.
    pub vulnerability: Option<&'a Vulnerability>,
    /// The matching advisories, best first as the matcher ordered them.
    pub matches: Vec<Match<'a>>,
}

impl VulnDb {
    /// Reads, verifies and loads a DB file.
    pub fn open(path: &Path, trusted: &VerifyingKey) -> Result<VulnDb, DbError> {
        let io = |source| DbError::Io {
            path: path.to_path_buf(),
            source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > file::MAX_PAYLOAD_BYTES {
            return Err(DbError::Malformed(format!(
                "{len} bytes is too large for a DB"
            )));
        }
        let bytes = std::fs::read(path).map_err(io)?;
        VulnDb::from_bytes(&bytes, trusted)
    }

    /// Verifies and loads DB bytes.
    pub fn from_bytes(bytes: &[u8], trusted: &VerifyingKey) -> Result<VulnDb, DbError> {
        let verified = file::verify(bytes, trusted)?;
        let payload = verified.payload()?;
        Ok(VulnDb::from_payload(verified.header, payload))
    }

    /// Loads an already verified payload: rebuilds the matcher exactly as
    /// from the feeds.
    pub fn from_payload(header: Header, payload: Payload) -> VulnDb {
        let mut matcher = Matcher::new();
        let mut by_name = HashMap::new();
        for (i, v) in payload.vulnerabilities.iter().enumerate() {
            for name in std::iter::once(&v.id).chain(&v.aliases) {
                by_name.entry(name.clone()).or_insert(i as u32);
            }
        }
        for a in &payload.advisories {
            by_name.entry(a.id.clone()).or_insert(a.vulnerability);
            add_to_matcher(&mut matcher, a);
        }
        VulnDb {
            header,
            matcher,
            vulnerabilities: payload.vulnerabilities,
            by_name,
        }
    }

    /// The signed header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The matcher.
    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    /// Every merged problem.
    pub fn vulnerabilities(&self) -> &[Vulnerability] {
        &self.vulnerabilities
    }

    /// The problem named by an id or alias (`CVE-…`, `GHSA-…`, `ALSA-…`).
    pub fn vulnerability(&self, name: &str) -> Option<&Vulnerability> {
        self.by_name
            .get(name)
            .and_then(|&i| self.vulnerabilities.get(i as usize))
    }

    /// The problem an advisory belongs to.
    pub fn vulnerability_of(&self, advisory: &Advisory) -> Option<&Vulnerability> {
        self.vulnerability(&advisory.id)
    }

    /// The problems affecting a package: matches grouped by alias, one
    /// finding per problem.
    pub fn findings(&self, query: &Query<'_>) -> Vec<Finding<'_>> {
        group_by_alias(self.matcher.matches(query))
            .into_iter()
            .map(|matches| Finding {
                vulnerability: matches
                    .first()
                    .and_then(|m| self.vulnerability_of(m.advisory)),
                matches,
            })
            .collect()
    }
}

/// Feeds one stored advisory to the matcher through the same entry points
/// the feeds use, so matching from the DB equals matching from the feeds.
fn add_to_matcher(matcher: &mut Matcher, a: &StoredAdvisory) {
    match a.feed {
        StoredFeed::Osv => matcher.add_osv(&osv_record(a)),
        StoredFeed::AlpineSecdb => {
            let ids: Vec<String> = std::iter::once(a.id.clone())
                .chain(a.aliases.iter().cloned())
                .collect();
            for affected in &a.affected {
                if let StoredAffected::Alpine {
                    release,
                    package,
                    fixed,
                } = affected
                {
                    matcher.add_alpine(&Secdb {
                        release: release.clone(),
                        repo: String::new(),
                        packages: vec![SecdbPackage {
                            name: package.clone(),
                            fixes: vec![(fixed.clone(), ids.clone())],
                        }],
                    });
                }
            }
        }
        StoredFeed::DebianTracker => {
            let entries: Vec<DebianEntry> = a
                .affected
                .iter()
                .filter_map(|affected| match affected {
                    StoredAffected::Debian {
                        source,
                        codename,
                        state,
                        urgency,
                    } => Some(DebianEntry {
                        source: source.clone(),
                        id: a.id.clone(),
                        description: a.details.clone(),
                        codename: codename.clone(),
                        release: release_of_codename(codename),
                        status: match state {
                            DistroState::Fixed(v) => DebianStatus::Fixed(v.clone()),
                            DistroState::Unfixed => DebianStatus::Unfixed,
                            DistroState::WillNotFix => DebianStatus::WillNotFix,
                            DistroState::Undetermined => DebianStatus::Undetermined,
                        },
                        urgency: urgency.clone(),
                    }),
                    _ => None,
                })
                .collect();
            matcher.add_debian(&entries);
        }
    }
}

/// The OSV record a stored OSV advisory came from (the fields matching
/// and reports use).
fn osv_record(a: &StoredAdvisory) -> Record {
    let affected = a
        .affected
        .iter()
        .filter_map(|affected| match affected {
            StoredAffected::Osv {
                ecosystem,
                name,
                ranges,
                versions,
                binaries,
            } => Some(Affected {
                package: Some(PackageRef {
                    ecosystem: ecosystem.clone(),
                    name: name.clone(),
                    purl: None,
                }),
                severity: Vec::new(),
                ranges: ranges
                    .iter()
                    .map(|r| Range {
                        kind: if r.semver {
                            RangeType::Semver
                        } else {
                            RangeType::Ecosystem
                        },
                        repo: None,
                        events: r.events.iter().map(osv_event).collect(),
                        database_specific: None,
                    })
                    .collect(),
                versions: versions.clone(),
                ecosystem_specific: (!binaries.is_empty()).then(|| {
                    serde_json::json!({
                        "binaries": binaries
                            .iter()
                            .map(|b| serde_json::json!({ "binary_name": b }))
                            .collect::<Vec<_>>()
                    })
                }),
                database_specific: None,
            }),
            _ => None,
        })
        .collect();
    Record {
        id: a.id.clone(),
        modified: a.modified.clone(),
        published: a.published.clone(),
        withdrawn: None,
        aliases: a.aliases.clone(),
        related: Vec::new(),
        upstream: Vec::new(),
        summary: a.summary.clone(),
        details: a.details.clone(),
        severity: a
            .severity
            .iter()
            .map(|(kind, score)| Severity {
                kind: kind.clone(),
                score: score.clone(),
            })
            .collect(),
        affected,
        references: a
            .references
            .iter()
            .map(|url| Reference {
                kind: "WEB".into(),
                url: url.clone(),
            })
            .collect(),
        database_specific: None,
        schema_version: None,
    }
}

fn osv_event(e: &StoredEvent) -> Event {
    let mut out = Event::default();
    match e {
        StoredEvent::Introduced(v) => out.introduced = Some(v.clone()),
        StoredEvent::Fixed(v) => out.fixed = Some(v.clone()),
        StoredEvent::LastAffected(v) => out.last_affected = Some(v.clone()),
        StoredEvent::Limit(v) => out.limit = Some(v.clone()),
    }
    out
}
