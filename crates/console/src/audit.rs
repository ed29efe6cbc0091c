//! The audit log: security-relevant actions (sign-ins and failures, user and
//! role changes, key rotation, token creation…), who did them, from where,
//! and whether they succeeded. Admins read it through the API.
//!
//! Write with the one helper:
//! `Event::success(actor, action).on(target).from_ip(ip).detail(..).record(store)`.
//! Refusals an attacker can repeat at will (throttled requests, failed and
//! locked sign-ins) use [`Event::record_aggregated`] instead: the first in a
//! window writes an entry, the repeats only raise its `count`, so a flood
//! costs one row per source per window. [`purge`] applies the retention
//! (days and/or rows), run every minute by the console.

use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use utoipa::ToSchema;

use crate::list::{ListParams, ListSpec, Page};
use crate::store::sql::{fetch_all, fetch_count, now_ms, rfc3339};
use crate::store::{Store, StoreError};

/// Whether the audited action succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was done.
    Success,
    /// It was refused.
    Failure,
}

/// One action to record.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Who acted: a user name, `sensor:<id>`, `cli`, or `anonymous`.
    pub actor: &'a str,
    /// What they did, as `noun.verb` (e.g. `user.login`, `user.role_change`).
    pub action: &'a str,
    /// What it was done to, if anything.
    pub target: Option<&'a str>,
    /// The client address.
    pub source_ip: Option<String>,
    /// Success or failure.
    pub outcome: Outcome,
    /// A short explanation (never a secret).
    pub detail: Option<String>,
}

impl<'a> Event<'a> {
    /// An action by `actor` with the given outcome; add the target, address and detail with
    /// the builder methods, then [`Event::record`] it.
    pub fn new(actor: &'a str, action: &'a str, outcome: Outcome) -> Event<'a> {
        Event {
            actor,
            action,
            target: None,
            source_ip: None,
            outcome,
            detail: None,
        }
    }

    /// An action that was done.
    pub fn success(actor: &'a str, action: &'a str) -> Event<'a> {
        Event::new(actor, action, Outcome::Success)
    }

    /// An action that was refused.
    pub fn failure(actor: &'a str, action: &'a str) -> Event<'a> {
        Event::new(actor, action, Outcome::Failure)
    }

    /// What the action was done to.
    pub fn on(mut self, target: &'a str) -> Event<'a> {
        self.target = Some(target);
        self
    }

    /// The client address it came from.
    pub fn from_ip(mut self, ip: std::net::IpAddr) -> Event<'a> {
        self.source_ip = Some(ip.to_string());
        self
    }

    /// A short explanation (never a secret).
    pub fn detail(mut self, detail: impl Into<String>) -> Event<'a> {
        self.detail = Some(detail.into());
        self
    }

    /// Records the event: see [`record`].
    pub async fn record(self, store: &Store) -> Result<(), StoreError> {
        record(store, self).await
    }

    /// Records the event once per `window`: the first identical event
    /// (same actor, action, target, address, outcome and detail) in the
    /// window writes the entry, the repeats add to its count.
    pub async fn record_aggregated(
        self,
        store: &Store,
        window: std::time::Duration,
    ) -> Result<(), StoreError> {
        record_aggregated(store, self, window).await
    }
}

/// An audit entry as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Identifier (time-ordered).
    pub id: String,
    /// When (RFC 3339).
    pub at: String,
    /// Who acted.
    pub actor: String,
    /// What they did.
    pub action: String,
    /// What it was done to.
    pub target: Option<String>,
    /// From where.
    pub source_ip: Option<String>,
    /// `success` or `failure`.
    pub outcome: String,
    /// Explanation.
    pub detail: Option<String>,
    /// How many times this happened (more than 1 for an aggregated entry).
    pub count: i64,
    /// When it last happened (RFC 3339), for an aggregated entry.
    pub last_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: String,
    at: i64,
    actor: String,
    action: String,
    target: Option<String>,
    source_ip: Option<String>,
    outcome: String,
    detail: Option<String>,
    repeat_count: Option<i64>,
    repeat_last_at: Option<i64>,
}

fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
    }
}

/// Records an event. Failing to audit fails the request that caused it.
pub async fn record(store: &Store, event: Event<'_>) -> Result<(), StoreError> {
    insert(store.pool(), &uuid::Uuid::now_v7().to_string(), event).await
}

async fn insert<'c, E: sqlx::Executor<'c, Database = sqlx::Any>>(
    executor: E,
    id: &str,
    event: Event<'_>,
) -> Result<(), StoreError> {
    let outcome = outcome_name(event.outcome);
    tracing::info!(
        actor = event.actor,
        action = event.action,
        target = event.target,
        outcome,
        "audit"
    );
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, target, source_ip, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(now_ms())
    .bind(event.actor)
    .bind(event.action)
    .bind(event.target)
    .bind(event.source_ip)
    .bind(outcome)
    .bind(event.detail)
    .execute(executor)
    .await?;
    Ok(())
}

/// Records an event once per window; see [`Event::record_aggregated`].
pub async fn record_aggregated(
    store: &Store,
    event: Event<'_>,
    window: std::time::Duration,
) -> Result<(), StoreError> {
    let now = now_ms();
    let window_ms = std::cmp::Ord::max(window.as_millis() as i64, 1);
    let window_start = now - now.rem_euclid(window_ms);
    let key = crate::auth::secret::hash(&format!(
        "{window_start}\n{}\n{}\n{}\n{}\n{}\n{}",
        event.actor,
        event.action,
        event.target.unwrap_or_default(),
        event.source_ip.as_deref().unwrap_or_default(),
        outcome_name(event.outcome),
        event.detail.as_deref().unwrap_or_default(),
    ));
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = store.pool().begin().await?;
    // One statement, so concurrent repeats cannot both believe they are first.
    let (count, audit_id): (i64, String) = sqlx::query_as(
        "INSERT INTO audit_repeats (repeat_key, audit_id, repeat_count, repeat_last_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (repeat_key) DO UPDATE SET repeat_count = audit_repeats.repeat_count + 1, repeat_last_at = $3 \
         RETURNING repeat_count, audit_id",
    )
    .bind(&key)
    .bind(&id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if count == 1 {
        insert(&mut *tx, &audit_id, event).await?;
    } else {
        tracing::debug!(
            actor = event.actor,
            action = event.action,
            count,
            "audit (repeat)"
        );
    }
    tx.commit().await?;
    Ok(())
}

/// Applies the retention: deletes entries older than `retention_days` (0:
/// no age limit), then the oldest beyond `max_rows` (0: no row limit).
/// Returns how many entries were deleted.
pub async fn purge(store: &Store, retention_days: u32, max_rows: u64) -> Result<u64, StoreError> {
    let mut purged = 0;
    if retention_days > 0 {
        let cutoff = now_ms() - i64::from(retention_days) * 24 * 3600 * 1000;
        purged += sqlx::query("DELETE FROM audit_log WHERE at < $1")
            .bind(cutoff)
            .execute(store.pool())
            .await?
            .rows_affected();
    }
    if max_rows > 0 {
        // Ids are UUIDv7: their order is the order of recording.
        let oldest_kept: Option<String> =
            sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET $1")
                .bind(i64::try_from(max_rows - 1).unwrap_or(i64::MAX))
                .fetch_optional(store.pool())
                .await?;
        if let Some(oldest_kept) = oldest_kept {
            purged += sqlx::query("DELETE FROM audit_log WHERE id < $1")
                .bind(oldest_kept)
                .execute(store.pool())
                .await?
                .rows_affected();
        }
    }
    if purged > 0 {
        sqlx::query(
            "DELETE FROM audit_repeats WHERE NOT EXISTS \
             (SELECT 1 FROM audit_log WHERE audit_log.id = audit_repeats.audit_id)",
        )
        .execute(store.pool())
        .await?;
    }
    Ok(purged)
}

/// The sort keys and filters the audit list accepts.
pub const LIST_SPEC: ListSpec = ListSpec {
    sortable: &["at", "actor", "action"],
    default_sort: "-at",
    filters: &["action", "actor", "outcome", "target"],
    searchable: &["actor", "action", "target", "detail"],
};

/// Lists audit entries.
pub async fn list(store: &Store, params: &ListParams) -> Result<Page<AuditEntry>, StoreError> {
    let mut select = Query::select();
    select.from("audit_log").left_join(
        "audit_repeats",
        Expr::col(("audit_repeats", "audit_id")).equals(("audit_log", "id")),
    );
    for (field, value) in &params.filters {
        select.and_where(Expr::col(*field).eq(value.clone()));
    }
    params.apply_search(&mut select);
    let total = fetch_count(store, select.clone().expr(Expr::cust("COUNT(*)"))).await?;
    select.columns([
        "id",
        "at",
        "actor",
        "action",
        "target",
        "source_ip",
        "outcome",
        "detail",
        "repeat_count",
        "repeat_last_at",
    ]);
    params.apply_order_and_page(&mut select);
    select.order_by(("audit_log", "id"), Order::Desc);
    let rows: Vec<AuditRow> = fetch_all(store, &select).await?;
    let items = rows
        .into_iter()
        .map(|row| AuditEntry {
            id: row.id,
            at: rfc3339(row.at),
            actor: row.actor,
            action: row.action,
            target: row.target,
            source_ip: row.source_ip,
            outcome: row.outcome,
            detail: row.detail,
            count: row.repeat_count.unwrap_or(1),
            last_at: row
                .repeat_last_at
                .filter(|_| row.repeat_count > Some(1))
                .map(rfc3339),
        })
        .collect();
    Ok(params.page(items, total))
}
