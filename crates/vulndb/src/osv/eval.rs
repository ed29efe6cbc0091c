//! The OSV affected-range evaluation, exactly as the schema's
//! "Evaluation" section specifies it:
//!
//! ```text
//! affected(v) = v in versions || any(range: BeforeLimits(v) && vulnerable(v, range))
//! vulnerable  = false; for evt in sorted(events):
//!     introduced    && v >= evt → true
//!     fixed         && v >= evt → false
//!     last_affected && v >  evt → false
//! BeforeLimits = no limit events, or v < some limit (`*` is infinity)
//! ```
//!
//! Events are sorted by the range's version order (`introduced: "0"` sorts
//! before everything; ties keep the record's order). `ECOSYSTEM` ranges use
//! the ecosystem's native order; `SEMVER` ranges use SemVer precedence (the
//! lenient Go parser, which accepts a `v` prefix and `1.2` shorthands);
//! `GIT` ranges are ignored for version matching.
//!
//! Ranges are compiled once (event versions parsed and sorted), so that
//! evaluating many package versions against a record is cheap.

use std::cmp::Ordering;

use vedette_model::package::VersionScheme;

use super::ecosystem::Ecosystem;
use super::record::{Affected, Event, Range, RangeType};
use crate::version::{Version, VersionError};

/// Why an affected entry cannot be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The ecosystem's version order is not known to Vedette.
    #[error("no version ordering for ecosystem {0:?}")]
    UnsupportedEcosystem(String),
    /// An event or the queried version does not parse.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// An event sets no field, or more than one.
    #[error("range event must set exactly one of introduced, fixed, last_affected, limit")]
    BadEvent,
}

/// The kind of a compiled event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `introduced`.
    Introduced,
    /// `fixed`.
    Fixed,
    /// `last_affected`.
    LastAffected,
}

/// An event bound: a parsed version, or the special `introduced: "0"`.
#[derive(Debug, Clone)]
pub enum Bound {
    /// Before every version (`introduced: "0"`).
    Zero,
    /// A real version.
    At(Version),
}

impl Bound {
    fn cmp_version(&self, v: &Version) -> Ordering {
        match self {
            Bound::Zero => Ordering::Less,
            Bound::At(b) => b.cmp_same(v).unwrap_or(Ordering::Equal),
        }
    }

    fn cmp_bound(&self, other: &Bound) -> Ordering {
        match (self, other) {
            (Bound::Zero, Bound::Zero) => Ordering::Equal,
            (Bound::Zero, _) => Ordering::Less,
            (_, Bound::Zero) => Ordering::Greater,
            (Bound::At(a), Bound::At(b)) => a.cmp_same(b).unwrap_or(Ordering::Equal),
        }
    }
}

/// A range with its event versions parsed and sorted.
#[derive(Debug, Clone)]
pub struct CompiledRange {
    /// The scheme of the event versions.
    pub scheme: VersionScheme,
    /// Events in evaluation order.
    pub events: Vec<(EventKind, Bound, String)>,
    /// `limit` versions; `None` stands for `*`. Empty: no limit.
    pub limits: Vec<Option<Version>>,
}

/// The scheme a range's versions are ordered with, or `None` for ranges
/// that take no part in version matching (`GIT`, unknown types).
pub fn range_scheme(
    ecosystem: &Ecosystem,
    kind: &RangeType,
) -> Option<Result<VersionScheme, EvalError>> {
    match kind {
        RangeType::Git | RangeType::Unknown => None,
        RangeType::Semver => Some(Ok(VersionScheme::Go)),
        RangeType::Ecosystem => Some(
            ecosystem
                .scheme
                .ok_or_else(|| EvalError::UnsupportedEcosystem(ecosystem.base.clone())),
        ),
    }
}

fn event_parts(evt: &Event) -> Result<(Option<EventKind>, &str), EvalError> {
    let fields = [
        (Some(EventKind::Introduced), &evt.introduced),
        (Some(EventKind::Fixed), &evt.fixed),
        (Some(EventKind::LastAffected), &evt.last_affected),
        (None, &evt.limit),
    ];
    let mut set = fields
        .iter()
        .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)));
    match (set.next(), set.next()) {
        (Some(one), None) => Ok(one),
        _ => Err(EvalError::BadEvent),
    }
}

impl CompiledRange {
    /// Parses and sorts the events of `range` with `scheme`.
    pub fn compile(range: &Range, scheme: VersionScheme) -> Result<CompiledRange, EvalError> {
        let mut events = Vec::with_capacity(range.events.len());
        let mut limits = Vec::new();
        for evt in &range.events {
            let (kind, text) = event_parts(evt)?;
            match kind {
                None if text.contains('*') => limits.push(None),
                None => limits.push(Some(Version::parse(scheme, text)?)),
                Some(EventKind::Introduced) if text == "0" => {
                    events.push((EventKind::Introduced, Bound::Zero, text.to_string()));
                }
                Some(kind) => {
                    let v = Version::parse(scheme, text)?;
                    events.push((kind, Bound::At(v), text.to_string()));
                }
            }
        }
        // Stable sort: ties keep the record's order.
        events.sort_by(|a, b| a.1.cmp_bound(&b.1));
        Ok(CompiledRange {
            scheme,
            events,
            limits,
        })
    }

    /// Whether `v` is inside this range.
    pub fn contains(&self, v: &Version) -> bool {
        let before_limits = self.limits.is_empty()
            || self.limits.iter().any(|limit| match limit {
                None => true,
                Some(l) => v.cmp_same(l) == Some(Ordering::Less),
            });
        if !before_limits {
            return false;
        }
        let mut vulnerable = false;
        for (kind, bound, _) in &self.events {
            let ord = bound.cmp_version(v); // bound vs v
            match kind {
                EventKind::Introduced if ord != Ordering::Greater => vulnerable = true,
                EventKind::Fixed if ord != Ordering::Greater => vulnerable = false,
                EventKind::LastAffected if ord == Ordering::Less => vulnerable = false,
                _ => {}
            }
        }
        vulnerable
    }

    /// The `fixed` versions of this range above `v`, lowest first.
    pub fn fixed_above<'a>(&'a self, v: &'a Version) -> impl Iterator<Item = &'a str> + 'a {
        self.events.iter().filter_map(move |(kind, bound, text)| {
            (*kind == EventKind::Fixed && bound.cmp_version(v) == Ordering::Greater)
                .then_some(text.as_str())
        })
    }
}

/// An [`Affected`] entry ready for evaluation.
#[derive(Debug, Clone)]
pub struct CompiledAffected {
    /// The interpreted ecosystem.
    pub ecosystem: Ecosystem,
    /// Version-matching ranges (GIT ranges left out).
    pub ranges: Vec<CompiledRange>,
    /// The explicitly listed versions, as written.
    pub versions: Vec<String>,
    /// The listed versions that parse with the ecosystem's scheme.
    pub parsed_versions: Vec<Version>,
    /// The entry's `ecosystem_specific` data (Ubuntu binary names…).
    pub ecosystem_specific: Option<serde_json::Value>,
}

impl CompiledAffected {
    /// Compiles `affected`. Fails when a version range cannot be evaluated
    /// (unknown ordering, unparsable event), since then no verdict is sound.
    pub fn compile(affected: &Affected) -> Result<CompiledAffected, EvalError> {
        let ecosystem = Ecosystem::parse(
            affected
                .package
                .as_ref()
                .map_or("", |p| p.ecosystem.as_str()),
        );
        let mut ranges = Vec::new();
        for range in &affected.ranges {
            if let Some(scheme) = range_scheme(&ecosystem, &range.kind) {
                ranges.push(CompiledRange::compile(range, scheme?)?);
            }
        }
        let parsed_versions = match ecosystem.scheme {
            Some(scheme) => affected
                .versions
                .iter()
                .filter_map(|v| Version::parse(scheme, v).ok())
                .collect(),
            None => Vec::new(),
        };
        Ok(CompiledAffected {
            ecosystem,
            ranges,
            versions: affected.versions.clone(),
            parsed_versions,
            ecosystem_specific: affected.ecosystem_specific.clone(),
        })
    }

    /// Whether `version` is affected: listed in `versions` (as written or
    /// an equal version) or inside a range.
    pub fn is_affected(&self, version: &str) -> Result<bool, EvalError> {
        self.is_affected_parsed(&mut ParsedVersion::new(version))
    }

    /// [`CompiledAffected::is_affected`] with a version parsed at most once
    /// per scheme, for callers checking one version against many entries.
    pub fn is_affected_parsed(&self, version: &mut ParsedVersion<'_>) -> Result<bool, EvalError> {
        if self.versions.iter().any(|v| v == version.text()) {
            return Ok(true);
        }
        for range in &self.ranges {
            if range.contains(version.get(range.scheme)?) {
                return Ok(true);
            }
        }
        // Listed versions may be spelled differently (`1.0` vs `1.0.0`).
        if let Some(scheme) = self.ecosystem.scheme
            && !self.parsed_versions.is_empty()
            && let Ok(v) = version.get(scheme)
        {
            let equal = |l: &Version| l.cmp_same(v) == Some(Ordering::Equal);
            if self.parsed_versions.iter().any(equal) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The lowest `fixed` version above `version` among the ranges that
    /// contain it, for reporting "fixed in".
    pub fn fixed_version(&self, version: &str) -> Option<String> {
        self.fixed_version_parsed(&mut ParsedVersion::new(version))
    }

    /// [`CompiledAffected::fixed_version`] with a reusable parsed version.
    pub fn fixed_version_parsed(&self, version: &mut ParsedVersion<'_>) -> Option<String> {
        for range in &self.ranges {
            let Ok(v) = version.get(range.scheme) else {
                continue;
            };
            if range.contains(v)
                && let Some(fixed) = range.fixed_above(v).next()
            {
                return Some(fixed.to_string());
            }
        }
        None
    }
}

/// A queried version, parsed lazily and at most once per scheme.
#[derive(Debug)]
pub struct ParsedVersion<'a> {
    text: &'a str,
    parsed: Vec<(VersionScheme, Result<Version, VersionError>)>,
}

impl<'a> ParsedVersion<'a> {
    /// Wraps a version string; nothing is parsed yet.
    pub fn new(text: &'a str) -> ParsedVersion<'a> {
        ParsedVersion {
            text,
            parsed: Vec::new(),
        }
    }

    /// The version as given.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The version parsed with `scheme` (parsed on first use).
    pub fn get(&mut self, scheme: VersionScheme) -> Result<&Version, EvalError> {
        let i = match self.parsed.iter().position(|(s, _)| *s == scheme) {
            Some(i) => i,
            None => {
                self.parsed
                    .push((scheme, Version::parse(scheme, self.text)));
                self.parsed.len() - 1
            }
        };
        self.parsed[i]
            .1
            .as_ref()
            .map_err(|e| EvalError::Version(e.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::record::Record;

    fn affected(json: &str) -> CompiledAffected {
        let record: Record = match serde_json::from_str(json) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        };
        match CompiledAffected::compile(&record.affected[0]) {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        }
    }

    fn verdicts(a: &CompiledAffected, versions: &[&str]) -> Vec<bool> {
        versions
            .iter()
            .map(|v| a.is_affected(v).unwrap_or_else(|e| panic!("{v}: {e}")))
            .collect()
    }

    #[test]
    fn schema_examples() {
        // "Unfixed vulnerability": everything affected.
        let a = affected(
            r#"{"id":"X","affected":[{"package":{"ecosystem":"PyPI","name":"p"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
        );
        assert_eq!(verdicts(&a, &["0.0.1", "99"]), [true, true]);
        // Two introduced/fixed pairs, given out of order.
        let a = affected(
            r#"{"id":"X","affected":[{"package":{"ecosystem":"PyPI","name":"p"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0"},{"fixed":"2.2"},
            {"introduced":"1.0"},{"fixed":"1.5"}]}]}]}"#,
        );
        assert_eq!(
            verdicts(
                &a,
                &["0.9", "1.0", "1.4.9", "1.5", "1.9", "2.0", "2.1", "2.2"]
            ),
            [false, true, true, false, false, true, true, false]
        );
        assert_eq!(a.fixed_version("2.1").as_deref(), Some("2.2"));
        // last_affected is inclusive.
        let a = affected(
            r#"{"id":"X","affected":[{"package":{"ecosystem":"Go","name":"m"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"1.0.0"},{"last_affected":"1.2.0"}]}]}]}"#,
        );
        assert_eq!(
            verdicts(&a, &["0.9.0", "1.2.0", "1.2.1"]),
            [false, true, false]
        );
        // limit bounds the range.
        let a = affected(
            r#"{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"m"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"limit":"2.0.0"}]}]}]}"#,
        );
        assert_eq!(verdicts(&a, &["1.9.9", "2.0.0"]), [true, false]);
    }

    #[test]
    fn versions_list_and_git_ranges() {
        let a = affected(
            r#"{"id":"X","affected":[{"package":{"ecosystem":"PyPI","name":"p"},
            "ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"0"},{"fixed":"abc"}]}],
            "versions":["1.0","1.1"]}]}"#,
        );
        assert_eq!(verdicts(&a, &["1.0", "1.0.0", "1.2"]), [true, true, false]);
    }

    #[test]
    fn bad_records_are_errors() {
        let record: Result<Record, _> = serde_json::from_str(
            r#"{"id":"X","affected":[{"package":{"ecosystem":"PyPI","name":"p"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0","fixed":"2.0"}]}]}]}"#,
        );
        let record = record.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            CompiledAffected::compile(&record.affected[0]).err(),
            Some(EvalError::BadEvent)
        );
        let record: Record = serde_json::from_str(
            r#"{"id":"X","affected":[{"package":{"ecosystem":"Hackage","name":"p"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            CompiledAffected::compile(&record.affected[0]),
            Err(EvalError::UnsupportedEcosystem(_))
        ));
    }
}
