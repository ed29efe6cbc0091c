//! Findings of Vedette scans and their renderings, shared by the CLI
//! (`vedette scan …`) and, later, the console.
//!
//! - [`finding`]: the model — a [`Report`] of [`Finding`]s (vulnerable
//!   packages, secrets, malware matches) on one [`Severity`] scale.
//! - [`vuln`]: an SBOM matched against the vulnerability DB.
//! - [`policy`]: `--severity`, `--ignore-unfixed`, ignore files with reasons
//!   and expiry, `--fail-on`.
//! - renderers: [`table`], JSON, [`sarif`] 2.1.0, [`cyclonedx`] 1.6 with
//!   vulnerabilities, SPDX 2.3 (the SBOM only).
//!
//! Architecture invariant: no I/O besides reading an ignore file; a
//! secret's value never enters this crate (findings carry a masked preview
//! and a hash).

#![deny(missing_docs)]

pub mod cyclonedx;
pub mod finding;
pub mod policy;
pub mod sarif;
pub mod table;
pub mod vuln;

pub use finding::{Finding, Report, ScanKind, Severity};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A table for people.
    Table,
    /// The report as JSON (`vedette-report/1`).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// CycloneDX 1.6 with `vulnerabilities` (vulnerability scans only).
    CycloneDx,
    /// SPDX 2.3 (the SBOM; SPDX 2.3 has no vulnerability section).
    Spdx,
}

/// Renders `report` in `format`, ending with a newline.
pub fn render(report: &Report, format: Format) -> String {
    let mut text = match format {
        Format::Table => table::render(report),
        Format::Json => serde_json::to_string_pretty(report).unwrap_or_default(),
        Format::Sarif => serde_json::to_string_pretty(&sarif::render(report)).unwrap_or_default(),
        Format::CycloneDx => {
            serde_json::to_string_pretty(&cyclonedx::render(report)).unwrap_or_default()
        }
        Format::Spdx => vedette_sbom::format::to_json(
            &cyclonedx::sbom_of(report),
            vedette_sbom::format::Format::Spdx,
        ),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}
