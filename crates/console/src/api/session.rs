//! First-run setup, sign-in, sign-out and the current session.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, check_len};
use crate::audit::{Event, Outcome};
use crate::auth::principal::{ClientIp, Credential, ReadOnlyUser};
use crate::auth::throttle::Action;
use crate::auth::users::{self, User};
use crate::auth::{Role, lockout, password, secret, sessions};
use crate::settings;
use crate::state::AppState;
use crate::store::sql::now_ms;

/// Whether the console still needs its first admin.
#[derive(Serialize, ToSchema)]
pub struct SetupStatus {
    /// True until the first admin account exists.
    pub needs_setup: bool,
}

/// Creating the first admin.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    /// The one-time code printed in the console's start-up banner.
    pub setup_code: String,
    /// The admin's user name.
    pub username: String,
    /// The admin's password.
    pub password: String,
}

/// Signing in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// A signed-in browser session.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    /// The user.
    pub user: User,
    /// Send this in `X-CSRF-Token` on every state-changing request made with
    /// the session cookie.
    pub csrf_token: String,
}

/// Builds the session cookie.
pub fn session_cookie(value: String, max_age_secs: i64) -> Cookie<'static> {
    Cookie::build((sessions::COOKIE, value))
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(SameSite::Strict)
        .max_age(time::Duration::seconds(max_age_secs.max(0)))
        .build()
}

/// Starts a session and returns the response parts that set its cookie.
pub async fn start_session(
    state: &AppState,
    jar: CookieJar,
    user: &users::UserRow,
    ip: ClientIp,
) -> Result<(CookieJar, SessionInfo), ApiError> {
    let ttl_ms = state.config.session_ttl.as_millis() as i64;
    let session = sessions::create(&state.store, &user.id, ttl_ms, Some(&ip.0.to_string())).await?;
    let max_age = (session.expires_at - now_ms()) / 1000;
    let jar = jar.add(session_cookie(session.id, max_age));
    Ok((
        jar,
        SessionInfo {
            user: user.to_api(),
            csrf_token: session.csrf_token,
        },
    ))
}

/// Refuses the attempt if this source is over its budget for `budget`.
/// The refusal is audited as `audit_action`, one entry with a count per
/// source and window however many requests are refused.
pub async fn throttle(
    state: &AppState,
    budget: Action,
    ip: ClientIp,
    audit_action: &str,
) -> Result<(), ApiError> {
    if let Err(retry_after_secs) = state.throttles.check(budget, ip.0) {
        Event::failure("anonymous", audit_action)
            .from_ip(ip.0)
            .detail(format!(
                "throttled: too many {} attempts from this address",
                budget.as_str()
            ))
            .record_aggregated(&state.store, state.config.audit_aggregate_window)
            .await?;
        return Err(ApiError::TooManyRequests {
            detail: format!(
                "too many {} attempts from your address; retry in {retry_after_secs} s",
                budget.as_str()
            ),
            retry_after_secs,
        });
    }
    Ok(())
}

/// Hashes a password off the async runtime (Argon2id is slow on purpose).
pub async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .map_err(ApiError::Internal)
}

/// Verifies a password off the async runtime.
pub async fn verify_password(password: String, hash: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || password::verify(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.into()))
}

/// Validates a new account's name and password.
pub fn check_new_account(username: &str, password: &str) -> Result<(), ApiError> {
    users::check_username(username).map_err(ApiError::BadRequest)?;
    check_len("password", password, 1, password::MAX_LEN)?;
    password::check_policy(username, password).map_err(ApiError::BadRequest)
}

/// Tells whether the first admin still has to be created.
#[utoipa::path(get, path = "/setup", tag = "setup", responses((status = 200, body = SetupStatus)))]
pub async fn setup_status(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    let needs_setup = settings::get(&state.store, settings::SETUP_CODE_HASH)
        .await?
        .is_some()
        && users::admin_count(&state.store).await? == 0;
    Ok(Json(SetupStatus { needs_setup }))
}

/// Creates the first admin with the setup code from the banner, and signs in.
#[utoipa::path(post, path = "/setup", tag = "setup", request_body = SetupRequest,
    responses((status = 201, body = SessionInfo), (status = 400, body = super::error::Problem),
              (status = 403, body = super::error::Problem), (status = 429, body = super::error::Problem)))]
pub async fn setup_complete(
    State(state): State<AppState>,
    ip: ClientIp,
    jar: CookieJar,
    Json(request): Json<SetupRequest>,
) -> Result<impl IntoResponse, ApiError> {
    throttle(&state, Action::SignIn, ip, "setup.complete").await?;
    check_len("setup_code", &request.setup_code, 1, 64)?;
    check_new_account(&request.username, &request.password)?;
    let code = request.setup_code.trim().to_ascii_uppercase();
    // Claim the code atomically: of two racing requests, only one wins.
    if !settings::take_if_equal(
        &state.store,
        settings::SETUP_CODE_HASH,
        &secret::hash(&code),
    )
    .await?
    {
        Event::failure("anonymous", "setup.complete")
            .on(&request.username)
            .from_ip(ip.0)
            .detail("wrong or already used setup code")
            .record(&state.store)
            .await?;
        return Err(ApiError::Forbidden(
            "the setup code is wrong or was already used; the current code is in the console's start-up banner".into(),
        ));
    }
    let hash = hash_password(request.password).await?;
    let Some(user) = users::create(&state.store, &request.username, &hash, Role::Admin).await?
    else {
        return Err(ApiError::Conflict(format!(
            "the user name `{}` is taken",
            request.username
        )));
    };
    users::record_login(&state.store, &user.id).await?;
    Event::success(&user.username, "setup.complete")
        .on(&user.username)
        .from_ip(ip.0)
        .detail("first admin created")
        .record(&state.store)
        .await?;
    let (jar, info) = start_session(&state, jar, &user, ip).await?;
    Ok((StatusCode::CREATED, jar, Json(info)))
}

/// Audits a sign-in. Failures are aggregated per source, account and
/// reason, so a flood of guesses costs one row per window.
async fn audit_login(
    state: &AppState,
    username: &str,
    ip: ClientIp,
    outcome: Outcome,
    detail: &str,
) -> Result<(), ApiError> {
    let event = Event::new(username, "user.login", outcome)
        .on(username)
        .from_ip(ip.0)
        .detail(detail);
    match outcome {
        Outcome::Success => event.record(&state.store).await?,
        Outcome::Failure => {
            event
                .record_aggregated(&state.store, state.config.audit_aggregate_window)
                .await?
        }
    }
    Ok(())
}

/// The one answer to a refused sign-in, whatever the reason (unknown user,
/// wrong password, locked for this source): nothing tells them apart.
fn sign_in_refused() -> ApiError {
    ApiError::Unauthorized("wrong user name or password".into())
}

/// Signs in with a user name and password; sets the session cookie.
///
/// Unknown user names, wrong passwords and accounts locked for this source
/// get the same 401 after the same Argon2 work (against a dummy hash for
/// unknown names), so answers and timing reveal neither names nor locks.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionInfo), (status = 401, body = super::error::Problem),
              (status = 403, body = super::error::Problem), (status = 429, body = super::error::Problem)))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    jar: CookieJar,
    Json(request): Json<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    throttle(&state, Action::SignIn, ip, "user.login").await?;
    check_len("username", &request.username, 1, users::MAX_USERNAME_LEN)?;
    check_len("password", &request.password, 1, password::MAX_LEN)?;
    let Some(user) = users::by_username(&state.store, &request.username).await? else {
        // Same work as for a real user, so timing does not reveal names.
        verify_password(request.password, password::dummy_hash().to_string()).await?;
        audit_login(
            &state,
            &request.username,
            ip,
            Outcome::Failure,
            "unknown user",
        )
        .await?;
        return Err(sign_in_refused());
    };
    let source = lockout::source_key(ip.0);
    // Verify first, locked or not: a lock must cost the same time as a guess.
    let correct = verify_password(request.password, user.password_hash.clone()).await?;
    if lockout::locked_until(&state.store, &user.id, &source)
        .await?
        .is_some()
    {
        audit_login(
            &state,
            &user.username,
            ip,
            Outcome::Failure,
            "locked for this address",
        )
        .await?;
        return Err(sign_in_refused());
    }
    if !correct {
        let lock_ms = state.config.lockout_duration.as_millis() as i64;
        let locked = lockout::record_failure(
            &state.store,
            &user.id,
            &source,
            state.config.lockout_threshold,
            lock_ms,
        )
        .await?;
        audit_login(
            &state,
            &user.username,
            ip,
            Outcome::Failure,
            "wrong password",
        )
        .await?;
        if locked.is_some() {
            Event::success("console", "user.lock")
                .on(&user.username)
                .from_ip(ip.0)
                .detail(format!(
                    "{} failed sign-ins in a row from this address; locked for it for {} min",
                    state.config.lockout_threshold,
                    (lock_ms / 60_000).max(1)
                ))
                .record_aggregated(&state.store, state.config.audit_aggregate_window)
                .await?;
        }
        return Err(sign_in_refused());
    }
    if user.disabled != 0 {
        audit_login(
            &state,
            &user.username,
            ip,
            Outcome::Failure,
            "account disabled",
        )
        .await?;
        return Err(ApiError::Forbidden(
            "this account is disabled; ask an admin".into(),
        ));
    }
    lockout::clear(&state.store, &user.id, &source).await?;
    users::record_login(&state.store, &user.id).await?;
    audit_login(&state, &user.username, ip, Outcome::Success, "password").await?;
    let (jar, info) = start_session(&state, jar, &user, ip).await?;
    Ok((jar, Json(info)))
}

/// The current browser session (and a fresh look at its user).
#[utoipa::path(get, path = "/auth/session", tag = "auth",
    responses((status = 200, body = SessionInfo), (status = 401, body = super::error::Problem)))]
pub async fn session(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
) -> Result<Json<SessionInfo>, ApiError> {
    let Credential::Session { csrf_token, .. } = user.credential else {
        return Err(ApiError::BadRequest(
            "this request is authenticated with an API token, not a session".into(),
        ));
    };
    let row = users::by_id(&state.store, &user.id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    Ok(Json(SessionInfo {
        user: row.to_api(),
        csrf_token,
    }))
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    ip: ClientIp,
    jar: CookieJar,
    ReadOnlyUser(user): ReadOnlyUser,
) -> Result<impl IntoResponse, ApiError> {
    if let Credential::Session { id_hash, .. } = &user.credential {
        sessions::revoke(&state.store, id_hash).await?;
        state.auth_cache.clear();
    }
    Event::success(&user.username, "user.logout")
        .on(&user.username)
        .from_ip(ip.0)
        .record(&state.store)
        .await?;
    let jar = jar.add(session_cookie(String::new(), 0));
    Ok((StatusCode::NO_CONTENT, jar))
}
