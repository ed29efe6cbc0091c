//! The `vedette` binary: command-line wiring only. Each subcommand lives in
//! `commands/` and calls into the library crates.

mod commands;

use clap::Parser;

/// Vedette: security observability for hosts, containers and Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "vedette", version, about, long_about = None, propagate_version = true)]
struct Cli {
    /// Log format on standard error.
    #[arg(long, global = true, value_enum, default_value_t = commands::LogFormat::Text, env = "VEDETTE_LOG_FORMAT")]
    log_format: commands::LogFormat,

    /// Log filter, e.g. `info`, `debug`, `vedette_console=debug` (RUST_LOG syntax).
    #[arg(long, global = true, default_value = "info", env = "VEDETTE_LOG")]
    log: String,

    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    commands::init_logging(cli.log_format, &cli.log);
    // The sensor does little work per interval: one thread keeps its footprint small.
    // Everything else (console, scans, DB builds) uses every core.
    let mut builder = match cli.command {
        commands::Command::Sensor(_) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
