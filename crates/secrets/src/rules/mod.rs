//! Rule definitions: the serde shape of a rule file, the built-in rule set and merging of user
//! rule files (add, override by id, disable).
//!
//! Rules are data. Compiling them (regexes, globs, the keyword prefilter) happens once in
//! [`crate::Scanner::new`].

use std::collections::HashSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::allowlist::AllowlistSpec;
use crate::error::{RuleError, RuleErrorKind};
use crate::finding::{Confidence, Severity};
use crate::validate::Validator;

/// The built-in rules, embedded at build time.
const BUILTIN_TOML: &str = include_str!("builtin.toml");

/// One detection rule as written in a rule file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable identifier, lowercase letters, digits and `-` (e.g. `aws-access-key-id`).
    pub id: String,
    /// Short human name.
    pub name: String,
    /// Severity reported with each finding.
    pub severity: Severity,
    /// Confidence reported with each finding (raised to `high` when a validator passes).
    #[serde(default = "default_confidence")]
    pub confidence: Confidence,
    /// What the secret is and why it matters.
    #[serde(default)]
    pub description: String,
    /// Case-insensitive literals, one of which must occur near a match. Rules without keywords
    /// run on every file their `paths` allow, so keep them few.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The regex (Rust `regex` syntax, bytes, Unicode off unless `(?u)`, `^`/`$` match at lines).
    pub regex: String,
    /// Capture group holding the secret: a name or a number. Default: the group named `secret`,
    /// else group 1, else the whole match.
    #[serde(default)]
    pub secret_group: Option<String>,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// Path globs: when set, the rule only runs on files whose path matches one of them.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Structural check that must pass (see [`Validator`]).
    #[serde(default)]
    pub validator: Option<Validator>,
    /// Case-insensitive words that, inside the secret, mark it as a placeholder.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Regexes over the secret that mark known-harmless values for this rule.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Regexes over the whole match (not just the secret) that mark it harmless, e.g. a
    /// `NextToken` pagination key matched by a generic `token` rule.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Run the regex over the whole file (for matches spanning lines) instead of around the
    /// line of each keyword hit.
    #[serde(default)]
    pub multiline: bool,
    /// Examples the test suite checks.
    #[serde(default)]
    pub examples: Examples,
}

fn default_confidence() -> Confidence {
    Confidence::Medium
}

/// Texts a rule must find (`positive`) and must not find (`negative`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// Each must produce at least one finding of this rule.
    #[serde(default)]
    pub positive: Vec<String>,
    /// Each must produce no finding of this rule.
    #[serde(default)]
    pub negative: Vec<String>,
    /// File name the examples are scanned as (for rules with `paths`).
    #[serde(default)]
    pub path: Option<String>,
}

/// A rule file: rules to add or override, ids to disable, allowlist entries to add.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Format version; only `1` exists.
    #[serde(default)]
    pub version: Option<u32>,
    /// Rules; a rule whose id exists already replaces it.
    #[serde(default)]
    pub rules: Vec<RuleSpec>,
    /// Ids of rules to turn off.
    #[serde(default)]
    pub disabled: Vec<String>,
    /// Allowlist entries, added to the existing ones.
    #[serde(default)]
    pub allowlist: AllowlistSpec,
}

impl RuleFile {
    /// Parses a rule file and checks ids (syntax, uniqueness) and the version.
    pub fn from_toml(text: &str) -> Result<Self, RuleError> {
        let file: RuleFile = toml::from_str(text)
            .map_err(|e| RuleError::file(RuleErrorKind::Parse(e.to_string())))?;
        if let Some(v) = file.version
            && v != 1
        {
            return Err(RuleError::file(RuleErrorKind::Field {
                field: "version",
                message: format!("unsupported version {v}, expected 1"),
            }));
        }
        let mut seen = HashSet::new();
        for rule in &file.rules {
            check_rule_fields(rule)?;
            if !seen.insert(rule.id.as_str()) {
                return Err(RuleError::rule(&rule.id, RuleErrorKind::DuplicateId));
            }
        }
        Ok(file)
    }

    /// Reads and parses a rule file from disk.
    pub fn from_path(path: &Path) -> Result<Self, RuleError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            RuleError::file(RuleErrorKind::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        })?;
        Self::from_toml(&text)
    }
}

fn check_rule_fields(rule: &RuleSpec) -> Result<(), RuleError> {
    let id_ok = !rule.id.is_empty()
        && rule.id.len() <= 64
        && rule
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !id_ok {
        return Err(RuleError::rule(
            &rule.id,
            RuleErrorKind::Field {
                field: "id",
                message: "use 1 to 64 lowercase letters, digits or `-`".into(),
            },
        ));
    }
    if rule.name.trim().is_empty() {
        return Err(RuleError::rule(
            &rule.id,
            RuleErrorKind::Field {
                field: "name",
                message: "must not be empty".into(),
            },
        ));
    }
    if let Some(kw) = rule.keywords.iter().find(|k| k.len() < 3) {
        return Err(RuleError::rule(
            &rule.id,
            RuleErrorKind::Field {
                field: "keywords",
                message: format!("keyword `{kw}` is shorter than 3 bytes, too common to prefilter"),
            },
        ));
    }
    if let Some(e) = rule.entropy
        && !(0.0..=8.0).contains(&e)
    {
        return Err(RuleError::rule(
            &rule.id,
            RuleErrorKind::Field {
                field: "entropy",
                message: "must be between 0 and 8".into(),
            },
        ));
    }
    Ok(())
}

/// An ordered set of rules and the global allowlist, ready to be compiled by a
/// [`crate::Scanner`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ruleset {
    rules: Vec<RuleSpec>,
    allowlist: AllowlistSpec,
}

impl Ruleset {
    /// The built-in rule set shipped with Vedette.
    pub fn builtin() -> Result<Self, RuleError> {
        Self::from_toml(BUILTIN_TOML)
    }

    /// A rule set made of one rule file only (no built-in rules).
    pub fn from_toml(text: &str) -> Result<Self, RuleError> {
        let mut set = Ruleset::default();
        set.merge(RuleFile::from_toml(text)?)?;
        Ok(set)
    }

    /// Applies a user rule file: rules with a known id replace the existing rule in place, new
    /// ids are appended, `disabled` ids are removed (an unknown id is an error, to catch typos),
    /// allowlist entries are added.
    pub fn merge(&mut self, file: RuleFile) -> Result<(), RuleError> {
        for rule in file.rules {
            match self.rules.iter_mut().find(|r| r.id == rule.id) {
                Some(existing) => *existing = rule,
                None => self.rules.push(rule),
            }
        }
        for id in &file.disabled {
            let before = self.rules.len();
            self.rules.retain(|r| &r.id != id);
            if self.rules.len() == before {
                return Err(RuleError::rule(id, RuleErrorKind::UnknownDisabledId));
            }
        }
        self.allowlist.extend(file.allowlist);
        Ok(())
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &[RuleSpec] {
        &self.rules
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&RuleSpec> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The global allowlist.
    pub fn allowlist(&self) -> &AllowlistSpec {
        &self.allowlist
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when there is no rule.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}
