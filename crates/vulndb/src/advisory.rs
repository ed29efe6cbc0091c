//! The feed-independent view of an advisory that matches report.

use crate::osv::{Record, Severity};

/// Which feed an advisory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Feed {
    /// An OSV record (any OSV database).
    Osv,
    /// Alpine secdb.
    AlpineSecdb,
    /// The Debian security tracker.
    DebianTracker,
}

/// An advisory: identity and what a report shows about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Advisory {
    /// Identifier in its feed (`GHSA-…`, `CVE-…`, `ALSA-…`).
    pub id: String,
    /// Other identifiers of the same problem (CVE ↔ GHSA ↔ distro ids).
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub details: Option<String>,
    /// Severity scores (CVSS vectors v2/v3/v4 and ecosystem ratings).
    pub severity: Vec<Severity>,
    /// Reference URLs.
    pub references: Vec<String>,
    /// Publication time (RFC 3339), when known.
    pub published: Option<String>,
    /// Last modification time (RFC 3339), when known.
    pub modified: Option<String>,
    /// The feed it came from.
    pub feed: Feed,
}

impl Advisory {
    /// The advisory of an OSV record (severities of the record and of its
    /// affected packages).
    pub fn from_osv(record: &Record) -> Advisory {
        Advisory {
            id: record.id.clone(),
            aliases: record.aliases.clone(),
            summary: record.summary.clone(),
            details: record.details.clone(),
            severity: record.severities().cloned().collect(),
            references: record.references.iter().map(|r| r.url.clone()).collect(),
            published: record.published.clone(),
            modified: record.modified.clone(),
            feed: Feed::Osv,
        }
    }

    /// A bare advisory of a distro feed, named by a CVE (or similar) id.
    pub fn from_id(
        id: &str,
        aliases: Vec<String>,
        details: Option<String>,
        feed: Feed,
    ) -> Advisory {
        Advisory {
            id: id.to_string(),
            aliases,
            summary: None,
            details,
            severity: Vec::new(),
            references: Vec::new(),
            published: None,
            modified: None,
            feed,
        }
    }

    /// The id and aliases: every name of this problem.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}
