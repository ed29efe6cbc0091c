//! The sensors, for people: list with liveness, disable, remove, re-issue
//! a sensor's credential.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, Path, QueryMap, check_len};
use super::list::{ListParams, ListSpec, Page};
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

/// What the sensors list accepts (the set is loaded whole: liveness is computed, not stored).
const LIST_SPEC: ListSpec = ListSpec {
    sortable: &[
        "hostname",
        "status",
        "version",
        "visibility",
        "last_seen_at",
        "registered_at",
    ],
    default_sort: "hostname",
    filters: &["status", "visibility", "version"],
    searchable: &["hostname", "id", "version"],
};

/// A sensor's field as text, for filtering, search and sorting.
fn field(sensor: &SensorInfo, name: &str) -> String {
    match name {
        "id" => sensor.id.clone(),
        "hostname" => sensor.hostname.clone(),
        "status" => sensor.status.clone(),
        "version" => sensor.version.clone(),
        "visibility" => sensor.visibility.clone().unwrap_or_default(),
        "last_seen_at" => sensor.last_seen_at.clone(),
        "registered_at" => sensor.registered_at.clone(),
        _ => String::new(),
    }
}

/// Lists sensors with version, status (`online`, `offline`, `disabled`) and last contact.
/// Follows the list convention: `limit`, `offset`, `sort`, `q` (host name, id, version) and
/// the filters `status`, `visibility`, `version`.
#[utoipa::path(get, path = "/sensors", tag = "sensors",
    params(("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query), ("sort" = Option<String>, Query),
        ("q" = Option<String>, Query), ("status" = Option<String>, Query), ("visibility" = Option<String>, Query),
        ("version" = Option<String>, Query)),
    responses((status = 200, body = Page<SensorInfo>), (status = 400, body = super::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _user: ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Page<SensorInfo>>, ApiError> {
    let params = ListParams::parse(&raw, &LIST_SPEC)?;
    let offline_after = state.config.sensor_offline_after.as_millis() as i64;
    let items = sensors::list(&state.store, offline_after).await?;
    Ok(Json(params.page_in_memory(items, field)))
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

/// A sensor's re-issued credential, shown once.
#[derive(Serialize, ToSchema)]
pub struct IssuedCredential {
    /// The sensor's id.
    pub sensor_id: String,
    /// The new credential: hand it to the host with the id
    /// (`VEDETTE_SENSOR_ID`, `VEDETTE_SENSOR_CREDENTIAL`). It is not shown again.
    pub credential: String,
}

/// Re-issues a sensor's credential (a re-imaged host taking over its old
/// identity, or a credential that leaked). The old credential and the
/// sensor's tokens stop working at once.
#[utoipa::path(post, path = "/sensors/{id}/credential", tag = "sensors", params(("id" = String, Path)),
    responses((status = 200, body = IssuedCredential), (status = 404, body = super::error::Problem)))]
pub async fn reissue_credential(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<Json<IssuedCredential>, ApiError> {
    check_len("id", &id, 1, 64)?;
    let Some(reissued) = sensors::reissue_credential(&state.store, &id).await? else {
        return Err(ApiError::NotFound(format!("no sensor with id `{id}`")));
    };
    for hash in &reissued.revoked {
        state.auth_cache.forget(hash);
    }
    Event::success(&admin.username, "sensor.credential.reissue")
        .on(&id)
        .from_ip(ip.0)
        .detail("the old credential and the sensor's tokens were revoked")
        .record(&state.store)
        .await?;
    Ok(Json(IssuedCredential {
        sensor_id: id,
        credential: reissued.credential,
    }))
}
