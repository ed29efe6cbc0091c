//! Importers for the distributions' own security feeds: Alpine secdb and
//! the Debian security tracker. They give per-release fixed versions of
//! source packages (and, for Debian, "will not fix" and unfixed states),
//! which the [`crate::matcher`] uses alongside OSV records.

pub mod alpine;
pub mod debian;

/// Why a distro feed could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FeedError {
    /// The document is not valid JSON/YAML.
    #[error("invalid {feed} document: {reason}")]
    Syntax {
        /// The feed kind.
        feed: &'static str,
        /// The parser's message.
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
    /// The document is larger than allowed.
    #[error("{feed} document is larger than {limit} bytes")]
    TooLarge {
        /// The feed kind.
        feed: &'static str,
        /// The limit.
        limit: usize,
    },
}
