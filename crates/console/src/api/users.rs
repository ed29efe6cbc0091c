//! User management: the caller's own account, and admin operations on
//! others (role, status, deletion, password-reset links).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, Path, QueryMap, check_len};
use super::list::{ListParams, Page};
use super::session::{check_new_account, hash_password, throttle, verify_password};
use crate::audit::Event;
use crate::auth::one_time::{self, Purpose};
use crate::auth::principal::{AdminUser, ClientIp, ReadOnlyUser};
use crate::auth::throttle::Action;
use crate::auth::users::{self, User};
use crate::auth::{Role, password, sessions};
use crate::state::AppState;
use crate::store::sql::{now_ms, rfc3339};

/// Changing one's own password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// The current password.
    pub current_password: String,
    /// The new password (12–128 characters, not containing the user name,
    /// not a common password).
    pub new_password: String,
}

/// An admin's change to a user.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// New role.
    pub role: Option<Role>,
    /// Disable (true) or enable (false) the account.
    pub disabled: Option<bool>,
}

/// A password-reset link's secret.
#[derive(Serialize, ToSchema)]
pub struct ResetLink {
    /// Put it in the link `<console>/reset/<token>`; shown once.
    pub token: String,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
}

/// Completing a password reset.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordReset {
    /// The token from the reset link.
    pub token: String,
    /// The new password.
    pub new_password: String,
}

/// How long a password-reset link works.
const RESET_TTL_MS: i64 = 24 * 3600 * 1000;

/// The signed-in user.
#[utoipa::path(get, path = "/users/me", tag = "users", responses((status = 200, body = User)))]
pub async fn me(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
) -> Result<Json<User>, ApiError> {
    let row = users::by_id(&state.store, &user.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    Ok(Json(row.to_api()))
}

/// Changes the caller's password. Every session of the user ends, this one
/// included; API tokens keep working.
#[utoipa::path(post, path = "/users/me/password", tag = "users", request_body = PasswordChange,
    responses((status = 204), (status = 400, body = super::error::Problem), (status = 403, body = super::error::Problem)))]
pub async fn change_password(
    State(state): State<AppState>,
    ip: ClientIp,
    ReadOnlyUser(user): ReadOnlyUser,
    Json(request): Json<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    throttle(&state, Action::SignIn, ip, "user.password_change").await?;
    check_len(
        "current_password",
        &request.current_password,
        1,
        password::MAX_LEN,
    )?;
    check_new_account(&user.username, &request.new_password)?;
    let row = users::by_id(&state.store, &user.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    if !verify_password(request.current_password, row.password_hash).await? {
        Event::failure(&user.username, "user.password_change")
            .on(&user.username)
            .from_ip(ip.0)
            .detail("wrong current password")
            .record(&state.store)
            .await?;
        return Err(ApiError::Forbidden("the current password is wrong".into()));
    }
    let hash = hash_password(request.new_password).await?;
    users::set_password(&state.store, &user.id, &hash).await?;
    sessions::revoke_all_for_user(&state.store, &user.id).await?;
    state.auth_cache.clear();
    Event::success(&user.username, "user.password_change")
        .on(&user.username)
        .from_ip(ip.0)
        .detail("all sessions ended")
        .record(&state.store)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists users. Filters: `role`, `disabled`; search `q` on user names;
/// sort by `username`, `role`, `created_at`, `last_login_at`.
#[utoipa::path(get, path = "/users", tag = "users",
    params(("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query), ("sort" = Option<String>, Query),
           ("q" = Option<String>, Query), ("role" = Option<String>, Query), ("disabled" = Option<bool>, Query)),
    responses((status = 200, body = Page<User>)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Page<User>>, ApiError> {
    let params = ListParams::parse(&raw, &users::LIST_SPEC)?;
    if let Some((_, role)) = params.filters.iter().find(|(field, _)| *field == "role")
        && Role::parse(role).is_none()
    {
        return Err(ApiError::BadRequest(
            "`role` must be admin, standard or read_only".into(),
        ));
    }
    if let Some((_, disabled)) = params
        .filters
        .iter()
        .find(|(field, _)| *field == "disabled")
        && disabled != "true"
        && disabled != "false"
    {
        return Err(ApiError::BadRequest(
            "`disabled` must be true or false".into(),
        ));
    }
    Ok(Json(users::list(&state.store, &params).await?))
}

async fn target_user(state: &AppState, id: &str) -> Result<users::UserRow, ApiError> {
    check_len("id", id, 1, 64)?;
    users::by_id(&state.store, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user with id `{id}`")))
}

/// Refuses a change that would leave the console without an enabled admin.
async fn keep_an_admin(state: &AppState, target: &users::UserRow) -> Result<(), ApiError> {
    if target.role() == Role::Admin
        && target.disabled == 0
        && users::admin_count(&state.store).await? <= 1
    {
        return Err(ApiError::Conflict(
            "this is the last enabled admin; make another admin first".into(),
        ));
    }
    Ok(())
}

/// Changes a user's role or enables/disables the account.
#[utoipa::path(patch, path = "/users/{id}", tag = "users", request_body = UserUpdate,
    params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Json(request): Json<UserUpdate>,
) -> Result<Json<User>, ApiError> {
    let target = target_user(&state, &id).await?;
    let demotes = request.role.is_some_and(|role| role != Role::Admin);
    if demotes || request.disabled == Some(true) {
        keep_an_admin(&state, &target).await?;
    }
    users::update(&state.store, &id, request.role, request.disabled).await?;
    if request.disabled == Some(true) {
        sessions::revoke_all_for_user(&state.store, &id).await?;
    }
    state.auth_cache.clear();
    if let Some(role) = request.role.filter(|role| *role != target.role()) {
        Event::success(&admin.username, "user.role_change")
            .on(&target.username)
            .from_ip(ip.0)
            .detail(format!("{} -> {}", target.role(), role))
            .record(&state.store)
            .await?;
    }
    if let Some(disabled) = request
        .disabled
        .filter(|d| i64::from(*d) != target.disabled)
    {
        Event::success(
            &admin.username,
            if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
        )
        .on(&target.username)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    }
    let row = target_user(&state, &id).await?;
    Ok(Json(row.to_api()))
}

/// Deletes a user, with their sessions and API tokens.
#[utoipa::path(delete, path = "/users/{id}", tag = "users", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem), (status = 409, body = super::error::Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let target = target_user(&state, &id).await?;
    if target.id == admin.id {
        return Err(ApiError::Conflict(
            "you cannot delete your own account".into(),
        ));
    }
    keep_an_admin(&state, &target).await?;
    users::delete(&state.store, &id).await?;
    state.auth_cache.clear();
    Event::success(&admin.username, "user.delete")
        .on(&target.username)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a one-time password-reset link for a user (valid 24 h) and ends
/// their sessions.
#[utoipa::path(post, path = "/users/{id}/password-reset", tag = "users", params(("id" = String, Path)),
    responses((status = 201, body = ResetLink), (status = 404, body = super::error::Problem)))]
pub async fn issue_reset(
    State(state): State<AppState>,
    ip: ClientIp,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ResetLink>), ApiError> {
    let target = target_user(&state, &id).await?;
    let expires_at = now_ms() + RESET_TTL_MS;
    let (_, token) = one_time::create(
        &state.store,
        Purpose::PasswordReset,
        None,
        Some(&target.id),
        &admin.username,
        expires_at,
    )
    .await?;
    sessions::revoke_all_for_user(&state.store, &target.id).await?;
    state.auth_cache.clear();
    Event::success(&admin.username, "user.password_reset_issue")
        .on(&target.username)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ResetLink {
            token,
            expires_at: rfc3339(expires_at),
        }),
    ))
}

/// Sets a new password with a reset link's token.
#[utoipa::path(post, path = "/password-reset", tag = "users", request_body = PasswordReset,
    responses((status = 204), (status = 400, body = super::error::Problem), (status = 403, body = super::error::Problem)))]
pub async fn complete_reset(
    State(state): State<AppState>,
    ip: ClientIp,
    Json(request): Json<PasswordReset>,
) -> Result<StatusCode, ApiError> {
    throttle(&state, Action::SignIn, ip, "user.password_reset").await?;
    check_len("token", &request.token, 1, 128)?;
    check_len("new_password", &request.new_password, 1, password::MAX_LEN)?;
    let refused = || {
        ApiError::Forbidden(
            "this reset link is unknown, expired or already used; ask an admin for a new one"
                .into(),
        )
    };
    let Some(user_id) = one_time::peek(&state.store, Purpose::PasswordReset, &request.token)
        .await?
        .and_then(|c| c.user_id)
    else {
        Event::failure("anonymous", "user.password_reset")
            .from_ip(ip.0)
            .detail("unknown, used or expired link")
            .record(&state.store)
            .await?;
        return Err(refused());
    };
    let target = target_user(&state, &user_id).await?;
    // Check the policy before using the link up, so a weak password does not burn it.
    password::check_policy(&target.username, &request.new_password)
        .map_err(ApiError::BadRequest)?;
    if one_time::consume(&state.store, Purpose::PasswordReset, &request.token)
        .await?
        .is_none()
    {
        return Err(refused());
    }
    let hash = hash_password(request.new_password).await?;
    users::set_password(&state.store, &target.id, &hash).await?;
    sessions::revoke_all_for_user(&state.store, &target.id).await?;
    state.auth_cache.clear();
    Event::success(&target.username, "user.password_reset")
        .on(&target.username)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
