//! `vedette dev`: tools for developing and sizing Vedette, not for
//! production hosts. `vedette dev simulate-sensors` drives a fleet of virtual
//! sensors against a console and reports its capacity (see docs/console.md,
//! "Capacity").

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use vedette_sensor::config::{Trust, parse_fingerprint};
use vedette_simulator::verify::AdminAuth;
use vedette_simulator::{Outcome, SimulationConfig};

/// Options of `vedette dev`.
#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(subcommand)]
    command: DevCommand,
}

#[derive(Debug, Subcommand)]
enum DevCommand {
    /// Drive N virtual sensors (each a realistic, changing host: ~100 processes, 20 containers,
    /// ~180 sockets) against a console; print ingest rate and report latency, then check
    /// with an admin login that every sensor is online and nothing was lost.
    SimulateSensors(SimulateArgs),
}

/// Options of `vedette dev simulate-sensors`.
#[derive(Debug, Args)]
struct SimulateArgs {
    /// Number of virtual sensors (1–50000).
    #[arg(long, default_value_t = 100)]
    count: usize,

    /// The console's URL (e.g. `https://127.0.0.1:8443`).
    #[arg(long, env = "VEDETTE_CONSOLE_URL")]
    console_url: String,

    /// The console's sensor API key (`vsk_…`).
    #[arg(long, env = "VEDETTE_API_KEY", hide_env_values = true)]
    api_key: String,

    /// Trust the console by its certificate's SHA-256 fingerprint (`SHA256:<hex>`).
    #[arg(long, env = "VEDETTE_CONSOLE_FINGERPRINT", conflicts_with = "ca_file")]
    console_fingerprint: Option<String>,

    /// Trust the console through the CA certificates in this PEM file.
    #[arg(long, env = "VEDETTE_CA_FILE")]
    ca_file: Option<PathBuf>,

    /// Time between each virtual sensor's reports.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    interval: Duration,

    /// How long to run.
    #[arg(long, default_value = "2m", value_parser = humantime::parse_duration)]
    duration: Duration,

    /// Seed of the fleet's topology (same seed, same fleet).
    #[arg(long, default_value_t = 1)]
    seed: u64,

    /// Virtual sensors per loopback source address when the console is on this machine
    /// (each address has its own connections and its own registration rate limit, like a
    /// separate host); 0 sends everything from one address.
    #[arg(long, default_value_t = 10)]
    sensors_per_source: usize,

    /// An admin or read-only API token (`vdt_…`) for the final check.
    #[arg(
        long,
        env = "VEDETTE_ADMIN_TOKEN",
        hide_env_values = true,
        conflicts_with = "admin_user"
    )]
    admin_token: Option<String>,

    /// A user to sign in as for the final check; the password is read from
    /// `VEDETTE_ADMIN_PASSWORD`.
    #[arg(long, env = "VEDETTE_ADMIN_USER")]
    admin_user: Option<String>,

    /// Print the results as JSON on standard output instead of a table.
    #[arg(long)]
    json: bool,
}

/// Runs a `vedette dev` command.
pub async fn run(args: DevArgs) -> anyhow::Result<()> {
    match args.command {
        DevCommand::SimulateSensors(args) => simulate(args).await,
    }
}

async fn simulate(args: SimulateArgs) -> anyhow::Result<()> {
    let trust = match (args.console_fingerprint, args.ca_file) {
        (Some(fingerprint), _) => {
            parse_fingerprint(&fingerprint)?;
            Trust::Fingerprint(fingerprint)
        }
        (None, Some(ca)) => Trust::CaFile(ca),
        (None, None) => bail!(
            "give the console's certificate fingerprint (--console-fingerprint SHA256:…) or a CA file (--ca-file)"
        ),
    };
    let admin = match (args.admin_token, args.admin_user) {
        (Some(token), _) => Some(AdminAuth::Token(token)),
        (None, Some(username)) => Some(AdminAuth::Password {
            username,
            password: std::env::var("VEDETTE_ADMIN_PASSWORD")
                .context("--admin-user needs the password in VEDETTE_ADMIN_PASSWORD")?,
        }),
        (None, None) => None,
    };
    let verifying = admin.is_some();
    let config = SimulationConfig {
        console_url: args
            .console_url
            .parse()
            .with_context(|| format!("--console-url `{}` is not a URL", args.console_url))?,
        api_key: args.api_key,
        trust,
        count: args.count,
        interval: args.interval,
        duration: args.duration,
        seed: args.seed,
        sensors_per_source: args.sensors_per_source,
        admin,
        progress: std::io::stderr().is_terminal() || !args.json,
    };
    eprintln!(
        "simulating {} sensors against {} for {} (interval {})",
        config.count,
        config.console_url,
        humantime::format_duration(config.duration),
        humantime::format_duration(config.interval)
    );
    let outcome = vedette_simulator::simulate(config).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome)?);
    } else {
        print_outcome(&outcome);
    }
    if !outcome.passed() {
        bail!("the simulation found problems (see above)");
    }
    if !verifying {
        eprintln!(
            "not verified: give --admin-token or --admin-user to check that nothing was lost"
        );
    }
    Ok(())
}

fn print_outcome(outcome: &Outcome) {
    let s = &outcome.summary;
    println!("wall time            {:.1} s", s.wall_secs);
    println!(
        "registrations        {} (renewals {}, token failures {})",
        s.registered, s.renewed, s.token_failures
    );
    println!(
        "reports sent         {} ({} snapshots)",
        s.sent, s.snapshots
    );
    println!("reports accepted     {}", s.accepted);
    let rejected: Vec<String> = s
        .rejected_by_status
        .iter()
        .map(|(status, n)| format!("{status}: {n}"))
        .collect();
    println!(
        "rejected by status   {}",
        if rejected.is_empty() {
            "none".into()
        } else {
            rejected.join(", ")
        }
    );
    println!("409 need snapshot    {}", s.need_snapshot);
    println!("429 slow down        {}", s.too_many_requests);
    println!("unreachable          {}", s.unreachable);
    println!(
        "ingest rate          {:.1} reports/s, {:.2} MB/s compressed ({:.2} MB/s JSON)",
        s.reports_per_sec, s.mb_per_sec, s.json_mb_per_sec
    );
    println!(
        "report latency       p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        s.latency_ms_p50, s.latency_ms_p90, s.latency_ms_p99, s.latency_ms_max
    );
    println!("simulator CPU        {:.2} cores", s.simulator_cpu_cores);
    for failed in outcome.failed_sensors.iter().take(10) {
        println!("sensor failed        {failed}");
    }
    if outcome.failed_sensors.len() > 10 {
        println!(
            "sensor failed        … and {} more",
            outcome.failed_sensors.len() - 10
        );
    }
    if let Some(v) = &outcome.verification {
        println!(
            "sensors online       {}/{}",
            v.sensors_online, v.sensors_expected
        );
        for id in &v.not_online {
            println!("  not online         {id}");
        }
        for level in &v.levels {
            println!(
                "{:<20} {}/{} nodes",
                format!("topology {}", level.level),
                level.found,
                level.expected
            );
            for mismatch in &level.mismatches {
                println!("  mismatch           {mismatch}");
            }
        }
        println!(
            "verification         {}",
            if v.ok {
                "PASSED: nothing lost"
            } else {
                "FAILED"
            }
        );
    }
}
