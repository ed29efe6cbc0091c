//! `vedette scan secrets TARGET`: the secrets engine over a tree or over
//! every layer of a container image, findings shown masked (the engine never
//! hands out a secret's value).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, anyhow};
use clap::Args;
use vedette_report::finding::{
    Finding, ImageLayer, Report, ScanError, ScanKind, SecretFinding, Severity,
};
use vedette_sbom::source::{ImageLimits, ImageSource};
use vedette_secrets::{ArchiveLimits, RuleFile, Ruleset, ScanOptions, Scanner};

use super::target::{self, Target};
use super::{OutputArgs, PolicyArgs, conclude, findings_only, in_layer, progress};

#[derive(Debug, Args)]
pub struct SecretsArgs {
    /// File or directory, `docker save` archive, OCI layout (directory or tar), or Docker
    /// Engine image name. Prefixes force a kind: `fs:PATH` (a file or directory as it is),
    /// `image:PATH`, `docker:NAME`. Every layer of an image is scanned: a secret deleted by
    /// a later layer is still reported, with its layer.
    #[arg(value_name = "PATH|IMAGE")]
    target: String,
    /// Docker Engine unix socket, for image names.
    #[arg(
        long,
        env = "VEDETTE_DOCKER_SOCKET",
        default_value = "/var/run/docker.sock"
    )]
    docker_socket: PathBuf,
    /// Extra rules, allowlist entries and disabled rules (TOML; see docs/secrets.md).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Also look inside zip/jar/whl, tar and tar.gz archives.
    #[arg(long)]
    archives: bool,
    /// Skip paths matching this glob (relative to PATH, or the path inside an image;
    /// repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Skip test, fixture and vendored folders (test/, testdata/, vendor/, node_modules/…).
    #[arg(long)]
    skip_test_paths: bool,
    /// Largest file scanned, in bytes.
    #[arg(long, default_value_t = 10 << 20)]
    max_file_size: u64,
    /// Worker threads (0: one per CPU).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    output: OutputArgs,
}

/// Runs `scan secrets`.
pub async fn run(args: SecretsArgs) -> anyhow::Result<()> {
    findings_only(args.output.format, "secret")?;
    let target = Target::files(&args.target)?;
    let mut rules = Ruleset::builtin().map_err(|e| anyhow!("built-in secret rules: {e}"))?;
    if let Some(file) = &args.rules {
        let extra = RuleFile::from_path(file)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("invalid rule file {}", file.display()))?;
        rules
            .merge(extra)
            .map_err(|e| anyhow!("{e}"))
            .with_context(|| format!("invalid rule file {}", file.display()))?;
    }
    let options = ScanOptions {
        threads: args.threads,
        max_file_size: args.max_file_size,
        skip_test_paths: args.skip_test_paths,
        exclude_paths: args.exclude.clone(),
        archives: args.archives.then(ArchiveLimits::default),
        ..ScanOptions::default()
    };
    let scanner = Scanner::new(rules, options).map_err(|e| anyhow!("secret rules: {e}"))?;
    let bar = progress::files(format!("scanning {} for secrets:", target.describe()));
    let bytes = Arc::new(AtomicU64::new(0));
    let progress = {
        let bar = bar.clone();
        move |event: &vedette_secrets::ProgressEvent<'_>| {
            let total = bytes.fetch_add(event.bytes, Ordering::Relaxed) + event.bytes;
            bar.inc(1);
            bar.set_message(format!("{} MB", total >> 20));
        }
    };
    let scan = match &target {
        Target::Dir(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                Ok(scanner.scan_path_with_progress(&path, &progress))
            })
        }
        Target::Image(path) => {
            let path = path.clone();
            tokio::task::spawn_blocking(move || {
                let image = ImageSource::open(&path)
                    .with_context(|| format!("cannot read image {}", path.display()))?;
                Ok(scanner.scan_image(&image, &progress))
            })
        }
        Target::Engine(name) => {
            let mut reader = target::engine_stream(name, &args.docker_socket).await?;
            let name = name.clone();
            tokio::task::spawn_blocking(move || {
                scanner
                    .scan_image_stream(&mut reader, ImageLimits::default(), &progress)
                    .with_context(|| {
                        format!("cannot scan image {name} streamed from the Docker Engine")
                    })
            })
        }
    };
    let scanned = scan.await.map_err(|e| anyhow!("scan task failed: {e}"));
    bar.finish_and_clear();
    let scanned = scanned??;
    let mut report = Report::new(ScanKind::Secrets, target.label());
    report.summary.files_scanned = scanned.stats.files_scanned;
    report.summary.bytes_scanned = scanned.stats.bytes_scanned;
    report.findings = scanned
        .findings
        .into_iter()
        .map(|f| {
            Finding::Secret(SecretFinding {
                rule_id: f.rule_id,
                rule_name: f.rule_name,
                severity: Severity::from_word(&f.severity.to_string()),
                confidence: f.confidence.to_string(),
                path: f.file.to_string_lossy().into_owned(),
                line: f.line,
                column: f.column,
                masked: f.masked,
                secret_sha256: f.secret_sha256,
                secret_len: f.secret_len,
                layer: f.layer.map(ImageLayer::from),
            })
        })
        .collect();
    report.errors = scanned
        .errors
        .into_iter()
        .map(|e| ScanError {
            path: in_layer(e.path.to_string_lossy().into_owned(), e.layer),
            message: serde_json::to_value(&e.kind)
                .ok()
                .and_then(|v| {
                    v.get("message")
                        .and_then(|m| m.as_str())
                        .map(str::to_string)
                })
                .unwrap_or_else(|| format!("{:?}", e.kind)),
        })
        .collect();
    report.finish();
    conclude(report, &args.policy, false, &args.output)
}
