//! Shared, bounded topology views for readers.
//!
//! [`Views`] stands between the API and [`super::graph::view`], so that any
//! number of readers cost a bounded amount of memory and CPU:
//!
//! - **built once, shared**: a view is cached per (level, filters) with the
//!   fingerprint of the states it was built from. Readers of an unchanged
//!   topology share one [`View`] (and one serialized JSON body) behind an
//!   [`Arc`]. While a view is being rebuilt for newer states, other readers
//!   get the previous one at once (single flight: one build per key at a
//!   time, never one per request).
//! - **few builds at once**: builds take a slot of a console-wide semaphore;
//!   a reader that cannot get one within the configured wait is answered
//!   503 with `Retry-After`, never queued without end.
//! - **a node budget**: an unfiltered view whose node count, counted from the
//!   per-sensor states before building, exceeds the budget is refused with a
//!   pointer to filters and paging; so is any built view above it. The cache
//!   holds a few budgets' worth of nodes at most.
//! - **per-user limits**: heavy reads are rate limited per user, and live
//!   streams are capped per user.
//!
//! Architecture invariant: views are derived data. Nothing here is
//! persisted; dropping the cache only costs a rebuild.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::graph::{self, Filter, Graph, Level};
use super::{States, Topology};
use crate::config::Config;

/// How many budgets' worth of nodes the cache keeps at most.
const CACHED_BUDGETS: usize = 4;
/// Cached views at most (filters are free text; this bounds the map).
const MAX_ENTRIES: usize = 64;

/// Which view: a level and its graph filters (empty values mean no filter).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewKey {
    level: &'static str,
    host: Option<String>,
    name: Option<String>,
    label: Option<String>,
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Hosts => "hosts",
        Level::Containers => "containers",
        Level::Processes => "processes",
        Level::Images => "images",
    }
}

impl ViewKey {
    /// The key of `level` with `filter` (empty filter values are dropped).
    pub fn new(level: Level, filter: &Filter) -> ViewKey {
        let keep = |v: &Option<String>| v.clone().filter(|v| !v.is_empty());
        ViewKey {
            level: level_name(level),
            host: keep(&filter.host),
            name: keep(&filter.name),
            label: keep(&filter.label),
        }
    }

    /// Whether no filter is set.
    pub fn is_unfiltered(&self) -> bool {
        self.host.is_none() && self.name.is_none() && self.label.is_none()
    }

    fn level(&self) -> Level {
        match self.level {
            "containers" => Level::Containers,
            "processes" => Level::Processes,
            "images" => Level::Images,
            _ => Level::Hosts,
        }
    }

    fn filter(&self) -> Filter {
        Filter {
            host: self.host.clone(),
            name: self.name.clone(),
            label: self.label.clone(),
        }
    }
}

/// A built view, shared by every reader of the same key and states.
pub struct View {
    /// The graph.
    pub graph: Graph,
    fingerprint: u64,
    built_at: Instant,
    json: OnceLock<Bytes>,
}

impl View {
    /// The graph as JSON, serialized once and shared.
    pub fn json(&self, views: &Views) -> Bytes {
        self.json
            .get_or_init(|| {
                views.serializations.fetch_add(1, Ordering::Relaxed);
                Bytes::from(serde_json::to_vec(&self.graph).unwrap_or_default())
            })
            .clone()
    }
}

/// Why a view was not given.
#[derive(Debug, thiserror::Error)]
pub enum ViewError {
    /// The view has more nodes than the budget allows.
    #[error(
        "the {level} view has {nodes} nodes, more than the {budget} one view may have; \
         narrow it with `host=` (a host name or sensor id), `name=` or `label=`, on \
         /api/v1/topology or on the paged table /api/v1/topology/nodes"
    )]
    OverBudget {
        /// The level asked for.
        level: &'static str,
        /// Nodes counted or built.
        nodes: usize,
        /// The configured budget.
        budget: usize,
    },
    /// Every build slot is taken.
    #[error("the console is busy building other topology views; retry in {retry_after_secs} s")]
    Busy {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The user made too many heavy reads.
    #[error("too many topology reads; retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// The user holds too many live streams.
    #[error("you already have {open} live topology streams open; close one first")]
    TooManyStreams {
        /// Streams the user holds.
        open: usize,
    },
    /// A build task failed (a bug).
    #[error("building the topology view failed: {0}")]
    Failed(String),
}

/// One cache slot: the latest view of a key and the lock one builder holds.
#[derive(Default)]
struct Slot {
    current: Mutex<Option<Arc<View>>>,
    /// The fingerprint and node count of a build refused for its size, so
    /// that readers of the same states are refused without a rebuild.
    refused: Mutex<Option<(u64, usize)>>,
    building: tokio::sync::Mutex<()>,
}

impl Slot {
    fn current(&self) -> Option<Arc<View>> {
        self.current.lock().ok().and_then(|c| c.clone())
    }

    fn refused_for(&self, fingerprint: u64) -> Option<(u64, usize)> {
        self.refused
            .lock()
            .ok()
            .and_then(|r| *r)
            .filter(|(at, _)| *at == fingerprint)
    }
}

/// The view cache, build slots, budget and per-user limits.
pub struct Views {
    slots: Mutex<HashMap<ViewKey, Arc<Slot>>>,
    builds: Arc<Semaphore>,
    build_wait: Duration,
    node_budget: usize,
    reads: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    streams_per_user: usize,
    streams: Arc<Mutex<HashMap<String, usize>>>,
    built: AtomicU64,
    serializations: AtomicU64,
}

impl Views {
    /// Views with the limits of `config`.
    pub fn new(config: &Config) -> Views {
        let per_minute =
            NonZeroU32::new(config.topology_reads_per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        Views {
            slots: Mutex::default(),
            builds: Arc::new(Semaphore::new(config.topology_concurrent_builds.max(1))),
            build_wait: config.topology_build_wait,
            node_budget: config.topology_node_budget.max(1),
            reads: RateLimiter::keyed(Quota::per_minute(per_minute)),
            clock: DefaultClock::default(),
            streams_per_user: config.topology_streams_per_user.max(1),
            streams: Arc::default(),
            built: AtomicU64::new(0),
            serializations: AtomicU64::new(0),
        }
    }

    /// Views built since start (each build counts once, whoever waited for it).
    pub fn builds(&self) -> u64 {
        self.built.load(Ordering::Relaxed)
    }

    /// Views serialized to JSON since start.
    pub fn serializations(&self) -> u64 {
        self.serializations.load(Ordering::Relaxed)
    }

    /// The node budget in effect.
    pub fn node_budget(&self) -> usize {
        self.node_budget
    }

    /// Takes one heavy read from `user_id`'s allowance.
    pub fn check_rate(&self, user_id: &str) -> Result<(), ViewError> {
        self.reads
            .check_key(&user_id.to_string())
            .map_err(|not_until| ViewError::RateLimited {
                retry_after_secs: not_until.wait_time_from(self.clock.now()).as_secs().max(1),
            })
    }

    /// Forgets users whose allowance fully recovered (bounds memory).
    pub fn forget_idle(&self) {
        self.reads.retain_recent();
        self.reads.shrink_to_fit();
    }

    /// Registers a live stream of `user_id`; the stream counts until the
    /// returned guard is dropped.
    pub fn open_stream(&self, user_id: &str) -> Result<StreamGuard, ViewError> {
        let mut open = self
            .streams
            .lock()
            .map_err(|_| ViewError::Failed("stream registry poisoned".into()))?;
        let count = open.entry(user_id.to_string()).or_default();
        if *count >= self.streams_per_user {
            return Err(ViewError::TooManyStreams { open: *count });
        }
        *count += 1;
        Ok(StreamGuard {
            streams: self.streams.clone(),
            user_id: user_id.to_string(),
        })
    }

    /// Waits for a build slot, as a build does; `Busy` after the configured wait.
    pub async fn build_slot(&self) -> Result<OwnedSemaphorePermit, ViewError> {
        let wait = self.build_wait;
        match tokio::time::timeout(wait, self.builds.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(ViewError::Busy {
                retry_after_secs: wait.as_secs().clamp(1, 60),
            }),
        }
    }

    fn slot(&self, key: &ViewKey) -> Arc<Slot> {
        let Ok(mut slots) = self.slots.lock() else {
            return Arc::default();
        };
        if let Some(slot) = slots.get(key) {
            return slot.clone();
        }
        if slots.len() >= MAX_ENTRIES {
            self.evict(&mut slots, MAX_ENTRIES - 1, 0);
        }
        slots.entry(key.clone()).or_default().clone()
    }

    /// Drops the oldest idle views until at most `entries` remain and the
    /// cached nodes plus `incoming` fit in [`CACHED_BUDGETS`] budgets.
    fn evict(&self, slots: &mut HashMap<ViewKey, Arc<Slot>>, entries: usize, incoming: usize) {
        let cap = CACHED_BUDGETS * self.node_budget;
        loop {
            let cached: usize = slots
                .values()
                .filter_map(|s| s.current())
                .map(|v| v.graph.nodes.len())
                .sum();
            if slots.len() <= entries && cached + incoming <= cap {
                return;
            }
            // The oldest view whose slot is not being built (a builder holds it).
            let oldest = slots
                .iter()
                .filter(|(_, slot)| slot.building.try_lock().is_ok())
                .min_by_key(|(_, slot)| slot.current().map(|v| v.built_at))
                .map(|(key, _)| key.clone());
            match oldest {
                Some(key) => {
                    slots.remove(&key);
                }
                None => return,
            }
        }
    }

    /// The view of `key` for the topology's current states.
    ///
    /// Answers from the cache when the states are unchanged, or when another
    /// reader is already rebuilding this view (the previous one is served
    /// meanwhile); otherwise builds it, at most one build per key and
    /// `topology_concurrent_builds` in all.
    pub async fn get(&self, topology: &Topology, key: &ViewKey) -> Result<Arc<View>, ViewError> {
        let fingerprint = fingerprint(&topology.snapshot().await);
        let slot = self.slot(key);
        if let Some((_, nodes)) = slot.refused_for(fingerprint) {
            return Err(self.over_budget(key, nodes));
        }
        let current = slot.current();
        if let Some(view) = current.as_ref().filter(|v| v.fingerprint == fingerprint) {
            return Ok(view.clone());
        }
        let _building = match slot.building.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                // A build of this view is under way: serve the previous one,
                // or wait (bounded) for the build.
                if let Some(view) = current {
                    return Ok(view);
                }
                let guard = tokio::time::timeout(self.build_wait, slot.building.lock())
                    .await
                    .map_err(|_| ViewError::Busy {
                        retry_after_secs: self.build_wait.as_secs().clamp(1, 60),
                    })?;
                if let Some(view) = slot.current() {
                    return Ok(view);
                }
                if let Some((_, nodes)) = slot.refused_for(fingerprint) {
                    return Err(self.over_budget(key, nodes));
                }
                guard
            }
        };
        if let Some(view) = slot.current().filter(|v| v.fingerprint == fingerprint) {
            return Ok(view);
        }
        let _permit = self.build_slot().await?;
        // The states as of now (possibly newer than the fingerprint above).
        let states = topology.snapshot().await;
        let fingerprint = self::fingerprint(&states);
        let level = key.level();
        if key.is_unfiltered() {
            let nodes = count_nodes(&states, level);
            if nodes > self.node_budget {
                return Err(self.over_budget(key, nodes));
            }
        }
        let filter = key.filter();
        let graph = tokio::task::spawn_blocking(move || graph::view(&states, level, &filter))
            .await
            .map_err(|e| ViewError::Failed(e.to_string()))?;
        self.built.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("vedette_topology_view_builds_total", "level" => key.level).increment(1);
        if graph.nodes.len() > self.node_budget {
            if let Ok(mut refused) = slot.refused.lock() {
                *refused = Some((fingerprint, graph.nodes.len()));
            }
            return Err(self.over_budget(key, graph.nodes.len()));
        }
        let view = Arc::new(View {
            fingerprint,
            built_at: Instant::now(),
            json: OnceLock::new(),
            graph,
        });
        if let Ok(mut slots) = self.slots.lock() {
            self.evict(&mut slots, MAX_ENTRIES, view.graph.nodes.len());
        }
        if let Ok(mut current) = slot.current.lock() {
            *current = Some(view.clone());
        }
        Ok(view)
    }

    fn over_budget(&self, key: &ViewKey, nodes: usize) -> ViewError {
        metrics::counter!("vedette_topology_views_refused_total", "reason" => "budget")
            .increment(1);
        ViewError::OverBudget {
            level: key.level,
            nodes,
            budget: self.node_budget,
        }
    }

    /// Whether the unfiltered view of `level` is within the budget, counted
    /// from the states (cheap; nothing is built).
    pub fn fits(&self, states: &States, level: Level) -> bool {
        count_nodes(states, level) <= self.node_budget
    }
}

/// A live stream counted against its user's cap while it exists.
pub struct StreamGuard {
    streams: Arc<Mutex<HashMap<String, usize>>>,
    user_id: String,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Ok(mut open) = self.streams.lock()
            && let Some(count) = open.get_mut(&self.user_id)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.user_id);
            }
        }
    }
}

/// Identifies the states a view is built from: every sensor's id, last
/// sequence number, collection time and state pointer. Any applied report
/// or removed sensor changes it.
fn fingerprint(states: &States) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    states.len().hash(&mut hasher);
    for (id, state) in states {
        id.hash(&mut hasher);
        state.last_sequence.hash(&mut hasher);
        state.collected_at_ms.hash(&mut hasher);
        (Arc::as_ptr(state) as usize).hash(&mut hasher);
    }
    hasher.finish()
}

/// The nodes an unfiltered view of `level` has at least, from the states
/// alone (pseudo-nodes and hosts added for edges come on top and are
/// caught after the build).
fn count_nodes(states: &States, level: Level) -> usize {
    match level {
        Level::Hosts => states.len(),
        Level::Containers => states.iter().map(|(_, s)| s.containers.len()).sum(),
        Level::Processes => states.iter().map(|(_, s)| s.processes.len()).sum(),
        Level::Images => {
            let mut ids: std::collections::HashSet<&str> = std::collections::HashSet::new();
            for (_, state) in states {
                ids.extend(state.images.values().map(|i| i.id.as_str()));
            }
            ids.len()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::SensorState;
    use vedette_model::wire::Process;

    fn states(sensors: usize, processes: u32) -> Vec<(String, Arc<SensorState>)> {
        (0..sensors)
            .map(|s| {
                let mut state = SensorState::default();
                for pid in 0..processes {
                    state.processes.insert(
                        pid.to_string(),
                        Process {
                            pid,
                            name: "p".into(),
                            ..Process::default()
                        },
                    );
                }
                (format!("s{s}"), Arc::new(state))
            })
            .collect()
    }

    #[test]
    fn nodes_are_counted_per_level_before_building() {
        let states = states(3, 5);
        assert_eq!(count_nodes(&states, Level::Hosts), 3);
        assert_eq!(count_nodes(&states, Level::Processes), 15);
        assert_eq!(count_nodes(&states, Level::Containers), 0);
    }

    #[test]
    fn the_fingerprint_changes_with_any_state() {
        let a = states(2, 1);
        let mut b = a.clone();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        let mut changed = (*b[1].1).clone();
        changed.last_sequence = Some(9);
        b[1].1 = Arc::new(changed);
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_ne!(fingerprint(&a), fingerprint(&a[..1]));
    }

    #[test]
    fn empty_filter_values_are_no_filter() {
        let key = ViewKey::new(
            Level::Processes,
            &Filter {
                host: Some(String::new()),
                name: None,
                label: Some(String::new()),
            },
        );
        assert!(key.is_unfiltered());
    }

    #[test]
    fn streams_are_capped_per_user_and_released_on_drop() {
        let mut config = Config::with_defaults(std::env::temp_dir());
        config.topology_streams_per_user = 2;
        let views = Views::new(&config);
        let one = views.open_stream("u1").unwrap();
        let _two = views.open_stream("u1").unwrap();
        assert!(matches!(
            views.open_stream("u1"),
            Err(ViewError::TooManyStreams { open: 2 })
        ));
        assert!(views.open_stream("u2").is_ok());
        drop(one);
        assert!(views.open_stream("u1").is_ok());
    }
}
