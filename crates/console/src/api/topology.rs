//! The live topology: graph views, node detail, search.

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use std::collections::{HashMap, HashSet};

use super::error::ApiError;
use super::extract::{Json, Path, QueryMap, check_len};
use super::list::{ListParams, ListSpec, Page};
use crate::auth::principal::ReadOnlyUser;
use crate::sensors;
use crate::state::AppState;
use crate::topology::graph::{self, Edge, Filter, Graph, Level, Node};

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

/// The graph of one level with the graph filters in `raw`.
async fn filtered_view(state: &AppState, raw: &HashMap<String, String>) -> Result<Graph, ApiError> {
    for value in raw.values() {
        check_len("query parameter", value, 0, 256)?;
    }
    let level = level(raw)?;
    let filter = Filter {
        host: raw.get("host").cloned(),
        name: raw.get("name").cloned(),
        label: raw.get("label").cloned(),
    };
    let states = state.topology.snapshot().await;
    tokio::task::spawn_blocking(move || graph::view(&states, level, &filter))
        .await
        .map_err(|e| ApiError::Internal(e.into()))
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
    _user: ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Graph>, ApiError> {
    only(&raw, &["level", "host", "name", "label", "status"])?;
    let mut graph = filtered_view(&state, &raw).await?;
    if let Some(status) = raw.get("status").filter(|s| !s.is_empty()) {
        let sensors = sensor_statuses(&state).await?;
        let keep: HashSet<String> = graph
            .nodes
            .iter()
            .filter(|node| node_status(node, &sensors) == *status)
            .map(|node| node.id.clone())
            .collect();
        graph
            .edges
            .retain(|edge| keep.contains(&edge.from) || keep.contains(&edge.to));
        let linked: HashSet<&str> = graph
            .edges
            .iter()
            .flat_map(|edge| [edge.from.as_str(), edge.to.as_str()])
            .collect();
        graph
            .nodes
            .retain(|node| keep.contains(&node.id) || linked.contains(node.id.as_str()));
    }
    Ok(Json(graph))
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

/// A row's field as text, for filtering, search and sorting.
fn row_field(row: &NodeRow, name: &str) -> String {
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
    _user: ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Page<NodeRow>>, ApiError> {
    let (graph_params, list_params): (HashMap<_, _>, HashMap<_, _>) = raw
        .into_iter()
        .partition(|(name, _)| GRAPH_FILTERS.contains(&name.as_str()));
    let params = ListParams::parse(&list_params, &NODE_LIST_SPEC)?;
    let graph = filtered_view(&state, &graph_params).await?;
    let sensors = sensor_statuses(&state).await?;
    let mut connections: HashMap<&str, u32> = HashMap::new();
    for edge in &graph.edges {
        for end in [&edge.from, &edge.to] {
            *connections.entry(end.as_str()).or_default() += edge.connections;
        }
    }
    let rows = graph
        .nodes
        .iter()
        .map(|node| NodeRow {
            status: node_status(node, &sensors),
            connections: connections.get(node.id.as_str()).copied().unwrap_or(0),
            node: node.clone(),
        })
        .collect();
    Ok(Json(params.page_in_memory(rows, row_field)))
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
    _user: ReadOnlyUser,
    Path(id): Path<String>,
) -> Result<Json<NodeDetail>, ApiError> {
    check_len("id", &id, 1, 512)?;
    let level = level_of(&id).ok_or_else(|| ApiError::NotFound(format!("no node `{id}`")))?;
    let states = state.topology.snapshot().await;
    let graph = graph::view(&states, level, &Filter::default());
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
    let neighbours = graph
        .nodes
        .into_iter()
        .filter(|n| n.id != id && edges.iter().any(|e| e.from == n.id || e.to == n.id))
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
    _user: ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Vec<Node>>, ApiError> {
    only(&raw, &["q"])?;
    let q = raw
        .get("q")
        .map(|q| q.trim().to_lowercase())
        .unwrap_or_default();
    check_len("q", &q, 1, 256)?;
    let states = state.topology.snapshot().await;
    let found = tokio::task::spawn_blocking(move || {
        let mut found = Vec::new();
        for level in [
            Level::Hosts,
            Level::Containers,
            Level::Processes,
            Level::Images,
        ] {
            for node in graph::view(&states, level, &Filter::default()).nodes {
                let haystack = format!("{} {}", node.label, node.attributes).to_lowercase();
                if haystack.contains(&q) && !found.iter().any(|n: &Node| n.id == node.id) {
                    found.push(node);
                }
                if found.len() >= 200 {
                    return found;
                }
            }
        }
        found
    })
    .await
    .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(found))
}

/// A live stream of topology changes (server-sent events): an event `change`
/// per applied report or removed sensor, and `resync` when the reader fell
/// behind and should fetch the views again. Comments keep the connection alive.
#[utoipa::path(get, path = "/topology/stream", tag = "topology",
    responses((status = 200, description = "text/event-stream of `change` events", body = crate::topology::Change)))]
pub async fn stream(
    State(state): State<AppState>,
    _user: ReadOnlyUser,
) -> axum::response::sse::Sse<
    impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let receiver = state.topology.subscribe();
    let events = futures_util::stream::unfold(receiver, |mut receiver| async move {
        let event = match receiver.recv().await {
            Ok(change) => Event::default()
                .event("change")
                .json_data(&change)
                .unwrap_or_else(|_| Event::default().event("resync")),
            Err(RecvError::Lagged(missed)) => {
                Event::default().event("resync").data(missed.to_string())
            }
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(event), receiver))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
