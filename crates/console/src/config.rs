//! The console's validated configuration. The command line (flags and
//! `VEDETTE_…` environment variables) builds it; see `vedette console --help`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Where the console keeps its state unless told otherwise.
pub const DEFAULT_DATA_DIR: &str = "/var/lib/vedette";

/// Everything the console needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address and port of the one HTTPS listener (browser, API, sensors).
    pub listen: SocketAddr,
    /// The URL people and sensors use to reach the console, when it differs
    /// from what the console can see (a load balancer, a DNS name).
    pub public_url: Option<String>,
    /// Where the console keeps its SQLite store, certificate and key files.
    pub data_dir: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the embedded SQLite store.
    pub database_url: Option<String>,
    /// A certificate chain (PEM) to serve instead of the generated one.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// How often certificate files are checked for replacement.
    pub tls_reload_interval: Duration,
    /// Plain-HTTP listener for Prometheus metrics; `None` turns it off.
    pub metrics_listen: Option<SocketAddr>,
    /// How long a browser session lasts.
    pub session_ttl: Duration,
    /// Failed sign-ins in a row that lock an account.
    pub lockout_threshold: u32,
    /// How long a locked account stays locked.
    pub lockout_duration: Duration,
    /// Sign-in attempts (password, setup code, invite and reset links,
    /// password change) allowed per client address per minute.
    pub auth_attempts_per_minute: u32,
    /// Sensor registrations allowed per client address per minute.
    pub sensor_registrations_per_minute: u32,
    /// Sensor token renewals allowed per client address per minute.
    pub token_renewals_per_minute: u32,
    /// Sensor reports accepted per client address per minute.
    pub reports_per_minute: u32,
    /// Proxies whose `X-Forwarded-For` header names the client; empty (the
    /// default) believes no header and uses the connection's address.
    pub trusted_proxies: Vec<crate::auth::throttle::Cidr>,
    /// Repeated refusals (throttled or failed sign-ins) from one source are
    /// recorded as one audit entry with a count per window of this length.
    pub audit_aggregate_window: Duration,
    /// Audit entries older than this many days are deleted (0 keeps them).
    pub audit_retention_days: u32,
    /// At most this many audit entries are kept, the oldest deleted first
    /// (0: no limit).
    pub audit_max_rows: u64,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// How long a request may take before it is cut with 503.
    pub request_timeout: Duration,
    /// How long in-flight requests get to finish at shutdown.
    pub shutdown_grace: Duration,
    /// A sensor not heard from for this long is shown offline.
    pub sensor_offline_after: Duration,
    /// The topology of a sensor offline for this long is removed.
    pub sensor_retention: Duration,
    /// What sensors may make the console hold: items and bytes per sensor,
    /// the fleet's topology budget, decompression bounds.
    pub topology_limits: crate::topology::limits::Limits,
    /// How long a sensor's previous token keeps working after it renewed
    /// (reports already under way).
    pub sensor_token_grace: Duration,
    /// Nodes an unfiltered topology view may have; larger ones are refused
    /// (use `host=`, `name=`, `label=` or the paged `/topology/nodes`).
    pub topology_node_budget: usize,
    /// Topology views built at the same time, console-wide.
    pub topology_concurrent_builds: usize,
    /// How long a read waits for a build slot before it is answered 503.
    pub topology_build_wait: Duration,
    /// Heavy topology reads (views, tables, search, node detail, streams
    /// opened) allowed per user per minute.
    pub topology_reads_per_minute: u32,
    /// Live topology streams one user may hold open at once.
    pub topology_streams_per_user: usize,
    /// How often an open stream re-checks its caller's credential and role.
    pub topology_stream_recheck: Duration,
}

impl Config {
    /// A configuration with the documented defaults, for `data_dir`.
    pub fn with_defaults(data_dir: PathBuf) -> Config {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 443)),
            public_url: None,
            data_dir,
            database_url: None,
            tls_cert: None,
            tls_key: None,
            tls_reload_interval: Duration::from_secs(5),
            metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 9464))),
            session_ttl: Duration::from_secs(12 * 3600),
            lockout_threshold: 5,
            lockout_duration: Duration::from_secs(15 * 60),
            auth_attempts_per_minute: 20,
            sensor_registrations_per_minute: 60,
            token_renewals_per_minute: 120,
            reports_per_minute: 6000,
            trusted_proxies: Vec::new(),
            audit_aggregate_window: Duration::from_secs(10 * 60),
            audit_retention_days: 180,
            audit_max_rows: 1_000_000,
            max_body_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(30),
            sensor_offline_after: Duration::from_secs(60),
            sensor_retention: Duration::from_secs(24 * 3600),
            topology_limits: crate::topology::limits::Limits::default(),
            sensor_token_grace: Duration::from_secs(30),
            topology_node_budget: 50_000,
            topology_concurrent_builds: 1,
            topology_build_wait: Duration::from_secs(5),
            topology_reads_per_minute: 120,
            topology_streams_per_user: 4,
            topology_stream_recheck: Duration::from_secs(2),
        }
    }

    /// The database URL in effect (PostgreSQL if given, else the embedded
    /// SQLite file in the data dir).
    pub fn effective_database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| crate::store::Store::sqlite_url(&self.data_dir))
    }
}
