//! SARIF 2.1.0 (OASIS): one run, one rule per vulnerability / secret rule /
//! YARA rule, one result per finding, as code-scanning services (GitHub,
//! GitLab, Azure DevOps) read it. Built with `serde-sarif`'s types; the
//! tests validate the output against the official schema.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use serde_sarif::sarif;

use crate::finding::{Finding, FixState, Report, Severity};

/// Where the schema is published (what `$schema` says).
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The report as a SARIF 2.1.0 log.
pub fn render(report: &Report) -> Value {
    let mut rules: Vec<sarif::ReportingDescriptor> = Vec::new();
    let mut rule_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = Vec::new();
    for finding in &report.findings {
        let id = finding.id().to_string();
        let index = *rule_index.entry(id.clone()).or_insert_with(|| {
            rules.push(rule(finding));
            rules.len() - 1
        });
        results.push(result(report, finding, index));
    }
    let driver = sarif::ToolComponent::builder()
        .name("vedette")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri("https://example.invalid/vedette/docs/scan.md")
        .rules(rules)
        .build();
    let mut run_properties = BTreeMap::new();
    run_properties.insert("target".to_string(), json!(report.target));
    run_properties.insert("kind".to_string(), json!(report.kind));
    if let Some(db) = &report.db {
        run_properties.insert("vulnerabilityDbBuiltAt".to_string(), json!(db.built_at));
    }
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(run_properties)
                .build(),
        )
        .build();
    let log = sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(json!("2.1.0"))
        .runs(vec![run])
        .build();
    serde_json::to_value(log).unwrap_or(Value::Null)
}

/// SARIF's level for a severity.
fn level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Critical | Severity::High => sarif::ResultLevel::Error,
        Severity::Medium => sarif::ResultLevel::Warning,
        Severity::Low | Severity::Info | Severity::Unknown => sarif::ResultLevel::Note,
    }
}

/// The `security-severity` property code-scanning services sort by (a CVSS
/// score, or the middle of the severity's band).
fn security_severity(finding: &Finding) -> String {
    if let Finding::Vulnerability(v) = finding
        && let Some((_, score)) = v.best_score()
    {
        return format!("{score:.1}");
    }
    match finding.severity() {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Info | Severity::Unknown => "0.0",
    }
    .to_string()
}

fn rule(finding: &Finding) -> sarif::ReportingDescriptor {
    let title = finding.title();
    let short = if title.is_empty() {
        finding.id().to_string()
    } else {
        title.lines().next().unwrap_or_default().to_string()
    };
    let mut props = BTreeMap::new();
    props.insert(
        "security-severity".to_string(),
        json!(security_severity(finding)),
    );
    props.insert("severity".to_string(), json!(finding.severity().as_str()));
    let (tags, help, help_uri) = match finding {
        Finding::Vulnerability(v) => {
            if !v.aliases.is_empty() {
                props.insert("aliases".to_string(), json!(v.aliases));
            }
            if let Some((cvss, score)) = v.best_score() {
                props.insert(
                    "cvss".to_string(),
                    json!({"version": cvss.version, "vector": cvss.vector, "score": score}),
                );
            }
            if let Some(epss) = v.epss {
                props.insert("epss".to_string(), json!(epss.score));
            }
            if let Some(kev) = &v.kev {
                props.insert("kev".to_string(), json!(kev.date_added));
            }
            let mut help = format!("{}: {short}", v.id);
            if !v.references.is_empty() {
                help.push_str("\n\nReferences:\n");
                for r in v.references.iter().take(10) {
                    help.push_str(&format!("- {r}\n"));
                }
            }
            (
                vec!["security".to_string(), "vulnerability".to_string()],
                help,
                v.references.first().cloned(),
            )
        }
        Finding::Secret(s) => (
            vec!["security".to_string(), "secret".to_string()],
            format!(
                "{}: a credential matching rule `{}` was found. Revoke and rotate it, then remove it from the file (and its history).",
                s.rule_name, s.rule_id
            ),
            None,
        ),
        Finding::Malware(m) => {
            let mut tags = vec!["security".to_string(), "malware".to_string()];
            tags.extend(m.tags.iter().cloned());
            (
                tags,
                format!(
                    "YARA rule {} matched{}",
                    m.rule_id,
                    m.description
                        .as_deref()
                        .map(|d| format!(": {d}"))
                        .unwrap_or_default()
                ),
                None,
            )
        }
    };
    let mut rule = sarif::ReportingDescriptor::builder()
        .id(finding.id())
        .name(rule_name(finding))
        .short_description(
            sarif::MultiformatMessageString::builder()
                .text(short)
                .build(),
        )
        .help(
            sarif::MultiformatMessageString::builder()
                .text(help)
                .build(),
        )
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(json!(level(finding.severity())))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(tags)
                .additional_properties(props)
                .build(),
        )
        .build();
    rule.full_description = full_description(finding).map(|full| {
        sarif::MultiformatMessageString::builder()
            .text(full)
            .build()
    });
    rule.help_uri = help_uri.filter(|uri| is_uri(uri));
    rule
}

fn full_description(finding: &Finding) -> Option<String> {
    match finding {
        Finding::Vulnerability(v) => v.title.clone(),
        Finding::Secret(s) => Some(s.rule_name.clone()),
        Finding::Malware(m) => m.description.clone(),
    }
}

/// A PascalCase-free readable name (SARIF names are identifiers, not titles).
fn rule_name(finding: &Finding) -> String {
    match finding {
        Finding::Vulnerability(v) => v.id.clone(),
        Finding::Secret(s) => s.rule_id.clone(),
        Finding::Malware(m) => m.rule.clone(),
    }
}

fn result(report: &Report, finding: &Finding, index: usize) -> sarif::Result {
    let (text, path, region, fingerprints, props) = match finding {
        Finding::Vulnerability(v) => {
            let fix = match (v.state, &v.fixed_version) {
                (FixState::Fixed, Some(fixed)) => format!("fixed in {fixed}"),
                (state, _) => state.as_str().to_string(),
            };
            let text = format!(
                "Package {} {} is affected by {} ({}, {}).",
                v.package.name,
                v.package.version,
                v.id,
                v.severity.as_str().to_ascii_lowercase(),
                fix
            );
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert(
                "vulnerability/v1".to_string(),
                format!("{}|{}|{}", v.id, v.package.purl, v.package.version),
            );
            let props = json!({
                "purl": v.package.purl,
                "installedVersion": v.package.version,
                "fixedVersion": v.fixed_version,
                "fixState": v.state,
            });
            (
                text,
                v.package
                    .locations
                    .first()
                    .cloned()
                    .unwrap_or_else(|| report.target.clone()),
                None,
                fingerprints,
                props,
            )
        }
        Finding::Secret(s) => {
            let text = format!(
                "{} ({} confidence): {}",
                s.rule_name, s.confidence, s.masked
            );
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert("secretSha256/v1".to_string(), s.secret_sha256.clone());
            let region = sarif::Region::builder()
                .start_line(i64::from(s.line.max(1)))
                .start_column(i64::from(s.column.max(1)))
                .build();
            let props = json!({
                "masked": s.masked,
                "secretSha256": s.secret_sha256,
                "secretLength": s.secret_len,
                "confidence": s.confidence,
                "layer": s.layer,
            });
            (text, s.path.clone(), Some(region), fingerprints, props)
        }
        Finding::Malware(m) => {
            let strings: Vec<String> = m
                .strings
                .iter()
                .map(|s| format!("{}@{:#x}", s.identifier, s.offset))
                .collect();
            let inside = m
                .member
                .as_deref()
                .map(|member| format!(" (member {member})"))
                .unwrap_or_default();
            let text = format!(
                "YARA rule {} matched{inside}{}",
                m.rule_id,
                if strings.is_empty() {
                    String::new()
                } else {
                    format!(": {}", strings.join(", "))
                }
            );
            let mut fingerprints = BTreeMap::new();
            fingerprints.insert("sha256/v1".to_string(), m.sha256.clone());
            let props = json!({
                "sha256": m.sha256,
                "namespace": m.namespace,
                "tags": m.tags,
                "member": m.member,
                "layer": m.layer,
            });
            (text, m.path.clone(), None, fingerprints, props)
        }
    };
    // Image findings name their layer in the message too: a viewer that
    // ignores properties still shows where the file is.
    let text = match finding.layer() {
        Some(layer) => format!("{text} [{}]", layer.describe()),
        None => text,
    };
    let mut physical = sarif::PhysicalLocation::builder()
        .artifact_location(
            sarif::ArtifactLocation::builder()
                .uri(to_uri(&path))
                .build(),
        )
        .build();
    physical.region = region;
    let location = sarif::Location::builder()
        .physical_location(physical)
        .build();
    let props: BTreeMap<String, Value> = match props {
        Value::Object(map) => map.into_iter().filter(|(_, v)| !v.is_null()).collect(),
        _ => BTreeMap::new(),
    };
    sarif::Result::builder()
        .rule_id(finding.id())
        .rule_index(index as i64)
        .level(level(finding.severity()))
        .message(sarif::Message::builder().text(text).build())
        .locations(vec![location])
        .partial_fingerprints(fingerprints)
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(props)
                .build(),
        )
        .build()
}

/// A relative URI reference for a path inside the scanned target:
/// leading `/` dropped, characters outside RFC 3986's unreserved and
/// sub-delimiter sets percent-encoded.
fn to_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.trim_start_matches('/').bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte);
        if keep {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    if out.is_empty() { ".".to_string() } else { out }
}

fn is_uri(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && !text.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_relative_uri_references() {
        assert_eq!(to_uri("/usr/lib/a b.jar"), "usr/lib/a%20b.jar");
        assert_eq!(
            to_uri("/app/x.war!/WEB-INF/lib/y.jar"),
            "app/x.war!/WEB-INF/lib/y.jar"
        );
        assert_eq!(to_uri("/"), ".");
        assert_eq!(to_uri("/tmp/é"), "tmp/%C3%A9");
    }
}
