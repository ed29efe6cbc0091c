//! An in-memory index that finds the advisories affecting a package.
//!
//! Advisories come from OSV records ([`Matcher::add_osv`]), Alpine secdb
//! ([`Matcher::add_alpine`]) and the Debian tracker ([`Matcher::add_debian`]).
//! A [`Query`] names a package by type, name, version and, for OS packages,
//! source package and distro release.
//!
//! Matching rules:
//! * ecosystem first: an advisory applies only to its package type, and
//!   names compare exactly except where the ecosystem says otherwise (PyPI
//!   names are normalised per PEP 503; NuGet and Composer names are
//!   case-insensitive); there is no fuzzy or CPE matching;
//! * distro-aware: advisories of a distro ecosystem apply only to that
//!   distro (`os-release` `ID`) and release (`12` matches `VERSION_ID=12`,
//!   `3.19` matches `3.19.1`, `8` matches `8.9`, `8.6` only `8.6`);
//! * source packages: OS packages are looked up by binary name and by source
//!   package name (Debian and Alpine feeds name source packages), comparing
//!   the source version when matched through the source;
//! * states: fixed (with the fixed version, backports included since the
//!   release's own fixed version is used), unfixed, will-not-fix and
//!   undetermined; "not affected" entries never match;
//! * withdrawn OSV records are skipped.

use std::collections::HashMap;
use std::sync::Arc;

use vedette_model::package::{Distro, Package, PackageType, VersionScheme};

use crate::advisory::{Advisory, Feed};
use crate::distro::alpine::Secdb;
use crate::distro::debian::{DebianEntry, DebianStatus};
use crate::osv::{CompiledAffected, EvalError, ParsedVersion, Record};
use crate::version::Version;

/// What a matching advisory says about the queried version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchState {
    /// Affected; fixed in this version.
    Fixed(String),
    /// Affected; no fix available yet.
    Unfixed,
    /// Affected; the distro decided not to fix it.
    WillNotFix,
    /// The distro has not triaged it yet.
    Undetermined,
}

/// One advisory affecting the queried package.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'m> {
    /// The advisory.
    pub advisory: &'m Advisory,
    /// Fixed/unfixed state.
    pub state: MatchState,
    /// The name that matched (the binary or the source package name).
    pub matched_name: String,
}

/// A package to look up.
#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    /// Its type.
    pub package_type: PackageType,
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Its source package name (OS packages).
    pub source_name: Option<&'a str>,
    /// Its source package version, when different from `version`.
    pub source_version: Option<&'a str>,
    /// The distro it is installed on (OS packages).
    pub distro: Option<&'a Distro>,
}

impl<'a> Query<'a> {
    /// The query for a cataloged package.
    pub fn for_package(package: &'a Package, distro: Option<&'a Distro>) -> Query<'a> {
        Query {
            package_type: package.package_type,
            name: &package.name,
            version: &package.version,
            source_name: package.source_name.as_deref(),
            source_version: package.source_version.as_deref(),
            distro,
        }
    }
}

/// How an index entry decides whether a version is affected.
#[derive(Debug, Clone)]
enum Rule {
    /// OSV ranges and versions (shared by the entry's binary names).
    Osv(Arc<CompiledAffected>),
    /// Affected below this version.
    FixedIn(Version, String),
    /// Affected at every version, in this state.
    Open(MatchState),
}

#[derive(Debug, Clone)]
struct Entry {
    advisory: usize,
    /// Distro `ID`, for distro advisories.
    distro: Option<String>,
    /// Release (`VERSION_ID` form), for distro advisories.
    release: Option<String>,
    /// Release codename (Debian), matched against `VERSION_CODENAME`.
    codename: Option<String>,
    rule: Rule,
}

/// Entries that could not be indexed, with the reason.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// The advisory id.
    pub id: String,
    /// Why.
    pub reason: String,
}

/// The advisory index.
#[derive(Debug, Default)]
pub struct Matcher {
    advisories: Vec<Advisory>,
    /// Distro-feed advisories by (feed, id), to share them across entries.
    by_feed_id: HashMap<(Feed, String), usize>,
    index: HashMap<(PackageType, String), Vec<Entry>>,
    skipped: Vec<Skipped>,
}

/// The name as the index stores it for this package type.
fn normalize_name(package_type: PackageType, name: &str) -> String {
    match package_type {
        // PEP 503: lowercase, runs of `-`, `_`, `.` become one `-`.
        PackageType::Pypi => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.trim().chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        PackageType::Nuget | PackageType::Composer => name.trim().to_ascii_lowercase(),
        _ => name.trim().to_string(),
    }
}

/// The binary package names an OSV entry lists in
/// `ecosystem_specific.binaries[].binary_name` (Ubuntu).
fn binary_names(c: &CompiledAffected) -> Vec<String> {
    c.ecosystem_specific
        .as_ref()
        .and_then(|e| e.get("binaries"))
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("binary_name").and_then(serde_json::Value::as_str))
        .map(str::to_string)
        .collect()
}

/// Whether an advisory release matches the installed `VERSION_ID`.
fn release_matches(advisory: &str, installed: &str) -> bool {
    installed == advisory
        || installed
            .strip_prefix(advisory)
            .is_some_and(|rest| rest.starts_with('.'))
}

impl Matcher {
    /// An empty matcher.
    pub fn new() -> Matcher {
        Matcher::default()
    }

    /// Number of advisories indexed.
    pub fn len(&self) -> usize {
        self.advisories.len()
    }

    /// Whether no advisory is indexed.
    pub fn is_empty(&self) -> bool {
        self.advisories.is_empty()
    }

    /// Affected entries that could not be indexed (unknown ecosystem,
    /// unparsable versions), so that callers can report them.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    fn push_advisory(&mut self, advisory: Advisory) -> usize {
        self.advisories.push(advisory);
        self.advisories.len() - 1
    }

    /// One advisory per feed and id for the distro feeds, whose documents
    /// repeat a CVE for every package and release.
    fn intern_advisory(&mut self, feed: Feed, id: &str, make: impl FnOnce() -> Advisory) -> usize {
        let key = (feed, id.to_string());
        if let Some(&i) = self.by_feed_id.get(&key) {
            return i;
        }
        let i = self.push_advisory(make());
        self.by_feed_id.insert(key, i);
        i
    }

    fn insert(&mut self, package_type: PackageType, name: &str, entry: Entry) {
        self.index
            .entry((package_type, normalize_name(package_type, name)))
            .or_default()
            .push(entry);
    }

    /// Indexes an OSV record. Withdrawn records and affected entries of
    /// ecosystems Vedette does not catalog are left out.
    pub fn add_osv(&mut self, record: &Record) {
        if record.is_withdrawn() {
            return;
        }
        let mut compiled = Vec::new();
        for affected in &record.affected {
            let Some(package) = &affected.package else {
                continue;
            };
            match CompiledAffected::compile(affected) {
                Ok(c) => {
                    // Ecosystems Vedette does not catalog (Bitnami…) are left out.
                    if let Some(t) = c.ecosystem.package_type {
                        compiled.push((t, package.name.clone(), c));
                    }
                }
                Err(EvalError::UnsupportedEcosystem(_)) => {}
                Err(e) => self.skipped.push(Skipped {
                    id: record.id.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        if compiled.is_empty() {
            return;
        }
        let advisory = self.push_advisory(Advisory::from_osv(record));
        for (package_type, name, c) in compiled {
            let distro = c.ecosystem.distro.map(str::to_string);
            let release = c
                .ecosystem
                .release
                .clone()
                .filter(|_| c.ecosystem.is_distro());
            // Ubuntu records name the source package and list its binaries:
            // index those too, so a package known only by its binary name
            // (an SBOM from another tool) still matches.
            let mut names = binary_names(&c);
            names.retain(|b| *b != name);
            names.push(name);
            let rule = Arc::new(c);
            for name in names {
                let entry = Entry {
                    advisory,
                    distro: distro.clone(),
                    release: release.clone(),
                    codename: None,
                    rule: Rule::Osv(Arc::clone(&rule)),
                };
                self.insert(package_type, &name, entry);
            }
        }
    }

    /// Indexes an Alpine secdb document.
    pub fn add_alpine(&mut self, secdb: &Secdb) {
        for package in &secdb.packages {
            for (fixed, ids) in &package.fixes {
                if fixed == "0" {
                    continue; // never affected
                }
                let version = match Version::parse(VersionScheme::Apk, fixed) {
                    Ok(v) => v,
                    Err(e) => {
                        self.skipped.push(Skipped {
                            id: ids.first().cloned().unwrap_or_default(),
                            reason: e.to_string(),
                        });
                        continue;
                    }
                };
                let Some((id, aliases)) = ids.split_first() else {
                    continue;
                };
                let advisory = self.intern_advisory(Feed::AlpineSecdb, id, || {
                    Advisory::from_id(id, aliases.to_vec(), None, Feed::AlpineSecdb)
                });
                let entry = Entry {
                    advisory,
                    distro: Some("alpine".into()),
                    release: Some(secdb.release.clone()),
                    codename: None,
                    rule: Rule::FixedIn(version, fixed.clone()),
                };
                self.insert(PackageType::Apk, &package.name, entry);
            }
        }
    }

    /// Indexes Debian tracker entries. "Not affected" entries are dropped.
    pub fn add_debian(&mut self, entries: &[DebianEntry]) {
        for e in entries {
            let rule = match &e.status {
                DebianStatus::NotAffected => continue,
                DebianStatus::Fixed(v) => match Version::parse(VersionScheme::Dpkg, v) {
                    Ok(parsed) => Rule::FixedIn(parsed, v.clone()),
                    Err(err) => {
                        self.skipped.push(Skipped {
                            id: e.id.clone(),
                            reason: err.to_string(),
                        });
                        continue;
                    }
                },
                DebianStatus::WillNotFix => Rule::Open(MatchState::WillNotFix),
                DebianStatus::Unfixed => Rule::Open(MatchState::Unfixed),
                DebianStatus::Undetermined => Rule::Open(MatchState::Undetermined),
            };
            let advisory = self.intern_advisory(Feed::DebianTracker, &e.id, || {
                Advisory::from_id(
                    &e.id,
                    Vec::new(),
                    e.description.clone(),
                    Feed::DebianTracker,
                )
            });
            let entry = Entry {
                advisory,
                distro: Some("debian".into()),
                release: e.release.map(str::to_string),
                codename: Some(e.codename.clone()),
                rule,
            };
            self.insert(PackageType::Deb, &e.source, entry);
        }
    }

    /// The advisories affecting the queried package, in index order,
    /// one per advisory.
    pub fn matches(&self, query: &Query<'_>) -> Vec<Match<'_>> {
        let mut out: Vec<Match<'_>> = Vec::new();
        let mut lookups = vec![(query.name, query.version)];
        if let Some(source) = query.source_name.filter(|s| *s != query.name) {
            lookups.push((source, query.source_version.unwrap_or(query.version)));
        }
        for (name, version) in lookups {
            let key = (query.package_type, normalize_name(query.package_type, name));
            // Parsed once per scheme, then compared with every entry.
            let mut parsed = ParsedVersion::new(version);
            for entry in self.index.get(&key).into_iter().flatten() {
                if !self.in_scope(entry, query.distro) {
                    continue;
                }
                let Some(state) = Self::state(&entry.rule, &mut parsed) else {
                    continue;
                };
                if out
                    .iter()
                    .any(|m| std::ptr::eq(m.advisory, &self.advisories[entry.advisory]))
                {
                    continue;
                }
                out.push(Match {
                    advisory: &self.advisories[entry.advisory],
                    state,
                    matched_name: name.to_string(),
                });
            }
        }
        out
    }

    /// Whether a distro-scoped entry applies to the queried distro.
    fn in_scope(&self, entry: &Entry, distro: Option<&Distro>) -> bool {
        let Some(want) = &entry.distro else {
            return true; // language ecosystems are not distro-scoped
        };
        let Some(distro) = distro else {
            return false;
        };
        if distro.id != *want {
            return false;
        }
        let by_release = entry
            .release
            .as_deref()
            .is_some_and(|r| release_matches(r, &distro.version_id));
        let by_codename = entry.codename.as_deref().is_some_and(|c| {
            distro.version_codename.as_deref() == Some(c) && distro.version_id.is_empty()
        });
        let unscoped = entry.release.is_none() && entry.codename.is_none();
        unscoped || by_release || by_codename
    }

    /// The state of `version` under `rule`, or `None` when not affected.
    fn state(rule: &Rule, version: &mut ParsedVersion<'_>) -> Option<MatchState> {
        match rule {
            Rule::Osv(c) => match c.is_affected_parsed(version) {
                Ok(true) => Some(
                    c.fixed_version_parsed(version)
                        .map_or(MatchState::Unfixed, MatchState::Fixed),
                ),
                _ => None,
            },
            Rule::FixedIn(fixed, text) => {
                let v = version.get(fixed.scheme()).ok()?;
                (v.cmp_same(fixed) == Some(std::cmp::Ordering::Less))
                    .then(|| MatchState::Fixed(text.clone()))
            }
            Rule::Open(state) => Some(state.clone()),
        }
    }
}

/// Groups matches that are the same problem: two matches belong together
/// when their advisories share a name (id or alias), directly or through
/// other matches (CVE ↔ GHSA ↔ distro ids). Groups keep the order of their
/// first match; so do the matches inside a group.
pub fn group_by_alias<'m>(matches: Vec<Match<'m>>) -> Vec<Vec<Match<'m>>> {
    // Union-find over match indices, joined through shared names.
    let mut parent: Vec<usize> = (0..matches.len()).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (i, m) in matches.iter().enumerate() {
        for name in m.advisory.names() {
            match owner.get(name) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    // The earlier match stays the group's root.
                    parent[a.max(b)] = a.min(b);
                }
                None => {
                    owner.insert(name, i);
                }
            }
        }
    }
    let mut groups: Vec<Vec<Match<'m>>> = Vec::new();
    let mut group_of_root: HashMap<usize, usize> = HashMap::new();
    let roots: Vec<usize> = (0..matches.len()).map(|i| root(&mut parent, i)).collect();
    for (m, r) in matches.into_iter().zip(roots) {
        let g = *group_of_root.entry(r).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(m);
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503_names() {
        assert_eq!(
            normalize_name(PackageType::Pypi, "Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(
            normalize_name(PackageType::Pypi, "zope.interface"),
            "zope-interface"
        );
        assert_eq!(normalize_name(PackageType::Npm, "@Scope/Pkg"), "@Scope/Pkg");
    }

    #[test]
    fn aliases_group_one_problem() {
        // PYSEC-2022-230 (lxml) is GHSA-wrxv-2j5q-m38w and CVE-2022-2309;
        // a distro advisory named by the CVE joins the group.
        let pysec = Advisory::from_id(
            "PYSEC-2022-230",
            vec!["CVE-2022-2309".into(), "GHSA-wrxv-2j5q-m38w".into()],
            None,
            Feed::Osv,
        );
        let ghsa = Advisory::from_id(
            "GHSA-wrxv-2j5q-m38w",
            vec!["CVE-2022-2309".into()],
            None,
            Feed::Osv,
        );
        let debian = Advisory::from_id("CVE-2022-2309", vec![], None, Feed::DebianTracker);
        let other = Advisory::from_id("CVE-2021-28957", vec![], None, Feed::DebianTracker);
        let m = |a| Match {
            advisory: a,
            state: MatchState::Unfixed,
            matched_name: "lxml".into(),
        };
        let groups = group_by_alias(vec![m(&other), m(&debian), m(&pysec), m(&ghsa)]);
        let ids: Vec<Vec<&str>> = groups
            .iter()
            .map(|g| g.iter().map(|m| m.advisory.id.as_str()).collect())
            .collect();
        assert_eq!(
            ids,
            [
                vec!["CVE-2021-28957"],
                vec!["CVE-2022-2309", "PYSEC-2022-230", "GHSA-wrxv-2j5q-m38w"]
            ]
        );
    }

    #[test]
    fn releases() {
        assert!(release_matches("3.19", "3.19.1"));
        assert!(release_matches("8", "8.9"));
        assert!(release_matches("12", "12"));
        assert!(!release_matches("8.6", "8.10"));
        assert!(!release_matches("3.1", "3.19.1"));
        assert!(!release_matches("12", "1"));
    }
}
