//! NVD CVE API 2.0 responses (`https://services.nvd.nist.gov/rest/json/cves/2.0`),
//! one page or a single-CVE answer: `{"format": "NVD_CVE", "version": "2.0",
//! "timestamp": …, "vulnerabilities": [{"cve": {…}}]}`.
//!
//! Kept: id, dates, English description, references and every CVSS metric
//! (v2, v3.0, v3.1, v4.0) with its vector and base score; the `Primary`
//! (NVD's own) metric of each version comes first. CPE configurations are
//! not kept: Vedette does not match by CPE.

use serde::Deserialize;

use super::EnrichError;

/// The largest page accepted (a 2,000-CVE page is about 30 MB).
pub const MAX_NVD_BYTES: usize = 512 << 20;

/// One NVD page.
#[derive(Debug, Clone, PartialEq)]
pub struct NvdPage {
    /// The response timestamp.
    pub timestamp: Option<String>,
    /// The CVEs.
    pub cves: Vec<NvdCve>,
}

/// One CVE as NVD describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NvdCve {
    /// The CVE id.
    pub id: String,
    /// Publication time.
    pub published: Option<String>,
    /// Last modification time.
    pub last_modified: Option<String>,
    /// The English description.
    pub description: Option<String>,
    /// CVSS metrics, primary first within each version.
    pub cvss: Vec<NvdCvss>,
    /// Reference URLs.
    pub references: Vec<String>,
}

/// One CVSS metric.
#[derive(Debug, Clone, PartialEq)]
pub struct NvdCvss {
    /// `2.0`, `3.0`, `3.1` or `4.0`.
    pub version: String,
    /// The vector string.
    pub vector: String,
    /// The base score.
    pub score: Option<f32>,
    /// Who scored it (`nvd@nist.gov`, a CNA's address).
    pub source: String,
    /// Whether it is the primary (NVD) score.
    pub primary: bool,
}

#[derive(Deserialize)]
struct RawPage {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    vulnerabilities: Vec<RawItem>,
}

#[derive(Deserialize)]
struct RawItem {
    cve: RawCve,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCve {
    id: String,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    descriptions: Vec<RawText>,
    #[serde(default)]
    metrics: RawMetrics,
    #[serde(default)]
    references: Vec<RawReference>,
}

#[derive(Deserialize)]
struct RawText {
    lang: String,
    value: String,
}

#[derive(Deserialize)]
struct RawReference {
    url: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawMetrics {
    #[serde(default)]
    cvss_metric_v40: Vec<RawMetric>,
    #[serde(default)]
    cvss_metric_v31: Vec<RawMetric>,
    #[serde(default)]
    cvss_metric_v30: Vec<RawMetric>,
    #[serde(default)]
    cvss_metric_v2: Vec<RawMetric>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMetric {
    #[serde(default)]
    source: String,
    #[serde(default, rename = "type")]
    kind: String,
    cvss_data: RawCvssData,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCvssData {
    version: String,
    vector_string: String,
    #[serde(default)]
    base_score: Option<f32>,
}

/// Parses one NVD CVE API 2.0 response.
pub fn parse_nvd(bytes: &[u8]) -> Result<NvdPage, EnrichError> {
    const FEED: &str = "nvd cve 2.0";
    if bytes.len() > MAX_NVD_BYTES {
        return Err(EnrichError::TooLarge {
            feed: FEED,
            limit: MAX_NVD_BYTES as u64,
        });
    }
    let raw: RawPage = serde_json::from_slice(bytes).map_err(|e| {
        let reason = e.to_string();
        if e.is_data() {
            EnrichError::Shape { feed: FEED, reason }
        } else {
            EnrichError::Syntax { feed: FEED, reason }
        }
    })?;
    if raw.format.as_deref().is_some_and(|f| f != "NVD_CVE") {
        return Err(EnrichError::Shape {
            feed: FEED,
            reason: format!("format is {:?}, expected NVD_CVE", raw.format),
        });
    }
    let cves = raw
        .vulnerabilities
        .into_iter()
        .map(|item| {
            let c = item.cve;
            let m = c.metrics;
            let mut cvss = Vec::new();
            for metrics in [
                m.cvss_metric_v40,
                m.cvss_metric_v31,
                m.cvss_metric_v30,
                m.cvss_metric_v2,
            ] {
                let mut these: Vec<NvdCvss> = metrics
                    .into_iter()
                    .map(|x| NvdCvss {
                        version: x.cvss_data.version,
                        vector: x.cvss_data.vector_string,
                        score: x.cvss_data.base_score,
                        source: x.source,
                        primary: x.kind == "Primary",
                    })
                    .collect();
                // Stable: primary metrics first, then the order NVD gives.
                these.sort_by_key(|x| !x.primary);
                cvss.extend(these);
            }
            NvdCve {
                id: c.id,
                published: c.published,
                last_modified: c.last_modified,
                description: c
                    .descriptions
                    .into_iter()
                    .find(|d| d.lang == "en")
                    .map(|d| d.value),
                cvss,
                references: c.references.into_iter().map(|r| r.url).collect(),
            }
        })
        .collect();
    Ok(NvdPage {
        timestamp: raw.timestamp,
        cves,
    })
}
