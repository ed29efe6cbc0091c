//! The sensor's configuration: a validated [`SensorConfig`], and the
//! optional TOML file ([`SensorConfigFile`]) whose keys mirror the flags.
//! Precedence (flags, then `VEDETTE_…` variables, then the file) is applied
//! by the command line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
pub use vedette_client::{Trust, parse_fingerprint};

use crate::error::SensorError;
use crate::root::HostRoot;
use crate::visibility::VisibilityChoice;

/// Default report interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// Default state file.
pub const DEFAULT_STATE_FILE: &str = "/var/lib/vedette/sensor-state.json";
/// Default Docker Engine socket.
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";
/// Largest config file read.
const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// Everything the sensor needs to run.
#[derive(Debug, Clone)]
pub struct SensorConfig {
    /// The console's base URL, e.g. `https://console.example:443`.
    pub console_url: reqwest::Url,
    /// The console's sensor API key (`vsk_…`).
    pub api_key: String,
    /// How the console's certificate is trusted.
    pub trust: Trust,
    /// The host's root (`/`, or e.g. `/host` in a privileged container).
    pub host_root: HostRoot,
    /// The Docker Engine socket.
    pub docker_socket: PathBuf,
    /// Time between reports.
    pub interval: Duration,
    /// Where the sensor id and credential are kept.
    pub state_file: PathBuf,
    /// An identity an admin re-issued (sensor id and credential), used
    /// instead of the state file's and then saved into it.
    pub identity: Option<Identity>,
    /// What the sensor should consider visible.
    pub visibility: VisibilityChoice,
    /// Retry timings (defaults suit production; tests shorten them).
    pub tuning: Tuning,
}

/// A sensor identity given on the command line (a credential an admin
/// re-issued for an existing sensor id).
#[derive(Clone)]
pub struct Identity {
    /// The sensor id.
    pub sensor_id: String,
    /// Its credential (`vsc_…`).
    pub credential: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("sensor_id", &self.sensor_id)
            .field("credential", &"<redacted>")
            .finish()
    }
}

impl Identity {
    /// Checks an id and credential given together.
    pub fn new(sensor_id: &str, credential: &str) -> Result<Self, SensorError> {
        let sensor_id = sensor_id.trim();
        let credential = credential.trim();
        if uuid::Uuid::parse_str(sensor_id).is_err() {
            return Err(SensorError::Config(format!(
                "the sensor id `{sensor_id}` is not a sensor id (a UUID, as the console lists it)"
            )));
        }
        if !credential.starts_with("vsc_") || credential.len() > 128 {
            return Err(SensorError::Config(
                "the sensor credential is not one the console issues (`vsc_…`)".into(),
            ));
        }
        Ok(Identity {
            sensor_id: sensor_id.to_string(),
            credential: credential.to_string(),
        })
    }
}

/// Retry timings.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// First backoff delay after a failure.
    pub backoff_base: Duration,
    /// Longest backoff delay.
    pub backoff_cap: Duration,
    /// After an outage this long, the sensor drops its baseline and sends a
    /// snapshot when the console is back (the console has marked it offline).
    pub snapshot_after_outage: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            snapshot_after_outage: Duration::from_secs(300),
        }
    }
}

impl SensorConfig {
    /// A configuration with defaults for everything but the console.
    pub fn new(console_url: &str, api_key: &str, trust: Trust) -> Result<Self, SensorError> {
        let console_url = reqwest::Url::parse(console_url)
            .map_err(|e| SensorError::Config(format!("console URL `{console_url}`: {e}")))?;
        if console_url.scheme() != "https" {
            return Err(SensorError::Config(format!(
                "the console URL must use https, not `{}`",
                console_url.scheme()
            )));
        }
        if api_key.trim().is_empty() {
            return Err(SensorError::Config("the API key is empty".into()));
        }
        Ok(SensorConfig {
            console_url,
            api_key: api_key.trim().to_string(),
            trust,
            host_root: HostRoot::default(),
            docker_socket: PathBuf::from(DEFAULT_DOCKER_SOCKET),
            interval: DEFAULT_INTERVAL,
            state_file: PathBuf::from(DEFAULT_STATE_FILE),
            identity: None,
            visibility: VisibilityChoice::Auto,
            tuning: Tuning::default(),
        })
    }
}

/// The optional configuration file (TOML); every key is optional and named
/// like its flag with `_` for `-`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorConfigFile {
    /// `--console-url`.
    pub console_url: Option<String>,
    /// `--api-key`.
    pub api_key: Option<String>,
    /// `--console-fingerprint`.
    pub console_fingerprint: Option<String>,
    /// `--ca-file`.
    pub ca_file: Option<PathBuf>,
    /// `--host-root`.
    pub host_root: Option<PathBuf>,
    /// `--docker-socket`.
    pub docker_socket: Option<PathBuf>,
    /// `--interval`, e.g. `"10s"`, in seconds when a number.
    pub interval_secs: Option<u64>,
    /// `--state-file`.
    pub state_file: Option<PathBuf>,
    /// `--visibility`: `auto`, `host` or `container-only`.
    pub visibility: Option<VisibilityChoice>,
}

impl SensorConfigFile {
    /// Reads and parses a configuration file.
    pub fn load(path: &Path) -> Result<Self, SensorError> {
        use std::io::Read;
        let bad = |detail: String| SensorError::Config(format!("{}: {detail}", path.display()));
        let file = std::fs::File::open(path).map_err(|e| bad(e.to_string()))?;
        let mut text = String::new();
        file.take(MAX_CONFIG_BYTES)
            .read_to_string(&mut text)
            .map_err(|e| bad(e.to_string()))?;
        toml::from_str(&text).map_err(|e| bad(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_plain_http_and_empty_keys() {
        let trust = Trust::Fingerprint("ab".repeat(32));
        assert!(SensorConfig::new("http://console", "vsk_x", trust.clone()).is_err());
        assert!(SensorConfig::new("https://console", " ", trust.clone()).is_err());
        let config = SensorConfig::new("https://console:8443", "vsk_x", trust).unwrap();
        assert_eq!(config.interval, DEFAULT_INTERVAL);
    }

    #[test]
    fn reads_a_config_file_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sensor.toml");
        std::fs::write(
            &path,
            "console_url = \"https://c:443\"\nvisibility = \"container-only\"\ninterval_secs = 5\n",
        )
        .unwrap();
        let file = SensorConfigFile::load(&path).unwrap();
        assert_eq!(file.visibility, Some(VisibilityChoice::ContainerOnly));
        assert_eq!(file.interval_secs, Some(5));
        std::fs::write(&path, "insecure = true\n").unwrap();
        assert!(SensorConfigFile::load(&path).is_err());
    }
}
