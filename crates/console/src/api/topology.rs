//! The live topology: graph views, node detail, search.

use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::ApiError;
use super::extract::{Json, QueryMap, check_len};
use crate::auth::principal::ReadOnlyUser;
use crate::state::AppState;
use crate::topology::graph::{self, Edge, Filter, Graph, Level, Node};

fn only(raw: &std::collections::HashMap<String, String>, allowed: &[&str]) -> Result<(), ApiError> {
    match raw.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(ApiError::BadRequest(format!(
            "unknown query parameter `{unknown}`; accepted: {}",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn level(raw: &std::collections::HashMap<String, String>) -> Result<Level, ApiError> {
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

/// A graph view: `level` = hosts (default), containers, processes or images;
/// filters `host` (name or sensor id), `name` (substring), `label` (`key` or `key=value`).
#[utoipa::path(get, path = "/topology", tag = "topology",
    params(("level" = Option<String>, Query), ("host" = Option<String>, Query), ("name" = Option<String>, Query), ("label" = Option<String>, Query)),
    responses((status = 200, body = Graph)))]
pub async fn view(
    State(state): State<AppState>,
    _user: ReadOnlyUser,
    QueryMap(raw): QueryMap,
) -> Result<Json<Graph>, ApiError> {
    only(&raw, &["level", "host", "name", "label"])?;
    for value in raw.values() {
        check_len("query parameter", value, 0, 256)?;
    }
    let level = level(&raw)?;
    let filter = Filter {
        host: raw.get("host").cloned(),
        name: raw.get("name").cloned(),
        label: raw.get("label").cloned(),
    };
    let states = state.topology.snapshot().await;
    let graph = tokio::task::spawn_blocking(move || graph::view(&states, level, &filter))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Json(graph))
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
