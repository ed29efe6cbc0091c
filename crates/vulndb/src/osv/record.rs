//! The OSV record fields Vedette needs for matching and reporting
//! (<https://ossf.github.io/osv-schema/>).
//!
//! Unknown fields are ignored so that newer schema versions still load.
//! Version strings accept YAML numbers too: some hand-written YAML feeds
//! leave `fixed: 2` unquoted.

use serde::{Deserialize, Deserializer, Serialize};

/// One OSV vulnerability record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The record's identifier, e.g. `GHSA-jfh8-c2jp-5v3q` or `PYSEC-2022-230`.
    pub id: String,
    /// When the record was last modified (RFC 3339).
    #[serde(default)]
    pub modified: Option<String>,
    /// When the record was published (RFC 3339).
    #[serde(default)]
    pub published: Option<String>,
    /// When the record was withdrawn, if it was: such records match nothing.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Other identifiers of the same vulnerability (CVE, GHSA…).
    #[serde(default, deserialize_with = "strings")]
    pub aliases: Vec<String>,
    /// Identifiers of closely related but different vulnerabilities.
    #[serde(default, deserialize_with = "strings")]
    pub related: Vec<String>,
    /// Identifiers this record was derived from (distro records).
    #[serde(default, deserialize_with = "strings")]
    pub upstream: Vec<String>,
    /// A one-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// A longer description (Markdown).
    #[serde(default)]
    pub details: Option<String>,
    /// Severity scores of the whole record.
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    /// The affected packages and their versions.
    #[serde(default, deserialize_with = "null_as_default")]
    pub affected: Vec<Affected>,
    /// Links to advisories, fixes, reports.
    #[serde(default, deserialize_with = "null_as_default")]
    pub references: Vec<Reference>,
    /// Database-specific data of the whole record.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
    /// The OSV schema version the record follows.
    #[serde(default)]
    pub schema_version: Option<String>,
}

impl Record {
    /// Every severity of the record: its own, then those of each affected
    /// package (Bitnami and GHSA put CVSS vectors there).
    pub fn severities(&self) -> impl Iterator<Item = &Severity> {
        self.severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| a.severity.iter()))
    }

    /// Whether the record was withdrawn (it then matches nothing).
    pub fn is_withdrawn(&self) -> bool {
        self.withdrawn.is_some()
    }
}

/// A severity score: a type and a vector or value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`…
    #[serde(rename = "type")]
    pub kind: String,
    /// The CVSS vector (or the ecosystem's own value).
    #[serde(deserialize_with = "version_string")]
    pub score: String,
}

impl Severity {
    /// The CVSS version (2, 3 or 4) this severity is a vector of, if any.
    pub fn cvss_version(&self) -> Option<u8> {
        match self.kind.as_str() {
            "CVSS_V2" => Some(2),
            "CVSS_V3" => Some(3),
            "CVSS_V4" => Some(4),
            _ => None,
        }
    }
}

/// A link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `FIX`, `WEB`, `REPORT`, `PACKAGE`…
    #[serde(rename = "type")]
    pub kind: String,
    /// The address.
    pub url: String,
}

/// One affected package with its affected versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package; absent only in records that describe a bare git repo.
    #[serde(default)]
    pub package: Option<PackageRef>,
    /// Severity specific to this package.
    #[serde(default, deserialize_with = "null_as_default")]
    pub severity: Vec<Severity>,
    /// Version ranges.
    #[serde(default, deserialize_with = "null_as_default")]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(default, deserialize_with = "strings")]
    pub versions: Vec<String>,
    /// Ecosystem-specific data (Go symbols, Ubuntu priorities…).
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
    /// Database-specific data (distro source package, CVSS…).
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// The package an [`Affected`] entry is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PackageRef {
    /// The OSV ecosystem, e.g. `PyPI`, `Debian:12`, `Ubuntu:22.04:LTS`.
    pub ecosystem: String,
    /// The package name in that ecosystem.
    pub name: String,
    /// Its package URL, if given.
    #[serde(default)]
    pub purl: Option<String>,
}

/// The type of a [`Range`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeType {
    /// Versions ordered by the ecosystem's own rules.
    Ecosystem,
    /// SemVer 2.0 versions.
    Semver,
    /// Git commits (not used for version matching).
    Git,
    /// A range type this version of Vedette does not know.
    #[serde(other)]
    Unknown,
}

/// A range of affected versions described by events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// How to order the event versions.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// The repository of `GIT` ranges.
    #[serde(default)]
    pub repo: Option<String>,
    /// The timeline of the vulnerability in this range.
    #[serde(default, deserialize_with = "null_as_default")]
    pub events: Vec<Event>,
    /// Database-specific data of the range.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// One event of a [`Range`]: exactly one field is set in a valid record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// The vulnerability was introduced in this version (`"0"`: always).
    #[serde(default, deserialize_with = "opt_version_string")]
    pub introduced: Option<String>,
    /// The vulnerability was fixed in this version.
    #[serde(default, deserialize_with = "opt_version_string")]
    pub fixed: Option<String>,
    /// The last version known to be affected.
    #[serde(default, deserialize_with = "opt_version_string")]
    pub last_affected: Option<String>,
    /// An upper limit of the range (`"*"`: none).
    #[serde(default, deserialize_with = "opt_version_string")]
    pub limit: Option<String>,
}

/// A string, or a number written without quotes in YAML.
#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Unsigned(n) => n.to_string(),
            Scalar::Signed(n) => n.to_string(),
            Scalar::Float(f) => f.to_string(),
        }
    }
}

fn version_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Scalar::deserialize(d).map(Scalar::into_string)
}

fn opt_version_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Scalar>::deserialize(d)?.map(Scalar::into_string))
}

fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items = Option::<Vec<Scalar>>::deserialize(d)?.unwrap_or_default();
    Ok(items.into_iter().map(Scalar::into_string).collect())
}

fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
