//! What to send: a snapshot, or a delta against the state the console last
//! acknowledged ([`Baseline`]).
//!
//! Volatile metrics would make every process "changed" every interval, so a
//! delta includes a process only when a stable field changed or its CPU use
//! moved by [`CPU_POINTS`] points or its RSS by [`RSS_FRACTION`]; the host
//! likewise ignores uptime and small moves of load and free memory. The
//! baseline keeps what was *reported*, so slow drifts still get reported
//! once they add up. Snapshots always carry everything, metrics included.

use std::collections::{HashMap, HashSet};

use vedette_model::wire::{
    Changes, CollectorStatus, Connection, Container, Host, Image, Keyed, PROTOCOL_VERSION, Process,
    Report, Visibility,
};

use crate::collect::Observation;

/// A process's CPU % must move this much to be reported.
pub const CPU_POINTS: f32 = 5.0;
/// A process's RSS must move by this fraction to be reported.
pub const RSS_FRACTION: f64 = 0.10;
/// The host's one-minute load must move this much to be reported.
pub const LOAD_POINTS: f64 = 0.5;
/// The host's available memory must move by this fraction of the total to be reported.
pub const MEMORY_FRACTION: f64 = 0.05;

/// Who is reporting, and the report's place in the stream.
#[derive(Debug, Clone)]
pub struct Header {
    /// The sensor's id.
    pub sensor_id: String,
    /// The sequence number.
    pub sequence: u64,
    /// What the sensor sees.
    pub visibility: Visibility,
}

/// The state the console acknowledged last.
#[derive(Debug, Default)]
pub struct Baseline {
    host: Option<Host>,
    processes: HashMap<String, Process>,
    containers: HashMap<String, Container>,
    images: HashMap<String, Image>,
    connections: HashMap<String, Connection>,
    collectors: Option<Vec<CollectorStatus>>,
}

impl Baseline {
    /// Number of items (processes, containers, images, connections) held.
    pub fn len(&self) -> usize {
        self.processes.len() + self.containers.len() + self.images.len() + self.connections.len()
    }

    /// True when nothing was acknowledged yet.
    pub fn is_empty(&self) -> bool {
        self.host.is_none() && self.len() == 0
    }

    /// A snapshot of `observation`.
    pub fn snapshot(observation: &Observation, header: Header) -> Report {
        Report {
            protocol: PROTOCOL_VERSION,
            sensor_id: header.sensor_id,
            sequence: header.sequence,
            snapshot: true,
            collected_at_ms: observation.collected_at_ms,
            visibility: header.visibility,
            host: Some(observation.host.clone()),
            processes: all(&observation.processes),
            containers: all(&observation.containers),
            images: all(&observation.images),
            connections: all(&observation.connections),
            collectors: Some(observation.collectors.clone()),
        }
    }

    /// The changes from this baseline to `observation`.
    pub fn delta(&self, observation: &Observation, header: Header) -> Report {
        let host = match &self.host {
            Some(before) if !host_changed(before, &observation.host) => None,
            _ => Some(observation.host.clone()),
        };
        Report {
            protocol: PROTOCOL_VERSION,
            sensor_id: header.sensor_id,
            sequence: header.sequence,
            snapshot: false,
            collected_at_ms: observation.collected_at_ms,
            visibility: header.visibility,
            host,
            processes: diff(&self.processes, &observation.processes, process_changed),
            containers: diff(&self.containers, &observation.containers, |a, b| a != b),
            images: diff(&self.images, &observation.images, |a, b| a != b),
            connections: diff(&self.connections, &observation.connections, |a, b| a != b),
            collectors: (self.collectors.as_ref() != Some(&observation.collectors))
                .then(|| observation.collectors.clone()),
        }
    }

    /// Records that the console accepted `report`.
    pub fn acknowledge(&mut self, report: &Report) {
        if report.snapshot {
            self.host = None;
            self.processes.clear();
            self.containers.clear();
            self.images.clear();
            self.connections.clear();
            self.collectors = None;
        }
        if let Some(collectors) = &report.collectors {
            self.collectors = Some(collectors.clone());
        }
        if let Some(host) = &report.host {
            self.host = Some(host.clone());
        }
        apply(&mut self.processes, &report.processes);
        apply(&mut self.containers, &report.containers);
        apply(&mut self.images, &report.images);
        apply(&mut self.connections, &report.connections);
    }
}

fn all<T: Keyed + Clone>(items: &[T]) -> Changes<T> {
    Changes {
        upsert: dedup(items),
        remove: Vec::new(),
    }
}

/// Items with duplicate keys (e.g. two `SO_REUSEPORT` listeners) kept once.
fn dedup<T: Keyed + Clone>(items: &[T]) -> Vec<T> {
    let mut seen = HashSet::with_capacity(items.len());
    items
        .iter()
        .filter(|item| seen.insert(item.key()))
        .cloned()
        .collect()
}

fn diff<T: Keyed + Clone>(
    before: &HashMap<String, T>,
    now: &[T],
    changed: impl Fn(&T, &T) -> bool,
) -> Changes<T> {
    let mut seen = HashSet::with_capacity(now.len());
    let mut upsert = Vec::new();
    for item in now {
        let key = item.key();
        let is_new_or_changed = match before.get(&key) {
            Some(old) => changed(old, item),
            None => true,
        };
        if seen.insert(key) && is_new_or_changed {
            upsert.push(item.clone());
        }
    }
    let mut remove: Vec<String> = before
        .keys()
        .filter(|key| !seen.contains(*key))
        .cloned()
        .collect();
    remove.sort();
    Changes { upsert, remove }
}

fn apply<T: Keyed + Clone>(state: &mut HashMap<String, T>, changes: &Changes<T>) {
    for key in &changes.remove {
        state.remove(key);
    }
    for item in &changes.upsert {
        state.insert(item.key(), item.clone());
    }
}

/// True when a stable field changed or a metric moved meaningfully.
pub fn process_changed(before: &Process, now: &Process) -> bool {
    let stable_before = Process {
        cpu_percent: 0.0,
        rss_bytes: 0,
        ..before.clone()
    };
    let stable_now = Process {
        cpu_percent: 0.0,
        rss_bytes: 0,
        ..now.clone()
    };
    if stable_before != stable_now {
        return true;
    }
    let cpu_moved = (now.cpu_percent - before.cpu_percent).abs() >= CPU_POINTS;
    let rss_moved = (now.rss_bytes as f64 - before.rss_bytes as f64).abs()
        >= before.rss_bytes as f64 * RSS_FRACTION;
    cpu_moved || (rss_moved && before.rss_bytes != now.rss_bytes)
}

/// True when a stable host fact changed or load or free memory moved meaningfully.
pub fn host_changed(before: &Host, now: &Host) -> bool {
    let stable = |host: &Host| Host {
        uptime_secs: 0,
        load: [0.0; 3],
        memory_available_bytes: 0,
        ..host.clone()
    };
    if stable(before) != stable(now) {
        return true;
    }
    let load_moved = (now.load[0] - before.load[0]).abs() >= LOAD_POINTS;
    let memory_moved = (now.memory_available_bytes as f64 - before.memory_available_bytes as f64)
        .abs()
        >= now.memory_total_bytes as f64 * MEMORY_FRACTION;
    load_moved || memory_moved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(sequence: u64) -> Header {
        Header {
            sensor_id: "s".into(),
            sequence,
            visibility: Visibility::Host,
        }
    }

    fn process(pid: u32, name: &str) -> Process {
        Process {
            pid,
            ppid: 1,
            name: name.into(),
            started_at_ms: 1000 + i64::from(pid),
            cpu_percent: 1.0,
            rss_bytes: 10_000_000,
            ..Default::default()
        }
    }

    fn observation(processes: Vec<Process>) -> Observation {
        Observation {
            collected_at_ms: 1,
            host: Host {
                hostname: "h".into(),
                memory_total_bytes: 1000,
                ..Default::default()
            },
            processes,
            ..Default::default()
        }
    }

    #[test]
    fn collector_statuses_go_in_snapshots_and_in_deltas_when_they_change() {
        let mut first = observation(vec![process(1, "init")]);
        first.collectors = vec![CollectorStatus::inactive("docker", "no socket")];
        let mut baseline = Baseline::default();
        let snapshot = Baseline::snapshot(&first, header(1));
        assert_eq!(snapshot.collectors.as_deref(), Some(&first.collectors[..]));
        baseline.acknowledge(&snapshot);
        assert_eq!(baseline.delta(&first, header(2)).collectors, None);

        let mut docker_up = first.clone();
        docker_up.collectors = vec![CollectorStatus::active("docker")];
        let delta = baseline.delta(&docker_up, header(2));
        assert_eq!(delta.collectors.as_deref(), Some(&docker_up.collectors[..]));
        baseline.acknowledge(&delta);
        assert_eq!(baseline.delta(&docker_up, header(3)).collectors, None);
    }

    #[test]
    fn deltas_add_change_and_remove() {
        let first = observation(vec![
            process(1, "init"),
            process(2, "sshd"),
            process(3, "cron"),
        ]);
        let mut baseline = Baseline::default();
        let snapshot = Baseline::snapshot(&first, header(1));
        assert!(snapshot.snapshot && snapshot.host.is_some());
        assert_eq!(snapshot.processes.upsert.len(), 3);
        baseline.acknowledge(&snapshot);

        // Nothing changed: an empty delta (a heartbeat).
        let same = baseline.delta(&first, header(2));
        assert!(!same.snapshot && same.host.is_none());
        assert!(same.processes.is_empty());

        // sshd renamed (changed), cron gone, nginx new.
        let mut renamed = process(2, "sshd");
        renamed.cmdline = vec!["sshd".into(), "-D".into()];
        let second = observation(vec![
            process(1, "init"),
            renamed.clone(),
            process(4, "nginx"),
        ]);
        let delta = baseline.delta(&second, header(2));
        let names: Vec<&str> = delta
            .processes
            .upsert
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(names, ["sshd", "nginx"]);
        assert_eq!(delta.processes.remove, [process(3, "cron").key()]);
        baseline.acknowledge(&delta);
        assert!(baseline.delta(&second, header(3)).processes.is_empty());
    }

    #[test]
    fn volatile_metrics_are_reported_only_when_they_move() {
        let mut baseline = Baseline::default();
        let first = observation(vec![process(1, "app")]);
        baseline.acknowledge(&Baseline::snapshot(&first, header(1)));
        let mut jitter = process(1, "app");
        jitter.cpu_percent = 4.0; // +3 points
        jitter.rss_bytes = 10_500_000; // +5 %
        assert!(
            baseline
                .delta(&observation(vec![jitter]), header(2))
                .processes
                .is_empty()
        );
        let mut busy = process(1, "app");
        busy.cpu_percent = 7.0;
        assert_eq!(
            baseline
                .delta(&observation(vec![busy]), header(2))
                .processes
                .upsert
                .len(),
            1
        );
        let mut grown = process(1, "app");
        grown.rss_bytes = 11_000_000;
        assert_eq!(
            baseline
                .delta(&observation(vec![grown]), header(2))
                .processes
                .upsert
                .len(),
            1
        );
        // Host uptime alone is not a change.
        let mut later = first.clone();
        later.host.uptime_secs += 10;
        assert!(baseline.delta(&later, header(2)).host.is_none());
        later.host.load[0] = 2.0;
        assert!(baseline.delta(&later, header(2)).host.is_some());
    }

    #[test]
    fn duplicate_keys_are_sent_once() {
        let socket = Connection {
            transport: vedette_model::wire::Transport::Tcp,
            listening: true,
            local: "0.0.0.0:80".into(),
            remote: None,
            pid: Some(1),
            netns: Some(1),
        };
        let mut seen = observation(vec![]);
        seen.connections = vec![socket.clone(), socket];
        assert_eq!(
            Baseline::snapshot(&seen, header(1))
                .connections
                .upsert
                .len(),
            1
        );
        assert_eq!(
            Baseline::default()
                .delta(&seen, header(1))
                .connections
                .upsert
                .len(),
            1
        );
    }

    #[test]
    fn a_snapshot_replaces_the_baseline() {
        let mut baseline = Baseline::default();
        baseline.acknowledge(&Baseline::snapshot(
            &observation(vec![process(1, "a")]),
            header(1),
        ));
        baseline.acknowledge(&Baseline::snapshot(
            &observation(vec![process(2, "b")]),
            header(9),
        ));
        assert_eq!(baseline.len(), 1);
        let delta = baseline.delta(&observation(vec![process(2, "b")]), header(10));
        assert!(delta.processes.is_empty());
    }
}
