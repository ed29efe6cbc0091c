//! The finding model shared by every scan: one [`Report`] of [`Finding`]s,
//! each a vulnerable package, a secret or a malware match, with one
//! [`Severity`] scale so that filters, policies and renderers treat them
//! alike.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use vedette_model::package::{Distro, Package};

/// Version of the JSON report layout (`schema` field); fields are only added
/// within a version.
pub const JSON_SCHEMA: &str = "vedette-report/1";

/// One severity scale for every kind of finding.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// No rating known.
    #[default]
    Unknown,
    /// Informational: distro "negligible"/"unimportant" ratings, test files
    /// such as EICAR.
    Info,
    /// Low.
    Low,
    /// Medium (moderate).
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every level, lowest first.
    pub const ALL: [Severity; 6] = [
        Severity::Unknown,
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    /// Upper-case name, as tables and `--severity` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "UNKNOWN",
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }

    /// A feed's or rule's word (`moderate`, `unimportant`, `info`…); unknown
    /// words are [`Severity::Unknown`].
    pub fn from_word(word: &str) -> Severity {
        word.parse().unwrap_or(Severity::Unknown)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Severity, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "unknown" => Ok(Severity::Unknown),
            "info" | "informational" | "negligible" | "unimportant" | "none" => Ok(Severity::Info),
            "low" => Ok(Severity::Low),
            "medium" | "moderate" => Ok(Severity::Medium),
            "high" | "important" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            other => Err(format!(
                "unknown severity `{other}` (expected UNKNOWN, INFO, LOW, MEDIUM, HIGH or CRITICAL)"
            )),
        }
    }
}

impl From<vedette_vulndb::db::model::SeverityLevel> for Severity {
    fn from(level: vedette_vulndb::db::model::SeverityLevel) -> Severity {
        use vedette_vulndb::db::model::SeverityLevel as L;
        match level {
            L::Unknown => Severity::Unknown,
            L::Negligible => Severity::Info,
            L::Low => Severity::Low,
            L::Medium => Severity::Medium,
            L::High => Severity::High,
            L::Critical => Severity::Critical,
        }
    }
}

/// What a report is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScanKind {
    /// Vulnerable packages.
    Vulnerabilities,
    /// Secrets in files.
    Secrets,
    /// Malware rule matches.
    Malware,
}

/// The result of one scan of one target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    /// [`JSON_SCHEMA`].
    pub schema: String,
    /// What the scan looked for.
    pub kind: ScanKind,
    /// What was scanned (`dir:/srv`, `docker-archive:img.tar`, `docker:nginx:1`…).
    pub target: String,
    /// The scanned system's distro, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// The vulnerability DB used, for vulnerability scans.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub db: Option<DbInfo>,
    /// Counts by severity and of findings left out.
    pub summary: Summary,
    /// What was found (after filters), most severe first.
    pub findings: Vec<Finding>,
    /// Findings an ignore-file entry suppressed, with the entry's reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<IgnoredFinding>,
    /// Files or entries that could not be (fully) read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ScanError>,
    /// Every package of the scanned target (vulnerability scans), so the
    /// CycloneDX and SPDX renderings can list components; not in JSON.
    #[serde(skip)]
    pub packages: Vec<Package>,
}

impl Report {
    /// An empty report of `kind` about `target`.
    pub fn new(kind: ScanKind, target: impl Into<String>) -> Report {
        Report {
            schema: JSON_SCHEMA.to_string(),
            kind,
            target: target.into(),
            distro: None,
            db: None,
            summary: Summary::default(),
            findings: Vec::new(),
            ignored: Vec::new(),
            errors: Vec::new(),
            packages: Vec::new(),
        }
    }

    /// Sorts findings most severe first (then KEV, EPSS, id, where) and
    /// recounts the summary.
    pub fn finish(&mut self) {
        self.findings.sort_by(|a, b| {
            b.severity()
                .cmp(&a.severity())
                .then_with(|| b.kev().cmp(&a.kev()))
                .then_with(|| b.epss().unwrap_or(0.0).total_cmp(&a.epss().unwrap_or(0.0)))
                .then_with(|| a.sort_key().cmp(&b.sort_key()))
        });
        let mut counts = std::collections::BTreeMap::new();
        for finding in &self.findings {
            *counts.entry(finding.severity()).or_insert(0u64) += 1;
        }
        self.summary.total = self.findings.len() as u64;
        self.summary.by_severity = Severity::ALL
            .iter()
            .rev()
            .map(|s| (s.as_str().to_string(), counts.get(s).copied().unwrap_or(0)))
            .collect();
        self.summary.ignored = self.ignored.len() as u64;
        self.summary.kev = self.findings.iter().filter(|f| f.kev()).count() as u64;
        self.summary.packages = self.packages.len() as u64;
    }
}

/// The DB a vulnerability scan used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DbInfo {
    /// When it was built (RFC 3339).
    pub built_at: String,
    /// Schema version of the DB file.
    pub schema_version: u32,
    /// Merged problems it holds.
    pub vulnerabilities: u64,
}

/// Counts shown under a table and in JSON.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Findings reported.
    pub total: u64,
    /// Findings reported per severity, most severe first (`CRITICAL`…`UNKNOWN`).
    pub by_severity: Vec<(String, u64)>,
    /// Findings in CISA's KEV catalog.
    pub kev: u64,
    /// Findings suppressed by the ignore file.
    pub ignored: u64,
    /// Findings hidden by `--severity`.
    pub filtered_severity: u64,
    /// Findings hidden by `--ignore-unfixed`.
    pub filtered_unfixed: u64,
    /// Packages in the scanned target (vulnerability scans).
    pub packages: u64,
    /// Kernel packages not matched (kernel advisories apply to the running
    /// kernel, not to installed kernel packages).
    pub kernel_packages_skipped: u64,
    /// Files scanned (secret and malware scans).
    pub files_scanned: u64,
    /// Bytes scanned (secret and malware scans).
    pub bytes_scanned: u64,
}

/// A finding suppressed by an ignore-file entry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IgnoredFinding {
    /// Why (the entry's `reason`).
    pub reason: String,
    /// Until when the entry applies, if it expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// The finding.
    pub finding: Finding,
}

/// A file or entry that could not be (fully) scanned.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanError {
    /// Where.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// One finding.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
// Most findings of a report are vulnerabilities; boxing them would add an
// allocation per finding to save space only in secret/malware reports.
#[allow(clippy::large_enum_variant)]
pub enum Finding {
    /// A package affected by a vulnerability.
    Vulnerability(VulnFinding),
    /// A secret in a file (redacted).
    Secret(SecretFinding),
    /// A malware rule that matched a file.
    Malware(MalwareFinding),
}

impl Finding {
    /// The rule or vulnerability id (`CVE-…`, a secret rule id, a YARA rule
    /// as `namespace:rule`).
    pub fn id(&self) -> &str {
        match self {
            Finding::Vulnerability(v) => &v.id,
            Finding::Secret(s) => &s.rule_id,
            Finding::Malware(m) => &m.rule_id,
        }
    }

    /// The image layer of the file, for secret and malware findings of image
    /// targets.
    pub fn layer(&self) -> Option<&ImageLayer> {
        match self {
            Finding::Vulnerability(_) => None,
            Finding::Secret(s) => s.layer.as_ref(),
            Finding::Malware(m) => m.layer.as_ref(),
        }
    }

    /// Other ids of the same problem.
    pub fn aliases(&self) -> &[String] {
        match self {
            Finding::Vulnerability(v) => &v.aliases,
            _ => &[],
        }
    }

    /// The severity.
    pub fn severity(&self) -> Severity {
        match self {
            Finding::Vulnerability(v) => v.severity,
            Finding::Secret(s) => s.severity,
            Finding::Malware(m) => m.severity,
        }
    }

    /// One line for people.
    pub fn title(&self) -> String {
        match self {
            Finding::Vulnerability(v) => v.title.clone().unwrap_or_default(),
            Finding::Secret(s) => s.rule_name.clone(),
            Finding::Malware(m) => m.description.clone().unwrap_or_else(|| m.rule.clone()),
        }
    }

    /// Where: the package's first location, the file.
    pub fn path(&self) -> Option<&str> {
        match self {
            Finding::Vulnerability(v) => v.package.locations.first().map(String::as_str),
            Finding::Secret(s) => Some(&s.path),
            Finding::Malware(m) => Some(&m.path),
        }
    }

    /// Whether CISA lists it as known exploited.
    pub fn kev(&self) -> bool {
        matches!(self, Finding::Vulnerability(v) if v.kev.is_some())
    }

    /// The EPSS score.
    pub fn epss(&self) -> Option<f32> {
        match self {
            Finding::Vulnerability(v) => v.epss.map(|e| e.score),
            _ => None,
        }
    }

    /// Whether a fixed version is known (always true for secrets and malware:
    /// the user can fix them).
    pub fn has_fix(&self) -> bool {
        match self {
            Finding::Vulnerability(v) => v.fixed_version.is_some(),
            _ => true,
        }
    }

    fn sort_key(&self) -> (String, String, String, u32) {
        match self {
            Finding::Vulnerability(v) => (
                v.package.name.clone(),
                v.package.version.clone(),
                v.id.clone(),
                0,
            ),
            Finding::Secret(s) => (s.path.clone(), s.rule_id.clone(), String::new(), s.line),
            Finding::Malware(m) => (
                m.path.clone(),
                m.member.clone().unwrap_or_default(),
                m.rule_id.clone(),
                0,
            ),
        }
    }
}

/// What the fix state of a vulnerable package is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version exists (`fixed_version`).
    Fixed,
    /// No fix yet.
    Unfixed,
    /// The distro decided not to fix it.
    WillNotFix,
    /// The distro has not triaged it.
    Undetermined,
}

impl FixState {
    /// Lower-case words for tables.
    pub fn as_str(self) -> &'static str {
        match self {
            FixState::Fixed => "fixed",
            FixState::Unfixed => "unfixed",
            FixState::WillNotFix => "will not fix",
            FixState::Undetermined => "undetermined",
        }
    }
}

/// A vulnerable package.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VulnFinding {
    /// The problem's main id (its CVE when there is one).
    pub id: String,
    /// Every other id (GHSA, PYSEC, distro ids…).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The feed advisories that matched.
    #[serde(default)]
    pub advisories: Vec<String>,
    /// The affected package.
    pub package: Package,
    /// Fix state.
    pub state: FixState,
    /// The version that fixes it, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_version: Option<String>,
    /// Overall severity.
    pub severity: Severity,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// CVSS vectors and scores.
    #[serde(default)]
    pub cvss: Vec<vedette_vulndb::db::model::Cvss>,
    /// FIRST EPSS score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<vedette_vulndb::db::model::Epss>,
    /// CISA KEV entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev: Option<vedette_vulndb::db::model::Kev>,
    /// Reference URLs.
    #[serde(default)]
    pub references: Vec<String>,
    /// First publication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Last modification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
}

impl VulnFinding {
    /// The best CVSS base score: v3 first, then v4, then v2 (the order the
    /// DB rates severity in).
    pub fn best_score(&self) -> Option<(&vedette_vulndb::db::model::Cvss, f32)> {
        ["3", "4", "2"].iter().find_map(|major| {
            self.cvss
                .iter()
                .filter(|c| c.version.starts_with(major))
                .filter_map(|c| c.score.map(|s| (c, s)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
        })
    }
}

/// A secret, redacted: never the value itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecretFinding {
    /// The rule that matched.
    pub rule_id: String,
    /// Its name.
    pub rule_name: String,
    /// Severity of the rule.
    pub severity: Severity,
    /// `low`, `medium` or `high`.
    pub confidence: String,
    /// The file (`archive.zip!/inner` inside archives).
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column (characters).
    pub column: u32,
    /// At most 4 leading characters, then `*`.
    pub masked: String,
    /// SHA-256 of the value, hex: correlates findings without the value.
    pub secret_sha256: String,
    /// Length of the value in bytes.
    pub secret_len: usize,
    /// For image targets: the layer the file was read from (`path` is then
    /// the path inside the image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<ImageLayer>,
}

/// Where in a container image a file was found. Every layer is scanned, not
/// only the final filesystem: a file deleted by an upper layer is still in the
/// image for anyone who pulls it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageLayer {
    /// Position of the layer, base layer first, from 0.
    pub index: usize,
    /// The layer's digest (`sha256:…`), or its blob name in older `docker
    /// save` archives (`<id>/layer.tar`).
    pub digest: String,
    /// Whether the file is what the final image shows at its path; `false`
    /// when an upper layer deleted or replaced it.
    pub visible: bool,
}

impl From<vedette_sbom::source::LayerRef> for ImageLayer {
    fn from(layer: vedette_sbom::source::LayerRef) -> ImageLayer {
        ImageLayer {
            index: layer.index,
            digest: layer.digest,
            visible: layer.visible,
        }
    }
}

impl ImageLayer {
    /// A short human form: `layer 2 sha256:0123456789ab…`, plus
    /// `, deleted later` when the file is not in the final filesystem.
    pub fn describe(&self) -> String {
        let digest: String = self.digest.chars().take(19).collect();
        let cut = if digest.len() < self.digest.len() {
            "…"
        } else {
            ""
        };
        let hidden = if self.visible { "" } else { ", deleted later" };
        format!("layer {} {digest}{cut}{hidden}", self.index)
    }
}

/// A malware rule match.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MalwareFinding {
    /// `namespace:rule`.
    pub rule_id: String,
    /// The rule's identifier.
    pub rule: String,
    /// Its namespace.
    pub namespace: String,
    /// Its tags.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The rule's `description` metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The rule's `severity` metadata.
    pub severity: Severity,
    /// The file.
    pub path: String,
    /// The archive member, when the match is inside an archive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// SHA-256 of the scanned bytes, hex.
    pub sha256: String,
    /// Matched string identifiers and offsets (`$a@0x10`).
    #[serde(default)]
    pub strings: Vec<MatchedString>,
    /// For image targets: the layer the file was read from (`path` is then
    /// the path inside the image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<ImageLayer>,
}

/// A string of a YARA rule that matched.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatchedString {
    /// `$name`.
    pub identifier: String,
    /// Byte offset.
    pub offset: u64,
    /// Bytes matched.
    pub length: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_words_parse_and_order() {
        assert_eq!("moderate".parse::<Severity>(), Ok(Severity::Medium));
        assert_eq!("CRITICAL".parse::<Severity>(), Ok(Severity::Critical));
        assert_eq!(Severity::from_word("negligible"), Severity::Info);
        assert_eq!(Severity::from_word("whatever"), Severity::Unknown);
        assert!("severe".parse::<Severity>().is_err());
        assert!(Severity::Critical > Severity::High && Severity::Info > Severity::Unknown);
    }

    #[test]
    fn image_layers_describe_and_round_trip() {
        let layer = ImageLayer {
            index: 2,
            digest: "sha256:0f2891a0e938c8d353b0b429397c55fe742294a14433f752f6f1880b702531aa"
                .into(),
            visible: false,
        };
        assert_eq!(
            layer.describe(),
            "layer 2 sha256:0f2891a0e938…, deleted later"
        );
        let old = ImageLayer {
            index: 0,
            digest: "abc/layer.tar".into(),
            visible: true,
        };
        assert_eq!(old.describe(), "layer 0 abc/layer.tar");
        let finding = Finding::Secret(SecretFinding {
            rule_id: "github-pat-classic".into(),
            rule_name: "GitHub classic token".into(),
            severity: Severity::Critical,
            confidence: "high".into(),
            path: "/app/.env".into(),
            line: 1,
            column: 14,
            masked: "ghp_****".into(),
            secret_sha256: "00".into(),
            secret_len: 40,
            layer: Some(layer.clone()),
        });
        let json = serde_json::to_value(&finding).unwrap();
        assert_eq!(json["layer"]["visible"], false);
        let back: Finding = serde_json::from_value(json).unwrap();
        assert_eq!(back.layer(), Some(&layer));
        // Reports written before layers existed still parse.
        let mut json = serde_json::to_value(&finding).unwrap();
        json.as_object_mut().unwrap().remove("layer");
        let back: Finding = serde_json::from_value(json).unwrap();
        assert_eq!(back.layer(), None);
    }
}
