//! The CISA Known Exploited Vulnerabilities catalog
//! (`https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json`).

use serde::Deserialize;

use super::EnrichError;

/// The largest catalog accepted (the real one is about 1.5 MiB).
pub const MAX_KEV_BYTES: usize = 64 << 20;

/// The catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevCatalog {
    /// `catalogVersion`, e.g. `2025.08.25`.
    pub version: String,
    /// `dateReleased` (RFC 3339).
    pub released: String,
    /// The entries.
    pub entries: Vec<KevEntry>,
}

/// One known exploited CVE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    /// The CVE id.
    pub cve: String,
    /// When CISA added it (`YYYY-MM-DD`).
    pub date_added: String,
    /// The remediation due date for US federal agencies (`YYYY-MM-DD`).
    pub due_date: Option<String>,
    /// Whether it is known to be used in ransomware campaigns.
    pub ransomware: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCatalog {
    catalog_version: String,
    #[serde(default)]
    date_released: String,
    vulnerabilities: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(rename = "cveID")]
    cve_id: String,
    date_added: String,
    #[serde(default)]
    due_date: Option<String>,
    #[serde(default)]
    known_ransomware_campaign_use: Option<String>,
}

/// Parses the KEV JSON catalog.
pub fn parse_kev(bytes: &[u8]) -> Result<KevCatalog, EnrichError> {
    const FEED: &str = "cisa kev";
    if bytes.len() > MAX_KEV_BYTES {
        return Err(EnrichError::TooLarge {
            feed: FEED,
            limit: MAX_KEV_BYTES as u64,
        });
    }
    let raw: RawCatalog = serde_json::from_slice(bytes).map_err(|e| {
        if e.is_data() {
            EnrichError::Shape {
                feed: FEED,
                reason: e.to_string(),
            }
        } else {
            EnrichError::Syntax {
                feed: FEED,
                reason: e.to_string(),
            }
        }
    })?;
    let entries = raw
        .vulnerabilities
        .into_iter()
        .map(|e| KevEntry {
            cve: e.cve_id.trim().to_string(),
            date_added: e.date_added,
            due_date: e.due_date,
            ransomware: e.known_ransomware_campaign_use.as_deref() == Some("Known"),
        })
        .collect();
    Ok(KevCatalog {
        version: raw.catalog_version,
        released: raw.date_released,
        entries,
    })
}
