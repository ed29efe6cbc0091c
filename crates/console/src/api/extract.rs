//! Request extractors whose rejections use the API's problem format.

use std::collections::HashMap;

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::error::ApiError;

/// A JSON body. Malformed JSON, wrong types, unknown fields (request types
/// use `deny_unknown_fields`), a wrong content type and bodies over the size
/// limit are refused with a problem document that says which.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let detail = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_string(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                "send the body as JSON with `Content-Type: application/json`".to_string()
            }
            _ => format!("invalid JSON body: {}", rejection.body_text()),
        };
        ApiError::Status { status, detail }
    }
}

/// Raw query parameters (validated by [`super::list::ListParams`] or the handler).
#[derive(Debug, Clone, Default)]
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let axum::extract::Query(map) =
            axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state)
                .await?;
        Ok(QueryMap(map))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::BadRequest(format!("invalid query string: {}", rejection.body_text()))
    }
}

/// Path parameters. A parameter that is not valid UTF-8 once percent-decoded
/// (`/users/%FF`) or not of the parameter's type is refused with a problem
/// document, not axum's plain-text rejection.
#[derive(Debug, Clone, Copy, Default, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        match rejection.status() {
            // A route declared without the parameter its handler reads: a bug, not bad input.
            status if status.is_server_error() => ApiError::Internal(anyhow::anyhow!(
                "path parameters: {}",
                rejection.body_text()
            )),
            _ => ApiError::BadRequest(format!("invalid path: {}", rejection.body_text())),
        }
    }
}

/// Checks a string field's length in characters, with a message naming it.
pub fn check_len(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let len = value.chars().count();
    if len < min || len > max {
        return Err(ApiError::BadRequest(format!(
            "`{field}` must have {min} to {max} characters"
        )));
    }
    Ok(())
}
