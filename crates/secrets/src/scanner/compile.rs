//! Turning [`RuleSpec`]s into compiled rules and the keyword prefilter.
//!
//! Every user-supplied regex goes through the same bounded compilation: a source length cap,
//! `regex`'s program size limit and lazy-DFA cache limit. The `regex` crate guarantees linear
//! time matching, so a compiled rule cannot backtrack catastrophically; the size limits bound
//! memory and refuse patterns such as `(a{1000}){1000}` with a clear error.

use std::collections::HashMap;

use aho_corasick::AhoCorasick;
use regex::bytes::{Captures, Match, Regex, RegexBuilder, RegexSet, RegexSetBuilder};

use super::prefilter::KeywordPrefilter;
use super::{REGEX_DFA_LIMIT, REGEX_MAX_LEN, REGEX_SIZE_LIMIT};
use crate::allowlist::word_matcher;
use crate::error::{RuleError, RuleErrorKind};
use crate::finding::{Confidence, Severity};
use crate::rules::RuleSpec;
use crate::validate::Validator;

/// Which capture group holds the secret.
#[derive(Debug)]
enum Group {
    Index(usize),
    Name(String),
}

/// A rule ready to run.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) severity: Severity,
    pub(crate) confidence: Confidence,
    pub(crate) keywords: Vec<String>,
    pub(crate) keywords_empty: bool,
    pub(crate) regex: Regex,
    group: Group,
    pub(crate) entropy: Option<f64>,
    pub(crate) paths: Vec<String>,
    pub(crate) validator: Option<Validator>,
    pub(crate) stopwords: Option<AhoCorasick>,
    pub(crate) allow: Option<RegexSet>,
    pub(crate) exclude: Option<RegexSet>,
    pub(crate) multiline: bool,
}

/// Compiles one regex with the crate's limits.
pub(crate) fn compile_regex(id: &str, source: &str) -> Result<Regex, RuleError> {
    if source.len() > REGEX_MAX_LEN {
        return Err(RuleError::rule(
            id,
            RuleErrorKind::RegexTooLong {
                len: source.len(),
                max: REGEX_MAX_LEN,
            },
        ));
    }
    let regex = RegexBuilder::new(source)
        .unicode(false)
        .multi_line(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_DFA_LIMIT)
        .nest_limit(64)
        .build()
        .map_err(|e| RuleError::rule(id, RuleErrorKind::Regex(e.to_string())))?;
    if regex.is_match(b"") {
        return Err(RuleError::rule(id, RuleErrorKind::RegexMatchesEmpty));
    }
    Ok(regex)
}

impl CompiledRule {
    pub(crate) fn compile(spec: &RuleSpec) -> Result<Self, RuleError> {
        let regex = compile_regex(&spec.id, &spec.regex)?;
        let group = match spec.secret_group.as_deref() {
            Some(g) => match g.parse::<usize>() {
                Ok(i) if i < regex.captures_len() => Group::Index(i),
                Ok(_) => return Err(field(spec, "secret_group", "no such capture group")),
                Err(_) if regex.capture_names().any(|n| n == Some(g)) => Group::Name(g.into()),
                Err(_) => return Err(field(spec, "secret_group", "no such capture group")),
            },
            None if regex.capture_names().any(|n| n == Some("secret")) => {
                Group::Name("secret".into())
            }
            None if regex.captures_len() > 1 => Group::Index(1),
            None => Group::Index(0),
        };
        let allow = if spec.allow.is_empty() {
            None
        } else {
            Some(
                RegexSetBuilder::new(&spec.allow)
                    .unicode(false)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| field(spec, "allow", &e.to_string()))?,
            )
        };
        let exclude = if spec.exclude.is_empty() {
            None
        } else {
            Some(
                RegexSetBuilder::new(&spec.exclude)
                    .unicode(false)
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| field(spec, "exclude", &e.to_string()))?,
            )
        };
        // Validate the globs now so a bad one names its rule.
        crate::allowlist::compile_globs(&spec.paths)
            .map_err(|e| RuleError::rule(&spec.id, e.kind))?;
        Ok(Self {
            id: spec.id.clone(),
            name: spec.name.clone(),
            severity: spec.severity,
            confidence: spec.confidence,
            keywords: spec.keywords.clone(),
            keywords_empty: spec.keywords.is_empty(),
            regex,
            group,
            entropy: spec.entropy,
            paths: spec.paths.clone(),
            validator: spec.validator,
            stopwords: word_matcher(&spec.stopwords)
                .map_err(|e| RuleError::rule(&spec.id, e.kind))?,
            allow,
            exclude,
            multiline: spec.multiline,
        })
    }

    /// The secret part of a match.
    pub(crate) fn secret<'h>(&self, caps: &Captures<'h>) -> Option<Match<'h>> {
        match &self.group {
            Group::Index(i) => caps.get(*i),
            Group::Name(n) => caps.name(n),
        }
    }
}

fn field(spec: &RuleSpec, field: &'static str, message: &str) -> RuleError {
    RuleError::rule(
        &spec.id,
        RuleErrorKind::Field {
            field,
            message: message.to_owned(),
        },
    )
}

/// Builds the keyword prefilter over all keywords and, for each of its patterns, the rules
/// owning that keyword.
pub(crate) fn build_prefilter(
    rules: &[CompiledRule],
) -> Result<(Option<KeywordPrefilter>, Vec<Vec<usize>>), RuleError> {
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut patterns: Vec<String> = Vec::new();
    let mut owners: Vec<Vec<usize>> = Vec::new();
    for (r, rule) in rules.iter().enumerate() {
        for kw in &rule.keywords {
            let key = kw.to_ascii_lowercase();
            let p = *index.entry(key.clone()).or_insert_with(|| {
                patterns.push(key);
                owners.push(Vec::new());
                patterns.len() - 1
            });
            if !owners[p].contains(&r) {
                owners[p].push(r);
            }
        }
    }
    if patterns.is_empty() {
        return Ok((None, owners));
    }
    // The prefilter reports only the longest keyword starting at a position, so a keyword
    // that starts another one (`token` in `token:`) must bring its rules along.
    let prefixes: Vec<Vec<usize>> = patterns
        .iter()
        .map(|outer| {
            patterns
                .iter()
                .enumerate()
                .filter(|(_, inner)| inner.len() < outer.len() && outer.starts_with(inner.as_str()))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    for (p, inners) in prefixes.iter().enumerate() {
        for &i in inners {
            for r in owners[i].clone() {
                if !owners[p].contains(&r) {
                    owners[p].push(r);
                }
            }
        }
    }
    let filter = KeywordPrefilter::new(&patterns)
        .map_err(|e| RuleError::file(RuleErrorKind::Parse(format!("keywords: {e}"))))?;
    Ok((Some(filter), owners))
}
