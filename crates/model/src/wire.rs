//! The sensor → console wire protocol, version [`PROTOCOL_VERSION`].
//!
//! A sensor sends [`Report`]s to `POST /api/v1/sensor/report` as JSON,
//! compressed with zstd (`Content-Encoding: zstd`). The first report after
//! registration, and any report the console asks for, is a **snapshot**: it
//! replaces everything the console knows of that sensor. Every other report
//! is a **delta**: only what changed since the previous report, with a
//! sequence number one above it. A console that sees a gap, a replay or has
//! lost state answers `409` with `need_snapshot`, and the sensor sends a
//! snapshot next.
//!
//! Compatibility rule: fields may be added (with `#[serde(default)]`), never
//! renamed or removed, within one protocol version.
//!
//! Registration (`POST /api/v1/sensor/register`, JSON) belongs to the same
//! protocol version. Request: `api_key`, `hostname`, `version`, and to keep
//! an identity `sensor_id` with `credential` (added in version 1: optional,
//! sent only by a sensor that holds one). Answer: `sensor_id`, `token`,
//! `expires_at`, and `credential` only when the console issued one (a new
//! sensor). Since credentials exist the console assigns ids: a `sensor_id`
//! it knows is accepted only with that sensor's credential (else 403), one it
//! does not know is ignored. A sensor built before credentials keeps working
//! from a fresh state file; with an old state file it is refused until the
//! file is removed (it then registers as a new sensor).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The protocol version this build speaks.
pub const PROTOCOL_VERSION: u32 = 1;

/// Largest compressed report the console accepts.
pub const MAX_COMPRESSED_REPORT_BYTES: usize = 16 * 1024 * 1024;
/// Largest decompressed report the protocol allows (bounds zstd bombs). The
/// console's own bound is configurable and lower by default (a busy host's
/// snapshot is a few hundred KiB of JSON).
pub const MAX_REPORT_BYTES: usize = 128 * 1024 * 1024;
/// Largest sequence number: the console stores sequences as signed 64-bit
/// integers. A sensor whose next number would pass it starts a new stream
/// with a snapshot.
pub const MAX_SEQUENCE: u64 = i64::MAX as u64;
/// Latest timestamp accepted (Unix ms of 9999-12-31T23:59:59.999Z), so that
/// every timestamp converts to a calendar date.
pub const MAX_TIMESTAMP_MS: i64 = 253_402_300_799_999;

/// What a sensor can see of its host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The whole host: its processes, sockets in every network namespace, containers.
    Host,
    /// Only its own container or task (Fargate-style, no host access).
    ContainerOnly,
}

/// One report from a sensor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// Protocol version, [`PROTOCOL_VERSION`].
    pub protocol: u32,
    /// The reporting sensor's id (must match its token).
    pub sensor_id: String,
    /// One more than the previous report's; any value for a snapshot.
    pub sequence: u64,
    /// True when this report replaces all the sensor's earlier state.
    pub snapshot: bool,
    /// When the data was collected (Unix ms).
    pub collected_at_ms: i64,
    /// What the sensor can see.
    pub visibility: Visibility,
    /// The host, when it changed (always in a snapshot).
    #[serde(default)]
    pub host: Option<Host>,
    /// Processes added, changed or gone.
    #[serde(default)]
    pub processes: Changes<Process>,
    /// Containers added, changed or gone.
    #[serde(default)]
    pub containers: Changes<Container>,
    /// Images added, changed or gone.
    #[serde(default)]
    pub images: Changes<Image>,
    /// Sockets (listening and connected) added or gone.
    #[serde(default)]
    pub connections: Changes<Connection>,
    /// Which collectors ran and why the others did not, when that changed
    /// (always in a snapshot from sensors that know it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collectors: Option<Vec<CollectorStatus>>,
}

/// Collector statuses one report may carry at most.
pub const MAX_COLLECTORS: usize = 32;
/// Longest collector name accepted.
pub const MAX_COLLECTOR_NAME_BYTES: usize = 64;
/// Longest reason accepted.
pub const MAX_COLLECTOR_REASON_BYTES: usize = 1024;

/// Whether one collector sees what it is for, and if not, why: so that an
/// empty view (no containers on the map) says why it is empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorStatus {
    /// The collector: `host`, `cloud`, `processes`, `connections`, `docker`.
    pub name: String,
    /// True when it collected this interval.
    pub active: bool,
    /// Why it is inactive or partial, in words an operator can act on, e.g.
    /// "no Docker Engine socket at /var/run/docker.sock".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl CollectorStatus {
    /// A collector that works.
    pub fn active(name: &str) -> Self {
        CollectorStatus {
            name: name.into(),
            active: true,
            reason: None,
        }
    }

    /// A collector that works only in part, and why.
    pub fn partial(name: &str, reason: impl Into<String>) -> Self {
        CollectorStatus {
            name: name.into(),
            active: true,
            reason: Some(reason.into()),
        }
    }

    /// A collector that does not work here, and why.
    pub fn inactive(name: &str, reason: impl Into<String>) -> Self {
        CollectorStatus {
            name: name.into(),
            active: false,
            reason: Some(reason.into()),
        }
    }
}

/// Items added or changed (`upsert`, whole items) and removed (`remove`, keys).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, bound(deserialize = "T: Deserialize<'de>"))]
pub struct Changes<T> {
    /// Items new or changed since the previous report.
    #[serde(default)]
    pub upsert: Vec<T>,
    /// Keys ([`Keyed::key`]) of items gone since the previous report.
    #[serde(default)]
    pub remove: Vec<String>,
}

impl<T> Default for Changes<T> {
    fn default() -> Self {
        Changes {
            upsert: Vec::new(),
            remove: Vec::new(),
        }
    }
}

impl<T> Changes<T> {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.upsert.is_empty() && self.remove.is_empty()
    }
}

/// Items with a stable identity within one sensor's report stream.
pub trait Keyed {
    /// The item's key.
    fn key(&self) -> String;
}

/// Facts about the host.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Host {
    /// Host name.
    pub hostname: String,
    /// `ID` from os-release, e.g. `debian`.
    pub os_id: String,
    /// `VERSION_ID` from os-release, e.g. `12`.
    pub os_version: String,
    /// `PRETTY_NAME` from os-release.
    pub os_pretty_name: String,
    /// Kernel release (`uname -r`).
    pub kernel: String,
    /// CPU architecture, e.g. `x86_64`.
    pub arch: String,
    /// Seconds since boot.
    pub uptime_secs: u64,
    /// Logical CPUs.
    pub cpus: u32,
    /// Load averages over 1, 5 and 15 minutes.
    pub load: [f64; 3],
    /// Total memory in bytes.
    pub memory_total_bytes: u64,
    /// Available memory in bytes.
    pub memory_available_bytes: u64,
    /// Network interfaces.
    pub interfaces: Vec<Interface>,
    /// Cloud instance facts, when on a cloud.
    pub cloud: Option<Cloud>,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    /// Name, e.g. `eth0`.
    pub name: String,
    /// MAC address, when it has one.
    pub mac: Option<String>,
    /// Addresses in CIDR notation, e.g. `10.0.0.5/24`.
    pub addresses: Vec<String>,
}

/// Where a host runs in a cloud.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Cloud {
    /// `aws`, `gcp`, `azure` or `digitalocean`.
    pub provider: String,
    /// Region.
    pub region: Option<String>,
    /// Zone.
    pub zone: Option<String>,
    /// Instance id.
    pub instance_id: Option<String>,
    /// Instance type or size.
    pub instance_type: Option<String>,
    /// Account or project.
    pub account: Option<String>,
}

/// A process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// Process id (in the host's pid namespace when the sensor sees the host).
    pub pid: u32,
    /// Parent process id.
    pub ppid: u32,
    /// Short name (`comm`).
    pub name: String,
    /// Command line, bounded in length.
    pub cmdline: Vec<String>,
    /// User name (or numeric uid when unknown).
    pub user: String,
    /// Executable path, when readable.
    pub exe: Option<String>,
    /// Start time (Unix ms).
    pub started_at_ms: i64,
    /// CPU use over the last interval, in percent of one core.
    #[serde(deserialize_with = "finite_f32")]
    pub cpu_percent: f32,
    /// Resident memory in bytes.
    pub rss_bytes: u64,
    /// Thread count.
    pub threads: u32,
    /// The container it runs in, from its cgroup.
    pub container_id: Option<String>,
    /// Its network namespace inode.
    pub netns: Option<u64>,
}

impl Keyed for Process {
    fn key(&self) -> String {
        // Pids are reused: the start time tells two processes apart.
        format!("{}@{}", self.pid, self.started_at_ms)
    }
}

/// A container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Container {
    /// Full container id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Image reference it was started from.
    pub image: String,
    /// Image id.
    pub image_id: String,
    /// `running`, `exited`, `paused`…
    pub state: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Published ports.
    pub ports: Vec<PortMapping>,
    /// Networks and addresses.
    pub networks: Vec<ContainerNetwork>,
    /// Main process id on the host.
    pub pid: Option<u32>,
    /// Creation time (Unix ms).
    pub created_at_ms: i64,
    /// Start time (Unix ms).
    pub started_at_ms: Option<i64>,
}

impl Keyed for Container {
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// A published port of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PortMapping {
    /// Port inside the container.
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
    /// Host address it is published on.
    pub host_ip: Option<String>,
    /// Host port.
    pub host_port: Option<u16>,
}

/// A container's network attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ContainerNetwork {
    /// Network name.
    pub name: String,
    /// The container's address on it.
    pub ip: Option<String>,
}

/// A container image present on the host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Image id.
    pub id: String,
    /// Repository tags.
    pub tags: Vec<String>,
    /// Repository digests.
    pub digests: Vec<String>,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Creation time (Unix ms).
    pub created_at_ms: i64,
}

impl Keyed for Image {
    fn key(&self) -> String {
        self.id.clone()
    }
}

/// A transport protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

/// A socket: listening, or one end of a connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// TCP or UDP.
    pub transport: Transport,
    /// True for a listening socket (then `remote` is absent).
    pub listening: bool,
    /// Local address and port, e.g. `10.0.0.5:443` or `[::1]:8080`.
    pub local: String,
    /// Remote address and port of a connected socket.
    pub remote: Option<String>,
    /// Owning process, when known.
    pub pid: Option<u32>,
    /// Network namespace inode of the socket.
    pub netns: Option<u64>,
}

impl Keyed for Connection {
    fn key(&self) -> String {
        format!(
            "{:?}|{}|{}|{}",
            self.transport,
            self.local,
            self.remote.as_deref().unwrap_or("*"),
            self.netns.unwrap_or(0)
        )
    }
}

/// Why a report's numbers are out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} is {value}, outside the accepted range {range}")]
pub struct OutOfRange {
    /// The field, e.g. `sequence` or `processes.upsert[3].started_at_ms`.
    pub field: String,
    /// The value received.
    pub value: String,
    /// The accepted range, for the message.
    pub range: String,
}

fn check_timestamp(field: impl FnOnce() -> String, value: i64) -> Result<(), OutOfRange> {
    if (0..=MAX_TIMESTAMP_MS).contains(&value) {
        Ok(())
    } else {
        Err(OutOfRange {
            field: field(),
            value: value.to_string(),
            range: format!("0..={MAX_TIMESTAMP_MS} (Unix ms)"),
        })
    }
}

fn check_signed(field: impl FnOnce() -> String, value: u64) -> Result<(), OutOfRange> {
    if value <= i64::MAX as u64 {
        Ok(())
    } else {
        Err(OutOfRange {
            field: field(),
            value: value.to_string(),
            range: format!("0..={}", i64::MAX),
        })
    }
}

impl Report {
    /// Checks every integer the console stores or converts: the sequence
    /// (stored as a signed 64-bit integer), timestamps (converted to dates)
    /// and sizes and counters (kept as signed 64-bit numbers by SQL stores
    /// and JavaScript-safe consumers). Types already bound pids, ports and
    /// counts when decoding.
    pub fn validate(&self) -> Result<(), OutOfRange> {
        if self.sequence > MAX_SEQUENCE {
            return Err(OutOfRange {
                field: "sequence".into(),
                value: self.sequence.to_string(),
                range: format!("0..={MAX_SEQUENCE}"),
            });
        }
        check_timestamp(|| "collected_at_ms".into(), self.collected_at_ms)?;
        if let Some(host) = &self.host {
            check_signed(|| "host.uptime_secs".into(), host.uptime_secs)?;
            check_signed(|| "host.memory_total_bytes".into(), host.memory_total_bytes)?;
            check_signed(
                || "host.memory_available_bytes".into(),
                host.memory_available_bytes,
            )?;
            for (i, load) in host.load.iter().enumerate() {
                if !load.is_finite() || *load < 0.0 {
                    return Err(OutOfRange {
                        field: format!("host.load[{i}]"),
                        value: load.to_string(),
                        range: "a finite number >= 0".into(),
                    });
                }
            }
        }
        for (i, p) in self.processes.upsert.iter().enumerate() {
            let at = |name: &str| format!("processes.upsert[{i}].{name}");
            check_timestamp(|| at("started_at_ms"), p.started_at_ms)?;
            check_signed(|| at("rss_bytes"), p.rss_bytes)?;
            if let Some(netns) = p.netns {
                check_signed(|| at("netns"), netns)?;
            }
            if !p.cpu_percent.is_finite() || p.cpu_percent < 0.0 {
                return Err(OutOfRange {
                    field: at("cpu_percent"),
                    value: p.cpu_percent.to_string(),
                    range: "a finite number >= 0".into(),
                });
            }
        }
        for (i, c) in self.containers.upsert.iter().enumerate() {
            let at = |name: &str| format!("containers.upsert[{i}].{name}");
            check_timestamp(|| at("created_at_ms"), c.created_at_ms)?;
            if let Some(started) = c.started_at_ms {
                check_timestamp(|| at("started_at_ms"), started)?;
            }
        }
        for (i, image) in self.images.upsert.iter().enumerate() {
            let at = |name: &str| format!("images.upsert[{i}].{name}");
            check_timestamp(|| at("created_at_ms"), image.created_at_ms)?;
            check_signed(|| at("size_bytes"), image.size_bytes)?;
        }
        for (i, c) in self.connections.upsert.iter().enumerate() {
            if let Some(netns) = c.netns {
                check_signed(|| format!("connections.upsert[{i}].netns"), netns)?;
            }
        }
        if let Some(collectors) = &self.collectors {
            if collectors.len() > MAX_COLLECTORS {
                return Err(OutOfRange {
                    field: "collectors".into(),
                    value: format!("{} entries", collectors.len()),
                    range: format!("0..={MAX_COLLECTORS} entries"),
                });
            }
            for (i, c) in collectors.iter().enumerate() {
                let reason = c.reason.as_deref().map_or(0, str::len);
                if c.name.len() > MAX_COLLECTOR_NAME_BYTES || reason > MAX_COLLECTOR_REASON_BYTES {
                    return Err(OutOfRange {
                        field: format!("collectors[{i}]"),
                        value: format!("a {}-byte name and a {reason}-byte reason", c.name.len()),
                        range: format!(
                            "names up to {MAX_COLLECTOR_NAME_BYTES} bytes, reasons up to {MAX_COLLECTOR_REASON_BYTES}"
                        ),
                    });
                }
            }
        }
        Ok(())
    }
}

/// An `f32` that is finite. A JSON number beyond `f32::MAX` would otherwise
/// become infinity, which JSON cannot carry back (serde_json writes `null`):
/// a report the console accepted would compact into one it cannot read.
fn finite_f32<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<f32, D::Error> {
    let value = f32::deserialize(deserializer)?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(
            "number out of range for a 32-bit float",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip_and_reject_unknown_fields() {
        let report = Report {
            protocol: PROTOCOL_VERSION,
            sensor_id: "s".into(),
            sequence: 7,
            snapshot: false,
            collected_at_ms: 1,
            visibility: Visibility::Host,
            host: None,
            processes: Changes {
                upsert: vec![Process {
                    pid: 1,
                    ..Default::default()
                }],
                remove: vec!["2@0".into()],
            },
            containers: Changes::default(),
            images: Changes::default(),
            connections: Changes::default(),
            collectors: Some(vec![CollectorStatus::inactive("docker", "no socket")]),
        };
        let json = serde_json::to_string(&report).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&json).unwrap(), report);
        let tampered = json.replacen("\"sequence\"", "\"admin\":true,\"sequence\"", 1);
        assert!(serde_json::from_str::<Report>(&tampered).is_err());
    }

    #[test]
    fn integers_out_of_range_are_named() {
        let mut report = Report {
            protocol: PROTOCOL_VERSION,
            sensor_id: "s".into(),
            sequence: MAX_SEQUENCE,
            snapshot: true,
            collected_at_ms: 1,
            visibility: Visibility::Host,
            host: None,
            processes: Changes::default(),
            containers: Changes::default(),
            images: Changes::default(),
            connections: Changes::default(),
            collectors: None,
        };
        assert_eq!(report.validate(), Ok(()));
        report.sequence = MAX_SEQUENCE + 1;
        assert_eq!(report.validate().unwrap_err().field, "sequence");
        report.sequence = 1;
        report.collected_at_ms = -1;
        assert_eq!(report.validate().unwrap_err().field, "collected_at_ms");
        report.collected_at_ms = 1;
        report.processes.upsert.push(Process {
            started_at_ms: MAX_TIMESTAMP_MS + 1,
            ..Default::default()
        });
        assert_eq!(
            report.validate().unwrap_err().field,
            "processes.upsert[0].started_at_ms"
        );
        report.processes.upsert[0].started_at_ms = 0;
        report.images.upsert.push(Image {
            size_bytes: u64::MAX,
            ..Default::default()
        });
        assert_eq!(
            report.validate().unwrap_err().field,
            "images.upsert[0].size_bytes"
        );
    }

    #[test]
    fn keys_distinguish_reused_pids() {
        let a = Process {
            pid: 10,
            started_at_ms: 1,
            ..Default::default()
        };
        let b = Process {
            pid: 10,
            started_at_ms: 2,
            ..Default::default()
        };
        assert_ne!(a.key(), b.key());
    }

    /// Found by `fuzz/` `report_decode` (issue 12): a `cpu_percent` beyond
    /// `f32::MAX` decoded to infinity, which encodes as `null` and does not
    /// decode again (the console's compacted snapshots would be unreadable).
    #[test]
    fn r12_cpu_percent_beyond_f32_is_refused() {
        let report = |cpu: &str| {
            format!(
                r#"{{"protocol":1,"sensor_id":"s","sequence":1,"snapshot":true,"collected_at_ms":0,"visibility":"host","processes":{{"upsert":[{{"pid":1,"ppid":0,"name":"a","cmdline":[],"user":"root","exe":null,"started_at_ms":0,"cpu_percent":{cpu},"rss_bytes":0,"threads":1,"container_id":null,"netns":null}}]}}}}"#
            )
        };
        let err = serde_json::from_str::<Report>(&report("1e39")).unwrap_err();
        assert!(err.to_string().contains("out of range"), "{err}");
        assert!(serde_json::from_str::<Report>(&report("-4e38")).is_err());
        // The largest finite value still decodes, and encodes and decodes again.
        let max: Report = serde_json::from_str(&report(&f32::MAX.to_string())).unwrap();
        let again = serde_json::to_string(&max).unwrap();
        assert_eq!(serde_json::from_str::<Report>(&again).unwrap(), max);
    }
}
