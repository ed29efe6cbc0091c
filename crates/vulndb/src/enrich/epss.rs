//! FIRST EPSS daily scores (`https://epss.cyentia.com/epss_scores-current.csv.gz`).
//!
//! Format: an optional comment line `#model_version:v2025.03.14,score_date:…`,
//! the header `cve,epss,percentile`, then one row per CVE. The rows hold
//! only ids and numbers (no quoting), so they are split by hand rather than
//! through a CSV crate.

use std::io::Read;

use super::EnrichError;

/// The largest scores file accepted once decompressed (the real one is
/// about 12 MB).
pub const MAX_EPSS_BYTES: u64 = 1 << 30;

/// One day's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssScores {
    /// The model version, when the comment line gives it.
    pub model_version: Option<String>,
    /// The score date (RFC 3339), when the comment line gives it.
    pub score_date: Option<String>,
    /// `(CVE id, probability of exploitation in 30 days, percentile)`.
    pub scores: Vec<(String, f32, f32)>,
}

/// Parses an EPSS CSV, plain or gzip-compressed (detected by its magic).
pub fn parse_epss(bytes: &[u8]) -> Result<EpssScores, EnrichError> {
    const FEED: &str = "epss";
    let syntax = |reason: String| EnrichError::Syntax { feed: FEED, reason };
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_EPSS_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| syntax(format!("gzip: {e}")))?;
        if out.len() as u64 > MAX_EPSS_BYTES {
            return Err(EnrichError::TooLarge {
                feed: FEED,
                limit: MAX_EPSS_BYTES,
            });
        }
        String::from_utf8(out).map_err(|e| syntax(e.to_string()))?
    } else {
        if bytes.len() as u64 > MAX_EPSS_BYTES {
            return Err(EnrichError::TooLarge {
                feed: FEED,
                limit: MAX_EPSS_BYTES,
            });
        }
        String::from_utf8(bytes.to_vec()).map_err(|e| syntax(e.to_string()))?
    };
    let mut lines = text.lines().peekable();
    let (mut model_version, mut score_date) = (None, None);
    if let Some(comment) = lines.peek().and_then(|l| l.strip_prefix('#')) {
        for field in comment.split(',') {
            match field.split_once(':') {
                Some(("model_version", v)) => model_version = Some(v.trim().to_string()),
                Some(("score_date", v)) => score_date = Some(v.trim().to_string()),
                _ => {}
            }
        }
        lines.next();
    }
    let header = lines.next().unwrap_or_default();
    if header.trim() != "cve,epss,percentile" {
        return Err(EnrichError::Shape {
            feed: FEED,
            reason: format!("expected the header `cve,epss,percentile`, found `{header}`"),
        });
    }
    let mut scores = Vec::new();
    for (n, line) in lines.enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || syntax(format!("row {}: `{line}`", n + 1));
        let mut fields = line.split(',');
        let (Some(cve), Some(epss), Some(pct), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(bad());
        };
        let epss: f32 = epss.trim().parse().map_err(|_| bad())?;
        let pct: f32 = pct.trim().parse().map_err(|_| bad())?;
        if !(0.0..=1.0).contains(&epss) || !(0.0..=1.0).contains(&pct) {
            return Err(bad());
        }
        scores.push((cve.trim().to_string(), epss, pct));
    }
    Ok(EpssScores {
        model_version,
        score_date,
        scores,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_gzip() {
        let csv = b"#model_version:v2025.03.14,score_date:2025-05-01T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.94358,0.99957\n";
        let plain = parse_epss(csv).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            plain.score_date.as_deref(),
            Some("2025-05-01T00:00:00+0000")
        );
        assert_eq!(plain.scores, [("CVE-2021-44228".into(), 0.94358, 0.99957)]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, csv).unwrap_or_else(|e| panic!("{e}"));
        let gz = gz.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parse_epss(&gz).ok(), Some(plain));
    }

    #[test]
    fn bad_rows_are_errors() {
        assert!(parse_epss(b"cve,epss,percentile\nCVE-1,2.5,0.1\n").is_err());
        assert!(parse_epss(b"cve,epss,percentile\nCVE-1,x,0.1\n").is_err());
        assert!(parse_epss(b"a,b,c\n").is_err());
    }
}
