//! The Debian security tracker's JSON export
//! (`https://security-tracker.debian.org/tracker/data/json`).
//!
//! Shape: `{source package: {CVE id: {description, releases: {codename:
//! {status, fixed_version, urgency, nodsa, nodsa_reason, repositories}}}}}`.
//!
//! States, as the tracker documents them:
//! * `resolved` with `fixed_version` `0`: the release was never affected;
//! * `resolved` with a version: fixed in that (possibly backported) version;
//! * `open`: not fixed; with `nodsa_reason: ignored` or urgency
//!   `end-of-life` the security team will not fix it, with `postponed` a fix
//!   is deferred to a point release;
//! * `undetermined`: not yet triaged.

use serde_json::Value;

use super::FeedError;

/// The largest tracker document accepted (the real export is about 60 MiB).
pub const MAX_TRACKER_BYTES: usize = 512 << 20;

/// The state of one CVE in one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DebianStatus {
    /// The release's package was never affected.
    NotAffected,
    /// Fixed in this version.
    Fixed(String),
    /// Open, and the security team will not fix it (ignored, end of life).
    WillNotFix,
    /// Open (including postponed).
    Unfixed,
    /// Not yet triaged.
    Undetermined,
}

/// One CVE of one source package in one release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebianEntry {
    /// Source package name.
    pub source: String,
    /// CVE (or `TEMP-…`) identifier.
    pub id: String,
    /// Description, if given.
    pub description: Option<String>,
    /// Release codename (`bookworm`, `sid`).
    pub codename: String,
    /// The release's `VERSION_ID` (`12`), when the codename is a known
    /// stable release.
    pub release: Option<&'static str>,
    /// The state.
    pub status: DebianStatus,
    /// The tracker's urgency (`low`, `unimportant`, `not yet assigned`…).
    pub urgency: Option<String>,
}

/// Debian codenames and their `VERSION_ID`.
const RELEASES: [(&str, &str); 11] = [
    ("squeeze", "6"),
    ("wheezy", "7"),
    ("jessie", "8"),
    ("stretch", "9"),
    ("buster", "10"),
    ("bullseye", "11"),
    ("bookworm", "12"),
    ("trixie", "13"),
    ("forky", "14"),
    ("duke", "15"),
    ("sid", "unstable"),
];

/// The `VERSION_ID` of a Debian codename.
pub fn release_of_codename(codename: &str) -> Option<&'static str> {
    RELEASES
        .iter()
        .find(|(c, _)| *c == codename)
        .map(|(_, v)| *v)
}

fn status_of(release: &Value) -> DebianStatus {
    let text = |k: &str| release.get(k).and_then(Value::as_str);
    match text("status") {
        Some("resolved") => match text("fixed_version") {
            Some("0") | None => DebianStatus::NotAffected,
            Some(v) => DebianStatus::Fixed(v.to_string()),
        },
        Some("open") => {
            let ignored = text("nodsa_reason") == Some("ignored");
            let eol = text("urgency") == Some("end-of-life");
            if ignored || eol {
                DebianStatus::WillNotFix
            } else {
                DebianStatus::Unfixed
            }
        }
        _ => DebianStatus::Undetermined,
    }
}

/// Parses the tracker export into one entry per package, CVE and release.
pub fn parse_tracker(bytes: &[u8]) -> Result<Vec<DebianEntry>, FeedError> {
    const FEED: &str = "debian tracker";
    if bytes.len() > MAX_TRACKER_BYTES {
        return Err(FeedError::TooLarge {
            feed: FEED,
            limit: MAX_TRACKER_BYTES,
        });
    }
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| FeedError::Syntax {
        feed: FEED,
        reason: e.to_string(),
    })?;
    let shape = |reason: String| FeedError::Shape { feed: FEED, reason };
    let packages = doc
        .as_object()
        .ok_or_else(|| shape("top level is not an object".into()))?;
    let mut entries = Vec::new();
    for (source, cves) in packages {
        let cves = cves
            .as_object()
            .ok_or_else(|| shape(format!("{source}: not an object")))?;
        for (id, cve) in cves {
            let description = cve
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string);
            let releases = match cve.get("releases") {
                Some(Value::Object(releases)) => releases,
                // The export writes `"releases": []` for CVEs with no release.
                Some(Value::Array(a)) if a.is_empty() => continue,
                _ => return Err(shape(format!("{source} {id}: no releases object"))),
            };
            for (codename, release) in releases {
                entries.push(DebianEntry {
                    source: source.clone(),
                    id: id.clone(),
                    description: description.clone(),
                    codename: codename.clone(),
                    release: release_of_codename(codename),
                    status: status_of(release),
                    urgency: release
                        .get("urgency")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                });
            }
        }
    }
    Ok(entries)
}
