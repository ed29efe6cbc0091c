//! Allowlists: values, patterns, words and paths that are never reported.
//!
//! The built-in allowlist (documentation example keys, placeholders such as `${VAR}` or
//! `<your-key>`) lives in `rules/builtin.toml`; user rule files add to it.

use std::collections::HashSet;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::bytes::{RegexSet, RegexSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{RuleError, RuleErrorKind};

/// Allowlist entries as written in a rule file's `[allowlist]` table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowlistSpec {
    /// Path globs (e.g. `**/docs/**`) whose files are not scanned.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Exact secret values that are known to be harmless (documentation examples).
    #[serde(default)]
    pub values: Vec<String>,
    /// Regexes over the secret value that mark placeholders.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Case-insensitive words that, inside any secret value, mark a placeholder.
    #[serde(default)]
    pub stopwords: Vec<String>,
}

impl AllowlistSpec {
    /// Adds the entries of `other`.
    pub fn extend(&mut self, other: AllowlistSpec) {
        self.paths.extend(other.paths);
        self.values.extend(other.values);
        self.patterns.extend(other.patterns);
        self.stopwords.extend(other.stopwords);
    }
}

/// The compiled form of an [`AllowlistSpec`].
#[derive(Debug)]
pub(crate) struct Allowlist {
    paths: GlobSet,
    values: HashSet<Vec<u8>>,
    patterns: RegexSet,
    stopwords: Option<AhoCorasick>,
}

impl Allowlist {
    pub(crate) fn compile(spec: &AllowlistSpec) -> Result<Self, RuleError> {
        let paths = compile_globs(&spec.paths)?;
        let patterns = RegexSetBuilder::new(&spec.patterns)
            .unicode(false)
            .size_limit(crate::scanner::REGEX_SIZE_LIMIT * 4)
            .build()
            .map_err(|e| RuleError::file(RuleErrorKind::Regex(format!("allowlist: {e}"))))?;
        Ok(Self {
            paths,
            values: spec.values.iter().map(|v| v.as_bytes().to_vec()).collect(),
            patterns,
            stopwords: word_matcher(&spec.stopwords)?,
        })
    }

    /// True when files at `path` are not scanned.
    pub(crate) fn path_allowed(&self, path: &Path) -> bool {
        self.paths.is_match(path)
    }

    /// True when `secret` is a known harmless value or a placeholder.
    pub(crate) fn value_allowed(&self, secret: &[u8]) -> bool {
        self.values.contains(secret)
            || self.patterns.is_match(secret)
            || self.stopwords.as_ref().is_some_and(|s| s.is_match(secret))
    }
}

/// A case-insensitive matcher for any of `words`, or `None` when there are none.
pub(crate) fn word_matcher(words: &[String]) -> Result<Option<AhoCorasick>, RuleError> {
    if words.is_empty() {
        return Ok(None);
    }
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(words)
        .map(Some)
        .map_err(|e| RuleError::file(RuleErrorKind::Parse(format!("stopwords: {e}"))))
}

/// Compiles path globs; `*` does not cross `/`, and a glob without `/` matches the file name
/// anywhere in the tree.
pub(crate) fn compile_globs(globs: &[String]) -> Result<GlobSet, RuleError> {
    let mut builder = GlobSetBuilder::new();
    for glob in globs {
        let pattern = if glob.contains('/') {
            glob.clone()
        } else {
            format!("**/{glob}")
        };
        let compiled = GlobBuilder::new(&pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| {
                RuleError::file(RuleErrorKind::Glob {
                    glob: glob.clone(),
                    message: e.to_string(),
                })
            })?;
        builder.add(compiled);
    }
    builder.build().map_err(|e| {
        RuleError::file(RuleErrorKind::Glob {
            glob: globs.join(", "),
            message: e.to_string(),
        })
    })
}
