//! The scanner: compiled rules, the keyword prefilter and the per-buffer matching loop.
//!
//! Matching one buffer:
//! 1. the keyword prefilter (`prefilter.rs`: a trigram bitset, then Aho–Corasick) finds every
//!    case-insensitive keyword hit;
//! 2. each hit selects the rules owning that keyword; a line rule gets a window around the
//!    hit (its line, clipped to a few KiB for minified files), a `multiline` rule the whole
//!    buffer; rules without keywords always get the whole buffer;
//! 3. each rule's regex runs on its merged windows only;
//! 4. each match goes through entropy, stop-words, allowlists and the validator, and becomes a
//!    redacted [`Finding`] (the raw bytes are dropped here, never stored).

mod compile;
mod prefilter;

use std::collections::HashSet;
use std::path::Path;

use globset::GlobSet;

use crate::allowlist::{Allowlist, compile_globs};
use crate::error::RuleError;
use crate::finding::{Confidence, Finding, hash_secret, mask_secret};
use crate::rules::Ruleset;
use compile::{CompiledRule, build_prefilter};
use prefilter::KeywordPrefilter;

/// Compiled size limit of one rule regex (bytes of the regex program).
pub(crate) const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Cache size limit of one rule regex's lazy DFA.
pub(crate) const REGEX_DFA_LIMIT: usize = 2 << 20;
/// Longest accepted regex source.
pub(crate) const REGEX_MAX_LEN: usize = 4096;
/// Bytes kept before a keyword hit when its line is longer (minified files).
const WINDOW_BEFORE: usize = 1024;
/// Bytes kept after a keyword hit when its line is longer.
const WINDOW_AFTER: usize = 2048;

/// Folders treated as tests, fixtures or vendored code when
/// [`ScanOptions::skip_test_paths`] is on.
const TEST_PATH_GLOBS: &[&str] = &[
    "**/test/**",
    "**/tests/**",
    "**/testdata/**",
    "**/test-data/**",
    "**/__tests__/**",
    "**/spec/**",
    "**/fixtures/**",
    "**/__fixtures__/**",
    "**/vendor/**",
    "**/node_modules/**",
    "**/third_party/**",
    "**/third-party/**",
];

/// Limits for scanning inside archives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Archives larger than this (compressed, on disk) are skipped.
    pub max_archive_size: u64,
    /// At most this many entries are read per archive; the rest are reported as skipped.
    pub max_entries: usize,
    /// At most this many decompressed bytes are read per archive (bounds zip bombs).
    pub max_total_bytes: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        Self {
            max_archive_size: 256 << 20,
            max_entries: 10_000,
            max_total_bytes: 512 << 20,
        }
    }
}

/// What to scan and how.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanOptions {
    /// Worker threads for directory scans; 0 means one per available core.
    pub threads: usize,
    /// Files larger than this are skipped and reported as such.
    pub max_file_size: u64,
    /// Skip files whose first 8 KiB contain a NUL byte.
    pub skip_binary: bool,
    /// Skip test, fixture and vendored folders (`tests/`, `fixtures/`, `vendor/`,
    /// `node_modules/`, …).
    pub skip_test_paths: bool,
    /// Follow symbolic links (targets outside the scan root are still refused; loops are
    /// reported per file).
    pub follow_symlinks: bool,
    /// Honour `.gitignore`/`.ignore` files. Off by default: ignored files such as `.env` are
    /// exactly where secrets hide.
    pub respect_gitignore: bool,
    /// Extra path globs to exclude, relative to the scan root.
    pub exclude_paths: Vec<String>,
    /// Scan inside zip/jar/war, tar and tar.gz archives, within these limits (`None`: don't).
    pub archives: Option<ArchiveLimits>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            threads: 0,
            max_file_size: 10 << 20,
            skip_binary: true,
            skip_test_paths: false,
            follow_symlinks: false,
            respect_gitignore: false,
            exclude_paths: Vec::new(),
            archives: None,
        }
    }
}

/// A compiled ruleset plus options; cheap to share between threads (`&Scanner` is `Sync`).
#[derive(Debug)]
pub struct Scanner {
    rules: Vec<CompiledRule>,
    prefilter: Option<KeywordPrefilter>,
    /// For each prefilter pattern, the rules owning that keyword.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords.
    always_rules: Vec<usize>,
    /// Path globs of rules with a `paths` filter, and the rule owning each glob.
    path_globs: GlobSet,
    path_glob_rule: Vec<usize>,
    allowlist: Allowlist,
    excluded: GlobSet,
    options: ScanOptions,
}

/// A match that passed every check, before line numbers are computed.
struct Hit {
    offset: usize,
    rule: usize,
    confidence: Confidence,
    masked: String,
    hash: String,
    len: usize,
    entropy: f64,
}

impl Scanner {
    /// Compiles `ruleset` (regexes with size limits, globs, the keyword prefilter).
    pub fn new(ruleset: Ruleset, options: ScanOptions) -> Result<Self, RuleError> {
        let rules = ruleset
            .rules()
            .iter()
            .map(CompiledRule::compile)
            .collect::<Result<Vec<_>, _>>()?;
        let (prefilter, keyword_rules) = build_prefilter(&rules)?;
        let always_rules = (0..rules.len())
            .filter(|&i| rules[i].keywords_empty)
            .collect();
        let mut glob_list = Vec::new();
        let mut path_glob_rule = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            for glob in &rule.paths {
                glob_list.push(glob.clone());
                path_glob_rule.push(i);
            }
        }
        let mut excluded = options.exclude_paths.clone();
        if options.skip_test_paths {
            excluded.extend(TEST_PATH_GLOBS.iter().map(|g| (*g).to_owned()));
        }
        Ok(Self {
            prefilter,
            keyword_rules,
            always_rules,
            path_globs: compile_globs(&glob_list)?,
            path_glob_rule,
            allowlist: Allowlist::compile(ruleset.allowlist())?,
            excluded: compile_globs(&excluded)?,
            rules,
            options,
        })
    }

    /// The options this scanner was built with.
    pub fn options(&self) -> &ScanOptions {
        &self.options
    }

    /// Number of compiled rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// True when files at `path` (relative to the scan root) are excluded by the allowlist,
    /// `exclude_paths` or `skip_test_paths`.
    pub fn path_excluded(&self, path: &Path) -> bool {
        self.allowlist.path_allowed(path) || self.excluded.is_match(path)
    }

    /// Scans one buffer as if it were the file `path` (used for path filters and allowlists;
    /// nothing is read from disk). Size and binary limits are not applied here.
    /// Findings are sorted by line and deduplicated per (line, secret hash).
    pub fn scan_bytes(&self, path: &Path, data: &[u8]) -> Vec<Finding> {
        let mut out = Vec::new();
        if !self.path_excluded(path) {
            self.scan_into(path, path, data, &mut out);
        }
        out
    }

    /// Scans `data`: `match_path` drives path filters, `report_path` is written in findings.
    pub(crate) fn scan_into(
        &self,
        match_path: &Path,
        report_path: &Path,
        data: &[u8],
        out: &mut Vec<Finding>,
    ) {
        let path_ok = self.rules_for_path(match_path);
        let mut whole = vec![false; self.rules.len()];
        let mut windows: Vec<(usize, usize, usize)> = Vec::new();
        // End of the last window given to each rule: later hits inside it add nothing.
        let mut covered = vec![0usize; self.rules.len()];
        if let Some(prefilter) = &self.prefilter {
            // The window of the current hit, computed once for all the rules it selects.
            let mut line: Option<(usize, usize)> = None;
            prefilter.for_each_hit(data, |pattern, start, end| {
                for &r in &self.keyword_rules[pattern] {
                    if !path_ok[r] || whole[r] || covered[r] > end {
                        continue;
                    }
                    if self.rules[r].multiline {
                        whole[r] = true;
                        continue;
                    }
                    let (s, e) = match line {
                        Some((s, e)) if s <= start && end < e => (s, e),
                        _ => {
                            let w = line_window(data, start, end);
                            line = Some(w);
                            w
                        }
                    };
                    covered[r] = e;
                    windows.push((r, s, e));
                }
            });
        }
        for &r in &self.always_rules {
            if path_ok[r] {
                whole[r] = true;
            }
        }

        let mut hits = Vec::new();
        for (r, _) in whole.iter().enumerate().filter(|(_, w)| **w) {
            self.run_rule(r, data, 0, data.len(), &mut hits);
        }
        windows.sort_unstable();
        let mut current: Option<(usize, usize, usize)> = None;
        for (r, s, e) in windows {
            if whole[r] {
                continue;
            }
            match current {
                Some((cr, cs, ce)) if cr == r && s <= ce => current = Some((cr, cs, ce.max(e))),
                Some((cr, cs, ce)) => {
                    self.run_rule(cr, data, cs, ce, &mut hits);
                    current = Some((r, s, e));
                }
                None => current = Some((r, s, e)),
            }
        }
        if let Some((cr, cs, ce)) = current {
            self.run_rule(cr, data, cs, ce, &mut hits);
        }
        self.finish(report_path, data, hits, out);
    }

    /// Which rules may run on this path (rules without a `paths` filter always may).
    fn rules_for_path(&self, path: &Path) -> Vec<bool> {
        let mut ok: Vec<bool> = self.rules.iter().map(|r| r.paths.is_empty()).collect();
        if !self.path_glob_rule.is_empty() {
            for g in self.path_globs.matches(path) {
                ok[self.path_glob_rule[g]] = true;
            }
        }
        ok
    }

    /// Runs rule `r` on `data[start..end]` and records the matches that pass every check.
    fn run_rule(&self, r: usize, data: &[u8], start: usize, end: usize, hits: &mut Vec<Hit>) {
        let rule = &self.rules[r];
        let window = &data[start..end];
        // A window cut inside a long line may cut a match: drop matches touching a cut edge.
        let cut_start = start > 0 && data[start - 1] != b'\n';
        let cut_end = end < data.len() && data[end] != b'\n';
        for caps in rule.regex.captures_iter(window) {
            let Some(whole) = caps.get(0) else { continue };
            if (cut_start && whole.start() == 0) || (cut_end && whole.end() == window.len()) {
                continue;
            }
            if rule
                .exclude
                .as_ref()
                .is_some_and(|x| x.is_match(whole.as_bytes()))
            {
                continue;
            }
            let Some(secret) = rule.secret(&caps) else {
                continue;
            };
            let value = secret.as_bytes();
            if value.is_empty() {
                continue;
            }
            let Some(confidence) = self.check(rule, value) else {
                continue;
            };
            hits.push(Hit {
                offset: start + secret.start(),
                rule: r,
                confidence,
                masked: mask_secret(value),
                hash: hash_secret(value),
                len: value.len(),
                entropy: crate::entropy::shannon_entropy(value),
            });
        }
    }

    /// Applies entropy, stop-words, allowlists and the validator; returns the confidence of
    /// a match to keep.
    fn check(&self, rule: &CompiledRule, value: &[u8]) -> Option<Confidence> {
        if let Some(min) = rule.entropy
            && crate::entropy::shannon_entropy(value) < min
        {
            return None;
        }
        if rule.stopwords.as_ref().is_some_and(|s| s.is_match(value))
            || rule.allow.as_ref().is_some_and(|a| a.is_match(value))
            || self.allowlist.value_allowed(value)
        {
            return None;
        }
        match rule.validator {
            Some(v) if !v.check(value) => None,
            Some(_) => Some(Confidence::High),
            None => Some(rule.confidence),
        }
    }

    /// Computes lines and columns, deduplicates, and turns hits into findings.
    fn finish(&self, path: &Path, data: &[u8], mut hits: Vec<Hit>, out: &mut Vec<Finding>) {
        if hits.is_empty() {
            return;
        }
        // Most confident and most severe first within one offset, so dedup keeps the best.
        hits.sort_by(|a, b| {
            a.offset.cmp(&b.offset).then_with(|| {
                let ka = (a.confidence, self.rules[a.rule].severity);
                let kb = (b.confidence, self.rules[b.rule].severity);
                kb.cmp(&ka).then(a.rule.cmp(&b.rule))
            })
        });
        let mut line = 1u32;
        let mut line_start = 0usize;
        let mut pos = 0usize;
        // Characters from `line_start` to `pos`, kept incrementally so that many hits on one
        // huge line (minified files) cost linear, not quadratic, time.
        let mut chars_before = 0usize;
        let mut seen: HashSet<(u32, String)> = HashSet::new();
        let first = out.len();
        for hit in hits {
            for nl in memchr::memchr_iter(b'\n', &data[pos..hit.offset]) {
                line += 1;
                line_start = pos + nl + 1;
            }
            if line_start > pos {
                pos = line_start;
                chars_before = 0;
            }
            chars_before += count_chars(&data[pos..hit.offset]);
            pos = hit.offset;
            // One finding per (line, value): a token matched by a specific and a generic rule
            // is reported once, by the best rule.
            if !seen.insert((line, hit.hash.clone())) {
                continue;
            }
            let column = chars_before;
            let rule = &self.rules[hit.rule];
            out.push(Finding {
                rule_id: rule.id.clone(),
                rule_name: rule.name.clone(),
                severity: rule.severity,
                confidence: hit.confidence,
                file: path.to_path_buf(),
                line,
                column: u32::try_from(column + 1).unwrap_or(u32::MAX),
                masked: hit.masked,
                secret_sha256: hit.hash,
                secret_len: hit.len,
                entropy: (hit.entropy * 100.0).round() / 100.0,
                layer: None,
            });
        }
        // Better findings on the same line come first after the per-offset sort; keep the
        // output ordered by position for readers.
        out[first..].sort_by_key(|f| (f.line, f.column));
    }
}

/// UTF-8 characters in `bytes` (bytes that are not continuation bytes).
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// The line around `data[start..end]`, clipped to a few KiB on each side.
fn line_window(data: &[u8], start: usize, end: usize) -> (usize, usize) {
    let lo = start.saturating_sub(WINDOW_BEFORE);
    let s = memchr::memrchr(b'\n', &data[lo..start]).map_or(lo, |i| lo + i + 1);
    let hi = (end + WINDOW_AFTER).min(data.len());
    let e = memchr::memchr(b'\n', &data[end..hi]).map_or(hi, |i| end + i);
    (s, e)
}
