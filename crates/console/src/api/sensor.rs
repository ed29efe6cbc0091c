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
use crate::auth::throttle::Action;
use crate::sensors::{self, Registration};
use crate::state::AppState;
use crate::store::sql::rfc3339;

/// A sensor registering.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The console's sensor API key.
    pub api_key: String,
    /// The sensor's id from an earlier registration, to keep its identity
    /// (needs `credential`; an id the console does not know is ignored).
    pub sensor_id: Option<uuid::Uuid>,
    /// The sensor's credential, given at its first registration (or
    /// re-issued by an admin): proves the sensor is `sensor_id`.
    #[serde(default)]
    pub credential: Option<String>,
    /// The host name the sensor runs on.
    pub hostname: String,
    /// The sensor's version.
    pub version: String,
}

/// A sensor's identity and token.
#[derive(Serialize, ToSchema)]
pub struct SensorToken {
    /// The sensor's id (assigned by the console); keep it and send it when registering again.
    pub sensor_id: String,
    /// Send it as `Authorization: Bearer <token>` to sensor endpoints.
    pub token: String,
    /// When the token expires (RFC 3339); renew before.
    pub expires_at: String,
    /// The sensor's credential, only in the answer that issued it (a new
    /// sensor): keep it secret with `sensor_id` and send both when
    /// registering again. The console keeps only its hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Exchanges the sensor API key for a console-assigned sensor id, a credential
/// (new sensors) and a short-lived token. Registering again as an existing
/// sensor needs its id and credential; a claim without the right credential
/// is refused (403) and audited.
#[utoipa::path(post, path = "/sensor/register", tag = "sensor", request_body = RegisterRequest,
    responses((status = 200, body = SensorToken), (status = 400, body = super::error::Problem),
              (status = 401, body = super::error::Problem),
              (status = 403, body = super::error::Problem), (status = 429, body = super::error::Problem)))]
pub async fn register(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(request): Json<RegisterRequest>,
) -> Result<Json<SensorToken>, ApiError> {
    throttle(&state, Action::SensorRegistration, ip, "sensor.register").await?;
    check_len("api_key", &request.api_key, 1, 128)?;
    check_len("hostname", &request.hostname, 1, 253)?;
    check_len("version", &request.version, 1, 64)?;
    if let Some(credential) = &request.credential {
        check_len("credential", credential, 1, 128)?;
        if request.sensor_id.is_none() {
            return Err(ApiError::BadRequest(
                "a credential goes with the sensor id it was issued for: give `sensor_id` too"
                    .into(),
            ));
        }
    }
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
    let claim = sensor_id.as_deref().map(|sensor_id| sensors::Claim {
        sensor_id,
        credential: request.credential.as_deref(),
    });
    match sensors::register(&state.store, claim, &request.hostname, &request.version).await? {
        Registration::Registered {
            sensor_id,
            token,
            expires_at,
            credential,
            revoked,
        } => {
            for hash in &revoked {
                state.auth_cache.forget(hash);
            }
            let actor = format!("sensor:{sensor_id}");
            let detail = match (&credential, claim) {
                (Some(_), Some(claim)) => format!(
                    "new sensor (the id `{}` it gave is not known here)",
                    claim.sensor_id
                ),
                (Some(_), None) => "new sensor".to_string(),
                (None, _) => "registered again with its credential".to_string(),
            };
            Event::success(&actor, "sensor.register")
                .on(&sensor_id)
                .from_ip(ip.0)
                .detail(format!("{detail}; host {}", request.hostname))
                .record(&state.store)
                .await?;
            Ok(Json(SensorToken {
                sensor_id,
                token,
                expires_at: rfc3339(expires_at),
                credential,
            }))
        }
        Registration::Disabled => {
            audit::record(&state.store, fail("sensor disabled by an admin")).await?;
            Err(ApiError::Forbidden(
                "this sensor was disabled by an admin of the console".into(),
            ))
        }
        Registration::ClaimRefused => {
            let claimed = sensor_id.unwrap_or_default();
            Event::failure("anonymous", "sensor.register")
                .on(&claimed)
                .from_ip(ip.0)
                .detail(format!(
                    "claimed an existing sensor without its credential ({}); host {}",
                    if request.credential.is_some() {
                        "wrong credential"
                    } else {
                        "no credential"
                    },
                    request.hostname
                ))
                .record(&state.store)
                .await?;
            Err(ApiError::Forbidden(format!(
                "sensor `{claimed}` exists and this registration did not prove it is that sensor \
                 (its credential is missing or wrong). A host that lost its state file registers \
                 as a new sensor (remove the sensor id from its state); an admin can re-issue the \
                 credential of the old id (docs/sensor.md)"
            )))
        }
    }
}

/// Renews the caller's sensor token. The sensor's earlier tokens keep
/// working for a short grace (reports under way), then stop.
#[utoipa::path(post, path = "/sensor/token", tag = "sensor",
    responses((status = 200, body = SensorToken), (status = 401, body = super::error::Problem)))]
pub async fn renew(
    State(state): State<AppState>,
    ip: ClientIp,
    SensorCaller(sensor): SensorCaller,
) -> Result<(StatusCode, Json<SensorToken>), ApiError> {
    throttle(&state, Action::TokenRenewal, ip, "sensor.token_renew").await?;
    let renewal = sensors::renew(
        &state.store,
        &sensor.sensor_id,
        state.config.sensor_token_grace,
    )
    .await?;
    for hash in &renewal.revoked {
        state.auth_cache.forget(hash);
    }
    Ok((
        StatusCode::OK,
        Json(SensorToken {
            sensor_id: sensor.sensor_id,
            token: renewal.token,
            expires_at: rfc3339(renewal.expires_at),
            credential: None,
        }),
    ))
}

/// Accepts a report: a snapshot, or the next delta of the sensor's stream.
/// Answers 409 with `need_snapshot: true` when the console needs a snapshot,
/// 422 with `limit` when the report would take the sensor beyond one of the
/// console's limits (or carries an out-of-range number), 413 beyond
/// `max_report_bytes`, and 429/503 with `Retry-After` when the console's
/// decompression or topology budget is spent. A refused report changes
/// nothing.
#[utoipa::path(post, path = "/sensor/report", tag = "sensor",
    request_body(content = String, description = "zstd-compressed JSON report (Content-Encoding: zstd)", content_type = "application/json"),
    responses((status = 202, body = crate::topology::ingest::Accepted), (status = 400, body = super::error::Problem),
              (status = 403, body = super::error::Problem), (status = 409, body = super::error::Problem),
              (status = 413, body = super::error::Problem), (status = 422, body = super::error::Problem),
              (status = 429, body = super::error::Problem), (status = 503, body = super::error::Problem)))]
pub async fn report(
    State(state): State<AppState>,
    ip: ClientIp,
    SensorCaller(sensor): SensorCaller,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<axum::response::Response, ApiError> {
    use crate::topology::ingest::{self, IngestError};
    use axum::response::IntoResponse;
    // Checked before anything is decoded. Not audited: a sensor over its
    // budget is told to retry, which it does; nothing was attempted.
    if let Err(retry_after_secs) = state.throttles.check(Action::ReportIngest, ip.0) {
        return Err(ApiError::TooManyRequests {
            detail: format!(
                "too many reports from your address; retry in {retry_after_secs} s (--reports-per-minute)"
            ),
            retry_after_secs,
        });
    }
    let zstd = match headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
    {
        None | Some("identity") => false,
        Some("zstd") => true,
        Some(other) => {
            return Err(ApiError::Status {
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                detail: format!("Content-Encoding `{other}` is not supported; use zstd"),
            });
        }
    };
    let limits = state.config.topology_limits;
    // The body is kept as received: the store keeps reports compressed.
    let received = ingest::Body {
        bytes: body.clone(),
        zstd,
    };
    // Decoded on a blocking thread; the decode budget's reservation is held
    // until the report is applied (or refused).
    let budget = state.topology.decoding.clone();
    let decoded =
        tokio::task::spawn_blocking(move || ingest::decode(&body, zstd, &limits, &budget))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
    let outcome = match decoded {
        Ok((mut report, _reservation)) => {
            // Collector statuses describe the sensor, not the map: kept beside it.
            let collectors = report.collectors.take();
            let applied = ingest::apply(
                &state.topology,
                &state.store,
                &sensor.sensor_id,
                report,
                received,
                &limits,
            )
            .await;
            if applied.is_ok()
                && let Some(collectors) = collectors
            {
                sensors::set_collectors(&state.store, &sensor.sensor_id, &collectors).await?;
            }
            applied
        }
        Err(err) => Err(err),
    };
    if let Err(err) = &outcome
        && let Some(limit) = err.limit()
    {
        metrics::counter!("vedette_topology_reports_refused_total", "limit" => limit).increment(1);
    }
    match outcome {
        Ok(accepted) => Ok((StatusCode::ACCEPTED, Json(accepted)).into_response()),
        Err(IngestError::Malformed(detail)) => Err(ApiError::BadRequest(detail)),
        Err(err @ IngestError::TooLarge(_)) => {
            Ok(limit_problem(StatusCode::PAYLOAD_TOO_LARGE, &err, None))
        }
        Err(err @ (IngestError::OverLimit(_) | IngestError::OutOfRange(_))) => {
            Ok(limit_problem(StatusCode::UNPROCESSABLE_ENTITY, &err, None))
        }
        Err(err @ IngestError::FleetFull { retry_after, .. }) => Ok(limit_problem(
            StatusCode::SERVICE_UNAVAILABLE,
            &err,
            Some(retry_after),
        )),
        Err(err @ IngestError::DecodeBusy(retry_after)) => Ok(limit_problem(
            StatusCode::TOO_MANY_REQUESTS,
            &err,
            Some(retry_after),
        )),
        Err(err @ IngestError::WrongSensor { .. }) => Err(ApiError::Forbidden(err.to_string())),
        Err(err @ IngestError::NeedSnapshot(_)) => {
            let mut response =
                super::error::problem_response(StatusCode::CONFLICT, err.to_string());
            // Add the machine-readable flag sensors act on.
            let body = serde_json::json!({
                "type": "https://vedette.dev/problems/need-snapshot",
                "title": "Conflict",
                "status": 409,
                "detail": err.to_string(),
                "need_snapshot": true,
            });
            *response.body_mut() = axum::body::Body::from(body.to_string());
            Ok(response)
        }
        Err(err @ IngestError::Busy(retry_after_secs)) => Err(ApiError::TooManyRequests {
            detail: err.to_string(),
            retry_after_secs,
        }),
        Err(IngestError::Store(err)) => Err(err.into()),
    }
}

/// A refused report's problem document, naming the limit (`limit`, as in
/// the configuration) or the out-of-range field (`field`).
fn limit_problem(
    status: StatusCode,
    err: &crate::topology::ingest::IngestError,
    retry_after_secs: Option<u64>,
) -> axum::response::Response {
    use crate::topology::ingest::IngestError;
    let mut response = super::error::problem_response(status, err.to_string());
    let mut body = serde_json::json!({
        "type": "https://vedette.dev/problems/report-refused",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": err.to_string(),
    });
    if let Some(limit) = err.limit() {
        body["limit"] = limit.into();
    }
    if let IngestError::OutOfRange(out) = err {
        body["field"] = out.field.clone().into();
    }
    *response.body_mut() = axum::body::Body::from(body.to_string());
    if let Some(secs) = retry_after_secs
        && let Ok(value) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        response
            .headers_mut()
            .insert(axum::http::header::RETRY_AFTER, value);
    }
    response
}
