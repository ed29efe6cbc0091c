//! Single-use, expiring links: invites (create an account with a role) and
//! password resets (issued by an admin for one user). Stored hashed; a link
//! is consumed atomically so it can never be used twice.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Role, secret};
use crate::store::sql::{now_ms, rfc3339};
use crate::store::{Store, StoreError};

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Creates a new account with a role.
    Invite,
    /// Sets a new password for an existing user.
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Invite => "invite",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

/// A pending invite as admins see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invite {
    /// Identifier (used to revoke it).
    pub id: String,
    /// The role the new account gets.
    pub role: Role,
    /// When the link stops working (RFC 3339).
    pub expires_at: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// Who created it (user name).
    pub created_by: Option<String>,
}

/// A link consumed by [`consume`].
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Consumed {
    /// The invite's role, for invites.
    pub role: Option<String>,
    /// The user, for password resets.
    pub user_id: Option<String>,
}

/// Creates a link; returns its id and plaintext token (shown once).
pub async fn create(
    store: &Store,
    purpose: Purpose,
    role: Option<Role>,
    user_id: Option<&str>,
    created_by: &str,
    expires_at: i64,
) -> Result<(String, String), StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let token = secret::generate("");
    if purpose == Purpose::PasswordReset {
        // Only the newest reset link of a user works.
        sqlx::query("DELETE FROM one_time_tokens WHERE purpose = $1 AND user_id = $2")
            .bind(purpose.as_str())
            .bind(user_id)
            .execute(store.pool())
            .await?;
    }
    sqlx::query(
        "INSERT INTO one_time_tokens (id, token_hash, purpose, role, user_id, created_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&id)
    .bind(secret::hash(&token))
    .bind(purpose.as_str())
    .bind(role.map(Role::as_str))
    .bind(user_id)
    .bind(created_by)
    .bind(now_ms())
    .bind(expires_at)
    .execute(store.pool())
    .await?;
    Ok((id, token))
}

/// Marks a live link as used and returns what it grants, or `None` if it is
/// unknown, expired or already used.
pub async fn consume(
    store: &Store,
    purpose: Purpose,
    token: &str,
) -> Result<Option<Consumed>, StoreError> {
    Ok(sqlx::query_as(
        "UPDATE one_time_tokens SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
         RETURNING role, user_id",
    )
    .bind(now_ms())
    .bind(secret::hash(token))
    .bind(purpose.as_str())
    .fetch_optional(store.pool())
    .await?)
}

#[derive(sqlx::FromRow)]
struct InviteRow {
    id: String,
    role: Option<String>,
    expires_at: i64,
    created_at: i64,
    created_by: Option<String>,
}

/// Lists pending (unused, unexpired) invites, newest first.
pub async fn pending_invites(store: &Store) -> Result<Vec<Invite>, StoreError> {
    let rows: Vec<InviteRow> = sqlx::query_as(
        "SELECT id, role, expires_at, created_at, created_by FROM one_time_tokens \
         WHERE purpose = 'invite' AND used_at IS NULL AND expires_at > $1 ORDER BY created_at DESC",
    )
    .bind(now_ms())
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Invite {
            id: row.id,
            role: row
                .role
                .as_deref()
                .and_then(Role::parse)
                .unwrap_or(Role::ReadOnly),
            expires_at: rfc3339(row.expires_at),
            created_at: rfc3339(row.created_at),
            created_by: row.created_by,
        })
        .collect())
}

/// Revokes a pending invite.
pub async fn revoke_invite(store: &Store, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM one_time_tokens WHERE id = $1 AND purpose = 'invite'")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// What a live link grants, without using it up.
pub async fn peek(
    store: &Store,
    purpose: Purpose,
    token: &str,
) -> Result<Option<Consumed>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT role, user_id FROM one_time_tokens \
         WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(secret::hash(token))
    .bind(purpose.as_str())
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?)
}
