//! `vedette sensor`: run the sensor on this host (or inside a container),
//! reporting to the console. Settings come from flags, then `VEDETTE_…`
//! environment variables, then an optional TOML file (`--config`).
//!
//! The sensor runs on a current-thread runtime (see `main.rs`): it does
//! little work per interval and one thread keeps its footprint small.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use vedette_sensor::config::{
    DEFAULT_DOCKER_SOCKET, DEFAULT_STATE_FILE, Identity, SensorConfigFile, Trust, parse_fingerprint,
};
use vedette_sensor::root::HostRoot;
use vedette_sensor::visibility::VisibilityChoice;
use vedette_sensor::{Sensor, SensorConfig};

/// Options of `vedette sensor`.
#[derive(Debug, Args)]
pub struct SensorArgs {
    /// The console's URL, as printed by the console at start (e.g. `https://console.example:443`).
    #[arg(long, env = "VEDETTE_CONSOLE_URL")]
    console_url: Option<String>,

    /// The console's sensor API key (`vsk_…`, shown by `vedette console api-key show`).
    #[arg(long, env = "VEDETTE_API_KEY", hide_env_values = true)]
    api_key: Option<String>,

    /// Trust the console by its certificate's SHA-256 fingerprint (`SHA256:<hex>`, printed by the console).
    #[arg(long, env = "VEDETTE_CONSOLE_FINGERPRINT", conflicts_with = "ca_file")]
    console_fingerprint: Option<String>,

    /// Trust the console through the CA certificates in this PEM file (host name checked).
    #[arg(long, env = "VEDETTE_CA_FILE")]
    ca_file: Option<PathBuf>,

    /// A TOML file with any of these settings (keys named like the flags, `_` for `-`;
    /// `interval_secs` for the interval); flags and environment variables win over it.
    #[arg(long, env = "VEDETTE_SENSOR_CONFIG")]
    config: Option<PathBuf>,

    /// The host's root directory: `/` on the host, e.g. `/host` in a privileged container
    /// with the host's `/` mounted there (its /proc, /etc, /sys are read).
    #[arg(long, env = "VEDETTE_HOST_ROOT")]
    host_root: Option<PathBuf>,

    /// The Docker Engine socket (a missing socket means no containers) [default: /var/run/docker.sock].
    #[arg(long, env = "VEDETTE_DOCKER_SOCKET")]
    docker_socket: Option<PathBuf>,

    /// Time between reports, e.g. `10s`, `1m` [default: 10s].
    #[arg(long, env = "VEDETTE_SENSOR_INTERVAL", value_parser = humantime::parse_duration)]
    interval: Option<Duration>,

    /// Where the sensor keeps its identity (id and credential, mode 0600) across restarts
    /// [default: /var/lib/vedette/sensor-state.json].
    #[arg(long, env = "VEDETTE_SENSOR_STATE_FILE")]
    state_file: Option<PathBuf>,

    /// Register as this existing sensor (its id, as the console lists it), with the credential
    /// an admin re-issued for it (`VEDETTE_SENSOR_CREDENTIAL`): for a re-imaged host taking
    /// over its old identity. Both are saved in the state file once the console accepts them.
    #[arg(long, env = "VEDETTE_SENSOR_ID", requires = "sensor_credential")]
    sensor_id: Option<String>,

    /// The credential (`vsc_…`) an admin re-issued for `--sensor-id`; prefer the environment
    /// variable to the flag (flags are visible to other users in the process list).
    #[arg(
        long,
        env = "VEDETTE_SENSOR_CREDENTIAL",
        hide_env_values = true,
        requires = "sensor_id"
    )]
    sensor_credential: Option<String>,

    /// What the sensor reports: `auto` sees the host when it is in the host's pid namespace,
    /// else only its own container (and says so) [default: auto].
    #[arg(long, env = "VEDETTE_SENSOR_VISIBILITY", value_enum)]
    visibility: Option<VisibilityArg>,
}

/// `--visibility` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum VisibilityArg {
    /// Host when the host's pid namespace is visible, else container-only.
    Auto,
    /// The whole host (processes, sockets in every network namespace, containers).
    Host,
    /// Only what the sensor's own container holds (Fargate-style).
    ContainerOnly,
}

impl From<VisibilityArg> for VisibilityChoice {
    fn from(value: VisibilityArg) -> Self {
        match value {
            VisibilityArg::Auto => VisibilityChoice::Auto,
            VisibilityArg::Host => VisibilityChoice::Host,
            VisibilityArg::ContainerOnly => VisibilityChoice::ContainerOnly,
        }
    }
}

/// Flags and environment first, then the file.
fn resolve(args: SensorArgs) -> anyhow::Result<SensorConfig> {
    let file = match &args.config {
        Some(path) => SensorConfigFile::load(path)?,
        None => SensorConfigFile::default(),
    };
    let console_url = args
        .console_url
        .or(file.console_url)
        .context("give the console URL: --console-url or VEDETTE_CONSOLE_URL")?;
    let api_key = args
        .api_key
        .or(file.api_key)
        .context("give the sensor API key: --api-key or VEDETTE_API_KEY")?;
    let trust = match (
        args.console_fingerprint,
        args.ca_file,
        file.console_fingerprint,
        file.ca_file,
    ) {
        (Some(fingerprint), _, _, _) => Trust::Fingerprint(fingerprint),
        (None, Some(ca), _, _) => Trust::CaFile(ca),
        (None, None, Some(fingerprint), _) => Trust::Fingerprint(fingerprint),
        (None, None, None, Some(ca)) => Trust::CaFile(ca),
        (None, None, None, None) => bail!(
            "give the console's certificate fingerprint (--console-fingerprint SHA256:…, printed by the console) or a CA file (--ca-file); TLS is always verified"
        ),
    };
    if let Trust::Fingerprint(text) = &trust {
        parse_fingerprint(text)?;
    }
    let mut config = SensorConfig::new(&console_url, &api_key, trust)?;
    if let Some(root) = args.host_root.or(file.host_root) {
        config.host_root = HostRoot::new(root);
    }
    config.docker_socket = args
        .docker_socket
        .or(file.docker_socket)
        .unwrap_or_else(|| DEFAULT_DOCKER_SOCKET.into());
    if let Some(interval) = args
        .interval
        .or(file.interval_secs.map(Duration::from_secs))
    {
        if interval < Duration::from_secs(1) {
            bail!("the interval must be at least 1s");
        }
        config.interval = interval;
    }
    config.state_file = args
        .state_file
        .or(file.state_file)
        .unwrap_or_else(|| DEFAULT_STATE_FILE.into());
    if let (Some(sensor_id), Some(credential)) = (&args.sensor_id, &args.sensor_credential) {
        config.identity = Some(Identity::new(sensor_id, credential)?);
    }
    config.visibility = args
        .visibility
        .map(VisibilityChoice::from)
        .or(file.visibility)
        .unwrap_or_default();
    Ok(config)
}

/// Resolves when the process is asked to stop (Ctrl-C or SIGTERM).
async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

/// Runs `vedette sensor`.
pub async fn run(args: SensorArgs) -> anyhow::Result<()> {
    let config = resolve(args)?;
    tracing::info!(console = %config.console_url, interval = ?config.interval, "starting the sensor");
    // `main` runs this on a current-thread runtime: one thread is the sensor's whole footprint.
    Sensor::new(config)
        .run(stop_signal())
        .await
        .map_err(anyhow::Error::from)
}
