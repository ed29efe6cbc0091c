//! `vedette console`: run the console, create an admin, show or rotate the
//! sensor API key.

use std::io::{BufRead, IsTerminal};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use vedette_console::Config;
use vedette_console::auth::Role;

/// Options of `vedette console`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ConsoleArgs {
    #[command(subcommand)]
    action: Option<ConsoleAction>,

    #[command(flatten)]
    store: StoreArgs,

    #[command(flatten)]
    serve: ServeArgs,
}

/// Where the console keeps its state (shared by every `console` subcommand).
#[derive(Debug, Args)]
struct StoreArgs {
    /// Directory for the embedded store, the generated certificate and the sensor API key file.
    #[arg(
        long,
        global = true,
        default_value = "/var/lib/vedette",
        env = "VEDETTE_DATA_DIR"
    )]
    data_dir: PathBuf,

    /// Use PostgreSQL instead of the embedded SQLite store, e.g. `postgres://vedette:PASSWORD@db/vedette`.
    #[arg(
        long,
        global = true,
        env = "VEDETTE_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
}

/// Options of the running console.
#[derive(Debug, Args)]
struct ServeArgs {
    /// Address and port of the HTTPS listener for browsers, API clients and sensors.
    #[arg(long, default_value = "0.0.0.0:443", env = "VEDETTE_LISTEN")]
    listen: SocketAddr,

    /// The URL people and sensors use to reach the console (if behind a load balancer or DNS name);
    /// its host is added to the generated certificate.
    #[arg(long, env = "VEDETTE_PUBLIC_URL")]
    public_url: Option<String>,

    /// PEM certificate chain to serve instead of the generated self-signed one; replacing the file
    /// takes effect without a restart.
    #[arg(long, env = "VEDETTE_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(long, env = "VEDETTE_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,

    /// How often the certificate files are checked for replacement (e.g. 5s).
    #[arg(long, default_value = "5s", env = "VEDETTE_TLS_RELOAD_INTERVAL", value_parser = humantime::parse_duration)]
    tls_reload_interval: Duration,

    /// Plain-HTTP address serving Prometheus metrics at /metrics ("off" to disable).
    #[arg(long, default_value = "127.0.0.1:9464", env = "VEDETTE_METRICS_LISTEN")]
    metrics_listen: String,

    /// How long a browser session lasts (e.g. 12h, 30m).
    #[arg(long, default_value = "12h", env = "VEDETTE_SESSION_TTL", value_parser = humantime::parse_duration)]
    session_ttl: Duration,

    /// Failed sign-ins in a row that lock an account.
    #[arg(long, default_value_t = 5, env = "VEDETTE_LOCKOUT_THRESHOLD", value_parser = clap::value_parser!(u32).range(1..=100))]
    lockout_threshold: u32,

    /// How long a locked account stays locked (e.g. 15m).
    #[arg(long, default_value = "15m", env = "VEDETTE_LOCKOUT_DURATION", value_parser = humantime::parse_duration)]
    lockout_duration: Duration,

    /// Credential attempts (sign-in, setup code, links, sensor registration) allowed per client
    /// address per minute.
    #[arg(long, default_value_t = 20, env = "VEDETTE_AUTH_ATTEMPTS_PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    auth_attempts_per_minute: u32,

    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024, env = "VEDETTE_MAX_BODY_BYTES")]
    max_body_bytes: usize,

    /// A sensor not heard from for this long is shown offline (e.g. 60s; several report intervals,
    /// so one late report does not make it flap).
    #[arg(long, default_value = "60s", env = "VEDETTE_SENSOR_OFFLINE_AFTER", value_parser = humantime::parse_duration)]
    sensor_offline_after: Duration,

    /// The topology of a sensor offline for this long is removed from the map (e.g. 24h).
    #[arg(long, default_value = "24h", env = "VEDETTE_SENSOR_RETENTION", value_parser = humantime::parse_duration)]
    sensor_retention: Duration,

    /// How long in-flight requests get to finish when the console stops (e.g. 30s).
    #[arg(long, default_value = "30s", env = "VEDETTE_SHUTDOWN_GRACE", value_parser = humantime::parse_duration)]
    shutdown_grace: Duration,

    /// Nodes an unfiltered topology view may have; larger views are refused (422) with a pointer
    /// to the `host=`, `name=` and `label=` filters.
    #[arg(long, default_value_t = 50_000, env = "VEDETTE_TOPOLOGY_NODE_BUDGET", value_parser = clap::value_parser!(u64).range(100..=10_000_000))]
    topology_node_budget: u64,

    /// Topology views built at the same time (each build holds a whole graph in memory).
    #[arg(long, default_value_t = 1, env = "VEDETTE_TOPOLOGY_CONCURRENT_BUILDS", value_parser = clap::value_parser!(u64).range(1..=64))]
    topology_concurrent_builds: u64,

    /// How long a topology read waits for a build slot before it is answered 429 (e.g. 5s).
    #[arg(long, default_value = "5s", env = "VEDETTE_TOPOLOGY_BUILD_WAIT", value_parser = humantime::parse_duration)]
    topology_build_wait: Duration,

    /// Heavy topology reads (views, tables, search, node detail, streams opened) allowed per user
    /// per minute.
    #[arg(long, default_value_t = 120, env = "VEDETTE_TOPOLOGY_READS_PER_MINUTE", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    topology_reads_per_minute: u32,

    /// Live topology streams one user may hold open at once.
    #[arg(long, default_value_t = 4, env = "VEDETTE_TOPOLOGY_STREAMS_PER_USER", value_parser = clap::value_parser!(u64).range(1..=1000))]
    topology_streams_per_user: u64,

    /// How often an open live stream re-checks its caller's credential and role (e.g. 2s).
    #[arg(long, default_value = "2s", env = "VEDETTE_TOPOLOGY_STREAM_RECHECK", value_parser = humantime::parse_duration)]
    topology_stream_recheck: Duration,
}

#[derive(Debug, Subcommand)]
enum ConsoleAction {
    /// Manage user accounts from the shell.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Show or rotate the sensor API key.
    ApiKey {
        #[command(subcommand)]
        action: ApiKeyAction,
    },
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// Create a user (by default an admin); asks for the password, or reads it from standard
    /// input with --password-stdin.
    Create {
        /// The user name.
        #[arg(long)]
        username: String,
        /// The role to give.
        #[arg(long, value_enum, default_value_t = RoleArg::Admin)]
        role: RoleArg,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ApiKeyAction {
    /// Print the current sensor API key.
    Show,
    /// Replace the sensor API key: the old key stops working at once; registered sensors keep
    /// their identity once restarted with the new key.
    Rotate,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Standard,
    ReadOnly,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Role {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Standard => Role::Standard,
            RoleArg::ReadOnly => Role::ReadOnly,
        }
    }
}

fn config(store: &StoreArgs, serve: &ServeArgs) -> anyhow::Result<Config> {
    let mut config = Config::with_defaults(store.data_dir.clone());
    config.database_url = store.database_url.clone();
    config.listen = serve.listen;
    config.public_url = serve.public_url.clone();
    if let Some(url) = &config.public_url
        && !url.starts_with("https://")
    {
        anyhow::bail!("--public-url must start with https:// (the console only speaks HTTPS)");
    }
    config.tls_cert = serve.tls_cert.clone();
    config.tls_key = serve.tls_key.clone();
    config.tls_reload_interval = serve.tls_reload_interval.max(Duration::from_millis(100));
    config.metrics_listen =
        match serve.metrics_listen.as_str() {
            "off" | "" => None,
            addr => Some(addr.parse().with_context(|| {
                format!("--metrics-listen: `{addr}` is not ADDRESS:PORT or off")
            })?),
        };
    config.session_ttl = serve.session_ttl;
    config.lockout_threshold = serve.lockout_threshold;
    config.lockout_duration = serve.lockout_duration;
    config.auth_attempts_per_minute = serve.auth_attempts_per_minute;
    config.max_body_bytes = serve.max_body_bytes;
    config.shutdown_grace = serve.shutdown_grace;
    config.sensor_offline_after = serve.sensor_offline_after;
    config.sensor_retention = serve.sensor_retention;
    config.topology_node_budget = usize::try_from(serve.topology_node_budget)?;
    config.topology_concurrent_builds = usize::try_from(serve.topology_concurrent_builds)?;
    config.topology_build_wait = serve.topology_build_wait;
    config.topology_reads_per_minute = serve.topology_reads_per_minute;
    config.topology_streams_per_user = usize::try_from(serve.topology_streams_per_user)?;
    config.topology_stream_recheck = serve
        .topology_stream_recheck
        .max(Duration::from_millis(100));
    Ok(config)
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no terminal to ask for the password: pipe it in with --password-stdin");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let again = rpassword::prompt_password("Repeat the password: ")?;
    if first != again {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}

/// Runs `vedette console …`.
pub async fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let config = config(&args.store, &args.serve)?;
    match args.action {
        None => {
            vedette_console::server::run(config, |banner| {
                // The banner goes to standard output (logs go to standard error)
                // so it can be read by scripts and is not mixed with log lines.
                // A closed standard output (a supervisor that stopped reading, `| head`)
                // must not stop the console, so write errors only get a warning.
                use std::io::Write;
                let mut stdout = std::io::stdout().lock();
                if let Err(err) = stdout
                    .write_all(banner.to_string().as_bytes())
                    .and_then(|()| stdout.flush())
                {
                    tracing::warn!("cannot print the start-up banner on standard output: {err}");
                }
            })
            .await
        }
        Some(ConsoleAction::Admin {
            action:
                AdminAction::Create {
                    username,
                    role,
                    password_stdin,
                },
        }) => {
            let password = read_password(password_stdin)?;
            vedette_console::admin::create_user(&config, &username, &password, role.into()).await?;
            println!("created user `{username}` with role {}", Role::from(role));
            Ok(())
        }
        Some(ConsoleAction::ApiKey {
            action: ApiKeyAction::Show,
        }) => {
            match vedette_console::admin::show_api_key(&config).await? {
                Some(key) => println!("{key}"),
                None => anyhow::bail!(
                    "this data dir does not hold the current sensor API key (it is stored hashed); \
                     run `vedette console api-key rotate` to make a new one"
                ),
            }
            Ok(())
        }
        Some(ConsoleAction::ApiKey {
            action: ApiKeyAction::Rotate,
        }) => {
            let key = vedette_console::admin::rotate_api_key(&config).await?;
            println!("{key}");
            eprintln!(
                "the previous key no longer works; restart sensors with this one (they keep their identity)"
            );
            Ok(())
        }
    }
}
