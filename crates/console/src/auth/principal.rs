//! Resolving a request's credentials into a [`Principal`], and the guards
//! handlers declare to require a role.
//!
//! A handler states who may call it by taking one guard as an argument:
//! [`ReadOnlyUser`], [`StandardUser`], [`AdminUser`] (roles are ordered) or
//! [`SensorCaller`]. A handler without a guard is public. The authorization
//! matrix test checks every route against every kind of caller, so a guard
//! left out is caught.
//!
//! Credentials are looked up by their SHA-256 in the store and cached for a
//! few seconds so that authenticated requests cost no database round trip.
//! Any change to users, sessions or tokens clears the cache, so sign-out,
//! password changes and revocations take effect at once on this console
//! (and within [`CACHE_TTL`] on other replicas sharing a PostgreSQL store).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum_extra::extract::CookieJar;

use super::throttle::{Cidr, client_address};
use super::{Role, api_tokens, secret, sessions};
use crate::api::error::ApiError;
use crate::sensors;
use crate::state::AppState;
use crate::store::sql::now_ms;

/// How long a resolved credential is trusted without asking the store.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// Entries kept at most; the cache is emptied when full (cheap, rare).
const CACHE_MAX_ENTRIES: usize = 100_000;
/// How often a token's `last_used_at` is written at most.
const TOUCH_EVERY_MS: i64 = 60_000;
/// The header a trusted proxy names the client in.
const FORWARDED_FOR: &str = "x-forwarded-for";
/// The header a browser sends the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a user authenticated.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session.
    Session {
        /// The session id's hash (to end it on sign-out).
        id_hash: String,
        /// The token the browser must echo on state-changing requests.
        csrf_token: String,
    },
    /// A personal API token.
    ApiToken {
        /// The token's id.
        id: String,
    },
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The user's id.
    pub id: String,
    /// The user's name.
    pub username: String,
    /// The user's role.
    pub role: Role,
    /// How they authenticated.
    pub credential: Credential,
}

/// A registered sensor calling with its short-lived token.
#[derive(Debug, Clone)]
pub struct SensorIdentity {
    /// The sensor's id.
    pub sensor_id: String,
}

/// Whoever sent the request.
#[derive(Debug, Clone)]
pub enum Principal {
    /// No credentials, or credentials that are no longer valid (the reason
    /// is shown in the 401).
    Anonymous {
        /// Why the presented credential was refused, if one was presented.
        refused: Option<&'static str>,
    },
    /// A user.
    User(CurrentUser),
    /// A sensor.
    Sensor(SensorIdentity),
}

struct CacheEntry {
    principal: Principal,
    cached_at: Instant,
    expires_at_ms: Option<i64>,
}

/// A short-lived cache of resolved credentials, keyed by credential hash.
#[derive(Default)]
pub struct PrincipalCache {
    entries: RwLock<HashMap<String, CacheEntry>>,
}

impl PrincipalCache {
    fn get(&self, key: &str) -> Option<Principal> {
        let entries = self.entries.read().ok()?;
        let entry = entries.get(key)?;
        let fresh = entry.cached_at.elapsed() < CACHE_TTL
            && entry.expires_at_ms.is_none_or(|at| at > now_ms());
        fresh.then(|| entry.principal.clone())
    }

    fn put(&self, key: String, principal: Principal, expires_at_ms: Option<i64>) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CACHE_MAX_ENTRIES {
                entries.clear();
            }
            entries.insert(
                key,
                CacheEntry {
                    principal,
                    cached_at: Instant::now(),
                    expires_at_ms,
                },
            );
        }
    }

    /// Forgets one credential, by hash (a revoked sensor token).
    pub fn forget(&self, key: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }

    /// Forgets everything: call after any change to users, roles, sessions,
    /// tokens or sensors.
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.write() {
            entries.clear();
        }
    }
}

/// The connection's peer address.
pub fn peer_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The client's address: the peer, or what a trusted proxy says in
/// `X-Forwarded-For` (see [`super::throttle::client_address`]).
pub fn client_ip(parts: &Parts, trusted_proxies: &[Cidr]) -> IpAddr {
    let forwarded = parts
        .headers
        .get_all(FORWARDED_FOR)
        .iter()
        .filter_map(|value| value.to_str().ok());
    client_address(peer_ip(parts), forwarded, trusted_proxies)
}

/// The bearer token of an `Authorization` header, if any.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

async fn resolve(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    resolve_headers(&parts.headers, state).await
}

/// Resolves the credential in `headers` (bearer token or session cookie)
/// again, through the cache: long-lived responses such as live streams call
/// this periodically to notice a sign-out, a revocation or a role change.
pub async fn resolve_headers(headers: &HeaderMap, state: &AppState) -> Result<Principal, ApiError> {
    if let Some(token) = bearer(headers) {
        return resolve_bearer(token, state).await;
    }
    let jar = CookieJar::from_headers(headers);
    if let Some(cookie) = jar.get(sessions::COOKIE) {
        return resolve_session(cookie.value(), state).await;
    }
    Ok(Principal::Anonymous { refused: None })
}

async fn resolve_bearer(token: &str, state: &AppState) -> Result<Principal, ApiError> {
    if token.len() > 256 {
        return Ok(Principal::Anonymous {
            refused: Some("the bearer token is malformed"),
        });
    }
    let key = secret::hash(token);
    if let Some(principal) = state.auth_cache.get(&key) {
        return Ok(principal);
    }
    let (principal, expires_at) = if token.starts_with(secret::API_TOKEN_PREFIX) {
        match api_tokens::find_owner(&state.store, &key).await? {
            Some(owner) => {
                if owner
                    .last_used_at
                    .is_none_or(|at| now_ms() - at > TOUCH_EVERY_MS)
                {
                    api_tokens::touch(&state.store, &owner.token_id).await?;
                }
                let user = CurrentUser {
                    id: owner.user_id,
                    username: owner.username,
                    role: Role::parse(&owner.role).unwrap_or(Role::ReadOnly),
                    credential: Credential::ApiToken { id: owner.token_id },
                };
                (Principal::User(user), None)
            }
            None => (
                Principal::Anonymous {
                    refused: Some("the API token is unknown, expired or revoked"),
                },
                None,
            ),
        }
    } else if token.starts_with(secret::SENSOR_TOKEN_PREFIX) {
        match sensors::find_token(&state.store, &key).await? {
            Some((sensor_id, expires_at)) => (
                Principal::Sensor(SensorIdentity { sensor_id }),
                Some(expires_at),
            ),
            None => (
                Principal::Anonymous {
                    refused: Some(
                        "the sensor token is unknown, expired or revoked; register again",
                    ),
                },
                None,
            ),
        }
    } else {
        return Ok(Principal::Anonymous {
            refused: Some("the bearer token is not a Vedette token"),
        });
    };
    state.auth_cache.put(key, principal.clone(), expires_at);
    Ok(principal)
}

async fn resolve_session(session_id: &str, state: &AppState) -> Result<Principal, ApiError> {
    if session_id.len() > 256 {
        return Ok(Principal::Anonymous {
            refused: Some("the session cookie is malformed"),
        });
    }
    let key = secret::hash(session_id);
    if let Some(principal) = state.auth_cache.get(&key) {
        return Ok(principal);
    }
    let principal = match sessions::find(&state.store, &key).await? {
        Some(row) => {
            let user = CurrentUser {
                id: row.user_id,
                username: row.username,
                role: Role::parse(&row.role).unwrap_or(Role::ReadOnly),
                credential: Credential::Session {
                    id_hash: row.id_hash,
                    csrf_token: row.csrf_token,
                },
            };
            state
                .auth_cache
                .put(key, Principal::User(user.clone()), Some(row.expires_at));
            Principal::User(user)
        }
        None => Principal::Anonymous {
            refused: Some("the session has ended; sign in again"),
        },
    };
    Ok(principal)
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let principal = resolve(parts, state).await?;
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Resolves the caller and checks they are a user with at least `min` role
/// (and, for cookie sessions on state-changing requests, the CSRF token).
async fn require_user(
    parts: &mut Parts,
    state: &AppState,
    min: Role,
) -> Result<CurrentUser, ApiError> {
    match Principal::from_request_parts(parts, state).await? {
        Principal::User(user) => {
            if let Credential::Session { csrf_token, .. } = &user.credential
                && !is_safe_method(&parts.method)
            {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if !secret::constant_time_eq(sent, csrf_token) {
                    return Err(ApiError::Forbidden(
                        "missing or wrong X-CSRF-Token header (send the csrf_token returned at sign-in)".into(),
                    ));
                }
            }
            if user.role < min {
                return Err(ApiError::Forbidden(format!(
                    "this needs the {min} role or higher; you are {}",
                    user.role
                )));
            }
            Ok(user)
        }
        Principal::Sensor(_) => Err(ApiError::Forbidden(
            "sensor tokens may only call the /api/v1/sensor endpoints".into(),
        )),
        Principal::Anonymous {
            refused: Some(reason),
        } => Err(ApiError::Unauthorized(reason.into())),
        Principal::Anonymous { refused: None } => Err(ApiError::unauthenticated()),
    }
}

macro_rules! role_guard {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub CurrentUser);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
                require_user(parts, state, $role).await.map($name)
            }
        }
    };
}

role_guard!(
    /// Any signed-in user (read-only and up).
    ReadOnlyUser,
    Role::ReadOnly
);
role_guard!(
    /// A standard user or an admin.
    StandardUser,
    Role::Standard
);
role_guard!(
    /// An admin.
    AdminUser,
    Role::Admin
);

/// A registered sensor calling with its token.
#[derive(Debug, Clone)]
pub struct SensorCaller(pub SensorIdentity);

impl FromRequestParts<AppState> for SensorCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await? {
            Principal::Sensor(sensor) => Ok(SensorCaller(sensor)),
            Principal::User(_) => Err(ApiError::Forbidden(
                "this endpoint is for sensors; users cannot call it".into(),
            )),
            Principal::Anonymous { refused: Some(reason) } => Err(ApiError::Unauthorized(reason.into())),
            Principal::Anonymous { refused: None } => Err(ApiError::Unauthorized(
                "send the sensor token as `Authorization: Bearer vst_…` (get one from /api/v1/sensor/register)".into(),
            )),
        }
    }
}

/// The client address (see [`client_ip`]), as an extractor.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts, &state.config.trusted_proxies)))
    }
}
