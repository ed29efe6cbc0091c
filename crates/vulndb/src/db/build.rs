//! Building a DB from feeds.
//!
//! A feed directory is laid out by kind; each entry directly inside a kind
//! folder (a file, a directory, or a symbolic link to either) is one feed
//! source listed in the header:
//!
//! ```text
//! feeds/
//!   osv/      OSV records: .json/.yaml files, directories, per-ecosystem .zip dumps
//!   alpine/   Alpine secdb documents (.json/.yaml), or directories of them
//!   debian/   Debian security tracker JSON export(s)
//!   nvd/      NVD CVE API 2.0 responses (.json), or directories of them
//!   epss/     FIRST EPSS scores (.csv or .csv.gz)
//!   kev/      CISA KEV catalog (.json)
//! ```
//!
//! A file that cannot be read is reported as a warning and left out; the
//! build goes on (callers may refuse warnings). Advisories are merged into
//! problems by id and alias (union-find, as `matcher::group_by_alias`);
//! NVD, EPSS and KEV data are attached to the problems of their CVE and
//! never create matches.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::DbError;
use super::model::{
    Counts, Cvss, DistroState, Epss, FeedInfo, Header, Kev, Payload, PayloadInfo, SCHEMA_VERSION,
    SeverityLevel, StoredAdvisory, StoredAffected, StoredEvent, StoredFeed, StoredRange,
    Vulnerability,
};
use crate::distro::alpine::{Secdb, parse_secdb};
use crate::distro::debian::{DebianEntry, DebianStatus, parse_tracker};
use crate::enrich::epss::{EpssScores, parse_epss};
use crate::enrich::kev::{KevCatalog, parse_kev};
use crate::enrich::nvd::{NvdCve, NvdPage, parse_nvd};
use crate::osv::{
    CompiledAffected, EvalError, Limits, Loaded, RangeType, Record, load_dir, load_file, load_zip,
};

/// Largest enrichment or distro file read (the Debian tracker export is
/// about 60 MiB, an NVD page about 30 MB).
pub const MAX_FEED_FILE: u64 = 1 << 30;
/// Deepest directory walked inside a kind folder.
const MAX_DEPTH: usize = 32;

/// Accumulates feeds, then produces the payload and header.
#[derive(Debug, Default)]
pub struct Builder {
    advisories: Vec<StoredAdvisory>,
    /// Feed ratings (GHSA `database_specific.severity`, Ubuntu priority,
    /// Debian urgency) per advisory, used when no CVSS score exists.
    ratings: Vec<Option<SeverityLevel>>,
    /// OSV ids and distro `(feed, id)` to their advisory.
    by_id: HashMap<(StoredFeed, String), usize>,
    nvd: HashMap<String, NvdCve>,
    epss: HashMap<String, Epss>,
    kev: HashMap<String, Kev>,
    feeds: Vec<FeedInfo>,
    warnings: Vec<String>,
}

/// What a build produced.
#[derive(Debug)]
pub struct Built {
    /// The header (payload info and key id are filled in when encoding).
    pub header: Header,
    /// The payload.
    pub payload: Payload,
    /// Files or records left out, with the reason.
    pub warnings: Vec<String>,
}

fn word_rating(value: Option<&serde_json::Value>) -> Option<SeverityLevel> {
    value
        .and_then(serde_json::Value::as_str)
        .and_then(SeverityLevel::from_word)
}

/// `2.0`, `3.0`, `3.1` or `4.0` for an OSV CVSS vector.
fn cvss_version(vector: &str) -> String {
    match vector
        .strip_prefix("CVSS:")
        .and_then(|v| v.split('/').next())
    {
        Some(v) => v.to_string(),
        None => "2.0".into(), // v2 vectors carry no prefix
    }
}

/// The base score of a CVSS vector (v2, v3.x, v4.0).
fn cvss_score(version: &str, vector: &str) -> Option<f32> {
    use std::str::FromStr;
    let score = match version.chars().next() {
        Some('2') => cvss::v2::Vector::from_str(vector).ok()?.score().value(),
        Some('3') => cvss::v3::Vector::from_str(vector).ok()?.score().value(),
        Some('4') => cvss::v4::Vector::from_str(vector).ok()?.score().value(),
        _ => return None,
    };
    Some(score as f32)
}

fn rfc3339(time: std::time::SystemTime) -> Option<String> {
    time::OffsetDateTime::from(time)
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn mtime(path: &Path) -> Option<String> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .and_then(rfc3339)
}

/// Files under `path` (itself if a file) with one of `exts`, sorted;
/// symbolic links below `path` are not followed.
fn files_with(path: &Path, exts: &[&str]) -> Vec<PathBuf> {
    fn walk(dir: &Path, exts: &[&str], depth: usize, out: &mut Vec<PathBuf>) {
        if depth > MAX_DEPTH {
            return;
        }
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let Ok(t) = e.file_type() else { continue };
            let p = e.path();
            if t.is_dir() {
                walk(&p, exts, depth + 1, out);
            } else if t.is_file() && has_ext(&p, exts) {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    if path.is_file() {
        out.push(path.to_path_buf());
    } else {
        walk(path, exts, 0, &mut out);
    }
    out
}

/// Whether an RFC 3339 date is a real one: some feeds (go-vulndb) write
/// `0001-01-01T00:00:00Z` as "unknown", which would make a feed look 2,000 years old.
fn is_real_date(date: &str) -> bool {
    date.get(..4)
        .and_then(|year| year.parse::<u32>().ok())
        .is_some_and(|year| year >= 1990)
}

fn has_ext(path: &Path, exts: &[&str]) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    exts.iter().any(|e| name.ends_with(e))
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > MAX_FEED_FILE {
        return Err(format!("{len} bytes exceeds the limit of {MAX_FEED_FILE}"));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

impl Builder {
    /// An empty builder.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Problems met so far.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Reads a feed directory laid out by kind (see the module docs).
    pub fn add_feed_dir(&mut self, dir: &Path) -> Result<(), DbError> {
        const KINDS: [&str; 6] = ["osv", "alpine", "debian", "nvd", "epss", "kev"];
        let before = self.feeds.len();
        // A misspelt folder would silently drop a feed: say so.
        let top = std::fs::read_dir(dir).map_err(|source| DbError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        for entry in top.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !KINDS.contains(&name.as_str()) {
                self.warnings.push(format!(
                    "{}: not a feed folder (expected one of {})",
                    entry.path().display(),
                    KINDS.join(", ")
                ));
            }
        }
        for kind in KINDS {
            let kind_dir = dir.join(kind);
            if !kind_dir.is_dir() {
                continue;
            }
            let entries = std::fs::read_dir(&kind_dir).map_err(|source| DbError::Io {
                path: kind_dir.clone(),
                source,
            })?;
            let mut entries: Vec<PathBuf> =
                entries.filter_map(Result::ok).map(|e| e.path()).collect();
            entries.sort();
            for source in entries {
                let label = source
                    .strip_prefix(dir)
                    .unwrap_or(&source)
                    .display()
                    .to_string();
                let info = match kind {
                    "osv" => self.add_osv_source(&source),
                    "alpine" => self.add_alpine_source(&source),
                    "debian" => self.add_debian_source(&source),
                    "nvd" => self.add_nvd_source(&source),
                    "epss" => self.add_epss_source(&source),
                    _ => self.add_kev_source(&source),
                };
                self.feeds.push(FeedInfo {
                    kind: kind.into(),
                    source: label,
                    ..info
                });
            }
        }
        if self.feeds.len() == before {
            return Err(DbError::NoFeeds(dir.to_path_buf()));
        }
        Ok(())
    }

    fn add_osv_source(&mut self, path: &Path) -> FeedInfo {
        let limits = Limits::default();
        let loaded = if path.is_dir() {
            load_dir(path, &limits)
        } else if has_ext(path, &[".zip"]) {
            load_zip(path, &limits).unwrap_or_else(|e| Loaded {
                records: Vec::new(),
                problems: vec![e],
            })
        } else {
            match load_file(path, &limits) {
                Ok(r) => Loaded {
                    records: vec![(path.display().to_string(), r)],
                    problems: Vec::new(),
                },
                Err(e) => Loaded {
                    records: Vec::new(),
                    problems: vec![e],
                },
            }
        };
        for problem in &loaded.problems {
            self.warnings.push(format!("osv: {problem}"));
        }
        let mut date: Option<String> = None;
        for (_, record) in &loaded.records {
            if record.modified.as_deref().is_some_and(is_real_date) && record.modified > date {
                date.clone_from(&record.modified);
            }
            self.add_osv(record);
        }
        FeedInfo {
            kind: String::new(),
            source: String::new(),
            date,
            records: loaded.records.len() as u64,
        }
    }

    fn add_alpine_source(&mut self, path: &Path) -> FeedInfo {
        let mut records = 0;
        for file in files_with(path, &[".json", ".yaml", ".yml"]) {
            match read_bounded(&file).and_then(|b| parse_secdb(&b).map_err(|e| e.to_string())) {
                Ok(secdb) => {
                    records += secdb.packages.len() as u64;
                    self.add_secdb(&secdb);
                }
                Err(e) => self
                    .warnings
                    .push(format!("alpine secdb {}: {e}", file.display())),
            }
        }
        FeedInfo {
            kind: String::new(),
            source: String::new(),
            date: mtime(path),
            records,
        }
    }

    fn add_debian_source(&mut self, path: &Path) -> FeedInfo {
        let mut records = 0;
        for file in files_with(path, &[".json"]) {
            match read_bounded(&file).and_then(|b| parse_tracker(&b).map_err(|e| e.to_string())) {
                Ok(entries) => {
                    records += entries.len() as u64;
                    self.add_debian(&entries);
                }
                Err(e) => self
                    .warnings
                    .push(format!("debian tracker {}: {e}", file.display())),
            }
        }
        FeedInfo {
            kind: String::new(),
            source: String::new(),
            date: mtime(path),
            records,
        }
    }

    fn add_nvd_source(&mut self, path: &Path) -> FeedInfo {
        let (mut records, mut date) = (0, None);
        for file in files_with(path, &[".json"]) {
            match read_bounded(&file).and_then(|b| parse_nvd(&b).map_err(|e| e.to_string())) {
                Ok(page) => {
                    records += page.cves.len() as u64;
                    if page.timestamp > date {
                        date.clone_from(&page.timestamp);
                    }
                    self.add_nvd(page);
                }
                Err(e) => self.warnings.push(format!("nvd {}: {e}", file.display())),
            }
        }
        FeedInfo {
            kind: String::new(),
            source: String::new(),
            date,
            records,
        }
    }

    fn add_epss_source(&mut self, path: &Path) -> FeedInfo {
        let (mut records, mut date) = (0, None);
        for file in files_with(path, &[".csv", ".csv.gz"]) {
            match read_bounded(&file).and_then(|b| parse_epss(&b).map_err(|e| e.to_string())) {
                Ok(scores) => {
                    records += scores.scores.len() as u64;
                    date = scores.score_date.clone().or(date);
                    self.add_epss(&scores);
                }
                Err(e) => self.warnings.push(format!("epss {}: {e}", file.display())),
            }
        }
        FeedInfo {
            kind: String::new(),
            source: String::new(),
            date,
            records,
        }
    }

    fn add_kev_source(&mut self, path: &Path) -> FeedInfo {
        let (mut records, mut date) = (0, None);
        for file in files_with(path, &[".json"]) {
            match read_bounded(&file).and_then(|b| parse_kev(&b).map_err(|e| e.to_string())) {
                Ok(catalog) => {
                    records += catalog.entries.len() as u64;
                    date = Some(catalog.released.clone());
                    self.add_kev(&catalog);
                }
                Err(e) => self.warnings.push(format!("kev {}: {e}", file.display())),
            }
        }
        FeedInfo {
            kind: String::new(),
            source: String::new(),
            date,
            records,
        }
    }

    fn push(&mut self, feed: StoredFeed, advisory: StoredAdvisory, rating: Option<SeverityLevel>) {
        self.by_id
            .insert((feed, advisory.id.clone()), self.advisories.len());
        self.advisories.push(advisory);
        self.ratings.push(rating);
    }

    /// Adds one OSV record. Withdrawn records and entries the matcher cannot
    /// use (ecosystems Vedette does not catalog, bad events) are left out;
    /// a record seen twice keeps its most recently modified copy.
    pub fn add_osv(&mut self, record: &Record) {
        if record.is_withdrawn() {
            return;
        }
        let mut affected = Vec::new();
        for a in &record.affected {
            let Some(package) = &a.package else { continue };
            let compiled = match CompiledAffected::compile(a) {
                Ok(c) if c.ecosystem.package_type.is_some() => c,
                Ok(_) | Err(EvalError::UnsupportedEcosystem(_)) => continue,
                Err(e) => {
                    self.warnings.push(format!("osv {}: {e}", record.id));
                    continue;
                }
            };
            let binaries = compiled
                .ecosystem_specific
                .as_ref()
                .and_then(|e| e.get("binaries"))
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|b| b.get("binary_name").and_then(serde_json::Value::as_str))
                .map(str::to_string)
                .collect();
            let ranges = a
                .ranges
                .iter()
                .filter(|r| matches!(r.kind, RangeType::Ecosystem | RangeType::Semver))
                .map(|r| StoredRange {
                    semver: r.kind == RangeType::Semver,
                    events: r
                        .events
                        .iter()
                        .filter_map(|e| {
                            // Compiling succeeded, so each event has exactly one field.
                            e.introduced
                                .clone()
                                .map(StoredEvent::Introduced)
                                .or_else(|| e.fixed.clone().map(StoredEvent::Fixed))
                                .or_else(|| e.last_affected.clone().map(StoredEvent::LastAffected))
                                .or_else(|| e.limit.clone().map(StoredEvent::Limit))
                        })
                        .collect(),
                })
                .collect();
            affected.push(StoredAffected::Osv {
                ecosystem: package.ecosystem.clone(),
                name: package.name.clone(),
                ranges,
                versions: a.versions.clone(),
                binaries,
            });
        }
        if affected.is_empty() {
            return;
        }
        let rating = record
            .database_specific
            .as_ref()
            .and_then(|d| word_rating(d.get("severity")))
            .or_else(|| {
                record
                    .severities()
                    .filter(|s| s.cvss_version().is_none())
                    .find_map(|s| SeverityLevel::from_word(&s.score))
            });
        let advisory = StoredAdvisory {
            id: record.id.clone(),
            feed: StoredFeed::Osv,
            aliases: record.aliases.clone(),
            summary: record.summary.clone(),
            details: record.details.clone(),
            severity: record
                .severities()
                .map(|s| (s.kind.clone(), s.score.clone()))
                .collect(),
            references: record.references.iter().map(|r| r.url.clone()).collect(),
            published: record.published.clone(),
            modified: record.modified.clone(),
            vulnerability: 0,
            affected,
        };
        match self.by_id.get(&(StoredFeed::Osv, record.id.clone())) {
            Some(&i) => {
                if advisory.modified > self.advisories[i].modified {
                    self.advisories[i] = advisory;
                    self.ratings[i] = rating;
                }
            }
            None => self.push(StoredFeed::Osv, advisory, rating),
        }
    }

    /// The distro advisory for `(feed, id)`, created on first use.
    fn distro_advisory(
        &mut self,
        feed: StoredFeed,
        id: &str,
        make: impl FnOnce() -> StoredAdvisory,
    ) -> usize {
        if let Some(&i) = self.by_id.get(&(feed, id.to_string())) {
            return i;
        }
        self.push(feed, make(), None);
        self.advisories.len() - 1
    }

    /// Adds an Alpine secdb document (`0` fixes, "never affected", are left out).
    pub fn add_secdb(&mut self, secdb: &Secdb) {
        for package in &secdb.packages {
            for (fixed, ids) in &package.fixes {
                let Some((id, aliases)) = ids.split_first() else {
                    continue;
                };
                if fixed == "0" {
                    continue;
                }
                let i = self.distro_advisory(StoredFeed::AlpineSecdb, id, || StoredAdvisory {
                    id: id.clone(),
                    feed: StoredFeed::AlpineSecdb,
                    aliases: aliases.to_vec(),
                    summary: None,
                    details: None,
                    severity: Vec::new(),
                    references: Vec::new(),
                    published: None,
                    modified: None,
                    vulnerability: 0,
                    affected: Vec::new(),
                });
                self.advisories[i].affected.push(StoredAffected::Alpine {
                    release: secdb.release.clone(),
                    package: package.name.clone(),
                    fixed: fixed.clone(),
                });
            }
        }
    }

    /// Adds Debian tracker entries ("not affected" ones are left out).
    pub fn add_debian(&mut self, entries: &[DebianEntry]) {
        for e in entries {
            let state = match &e.status {
                DebianStatus::NotAffected => continue,
                DebianStatus::Fixed(v) => DistroState::Fixed(v.clone()),
                DebianStatus::Unfixed => DistroState::Unfixed,
                DebianStatus::WillNotFix => DistroState::WillNotFix,
                DebianStatus::Undetermined => DistroState::Undetermined,
            };
            let i = self.distro_advisory(StoredFeed::DebianTracker, &e.id, || StoredAdvisory {
                id: e.id.clone(),
                feed: StoredFeed::DebianTracker,
                aliases: Vec::new(),
                summary: None,
                details: e.description.clone(),
                severity: Vec::new(),
                references: Vec::new(),
                published: None,
                modified: None,
                vulnerability: 0,
                affected: Vec::new(),
            });
            // The tracker's urgency (`low**` marks a guess) rates the problem
            // when nothing else does; keep the highest.
            let urgency = e
                .urgency
                .as_deref()
                .and_then(|u| SeverityLevel::from_word(u.trim_end_matches('*')));
            if urgency > self.ratings[i] {
                self.ratings[i] = urgency;
            }
            self.advisories[i].affected.push(StoredAffected::Debian {
                source: e.source.clone(),
                codename: e.codename.clone(),
                state,
                urgency: e.urgency.clone(),
            });
        }
    }

    /// Adds an NVD page (a CVE seen twice keeps its latest modification).
    pub fn add_nvd(&mut self, page: NvdPage) {
        for cve in page.cves {
            match self.nvd.get(&cve.id) {
                Some(old) if old.last_modified >= cve.last_modified => {}
                _ => {
                    self.nvd.insert(cve.id.clone(), cve);
                }
            }
        }
    }

    /// Adds EPSS scores.
    pub fn add_epss(&mut self, scores: &EpssScores) {
        for (cve, score, percentile) in &scores.scores {
            self.epss.insert(
                cve.clone(),
                Epss {
                    score: *score,
                    percentile: *percentile,
                },
            );
        }
    }

    /// Adds the KEV catalog.
    pub fn add_kev(&mut self, catalog: &KevCatalog) {
        for e in &catalog.entries {
            self.kev.insert(
                e.cve.clone(),
                Kev {
                    date_added: e.date_added.clone(),
                    due_date: e.due_date.clone(),
                    ransomware: e.ransomware,
                },
            );
        }
    }

    /// Merges advisories into problems, attaches enrichment and returns
    /// the payload with its header (`built_at` = now).
    pub fn finish(mut self) -> Built {
        let groups = self.groups();
        let mut vulnerabilities = Vec::with_capacity(groups.len());
        for members in &groups {
            let v = self.merge(members);
            let index = vulnerabilities.len() as u32;
            for &m in members {
                self.advisories[m].vulnerability = index;
            }
            vulnerabilities.push(v);
        }
        let counts = Counts {
            vulnerabilities: vulnerabilities.len() as u64,
            advisories: self.advisories.len() as u64,
            affected: self
                .advisories
                .iter()
                .map(|a| a.affected.len() as u64)
                .sum(),
        };
        let header = Header {
            schema_version: SCHEMA_VERSION,
            built_at: rfc3339(std::time::SystemTime::now()).unwrap_or_default(),
            feeds: self.feeds,
            counts,
            payload: PayloadInfo {
                encoding: String::new(),
                compressed_len: 0,
                uncompressed_len: 0,
                sha256: String::new(),
            },
            key_id: String::new(),
        };
        Built {
            header,
            payload: Payload {
                vulnerabilities,
                advisories: self.advisories,
            },
            warnings: self.warnings,
        }
    }

    /// Advisory indices grouped by shared id or alias, in first-seen order.
    fn groups(&self) -> Vec<Vec<usize>> {
        let n = self.advisories.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn root(parent: &mut [usize], mut i: usize) -> usize {
            while parent[i] != i {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }
            i
        }
        let mut owner: HashMap<&str, usize> = HashMap::new();
        for (i, a) in self.advisories.iter().enumerate() {
            for name in std::iter::once(&a.id).chain(&a.aliases) {
                match owner.get(name.as_str()) {
                    Some(&j) => {
                        let (x, y) = (root(&mut parent, i), root(&mut parent, j));
                        parent[x.max(y)] = x.min(y);
                    }
                    None => {
                        owner.insert(name, i);
                    }
                }
            }
        }
        let mut groups: Vec<Vec<usize>> = Vec::new();
        let mut group_of_root: HashMap<usize, usize> = HashMap::new();
        for i in 0..n {
            let r = root(&mut parent, i);
            let g = *group_of_root.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(i);
        }
        groups
    }

    /// One problem from its advisories and the enrichment of its CVEs.
    fn merge(&self, members: &[usize]) -> Vulnerability {
        let advisories: Vec<&StoredAdvisory> =
            members.iter().map(|&i| &self.advisories[i]).collect();
        let names: BTreeSet<&str> = advisories
            .iter()
            .flat_map(|a| {
                std::iter::once(a.id.as_str()).chain(a.aliases.iter().map(String::as_str))
            })
            .collect();
        let cves: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.starts_with("CVE-"))
            .collect();
        let id = cves
            .first()
            .map(|c| c.to_string())
            .or_else(|| advisories.first().map(|a| a.id.clone()))
            .unwrap_or_default();
        let aliases = names
            .iter()
            .filter(|n| **n != id)
            .map(|n| n.to_string())
            .collect();

        let mut cvss: Vec<Cvss> = Vec::new();
        for a in &advisories {
            for (kind, vector) in &a.severity {
                if !kind.starts_with("CVSS_") || cvss.iter().any(|c| c.vector == *vector) {
                    continue;
                }
                let version = cvss_version(vector);
                cvss.push(Cvss {
                    score: cvss_score(&version, vector),
                    version,
                    vector: vector.clone(),
                    source: a.id.clone(),
                });
            }
        }
        let nvd: Vec<&NvdCve> = cves.iter().filter_map(|c| self.nvd.get(*c)).collect();
        for metric in nvd.iter().flat_map(|n| &n.cvss) {
            let major = metric.version.chars().next();
            // NVD fills in only the CVSS versions no advisory gives.
            if cvss.iter().any(|c| c.version.chars().next() == major) {
                continue;
            }
            cvss.push(Cvss {
                version: metric.version.clone(),
                vector: metric.vector.clone(),
                score: metric.score,
                source: format!("nvd:{}", metric.source),
            });
        }
        // Overall rating: CVSS v3 first (the most widely given), then v4, then v2.
        let scored = |major: char| {
            cvss.iter()
                .find(|c| c.version.starts_with(major) && c.score.is_some())
        };
        let severity = match scored('3').or_else(|| scored('4')).or_else(|| scored('2')) {
            Some(c) => SeverityLevel::from_cvss(&c.version, c.score.unwrap_or_default()),
            None => members
                .iter()
                .filter_map(|&i| self.ratings[i])
                .max()
                .unwrap_or(SeverityLevel::Unknown),
        };

        let epss = cves
            .iter()
            .filter_map(|c| self.epss.get(*c))
            .copied()
            .max_by(|a, b| a.score.total_cmp(&b.score));
        let kev = cves.iter().find_map(|c| self.kev.get(*c)).cloned();

        let mut references: Vec<String> = Vec::new();
        let urls = advisories
            .iter()
            .flat_map(|a| &a.references)
            .chain(nvd.iter().flat_map(|n| &n.references));
        for url in urls {
            if !references.contains(url) {
                references.push(url.clone());
            }
        }
        let summary = advisories
            .iter()
            .find_map(|a| a.summary.clone())
            .or_else(|| nvd.iter().find_map(|n| n.description.clone()))
            .or_else(|| advisories.iter().find_map(|a| a.details.clone()));
        let published = advisories
            .iter()
            .filter_map(|a| a.published.clone())
            .chain(nvd.iter().filter_map(|n| n.published.clone()))
            .min();
        let modified = advisories
            .iter()
            .filter_map(|a| a.modified.clone())
            .chain(nvd.iter().filter_map(|n| n.last_modified.clone()))
            .max();
        Vulnerability {
            id,
            aliases,
            summary,
            severity,
            cvss,
            epss,
            kev,
            references,
            published,
            modified,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_real_date;

    #[test]
    fn placeholder_dates_are_not_feed_dates() {
        assert!(is_real_date("2024-06-01T10:00:00Z"));
        assert!(!is_real_date("0001-01-01T00:00:00Z"));
        assert!(!is_real_date(""));
        assert!(!is_real_date("yesterday"));
    }
}
