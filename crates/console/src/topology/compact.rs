//! The compact in-memory form of what sensors report.
//!
//! Most strings of a fleet repeat from sensor to sensor: command lines,
//! executable paths, user names, image references, labels. Each is held
//! once, in a console-wide [`Interner`] of `Arc<str>`; an item holds
//! pointers. Socket addresses are held parsed. Map keys are compact
//! (numbers, or the item's own interned id) instead of formatted strings.
//!
//! Lists and maps of strings (a command line, labels, tags, digests) are
//! interned whole, as their JSON text, so that identical ones share one
//! allocation and convert back exactly.
//!
//! Every compact item converts back to its wire form ([`Proc::wire`] and
//! the like), for views and stored snapshots: what the console shows and
//! stores is unchanged.

use std::collections::{BTreeMap, HashSet};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use serde::Serialize;
use vedette_model::wire::{
    Connection, Container, ContainerNetwork, Image, PortMapping, Process, Transport,
};

/// An interned string.
pub type Text = Arc<str>;

/// The console-wide set of interned strings.
///
/// Entries nobody else holds any more are dropped by [`Interner::sweep`],
/// which [`Interner::tick`] runs every [`SWEEP_EVERY`] reports.
#[derive(Debug, Default)]
pub struct Interner {
    strings: Mutex<HashSet<Text>>,
    reports: AtomicU64,
}

/// Reports between two sweeps of the interner.
pub const SWEEP_EVERY: u64 = 20_000;

/// The interner every sensor's state shares.
pub static STRINGS: LazyLock<Interner> = LazyLock::new(Interner::default);

impl Interner {
    /// The shared copy of `text`.
    pub fn intern(&self, text: &str) -> Text {
        let mut strings = self.strings.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = strings.get(text) {
            return found.clone();
        }
        let text: Text = Arc::from(text);
        strings.insert(text.clone());
        text
    }

    /// Drops the strings no state holds any more; returns how many.
    pub fn sweep(&self) -> usize {
        let mut strings = self.strings.lock().unwrap_or_else(|e| e.into_inner());
        let before = strings.len();
        strings.retain(|text| Arc::strong_count(text) > 1);
        strings.shrink_to_fit();
        before - strings.len()
    }

    /// Counts one applied report, sweeping every [`SWEEP_EVERY`].
    pub fn tick(&self) {
        if self.reports.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
    }

    /// Strings held, and their bytes.
    pub fn stats(&self) -> (usize, usize) {
        let strings = self.strings.lock().unwrap_or_else(|e| e.into_inner());
        (strings.len(), strings.iter().map(|t| t.len()).sum())
    }
}

fn text(s: &str) -> Text {
    STRINGS.intern(s)
}

fn opt(s: &Option<String>) -> Option<Text> {
    s.as_deref().map(text)
}

fn string(t: &Text) -> String {
    t.to_string()
}

/// A value interned as its JSON text.
fn json<T: Serialize>(value: &T) -> Text {
    text(&serde_json::to_string(value).unwrap_or_default())
}

/// Back from [`json`]: the value, or its default if the text is not one.
fn unjson<T: serde::de::DeserializeOwned + Default>(t: &Text) -> T {
    serde_json::from_str(t).unwrap_or_default()
}

/// Counts bytes written.
struct Count(usize);

impl std::io::Write for Count {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The length of the JSON text [`json`] would intern, without building it.
pub fn json_len<T: Serialize>(value: &T) -> usize {
    let mut count = Count(0);
    let _ = serde_json::to_writer(&mut count, value);
    count.0
}

/// A socket address: held as numbers when it reads back exactly, else as
/// text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Addr {
    /// `a.b.c.d:port`.
    V4(Ipv4Addr, u16),
    /// `[v6]:port` (no scope id).
    V6(Ipv6Addr, u16),
    /// Anything else, as reported.
    Text(Text),
}

impl Addr {
    fn parse(s: &str) -> Option<Addr> {
        let addr = s
            .parse::<SocketAddr>()
            .ok()
            .filter(|addr| addr.to_string() == s)?;
        match addr {
            SocketAddr::V4(v4) => Some(Addr::V4(*v4.ip(), v4.port())),
            SocketAddr::V6(v6) if v6.scope_id() == 0 && v6.flowinfo() == 0 => {
                Some(Addr::V6(*v6.ip(), v6.port()))
            }
            SocketAddr::V6(_) => None,
        }
    }

    /// The compact form of `s`.
    pub fn new(s: &str) -> Addr {
        Addr::parse(s).unwrap_or_else(|| Addr::Text(text(s)))
    }

    /// The compact form of `s` for a lookup (a text address is not interned).
    fn lookup(s: &str) -> Addr {
        Addr::parse(s).unwrap_or_else(|| Addr::Text(Text::from(s)))
    }

    /// Heap bytes `s` takes held as an [`Addr`].
    pub fn heap_bytes_of(s: &str) -> usize {
        if Addr::parse(s).is_some() { 0 } else { s.len() }
    }

    /// Heap bytes of this address.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Addr::Text(t) => t.len(),
            _ => 0,
        }
    }

    /// The address, when it is one.
    pub fn socket_addr(&self) -> Option<SocketAddr> {
        match self {
            Addr::V4(ip, port) => Some(SocketAddr::new((*ip).into(), *port)),
            Addr::V6(ip, port) => Some(SocketAddr::new((*ip).into(), *port)),
            Addr::Text(t) => t.parse().ok(),
        }
    }

    /// The text as reported.
    pub fn text(&self) -> String {
        match self {
            Addr::Text(t) => t.to_string(),
            _ => self
                .socket_addr()
                .map(|a| a.to_string())
                .unwrap_or_default(),
        }
    }
}

/// A process key: pid and start time (the wire key `pid@start`).
pub type ProcKey = (u32, i64);

/// The compact key of a wire process key, if it is one.
pub fn proc_key(key: &str) -> Option<ProcKey> {
    let (pid, started) = key.split_once('@')?;
    let parsed = (pid.parse().ok()?, started.parse().ok()?);
    (format!("{}@{}", parsed.0, parsed.1) == key).then_some(parsed)
}

/// A process.
#[derive(Debug, Clone, PartialEq)]
pub struct Proc {
    /// As in the wire type.
    pub pid: u32,
    /// As in the wire type.
    pub ppid: u32,
    /// As in the wire type.
    pub threads: u32,
    /// As in the wire type.
    pub cpu_percent: f32,
    /// As in the wire type.
    pub started_at_ms: i64,
    /// As in the wire type.
    pub rss_bytes: u64,
    /// As in the wire type.
    pub netns: Option<u64>,
    /// As in the wire type.
    pub name: Text,
    /// The command line's JSON text.
    pub cmdline: Text,
    /// As in the wire type.
    pub user: Text,
    /// As in the wire type.
    pub exe: Option<Text>,
    /// As in the wire type.
    pub container_id: Option<Text>,
}

impl Proc {
    /// The compact form of `p`.
    pub fn new(p: &Process) -> Proc {
        Proc {
            pid: p.pid,
            ppid: p.ppid,
            threads: p.threads,
            cpu_percent: p.cpu_percent,
            started_at_ms: p.started_at_ms,
            rss_bytes: p.rss_bytes,
            netns: p.netns,
            name: text(&p.name),
            cmdline: json(&p.cmdline),
            user: text(&p.user),
            exe: opt(&p.exe),
            container_id: opt(&p.container_id),
        }
    }

    /// The key of the process.
    pub fn key(&self) -> ProcKey {
        (self.pid, self.started_at_ms)
    }

    /// The wire form.
    pub fn wire(&self) -> Process {
        Process {
            pid: self.pid,
            ppid: self.ppid,
            name: string(&self.name),
            cmdline: unjson(&self.cmdline),
            user: string(&self.user),
            exe: self.exe.as_ref().map(string),
            started_at_ms: self.started_at_ms,
            cpu_percent: self.cpu_percent,
            rss_bytes: self.rss_bytes,
            threads: self.threads,
            container_id: self.container_id.as_ref().map(string),
            netns: self.netns,
        }
    }
}

/// A published port.
#[derive(Debug, Clone, PartialEq)]
pub struct Port {
    /// As in the wire type.
    pub container_port: u16,
    /// As in the wire type.
    pub host_port: Option<u16>,
    /// As in the wire type.
    pub protocol: Text,
    /// As in the wire type.
    pub host_ip: Option<Text>,
}

/// A network attachment.
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    /// As in the wire type.
    pub name: Text,
    /// As in the wire type.
    pub ip: Option<Text>,
}

/// A container.
#[derive(Debug, Clone, PartialEq)]
pub struct Cont {
    /// As in the wire type.
    pub id: Text,
    /// As in the wire type.
    pub name: Text,
    /// As in the wire type.
    pub image: Text,
    /// As in the wire type.
    pub image_id: Text,
    /// As in the wire type.
    pub state: Text,
    /// The labels' JSON text.
    pub labels: Text,
    /// As in the wire type.
    pub ports: Box<[Port]>,
    /// As in the wire type.
    pub networks: Box<[Network]>,
    /// As in the wire type.
    pub pid: Option<u32>,
    /// As in the wire type.
    pub created_at_ms: i64,
    /// As in the wire type.
    pub started_at_ms: Option<i64>,
}

impl Cont {
    /// The compact form of `c`.
    pub fn new(c: &Container) -> Cont {
        Cont {
            id: text(&c.id),
            name: text(&c.name),
            image: text(&c.image),
            image_id: text(&c.image_id),
            state: text(&c.state),
            labels: json(&c.labels),
            ports: c
                .ports
                .iter()
                .map(|p| Port {
                    container_port: p.container_port,
                    host_port: p.host_port,
                    protocol: text(&p.protocol),
                    host_ip: opt(&p.host_ip),
                })
                .collect(),
            networks: c
                .networks
                .iter()
                .map(|n| Network {
                    name: text(&n.name),
                    ip: opt(&n.ip),
                })
                .collect(),
            pid: c.pid,
            created_at_ms: c.created_at_ms,
            started_at_ms: c.started_at_ms,
        }
    }

    /// The wire form.
    pub fn wire(&self) -> Container {
        Container {
            id: string(&self.id),
            name: string(&self.name),
            image: string(&self.image),
            image_id: string(&self.image_id),
            state: string(&self.state),
            labels: unjson::<BTreeMap<String, String>>(&self.labels),
            ports: self
                .ports
                .iter()
                .map(|p| PortMapping {
                    container_port: p.container_port,
                    protocol: string(&p.protocol),
                    host_ip: p.host_ip.as_ref().map(string),
                    host_port: p.host_port,
                })
                .collect(),
            networks: self
                .networks
                .iter()
                .map(|n| ContainerNetwork {
                    name: string(&n.name),
                    ip: n.ip.as_ref().map(string),
                })
                .collect(),
            pid: self.pid,
            created_at_ms: self.created_at_ms,
            started_at_ms: self.started_at_ms,
        }
    }
}

/// An image.
#[derive(Debug, Clone, PartialEq)]
pub struct Img {
    /// As in the wire type.
    pub id: Text,
    /// The tags' JSON text.
    pub tags: Text,
    /// The digests' JSON text.
    pub digests: Text,
    /// As in the wire type.
    pub size_bytes: u64,
    /// As in the wire type.
    pub created_at_ms: i64,
}

impl Img {
    /// The compact form of `i`.
    pub fn new(i: &Image) -> Img {
        Img {
            id: text(&i.id),
            tags: json(&i.tags),
            digests: json(&i.digests),
            size_bytes: i.size_bytes,
            created_at_ms: i.created_at_ms,
        }
    }

    /// The first tag, if any.
    pub fn first_tag(&self) -> Option<String> {
        unjson::<Vec<String>>(&self.tags).into_iter().next()
    }

    /// The wire form.
    pub fn wire(&self) -> Image {
        Image {
            id: string(&self.id),
            tags: unjson(&self.tags),
            digests: unjson(&self.digests),
            size_bytes: self.size_bytes,
            created_at_ms: self.created_at_ms,
        }
    }
}

/// A socket's key: what the wire key `transport|local|remote|netns` holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SockKey {
    /// As in the wire type.
    pub transport: Transport,
    /// As in the wire type.
    pub local: Addr,
    /// As in the wire type.
    pub remote: Option<Addr>,
    /// 0 when not known (as in the wire key).
    pub netns: u64,
}

impl Ord for SockKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let rank = |t: Transport| match t {
            Transport::Tcp => 0u8,
            Transport::Udp => 1,
        };
        (rank(self.transport), &self.local, &self.remote, self.netns).cmp(&(
            rank(other.transport),
            &other.local,
            &other.remote,
            other.netns,
        ))
    }
}

impl PartialOrd for SockKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What a socket holds beyond its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Sock {
    /// As in the wire type.
    pub listening: bool,
    /// As in the wire type.
    pub pid: Option<u32>,
    /// As in the wire type (the key holds 0 for none).
    pub netns: Option<u64>,
}

impl Sock {
    /// The compact form of `c`, with its key.
    pub fn new(c: &Connection) -> (SockKey, Sock) {
        (
            SockKey {
                transport: c.transport,
                local: Addr::new(&c.local),
                remote: c.remote.as_deref().map(Addr::new),
                netns: c.netns.unwrap_or(0),
            },
            Sock {
                listening: c.listening,
                pid: c.pid,
                netns: c.netns,
            },
        )
    }

    /// The wire form of the socket under `key`.
    pub fn wire(key: &SockKey, sock: &Sock) -> Connection {
        Connection {
            transport: key.transport,
            listening: sock.listening,
            local: key.local.text(),
            remote: key.remote.as_ref().map(Addr::text),
            pid: sock.pid,
            netns: sock.netns,
        }
    }
}

/// The compact key of a wire socket key, if it is one.
pub fn sock_key(key: &str) -> Option<SockKey> {
    let mut parts = key.split('|');
    let transport = match parts.next()? {
        "Tcp" => Transport::Tcp,
        "Udp" => Transport::Udp,
        _ => return None,
    };
    let local = parts.next()?;
    let remote = parts.next()?;
    let netns: u64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let parsed = SockKey {
        transport,
        local: Addr::lookup(local),
        remote: (remote != "*").then(|| Addr::lookup(remote)),
        netns,
    };
    // Only a key formatted as the wire does names an item.
    let again = format!(
        "{:?}|{}|{}|{}",
        parsed.transport,
        parsed.local.text(),
        parsed.remote.as_ref().map_or("*".to_string(), Addr::text),
        parsed.netns
    );
    (again == key).then_some(parsed)
}

/// A wire item and its compact form in a sensor's state.
pub trait Item {
    /// The compact key.
    type Key: Ord + std::hash::Hash + Clone;
    /// The compact item.
    type Stored;
    /// The compact key of this item (nothing interned).
    fn compact_key(&self) -> Self::Key;
    /// The compact key a wire key names, if any item can have it.
    fn key_of(wire_key: &str) -> Option<Self::Key>;
    /// The compact form and its key (sharing its strings).
    fn compact(&self) -> (Self::Key, Self::Stored);
}

impl Item for Process {
    type Key = ProcKey;
    type Stored = Proc;
    fn compact_key(&self) -> ProcKey {
        (self.pid, self.started_at_ms)
    }
    fn key_of(wire_key: &str) -> Option<ProcKey> {
        proc_key(wire_key)
    }
    fn compact(&self) -> (Self::Key, Proc) {
        let p = Proc::new(self);
        (p.key(), p)
    }
}

impl Item for Container {
    type Key = Text;
    type Stored = Cont;
    fn compact_key(&self) -> Text {
        Text::from(self.id.as_str())
    }
    fn key_of(wire_key: &str) -> Option<Text> {
        Some(Text::from(wire_key))
    }
    fn compact(&self) -> (Self::Key, Cont) {
        let c = Cont::new(self);
        (c.id.clone(), c)
    }
}

impl Item for Image {
    type Key = Text;
    type Stored = Img;
    fn compact_key(&self) -> Text {
        Text::from(self.id.as_str())
    }
    fn key_of(wire_key: &str) -> Option<Text> {
        Some(Text::from(wire_key))
    }
    fn compact(&self) -> (Self::Key, Img) {
        let i = Img::new(self);
        (i.id.clone(), i)
    }
}

impl Item for Connection {
    type Key = SockKey;
    type Stored = Sock;
    fn compact_key(&self) -> SockKey {
        SockKey {
            transport: self.transport,
            local: Addr::lookup(&self.local),
            remote: self.remote.as_deref().map(Addr::lookup),
            netns: self.netns.unwrap_or(0),
        }
    }
    fn key_of(wire_key: &str) -> Option<SockKey> {
        sock_key(wire_key)
    }
    fn compact(&self) -> (SockKey, Sock) {
        Sock::new(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vedette_model::wire::Keyed;

    fn process(pid: u32) -> Process {
        Process {
            pid,
            ppid: 1,
            name: "nginx".into(),
            cmdline: vec!["nginx".into(), "-g".into(), "daemon off;".into()],
            user: "www-data".into(),
            exe: Some("/usr/sbin/nginx".into()),
            started_at_ms: 1_700_000_000_000 + i64::from(pid),
            cpu_percent: 1.5,
            rss_bytes: 4096,
            threads: 2,
            container_id: Some("c".repeat(64)),
            netns: Some(4026531840),
        }
    }

    #[test]
    fn items_convert_back_to_what_was_reported() {
        let p = process(7);
        assert_eq!(Proc::new(&p).wire(), p);
        let c = Container {
            id: "c".repeat(64),
            name: "/web-1".into(),
            image: "nginx:1.27".into(),
            image_id: "sha256:abc".into(),
            state: "running".into(),
            labels: BTreeMap::from([("a|b".into(), "\"quoted\"\n".into())]),
            ports: vec![PortMapping {
                container_port: 80,
                protocol: "tcp".into(),
                host_ip: Some("0.0.0.0".into()),
                host_port: Some(8080),
            }],
            networks: vec![ContainerNetwork {
                name: "bridge".into(),
                ip: Some("172.17.0.2".into()),
            }],
            pid: Some(9),
            created_at_ms: 1,
            started_at_ms: None,
        };
        assert_eq!(Cont::new(&c).wire(), c);
        let i = Image {
            id: "sha256:abc".into(),
            tags: vec!["nginx:1.27".into(), "nginx:latest".into()],
            digests: vec![],
            size_bytes: 5,
            created_at_ms: 2,
        };
        assert_eq!(Img::new(&i).wire(), i);
        assert_eq!(Img::new(&i).first_tag().as_deref(), Some("nginx:1.27"));
        // Addresses that read back exactly are parsed; any other text is kept as is.
        for (local, remote, parsed) in [
            ("10.0.0.5:443", Some("[2001:db8::1]:51000"), true),
            ("0.0.0.0:22", None, true),
            ("010.0.0.5:443", Some("[2001:DB8::1]:51000"), false),
            ("*:53", Some("not an address"), false),
        ] {
            let c = Connection {
                transport: Transport::Udp,
                listening: remote.is_none(),
                local: local.into(),
                remote: remote.map(str::to_string),
                pid: Some(3),
                netns: None,
            };
            let (key, s) = Sock::new(&c);
            assert_eq!(Sock::wire(&key, &s), c);
            assert_eq!(!matches!(key.local, Addr::Text(_)), parsed);
            assert_eq!(sock_key(&c.key()), Some(key.clone()), "{}", c.key());
            assert_eq!(c.compact_key(), key);
        }
    }

    #[test]
    fn only_keys_the_wire_formats_name_items() {
        let p = process(12);
        assert_eq!(proc_key(&p.key()), Some(p.compact_key()));
        for key in ["012@5", "12@+5", "12", "x@5", "12@5@6", ""] {
            assert_eq!(proc_key(key), None, "{key}");
        }
        assert_eq!(proc_key("12@-5"), Some((12, -5)));
        for key in [
            "Tcp|10.0.0.1:1|*",
            "tcp|10.0.0.1:1|*|0",
            "Tcp|10.0.0.1:1|*|0|1",
            "Tcp|10.0.0.1:1|*|01",
        ] {
            assert_eq!(sock_key(key), None, "{key}");
        }
    }

    #[test]
    fn equal_strings_are_held_once_and_unused_ones_swept() {
        let interner = Interner::default();
        let a = interner.intern("/usr/sbin/nginx");
        let b = interner.intern(&String::from("/usr/sbin/nginx"));
        assert!(Arc::ptr_eq(&a, &b));
        let gone = interner.intern("only here");
        assert_eq!(
            interner.stats(),
            (2, "/usr/sbin/nginx".len() + "only here".len())
        );
        drop(gone);
        assert_eq!(interner.sweep(), 1);
        assert_eq!(interner.stats().0, 1);
        // Two sensors' identical processes share every string.
        let (x, y) = (Proc::new(&process(1)), Proc::new(&process(2)));
        assert!(Arc::ptr_eq(&x.cmdline, &y.cmdline));
        assert!(Arc::ptr_eq(&x.exe.unwrap(), &y.exe.unwrap()));
        drop(a);
        drop(b);
        assert_eq!(interner.sweep(), 1);
    }
}
