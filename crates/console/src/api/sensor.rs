//! Endpoints sensors call: registration with the API key, and token renewal.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, check_len};
use super::session::throttle;
use crate::audit::{self, Event, Outcome};
use crate::auth::principal::{ClientIp, SensorCaller};
use crate::sensors::{self, Registration};
use crate::state::AppState;
use crate::store::sql::rfc3339;

/// A sensor registering.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The console's sensor API key.
    pub api_key: String,
    /// The sensor's id from an earlier registration, to keep its identity.
    pub sensor_id: Option<uuid::Uuid>,
    /// The host name the sensor runs on.
    pub hostname: String,
    /// The sensor's version.
    pub version: String,
}

/// A sensor's identity and token.
#[derive(Serialize, ToSchema)]
pub struct SensorToken {
    /// The sensor's id; keep it and send it when registering again.
    pub sensor_id: String,
    /// Send it as `Authorization: Bearer <token>` to sensor endpoints.
    pub token: String,
    /// When the token expires (RFC 3339); renew before.
    pub expires_at: String,
}

/// Exchanges the sensor API key for a sensor id and a short-lived token.
#[utoipa::path(post, path = "/sensor/register", tag = "sensor", request_body = RegisterRequest,
    responses((status = 200, body = SensorToken), (status = 401, body = super::error::Problem),
              (status = 403, body = super::error::Problem), (status = 429, body = super::error::Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(request): Json<RegisterRequest>,
) -> Result<Json<SensorToken>, ApiError> {
    throttle(&state, ip, "sensor.register").await?;
    check_len("api_key", &request.api_key, 1, 128)?;
    check_len("hostname", &request.hostname, 1, 253)?;
    check_len("version", &request.version, 1, 64)?;
    let sensor_id = request.sensor_id.map(|id| id.to_string());
    let fail = |detail: &str| Event {
        actor: "anonymous",
        action: "sensor.register",
        target: Some(&request.hostname),
        source_ip: Some(ip.0.to_string()),
        outcome: Outcome::Failure,
        detail: Some(detail.to_string()),
    };
    if !sensors::api_key_is_valid(&state.store, &request.api_key).await? {
        audit::record(&state.store, fail("wrong or rotated API key")).await?;
        return Err(ApiError::Unauthorized(
            "the sensor API key is wrong or was rotated; get the current key from the console (`vedette console api-key show`)".into(),
        ));
    }
    match sensors::register(
        &state.store,
        sensor_id.as_deref(),
        &request.hostname,
        &request.version,
    )
    .await?
    {
        Registration::Registered {
            sensor_id,
            token,
            expires_at,
        } => {
            let actor = format!("sensor:{sensor_id}");
            audit::record(
                &state.store,
                Event {
                    actor: &actor,
                    action: "sensor.register",
                    target: Some(&request.hostname),
                    source_ip: Some(ip.0.to_string()),
                    outcome: Outcome::Success,
                    detail: None,
                },
            )
            .await?;
            Ok(Json(SensorToken {
                sensor_id,
                token,
                expires_at: rfc3339(expires_at),
            }))
        }
        Registration::Disabled => {
            audit::record(&state.store, fail("sensor disabled by an admin")).await?;
            Err(ApiError::Forbidden(
                "this sensor was disabled by an admin of the console".into(),
            ))
        }
    }
}

/// Renews the caller's sensor token.
#[utoipa::path(post, path = "/sensor/token", tag = "sensor",
    responses((status = 200, body = SensorToken), (status = 401, body = super::error::Problem)))]
pub async fn renew(
    State(state): State<AppState>,
    SensorCaller(sensor): SensorCaller,
) -> Result<(StatusCode, Json<SensorToken>), ApiError> {
    let (token, expires_at) = sensors::issue_token(&state.store, &sensor.sensor_id).await?;
    Ok((
        StatusCode::OK,
        Json(SensorToken {
            sensor_id: sensor.sensor_id,
            token,
            expires_at: rfc3339(expires_at),
        }),
    ))
}
