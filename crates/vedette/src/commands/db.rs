//! `vedette db`: build and sign the vulnerability DB from feeds, make
//! signing keys, fetch a published DB over HTTPS, import one offline, and
//! show the installed DB's state.
//!
//! Trust model: a DB is installed only when its ed25519 signature verifies
//! with the operator's trusted public key and its payload matches the
//! signed SHA-256; installation is an atomic rename, so a failed or
//! tampered download leaves the previous DB in place.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use vedette_vulndb::db::build::Builder;
use vedette_vulndb::db::{Header, file, install, key_id, keys};

/// Options of `vedette db`.
#[derive(Debug, Args)]
pub struct DbArgs {
    #[command(subcommand)]
    action: DbAction,
}

#[derive(Debug, Subcommand)]
enum DbAction {
    /// Build a signed DB file from a feed directory (osv/, alpine/, debian/, nvd/, epss/, kev/).
    Build(BuildArgs),
    /// Generate an ed25519 key pair to sign DBs (private key written with mode 0600).
    Keygen(KeygenArgs),
    /// Download a published DB over HTTPS, verify its signature and checksum, install it atomically.
    Update(UpdateArgs),
    /// Verify and install a DB file (air-gapped sites).
    Import(ImportArgs),
    /// Show the installed DB: schema version, build time, age, feeds and counts.
    Status(StatusArgs),
}

/// Where the installed DB lives (shared with `vedette scan`).
#[derive(Debug, Args)]
pub(crate) struct DbPath {
    /// The installed DB file.
    #[arg(
        long,
        env = "VEDETTE_DB",
        default_value = "/var/lib/vedette/vulndb/vedette.db"
    )]
    pub(crate) db: PathBuf,
}

/// The key DBs must be signed with (shared with `vedette scan`).
#[derive(Debug, Args)]
pub(crate) struct TrustedKey {
    /// PEM public key (from `vedette db keygen` or the DB publisher) that DBs must be signed with.
    #[arg(
        long,
        env = "VEDETTE_DB_PUBLIC_KEY",
        default_value = "/etc/vedette/vulndb.pub"
    )]
    pub(crate) public_key: PathBuf,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Feed directory, laid out by kind: osv/ alpine/ debian/ nvd/ epss/ kev/.
    #[arg(long)]
    feeds: PathBuf,
    /// Where to write the DB file.
    #[arg(long)]
    output: PathBuf,
    /// PEM private key (PKCS#8 ed25519) to sign with.
    #[arg(long, env = "VEDETTE_DB_SIGNING_KEY")]
    signing_key: PathBuf,
    /// zstd compression level (1-22; higher is smaller and slower to build, not to load).
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(i32).range(1..=22))]
    zstd_level: i32,
    /// Fail when any feed file or record had to be left out.
    #[arg(long)]
    strict: bool,
}

#[derive(Debug, Args)]
struct KeygenArgs {
    /// Private key file to create (mode 0600; never overwritten).
    #[arg(long, default_value = "vulndb.key")]
    private_key: PathBuf,
    /// Public key file to create; give it to every site that installs your DBs.
    #[arg(long, default_value = "vulndb.pub")]
    public_key: PathBuf,
}

#[derive(Debug, Args)]
struct UpdateArgs {
    /// HTTPS address of the published DB file.
    #[arg(long, env = "VEDETTE_DB_URL")]
    url: String,
    /// Trust only the CA certificates in this PEM file (a private mirror) instead of the system
    /// roots; certificates are always verified.
    #[arg(long, env = "VEDETTE_DB_CA_FILE")]
    ca_file: Option<PathBuf>,
    /// Largest download accepted, in bytes.
    #[arg(long, default_value_t = 4 << 30)]
    max_size: u64,
    /// Install even if the download was built before the installed DB.
    #[arg(long)]
    allow_older: bool,
    #[command(flatten)]
    path: DbPath,
    #[command(flatten)]
    key: TrustedKey,
}

#[derive(Debug, Args)]
struct ImportArgs {
    /// The DB file to verify and install.
    file: PathBuf,
    /// Install even if the file was built before the installed DB.
    #[arg(long)]
    allow_older: bool,
    #[command(flatten)]
    path: DbPath,
    #[command(flatten)]
    key: TrustedKey,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// Warn when the DB is older than this (e.g. 7d, 36h).
    #[arg(long, default_value = "7d", env = "VEDETTE_DB_MAX_AGE", value_parser = humantime::parse_duration)]
    max_age: Duration,
    #[command(flatten)]
    path: DbPath,
    #[command(flatten)]
    key: TrustedKey,
}

/// Runs `vedette db …`.
pub async fn run(args: DbArgs) -> anyhow::Result<()> {
    match args.action {
        DbAction::Build(a) => build(a),
        DbAction::Keygen(a) => keygen(a),
        DbAction::Update(a) => update(a).await,
        DbAction::Import(a) => import(a),
        DbAction::Status(a) => status(a),
    }
}

fn build(args: BuildArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let key = keys::read_signing_key(&args.signing_key)?;
    let mut builder = Builder::new();
    builder
        .add_feed_dir(&args.feeds)
        .with_context(|| format!("reading feeds from {}", args.feeds.display()))?;
    let built = builder.finish();
    for w in &built.warnings {
        tracing::warn!(warning = %w, "left out of the DB");
    }
    if args.strict && !built.warnings.is_empty() {
        bail!(
            "{} feed files or records were left out (see warnings); not writing {}",
            built.warnings.len(),
            args.output.display()
        );
    }
    let counts = built.header.counts.clone();
    let bytes = file::encode(built.header, &built.payload, &key, args.zstd_level)?;
    write_file(&args.output, &bytes)?;
    println!(
        "wrote {}: {} bytes, {} problems, {} advisories, {} affected entries, {} warnings, in {:.1?}",
        args.output.display(),
        bytes.len(),
        counts.vulnerabilities,
        counts.advisories,
        counts.affected,
        built.warnings.len(),
        started.elapsed()
    );
    println!("signed with key {}", key_id(&key.verifying_key()));
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename.
fn write_file(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.with_context(|| format!("writing {}", path.display()))
}

fn keygen(args: KeygenArgs) -> anyhow::Result<()> {
    let key = keys::generate()?;
    keys::write_key_pair(&key, &args.private_key, &args.public_key)?;
    println!(
        "private key: {} (keep it secret)\npublic key:  {}\nkey id:      {}",
        args.private_key.display(),
        args.public_key.display(),
        key_id(&key.verifying_key())
    );
    Ok(())
}

/// Verifies `bytes` against the trusted key and installs them at `db`,
/// unless the installed DB is newer (and `allow_older` is off).
fn verify_and_install(
    bytes: &[u8],
    origin: &str,
    key: &TrustedKey,
    db: &Path,
    allow_older: bool,
) -> anyhow::Result<()> {
    let trusted = keys::read_verifying_key(&key.public_key)
        .context("reading the trusted public key (--public-key)")?;
    let verified = file::verify(bytes, &trusted)
        .with_context(|| format!("{origin} was not installed; {} is unchanged", db.display()))?;
    if let Ok(current) = std::fs::read(db)
        && let Ok(current) = file::verify(&current, &trusted)
    {
        if current.bytes == verified.bytes {
            println!(
                "{} is already up to date (built {})",
                db.display(),
                current.header.built_at
            );
            return Ok(());
        }
        if !allow_older && built_before(&verified.header, &current.header) {
            bail!(
                "{origin} was built at {}, before the installed DB ({}); not installed \
                 (use --allow-older to go back)",
                verified.header.built_at,
                current.header.built_at
            );
        }
    }
    install::install(&verified, db)?;
    println!(
        "installed {} ({} bytes, built {}, {} problems) from {origin}",
        db.display(),
        bytes.len(),
        verified.header.built_at,
        verified.header.counts.vulnerabilities
    );
    Ok(())
}

fn built_before(new: &Header, old: &Header) -> bool {
    let now = SystemTime::now();
    match (new.age(now), old.age(now)) {
        (Some(new_age), Some(old_age)) => new_age > old_age,
        _ => false,
    }
}

async fn update(args: UpdateArgs) -> anyhow::Result<()> {
    if !args.url.starts_with("https://") {
        bail!("--url must be an https:// address, got {}", args.url);
    }
    let client = match &args.ca_file {
        Some(ca) => vedette_client::client(&vedette_client::Trust::CaFile(ca.clone()))?,
        None => reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("vedette/", env!("CARGO_PKG_VERSION")))
            .build()?,
    };
    let mut response = client
        .get(&args.url)
        .send()
        .await
        .with_context(|| format!("downloading {}", args.url))?;
    if !response.status().is_success() {
        bail!("downloading {}: HTTP {}", args.url, response.status());
    }
    if let Some(len) = response.content_length()
        && len > args.max_size
    {
        bail!(
            "{} is {len} bytes, more than --max-size {}",
            args.url,
            args.max_size
        );
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("downloading {} (interrupted)", args.url))?
    {
        if (bytes.len() + chunk.len()) as u64 > args.max_size {
            bail!("{} is larger than --max-size {}", args.url, args.max_size);
        }
        bytes.extend_from_slice(&chunk);
    }
    verify_and_install(
        &bytes,
        &args.url,
        &args.key,
        &args.path.db,
        args.allow_older,
    )
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let len = std::fs::metadata(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?
        .len();
    if len > file::MAX_PAYLOAD_BYTES {
        bail!("{} is {len} bytes: too large for a DB", args.file.display());
    }
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let origin = args.file.display().to_string();
    verify_and_install(&bytes, &origin, &args.key, &args.path.db, args.allow_older)
}

fn status(args: StatusArgs) -> anyhow::Result<()> {
    let db = &args.path.db;
    let bytes = std::fs::read(db).with_context(|| {
        format!(
            "no DB at {} (run `vedette db update` or `vedette db import FILE`)",
            db.display()
        )
    })?;
    let (header, signature) = match keys::read_verifying_key(&args.key.public_key) {
        Ok(trusted) => match file::verify(&bytes, &trusted) {
            Ok(v) => (v.header, format!("valid (key {})", key_id(&trusted))),
            Err(e) => bail!("{}: {e}", db.display()),
        },
        Err(e) => (
            file::read_header_unverified(&bytes)?,
            format!("NOT CHECKED ({e})"),
        ),
    };
    let age = header.age(SystemTime::now());
    println!("DB:             {}", db.display());
    println!("schema version: {}", header.schema_version);
    println!("built at:       {}", header.built_at);
    match age {
        Some(age) => println!(
            "age:            {}",
            humantime::format_duration(Duration::from_secs(age.as_secs()))
        ),
        None => println!("age:            unknown"),
    }
    println!("signature:      {signature}");
    println!("size:           {} bytes", bytes.len());
    println!(
        "contents:       {} problems, {} advisories, {} affected entries",
        header.counts.vulnerabilities, header.counts.advisories, header.counts.affected
    );
    println!("feeds:");
    for f in &header.feeds {
        println!(
            "  {:<8} {:>8} records  {:<32} {}",
            f.kind,
            f.records,
            f.date.as_deref().unwrap_or("-"),
            f.source
        );
    }
    if age.is_none_or(|age| age > args.max_age) {
        eprintln!(
            "warning: the DB is older than {} (built {}); run `vedette db update`",
            humantime::format_duration(args.max_age),
            header.built_at
        );
    }
    Ok(())
}
