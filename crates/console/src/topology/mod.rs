//! The live topology: what every sensor last reported, merged into one
//! graph.
//!
//! - [`ingest`]: accepts a sensor's report (snapshot or next delta), applies
//!   it to that sensor's state and persists the change, all or nothing.
//! - [`limits`]: what one sensor, and the whole fleet, may make the console
//!   hold, checked before a report changes anything.
//! - [`graph`]: derives graph views (hosts, containers, processes, images)
//!   with connection edges resolved across sensors and pseudo-nodes for the
//!   internet and unmonitored private networks.
//!
//! Architecture invariant: the store is the source of truth; the in-memory
//! state is a cache of it rebuilt at start, so a console restart loses
//! nothing and sensors continue their delta streams. A report is answered
//! only once its transaction committed; concurrent reports share one
//! transaction ([`ingest`]'s group commit), which is what lets one console
//! take thousands of sensors.
//!
//! Each sensor's state sits behind an [`Arc`]: views take a consistent copy
//! of the whole fleet by cloning pointers, and a report changes its sensor's
//! state in place unless a view still holds it (then that sensor's state
//! alone is copied).

pub mod graph;
pub mod ingest;
pub mod limits;
pub mod views;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::{Mutex, RwLock};
use vedette_model::wire::{Connection, Container, Host, Image, Process, Visibility};

use crate::store::{Store, StoreError};

/// One sensor's reported state.
#[derive(Debug, Clone, Default)]
pub struct SensorState {
    /// The last accepted sequence number (None until the first snapshot).
    pub last_sequence: Option<u64>,
    /// When the data was collected (Unix ms).
    pub collected_at_ms: i64,
    /// What the sensor can see.
    pub visibility: Option<Visibility>,
    /// The host.
    pub host: Option<Host>,
    /// Processes by key.
    pub processes: BTreeMap<String, Process>,
    /// Containers by key.
    pub containers: BTreeMap<String, Container>,
    /// Images by key.
    pub images: BTreeMap<String, Image>,
    /// Sockets by key.
    pub connections: BTreeMap<String, Connection>,
    /// Deltas stored since the last stored snapshot.
    pub stored_deltas: u32,
    /// Accounted bytes of this state ([`limits::state_bytes`]).
    pub bytes: usize,
}

/// A change to the topology, as the live stream sends it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Change {
    /// The sensor whose part of the map changed.
    pub sensor_id: String,
    /// `report` (a snapshot or delta was applied) or `removed` (the sensor's
    /// part of the map was dropped).
    pub kind: String,
    /// The report's sequence number, for `report`.
    pub sequence: Option<u64>,
    /// Whether the report was a snapshot.
    pub snapshot: bool,
}

/// Every sensor's state at one moment, sorted by sensor id, as views take it.
pub type States = [(String, Arc<SensorState>)];

/// One sensor's state cell.
type Cell = Arc<Mutex<Arc<SensorState>>>;

/// How many changes a slow stream reader may lag behind before it is told to resync.
const CHANGE_BUFFER: usize = 1024;

/// Every sensor's state, each behind its own lock so that reports from
/// different sensors are applied in parallel and one sensor's reports in order.
pub struct Topology {
    sensors: RwLock<HashMap<String, Cell>>,
    changes: tokio::sync::broadcast::Sender<Change>,
    writer: tokio::sync::OnceCell<ingest::Writer>,
    /// Accounted bytes of every sensor's state.
    pub fleet: limits::FleetBytes,
    /// Bytes being decompressed across all reports.
    pub decoding: Arc<limits::DecodeBudget>,
}

impl Default for Topology {
    fn default() -> Self {
        Topology {
            sensors: RwLock::default(),
            changes: tokio::sync::broadcast::channel(CHANGE_BUFFER).0,
            writer: tokio::sync::OnceCell::new(),
            fleet: limits::FleetBytes::default(),
            decoding: Arc::default(),
        }
    }
}

impl Topology {
    /// Subscribes to changes (for the live stream).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    /// The store writer shared by every report (started on first use).
    async fn writer(&self, store: &Store) -> &ingest::Writer {
        self.writer
            .get_or_init(|| async { ingest::Writer::start(store.clone()) })
            .await
    }

    /// Announces a change to subscribers (none listening is fine).
    pub fn announce(&self, change: Change) {
        let _ = self.changes.send(change);
    }

    /// The state cell of a sensor, created empty if new.
    pub async fn cell(&self, sensor_id: &str) -> Arc<Mutex<Arc<SensorState>>> {
        if let Some(cell) = self.sensors.read().await.get(sensor_id) {
            return cell.clone();
        }
        self.sensors
            .write()
            .await
            .entry(sensor_id.to_string())
            .or_default()
            .clone()
    }

    /// Sensors with state.
    pub async fn sensor_count(&self) -> usize {
        self.sensors.read().await.len()
    }

    /// Forgets a sensor (removed or expired).
    pub async fn forget(&self, sensor_id: &str) {
        let cell = self.sensors.write().await.remove(sensor_id);
        if let Some(cell) = cell {
            let mut state = cell.lock().await;
            self.fleet.release(state.bytes);
            *state = Arc::new(SensorState::default());
        }
        self.announce(Change {
            sensor_id: sensor_id.to_string(),
            kind: "removed".into(),
            sequence: None,
            snapshot: false,
        });
    }

    /// A consistent copy of every sensor's state, for building views.
    pub async fn snapshot(&self) -> Vec<(String, Arc<SensorState>)> {
        let cells: Vec<(String, Cell)> = self
            .sensors
            .read()
            .await
            .iter()
            .map(|(id, cell)| (id.clone(), cell.clone()))
            .collect();
        let mut states = Vec::with_capacity(cells.len());
        for (id, cell) in cells {
            states.push((id, cell.lock().await.clone()));
        }
        states.sort_by(|a, b| a.0.cmp(&b.0));
        states
    }

    /// Rebuilds the state from the store (at start).
    pub async fn load(store: &Store) -> Result<Topology, StoreError> {
        let topology = Topology::default();
        let streams: Vec<(String, i64, i64, String)> = sqlx::query_as(
            "SELECT sensor_id, last_sequence, collected_at, visibility FROM sensor_streams",
        )
        .fetch_all(store.pool())
        .await?;
        for (sensor_id, last_sequence, collected_at, visibility) in streams {
            let cell = topology.cell(&sensor_id).await;
            let mut guard = cell.lock().await;
            let state = Arc::make_mut(&mut guard);
            state.last_sequence = u64::try_from(last_sequence).ok();
            state.collected_at_ms = collected_at;
            state.visibility = serde_json::from_value(serde_json::Value::String(visibility)).ok();
        }
        let items: Vec<(String, String, String, String)> =
            sqlx::query_as("SELECT sensor_id, kind, item_key, data FROM topology_items")
                .fetch_all(store.pool())
                .await?;
        for (sensor_id, kind, key, data) in items {
            let cell = topology.cell(&sensor_id).await;
            let mut guard = cell.lock().await;
            let state = Arc::make_mut(&mut guard);
            let loaded = match kind.as_str() {
                ingest::HOST => serde_json::from_str(&data).map(|h| state.host = Some(h)),
                ingest::PROCESS => serde_json::from_str(&data).map(|p| {
                    state.processes.insert(key, p);
                }),
                ingest::CONTAINER => serde_json::from_str(&data).map(|c| {
                    state.containers.insert(key, c);
                }),
                ingest::IMAGE => serde_json::from_str(&data).map(|i| {
                    state.images.insert(key, i);
                }),
                ingest::CONNECTION => serde_json::from_str(&data).map(|c| {
                    state.connections.insert(key, c);
                }),
                _ => Ok(()),
            };
            if let Err(err) = loaded {
                tracing::warn!(sensor_id, kind, error = %err, "skipping an unreadable stored topology item");
            }
        }
        // Reports stored as received (after any items stored by earlier versions).
        let with_reports: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT sensor_id FROM topology_reports")
                .fetch_all(store.pool())
                .await?;
        for sensor_id in with_reports {
            let cell = topology.cell(&sensor_id).await;
            let mut guard = cell.lock().await;
            ingest::replay(store, &sensor_id, Arc::make_mut(&mut guard)).await?;
        }
        // What was stored was accepted within the limits of its day: it is
        // counted, never refused.
        for (_, cell) in topology.sensors.read().await.iter() {
            let mut guard = cell.lock().await;
            let state = Arc::make_mut(&mut guard);
            state.bytes = limits::state_bytes(state);
            let _ = topology.fleet.resize(0, state.bytes, usize::MAX);
        }
        Ok(topology)
    }
}
