//! User accounts: creation, lookup, role and status changes, and the login
//! bookkeeping behind lockout.

use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use utoipa::ToSchema;

use super::Role;
use crate::list::{ListParams, Page};
use crate::store::sql::{fetch_all, fetch_count, now_ms, rfc3339};
use crate::store::{Store, StoreError};

/// Longest user name accepted.
pub const MAX_USERNAME_LEN: usize = 64;

/// A user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    /// Stable identifier.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Role.
    pub role: Role,
    /// A disabled user cannot sign in and its sessions and tokens stop working.
    pub disabled: bool,
    /// When the account was created (RFC 3339).
    pub created_at: String,
    /// The last successful sign-in (RFC 3339), if any.
    pub last_login_at: Option<String>,
}

/// A user row with the fields only the console sees.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    /// Stable identifier.
    pub id: String,
    /// Login name.
    pub username: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Stored role name.
    pub role: String,
    /// 1 when disabled.
    pub disabled: i64,
    /// Unused since lockout is per (account, source) in `login_lockouts`
    /// (see [`super::lockout`]); kept for older databases.
    pub failed_logins: i64,
    /// Unused, like `failed_logins`.
    pub locked_until: Option<i64>,
    /// Creation time (Unix ms).
    pub created_at: i64,
    /// Last successful sign-in (Unix ms).
    pub last_login_at: Option<i64>,
}

const COLUMNS: &str = "id, username, password_hash, role, disabled, failed_logins, locked_until, created_at, last_login_at";

impl UserRow {
    /// The role, falling back to the least privilege for an unknown value.
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::ReadOnly)
    }

    /// The API view of this row.
    pub fn to_api(&self) -> User {
        User {
            id: self.id.clone(),
            username: self.username.clone(),
            role: self.role(),
            disabled: self.disabled != 0,
            created_at: rfc3339(self.created_at),
            last_login_at: self.last_login_at.map(rfc3339),
        }
    }
}

/// Checks a user name: 1–64 characters of letters, digits and `._@-`.
pub fn check_username(username: &str) -> Result<(), String> {
    if username.is_empty() || username.chars().count() > MAX_USERNAME_LEN {
        return Err(format!(
            "the username must have 1 to {MAX_USERNAME_LEN} characters"
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-'))
    {
        return Err("the username may contain only letters, digits and . _ @ -".into());
    }
    Ok(())
}

/// Creates a user. Returns `None` if the user name is taken.
pub async fn create(
    store: &Store,
    username: &str,
    password_hash: &str,
    role: Role,
) -> Result<Option<UserRow>, StoreError> {
    let id = uuid::Uuid::now_v7().to_string();
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO users (id, username, password_hash, role, disabled, failed_logins, created_at, password_changed_at) \
         VALUES ($1, $2, $3, $4, 0, 0, $5, $5) ON CONFLICT (username) DO NOTHING",
    )
    .bind(&id)
    .bind(username)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(now)
    .execute(store.pool())
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(None);
    }
    by_id(store, &id).await
}

/// Finds a user by id.
pub async fn by_id(store: &Store, id: &str) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(store.pool())
        .await?)
}

/// Finds a user by user name.
pub async fn by_username(store: &Store, username: &str) -> Result<Option<UserRow>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(username)
        .fetch_optional(store.pool())
        .await?)
}

/// Counts enabled admins.
pub async fn admin_count(store: &Store) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
            .fetch_one(store.pool())
            .await?,
    )
}

/// Counts all users.
pub async fn count(store: &Store) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(store.pool())
        .await?)
}

/// The sort keys and filters the user list accepts.
pub const LIST_SPEC: crate::list::ListSpec = crate::list::ListSpec {
    sortable: &["username", "role", "created_at", "last_login_at"],
    default_sort: "username",
    filters: &["role", "disabled"],
    searchable: &["username"],
};

/// Lists users, paged, filtered and sorted per [`LIST_SPEC`].
pub async fn list(store: &Store, params: &ListParams) -> Result<Page<User>, StoreError> {
    let mut select = Query::select();
    select.from("users");
    for (field, value) in &params.filters {
        match *field {
            "disabled" => {
                select.and_where(Expr::col("disabled").eq(i64::from(value == "true")));
            }
            _ => {
                select.and_where(Expr::col(*field).eq(value.clone()));
            }
        }
    }
    params.apply_search(&mut select);
    let total = fetch_count(store, select.clone().expr(Expr::cust("COUNT(*)"))).await?;
    let sql_cols: Vec<&'static str> = COLUMNS.split(", ").collect();
    select.columns(sql_cols);
    params.apply_order_and_page(&mut select);
    select.order_by("id", Order::Asc);
    let rows: Vec<UserRow> = fetch_all(store, &select).await?;
    Ok(params.page(rows.iter().map(UserRow::to_api).collect(), total))
}

/// Changes a user's role and/or disabled flag.
pub async fn update(
    store: &Store,
    id: &str,
    role: Option<Role>,
    disabled: Option<bool>,
) -> Result<(), StoreError> {
    if let Some(role) = role {
        sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
            .bind(role.as_str())
            .bind(id)
            .execute(store.pool())
            .await?;
    }
    if let Some(disabled) = disabled {
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(id)
            .execute(store.pool())
            .await?;
    }
    Ok(())
}

/// Deletes a user; sessions and tokens go with it (foreign-key cascade).
pub async fn delete(store: &Store, id: &str) -> Result<bool, StoreError> {
    let deleted = sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(deleted.rows_affected() > 0)
}

/// Sets a new password hash and lifts every lock of the account.
pub async fn set_password(store: &Store, id: &str, password_hash: &str) -> Result<(), StoreError> {
    super::lockout::clear_all(store, id).await?;
    sqlx::query(
        "UPDATE users SET password_hash = $1, password_changed_at = $2, failed_logins = 0, locked_until = NULL WHERE id = $3",
    )
    .bind(password_hash)
    .bind(now_ms())
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Records a successful sign-in.
pub async fn record_login(store: &Store, id: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $1 WHERE id = $2",
    )
    .bind(now_ms())
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}
