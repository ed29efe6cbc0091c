//! The live topology: graph views, node detail, search.
//!
//! Every read here is heavy (it derives a graph from the whole fleet), so
//! each goes through [`crate::topology::views`]: views are shared between
//! readers and built a few at a time, unfiltered views above the node budget
//! are refused, and each user has a rate of heavy reads and a number of
//! live streams. A live stream re-checks its caller's credential and ends
//! soon after a sign-out, a revocation or a role change.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, Path, QueryMap, check_len};
use super::list::{ListParams, ListSpec, Page};
use crate::auth::principal::{self, CurrentUser, Principal, ReadOnlyUser};
use crate::sensors;
use crate::state::AppState;
use crate::topology::graph::{self, Edge, Filter, Graph, Level, Node};
use crate::topology::views::{View, ViewError, ViewKey};

impl From<ViewError> for ApiError {
    fn from(err: ViewError) -> Self {
        match err {
            ViewError::OverBudget { .. } => ApiError::Status {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                detail: err.to_string(),
            },
            ViewError::Busy { retry_after_secs } | ViewError::RateLimited { retry_after_secs } => {
                ApiError::TooManyRequests {
                    detail: err.to_string(),
                    retry_after_secs,
                }
            }
            ViewError::TooManyStreams { .. } => ApiError::TooManyRequests {
                detail: err.to_string(),
                retry_after_secs: 5,
            },
            ViewError::Failed(message) => ApiError::Internal(anyhow::anyhow!(message)),
        }
    }
}

fn only(raw: &HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match raw.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(ApiError::BadRequest(format!(
            "unknown query parameter `{unknown}`; accepted: {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn level(raw: &HashMap<String, String>) -> Result<Level, ApiError> {
    match raw.get("level").map(String::as_str).unwrap_or("hosts") {
        "hosts" => Ok(Level::Hosts),
        "containers" => Ok(Level::Containers),
        "processes" => Ok(Level::Processes),
        "images" => Ok(Level::Images),
        other => Err(ApiError::BadRequest(format!(
            "`level` must be hosts, containers, processes or images, not `{other}`"
        ))),
    }
}

/// The graph filters every view accepts.
const GRAPH_FILTERS: [&str; 4] = ["level", "host", "name", "label"];

/// The shared view of one level with the graph filters in `raw`.
async fn filtered_view(
    state: &AppState,
    raw: &HashMap<String, String>,
) -> Result<Arc<View>, ApiError> {
    for value in raw.values() {
        check_len("query parameter", value, 0, 256)?;
    }
    let level = level(raw)?;
    let filter = Filter {
        host: raw.get("host").cloned(),
        name: raw.get("name").cloned(),
        label: raw.get("label").cloned(),
    };
    Ok(state
        .views
        .get(&state.topology, &ViewKey::new(level, &filter))
        .await?)
}

/// Takes one heavy read from the user's allowance.
fn heavy_read(state: &AppState, user: &CurrentUser) -> Result<(), ApiError> {
    Ok(state.views.check_rate(&user.id)?)
}

/// Every sensor's liveness (`online`, `offline`, `disabled`) by sensor id.
async fn sensor_statuses(state: &AppState) -> Result<HashMap<String, String>, ApiError> {
    let offline_after = state.config.sensor_offline_after.as_millis() as i64;
    Ok(sensors::list(&state.store, offline_after)
        .await?
        .into_iter()
        .map(|sensor| (sensor.id, sensor.status))
        .collect())
}

/// A node's status: a container's state (`running`, `exited`, …); for hosts and processes
/// their sensor's liveness; empty for images and pseudo-nodes.
fn node_status(node: &Node, sensors: &HashMap<String, String>) -> String {
    match node.kind.as_str() {
        "container" => node.attributes["state"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        "host" | "process" => node
            .sensor_id
            .as_ref()
            .and_then(|id| sensors.get(id))
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    }
}

/// A graph view: `level` = hosts (default), containers, processes or images;
/// filters `host` (name or sensor id), `name` (substring), `label` (`key` or `key=value`),
/// `status` (a container's state or a host's/process's sensor liveness). Filters keep the
/// matching nodes and whatever they are connected to.
#[utoipa::path(get, path = "/topology", tag = "topology",
    params(("level" = Option<String>, Query), ("host" = Option<String>, Query), ("name" = Option<String>, Query),
        ("label" = Option<String>, Query), ("status" = Option<String>, Query)),
    responses((status = 200, body = Graph), (status = 400, body = super::error::Problem)))]
pub async fn view(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Response, ApiError> {
    only(&raw, &["level", "host", "name", "label", "status"])?;
    if let Some(status) = raw.get("status") {
        check_len("status", status, 0, 64)?;
    }
    heavy_read(&state, &user)?;
    let (graph_params, _): (HashMap<_, _>, HashMap<_, _>) = raw
        .clone()
        .into_iter()
        .partition(|(name, _)| GRAPH_FILTERS.contains(&name.as_str()));
    let view = filtered_view(&state, &graph_params).await?;
    let Some(status) = raw.get("status").filter(|s| !s.is_empty()) else {
        // The shared answer, serialized once for every reader.
        let views = state.clone();
        let body = tokio::task::spawn_blocking(move || view.json(&views.views))
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
        let mut response = body.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        return Ok(response);
    };
    let sensors = sensor_statuses(&state).await?;
    let keep: HashSet<&str> = view
        .graph
        .nodes
        .iter()
        .filter(|node| node_status(node, &sensors) == *status)
        .map(|node| node.id.as_str())
        .collect();
    let edges: Vec<Edge> = view
        .graph
        .edges
        .iter()
        .filter(|edge| keep.contains(edge.from.as_str()) || keep.contains(edge.to.as_str()))
        .cloned()
        .collect();
    let linked: HashSet<&str> = edges
        .iter()
        .flat_map(|edge| [edge.from.as_str(), edge.to.as_str()])
        .collect();
    let nodes = view
        .graph
        .nodes
        .iter()
        .filter(|node| keep.contains(node.id.as_str()) || linked.contains(node.id.as_str()))
        .cloned()
        .collect();
    Ok(Json(Graph { nodes, edges }).into_response())
}

/// A row of the table view: a node, its status and how many connections it has.
#[derive(Serialize, ToSchema)]
pub struct NodeRow {
    /// The node with all its attributes.
    #[serde(flatten)]
    pub node: Node,
    /// See `GET /topology`'s `status` filter.
    pub status: String,
    /// Connections from or to it (sum over its edges).
    pub connections: u32,
}

/// What the table view accepts besides the graph filters.
const NODE_LIST_SPEC: ListSpec = ListSpec {
    sortable: &["label", "kind", "host", "status", "connections"],
    default_sort: "label",
    filters: &["kind", "status"],
    searchable: &["label", "attributes"],
};

/// A row of the table over the shared view (nothing copied until paged).
struct RowRef<'a> {
    node: &'a Node,
    status: String,
    connections: u32,
}

/// A row's field as text, for filtering, search and sorting.
fn row_field(row: &RowRef<'_>, name: &str) -> String {
    match name {
        "label" => row.node.label.clone(),
        "kind" => row.node.kind.clone(),
        "host" => row.node.host.clone().unwrap_or_default(),
        "status" => row.status.clone(),
        // Zero-padded so that text order is number order.
        "connections" => format!("{:010}", row.connections),
        "attributes" => row.node.attributes.to_string(),
        _ => String::new(),
    }
}

/// The nodes of one level as a paged table: the graph filters (`level`, `host`, `name`,
/// `label`) plus the list convention (`limit`, `offset`, `sort` by label, kind, host,
/// status or connections, `q` over names and attributes, filters `kind` and `status`).
#[utoipa::path(get, path = "/topology/nodes", tag = "topology",
    params(("level" = Option<String>, Query), ("host" = Option<String>, Query), ("name" = Option<String>, Query),
        ("label" = Option<String>, Query), ("status" = Option<String>, Query), ("kind" = Option<String>, Query),
        ("q" = Option<String>, Query), ("limit" = Option<u64>, Query), ("offset" = Option<u64>, Query),
        ("sort" = Option<String>, Query)),
    responses((status = 200, body = Page<NodeRow>), (status = 400, body = super::error::Problem)))]
pub async fn table(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Page<NodeRow>>, ApiError> {
    let (graph_params, list_params): (HashMap<_, _>, HashMap<_, _>) = raw
        .into_iter()
        .partition(|(name, _)| GRAPH_FILTERS.contains(&name.as_str()));
    let params = ListParams::parse(&list_params, &NODE_LIST_SPEC)?;
    heavy_read(&state, &user)?;
    let view = filtered_view(&state, &graph_params).await?;
    let sensors = sensor_statuses(&state).await?;
    tokio::task::spawn_blocking(move || {
        let graph = &view.graph;
        let mut connections: HashMap<&str, u32> = HashMap::new();
        for edge in &graph.edges {
            for end in [&edge.from, &edge.to] {
                *connections.entry(end.as_str()).or_default() += edge.connections;
            }
        }
        let rows = graph
            .nodes
            .iter()
            .map(|node| RowRef {
                status: node_status(node, &sensors),
                connections: connections.get(node.id.as_str()).copied().unwrap_or(0),
                node,
            })
            .collect();
        let page = params.page_in_memory(rows, row_field);
        Json(Page {
            items: page
                .items
                .into_iter()
                .map(|row| NodeRow {
                    node: row.node.clone(),
                    status: row.status,
                    connections: row.connections,
                })
                .collect(),
            total: page.total,
            limit: page.limit,
            offset: page.offset,
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))
}

/// A node with its connections and neighbours.
#[derive(Serialize, ToSchema)]
pub struct NodeDetail {
    /// The node with all its attributes.
    pub node: Node,
    /// Edges from or to it.
    pub edges: Vec<Edge>,
    /// The nodes at the other end of those edges.
    pub neighbours: Vec<Node>,
}

fn level_of(id: &str) -> Option<Level> {
    match id.split(':').next()? {
        "host" | "internet" | "network" => Some(Level::Hosts),
        "container" => Some(Level::Containers),
        "process" => Some(Level::Processes),
        "image" => Some(Level::Images),
        _ => None,
    }
}

/// One node: every attribute, its connection edges and neighbours.
#[utoipa::path(get, path = "/topology/nodes/{id}", tag = "topology", params(("id" = String, Path)),
    responses((status = 200, body = NodeDetail), (status = 404, body = super::error::Problem)))]
pub async fn node(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
    Path(id): Path<String>,
) -> Result<Json<NodeDetail>, ApiError> {
    check_len("id", &id, 1, 512)?;
    let level = level_of(&id).ok_or_else(|| ApiError::NotFound(format!("no node `{id}`")))?;
    heavy_read(&state, &user)?;
    // The node's host view holds the node, its edges and its neighbours;
    // only images and pseudo-nodes need the whole level.
    let host = match id.split(':').collect::<Vec<_>>().as_slice() {
        ["host" | "process", sensor_id, ..] => Some(sensor_id.to_string()),
        ["container", container_id] => state
            .topology
            .snapshot()
            .await
            .iter()
            .find(|(_, s)| s.containers.values().any(|c| c.id == *container_id))
            .map(|(sensor_id, _)| sensor_id.clone()),
        _ => None,
    };
    let filter = Filter {
        host,
        ..Filter::default()
    };
    let view = state
        .views
        .get(&state.topology, &ViewKey::new(level, &filter))
        .await?;
    let graph = &view.graph;
    let node = graph
        .nodes
        .iter()
        .find(|n| n.id == id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("no node `{id}`")))?;
    let edges: Vec<Edge> = graph
        .edges
        .iter()
        .filter(|e| e.from == id || e.to == id)
        .cloned()
        .collect();
    let ends: HashSet<&str> = edges
        .iter()
        .flat_map(|e| [e.from.as_str(), e.to.as_str()])
        .collect();
    let neighbours = graph
        .nodes
        .iter()
        .filter(|n| n.id != id && ends.contains(n.id.as_str()))
        .cloned()
        .collect();
    Ok(Json(NodeDetail {
        node,
        edges,
        neighbours,
    }))
}

/// Searches hosts, containers, processes and images by name, address or port.
#[utoipa::path(get, path = "/topology/search", tag = "topology", params(("q" = String, Query)),
    responses((status = 200, body = Vec<Node>)))]
pub async fn search(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Vec<Node>>, ApiError> {
    only(&raw, &["q"])?;
    let q = raw
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .unwrap_or_default();
    check_len("q", &q, 1, 256)?;
    heavy_read(&state, &user)?;
    let mut found: Vec<Node> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut keep = |node: &Node, found: &mut Vec<Node>| {
        let haystack = format!("{} {}", node.label, node.attributes).to_lowercase();
        if haystack.contains(&q) && seen.insert(node.id.clone()) {
            found.push(node.clone());
        }
        found.len() >= SEARCH_LIMIT
    };
    for level in [
        Level::Hosts,
        Level::Containers,
        Level::Processes,
        Level::Images,
    ] {
        let states = state.topology.snapshot().await;
        if state.views.fits(&states, level) {
            drop(states);
            let view = state
                .views
                .get(&state.topology, &ViewKey::new(level, &Filter::default()))
                .await?;
            for node in &view.graph.nodes {
                if keep(node, &mut found) {
                    return Ok(Json(found));
                }
            }
            continue;
        }
        // Too large to hold whole: one sensor at a time, in a build slot.
        let _permit = state.views.build_slot().await?;
        for one in states.chunks(1) {
            let one = one.to_vec();
            let nodes = tokio::task::spawn_blocking(move || {
                graph::view(&one, level, &Filter::default()).nodes
            })
            .await
            .map_err(|e| ApiError::Internal(e.into()))?;
            for node in &nodes {
                if keep(node, &mut found) {
                    return Ok(Json(found));
                }
            }
        }
    }
    Ok(Json(found))
}

/// Search answers at most this many nodes.
const SEARCH_LIMIT: usize = 200;

/// Why a live stream ends early.
fn still_allowed(principal: &Principal, user: &CurrentUser) -> Result<(), &'static str> {
    match principal {
        Principal::User(now) if now.id == user.id && now.role == user.role => Ok(()),
        Principal::User(now) if now.id == user.id => {
            Err("your role changed; open the stream again")
        }
        _ => Err("your session ended or your token was revoked; sign in again"),
    }
}

/// What a live stream carries between events.
struct StreamState {
    receiver: tokio::sync::broadcast::Receiver<crate::topology::Change>,
    recheck: tokio::time::Interval,
    state: AppState,
    headers: HeaderMap,
    user: CurrentUser,
    ended: bool,
    _guard: crate::topology::views::StreamGuard,
}

/// A live stream of topology changes (server-sent events): an event `change`
/// per applied report or removed sensor, and `resync` when the reader fell
/// behind and should fetch the views again. Comments keep the connection
/// alive. The caller's credential is checked again every few seconds: after
/// a sign-out, a revoked token, a disabled account or a role change the
/// stream sends an event `end` (with the reason) and closes. Each user may
/// hold a few streams at once (429 beyond).
#[utoipa::path(get, path = "/topology/stream", tag = "topology",
    responses((status = 200, description = "text/event-stream of `change` events", body = crate::topology::Change),
        (status = 429, body = super::error::Problem)))]
pub async fn stream(
    State(state): State<AppState>,
    ReadOnlyUser(user): ReadOnlyUser,
    request_headers: HeaderMap,
) -> Result<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
    ApiError,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    heavy_read(&state, &user)?;
    let guard = state.views.open_stream(&user.id)?;
    // Only the credential is kept, to resolve it again.
    let mut headers = HeaderMap::new();
    for name in [header::AUTHORIZATION, header::COOKIE] {
        for value in request_headers.get_all(&name) {
            headers.append(name.clone(), value.clone());
        }
    }
    let period = state.config.topology_stream_recheck;
    let mut recheck = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let start = StreamState {
        receiver: state.topology.subscribe(),
        recheck,
        state: state.clone(),
        headers,
        user,
        ended: false,
        _guard: guard,
    };
    let events = futures_util::stream::unfold(start, |mut s| async move {
        if s.ended {
            return None;
        }
        let event = tokio::select! {
            received = s.receiver.recv() => match received {
                Ok(change) => Event::default()
                    .event("change")
                    .json_data(&change)
                    .unwrap_or_else(|_| Event::default().event("resync")),
                Err(RecvError::Lagged(missed)) => {
                    Event::default().event("resync").data(missed.to_string())
                }
                Err(RecvError::Closed) => return None,
            },
            _ = s.recheck.tick() => {
                let verdict = match principal::resolve_headers(&s.headers, &s.state).await {
                    Ok(now) => still_allowed(&now, &s.user),
                    // The store is unreachable: keep the stream, check again later.
                    Err(_) => Ok(()),
                };
                match verdict {
                    Ok(()) => Event::default().comment("checked"),
                    Err(reason) => {
                        tracing::info!(user = %s.user.username, reason, "ending a live topology stream");
                        s.ended = true;
                        Event::default().event("end").data(reason)
                    }
                }
            }
        };
        Some((Ok(event), s))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}
