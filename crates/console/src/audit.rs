//! The audit log: security-relevant actions (sign-ins and failures, user and
//! role changes, key rotation, token creation…), who did them, from where,
//! and whether they succeeded. Admins read it through the API.

use sea_query::{Expr, ExprTrait, Order, Query};
use serde::Serialize;
use utoipa::ToSchema;

use crate::api::list::{ListParams, ListSpec, Page};
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
}

/// Records an event. Failing to audit fails the request that caused it.
pub async fn record(store: &Store, event: Event<'_>) -> Result<(), StoreError> {
    let outcome = match event.outcome {
        Outcome::Success => "success",
        Outcome::Failure => "failure",
    };
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
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now_ms())
    .bind(event.actor)
    .bind(event.action)
    .bind(event.target)
    .bind(event.source_ip)
    .bind(outcome)
    .bind(event.detail)
    .execute(store.pool())
    .await?;
    Ok(())
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
    select.from("audit_log");
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
    ]);
    params.apply_order_and_page(&mut select);
    select.order_by("id", Order::Desc);
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
        })
        .collect();
    Ok(params.page(items, total))
}
