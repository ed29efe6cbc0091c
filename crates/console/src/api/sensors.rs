//! The sensors, for people: list with liveness, disable, remove.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, check_len};
use super::list::Page;
use crate::audit::Event;
use crate::auth::principal::{AdminUser, ClientIp, ReadOnlyUser};
use crate::sensors::{self, SensorInfo};
use crate::state::AppState;

/// An admin's change to a sensor.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SensorUpdate {
    /// Disable (true: its tokens stop working and it cannot register) or enable it.
    pub disabled: bool,
}

/// Lists sensors with version, status (`online`, `offline`, `disabled`) and last contact.
#[utoipa::path(get, path = "/sensors", tag = "sensors", responses((status = 200, body = Page<SensorInfo>)))]
pub async fn list(
    State(state): State<AppState>,
    _user: ReadOnlyUser,
) -> Result<Json<Page<SensorInfo>>, ApiError> {
    let offline_after = state.config.sensor_offline_after.as_millis() as i64;
    let items = sensors::list(&state.store, offline_after).await?;
    let total = items.len() as i64;
    Ok(Json(Page {
        limit: items.len() as u64,
        items,
        total,
        offset: 0,
    }))
}

/// Disables or enables a sensor.
#[utoipa::path(patch, path = "/sensors/{id}", tag = "sensors", params(("id" = String, Path)), request_body = SensorUpdate,
    responses((status = 204), (status = 404, body = super::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Json(request): Json<SensorUpdate>,
) -> Result<StatusCode, ApiError> {
    check_len("id", &id, 1, 64)?;
    if !sensors::set_disabled(&state.store, &id, request.disabled).await? {
        return Err(ApiError::NotFound(format!("no sensor with id `{id}`")));
    }
    state.auth_cache.clear();
    Event::success(
        &admin.username,
        if request.disabled {
            "sensor.disable"
        } else {
            "sensor.enable"
        },
    )
    .on(&id)
    .from_ip(ip.0)
    .record(&state.store)
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes a sensor and its topology. A sensor still running registers again.
#[utoipa::path(delete, path = "/sensors/{id}", tag = "sensors", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
pub async fn remove(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_len("id", &id, 1, 64)?;
    if !sensors::remove(&state.store, &id).await? {
        return Err(ApiError::NotFound(format!("no sensor with id `{id}`")));
    }
    state.topology.forget(&id).await;
    state.auth_cache.clear();
    Event::success(&admin.username, "sensor.remove")
        .on(&id)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
