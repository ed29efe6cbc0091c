//! Starting and stopping the console: store, TLS identity, first-run
//! secrets, the HTTPS listener, background tasks and graceful shutdown.

use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum_server::Handle;
use axum_server::tls_rustls::RustlsConfig;

use crate::api;
use crate::audit;
use crate::auth::{lockout, secret, sessions, users};
use crate::config::Config;
use crate::sensors;
use crate::settings;
use crate::state::AppState;
use crate::store::{Store, redact_url};
use crate::tls::{self, CurrentFingerprint, TlsFiles};

/// What a started console tells its operator once.
///
/// Its [`Display`](std::fmt::Display) never shows the sensor API key, only
/// its fingerprint: that is what may go to log files and journald. Only
/// [`Banner::render`] with `show_api_key` (for a terminal) prints the key.
pub struct Banner {
    /// The console URL.
    pub url: String,
    /// The certificate fingerprint.
    pub fingerprint: String,
    /// The sensor API key, when this console holds its plaintext.
    pub api_key: Option<String>,
    /// The one-time setup code, while no admin exists.
    pub setup_code: Option<String>,
    /// The data dir, when it is not the default: the shell commands the
    /// banner prints must name it to reach this console's store.
    pub data_dir: Option<String>,
}

impl Banner {
    /// ` --data-dir DIR` (shell-quoted) when the data dir is not the default.
    fn data_dir_flag(&self) -> String {
        match &self.data_dir {
            None => String::new(),
            Some(dir)
                if dir
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/._-+:@".contains(c)) =>
            {
                format!(" --data-dir {dir}")
            }
            Some(dir) => format!(" --data-dir '{}'", dir.replace('\'', "'\\''")),
        }
    }
}

/// A short fingerprint of the sensor API key, safe to log: tells keys
/// apart without revealing them.
pub fn api_key_fingerprint(key: &str) -> String {
    format!("sha256:{}", &secret::hash(key)[..16])
}

impl Banner {
    /// The banner text; the API key itself only with `show_api_key`.
    pub fn render(&self, show_api_key: bool) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut out, show_api_key);
        out
    }

    fn write(&self, f: &mut impl std::fmt::Write, show_api_key: bool) -> std::fmt::Result {
        writeln!(f)?;
        writeln!(
            f,
            "Vedette console {} is running.",
            env!("CARGO_PKG_VERSION")
        )?;
        writeln!(f)?;
        writeln!(f, "  Console URL:      {}", self.url)?;
        writeln!(f, "  TLS fingerprint:  {}", self.fingerprint)?;
        match &self.api_key {
            Some(key) if show_api_key => writeln!(f, "  Sensor API key:   {key}")?,
            Some(key) => {
                writeln!(
                    f,
                    "  Sensor API key:   fingerprint {} (not printed outside a terminal)",
                    api_key_fingerprint(key)
                )?;
                writeln!(
                    f,
                    "      Show it with `vedette console api-key show{}` on this host.",
                    self.data_dir_flag()
                )?;
            }
            None => writeln!(
                f,
                "  Sensor API key:   (not held by this console; `vedette console api-key rotate` makes a new one)"
            )?,
        }
        if let Some(code) = &self.setup_code {
            writeln!(f, "  Setup code:       {code}")?;
            writeln!(
                f,
                "      Open the console URL and enter this code to create the first admin,"
            )?;
            writeln!(
                f,
                "      or run `vedette console admin create{} --username NAME` on this host.",
                self.data_dir_flag()
            )?;
        }
        let key = match &self.api_key {
            Some(key) if show_api_key => key.as_str(),
            _ => "<API_KEY>",
        };
        let (plain, docker) = api::settings::sensor_commands(&self.url, key, &self.fingerprint);
        writeln!(f)?;
        writeln!(f, "  Start a sensor on a Linux host:")?;
        writeln!(f, "    {plain}")?;
        writeln!(f, "  or as a container on a Docker host:")?;
        writeln!(f, "    {docker}")?;
        writeln!(f)
    }
}

impl std::fmt::Display for Banner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write(f, false)
    }
}

/// Creates the data dir, readable by its owner only (0700), and narrows it
/// (with a warning) if it already existed with wider permissions.
pub fn prepare_data_dir(data_dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .with_context(|| format!("cannot create the data dir {}", data_dir.display()))?;
    restrict(data_dir, 0o700)
        .with_context(|| format!("cannot restrict the data dir {}", data_dir.display()))?;
    Ok(())
}

/// The files in `data_dir` that hold secrets or data: the SQLite store and
/// its journal files, the sensor API key, the generated TLS key.
pub fn data_files(data_dir: &Path) -> Vec<std::path::PathBuf> {
    vec![
        data_dir.join(SQLITE_FILE),
        data_dir.join(format!("{SQLITE_FILE}-wal")),
        data_dir.join(format!("{SQLITE_FILE}-shm")),
        data_dir.join(format!("{SQLITE_FILE}-journal")),
        sensors::api_key_path(data_dir),
        sensors::api_key_path(data_dir).with_extension("tmp"),
        data_dir.join("tls").join("key.pem"),
    ]
}

/// The embedded store's file name in the data dir.
const SQLITE_FILE: &str = "vedette.db";

/// Narrows `path` to `mode` if it is wider (group or others may read,
/// write or enter it), with a warning; a missing path is fine.
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(err),
    };
    // Never follow a link planted in the data dir.
    if metadata.file_type().is_symlink() {
        tracing::warn!(path = %path.display(), "a data file is a symbolic link; left as it is");
        return Ok(());
    }
    let current = metadata.permissions().mode() & 0o777;
    if current & !mode != 0 {
        tracing::warn!(
            path = %path.display(),
            was = format!("{current:04o}"),
            now = format!("{mode:04o}"),
            "data file permissions were wider than owner-only; narrowed"
        );
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}

/// Makes the data dir 0700 (and its `tls` folder) and every data file 0600,
/// whatever they were before, warning about each one that was wider.
pub fn restrict_data_files(data_dir: &Path) -> anyhow::Result<()> {
    prepare_data_dir(data_dir)?;
    restrict(&data_dir.join("tls"), 0o700)
        .with_context(|| format!("cannot restrict {}", data_dir.join("tls").display()))?;
    for file in data_files(data_dir) {
        restrict(&file, 0o600).with_context(|| format!("cannot restrict {}", file.display()))?;
    }
    Ok(())
}

/// Opens the store named by the configuration. The embedded SQLite file is
/// created 0600 before SQLite opens it (SQLite gives its journal files the
/// same mode), and every data file is narrowed to 0600 after.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    prepare_data_dir(&config.data_dir)?;
    if config.database_url.is_none() {
        use std::os::unix::fs::OpenOptionsExt;
        let path = config.data_dir.join(SQLITE_FILE);
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .with_context(|| format!("cannot create the store file {}", path.display()))?;
    }
    restrict_data_files(&config.data_dir)?;
    let url = config.effective_database_url();
    let store = Store::open(&url)
        .await
        .with_context(|| format!("cannot open the store at {}", redact_url(&url)))?;
    restrict_data_files(&config.data_dir)?;
    Ok(store)
}

/// The URL the console is reached at: `--public-url`, or built from the
/// address it listens on (the host name when it listens on every address).
fn console_url(config: &Config, bound: SocketAddr) -> String {
    if let Some(url) = &config.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = match bound.ip() {
        ip if ip.is_unspecified() => gethostname::gethostname()
            .into_string()
            .unwrap_or_else(|_| "localhost".into()),
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    if bound.port() == 443 {
        format!("https://{host}")
    } else {
        format!("https://{host}:{}", bound.port())
    }
}

fn public_host(config: &Config) -> Option<String> {
    let url = config.public_url.as_deref()?;
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next()?;
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next()?,
        None => authority.split(':').next()?,
    };
    (!host.is_empty()).then(|| host.to_string())
}

/// Makes a fresh setup code while the console has no admin, and returns it.
pub async fn refresh_setup_code(store: &Store) -> anyhow::Result<Option<String>> {
    if users::admin_count(store).await? > 0 {
        return Ok(None);
    }
    let code = secret::generate_code();
    settings::set(store, settings::SETUP_CODE_HASH, &secret::hash(&code)).await?;
    Ok(Some(code))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(term) => term,
        Err(err) => {
            tracing::error!(error = %err, "cannot listen for SIGTERM");
            return std::future::pending().await;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}

/// Runs the console until SIGINT or SIGTERM, then drains in-flight requests
/// (up to the configured grace period) and closes the store cleanly.
/// `on_ready` receives the banner once the listener accepts connections.
pub async fn run(config: Config, on_ready: impl FnOnce(&Banner)) -> anyhow::Result<()> {
    // Several crates bring their own rustls provider; pick one explicitly.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let store = open_store(&config).await?;

    let files = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        },
        (None, None) => tls::ensure_self_signed(&config.data_dir, public_host(&config).as_deref())?,
        _ => anyhow::bail!("--tls-cert and --tls-key go together: give both or neither"),
    };
    let loaded = tls::load(&files).context("cannot load the TLS certificate")?;
    let fingerprint = Arc::new(CurrentFingerprint::default());
    fingerprint.set(loaded.fingerprint.clone());
    let rustls_config = RustlsConfig::from_config(loaded.config);

    let api_key = sensors::ensure_api_key(&store, &config.data_dir).await?;
    // The key file (and a generated TLS key) may be new: owner-only as well.
    restrict_data_files(&config.data_dir)?;
    if let Some(key) = &api_key {
        tracing::info!(
            api_key_fingerprint = api_key_fingerprint(key),
            "sensor api key in use"
        );
    }
    let setup_code = refresh_setup_code(&store).await?;
    // Make the dummy hash now, so the first sign-in with an unknown name
    // costs no more than any other.
    tokio::task::spawn_blocking(crate::auth::password::dummy_hash)
        .await
        .context("cannot prepare the password verifier")?;

    let listener = TcpListener::bind(config.listen).with_context(|| {
        format!(
            "cannot listen on {} (use --listen to pick another address or port)",
            config.listen
        )
    })?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let url = console_url(&config, bound);
    let topology = crate::topology::Topology::load(&store)
        .await
        .context("cannot load the topology")?;
    let state = AppState::new(
        store.clone(),
        config.clone(),
        url.clone(),
        fingerprint.clone(),
        topology,
    );
    crate::metrics::handle();

    let handle: Handle<SocketAddr> = Handle::new();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut background = tokio::task::JoinSet::new();
    background.spawn(tls::watch(
        files,
        rustls_config.clone(),
        fingerprint.clone(),
        config.tls_reload_interval,
    ));
    background.spawn(housekeeping(state.clone()));
    if let Some(addr) = config.metrics_listen {
        let state = state.clone();
        let mut stop = stop_rx.clone();
        background.spawn(async move {
            let stopped = async move {
                let _ = stop.wait_for(|stop| *stop).await;
            };
            if let Err(err) = crate::metrics::serve(addr, state, stopped).await {
                tracing::error!(%addr, error = %err, "metrics listener failed");
            }
        });
    }

    let app = api::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let server = axum_server::from_tcp_rustls(listener, rustls_config)?
        .handle(handle.clone())
        .serve(app);
    let server = tokio::spawn(server);
    if handle.listening().await.is_some() {
        on_ready(&Banner {
            url,
            fingerprint: fingerprint.get(),
            api_key,
            setup_code,
            data_dir: (config.data_dir != Path::new(crate::config::DEFAULT_DATA_DIR))
                .then(|| config.data_dir.display().to_string()),
        });
        tracing::info!(addr = %bound, "console listening");
    }

    let grace = config.shutdown_grace;
    let signal_task = tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!(
            grace_secs = grace.as_secs(),
            "shutting down: finishing in-flight requests"
        );
        handle.graceful_shutdown(Some(grace));
    });
    let served = server.await.context("the HTTPS server task failed")?;
    signal_task.abort();
    let _ = stop_tx.send(true);
    background.abort_all();
    store.close().await;
    tracing::info!("console stopped");
    served.context("the HTTPS server failed")
}

/// Periodic clean-up: expired sessions, idle throttle entries, stale
/// lockout rows, and the audit retention.
async fn housekeeping(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    loop {
        ticker.tick().await;
        match sessions::purge_expired(&state.store).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "purged expired sessions"),
            Err(err) => tracing::warn!(error = %err, "purging expired sessions failed"),
        }
        state.throttles.forget_idle();
        if let Err(err) = lockout::purge_stale(&state.store).await {
            tracing::warn!(error = %err, "purging stale lockout rows failed");
        }
        match audit::purge(
            &state.store,
            state.config.audit_retention_days,
            state.config.audit_max_rows,
        )
        .await
        {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted audit entries past their retention"),
            Err(err) => tracing::warn!(error = %err, "applying the audit retention failed"),
        }
        state.views.forget_idle();
        if let Err(err) = crate::sensors::expire_stale(&state).await {
            tracing::warn!(error = %err, "removing stale topology failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banner_shows_the_api_key_only_when_asked() {
        let banner = Banner {
            url: "https://console:8443".into(),
            fingerprint: "SHA256:ab".into(),
            api_key: Some("vsk_secret_key_value".into()),
            setup_code: None,
            data_dir: None,
        };
        for text in [banner.to_string(), banner.render(false)] {
            assert!(!text.contains("vsk_secret_key_value"), "{text}");
            assert!(text.contains(&api_key_fingerprint("vsk_secret_key_value")));
            assert!(text.contains("<API_KEY>"));
        }
        assert!(banner.render(true).contains("vsk_secret_key_value"));
    }

    #[test]
    fn printed_commands_name_a_data_dir_that_is_not_the_default() {
        let mut banner = Banner {
            url: "https://console:8443".into(),
            fingerprint: "SHA256:ab".into(),
            api_key: Some("vsk_k".into()),
            setup_code: Some("ABCD".into()),
            data_dir: None,
        };
        let text = banner.render(false);
        assert!(
            text.contains("`vedette console admin create --username NAME`"),
            "{text}"
        );
        assert!(text.contains("`vedette console api-key show`"), "{text}");
        banner.data_dir = Some("/srv/vedette data".into());
        let text = banner.render(false);
        assert!(
            text.contains(
                "`vedette console admin create --data-dir '/srv/vedette data' --username NAME`"
            ),
            "{text}"
        );
        assert!(
            text.contains("`vedette console api-key show --data-dir '/srv/vedette data'`"),
            "{text}"
        );
    }

    #[test]
    fn wider_modes_are_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = data.join(SQLITE_FILE);
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let narrow = data.join("sensor-api-key");
        std::fs::write(&narrow, b"").unwrap();
        std::fs::set_permissions(&narrow, std::fs::Permissions::from_mode(0o400)).unwrap();
        restrict_data_files(&data).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&db), 0o600);
        // Narrower than 0600 is left as it is.
        assert_eq!(mode(&narrow), 0o400);
    }

    #[test]
    fn urls() {
        let mut config = Config::with_defaults("/tmp/x".into());
        assert_eq!(
            console_url(&config, "127.0.0.1:8443".parse().unwrap()),
            "https://127.0.0.1:8443"
        );
        assert_eq!(
            console_url(&config, "[::1]:443".parse().unwrap()),
            "https://[::1]"
        );
        config.public_url = Some("https://vedette.example.org:8443/".into());
        assert_eq!(
            console_url(&config, "0.0.0.0:443".parse().unwrap()),
            "https://vedette.example.org:8443"
        );
        assert_eq!(public_host(&config).as_deref(), Some("vedette.example.org"));
        config.public_url = Some("https://[2001:db8::1]:8443".into());
        assert_eq!(public_host(&config).as_deref(), Some("2001:db8::1"));
    }
}
