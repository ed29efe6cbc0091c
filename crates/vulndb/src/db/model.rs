//! What the DB file holds: the header (signed, readable JSON) and the
//! payload (everything the matcher needs, postcard-encoded then zstd).
//!
//! The payload keeps advisories in a normalised form of their feeds (OSV
//! ranges, Alpine fixed versions, Debian per-release states) so the
//! matcher is rebuilt exactly as from the feeds themselves, plus the
//! merged problems ([`Vulnerability`]) that carry enrichment.

use serde::{Deserialize, Serialize};

/// The payload schema this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// The signed header of a DB file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// Payload schema version ([`SCHEMA_VERSION`] when written by this build).
    pub schema_version: u32,
    /// When the DB was built (RFC 3339, UTC).
    pub built_at: String,
    /// The feeds it was built from.
    pub feeds: Vec<FeedInfo>,
    /// Numbers of things in the payload.
    pub counts: Counts,
    /// How the payload is stored and its checksum.
    pub payload: PayloadInfo,
    /// Id of the key that signed it (first 8 bytes of the SHA-256 of the
    /// public key, hex), to tell which key is expected.
    pub key_id: String,
}

impl Header {
    /// How long ago the DB was built, as of `now`; `None` when `built_at`
    /// does not parse or lies in the future.
    pub fn age(&self, now: std::time::SystemTime) -> Option<std::time::Duration> {
        let built = time::OffsetDateTime::parse(
            &self.built_at,
            &time::format_description::well_known::Rfc3339,
        )
        .ok()?;
        std::time::Duration::try_from(time::OffsetDateTime::from(now) - built).ok()
    }
}

/// One input feed (a file or directory of one kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedInfo {
    /// `osv`, `alpine-secdb`, `debian-tracker`, `nvd`, `epss` or `kev`.
    pub kind: String,
    /// Where it was read, relative to the feeds directory.
    pub source: String,
    /// The feed's own date: newest record modification, catalog release,
    /// score date; the file's modification time when the feed has none.
    pub date: Option<String>,
    /// Records read (OSV records, secdb packages, tracker entries, CVEs).
    pub records: u64,
}

/// Numbers of things in the payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Merged problems.
    pub vulnerabilities: u64,
    /// Feed advisories.
    pub advisories: u64,
    /// Affected-package entries.
    pub affected: u64,
}

/// How the payload is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PayloadInfo {
    /// `postcard+zstd`.
    pub encoding: String,
    /// Bytes on disk (after the header and signature).
    pub compressed_len: u64,
    /// Bytes once decompressed.
    pub uncompressed_len: u64,
    /// SHA-256 of the stored (compressed) payload, hex.
    pub sha256: String,
}

/// Everything the matcher and reports need.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// Merged problems: one per CVE ↔ GHSA ↔ distro id group.
    pub vulnerabilities: Vec<Vulnerability>,
    /// Feed advisories, in matcher index order.
    pub advisories: Vec<StoredAdvisory>,
}

/// One problem: every advisory sharing an id or alias, merged, with the
/// enrichment of its CVE(s).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// Its main id: the CVE when there is one, else the first advisory's id.
    pub id: String,
    /// Every other id (GHSA, PYSEC, distro ids…), sorted.
    pub aliases: Vec<String>,
    /// A one-line summary (first advisory that has one; NVD's description
    /// otherwise).
    pub summary: Option<String>,
    /// Overall severity (from the best CVSS score, else the feeds' ratings).
    pub severity: SeverityLevel,
    /// CVSS vectors and base scores; NVD's only for versions no advisory gives.
    pub cvss: Vec<Cvss>,
    /// FIRST EPSS score, when the CVE is scored.
    pub epss: Option<Epss>,
    /// CISA KEV entry, when the CVE is known exploited.
    pub kev: Option<Kev>,
    /// Reference URLs of every advisory (and NVD), deduplicated.
    pub references: Vec<String>,
    /// Earliest publication time known.
    pub published: Option<String>,
    /// Latest modification time known.
    pub modified: Option<String>,
}

/// A severity rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum SeverityLevel {
    /// No rating known.
    Unknown,
    /// Negligible / unimportant (distro ratings), CVSS 0.
    Negligible,
    /// Low.
    Low,
    /// Medium (moderate).
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl SeverityLevel {
    /// The rating of a CVSS base score (v3/v4 bands; v2 has no critical).
    pub fn from_cvss(version: &str, score: f32) -> SeverityLevel {
        let level = match score {
            s if s <= 0.0 => SeverityLevel::Negligible,
            s if s < 4.0 => SeverityLevel::Low,
            s if s < 7.0 => SeverityLevel::Medium,
            s if s < 9.0 => SeverityLevel::High,
            _ => SeverityLevel::Critical,
        };
        if version.starts_with('2') {
            level.min(SeverityLevel::High)
        } else {
            level
        }
    }

    /// The rating of a feed's word (`HIGH`, `moderate`, `unimportant`…).
    pub fn from_word(word: &str) -> Option<SeverityLevel> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(SeverityLevel::Critical),
            "high" | "important" => Some(SeverityLevel::High),
            "medium" | "moderate" => Some(SeverityLevel::Medium),
            "low" => Some(SeverityLevel::Low),
            "negligible" | "unimportant" | "none" => Some(SeverityLevel::Negligible),
            _ => None,
        }
    }

    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            SeverityLevel::Unknown => "unknown",
            SeverityLevel::Negligible => "negligible",
            SeverityLevel::Low => "low",
            SeverityLevel::Medium => "medium",
            SeverityLevel::High => "high",
            SeverityLevel::Critical => "critical",
        }
    }
}

/// A CVSS vector and its base score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    /// The vector.
    pub vector: String,
    /// The base score (given by NVD, computed for advisory vectors).
    pub score: Option<f32>,
    /// Who gave it: an advisory id, or `nvd:<scoring source>`.
    pub source: String,
}

/// A FIRST EPSS score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// Probability of exploitation activity in the next 30 days.
    pub score: f32,
    /// Percentile among all scored CVEs.
    pub percentile: f32,
}

/// A CISA KEV entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kev {
    /// When CISA added it (`YYYY-MM-DD`).
    pub date_added: String,
    /// Remediation due date for US federal agencies.
    pub due_date: Option<String>,
    /// Known use in ransomware campaigns.
    pub ransomware: bool,
}

/// The feed an advisory came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum StoredFeed {
    /// OSV.
    Osv,
    /// Alpine secdb.
    AlpineSecdb,
    /// Debian security tracker.
    DebianTracker,
}

/// One feed advisory and what it affects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAdvisory {
    /// Its id in its feed.
    pub id: String,
    /// Its feed.
    pub feed: StoredFeed,
    /// Its aliases.
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Longer description.
    pub details: Option<String>,
    /// Severities as the feed gives them: `(type, score)`.
    pub severity: Vec<(String, String)>,
    /// Reference URLs.
    pub references: Vec<String>,
    /// Publication time.
    pub published: Option<String>,
    /// Modification time.
    pub modified: Option<String>,
    /// Index of its [`Vulnerability`].
    pub vulnerability: u32,
    /// What it affects.
    pub affected: Vec<StoredAffected>,
}

/// One affected package of an advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StoredAffected {
    /// An OSV affected entry (GIT ranges and unusable entries left out).
    Osv {
        /// OSV ecosystem (`PyPI`, `Debian:12`…).
        ecosystem: String,
        /// Package name.
        name: String,
        /// Version ranges.
        ranges: Vec<StoredRange>,
        /// Enumerated versions.
        versions: Vec<String>,
        /// Binary package names (Ubuntu `ecosystem_specific.binaries`).
        binaries: Vec<String>,
    },
    /// An Alpine secdb fix.
    Alpine {
        /// Release (`3.19`).
        release: String,
        /// Origin package.
        package: String,
        /// First fixed version.
        fixed: String,
    },
    /// A Debian tracker state for one source package and release.
    Debian {
        /// Source package.
        source: String,
        /// Release codename.
        codename: String,
        /// The state ("not affected" entries are left out).
        state: DistroState,
        /// The tracker's urgency.
        urgency: Option<String>,
    },
}

/// A distro's state for a package in a release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DistroState {
    /// Fixed in this version.
    Fixed(String),
    /// Open, no fix.
    Unfixed,
    /// Open, will not be fixed.
    WillNotFix,
    /// Not triaged.
    Undetermined,
}

/// An OSV range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredRange {
    /// `true` for SEMVER, `false` for ECOSYSTEM.
    pub semver: bool,
    /// Events in the record's order.
    pub events: Vec<StoredEvent>,
}

/// An OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StoredEvent {
    /// `introduced`.
    Introduced(String),
    /// `fixed`.
    Fixed(String),
    /// `last_affected`.
    LastAffected(String),
    /// `limit`.
    Limit(String),
}
