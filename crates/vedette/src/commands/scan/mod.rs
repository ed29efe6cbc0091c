//! `vedette scan …`: vulnerabilities of an image, a directory tree or an
//! SBOM; secrets and malware in files. The libraries do the work; this
//! module wires arguments, progress and exit codes. Rendering lives in
//! `vedette-report` so the console can reuse it.

mod malware;
mod progress;
mod secrets;
pub(crate) mod target;
mod vuln;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use vedette_report::policy::{FailOn, Filters, IgnoreList};
use vedette_report::{Report, Severity};

/// Exit code when a `--fail-on` condition is met (0: no finding met it,
/// 1: the scan failed, 2: bad command line).
pub const EXIT_POLICY: i32 = 3;

/// Options of `vedette scan`.
#[derive(Debug, Args)]
#[command(after_long_help = EXIT_CODES)]
pub struct ScanArgs {
    #[command(subcommand)]
    action: ScanAction,
}

const EXIT_CODES: &str = "Exit codes: 0 the scan ran and no --fail-on condition was met; \
1 the scan could not run (bad target, no DB, unreadable file…); 2 invalid command line; \
3 a --fail-on condition was met.";

#[derive(Debug, Subcommand)]
enum ScanAction {
    /// Vulnerabilities of a container image: a Docker Engine image NAME, a `docker save`
    /// ARCHIVE or an OCI layout (directory or tar).
    #[command(after_long_help = EXIT_CODES)]
    Image(vuln::ImageArgs),
    /// Vulnerabilities of the packages installed in a directory tree (a host root, a mounted
    /// filesystem, a running container's /proc/<pid>/root).
    #[command(after_long_help = EXIT_CODES)]
    Fs(vuln::FsArgs),
    /// Vulnerabilities of the packages listed in a CycloneDX or SPDX JSON SBOM (ours or
    /// another tool's).
    #[command(after_long_help = EXIT_CODES)]
    Sbom(vuln::SbomArgs),
    /// Secrets (API keys, tokens, private keys, passwords) in files or in every layer of a
    /// container image, shown masked.
    #[command(after_long_help = EXIT_CODES)]
    Secrets(secrets::SecretsArgs),
    /// Malware: YARA rules (the built-in set, or your own with --rules) over files or every
    /// layer of a container image.
    #[command(after_long_help = EXIT_CODES)]
    Malware(malware::MalwareArgs),
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table for people (most severe first).
    Table,
    /// The full report as JSON.
    Json,
    /// SARIF 2.1.0, for code-scanning services.
    Sarif,
    /// CycloneDX 1.6 JSON: the SBOM with `vulnerabilities` (vulnerability scans).
    Cyclonedx,
    /// SPDX 2.3 JSON: the SBOM (vulnerability scans; SPDX has no vulnerability section).
    Spdx,
}

impl From<OutputFormat> for vedette_report::Format {
    fn from(format: OutputFormat) -> vedette_report::Format {
        match format {
            OutputFormat::Table => vedette_report::Format::Table,
            OutputFormat::Json => vedette_report::Format::Json,
            OutputFormat::Sarif => vedette_report::Format::Sarif,
            OutputFormat::Cyclonedx => vedette_report::Format::CycloneDx,
            OutputFormat::Spdx => vedette_report::Format::Spdx,
        }
    }
}

/// Where and how the report is written.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Table)]
    format: OutputFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
}

/// What is reported and what fails the run.
#[derive(Debug, Args)]
pub struct PolicyArgs {
    /// Report only these severities, comma-separated (UNKNOWN, INFO, LOW, MEDIUM, HIGH,
    /// CRITICAL).
    #[arg(long, value_delimiter = ',', value_name = "SEVERITIES")]
    severity: Vec<Severity>,
    /// Ignore file (YAML, or TOML when it ends in .toml): entries with id, optional package
    /// or path, a required reason and an optional expiry date. See docs/scan.md.
    #[arg(long, env = "VEDETTE_IGNORE_FILE", value_name = "FILE")]
    ignore_file: Option<PathBuf>,
    /// Exit with code 3 when a reported finding is of this severity or higher, or (KEV) is in
    /// CISA's Known Exploited Vulnerabilities catalog; comma-separated conditions, any one fails.
    #[arg(long, value_delimiter = ',', value_name = "SEVERITY|KEV")]
    fail_on: Vec<FailOn>,
}

pub(crate) use vuln::catalog;

/// Runs `vedette scan …`.
pub async fn run(args: ScanArgs) -> anyhow::Result<()> {
    match args.action {
        ScanAction::Image(args) => vuln::image(args).await,
        ScanAction::Fs(args) => vuln::fs(args).await,
        ScanAction::Sbom(args) => vuln::sbom(args).await,
        ScanAction::Secrets(args) => secrets::run(args).await,
        ScanAction::Malware(args) => malware::run(args).await,
    }
}

/// Applies the ignore file and the filters, writes the report, and exits
/// with [`EXIT_POLICY`] when a `--fail-on` condition holds.
fn conclude(
    mut report: Report,
    policy: &PolicyArgs,
    ignore_unfixed: bool,
    output: &OutputArgs,
) -> anyhow::Result<()> {
    if let Some(path) = &policy.ignore_file {
        let list = IgnoreList::load(path).context("invalid ignore file")?;
        let today = time::OffsetDateTime::now_utc().date();
        for warning in list.apply(&mut report, today) {
            eprintln!("warning: {}: {warning}", path.display());
        }
    }
    Filters {
        severities: policy.severity.clone(),
        ignore_unfixed,
    }
    .apply(&mut report);
    let text = vedette_report::render(&report, output.format.into());
    write_output(output.output.as_deref(), &text)?;
    let mut failed = false;
    for condition in &policy.fail_on {
        let violations = condition.violations(&report);
        if !violations.is_empty() {
            failed = true;
            eprintln!(
                "policy: {} finding(s) {} (--fail-on), e.g. {}",
                violations.len(),
                condition.describe(),
                violations
                    .iter()
                    .take(5)
                    .map(|f| f.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    if failed {
        // Everything is written and flushed; nothing else to clean up.
        std::process::exit(EXIT_POLICY);
    }
    Ok(())
}

/// Writes `text` to `path` (through a temporary file renamed into place) or
/// to standard output.
pub(crate) fn write_output(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(path) => {
            let dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            let name = path.file_name().context("--output needs a file name")?;
            let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
            std::fs::write(&tmp, text)
                .and_then(|()| std::fs::rename(&tmp, path))
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("report written to {}", path.display());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .context("cannot write the report to standard output")?;
        }
    }
    Ok(())
}

/// Refuses SBOM formats for scans that have no packages.
fn findings_only(format: OutputFormat, what: &str) -> anyhow::Result<()> {
    if matches!(format, OutputFormat::Cyclonedx | OutputFormat::Spdx) {
        bail!(
            "SBOM formats describe packages; {what} scans support --format table, json and sarif"
        );
    }
    Ok(())
}

/// `path`, followed by its image layer when it has one (for per-file errors).
fn in_layer(path: String, layer: Option<vedette_sbom::source::LayerRef>) -> String {
    match layer {
        Some(layer) => format!(
            "{path} ({})",
            vedette_report::finding::ImageLayer::from(layer).describe()
        ),
        None => path,
    }
}
