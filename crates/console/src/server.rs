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
use crate::auth::{secret, sessions, users};
use crate::config::Config;
use crate::sensors;
use crate::settings;
use crate::state::AppState;
use crate::store::{Store, redact_url};
use crate::tls::{self, CurrentFingerprint, TlsFiles};

/// What a started console tells its operator once.
pub struct Banner {
    /// The console URL.
    pub url: String,
    /// The certificate fingerprint.
    pub fingerprint: String,
    /// The sensor API key, when this console holds its plaintext.
    pub api_key: Option<String>,
    /// The one-time setup code, while no admin exists.
    pub setup_code: Option<String>,
}

impl std::fmt::Display for Banner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
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
            Some(key) => writeln!(f, "  Sensor API key:   {key}")?,
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
                "      or run `vedette console admin create --username NAME` on this host."
            )?;
        }
        let key = self.api_key.as_deref().unwrap_or("<API_KEY>");
        let (plain, docker) = api::settings::sensor_commands(&self.url, key, &self.fingerprint);
        writeln!(f)?;
        writeln!(f, "  Start a sensor on a Linux host:")?;
        writeln!(f, "    {plain}")?;
        writeln!(f, "  or as a container on a Docker host:")?;
        writeln!(f, "    {docker}")?;
        writeln!(f)
    }
}

/// Creates the data dir, readable by its owner only.
pub fn prepare_data_dir(data_dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(data_dir)
        .with_context(|| format!("cannot create the data dir {}", data_dir.display()))
}

/// Opens the store named by the configuration.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    prepare_data_dir(&config.data_dir)?;
    let url = config.effective_database_url();
    Store::open(&url)
        .await
        .with_context(|| format!("cannot open the store at {}", redact_url(&url)))
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
    let setup_code = refresh_setup_code(&store).await?;

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

/// Periodic clean-up: expired sessions, idle throttle entries.
async fn housekeeping(state: AppState) {
    let mut ticker = tokio::time::interval(Duration::from_secs(60));
    loop {
        ticker.tick().await;
        match sessions::purge_expired(&state.store).await {
            Ok(0) => {}
            Ok(purged) => tracing::debug!(purged, "purged expired sessions"),
            Err(err) => tracing::warn!(error = %err, "purging expired sessions failed"),
        }
        state.auth_throttle.forget_idle();
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
