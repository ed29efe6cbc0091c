//! CycloneDX 1.6 with vulnerabilities (VEX-style): the SBOM's components
//! (written by `vedette-sbom`) plus `vulnerabilities[]`, one per problem,
//! whose `affects` refer to the affected components' `bom-ref`s.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use vedette_sbom::Sbom;
use vedette_sbom::format::cyclonedx;

use crate::finding::{Finding, FixState, Report, Severity, VulnFinding};

/// The SBOM of a vulnerability report, rebuilt from its packages.
pub fn sbom_of(report: &Report) -> Sbom {
    Sbom {
        source: report.target.clone(),
        distro: report.distro.clone(),
        packages: report.packages.clone(),
        diagnostics: Vec::new(),
    }
}

/// The report as a CycloneDX 1.6 document with `vulnerabilities`.
pub fn render(report: &Report) -> Value {
    let sbom = sbom_of(report);
    let mut doc = cyclonedx::write(&sbom);
    let refs = cyclonedx::bom_refs(&sbom);
    // Package identity → bom-ref (packages are unique by purl and version).
    let by_package: BTreeMap<(&str, &str, &str), &str> = sbom
        .packages
        .iter()
        .zip(&refs)
        .map(|(p, r)| {
            (
                (p.purl.as_str(), p.name.as_str(), p.version.as_str()),
                r.as_str(),
            )
        })
        .collect();
    // One vulnerability entry per problem, affecting every package it hits.
    let mut order: Vec<&str> = Vec::new();
    let mut grouped: BTreeMap<&str, Vec<&VulnFinding>> = BTreeMap::new();
    for finding in &report.findings {
        if let Finding::Vulnerability(v) = finding {
            let entry = grouped.entry(v.id.as_str()).or_default();
            if entry.is_empty() {
                order.push(v.id.as_str());
            }
            entry.push(v);
        }
    }
    let vulnerabilities: Vec<Value> = order
        .iter()
        .filter_map(|id| grouped.get(id))
        .filter_map(|group| vulnerability(group, &by_package))
        .collect();
    if let Some(map) = doc.as_object_mut() {
        map.insert("vulnerabilities".to_string(), Value::Array(vulnerabilities));
    }
    doc
}

fn vulnerability(
    group: &[&VulnFinding],
    by_package: &BTreeMap<(&str, &str, &str), &str>,
) -> Option<Value> {
    let first = group.first()?;
    let mut affects = Vec::new();
    let mut recommendations = Vec::new();
    for v in group {
        let key = (
            v.package.purl.as_str(),
            v.package.name.as_str(),
            v.package.version.as_str(),
        );
        let Some(bom_ref) = by_package.get(&key) else {
            continue;
        };
        affects.push(json!({
            "ref": bom_ref,
            "versions": [{"version": v.package.version, "status": "affected"}],
        }));
        match (v.state, &v.fixed_version) {
            (FixState::Fixed, Some(fixed)) => recommendations.push(format!(
                "Upgrade {} from {} to {fixed} or later.",
                v.package.name, v.package.version
            )),
            (state, _) => recommendations.push(format!(
                "{} {}: {}.",
                v.package.name,
                v.package.version,
                state.as_str()
            )),
        }
    }
    let mut ratings: Vec<Value> = first
        .cvss
        .iter()
        .filter_map(|c| {
            let method = match c.version.as_str() {
                "2.0" => "CVSSv2",
                "3.0" => "CVSSv3",
                "3.1" => "CVSSv31",
                "4.0" => "CVSSv4",
                _ => return None,
            };
            let mut rating = json!({
                "source": {"name": c.source},
                "method": method,
                "vector": c.vector,
            });
            if let Some(score) = c.score {
                rating["score"] = json!(score);
                rating["severity"] = json!(cdx_severity(
                    vedette_vulndb::db::model::SeverityLevel::from_cvss(&c.version, score).into()
                ));
            }
            Some(rating)
        })
        .collect();
    ratings.push(json!({
        "source": {"name": "vedette"},
        "severity": cdx_severity(first.severity),
        "method": "other",
    }));
    let mut vuln = json!({
        "bom-ref": format!("vuln:{}", first.id),
        "id": first.id,
        "source": source_of(&first.id),
        "ratings": ratings,
        "affects": affects,
    });
    let references: Vec<Value> = first
        .aliases
        .iter()
        .map(|alias| json!({"id": alias, "source": source_of(alias)}))
        .collect();
    if !references.is_empty() {
        vuln["references"] = Value::Array(references);
    }
    if let Some(title) = &first.title {
        vuln["description"] = json!(title);
    }
    if !recommendations.is_empty() {
        vuln["recommendation"] = json!(recommendations.join(" "));
    }
    let advisories: Vec<Value> = first
        .references
        .iter()
        .filter(|r| {
            (r.starts_with("https://") || r.starts_with("http://"))
                && !r.contains(char::is_whitespace)
        })
        .map(|r| json!({"url": r}))
        .collect();
    if !advisories.is_empty() {
        vuln["advisories"] = Value::Array(advisories);
    }
    if let Some(published) = first.published.as_deref().filter(|t| is_date_time(t)) {
        vuln["published"] = json!(published);
    }
    if let Some(updated) = first.modified.as_deref().filter(|t| is_date_time(t)) {
        vuln["updated"] = json!(updated);
    }
    let mut properties = Vec::new();
    if let Some(epss) = first.epss {
        properties.push(json!({"name": "vedette:epss:score", "value": epss.score.to_string()}));
        properties
            .push(json!({"name": "vedette:epss:percentile", "value": epss.percentile.to_string()}));
    }
    if let Some(kev) = &first.kev {
        properties.push(json!({"name": "vedette:kev:date-added", "value": kev.date_added}));
        properties
            .push(json!({"name": "vedette:kev:ransomware", "value": kev.ransomware.to_string()}));
    }
    if !properties.is_empty() {
        vuln["properties"] = Value::Array(properties);
    }
    Some(vuln)
}

/// CycloneDX's severity words.
fn cdx_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
        Severity::Unknown => "unknown",
    }
}

/// The database an id comes from, by its prefix.
fn source_of(id: &str) -> Value {
    let prefix = id.split('-').next().unwrap_or("");
    match prefix {
        "CVE" => json!({"name": "NVD", "url": format!("https://nvd.nist.gov/vuln/detail/{id}")}),
        "GHSA" => json!({"name": "GitHub", "url": format!("https://github.com/advisories/{id}")}),
        _ => json!({"name": prefix, "url": format!("https://osv.dev/vulnerability/{id}")}),
    }
}

fn is_date_time(text: &str) -> bool {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok()
}
