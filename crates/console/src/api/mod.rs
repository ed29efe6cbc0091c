//! The HTTP surface: REST API under `/api/v1`, its OpenAPI document and
//! explorer, health probes, and the embedded web UI.
//!
//! API boundary: every `/api/v1` route is registered here through
//! `utoipa-axum`, so the OpenAPI document lists exactly the routes that
//! exist. The authorization matrix test walks that document, so a new route
//! without a matrix entry fails the tests.

pub mod audit;
pub mod error;
pub mod extract;
pub mod health;
pub mod invites;
pub mod list;
pub mod sensor;
pub mod sensors;
pub mod session;
pub mod settings;
pub mod tokens;
pub mod topology;
pub mod users;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::state::AppState;

/// Where the OpenAPI document is served.
pub const OPENAPI_PATH: &str = "/api/v1/openapi.json";
/// Where the API explorer is served.
pub const EXPLORER_PATH: &str = "/api/docs";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vedette console API",
        description = "REST API of the Vedette Management Console. Authenticate with a browser session \
            (cookie + `X-CSRF-Token` header on state-changing requests) or a personal API token \
            (`Authorization: Bearer vdt_…`). Errors are `application/problem+json`. Lists accept \
            `limit`, `offset`, `sort` (`-field` descending), `q` and per-resource filters."
    ),
    modifiers(&SecuritySchemes),
    components(schemas(error::Problem)),
    tags(
        (name = "setup", description = "First-run setup"),
        (name = "auth", description = "Sign-in and sessions"),
        (name = "users", description = "Accounts and roles"),
        (name = "invites", description = "Invite links"),
        (name = "tokens", description = "Personal API tokens"),
        (name = "audit", description = "Audit log"),
        (name = "settings", description = "Console settings and sensor key"),
        (name = "sensor", description = "Endpoints sensors call"),
        (name = "sensors", description = "Sensors, for people"),
        (name = "topology", description = "The live topology"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::sessions::COOKIE,
            ))),
        );
    }
}

/// Every `/api/v1` route, relative to `/api/v1`.
fn api_v1() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(session::setup_status, session::setup_complete))
        .routes(routes!(session::login))
        .routes(routes!(session::session))
        .routes(routes!(session::logout))
        .routes(routes!(users::me))
        .routes(routes!(users::change_password))
        .routes(routes!(users::list))
        .routes(routes!(users::update, users::delete))
        .routes(routes!(users::issue_reset))
        .routes(routes!(users::complete_reset))
        .routes(routes!(invites::create, invites::list))
        .routes(routes!(invites::revoke))
        .routes(routes!(invites::accept))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(audit::list))
        .routes(routes!(settings::console_info))
        .routes(routes!(settings::sensor_key))
        .routes(routes!(settings::rotate_sensor_key))
        .routes(routes!(sensor::register))
        .routes(routes!(sensor::renew))
        .routes(routes!(sensors::list))
        .routes(routes!(sensors::update, sensors::remove))
        .routes(routes!(sensors::reissue_credential))
        .routes(routes!(topology::view))
        .routes(routes!(topology::table))
        .routes(routes!(topology::node))
        .routes(routes!(topology::search))
        .routes(routes!(topology::stream))
        .merge(
            // Reports are larger than other bodies (compressed snapshots).
            OpenApiRouter::new()
                .routes(routes!(sensor::report))
                .layer(DefaultBodyLimit::max(
                    vedette_model::wire::MAX_COMPRESSED_REPORT_BYTES,
                )),
        )
}

fn split() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/api/v1", api_v1())
        .split_for_parts()
}

/// The OpenAPI 3.1 document of the API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    split().1
}

/// Routes outside `/api/v1` (method, path), for the authorization matrix.
pub const OTHER_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", OPENAPI_PATH),
    ("GET", "/api/docs/"),
    ("GET", "/"),
];

/// A header set on every response unless the handler set it.
fn always(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// The content security policy: only our own scripts and styles.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                   frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The whole application: API, explorer, probes and UI, with its layers.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = split();
    let max_body = state.config.max_body_bytes;
    let timeout = state.config.request_timeout;
    Router::new()
        .merge(api)
        .merge(SwaggerUi::new(EXPLORER_PATH).url(OPENAPI_PATH, openapi))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .fallback(crate::ui::fallback)
        .method_not_allowed_fallback(|| async {
            error::problem_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "this path does not accept that method; see /api/docs",
            )
        })
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(crate::metrics::track))
        .layer(always(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000",
        ))
        .layer(always(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(always(header::X_FRAME_OPTIONS, "DENY"))
        .layer(always(header::REFERRER_POLICY, "no-referrer"))
        .layer(always(header::CONTENT_SECURITY_POLICY, CSP))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
