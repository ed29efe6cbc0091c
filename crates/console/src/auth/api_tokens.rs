//! Per-user API tokens (`vdt_…`) for scripts and API clients: created with a
//! name and optional expiry, shown once, stored hashed, revocable.

use serde::Serialize;
use utoipa::ToSchema;

use super::secret;
use crate::store::sql::{now_ms, rfc3339};
use crate::store::{Store, StoreError};

/// Most tokens one user may hold.
pub const MAX_PER_USER: i64 = 100;

/// An API token as listed (never with its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiToken {
    /// Identifier (used to revoke it).
    pub id: String,
    /// The name its owner gave it.
    pub name: String,
    /// The token's first characters, to recognise it.
    pub prefix: String,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Expiry (RFC 3339), if any.
    pub expires_at: Option<String>,
    /// Last use (RFC 3339), updated at most once a minute.
    pub last_used_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: String,
    name: String,
    prefix: String,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
}

impl TokenRow {
    fn to_api(&self) -> ApiToken {
        ApiToken {
            id: self.id.clone(),
            name: self.name.clone(),
            prefix: self.prefix.clone(),
            created_at: rfc3339(self.created_at),
            expires_at: self.expires_at.map(rfc3339),
            last_used_at: self.last_used_at.map(rfc3339),
        }
    }
}

/// The owner of a live token, as authentication needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenOwner {
    /// The token's id.
    pub token_id: String,
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub username: String,
    /// The user's role.
    pub role: String,
    /// The token's last recorded use (Unix ms).
    pub last_used_at: Option<i64>,
}

/// Creates a token; returns it with its plaintext secret (shown once).
pub async fn create(
    store: &Store,
    user_id: &str,
    name: &str,
    expires_at: Option<i64>,
) -> Result<(ApiToken, String), StoreError> {
    let token = secret::generate(secret::API_TOKEN_PREFIX);
    let row = TokenRow {
        id: uuid::Uuid::now_v7().to_string(),
        name: name.to_string(),
        prefix: secret::display_prefix(&token),
        created_at: now_ms(),
        expires_at,
        last_used_at: None,
    };
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&row.id)
    .bind(user_id)
    .bind(&row.name)
    .bind(secret::hash(&token))
    .bind(&row.prefix)
    .bind(row.created_at)
    .bind(row.expires_at)
    .execute(store.pool())
    .await?;
    Ok((row.to_api(), token))
}

/// How many tokens a user holds.
pub async fn count_for_user(store: &Store, user_id: &str) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(store.pool())
            .await?,
    )
}

/// Lists a user's tokens, newest first.
pub async fn list_for_user(store: &Store, user_id: &str) -> Result<Vec<ApiToken>, StoreError> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, name, prefix, created_at, expires_at, last_used_at FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.iter().map(TokenRow::to_api).collect())
}

/// Revokes one of a user's tokens. Returns false if no such token is theirs.
pub async fn revoke(store: &Store, user_id: &str, token_id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM api_tokens WHERE id = $1 AND user_id = $2")
        .bind(token_id)
        .bind(user_id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Finds the owner of a live token by the token's hash.
pub async fn find_owner(store: &Store, token_hash: &str) -> Result<Option<TokenOwner>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.id AS token_id, t.user_id, u.username, u.role, t.last_used_at \
         FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND (t.expires_at IS NULL OR t.expires_at > $2) AND u.disabled = 0",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?)
}

/// Records that a token was used.
pub async fn touch(store: &Store, token_id: &str) -> Result<(), StoreError> {
    sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(token_id)
        .execute(store.pool())
        .await?;
    Ok(())
}
