//! The subcommands.

mod console;
mod db;
mod dev;
mod sbom;
mod scan;
mod sensor;

use clap::{Subcommand, ValueEnum};

/// How logs are written.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Every subcommand.
// Parsed once at start and matched once: the size of the largest variant
// (the console's many settings) costs nothing worth a box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the Management Console (web UI, REST API and sensor endpoints on one HTTPS port),
    /// or manage it from the shell.
    Console(console::ConsoleArgs),
    /// Run the sensor: report this host's processes, connections, containers and images to
    /// the console.
    Sensor(sensor::SensorArgs),
    /// Build, sign, update, import and inspect the vulnerability DB.
    Db(db::DbArgs),
    /// Developer tools: the sensor fleet simulator for capacity tests.
    #[command(hide = true)]
    Dev(dev::DevArgs),
    /// Scan an image, a directory tree or an SBOM for vulnerabilities, or files for secrets
    /// and malware; table, JSON, SARIF, CycloneDX and SPDX output, exit code 3 on --fail-on.
    Scan(scan::ScanArgs),
    /// Write the SBOM (CycloneDX 1.6 or SPDX 2.3 JSON) of a directory tree or an image.
    Sbom(sbom::SbomArgs),
}

/// Sets up `tracing` on standard error.
pub fn init_logging(format: LogFormat, filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: log files and pipes get plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Runs a subcommand.
pub async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Console(args) => console::run(args).await,
        Command::Sensor(args) => sensor::run(args).await,
        Command::Db(args) => db::run(args).await,
        Command::Dev(args) => dev::run(args).await,
        Command::Scan(args) => scan::run(args).await,
        Command::Sbom(args) => sbom::run(args).await,
    }
}
