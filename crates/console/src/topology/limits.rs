//! Bounds on what sensors can make the console hold.
//!
//! - [`Limits`]: per-sensor bounds (items of each kind, bytes of one item,
//!   bytes of one sensor's state), the fleet-wide budget of topology state,
//!   and the per-report and fleet-wide bounds of decompression.
//! - [`plan`]: what a report would leave in a sensor's state (items per kind,
//!   accounted bytes), computed before anything is applied, so that a report
//!   over a limit is refused whole.
//! - [`FleetBytes`] and [`DecodeBudget`]: the two fleet-wide byte budgets,
//!   shared by every report.
//!
//! Accounted bytes are what a sensor's state holds in memory: the item
//! structures, their strings and their map keys. They are computed from
//! lengths, so the same state always weighs the same.

use std::collections::{BTreeMap, HashMap};
use std::mem::size_of;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use vedette_model::wire::{Changes, Connection, Container, Host, Image, Keyed, Process, Report};

use super::SensorState;

/// What one sensor, and all of them, may make the console hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Processes one sensor may report.
    pub max_processes: usize,
    /// Containers one sensor may report.
    pub max_containers: usize,
    /// Images one sensor may report.
    pub max_images: usize,
    /// Sockets (listening and connected) one sensor may report.
    pub max_connections: usize,
    /// Bytes of strings one item (a process, container, image, socket or the
    /// host) may hold.
    pub max_item_bytes: usize,
    /// Accounted bytes of one sensor's whole state.
    pub max_sensor_bytes: usize,
    /// Accounted bytes of every sensor's state together.
    pub fleet_budget_bytes: usize,
    /// Bytes one report may inflate to (JSON after zstd).
    pub max_report_bytes: usize,
    /// Bytes being decompressed at once across all reports (zstd windows
    /// and JSON being decoded).
    pub decode_budget_bytes: usize,
}

const MIB: usize = 1024 * 1024;

impl Limits {
    /// The defaults, sized from measurements; `docs/console.md` ("Limits")
    /// says why.
    pub const DEFAULT: Limits = Limits {
        max_processes: 10_000,
        max_containers: 1_000,
        max_images: 2_000,
        max_connections: 20_000,
        max_item_bytes: 64 * 1024,
        max_sensor_bytes: 32 * MIB,
        fleet_budget_bytes: 2048 * MIB,
        max_report_bytes: 16 * MIB,
        decode_budget_bytes: 256 * MIB,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// A report that would take a sensor beyond one of its limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the report would take this sensor's {what} to {value}, over the console's limit `{limit}` of {max}; nothing of it was applied"
)]
pub struct OverLimit {
    /// The limit's name, as in the configuration (e.g. `max_processes`).
    pub limit: &'static str,
    /// What is limited, in words.
    pub what: &'static str,
    /// The value the report would reach.
    pub value: usize,
    /// The limit.
    pub max: usize,
}

/// Bytes of a map entry beyond its key and value (B-tree node share).
const ENTRY_OVERHEAD: usize = 16;

fn string(s: &str) -> usize {
    s.len()
}

fn strings(v: &[String]) -> usize {
    std::mem::size_of_val(v) + v.iter().map(|s| s.len()).sum::<usize>()
}

fn option(s: &Option<String>) -> usize {
    s.as_deref().map_or(0, str::len)
}

/// Heap bytes an item holds (its strings and vectors), beyond its own size.
pub trait Weigh: Sized {
    /// Heap bytes of the item.
    fn heap_bytes(&self) -> usize;
}

impl Weigh for Host {
    fn heap_bytes(&self) -> usize {
        let interfaces = self
            .interfaces
            .iter()
            .map(|i| {
                size_of::<vedette_model::wire::Interface>()
                    + string(&i.name)
                    + option(&i.mac)
                    + strings(&i.addresses)
            })
            .sum::<usize>();
        let cloud = self.cloud.as_ref().map_or(0, |c| {
            string(&c.provider)
                + option(&c.region)
                + option(&c.zone)
                + option(&c.instance_id)
                + option(&c.instance_type)
                + option(&c.account)
        });
        string(&self.hostname)
            + string(&self.os_id)
            + string(&self.os_version)
            + string(&self.os_pretty_name)
            + string(&self.kernel)
            + string(&self.arch)
            + interfaces
            + cloud
    }
}

impl Weigh for Process {
    fn heap_bytes(&self) -> usize {
        string(&self.name)
            + strings(&self.cmdline)
            + string(&self.user)
            + option(&self.exe)
            + option(&self.container_id)
    }
}

impl Weigh for Container {
    fn heap_bytes(&self) -> usize {
        let labels = self
            .labels
            .iter()
            .map(|(k, v)| 2 * size_of::<String>() + ENTRY_OVERHEAD + k.len() + v.len())
            .sum::<usize>();
        let ports = self
            .ports
            .iter()
            .map(|p| {
                size_of::<vedette_model::wire::PortMapping>()
                    + string(&p.protocol)
                    + option(&p.host_ip)
            })
            .sum::<usize>();
        let networks = self
            .networks
            .iter()
            .map(|n| {
                size_of::<vedette_model::wire::ContainerNetwork>() + string(&n.name) + option(&n.ip)
            })
            .sum::<usize>();
        string(&self.id)
            + string(&self.name)
            + string(&self.image)
            + string(&self.image_id)
            + string(&self.state)
            + labels
            + ports
            + networks
    }
}

impl Weigh for Image {
    fn heap_bytes(&self) -> usize {
        string(&self.id) + strings(&self.tags) + strings(&self.digests)
    }
}

impl Weigh for Connection {
    fn heap_bytes(&self) -> usize {
        string(&self.local) + option(&self.remote)
    }
}

/// Accounted bytes of an item stored under a key of `key_len` bytes.
pub fn entry_bytes<T: Weigh>(item: &T, key_len: usize) -> usize {
    size_of::<String>() + key_len + size_of::<T>() + item.heap_bytes() + ENTRY_OVERHEAD
}

/// Accounted bytes of the host.
pub fn host_bytes(host: &Host) -> usize {
    size_of::<Host>() + host.heap_bytes()
}

/// Accounted bytes of a whole state (what [`plan`] predicts for it).
pub fn state_bytes(state: &SensorState) -> usize {
    fn map<T: Weigh>(items: &BTreeMap<String, T>) -> usize {
        items.iter().map(|(k, v)| entry_bytes(v, k.len())).sum()
    }
    size_of::<SensorState>()
        + state.host.as_ref().map_or(0, host_bytes)
        + map(&state.processes)
        + map(&state.containers)
        + map(&state.images)
        + map(&state.connections)
}

/// The names of one kind's limits, for messages.
struct Kind {
    limit: &'static str,
    what: &'static str,
    max: usize,
}

/// Items and accounted bytes of one kind after `changes`.
fn plan_kind<T: Keyed + Weigh>(
    items: Option<&BTreeMap<String, T>>,
    changes: &Changes<T>,
    kind: Kind,
    max_item_bytes: usize,
) -> Result<(usize, isize), OverLimit> {
    // Key → accounted bytes after the report (None: removed). Removals
    // apply first, then upserts, as in `apply_report`.
    let mut touched: HashMap<&str, Option<usize>> = HashMap::new();
    let keys: Vec<String> = changes.upsert.iter().map(Keyed::key).collect();
    for key in &changes.remove {
        touched.insert(key.as_str(), None);
    }
    for (item, key) in changes.upsert.iter().zip(&keys) {
        let heap = item.heap_bytes() + key.len();
        if heap > max_item_bytes {
            return Err(OverLimit {
                limit: "max_item_bytes",
                what: "largest item (bytes of strings)",
                value: heap,
                max: max_item_bytes,
            });
        }
        touched.insert(key.as_str(), Some(entry_bytes(item, key.len())));
    }
    let mut count = items.map_or(0, BTreeMap::len);
    let mut delta: isize = 0;
    for (key, after) in touched {
        let before = items
            .and_then(|m| m.get(key))
            .map(|v| entry_bytes(v, key.len()));
        match (before, after) {
            (Some(_), None) => count -= 1,
            (None, Some(_)) => count += 1,
            _ => {}
        }
        delta += after.unwrap_or(0) as isize - before.unwrap_or(0) as isize;
    }
    if count > kind.max {
        return Err(OverLimit {
            limit: kind.limit,
            what: kind.what,
            value: count,
            max: kind.max,
        });
    }
    Ok((count, delta))
}

/// The accounted bytes `state` would hold after `report`, or the limit it
/// would break. Nothing is changed.
pub fn plan(state: &SensorState, report: &Report, limits: &Limits) -> Result<usize, OverLimit> {
    let base = (!report.snapshot).then_some(state);
    let mut bytes = match base {
        Some(state) => state.bytes as isize,
        None => size_of::<SensorState>() as isize,
    };
    if let Some(host) = &report.host {
        if host.heap_bytes() > limits.max_item_bytes {
            return Err(OverLimit {
                limit: "max_item_bytes",
                what: "host (bytes of strings)",
                value: host.heap_bytes(),
                max: limits.max_item_bytes,
            });
        }
        let before = base.and_then(|s| s.host.as_ref()).map_or(0, host_bytes);
        bytes += host_bytes(host) as isize - before as isize;
    }
    let kind = |limit, what, max| Kind { limit, what, max };
    let (_, d) = plan_kind(
        base.map(|s| &s.processes),
        &report.processes,
        kind("max_processes", "processes", limits.max_processes),
        limits.max_item_bytes,
    )?;
    bytes += d;
    let (_, d) = plan_kind(
        base.map(|s| &s.containers),
        &report.containers,
        kind("max_containers", "containers", limits.max_containers),
        limits.max_item_bytes,
    )?;
    bytes += d;
    let (_, d) = plan_kind(
        base.map(|s| &s.images),
        &report.images,
        kind("max_images", "images", limits.max_images),
        limits.max_item_bytes,
    )?;
    bytes += d;
    let (_, d) = plan_kind(
        base.map(|s| &s.connections),
        &report.connections,
        kind("max_connections", "sockets", limits.max_connections),
        limits.max_item_bytes,
    )?;
    bytes += d;
    let bytes = bytes.max(0) as usize;
    if bytes > limits.max_sensor_bytes {
        return Err(OverLimit {
            limit: "max_sensor_bytes",
            what: "state (accounted bytes)",
            value: bytes,
            max: limits.max_sensor_bytes,
        });
    }
    Ok(bytes)
}

/// The fleet-wide total of accounted topology bytes.
#[derive(Debug, Default)]
pub struct FleetBytes {
    held: AtomicUsize,
}

impl FleetBytes {
    /// Bytes held now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// Moves one sensor from `before` to `after` bytes; refused (nothing
    /// changed) when that grows the total beyond `budget`. Shrinking is
    /// always allowed.
    pub fn resize(&self, before: usize, after: usize, budget: usize) -> Result<(), usize> {
        self.held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                let next = held.saturating_sub(before).saturating_add(after);
                (after <= before || next <= budget).then_some(next)
            })
            .map(|_| ())
    }

    /// Releases `bytes` (a sensor's state dropped).
    pub fn release(&self, bytes: usize) {
        let _ = self.resize(bytes, 0, usize::MAX);
    }
}

/// Bytes being decompressed across all reports, bounded by a budget.
#[derive(Debug, Default)]
pub struct DecodeBudget {
    reserved: AtomicUsize,
    peak: AtomicUsize,
}

/// Bytes reserved from a [`DecodeBudget`], released when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: Arc<DecodeBudget>,
    bytes: usize,
}

impl DecodeBudget {
    /// Bytes reserved now.
    pub fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Relaxed)
    }

    /// The most ever reserved at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }

    /// Reserves `bytes` if the total stays within `limit`.
    pub fn try_reserve(self: &Arc<Self>, bytes: usize, limit: usize) -> Option<Reservation> {
        let mut reservation = Reservation {
            budget: self.clone(),
            bytes: 0,
        };
        reservation.grow(bytes, limit).then_some(reservation)
    }
}

impl Reservation {
    /// Bytes held by this reservation.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds `more` bytes if the budget's total stays within `limit`.
    pub fn grow(&mut self, more: usize, limit: usize) -> bool {
        let taken =
            self.budget
                .reserved
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |reserved| {
                    reserved.checked_add(more).filter(|next| *next <= limit)
                });
        match taken {
            Ok(before) => {
                self.bytes += more;
                self.budget.peak.fetch_max(before + more, Ordering::Relaxed);
                true
            }
            Err(_) => false,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.reserved.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::ingest::apply_report;
    use vedette_model::wire::{PROTOCOL_VERSION, Visibility};

    fn report(sequence: u64, snapshot: bool) -> Report {
        Report {
            protocol: PROTOCOL_VERSION,
            sensor_id: "s".into(),
            sequence,
            snapshot,
            collected_at_ms: 1,
            visibility: Visibility::Host,
            host: None,
            processes: Changes::default(),
            containers: Changes::default(),
            images: Changes::default(),
            connections: Changes::default(),
            collectors: None,
        }
    }

    fn process(pid: u32, name: &str) -> Process {
        Process {
            pid,
            name: name.into(),
            cmdline: vec![name.into(), "--flag".into()],
            ..Default::default()
        }
    }

    /// Applies `report` after planning it, checking the plan against a recount.
    fn step(state: &mut SensorState, report: Report, limits: &Limits) -> Result<(), OverLimit> {
        let planned = plan(state, &report, limits)?;
        apply_report(state, report);
        state.bytes = planned;
        assert_eq!(
            planned,
            state_bytes(state),
            "plan matches the applied state"
        );
        Ok(())
    }

    #[test]
    fn plans_match_what_applying_leaves() {
        let limits = Limits::default();
        let mut state = SensorState::default();
        let mut snapshot = report(1, true);
        snapshot.host = Some(Host {
            hostname: "h".into(),
            ..Default::default()
        });
        snapshot.processes.upsert = (0..10).map(|i| process(i, "nginx")).collect();
        step(&mut state, snapshot, &limits).unwrap();
        let mut delta = report(2, false);
        // Removed, re-added, changed, duplicated and unknown keys.
        delta.processes.remove = vec!["1@0".into(), "2@0".into(), "99@0".into()];
        delta.processes.upsert = vec![
            process(2, "a-longer-name"),
            process(3, "x"),
            process(3, "xyz"),
            process(11, "new"),
        ];
        step(&mut state, delta, &limits).unwrap();
        assert_eq!(state.processes.len(), 10);
        let mut next = report(3, true);
        next.processes.upsert = vec![process(1, "only")];
        step(&mut state, next, &limits).unwrap();
        assert_eq!(state.processes.len(), 1);
    }

    #[test]
    fn each_limit_is_named_and_nothing_changes() {
        let limits = Limits {
            max_processes: 3,
            max_item_bytes: 200,
            max_sensor_bytes: 4000,
            ..Limits::default()
        };
        let mut state = SensorState::default();
        let mut snapshot = report(1, true);
        snapshot.processes.upsert = (0..3).map(|i| process(i, "p")).collect();
        step(&mut state, snapshot, &limits).unwrap();
        let before = state.clone();
        let mut more = report(2, false);
        more.processes.upsert = vec![process(7, "p")];
        assert_eq!(
            plan(&state, &more, &limits).unwrap_err().limit,
            "max_processes"
        );
        // Replacing one is fine: the count stays.
        more.processes.remove = vec!["0@0".into()];
        assert!(plan(&state, &more, &limits).is_ok());
        let mut big = report(2, false);
        big.processes.upsert = vec![process(0, &"x".repeat(300))];
        assert_eq!(
            plan(&state, &big, &limits).unwrap_err().limit,
            "max_item_bytes"
        );
        let mut wide = report(2, false);
        wide.connections.upsert = (0..40)
            .map(|i| Connection {
                transport: vedette_model::wire::Transport::Tcp,
                listening: true,
                local: format!("0.0.0.0:{i}"),
                remote: None,
                pid: None,
                netns: None,
            })
            .collect();
        assert_eq!(
            plan(&state, &wide, &limits).unwrap_err().limit,
            "max_sensor_bytes"
        );
        assert_eq!(state.bytes, before.bytes);
        assert_eq!(state.processes, before.processes);
    }

    #[test]
    fn the_fleet_budget_refuses_growth_but_never_shrinking() {
        let fleet = FleetBytes::default();
        fleet.resize(0, 600, 1000).unwrap();
        assert!(fleet.resize(0, 500, 1000).is_err());
        assert_eq!(fleet.held(), 600);
        fleet.resize(600, 900, 1000).unwrap();
        // Over budget (lowered since): shrinking still goes through.
        fleet.resize(900, 800, 100).unwrap();
        fleet.release(800);
        assert_eq!(fleet.held(), 0);
    }

    #[test]
    fn the_decode_budget_bounds_the_bytes_reserved_at_once() {
        let budget = Arc::new(DecodeBudget::default());
        let mut a = budget.try_reserve(600, 1000).unwrap();
        assert!(budget.try_reserve(500, 1000).is_none());
        let b = budget.try_reserve(400, 1000).unwrap();
        assert_eq!(budget.reserved(), 1000);
        assert!(!a.grow(1, 1000));
        drop(b);
        assert!(a.grow(300, 1000));
        assert_eq!(a.bytes(), 900);
        drop(a);
        assert_eq!(budget.reserved(), 0);
        assert_eq!(budget.peak(), 1000);
    }
}
