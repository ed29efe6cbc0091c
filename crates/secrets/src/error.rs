//! Errors raised while loading and compiling rules.
//!
//! Scanning itself never fails as a whole: per-file problems are data, collected in
//! [`crate::ScanReport`] (see `walk.rs`).

use thiserror::Error;

/// A rule file or rule that cannot be used, with the rule id when one is known.
#[derive(Debug, Error)]
#[error("{}{kind}", rule_id.as_deref().map(|id| format!("rule `{id}`: ")).unwrap_or_default())]
pub struct RuleError {
    /// Id of the offending rule, when the problem belongs to one rule.
    pub rule_id: Option<String>,
    /// What is wrong.
    pub kind: RuleErrorKind,
}

/// What is wrong with a rule or rule file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RuleErrorKind {
    /// The TOML text does not parse or does not fit the rule file format.
    #[error("invalid rule file: {0}")]
    Parse(String),
    /// A required field is empty or a value is out of range.
    #[error("invalid field `{field}`: {message}")]
    Field {
        /// Field name as written in the rule file.
        field: &'static str,
        /// Why the value is refused.
        message: String,
    },
    /// The regex does not compile (syntax error or over the size limit).
    #[error("invalid regex: {0}")]
    Regex(String),
    /// The regex source is longer than the accepted maximum.
    #[error("regex is {len} bytes long, more than the {max} bytes accepted")]
    RegexTooLong {
        /// Length of the pattern.
        len: usize,
        /// Accepted maximum.
        max: usize,
    },
    /// The regex matches the empty string, which would report noise on every line.
    #[error("regex matches the empty string")]
    RegexMatchesEmpty,
    /// The same id appears twice in one file.
    #[error("duplicate rule id")]
    DuplicateId,
    /// An unknown validator name.
    #[error("unknown validator `{0}`")]
    UnknownValidator(String),
    /// A path glob does not compile.
    #[error("invalid path glob `{glob}`: {message}")]
    Glob {
        /// The glob as written.
        glob: String,
        /// Why it is refused.
        message: String,
    },
    /// A disabled id names no rule.
    #[error("cannot disable unknown rule id")]
    UnknownDisabledId,
    /// The rule file cannot be read.
    #[error("cannot read rule file {path}: {message}")]
    Io {
        /// Path of the rule file.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

impl RuleError {
    /// An error about one rule.
    pub(crate) fn rule(id: &str, kind: RuleErrorKind) -> Self {
        Self {
            rule_id: Some(id.to_owned()),
            kind,
        }
    }

    /// An error about the file as a whole.
    pub(crate) fn file(kind: RuleErrorKind) -> Self {
        Self {
            rule_id: None,
            kind,
        }
    }
}
