//! What a user keeps out of a report and what fails a CI pipeline:
//! `--severity`, `--ignore-unfixed`, the ignore file (reasons required,
//! optional expiry) and `--fail-on`.

use std::path::Path;
use std::str::FromStr;

use globset::{Glob, GlobMatcher};
use serde::Deserialize;
use time::Date;

use crate::finding::{Finding, IgnoredFinding, Report, Severity};

/// Largest ignore file read.
const IGNORE_FILE_LIMIT: u64 = 4 << 20;

/// A problem with an ignore file.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file cannot be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file does not parse or an entry is invalid.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Filters applied before the ignore file.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Keep only these severities (empty: all).
    pub severities: Vec<Severity>,
    /// Drop vulnerabilities without a fixed version.
    pub ignore_unfixed: bool,
}

impl Filters {
    /// Applies the filters to `report`, counting what they hide.
    pub fn apply(&self, report: &mut Report) {
        let before = report.findings.len();
        if self.ignore_unfixed {
            report.findings.retain(Finding::has_fix);
        }
        let after_unfixed = report.findings.len();
        if !self.severities.is_empty() {
            report
                .findings
                .retain(|f| self.severities.contains(&f.severity()));
        }
        report.summary.filtered_unfixed += (before - after_unfixed) as u64;
        report.summary.filtered_severity += (after_unfixed - report.findings.len()) as u64;
        report.finish();
    }
}

/// The ignore file: YAML (`.yaml`/`.yml`) or TOML (`.toml`), a list of
/// entries under `ignore`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreFile {
    /// The entries.
    #[serde(default)]
    pub ignore: Vec<IgnoreEntry>,
}

/// One ignore entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    /// A vulnerability id or alias (`CVE-…`, `GHSA-…`), a secret rule id or a
    /// YARA rule (`namespace:rule` or `rule`).
    pub id: String,
    /// Only for this package: a package URL (`pkg:maven/g/a`, with
    /// `@version` to pin one version) or a package name.
    #[serde(default)]
    pub package: Option<String>,
    /// Only for files matching this glob (secrets, malware, and the
    /// location of vulnerable packages).
    #[serde(default)]
    pub path: Option<String>,
    /// Why it is ignored (required: an exception without a reason is a
    /// finding nobody can review).
    pub reason: String,
    /// Last day the entry applies (`YYYY-MM-DD`); afterwards it no longer
    /// ignores anything.
    #[serde(default)]
    pub expires: Option<String>,
}

/// A parsed, checked entry.
#[derive(Debug, Clone)]
struct Rule {
    entry: IgnoreEntry,
    expires: Option<Date>,
    path: Option<GlobMatcher>,
}

/// The ignore file, ready to apply.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    rules: Vec<Rule>,
}

impl IgnoreList {
    /// Reads and checks an ignore file.
    pub fn load(path: &Path) -> Result<IgnoreList, PolicyError> {
        let name = path.display().to_string();
        let io = |source| PolicyError::Io {
            path: name.clone(),
            source,
        };
        let len = std::fs::metadata(path).map_err(io)?.len();
        if len > IGNORE_FILE_LIMIT {
            return Err(PolicyError::Invalid {
                path: name,
                message: format!("larger than {IGNORE_FILE_LIMIT} bytes"),
            });
        }
        let text = std::fs::read_to_string(path).map_err(io)?;
        let toml = path.extension().is_some_and(|e| e == "toml");
        IgnoreList::parse(&text, toml).map_err(|message| PolicyError::Invalid {
            path: name,
            message,
        })
    }

    /// Parses ignore-file text (TOML when `toml`, else YAML).
    pub fn parse(text: &str, toml: bool) -> Result<IgnoreList, String> {
        let file: IgnoreFile = if toml {
            toml::from_str(text).map_err(|e| e.to_string())?
        } else if text.trim().is_empty() {
            IgnoreFile::default()
        } else {
            serde_yaml::from_str(text).map_err(|e| e.to_string())?
        };
        let format = time::macros::format_description!("[year]-[month]-[day]");
        let mut rules = Vec::new();
        for (i, entry) in file.ignore.into_iter().enumerate() {
            let n = i + 1;
            if entry.id.trim().is_empty() {
                return Err(format!("entry {n}: `id` is empty"));
            }
            if entry.reason.trim().is_empty() {
                return Err(format!("entry {n} ({}): `reason` is empty", entry.id));
            }
            let expires = match &entry.expires {
                Some(text) => Some(Date::parse(text.trim(), format).map_err(|_| {
                    format!(
                        "entry {n} ({}): `expires` {text:?} is not a YYYY-MM-DD date",
                        entry.id
                    )
                })?),
                None => None,
            };
            let path = match &entry.path {
                Some(glob) => Some(
                    Glob::new(glob)
                        .map_err(|e| format!("entry {n} ({}): `path`: {e}", entry.id))?
                        .compile_matcher(),
                ),
                None => None,
            };
            rules.push(Rule {
                entry,
                expires,
                path,
            });
        }
        Ok(IgnoreList { rules })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Moves the findings an active entry matches to `report.ignored`, and
    /// returns one warning per expired entry (`today` is the UTC date).
    pub fn apply(&self, report: &mut Report, today: Date) -> Vec<String> {
        let mut warnings = Vec::new();
        let active: Vec<&Rule> = self
            .rules
            .iter()
            .filter(|rule| match rule.expires {
                Some(day) if day < today => {
                    warnings.push(format!(
                        "ignore entry for {} expired on {day}: it no longer ignores anything (reason was: {})",
                        rule.entry.id, rule.entry.reason
                    ));
                    false
                }
                _ => true,
            })
            .collect();
        let findings = std::mem::take(&mut report.findings);
        for finding in findings {
            match active.iter().find(|rule| rule.matches(&finding)) {
                Some(rule) => report.ignored.push(IgnoredFinding {
                    reason: rule.entry.reason.clone(),
                    expires: rule.entry.expires.clone(),
                    finding,
                }),
                None => report.findings.push(finding),
            }
        }
        report.finish();
        warnings
    }
}

impl Rule {
    fn matches(&self, finding: &Finding) -> bool {
        let id = self.entry.id.trim();
        let id_matches = finding.id().eq_ignore_ascii_case(id)
            || finding.aliases().iter().any(|a| a.eq_ignore_ascii_case(id))
            || match finding {
                Finding::Vulnerability(v) => {
                    v.advisories.iter().any(|a| a.eq_ignore_ascii_case(id))
                }
                // A YARA rule may be named without its namespace.
                Finding::Malware(m) => m.rule == id,
                Finding::Secret(_) => false,
            };
        if !id_matches {
            return false;
        }
        if let Some(wanted) = &self.entry.package {
            let Finding::Vulnerability(v) = finding else {
                return false;
            };
            if !package_matches(
                wanted.trim(),
                &v.package.purl,
                &v.package.name,
                &v.package.version,
            ) {
                return false;
            }
        }
        if let Some(glob) = &self.path {
            let paths: Vec<&str> = match finding {
                Finding::Vulnerability(v) => {
                    v.package.locations.iter().map(String::as_str).collect()
                }
                other => other.path().into_iter().collect(),
            };
            if !paths
                .iter()
                .any(|p| glob.is_match(p) || glob.is_match(p.trim_start_matches('/')))
            {
                return false;
            }
        }
        true
    }
}

/// Whether `wanted` (a purl, with or without version, or a name) names
/// the package.
fn package_matches(wanted: &str, purl: &str, name: &str, version: &str) -> bool {
    if !wanted.starts_with("pkg:") {
        return wanted == name;
    }
    // Compare type/namespace/name, and the version when the entry has one;
    // qualifiers (arch, distro) do not matter.
    let strip = |p: &str| -> (String, Option<String>) {
        let p = p.split(['?', '#']).next().unwrap_or(p);
        match p.rsplit_once('@') {
            // An `@` in the last segment is the version (npm scopes are `%40`
            // or before a `/`).
            Some((base, v)) if !v.contains('/') => (base.to_ascii_lowercase(), Some(v.to_string())),
            _ => (p.to_ascii_lowercase(), None),
        }
    };
    let (wanted_base, wanted_version) = strip(wanted);
    let (base, _) = strip(purl);
    let decode = |s: &str| {
        s.replace("%40", "@")
            .replace("%2B", "+")
            .replace("%2b", "+")
    };
    decode(&wanted_base) == decode(&base)
        && wanted_version.is_none_or(|v| decode(&v) == decode(version))
}

/// A `--fail-on` condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Any finding at this severity or above.
    Severity(Severity),
    /// Any finding in CISA's KEV catalog.
    Kev,
}

impl FromStr for FailOn {
    type Err = String;

    fn from_str(text: &str) -> Result<FailOn, String> {
        if text.trim().eq_ignore_ascii_case("kev") {
            return Ok(FailOn::Kev);
        }
        text.parse::<Severity>()
            .map(FailOn::Severity)
            .map_err(|e| format!("{e}, or KEV"))
    }
}

impl FailOn {
    /// The findings of `report` that meet the condition.
    pub fn violations<'r>(&self, report: &'r Report) -> Vec<&'r Finding> {
        report
            .findings
            .iter()
            .filter(|f| match self {
                FailOn::Kev => f.kev(),
                FailOn::Severity(min) => f.severity() >= *min && f.severity() != Severity::Unknown,
            })
            .collect()
    }

    /// How the condition reads in messages.
    pub fn describe(&self) -> String {
        match self {
            FailOn::Kev => "in CISA's KEV catalog".to_string(),
            FailOn::Severity(s) => format!("of severity {s} or higher"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_match_without_qualifiers_and_with_pinned_versions() {
        let purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1";
        let name = "org.apache.logging.log4j:log4j-core";
        assert!(package_matches(
            "pkg:maven/org.apache.logging.log4j/log4j-core",
            purl,
            name,
            "2.14.1"
        ));
        assert!(package_matches(
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1",
            purl,
            name,
            "2.14.1"
        ));
        assert!(!package_matches(
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1",
            purl,
            name,
            "2.14.1"
        ));
        assert!(package_matches(name, purl, name, "2.14.1"));
        let deb = "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12";
        assert!(package_matches(
            "pkg:deb/debian/libc6@2.36-9+deb12u4",
            deb,
            "libc6",
            "2.36-9+deb12u4"
        ));
        assert!(package_matches(
            "pkg:npm/%40babel/core",
            "pkg:npm/%40babel/core@7.0.0",
            "@babel/core",
            "7.0.0"
        ));
    }

    #[test]
    fn entries_need_a_reason_and_a_real_date() {
        assert!(IgnoreList::parse("ignore:\n  - id: CVE-1\n", false).is_err());
        let err = IgnoreList::parse(
            "ignore:\n  - id: CVE-1\n    reason: ok\n    expires: soon\n",
            false,
        )
        .unwrap_err();
        assert!(err.contains("YYYY-MM-DD"), "{err}");
        let list = IgnoreList::parse(
            "[[ignore]]\nid = \"CVE-1\"\nreason = \"vendor says not reachable\"\nexpires = \"2030-01-31\"\n",
            true,
        )
        .map_err(|e| e.to_string());
        assert_eq!(list.map(|l| l.len()), Ok(1));
        assert!(
            IgnoreList::parse(
                "ignore:\n  - id: X\n    reason: r\n    colour: red\n",
                false
            )
            .is_err()
        );
    }

    #[test]
    fn fail_on_parses_severities_and_kev() {
        assert_eq!("kev".parse::<FailOn>(), Ok(FailOn::Kev));
        assert_eq!(
            "high".parse::<FailOn>(),
            Ok(FailOn::Severity(Severity::High))
        );
        assert!("purple".parse::<FailOn>().is_err());
    }
}
