//! The collectors, in one explicit list ([`Collectors`]). Each fills its part
//! of an [`Observation`] with `vedette_model::wire` types; the observation's
//! vectors are cleared and refilled every interval so their allocations are
//! reused.

pub mod cgroup;
pub mod cloud;
pub mod connections;
pub mod docker;
pub mod host;
pub mod processes;
pub mod redact;
pub mod users;

use std::path::PathBuf;

use vedette_model::wire::{
    CollectorStatus, Connection, Container, Host, Image, Process, Visibility,
};

use crate::root::HostRoot;

/// Everything seen in one collection.
#[derive(Debug, Clone, Default)]
pub struct Observation {
    /// When it was collected (Unix ms).
    pub collected_at_ms: i64,
    /// The host.
    pub host: Host,
    /// Processes.
    pub processes: Vec<Process>,
    /// Sockets.
    pub connections: Vec<Connection>,
    /// Containers.
    pub containers: Vec<Container>,
    /// Images.
    pub images: Vec<Image>,
    /// Which collectors saw what they are for, and why the others did not.
    pub collectors: Vec<CollectorStatus>,
}

/// What the collectors need to know.
#[derive(Debug, Clone)]
pub struct CollectorsConfig {
    /// The host root.
    pub host_root: HostRoot,
    /// The Docker Engine socket.
    pub docker_socket: PathBuf,
    /// What the sensor sees.
    pub visibility: Visibility,
}

/// The explicit list of collectors.
pub struct Collectors {
    host: host::HostCollector,
    processes: processes::ProcessCollector,
    connections: connections::ConnectionCollector,
    docker: docker::DockerCollector,
    timings: [std::time::Duration; 4],
}

impl CollectorsConfig {
    /// Builds every collector (looks up cloud metadata once).
    pub async fn build(&self) -> Collectors {
        Collectors {
            host: host::HostCollector::build(&self.host_root).await,
            processes: processes::ProcessCollector::new(self.host_root.clone()),
            connections: connections::ConnectionCollector::new(self.host_root.clone()),
            docker: docker::DockerCollector::new(self.docker_socket.clone()),
            timings: Default::default(),
        }
    }
}

impl Collectors {
    /// Collects everything into `observation`, replacing its contents.
    pub async fn collect(&mut self, observation: &mut Observation) {
        observation.collected_at_ms = now_ms();
        let mut started = std::time::Instant::now();
        let mut lap = |slot: &mut std::time::Duration| {
            *slot = started.elapsed();
            started = std::time::Instant::now();
        };
        self.host.collect(&mut observation.host);
        lap(&mut self.timings[0]);
        self.processes.collect(&mut observation.processes);
        lap(&mut self.timings[1]);
        self.connections
            .collect(&observation.processes, &mut observation.connections);
        lap(&mut self.timings[2]);
        self.docker
            .collect(&mut observation.containers, &mut observation.images)
            .await;
        lap(&mut self.timings[3]);
        observation.collectors = self.statuses(&observation.host);
    }

    /// Each collector's status after a collection, in a fixed order.
    fn statuses(&self, host: &Host) -> Vec<CollectorStatus> {
        let cloud = match &host.cloud {
            Some(_) => CollectorStatus::active("cloud"),
            None => CollectorStatus::inactive(
                "cloud",
                "no cloud instance metadata: not on a cloud, or its metadata service did not answer",
            ),
        };
        vec![
            CollectorStatus::active("host"),
            cloud,
            self.processes.status(),
            self.connections.status(),
            self.docker.status(),
        ]
    }

    /// Wall time each collector took in the last collection: host,
    /// processes, connections, docker.
    pub fn timings(&self) -> [std::time::Duration; 4] {
        self.timings
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Reads a small text file, trimmed; `None` when unreadable. Bounded so a
/// strange file under a host root cannot make the sensor allocate much.
pub(crate) fn read_small(path: &std::path::Path) -> Option<String> {
    use std::io::Read;
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    file.take(256 * 1024).read_to_string(&mut text).ok()?;
    Some(text.trim().to_string())
}

/// What the sensor uses of `/proc/stat`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ProcStat {
    /// Boot time (Unix seconds), the `btime` line.
    pub boot_time_secs: u64,
    /// Logical CPUs: the `cpuN` lines.
    pub cpus: u32,
}

/// Reads `<root>/proc/stat`. Hand-parsed: procfs's `KernelStats` needs the
/// local system's tick rate to build, and only two facts are needed here.
pub(crate) fn proc_stat(root: &HostRoot) -> ProcStat {
    let mut stat = ProcStat::default();
    for line in read_small(&root.join("/proc/stat"))
        .unwrap_or_default()
        .lines()
    {
        if let Some(value) = line.strip_prefix("btime ") {
            stat.boot_time_secs = value.trim().parse().unwrap_or(0);
        } else if line.starts_with("cpu") && line.as_bytes().get(3).is_some_and(u8::is_ascii_digit)
        {
            stat.cpus += 1;
        }
    }
    stat
}
