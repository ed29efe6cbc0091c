//! Prometheus metrics: request counts and latency per route, database pool,
//! topology state and decompression budgets, build info. Served on a separate plain-HTTP listener that binds loopback
//! by default, so metrics are not public unless the operator decides so.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let handle = PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                ])
                .ok()?
                .install_recorder()
                .ok()?;
            metrics::gauge!("vedette_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
            Some(handle)
        })
        .as_ref()
}

/// Counts every request and times it, labelled by route template (never by
/// raw path, which would make labels unbounded).
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("vedette_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("vedette_http_request_duration_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Sets the gauges read from the state (pool, topology budgets) and renders
/// every metric in Prometheus' text format; `None` without a recorder.
pub async fn render_text(state: &AppState) -> Option<String> {
    let handle = handle()?;
    let (size, idle) = state.store.pool_stats();
    metrics::gauge!("vedette_db_pool_connections").set(f64::from(size));
    metrics::gauge!("vedette_db_pool_idle_connections").set(idle as f64);
    let limits = &state.config.topology_limits;
    let topology = &state.topology;
    metrics::gauge!("vedette_topology_sensors").set(topology.sensor_count().await as f64);
    metrics::gauge!("vedette_topology_state_bytes").set(topology.fleet.held() as f64);
    metrics::gauge!("vedette_topology_state_budget_bytes").set(limits.fleet_budget_bytes as f64);
    metrics::gauge!("vedette_report_decode_reserved_bytes")
        .set(topology.decoding.reserved() as f64);
    metrics::gauge!("vedette_report_decode_reserved_peak_bytes")
        .set(topology.decoding.peak() as f64);
    metrics::gauge!("vedette_report_decode_budget_bytes").set(limits.decode_budget_bytes as f64);
    Some(handle.render())
}

async fn render(State(state): State<AppState>) -> Response {
    match render_text(&state).await {
        Some(text) => text.into_response(),
        None => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder unavailable",
        )
            .into_response(),
    }
}

/// Serves `/metrics` on `addr` until `shutdown` resolves.
pub async fn serve(
    addr: SocketAddr,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/metrics", get(render))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "serving Prometheus metrics at /metrics");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
