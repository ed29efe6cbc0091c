//! Errors and diagnostics of the SBOM library.
//!
//! A scan never stops on one bad file: per-file problems become
//! [`Diagnostic`]s in the SBOM, and only a source that cannot be read at all
//! is an [`Error`] for the caller.

use serde::{Deserialize, Serialize};

/// What went wrong while reading a source or cataloging one file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading a file or directory failed.
    #[error("{path}: {source}")]
    Io {
        /// Path inside the source.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file (or decompressed stream) is larger than the limit for its kind.
    #[error("{path}: larger than the {limit} byte limit")]
    TooLarge {
        /// Path inside the source.
        path: String,
        /// The limit that was exceeded, in bytes.
        limit: u64,
    },
    /// A file is not what its name says or is corrupt.
    #[error("{path}: malformed: {reason}")]
    Malformed {
        /// Path inside the source.
        path: String,
        /// Why it was rejected.
        reason: String,
    },
    /// The path names something that is not a regular file (device, FIFO,
    /// socket, directory).
    #[error("{path}: not a regular file")]
    NotRegular {
        /// Path inside the source.
        path: String,
    },
    /// An archive entry or SBOM document cannot be accepted as a whole.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// A [`Error::Malformed`] for `path`.
    pub fn malformed(path: &str, reason: impl std::fmt::Display) -> Error {
        Error::Malformed {
            path: path.to_string(),
            reason: reason.to_string(),
        }
    }

    /// An [`Error::Io`] for `path`.
    pub fn io(path: &str, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }
}

/// A problem with one file that did not stop the scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Path inside the source.
    pub path: String,
    /// Cataloger that reported it, empty for source-level problems.
    pub cataloger: String,
    /// A message a person can act on.
    pub message: String,
}
