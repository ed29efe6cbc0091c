//! Browser sessions: a random id in an `HttpOnly; Secure; SameSite=Strict`
//! cookie, stored hashed, with a CSRF token the browser echoes in a header
//! on every state-changing request.

use super::secret;
use crate::store::sql::now_ms;
use crate::store::{Store, StoreError};

/// The session cookie's name.
pub const COOKIE: &str = "vedette_session";

/// A new session as returned to the browser.
pub struct NewSession {
    /// The cookie value (the only copy of the plaintext id).
    pub id: String,
    /// The CSRF token to send back in `X-CSRF-Token`.
    pub csrf_token: String,
    /// When the session ends (Unix ms).
    pub expires_at: i64,
}

/// A stored session joined with its (enabled) user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// The session id's hash.
    pub id_hash: String,
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub username: String,
    /// The user's role.
    pub role: String,
    /// The CSRF token.
    pub csrf_token: String,
    /// Expiry (Unix ms).
    pub expires_at: i64,
}

/// Starts a session for a user.
pub async fn create(
    store: &Store,
    user_id: &str,
    ttl_ms: i64,
    source_ip: Option<&str>,
) -> Result<NewSession, StoreError> {
    let id = secret::generate("");
    let csrf_token = secret::generate("");
    let now = now_ms();
    let expires_at = now + ttl_ms;
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at, source_ip) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(secret::hash(&id))
    .bind(user_id)
    .bind(&csrf_token)
    .bind(now)
    .bind(expires_at)
    .bind(source_ip)
    .execute(store.pool())
    .await?;
    Ok(NewSession {
        id,
        csrf_token,
        expires_at,
    })
}

/// Finds a live session by its id's hash. Expired sessions and sessions of
/// disabled users are not found.
pub async fn find(store: &Store, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT s.id_hash, s.user_id, u.username, u.role, s.csrf_token, s.expires_at \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled = 0",
    )
    .bind(id_hash)
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?)
}

/// Ends one session.
pub async fn revoke(store: &Store, id_hash: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Ends every session of a user (password change, reset, disable).
pub async fn revoke_all_for_user(store: &Store, user_id: &str) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Deletes expired sessions (run periodically).
pub async fn purge_expired(store: &Store) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now_ms())
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected())
}
