//! The web UI, built from `ui/` by Vite and embedded in the binary.
//!
//! Assets are served from memory; any other non-API path gets `index.html`
//! so that client-side routes (`/admin/users`, `/invite/<token>`) load the
//! app. Unknown `/api/…` paths get a problem+json 404 instead.

use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::api::error::problem_response;

/// The built UI (`ui/dist`). In a checkout where the UI was not built the
/// folder is missing and the console explains how to build it.
#[derive(RustEmbed)]
#[folder = "../../ui/dist"]
#[allow_missing = true]
struct Assets;

fn asset(path: &str) -> Option<Response> {
    let file = Assets::get(path)?;
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let mut response = (StatusCode::OK, file.data.into_owned()).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(mime.as_ref()) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    // Vite fingerprints asset names, so they can be cached for good;
    // index.html must be revalidated to pick up new builds.
    let cache = if path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(response)
}

/// Serves UI assets, the SPA entry point, or an API 404.
pub async fn fallback(uri: Uri) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return problem_response(
            StatusCode::NOT_FOUND,
            format!("no API endpoint at `{path}`; see /api/docs"),
        );
    }
    // Paths are looked up in the embedded map only, never on disk, so `..`
    // cannot escape; reject it anyway for a clear answer.
    let relative = path.trim_start_matches('/');
    if relative.split('/').any(|segment| segment == "..") {
        return problem_response(StatusCode::BAD_REQUEST, "invalid path");
    }
    if !relative.is_empty()
        && let Some(response) = asset(relative)
    {
        return response;
    }
    match asset("index.html") {
        Some(response) => response,
        None => problem_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "the web UI is not built into this binary: run `npm --prefix ui ci && npm --prefix ui run build`, then rebuild vedette; the API works without it",
        ),
    }
}
