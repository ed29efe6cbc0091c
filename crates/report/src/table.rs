//! The table people read in a terminal or a CI log: a summary line, then
//! one row per finding, most severe first.

use comfy_table::{ContentArrangement, Table, presets};

use crate::finding::{Finding, FixState, ImageLayer, Report, ScanKind};

/// Longest title shown in a cell (the JSON has the whole text).
const TITLE_WIDTH: usize = 70;
/// Aliases shown under an id.
const ALIASES_SHOWN: usize = 3;

/// The report as text: summary, table (when there are findings), notes.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!("Target: {}", report.target));
    if let Some(d) = &report.distro {
        let name = if d.pretty_name.is_empty() {
            format!("{} {}", d.id, d.version_id)
        } else {
            d.pretty_name.clone()
        };
        out.push_str(&format!(" ({name})"));
    }
    out.push('\n');
    let noun = match report.kind {
        ScanKind::Vulnerabilities => "Vulnerabilities",
        ScanKind::Secrets => "Secrets",
        ScanKind::Malware => "Malware matches",
    };
    let counts: Vec<String> = report
        .summary
        .by_severity
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    out.push_str(&format!("{noun}: {}", report.summary.total));
    if !counts.is_empty() {
        out.push_str(&format!(" ({})", counts.join(", ")));
    }
    if report.kind == ScanKind::Vulnerabilities {
        out.push_str(&format!(
            ", {} in KEV; {} packages",
            report.summary.kev, report.summary.packages
        ));
    } else {
        out.push_str(&format!(
            "; {} files, {} bytes scanned",
            report.summary.files_scanned, report.summary.bytes_scanned
        ));
    }
    out.push('\n');
    let hidden = [
        (report.summary.ignored, "ignored by the ignore file"),
        (report.summary.filtered_severity, "hidden by --severity"),
        (
            report.summary.filtered_unfixed,
            "hidden by --ignore-unfixed",
        ),
        (
            report.summary.kernel_packages_skipped,
            "kernel packages not matched",
        ),
    ];
    let hidden: Vec<String> = hidden
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
    if !hidden.is_empty() {
        out.push_str(&format!("({})\n", hidden.join("; ")));
    }
    if !report.findings.is_empty() {
        out.push('\n');
        out.push_str(&table(report).to_string());
        out.push('\n');
    }
    if !report.errors.is_empty() {
        out.push_str(&format!(
            "\n{} file(s) could not be fully read (listed in --format json)\n",
            report.errors.len()
        ));
    }
    out
}

fn new_table(header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(header.to_vec());
    table
}

fn table(report: &Report) -> Table {
    let mut table = match report.kind {
        ScanKind::Vulnerabilities => new_table(&[
            "PACKAGE",
            "INSTALLED",
            "FIXED",
            "VULNERABILITY",
            "SEVERITY",
            "EPSS",
            "KEV",
            "TITLE",
        ]),
        ScanKind::Secrets => new_table(&["SEVERITY", "RULE", "LOCATION", "MATCH", "CONFIDENCE"]),
        ScanKind::Malware => new_table(&["SEVERITY", "RULE", "FILE", "DESCRIPTION", "SHA-256"]),
    };
    for finding in &report.findings {
        table.add_row(row(finding));
    }
    table
}

fn row(finding: &Finding) -> Vec<String> {
    match finding {
        Finding::Vulnerability(v) => {
            let fixed = match v.state {
                FixState::Fixed => v.fixed_version.clone().unwrap_or_default(),
                other => format!("({})", other.as_str()),
            };
            let mut id = v.id.clone();
            let aliases: Vec<&str> = v
                .aliases
                .iter()
                .take(ALIASES_SHOWN)
                .map(String::as_str)
                .collect();
            if !aliases.is_empty() {
                id.push_str(&format!("\n({})", aliases.join(", ")));
                if v.aliases.len() > ALIASES_SHOWN {
                    id.push_str(&format!(" +{}", v.aliases.len() - ALIASES_SHOWN));
                }
            }
            vec![
                v.package.name.clone(),
                v.package.version.clone(),
                fixed,
                id,
                v.severity.to_string(),
                v.epss
                    .map(|e| format!("{:.2}%", e.score * 100.0))
                    .unwrap_or_else(|| "-".into()),
                if v.kev.is_some() { "yes" } else { "" }.to_string(),
                shorten(v.title.as_deref().unwrap_or("")),
            ]
        }
        Finding::Secret(s) => vec![
            s.severity.to_string(),
            format!("{}\n{}", s.rule_id, shorten(&s.rule_name)),
            with_layer(format!("{}:{}:{}", s.path, s.line, s.column), &s.layer),
            s.masked.clone(),
            s.confidence.clone(),
        ],
        Finding::Malware(m) => {
            let file = match &m.member {
                Some(member) => format!("{}!{member}", m.path),
                None => m.path.clone(),
            };
            vec![
                m.severity.to_string(),
                m.rule_id.clone(),
                with_layer(file, &m.layer),
                shorten(m.description.as_deref().unwrap_or("")),
                m.sha256.chars().take(16).collect::<String>(),
            ]
        }
    }
}

/// `location`, and below it the image layer it was found in, if any.
fn with_layer(location: String, layer: &Option<ImageLayer>) -> String {
    match layer {
        Some(layer) => format!("{location}\n({})", layer.describe()),
        None => location,
    }
}

/// The first line of `text`, cut at [`TITLE_WIDTH`] characters.
fn shorten(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    if line.chars().count() <= TITLE_WIDTH {
        return line.to_string();
    }
    let cut: String = line.chars().take(TITLE_WIDTH - 1).collect();
    format!("{cut}…")
}
