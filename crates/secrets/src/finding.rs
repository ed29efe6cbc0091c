//! Findings: what a scan reports about one secret, redacted by construction.
//!
//! A [`Finding`] is built from the matched bytes by [`Finding`]'s constructor in the scanner,
//! which keeps only a masked preview and a SHA-256 digest: there is no field that could hold
//! the raw value.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};

pub use vedette_sbom::source::LayerRef;

/// How bad it is if the secret is real.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Little direct impact (test-mode keys, public identifiers).
    Low,
    /// Limited scope credentials.
    Medium,
    /// Credentials to a service or data.
    High,
    /// Credentials to infrastructure, money or signing keys.
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// How sure the engine is that the match is a real secret and not a look-alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Generic pattern (e.g. `password = "…"`).
    Low,
    /// Distinctive context but no structural proof.
    Medium,
    /// Distinctive prefix or format, or a checksum that verified.
    High,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        })
    }
}

/// One secret found in one file, redacted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Id of the rule that matched.
    pub rule_id: String,
    /// Human name of the rule.
    pub rule_name: String,
    /// Severity of the rule.
    pub severity: Severity,
    /// Confidence of this match (raised to high when a checksum validator passed).
    pub confidence: Confidence,
    /// File the secret is in. For archive members: `archive.zip!/path/in/archive`.
    /// Serialized lossily as UTF-8 (non-UTF-8 bytes become U+FFFD).
    #[serde(serialize_with = "serialize_path_lossy")]
    pub file: PathBuf,
    /// 1-based line of the first byte of the secret.
    pub line: u32,
    /// 1-based column (in characters) of the first byte of the secret.
    pub column: u32,
    /// A masked preview: a short prefix, then `*`.
    pub masked: String,
    /// Lowercase hex SHA-256 of the secret bytes, to correlate findings without storing secrets.
    pub secret_sha256: String,
    /// Length of the secret in bytes.
    pub secret_len: usize,
    /// Shannon entropy of the secret, bits per byte.
    pub entropy: f64,
    /// For files of a container image: the layer the file was read from, and whether the
    /// file is still visible in the final image. `None` for directory trees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

fn serialize_path_lossy<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// Masks a secret for display: at most 4 leading characters (a quarter of the length, so short
/// secrets reveal little), then one `*` per remaining character, capped at 16.
pub fn mask_secret(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars: Vec<char> = text.chars().collect();
    let shown = (chars.len() / 4).min(4);
    let hidden = (chars.len() - shown).clamp(1, 16);
    let mut out: String = chars[..shown].iter().collect();
    out.extend(std::iter::repeat_n('*', hidden));
    out
}

/// Lowercase hex SHA-256 of `secret`.
pub(crate) fn hash_secret(secret: &[u8]) -> String {
    hex::encode(Sha256::digest(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_reveals_at_most_a_quarter() {
        assert_eq!(
            mask_secret(b"ghp_abcdefghijklmnopqrstuvwxyz0123456789"),
            "ghp_****************"
        );
        assert_eq!(mask_secret(b"hunter2"), "h******");
        assert_eq!(mask_secret(b"abc"), "***");
        assert_eq!(mask_secret(b""), "*");
    }

    #[test]
    fn hash_is_sha256_hex() {
        assert_eq!(
            hash_secret(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
