//! Enrichment feeds: data about CVEs that no package advisory carries on
//! its own. They never create matches; the DB builder attaches them to the
//! problems (merged advisories) named by the same CVE.
//!
//! * [`nvd`]: NVD CVE API 2.0 pages (CVSS v2/v3.x/v4 vectors and scores,
//!   description, references) for advisories that lack CVSS;
//! * [`epss`]: FIRST EPSS daily scores (CSV, plain or gzip);
//! * [`kev`]: the CISA Known Exploited Vulnerabilities catalog (JSON).

pub mod epss;
pub mod kev;
pub mod nvd;

/// Why an enrichment feed could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnrichError {
    /// The document is not valid JSON / CSV / gzip.
    #[error("invalid {feed} document: {reason}")]
    Syntax {
        /// The feed kind.
        feed: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The document parses but does not have the feed's shape.
    #[error("unexpected {feed} document: {reason}")]
    Shape {
        /// The feed kind.
        feed: &'static str,
        /// What was expected.
        reason: String,
    },
    /// The document (or its decompressed form) is larger than allowed.
    #[error("{feed} document is larger than {limit} bytes")]
    TooLarge {
        /// The feed kind.
        feed: &'static str,
        /// The limit.
        limit: u64,
    },
}
