//! Invites: admins create expiring single-use links that let someone create
//! an account with a given role.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, Path, QueryMap, check_len};
use super::list::{ListParams, ListSpec};
use super::session::{SessionInfo, check_new_account, hash_password, start_session, throttle};
use crate::audit::Event;
use crate::auth::one_time::{self, Invite, Purpose};
use crate::auth::principal::{AdminUser, ClientIp};
use crate::auth::throttle::Action;
use crate::auth::{Role, users};
use crate::state::AppState;
use crate::store::sql::{now_ms, rfc3339};

/// Creating an invite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    /// The role the new account gets.
    pub role: Role,
    /// Hours until the link stops working (1–720, default 72).
    pub expires_in_hours: Option<u32>,
}

/// A created invite, with its secret (shown once).
#[derive(Serialize, ToSchema)]
pub struct CreatedInvite {
    /// Identifier (to revoke it).
    pub id: String,
    /// The role the new account gets.
    pub role: Role,
    /// Put it in the link `<console>/invite/<token>`.
    pub token: String,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// Accepting an invite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// The token from the invite link.
    pub token: String,
    /// The new account's user name.
    pub username: String,
    /// The new account's password.
    pub password: String,
}

/// Creates an invite link.
#[utoipa::path(post, path = "/invites", tag = "invites", request_body = NewInvite,
    responses((status = 201, body = CreatedInvite), (status = 400, body = super::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Json(request): Json<NewInvite>,
) -> Result<(StatusCode, Json<CreatedInvite>), ApiError> {
    let hours = request.expires_in_hours.unwrap_or(72);
    if !(1..=720).contains(&hours) {
        return Err(ApiError::BadRequest(
            "`expires_in_hours` must be from 1 to 720".into(),
        ));
    }
    let now = now_ms();
    let expires_at = now + i64::from(hours) * 3600 * 1000;
    let (id, token) = one_time::create(
        &state.store,
        Purpose::Invite,
        Some(request.role),
        None,
        &admin.username,
        expires_at,
    )
    .await?;
    Event::success(&admin.username, "invite.create")
        .on(&id)
        .from_ip(ip.0)
        .detail(format!("role {}, valid {hours} h", request.role))
        .record(&state.store)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInvite {
            id,
            role: request.role,
            token,
            expires_at: rfc3339(expires_at),
            created_at: rfc3339(now),
        }),
    ))
}

/// Lists pending invites.
#[utoipa::path(get, path = "/invites", tag = "invites",
    params(("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query), ("sort" = Option<String>, Query)),
    responses((status = 200, body = super::list::Page<Invite>)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<super::list::Page<Invite>>, ApiError> {
    let params = ListParams::parse(&raw, &LIST_SPEC)?;
    let items = one_time::pending_invites(&state.store).await?;
    Ok(Json(params.page_in_memory(
        items,
        |invite, field| match field {
            "expires_at" => invite.expires_at.clone(),
            "role" => invite.role.as_str().to_string(),
            _ => invite.created_at.clone(),
        },
    )))
}

/// The sort keys the invite list accepts (pending invites only, sorted and
/// paged in memory).
const LIST_SPEC: ListSpec = ListSpec {
    sortable: &["created_at", "expires_at", "role"],
    default_sort: "-created_at",
    filters: &[],
    searchable: &[],
};

/// Revokes a pending invite.
#[utoipa::path(delete, path = "/invites/{id}", tag = "invites", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_len("id", &id, 1, 64)?;
    if !one_time::revoke_invite(&state.store, &id).await? {
        return Err(ApiError::NotFound(format!(
            "no pending invite with id `{id}`"
        )));
    }
    Event::success(&admin.username, "invite.revoke")
        .on(&id)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Creates an account from an invite link and signs in.
#[utoipa::path(post, path = "/invites/accept", tag = "invites", request_body = AcceptInvite,
    responses((status = 201, body = SessionInfo), (status = 400, body = super::error::Problem),
              (status = 403, body = super::error::Problem), (status = 409, body = super::error::Problem)))]
pub async fn accept(
    State(state): State<AppState>,
    ip: ClientIp,
    jar: CookieJar,
    Json(request): Json<AcceptInvite>,
) -> Result<impl IntoResponse, ApiError> {
    throttle(&state, Action::SignIn, ip, "invite.accept").await?;
    check_len("token", &request.token, 1, 128)?;
    check_new_account(&request.username, &request.password)?;
    let refused = || {
        ApiError::Forbidden(
            "this invite link is unknown, expired or already used; ask an admin for a new one"
                .into(),
        )
    };
    let Some(invite) = one_time::peek(&state.store, Purpose::Invite, &request.token).await? else {
        Event::failure("anonymous", "invite.accept")
            .on(&request.username)
            .from_ip(ip.0)
            .detail("unknown, used or expired link")
            .record(&state.store)
            .await?;
        return Err(refused());
    };
    if users::by_username(&state.store, &request.username)
        .await?
        .is_some()
    {
        return Err(ApiError::Conflict(format!(
            "the user name `{}` is taken; choose another",
            request.username
        )));
    }
    if one_time::consume(&state.store, Purpose::Invite, &request.token)
        .await?
        .is_none()
    {
        return Err(refused());
    }
    let role = invite
        .role
        .as_deref()
        .and_then(Role::parse)
        .unwrap_or(Role::ReadOnly);
    let hash = hash_password(request.password).await?;
    let Some(user) = users::create(&state.store, &request.username, &hash, role).await? else {
        return Err(ApiError::Conflict(format!(
            "the user name `{}` is taken; choose another",
            request.username
        )));
    };
    users::record_login(&state.store, &user.id).await?;
    Event::success(&user.username, "user.create")
        .on(&user.username)
        .from_ip(ip.0)
        .detail(format!("from invite, role {role}"))
        .record(&state.store)
        .await?;
    let (jar, info) = start_session(&state, jar, &user, ip).await?;
    Ok((StatusCode::CREATED, jar, Json(info)))
}
