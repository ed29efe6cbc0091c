//! The API's one error type, rendered as RFC 9457 `application/problem+json`.
//!
//! Handlers return `Result<_, ApiError>`. Internal failures are logged once
//! here and shown to the client as a generic 500 that leaks no details.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// A problem document (RFC 9457) as sent to clients.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short, stable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong and what to do about it, for a person.
    pub detail: String,
}

/// An error returned by an API handler.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or breaks a rule (400).
    #[error("{0}")]
    BadRequest(String),
    /// No valid credentials were presented (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The caller is known but not allowed to do this (403).
    #[error("{0}")]
    Forbidden(String),
    /// The resource does not exist, or the caller may not know it does (404).
    #[error("{0}")]
    NotFound(String),
    /// The request conflicts with the current state (409).
    #[error("{0}")]
    Conflict(String),
    /// The account is locked after repeated failures (423).
    #[error("{0}")]
    Locked(String),
    /// Too many attempts; retry after the given number of seconds (429).
    #[error("{detail}")]
    TooManyRequests {
        /// What happened.
        detail: String,
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// Any status with a message, for rejections mapped from axum.
    #[error("{detail}")]
    Status {
        /// The status to send.
        status: StatusCode,
        /// What went wrong.
        detail: String,
    },
    /// A failure that is ours, not the caller's (500). Logged, never shown.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        ApiError::Internal(err.into())
    }
}

impl ApiError {
    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Locked(_) => StatusCode::LOCKED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Status { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A 401 with the standard message.
    pub fn unauthenticated() -> Self {
        ApiError::Unauthorized(
            "sign in first: send a session cookie or an `Authorization: Bearer` API token".into(),
        )
    }
}

/// Builds a problem+json response for a status and a message.
pub fn problem_response(status: StatusCode, detail: impl Into<String>) -> Response {
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    let problem = Problem {
        kind: format!("https://vedette.dev/problems/{}", status.as_u16()),
        title,
        status: status.as_u16(),
        detail: detail.into(),
    };
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match self {
            ApiError::Internal(err) => {
                tracing::error!(
                    error = format!("{err:#}"),
                    "internal error while handling request"
                );
                problem_response(
                    status,
                    "an internal error occurred; the console log has details",
                )
            }
            ApiError::TooManyRequests {
                detail,
                retry_after_secs,
            } => {
                let mut response = problem_response(status, detail);
                if let Ok(value) = HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
            other => problem_response(status, other.to_string()),
        }
    }
}
