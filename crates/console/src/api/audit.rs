//! The audit log, for admins.

use axum::extract::State;

use super::error::ApiError;
use super::extract::{Json, QueryMap};
use super::list::{ListParams, Page};
use crate::audit::{self, AuditEntry};
use crate::auth::principal::AdminUser;
use crate::state::AppState;

/// Lists audit entries, newest first by default. Filters: `action`, `actor`,
/// `outcome`, `target`; search `q`; sort by `at`, `actor`, `action`.
#[utoipa::path(get, path = "/audit", tag = "audit",
    params(("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query), ("sort" = Option<String>, Query),
           ("q" = Option<String>, Query), ("action" = Option<String>, Query), ("actor" = Option<String>, Query),
           ("outcome" = Option<String>, Query), ("target" = Option<String>, Query)),
    responses((status = 200, body = Page<AuditEntry>)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: AdminUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Page<AuditEntry>>, ApiError> {
    let params = ListParams::parse(&raw, &audit::LIST_SPEC)?;
    Ok(Json(audit::list(&state.store, &params).await?))
}
