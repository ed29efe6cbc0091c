//! The caller's personal API tokens.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::QueryMap;
use super::extract::{Json, Path, check_len};
use super::list::{ListParams, ListSpec, Page};
use crate::audit::Event;
use crate::auth::api_tokens::{self, ApiToken};
use crate::auth::principal::{ClientIp, ReadOnlyUser};
use crate::state::AppState;
use crate::store::sql::now_ms;

/// Creating a token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A name to recognise it by (1–100 characters).
    pub name: String,
    /// Days until it expires (1–365); no expiry when absent.
    pub expires_in_days: Option<u32>,
}

/// A created token with its secret (shown once).
#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The token's listing.
    #[serde(flatten)]
    pub info: ApiToken,
    /// Send it as `Authorization: Bearer <token>`. Shown only now.
    pub token: String,
}

/// Lists the caller's tokens.
#[utoipa::path(get, path = "/tokens", tag = "tokens",
    params(("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query), ("sort" = Option<String>, Query)),
    responses((status = 200, body = Page<ApiToken>)))]
pub async fn list(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Page<ApiToken>>, ApiError> {
    let params = ListParams::parse(&raw, &LIST_SPEC)?;
    let items = api_tokens::list_for_user(&state.store, &user.id).await?;
    Ok(Json(params.page_in_memory(
        items,
        |token, field| match field {
            "name" => token.name.to_lowercase(),
            _ => token.created_at.clone(),
        },
    )))
}

/// The sort keys the token list accepts (a user holds at most 100 tokens,
/// so the list is sorted and paged in memory).
const LIST_SPEC: ListSpec = ListSpec {
    sortable: &["created_at", "name"],
    default_sort: "-created_at",
    filters: &[],
    searchable: &[],
};
/// Creates a token for the caller.
#[utoipa::path(post, path = "/tokens", tag = "tokens", request_body = NewToken,
    responses((status = 201, body = CreatedToken), (status = 400, body = super::error::Problem), (status = 409, body = super::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ip: ClientIp,
    ReadOnlyUser(user): ReadOnlyUser,
    Json(request): Json<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let name = request.name.trim();
    check_len("name", name, 1, 100)?;
    let expires_at = match request.expires_in_days {
        None => None,
        Some(days @ 1..=365) => Some(now_ms() + i64::from(days) * 24 * 3600 * 1000),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`expires_in_days` must be from 1 to 365".into(),
            ));
        }
    };
    if api_tokens::count_for_user(&state.store, &user.id).await? >= api_tokens::MAX_PER_USER {
        return Err(ApiError::Conflict(format!(
            "you already have {} tokens; revoke some first",
            api_tokens::MAX_PER_USER
        )));
    }
    let (info, token) = api_tokens::create(&state.store, &user.id, name, expires_at).await?;
    Event::success(&user.username, "token.create")
        .on(&info.id)
        .from_ip(ip.0)
        .detail(format!("name `{name}`"))
        .record(&state.store)
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { info, token })))
}

/// Revokes one of the caller's tokens; it stops working at once.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "tokens", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    ip: ClientIp,
    ReadOnlyUser(user): ReadOnlyUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_len("id", &id, 1, 64)?;
    if !api_tokens::revoke(&state.store, &user.id, &id).await? {
        return Err(ApiError::NotFound(format!(
            "you have no token with id `{id}`"
        )));
    }
    state.auth_cache.clear();
    Event::success(&user.username, "token.revoke")
        .on(&id)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
