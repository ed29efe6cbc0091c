//! The simulated fleet: one [`VirtualHost`] per sensor, built from shared,
//! pre-built pools (services, images, daemons, internet addresses) and
//! changed a little every interval ([`VirtualHost::tick`]).
//!
//! Addresses are laid out so hosts find each other: host `i` owns
//! `10.a.b.1` (with `a = 1 + i / 250`, `b = i % 250`) and its containers
//! `10.a.b.10`…; each container calls services in containers of a few
//! neighbouring hosts and receives calls from them, and some processes talk
//! to public internet addresses. Which service runs in which container is a
//! pure function of the seed and the host index, so a host knows the ports
//! of its peers without talking to them.

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;
use std::sync::Arc;

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use vedette_model::wire::{
    Cloud, Connection, Container, ContainerNetwork, Host, Image, Interface, PortMapping, Process,
    Transport,
};
use vedette_sensor::collect::Observation;

/// Containers per host.
pub const CONTAINERS: usize = 20;
/// Services (distinct images) per host.
const SERVICES_PER_HOST: usize = 5;
/// Worker processes per container, besides its main process.
const WORKERS: usize = 2;
/// Outbound connections per container to services on other hosts.
const PEER_CALLS: usize = 3;
/// Inbound connections per container from other hosts.
const PEER_CALLERS: usize = 2;
/// Outbound connections per container to the internet.
const INTERNET_CALLS: usize = 2;
/// Containers that publish a port on the host.
const PUBLISHED: usize = 4;
/// Largest fleet the address layout supports.
pub const MAX_HOSTS: usize = 50_000;
/// Chance per interval that one of a host's containers restarts.
const RESTART_CHANCE: f64 = 0.02;

/// A service a container can run.
#[derive(Debug)]
struct Service {
    name: &'static str,
    port: u16,
    exe: &'static str,
    args: &'static [&'static str],
    user: &'static str,
    image: usize,
}

/// A service template: name, port, exe, arguments, user.
type ServiceTemplate = (
    &'static str,
    u16,
    &'static str,
    &'static [&'static str],
    &'static str,
);

const SERVICES: &[ServiceTemplate] = &[
    (
        "nginx",
        80,
        "/usr/sbin/nginx",
        &["nginx", "-g", "daemon off;"],
        "www-data",
    ),
    (
        "postgres",
        5432,
        "/usr/lib/postgresql/16/bin/postgres",
        &["postgres", "-D", "/var/lib/postgresql/data"],
        "postgres",
    ),
    (
        "redis",
        6379,
        "/usr/local/bin/redis-server",
        &["redis-server", "*:6379"],
        "redis",
    ),
    (
        "api",
        8080,
        "/app/api",
        &["/app/api", "--listen", ":8080"],
        "app",
    ),
    (
        "worker",
        9000,
        "/usr/local/bin/python3",
        &["python3", "-m", "worker", "--port", "9000"],
        "app",
    ),
    (
        "node",
        3000,
        "/usr/local/bin/node",
        &["node", "server.js"],
        "node",
    ),
    (
        "rabbitmq",
        5672,
        "/opt/rabbitmq/sbin/beam.smp",
        &["beam.smp", "-W", "w", "--", "-root", "/opt/erlang"],
        "rabbitmq",
    ),
    (
        "elasticsearch",
        9200,
        "/usr/share/elasticsearch/jdk/bin/java",
        &[
            "java",
            "-Xms1g",
            "-Xmx1g",
            "org.elasticsearch.bootstrap.Elasticsearch",
        ],
        "elasticsearch",
    ),
    (
        "grafana",
        3001,
        "/usr/share/grafana/bin/grafana",
        &["grafana", "server", "--homepath=/usr/share/grafana"],
        "grafana",
    ),
    (
        "memcached",
        11211,
        "/usr/bin/memcached",
        &["memcached", "-m", "256"],
        "memcache",
    ),
    ("auth", 8443, "/app/auth", &["/app/auth", "serve"], "app"),
    (
        "mysql",
        3306,
        "/usr/sbin/mysqld",
        &["mysqld", "--user=mysql"],
        "mysql",
    ),
];

/// A host daemon: name, exe, arguments, user, listening port.
type Daemon = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    Option<u16>,
);

/// Host daemons.
const DAEMONS: &[Daemon] = &[
    (
        "systemd",
        "/usr/lib/systemd/systemd",
        &["/sbin/init"],
        "root",
        None,
    ),
    (
        "systemd-journal",
        "/usr/lib/systemd/systemd-journald",
        &["/usr/lib/systemd/systemd-journald"],
        "root",
        None,
    ),
    (
        "systemd-udevd",
        "/usr/lib/systemd/systemd-udevd",
        &["/usr/lib/systemd/systemd-udevd"],
        "root",
        None,
    ),
    (
        "dbus-daemon",
        "/usr/bin/dbus-daemon",
        &["/usr/bin/dbus-daemon", "--system"],
        "messagebus",
        None,
    ),
    (
        "cron",
        "/usr/sbin/cron",
        &["/usr/sbin/cron", "-f"],
        "root",
        None,
    ),
    (
        "rsyslogd",
        "/usr/sbin/rsyslogd",
        &["/usr/sbin/rsyslogd", "-n"],
        "syslog",
        None,
    ),
    (
        "chronyd",
        "/usr/sbin/chronyd",
        &["/usr/sbin/chronyd", "-F", "1"],
        "_chrony",
        None,
    ),
    (
        "sshd",
        "/usr/sbin/sshd",
        &["sshd: /usr/sbin/sshd -D"],
        "root",
        Some(22),
    ),
    (
        "containerd",
        "/usr/bin/containerd",
        &["/usr/bin/containerd"],
        "root",
        None,
    ),
    (
        "dockerd",
        "/usr/bin/dockerd",
        &["/usr/bin/dockerd", "-H", "fd://"],
        "root",
        None,
    ),
    (
        "node_exporter",
        "/usr/bin/node_exporter",
        &["/usr/bin/node_exporter"],
        "prometheus",
        Some(9100),
    ),
    (
        "vedette",
        "/usr/local/bin/vedette",
        &["vedette", "sensor"],
        "root",
        None,
    ),
    (
        "agetty",
        "/sbin/agetty",
        &["/sbin/agetty", "-o", "-p -- \\u", "--noclear", "tty1"],
        "root",
        None,
    ),
];

/// Short-lived jobs started by cron.
const JOBS: &[(&str, &[&str])] = &[
    ("sh", &["/bin/sh", "-c", "run-parts /etc/cron.hourly"]),
    ("logrotate", &["/usr/sbin/logrotate", "/etc/logrotate.conf"]),
    ("curl", &["curl", "-fsS", "http://localhost:9100/metrics"]),
    ("backup.sh", &["/bin/bash", "/usr/local/bin/backup.sh"]),
    ("apt-get", &["apt-get", "-qq", "update"]),
];

/// Pools shared by every host of a fleet, built once.
#[derive(Debug)]
struct Pools {
    services: Vec<Service>,
    images: Vec<Image>,
    internet: Vec<Ipv4Addr>,
}

impl Pools {
    fn build(seed: u64) -> Pools {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5eed_f1ee7);
        let mut images = Vec::new();
        let mut services = Vec::new();
        for (i, (name, port, exe, args, user)) in SERVICES.iter().enumerate() {
            let id = format!("sha256:{:016x}{:048x}", rng.random::<u64>(), i);
            images.push(Image {
                id,
                tags: vec![format!("registry.example.com/{name}:1.{}", i % 7)],
                digests: vec![format!(
                    "registry.example.com/{name}@sha256:{:064x}",
                    rng.random::<u64>()
                )],
                size_bytes: rng.random_range(20_000_000..900_000_000),
                created_at_ms: 1_700_000_000_000 + rng.random_range(0..30_000_000_000i64),
            });
            services.push(Service {
                name,
                port: *port,
                exe,
                args,
                user,
                image: i,
            });
        }
        // Public addresses of well-known-looking services (not real ones).
        let internet = (0..64)
            .map(|_| {
                let first = [34u8, 52, 104, 151, 185, 140][rng.random_range(0..6usize)];
                Ipv4Addr::new(
                    first,
                    rng.random_range(1..255),
                    rng.random_range(1..255),
                    rng.random_range(1..255),
                )
            })
            .collect();
        Pools {
            services,
            images,
            internet,
        }
    }
}

/// A fleet of simulated hosts.
#[derive(Debug, Clone)]
pub struct Fleet {
    count: usize,
    seed: u64,
    pools: Arc<Pools>,
}

/// The address of host `index`'s machine (`last = 1`) or container (`last ≥ 10`).
pub fn address(index: usize, last: u8) -> Ipv4Addr {
    Ipv4Addr::new(10, (1 + index / 250) as u8, (index % 250) as u8, last)
}

/// A deterministic per-host random generator.
fn host_rng(seed: u64, index: usize, salt: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(
        seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
            ^ (index as u64).wrapping_mul(0xbf58_476d_1ce4_e5b9)
            ^ salt,
    )
}

impl Fleet {
    /// A fleet of `count` hosts (at most [`MAX_HOSTS`]) for `seed`.
    pub fn new(count: usize, seed: u64) -> Fleet {
        Fleet {
            count: count.clamp(1, MAX_HOSTS),
            seed,
            pools: Arc::new(Pools::build(seed)),
        }
    }

    /// Number of hosts.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True for an empty fleet (never: a fleet has at least one host).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The services (indexes into the pool) host `index` runs, one per
    /// container slot; a pure function of the seed and the index.
    fn services_of(&self, index: usize) -> [usize; CONTAINERS] {
        let mut rng = host_rng(self.seed, index, 0x5e41_1ce5);
        let mut chosen = Vec::with_capacity(SERVICES_PER_HOST);
        while chosen.len() < SERVICES_PER_HOST {
            let pick = rng.random_range(0..self.pools.services.len());
            if !chosen.contains(&pick) {
                chosen.push(pick);
            }
        }
        std::array::from_fn(|slot| chosen[slot % SERVICES_PER_HOST])
    }

    /// The hostname of host `index`.
    pub fn hostname(index: usize) -> String {
        format!("sim-{index:05}")
    }

    /// Host `index` as it is at simulated time `now_ms`.
    pub fn host(&self, index: usize, now_ms: i64) -> VirtualHost {
        VirtualHost::build(self.clone(), index.min(self.count - 1), now_ms)
    }
}

/// One container's slot: its service and processes.
#[derive(Debug, Clone)]
struct Slot {
    service: usize,
    container_id: String,
    main_pid: u32,
    worker_pids: Vec<u32>,
    netns: u64,
}

/// One simulated host: what a real sensor would observe there.
#[derive(Debug)]
pub struct VirtualHost {
    fleet: Fleet,
    index: usize,
    rng: Xoshiro256PlusPlus,
    now_ms: i64,
    next_pid: u32,
    next_port: u16,
    slots: Vec<Slot>,
    cron_pid: u32,
    /// Short-lived jobs: pid and the tick they end at.
    jobs: Vec<(u32, u64)>,
    ticks: u64,
    /// What a sensor on this host observes now.
    pub observation: Observation,
}

impl VirtualHost {
    fn build(fleet: Fleet, index: usize, now_ms: i64) -> VirtualHost {
        let rng = host_rng(fleet.seed, index, 0x00b5_e7ed);
        let mut host = VirtualHost {
            fleet,
            index,
            rng,
            now_ms,
            next_pid: 1,
            next_port: 32768,
            slots: Vec::new(),
            cron_pid: 0,
            jobs: Vec::new(),
            ticks: 0,
            observation: Observation::default(),
        };
        host.populate();
        host
    }

    /// The host's index in the fleet.
    pub fn index(&self) -> usize {
        self.index
    }

    fn pid(&mut self) -> u32 {
        self.next_pid += self.rng.random_range(1..40);
        self.next_pid
    }

    fn ephemeral_port(&mut self) -> u16 {
        self.next_port = if self.next_port >= 60999 {
            32768
        } else {
            self.next_port + 1
        };
        self.next_port
    }

    fn process(
        &mut self,
        name: &str,
        exe: &str,
        args: &[&str],
        user: &str,
        ppid: u32,
        container: Option<(&str, u64)>,
    ) -> Process {
        let pid = self.pid();
        Process {
            pid,
            ppid,
            name: name.chars().take(15).collect(),
            cmdline: args.iter().map(|a| (*a).to_string()).collect(),
            user: user.to_string(),
            exe: Some(exe.to_string()),
            started_at_ms: self.now_ms - self.rng.random_range(0..86_400_000),
            cpu_percent: self.rng.random_range(0.0..8.0),
            rss_bytes: self.rng.random_range(4_000_000..400_000_000),
            threads: self.rng.random_range(1..32),
            container_id: container.map(|(id, _)| id.to_string()),
            netns: Some(container.map_or(4_026_531_840, |(_, netns)| netns)),
        }
    }

    fn populate(&mut self) {
        let index = self.index;
        let ip = address(index, 1);
        let hostname = Fleet::hostname(index);
        self.observation.collected_at_ms = self.now_ms;
        self.observation.host = Host {
            hostname: hostname.clone(),
            os_id: "debian".into(),
            os_version: "12".into(),
            os_pretty_name: "Debian GNU/Linux 12 (bookworm)".into(),
            kernel: "6.1.0-28-amd64".into(),
            arch: "x86_64".into(),
            uptime_secs: self.rng.random_range(3_600..9_000_000),
            cpus: [2, 4, 8, 16][self.rng.random_range(0..4usize)],
            load: [0.4, 0.5, 0.6],
            memory_total_bytes: 16 * 1024 * 1024 * 1024,
            memory_available_bytes: 9 * 1024 * 1024 * 1024,
            interfaces: vec![
                Interface {
                    name: "lo".into(),
                    mac: None,
                    addresses: vec!["127.0.0.1/8".into(), "::1/128".into()],
                },
                Interface {
                    name: "eth0".into(),
                    mac: Some(format!(
                        "02:42:{:02x}:{:02x}:{:02x}:01",
                        (index >> 16) & 0xff,
                        (index >> 8) & 0xff,
                        index & 0xff
                    )),
                    addresses: vec![format!("{ip}/16")],
                },
            ],
            cloud: Some(Cloud {
                provider: "aws".into(),
                region: Some("eu-west-1".into()),
                zone: Some(format!("eu-west-1{}", ['a', 'b', 'c'][index % 3])),
                instance_id: Some(format!("i-{:017x}", index as u64 * 7919 + 1)),
                instance_type: Some("m6i.xlarge".into()),
                account: Some("123456789012".into()),
            }),
        };
        // Host daemons.
        for (name, exe, args, user, port) in DAEMONS {
            let ppid = if *name == "systemd" { 0 } else { 1 };
            let mut process = self.process(name, exe, args, user, ppid, None);
            if *name == "systemd" {
                process.pid = 1;
            }
            if *name == "cron" {
                self.cron_pid = process.pid;
            }
            if let Some(port) = port {
                self.observation.connections.push(Connection {
                    transport: Transport::Tcp,
                    listening: true,
                    local: format!("0.0.0.0:{port}"),
                    remote: None,
                    pid: Some(process.pid),
                    netns: Some(4_026_531_840),
                });
            }
            self.observation.processes.push(process);
        }
        let services = self.fleet.services_of(index);
        let mut images: BTreeMap<usize, ()> = BTreeMap::new();
        for (slot, service) in services.iter().enumerate() {
            images.insert(self.fleet.pools.services[*service].image, ());
            self.start_container(slot, *service);
        }
        for image in images.keys() {
            self.observation
                .images
                .push(self.fleet.pools.images[*image].clone());
        }
        // The monitoring host scrapes node_exporter; a few loopback connections.
        let node_exporter = self.daemon_pid("node_exporter");
        let scraper = address(0, 1);
        let port = self.ephemeral_port();
        self.observation.connections.push(Connection {
            transport: Transport::Tcp,
            listening: false,
            local: format!("{ip}:9100"),
            remote: Some(format!("{scraper}:{port}")),
            pid: node_exporter,
            netns: Some(4_026_531_840),
        });
        let vedette = self.daemon_pid("vedette");
        for _ in 0..4 {
            let port = self.ephemeral_port();
            self.observation.connections.push(Connection {
                transport: Transport::Tcp,
                listening: false,
                local: format!("127.0.0.1:{port}"),
                remote: Some("127.0.0.1:9100".into()),
                pid: vedette,
                netns: Some(4_026_531_840),
            });
            self.observation.connections.push(Connection {
                transport: Transport::Tcp,
                listening: false,
                local: "127.0.0.1:9100".into(),
                remote: Some(format!("127.0.0.1:{port}")),
                pid: node_exporter,
                netns: Some(4_026_531_840),
            });
        }
        // Admins reaching sshd from the internet.
        let sshd = self.daemon_pid("sshd");
        for _ in 0..2 {
            let remote = self.internet_address();
            let port = self.ephemeral_port();
            self.observation.connections.push(Connection {
                transport: Transport::Tcp,
                listening: false,
                local: format!("{ip}:22"),
                remote: Some(format!("{remote}:{port}")),
                pid: sshd,
                netns: Some(4_026_531_840),
            });
        }
    }

    fn daemon_pid(&self, name: &str) -> Option<u32> {
        self.observation
            .processes
            .iter()
            .find(|p| p.name == name && p.container_id.is_none())
            .map(|p| p.pid)
    }

    fn internet_address(&mut self) -> Ipv4Addr {
        let pool = &self.fleet.pools.internet;
        pool[self.rng.random_range(0..pool.len())]
    }

    /// A peer host (another one when the fleet has more than one).
    fn peer(&mut self) -> usize {
        let count = self.fleet.count;
        if count == 1 {
            return self.index;
        }
        let step = self.rng.random_range(1..count.min(9));
        (self.index + step) % count
    }

    /// Starts (or restarts) the container in `slot`.
    fn start_container(&mut self, slot: usize, service_index: usize) {
        let index = self.index;
        let service = &self.fleet.pools.services[service_index];
        let (name, port, exe, args, user, image_index) = (
            service.name,
            service.port,
            service.exe,
            service.args,
            service.user,
            service.image,
        );
        let image = self.fleet.pools.images[image_index].clone();
        let container_id = format!(
            "{:016x}{:016x}{:032x}",
            self.rng.random::<u64>(),
            index,
            slot
        );
        let netns = 4_026_532_000 + self.ticks * 64 + slot as u64;
        let containerd = self.daemon_pid("containerd").unwrap_or(1);
        let shim = self.process(
            "containerd-shim",
            "/usr/bin/containerd-shim-runc-v2",
            &["/usr/bin/containerd-shim-runc-v2", "-namespace", "moby"],
            "root",
            containerd,
            None,
        );
        let member = Some((container_id.as_str(), netns));
        let main = self.process(name, exe, args, user, shim.pid, member);
        let workers: Vec<Process> = (0..WORKERS)
            .map(|_| self.process(name, exe, args, user, main.pid, member))
            .collect();
        let ip = address(index, 10 + slot as u8);
        let started = self.now_ms - self.rng.random_range(0..3_600_000);
        let mut ports = vec![PortMapping {
            container_port: port,
            protocol: "tcp".into(),
            host_ip: None,
            host_port: None,
        }];
        if slot < PUBLISHED {
            ports[0].host_ip = Some("0.0.0.0".into());
            ports[0].host_port = Some(8000 + slot as u16);
        }
        let container = Container {
            id: container_id.clone(),
            name: format!("/{name}-{slot}"),
            image: image.tags.first().cloned().unwrap_or_default(),
            image_id: image.id.clone(),
            state: "running".into(),
            labels: BTreeMap::from([
                ("com.docker.compose.project".into(), "shop".into()),
                ("com.docker.compose.service".into(), name.into()),
                (
                    "team".into(),
                    ["payments", "search", "platform"][slot % 3].into(),
                ),
            ]),
            ports,
            networks: vec![ContainerNetwork {
                name: "fleet".into(),
                ip: Some(ip.to_string()),
            }],
            pid: Some(main.pid),
            created_at_ms: started - 60_000,
            started_at_ms: Some(started),
        };
        let slot_state = Slot {
            service: service_index,
            container_id: container_id.clone(),
            main_pid: main.pid,
            worker_pids: workers.iter().map(|w| w.pid).collect(),
            netns,
        };
        // Sockets: the service listening, calls to peers, calls from peers, internet.
        let mut sockets = vec![Connection {
            transport: Transport::Tcp,
            listening: true,
            local: format!("{ip}:{port}"),
            remote: None,
            pid: Some(main.pid),
            netns: Some(netns),
        }];
        let published = format!("0.0.0.0:{}", 8000 + slot);
        if slot < PUBLISHED
            && !self
                .observation
                .connections
                .iter()
                .any(|c| c.listening && c.local == published)
        {
            sockets.push(Connection {
                transport: Transport::Tcp,
                listening: true,
                local: published,
                remote: None,
                pid: self.daemon_pid("dockerd"),
                netns: Some(4_026_531_840),
            });
        }
        for _ in 0..PEER_CALLS {
            sockets.push(self.peer_call(&slot_state));
        }
        for _ in 0..PEER_CALLERS {
            let peer = self.peer();
            let from = address(peer, 10 + self.rng.random_range(0..CONTAINERS) as u8);
            let from_port = self.ephemeral_port();
            sockets.push(Connection {
                transport: Transport::Tcp,
                listening: false,
                local: format!("{ip}:{port}"),
                remote: Some(format!("{from}:{from_port}")),
                pid: Some(slot_state.worker_pids[0]),
                netns: Some(netns),
            });
        }
        for _ in 0..INTERNET_CALLS {
            sockets.push(self.internet_call(&slot_state));
        }
        self.observation.processes.push(shim);
        self.observation.processes.push(main);
        self.observation.processes.extend(workers);
        self.observation.containers.push(container);
        self.observation.connections.extend(sockets);
        if slot < self.slots.len() {
            self.slots[slot] = slot_state;
        } else {
            self.slots.push(slot_state);
        }
    }

    /// A call from a container to a service in a container of a peer host.
    fn peer_call(&mut self, slot: &Slot) -> Connection {
        let peer = self.peer();
        let peer_slot = self.rng.random_range(0..CONTAINERS);
        let service = self.fleet.services_of(peer)[peer_slot];
        let port = self.fleet.pools.services[service].port;
        let ip = address(self.index, 10 + self.slot_of(slot) as u8);
        let local_port = self.ephemeral_port();
        let worker = slot.worker_pids[self.rng.random_range(0..slot.worker_pids.len())];
        Connection {
            transport: Transport::Tcp,
            listening: false,
            local: format!("{ip}:{local_port}"),
            remote: Some(format!("{}:{port}", address(peer, 10 + peer_slot as u8))),
            pid: Some(worker),
            netns: Some(slot.netns),
        }
    }

    fn internet_call(&mut self, slot: &Slot) -> Connection {
        let ip = address(self.index, 10 + self.slot_of(slot) as u8);
        let remote = self.internet_address();
        let local_port = self.ephemeral_port();
        Connection {
            transport: Transport::Tcp,
            listening: false,
            local: format!("{ip}:{local_port}"),
            remote: Some(format!("{remote}:443")),
            pid: Some(slot.main_pid),
            netns: Some(slot.netns),
        }
    }

    fn slot_of(&self, slot: &Slot) -> usize {
        self.slots
            .iter()
            .position(|s| s.container_id == slot.container_id)
            .unwrap_or(self.slots.len())
    }

    /// Advances the host by `elapsed_ms`: metrics drift, cron jobs start and
    /// end, connections open and close, and now and then a container restarts.
    pub fn tick(&mut self, elapsed_ms: i64) {
        self.ticks += 1;
        self.now_ms += elapsed_ms;
        self.observation.collected_at_ms = self.now_ms;
        let host = &mut self.observation.host;
        host.uptime_secs += (elapsed_ms / 1000) as u64;
        let load = (host.load[0] + self.rng.random_range(-0.3..0.3)).clamp(0.0, 8.0);
        host.load = [load, (host.load[1] * 4.0 + load) / 5.0, host.load[2]];
        // Metrics: a few processes get busy or idle, memory drifts.
        for process in &mut self.observation.processes {
            if self.rng.random_bool(0.05) {
                process.cpu_percent = self.rng.random_range(0.0..90.0);
            } else {
                process.cpu_percent =
                    (process.cpu_percent + self.rng.random_range(-1.0..1.0)).max(0.0);
            }
            if self.rng.random_bool(0.03) {
                process.rss_bytes =
                    (process.rss_bytes as f64 * self.rng.random_range(0.7..1.4)) as u64;
            }
        }
        // Cron jobs that finished, and new ones.
        let ticks = self.ticks;
        let ended: HashSet<u32> = self
            .jobs
            .iter()
            .filter(|(_, until)| *until <= ticks)
            .map(|(pid, _)| *pid)
            .collect();
        self.jobs.retain(|(pid, _)| !ended.contains(pid));
        self.observation
            .processes
            .retain(|p| !ended.contains(&p.pid));
        for _ in 0..self.rng.random_range(0..4) {
            let (name, args) = JOBS[self.rng.random_range(0..JOBS.len())];
            let cron = self.cron_pid;
            let mut job = self.process(name, args[0], args, "root", cron, None);
            job.started_at_ms = self.now_ms;
            let lasts = self.rng.random_range(1..4);
            self.jobs.push((job.pid, ticks + lasts));
            self.observation.processes.push(job);
        }
        // A few calls end and new ones start.
        for _ in 0..self.rng.random_range(2..8) {
            let slot = self.slots[self.rng.random_range(0..self.slots.len())].clone();
            let ip = address(self.index, 10 + self.slot_of(&slot) as u8).to_string();
            let prefix = format!("{ip}:");
            let served = format!("{ip}:{}", self.fleet.pools.services[slot.service].port);
            // Calls this container makes (not calls it serves).
            let outbound: Vec<usize> = self
                .observation
                .connections
                .iter()
                .enumerate()
                .filter(|(_, c)| !c.listening && c.local.starts_with(&prefix) && c.local != served)
                .map(|(i, _)| i)
                .collect();
            if outbound.len() > 2 {
                let gone = outbound[self.rng.random_range(0..outbound.len())];
                let was_internet = self.observation.connections[gone]
                    .remote
                    .as_deref()
                    .is_some_and(|r| !r.starts_with("10."));
                self.observation.connections.swap_remove(gone);
                let fresh = if was_internet {
                    self.internet_call(&slot)
                } else {
                    self.peer_call(&slot)
                };
                self.observation.connections.push(fresh);
            }
        }
        if self.rng.random_bool(RESTART_CHANCE) {
            let slot = self.rng.random_range(0..self.slots.len());
            self.restart(slot);
        }
    }

    /// Restarts the container in `slot`: new id, processes and sockets.
    fn restart(&mut self, slot: usize) {
        let old = self.slots[slot].clone();
        let mut gone: HashSet<u32> = old.worker_pids.iter().copied().collect();
        gone.insert(old.main_pid);
        // The shim is the main process's parent.
        if let Some(shim) = self
            .observation
            .processes
            .iter()
            .find(|p| p.pid == old.main_pid)
            .map(|p| p.ppid)
        {
            gone.insert(shim);
        }
        self.observation
            .processes
            .retain(|p| !gone.contains(&p.pid));
        self.observation
            .containers
            .retain(|c| c.id != old.container_id);
        self.observation.connections.retain(|c| {
            c.netns != Some(old.netns) && !c.pid.is_some_and(|pid| gone.contains(&pid))
        });
        self.start_container(slot, old.service);
    }
}

/// What a host holds, as the console should show it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    /// Distinct process ids (process nodes).
    pub processes: usize,
    /// Containers.
    pub containers: usize,
    /// Image ids.
    pub images: Vec<String>,
    /// Sockets (distinct keys).
    pub connections: usize,
}

impl Counts {
    /// The counts of an observation.
    pub fn of(observation: &Observation) -> Counts {
        use vedette_model::wire::Keyed;
        let pids: HashSet<u32> = observation.processes.iter().map(|p| p.pid).collect();
        let sockets: HashSet<String> = observation.connections.iter().map(Keyed::key).collect();
        let mut images: Vec<String> = observation.images.iter().map(|i| i.id.clone()).collect();
        images.sort();
        images.dedup();
        Counts {
            processes: pids.len(),
            containers: observation.containers.len(),
            images,
            connections: sockets.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vedette_model::wire::{Keyed, Visibility};
    use vedette_sensor::delta::{Baseline, Header};

    /// Observations compared field by field (the sensor's type has no `PartialEq`).
    fn same(a: &Observation, b: &Observation) -> bool {
        a.collected_at_ms == b.collected_at_ms
            && a.host == b.host
            && a.processes == b.processes
            && a.containers == b.containers
            && a.images == b.images
            && a.connections == b.connections
    }

    fn header(sequence: u64) -> Header {
        Header {
            sensor_id: "s".into(),
            sequence,
            visibility: Visibility::Host,
        }
    }

    #[test]
    fn hosts_are_realistic_and_deterministic_for_a_seed() {
        let fleet = Fleet::new(100, 7);
        let a = fleet.host(3, 1_000_000);
        let b = Fleet::new(100, 7).host(3, 1_000_000);
        assert!(same(&a.observation, &b.observation));
        let other_seed = Fleet::new(100, 8).host(3, 1_000_000);
        assert!(!same(&a.observation, &other_seed.observation));
        let counts = Counts::of(&a.observation);
        assert!((90..=110).contains(&counts.processes), "{counts:?}");
        assert_eq!(counts.containers, CONTAINERS);
        assert!((170..=220).contains(&counts.connections), "{counts:?}");
        assert_eq!(counts.images.len(), SERVICES_PER_HOST);
        // Keys are unique, as a real sensor's would be after dedup.
        let keys: HashSet<String> = a.observation.connections.iter().map(Keyed::key).collect();
        assert_eq!(keys.len(), a.observation.connections.len());
        let mut a = a;
        let mut b = b;
        for _ in 0..20 {
            a.tick(10_000);
            b.tick(10_000);
        }
        assert!(same(&a.observation, &b.observation));
    }

    #[test]
    fn peers_call_services_that_listen_on_other_hosts() {
        let fleet = Fleet::new(50, 1);
        let host = fleet.host(10, 0);
        let mut resolved = 0;
        for socket in host.observation.connections.iter().filter(|c| !c.listening) {
            let remote = socket.remote.as_deref().unwrap();
            let Some((ip, port)) = remote.rsplit_once(':') else {
                panic!("{remote}")
            };
            let ip: Ipv4Addr = ip.parse().unwrap();
            let [10, a, b, last] = ip.octets() else {
                continue;
            };
            let peer = (usize::from(a) - 1) * 250 + usize::from(b);
            if peer == 10 || last < 10 {
                continue;
            }
            let peer_host = fleet.host(peer, 0);
            if peer_host
                .observation
                .connections
                .iter()
                .any(|c| c.listening && c.local == format!("{ip}:{port}"))
            {
                resolved += 1;
            }
        }
        assert_eq!(resolved, 20 * PEER_CALLS);
    }

    #[test]
    fn deltas_applied_to_the_snapshot_give_the_observation() {
        let fleet = Fleet::new(20, 42);
        let mut host = fleet.host(5, 0);
        let mut baseline = Baseline::default();
        let snapshot = Baseline::snapshot(&host.observation, header(1));
        baseline.acknowledge(&snapshot);
        // The console's view, rebuilt from the snapshot and deltas only.
        let mut processes: BTreeMap<String, Process> = snapshot
            .processes
            .upsert
            .iter()
            .map(|p| (p.key(), p.clone()))
            .collect();
        let mut sockets: BTreeMap<String, Connection> = snapshot
            .connections
            .upsert
            .iter()
            .map(|c| (c.key(), c.clone()))
            .collect();
        let mut containers: BTreeMap<String, Container> = snapshot
            .containers
            .upsert
            .iter()
            .map(|c| (c.key(), c.clone()))
            .collect();
        let mut changed = 0;
        for sequence in 2..200 {
            host.tick(10_000);
            let delta = baseline.delta(&host.observation, header(sequence));
            changed += delta.processes.upsert.len() + delta.connections.upsert.len();
            assert!(delta.processes.upsert.len() < 60, "deltas stay small");
            for key in &delta.processes.remove {
                assert!(processes.remove(key).is_some(), "removes a known process");
            }
            for key in &delta.connections.remove {
                assert!(sockets.remove(key).is_some(), "removes a known socket");
            }
            for key in &delta.containers.remove {
                assert!(
                    containers.remove(key).is_some(),
                    "removes a known container"
                );
            }
            processes.extend(delta.processes.upsert.iter().map(|p| (p.key(), p.clone())));
            sockets.extend(
                delta
                    .connections
                    .upsert
                    .iter()
                    .map(|c| (c.key(), c.clone())),
            );
            containers.extend(delta.containers.upsert.iter().map(|c| (c.key(), c.clone())));
            baseline.acknowledge(&delta);
            let now: HashSet<String> = host.observation.processes.iter().map(Keyed::key).collect();
            assert_eq!(processes.keys().cloned().collect::<HashSet<_>>(), now);
            let now: HashSet<String> = host
                .observation
                .connections
                .iter()
                .map(Keyed::key)
                .collect();
            assert_eq!(sockets.keys().cloned().collect::<HashSet<_>>(), now);
            assert_eq!(containers.len(), CONTAINERS);
            let counts = Counts::of(&host.observation);
            assert!((85..=125).contains(&counts.processes), "{counts:?}");
            assert!((170..=230).contains(&counts.connections), "{counts:?}");
        }
        assert!(changed > 200, "the host changes over time");
    }
}
