//! Console information and the sensor API key.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::Json;
use crate::audit::Event;
use crate::auth::principal::{AdminUser, ClientIp, ReadOnlyUser};
use crate::sensors;
use crate::state::AppState;

/// What the console is and where.
#[derive(Serialize, ToSchema)]
pub struct ConsoleInfo {
    /// Vedette version.
    pub version: String,
    /// The URL sensors and people use.
    pub url: String,
    /// The served certificate's fingerprint, `SHA256:<hex>`.
    pub tls_fingerprint_sha256: String,
}

/// The sensor API key and how to start a sensor with it.
#[derive(Serialize, ToSchema)]
pub struct SensorKeyInfo {
    /// The key, or null when this console replica does not hold its plaintext
    /// (rotate it to get a new one).
    pub api_key: Option<String>,
    /// The console URL.
    pub console_url: String,
    /// The certificate fingerprint sensors pin.
    pub tls_fingerprint_sha256: String,
    /// A command that starts a sensor on a Linux host.
    pub sensor_command: String,
    /// A command that starts a sensor container on a Docker host.
    pub docker_command: String,
}

/// The commands that start a sensor for a console.
pub fn sensor_commands(url: &str, key: &str, fingerprint: &str) -> (String, String) {
    // The key goes in the environment (`env` then execs the sensor): a command line is
    // readable by every local user, the environment of a root process is not.
    let plain = format!(
        "sudo env VEDETTE_API_KEY={key} vedette sensor --console-url {url} --console-fingerprint {fingerprint}"
    );
    let docker = format!(
        "docker run -d --name vedette-sensor --restart unless-stopped --pid=host --net=host --privileged \
         -v /:/host:ro -v /var/run/docker.sock:/var/run/docker.sock \
         -e VEDETTE_CONSOLE_URL={url} -e VEDETTE_API_KEY={key} -e VEDETTE_CONSOLE_FINGERPRINT={fingerprint} \
         vedette/vedette:{} sensor --host-root /host",
        env!("CARGO_PKG_VERSION")
    );
    (plain, docker)
}

fn key_info(state: &AppState, api_key: Option<String>) -> SensorKeyInfo {
    let fingerprint = state.fingerprint.get();
    let shown = api_key.clone().unwrap_or_else(|| "<API_KEY>".into());
    let (sensor_command, docker_command) =
        sensor_commands(&state.console_url, &shown, &fingerprint);
    SensorKeyInfo {
        api_key,
        console_url: state.console_url.clone(),
        tls_fingerprint_sha256: fingerprint,
        sensor_command,
        docker_command,
    }
}

/// The console's version, URL and certificate fingerprint.
#[utoipa::path(get, path = "/console/info", tag = "settings", responses((status = 200, body = ConsoleInfo)))]
pub async fn console_info(State(state): State<AppState>, _user: ReadOnlyUser) -> Json<ConsoleInfo> {
    Json(ConsoleInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        url: state.console_url.clone(),
        tls_fingerprint_sha256: state.fingerprint.get(),
    })
}

/// The sensor API key (viewing it is audited).
#[utoipa::path(get, path = "/settings/sensor-api-key", tag = "settings", responses((status = 200, body = SensorKeyInfo)))]
pub async fn sensor_key(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
) -> Result<Json<SensorKeyInfo>, ApiError> {
    let api_key = sensors::read_api_key(&state.config.data_dir);
    let current = match &api_key {
        Some(key) => sensors::api_key_is_valid(&state.store, key).await?,
        None => false,
    };
    let api_key = api_key.filter(|_| current);
    Event::success(&admin.username, "sensor_key.view")
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok(Json(key_info(&state, api_key)))
}

/// Replaces the sensor API key. The old key stops working at once;
/// registered sensors keep their identity when restarted with the new key.
#[utoipa::path(post, path = "/settings/sensor-api-key/rotate", tag = "settings", responses((status = 200, body = SensorKeyInfo)))]
pub async fn rotate_sensor_key(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
) -> Result<Json<SensorKeyInfo>, ApiError> {
    let key = sensors::rotate_api_key(&state.store, &state.config.data_dir)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    state.auth_cache.clear();
    Event::success(&admin.username, "sensor_key.rotate")
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok(Json(key_info(&state, Some(key))))
}
