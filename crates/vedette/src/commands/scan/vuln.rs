//! `vedette scan image|fs|sbom`: an SBOM (cataloged or read), the signed
//! vulnerability DB, the report.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use clap::Args;
use vedette_sbom::Sbom;
use vedette_vulndb::db::{VulnDb, keys};

use super::target::{self, Target};
use super::{OutputArgs, PolicyArgs, conclude, progress};
use crate::commands::db::{DbPath, TrustedKey};

/// The vulnerability DB to match against.
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(flatten)]
    path: DbPath,
    #[command(flatten)]
    key: TrustedKey,
    /// Warn when the DB is older than this (e.g. 7d, 36h).
    #[arg(long, default_value = "7d", env = "VEDETTE_DB_MAX_AGE", value_parser = humantime::parse_duration)]
    max_age: Duration,
}

/// Options every vulnerability scan shares.
#[derive(Debug, Args)]
pub struct VulnOptions {
    #[command(flatten)]
    db: DbArgs,
    /// Leave out vulnerabilities that have no fixed version (unfixed, will not fix,
    /// undetermined).
    #[arg(long)]
    ignore_unfixed: bool,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Docker Engine image (name, name:tag, id; `docker:` prefix to force), `docker save`
    /// archive, or OCI layout (directory or tar).
    #[arg(value_name = "NAME|ARCHIVE|OCI-DIR")]
    image: String,
    /// Docker Engine unix socket, for image names.
    #[arg(
        long,
        env = "VEDETTE_DOCKER_SOCKET",
        default_value = "/var/run/docker.sock"
    )]
    docker_socket: PathBuf,
    #[command(flatten)]
    options: VulnOptions,
}

#[derive(Debug, Args)]
pub struct FsArgs {
    /// Directory to scan: a host root, a mounted filesystem, /proc/<pid>/root.
    path: PathBuf,
    #[command(flatten)]
    options: VulnOptions,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// CycloneDX or SPDX JSON document.
    file: PathBuf,
    #[command(flatten)]
    options: VulnOptions,
}

/// Runs `scan image`.
pub async fn image(args: ImageArgs) -> anyhow::Result<()> {
    let target = Target::image(&args.image)?;
    let db = load_db(&args.options.db)?;
    let sbom = catalog(&target, &args.docker_socket).await?;
    report(db, sbom, &args.options)
}

/// Runs `scan fs`.
pub async fn fs(args: FsArgs) -> anyhow::Result<()> {
    let target = Target::dir(&args.path)?;
    let db = load_db(&args.options.db)?;
    let sbom = catalog(&target, std::path::Path::new("/nonexistent")).await?;
    report(db, sbom, &args.options)
}

/// Runs `scan sbom`.
pub async fn sbom(args: SbomArgs) -> anyhow::Result<()> {
    let db = load_db(&args.options.db)?;
    let sbom = read_sbom(&args.file)?;
    report(db, sbom, &args.options)
}

/// Reads a CycloneDX or SPDX document (bounded by the SBOM crate's limit).
pub fn read_sbom(path: &std::path::Path) -> anyhow::Result<Sbom> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if len > vedette_sbom::format::DOCUMENT_LIMIT as u64 {
        bail!(
            "{}: larger than {} bytes",
            path.display(),
            vedette_sbom::format::DOCUMENT_LIMIT
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut sbom = vedette_sbom::format::read(&bytes)
        .with_context(|| format!("{} is not a CycloneDX or SPDX JSON SBOM", path.display()))?;
    if sbom.source.is_empty() {
        sbom.source = format!("sbom:{}", path.display());
    }
    Ok(sbom)
}

/// Catalogs with a spinner.
pub async fn catalog(target: &Target, socket: &std::path::Path) -> anyhow::Result<Sbom> {
    let bar = progress::spinner(format!("cataloging {}", target.describe()));
    let started = Instant::now();
    let sbom = target::catalog(target, socket).await;
    bar.finish_and_clear();
    let sbom = sbom?;
    tracing::debug!(
        packages = sbom.packages.len(),
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        "cataloged"
    );
    Ok(sbom)
}

/// Loads and verifies the DB; a missing DB or key is an error that says
/// what to run, an old DB a warning.
fn load_db(args: &DbArgs) -> anyhow::Result<VulnDb> {
    let path = &args.path.db;
    if !path.exists() {
        bail!(
            "no vulnerability DB at {}: run `vedette db update --url URL` to download one, or \
             `vedette db import FILE` on an air-gapped host (or point --db / VEDETTE_DB at a DB file)",
            path.display()
        );
    }
    let key = keys::read_verifying_key(&args.key.public_key).with_context(|| {
        format!(
            "cannot read the DB publisher's public key {} (set --public-key / VEDETTE_DB_PUBLIC_KEY)",
            args.key.public_key.display()
        )
    })?;
    let bar = progress::spinner("loading the vulnerability DB");
    let started = Instant::now();
    let db = VulnDb::open(path, &key);
    bar.finish_and_clear();
    let db = db.with_context(|| format!("cannot load the vulnerability DB {}", path.display()))?;
    tracing::debug!(
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        vulnerabilities = db.header().counts.vulnerabilities,
        "DB loaded and verified"
    );
    let header = db.header();
    if header
        .age(SystemTime::now())
        .is_none_or(|age| age > args.max_age)
    {
        eprintln!(
            "warning: the vulnerability DB is older than {} (built {}); run `vedette db update` \
             for recent advisories",
            humantime::format_duration(args.max_age),
            header.built_at
        );
    }
    Ok(db)
}

fn report(db: VulnDb, sbom: Sbom, options: &VulnOptions) -> anyhow::Result<()> {
    let started = Instant::now();
    let report = vedette_report::vuln::scan(&db, &sbom);
    tracing::debug!(
        elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
        packages = sbom.packages.len(),
        findings = report.findings.len(),
        "packages matched"
    );
    conclude(
        report,
        &options.policy,
        options.ignore_unfixed,
        &options.output,
    )
}
