//! The list convention at the API edge: the types live in [`crate::list`]
//! (below the API, so domain code never depends on `api`); this module
//! re-exports them for handlers and maps a [`ListError`] to a 400 problem.
//!
//! Query parameters: `limit` (1–500, default 50), `offset`, `sort=field` or
//! `sort=-field`, `q=text`, and the endpoint's exact-match filters. Unknown
//! parameters are a 400 that names what is accepted. Responses are
//! `{"items": […], "total": N, "limit": L, "offset": O}`.

pub use crate::list::{DEFAULT_LIMIT, ListError, ListParams, ListSpec, MAX_LIMIT, Page};

use super::error::ApiError;

impl From<ListError> for ApiError {
    fn from(err: ListError) -> Self {
        ApiError::BadRequest(err.0)
    }
}
