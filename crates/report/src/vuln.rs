//! Vulnerability findings of an SBOM: every package through the DB's
//! matcher, matches grouped by alias (one problem, one finding).

use vedette_sbom::Sbom;
use vedette_vulndb::db::VulnDb;
use vedette_vulndb::matcher::{MatchState, Query};

use crate::finding::{
    DbInfo, Finding, FixState, Report, ScanError, ScanKind, Severity, VulnFinding,
};

/// The vulnerability report of `sbom` against `db`, unfiltered and sorted.
///
/// Kernel packages (`Package::kernel`) are not matched: kernel advisories
/// apply to the running kernel, not to every installed kernel package (the
/// summary counts them).
pub fn scan(db: &VulnDb, sbom: &Sbom) -> Report {
    let mut report = Report::new(ScanKind::Vulnerabilities, sbom.source.clone());
    report.distro = sbom.distro.clone();
    let header = db.header();
    report.db = Some(DbInfo {
        built_at: header.built_at.clone(),
        schema_version: header.schema_version,
        vulnerabilities: header.counts.vulnerabilities,
    });
    for package in &sbom.packages {
        if package.kernel {
            report.summary.kernel_packages_skipped += 1;
            continue;
        }
        let query = Query::for_package(package, sbom.distro.as_ref());
        for found in db.findings(&query) {
            let Some(first) = found.matches.first() else {
                continue;
            };
            let (state, fixed_version) = match &first.state {
                MatchState::Fixed(version) => (FixState::Fixed, Some(version.clone())),
                MatchState::Unfixed => (FixState::Unfixed, None),
                MatchState::WillNotFix => (FixState::WillNotFix, None),
                MatchState::Undetermined => (FixState::Undetermined, None),
            };
            let advisories: Vec<String> = found
                .matches
                .iter()
                .map(|m| m.advisory.id.clone())
                .collect();
            let finding = match found.vulnerability {
                Some(v) => VulnFinding {
                    id: v.id.clone(),
                    aliases: v.aliases.clone(),
                    advisories,
                    package: package.clone(),
                    state,
                    fixed_version,
                    severity: Severity::from(v.severity),
                    title: v.summary.clone().or_else(|| first.advisory.summary.clone()),
                    cvss: v.cvss.clone(),
                    epss: v.epss,
                    kev: v.kev.clone(),
                    references: v.references.clone(),
                    published: v.published.clone(),
                    modified: v.modified.clone(),
                },
                // Every advisory of a DB belongs to a problem; keep the
                // advisory's own data should one not.
                None => VulnFinding {
                    id: first.advisory.id.clone(),
                    aliases: first.advisory.aliases.clone(),
                    advisories,
                    package: package.clone(),
                    state,
                    fixed_version,
                    severity: Severity::Unknown,
                    title: first.advisory.summary.clone(),
                    cvss: Vec::new(),
                    epss: None,
                    kev: None,
                    references: first.advisory.references.clone(),
                    published: first.advisory.published.clone(),
                    modified: first.advisory.modified.clone(),
                },
            };
            report.findings.push(Finding::Vulnerability(finding));
        }
    }
    report.errors = sbom
        .diagnostics
        .iter()
        .map(|d| ScanError {
            path: d.path.clone(),
            message: format!("{}: {}", d.cataloger, d.message),
        })
        .collect();
    report.packages = sbom.packages.clone();
    report.finish();
    report
}
