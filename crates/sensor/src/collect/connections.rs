//! The connections collector: listening and established TCP sockets and
//! bound or connected UDP sockets, IPv4 and IPv6, in **every** network
//! namespace the visible processes live in (so containers' sockets are
//! seen too), each with its owning process.
//!
//! The socket tables are read once per distinct namespace, through one of
//! its processes (`/proc/<pid>/net/tcp` shows that process's namespace);
//! sockets are tied to processes by the socket inodes in `/proc/<pid>/fd`.
//!
//! Reading those tables is the sensor's most expensive step (the kernel walks
//! whole hash tables, milliseconds per namespace), so it is skipped when it
//! cannot have changed: a namespace none of whose processes holds a socket
//! (an idle container) is not read at all, and a namespace whose set of
//! socket inodes is unchanged reuses its previous result, re-read at least
//! every [`REFRESH_EVERY`] collections and whenever a socket was caught
//! mid-handshake.

use std::collections::HashMap;
use std::net::SocketAddr;

use procfs::net::{TcpState, UdpState};
use procfs::process::FDTarget;
use vedette_model::wire::{CollectorStatus, Connection, Process, Transport};

use crate::root::HostRoot;

/// A namespace's tables are re-read at least this often (in collections).
pub const REFRESH_EVERY: u32 = 6;

/// A namespace seen in this collection.
#[derive(Debug, Clone, Copy, Default)]
struct Namespace {
    /// A process in it, to read its tables through.
    pid: u32,
    /// Socket inodes held by its processes: count and a sum, to notice changes.
    sockets: usize,
    inode_sum: u64,
}

/// The last reading of a namespace's tables.
#[derive(Debug, Default)]
struct Cached {
    sockets: usize,
    inode_sum: u64,
    age: u32,
    entries: Vec<Connection>,
}

/// Collects sockets.
pub struct ConnectionCollector {
    root: HostRoot,
    /// The namespaces seen now (reused between intervals).
    namespaces: HashMap<u64, Namespace>,
    /// Socket inode → owning pid (reused between intervals).
    owners: HashMap<u64, u32>,
    /// Last readings per namespace.
    cache: HashMap<u64, Cached>,
    /// Processes looked at, and those whose open files could not be read,
    /// in the last collection.
    looked_at: usize,
    unreadable: usize,
}

impl ConnectionCollector {
    /// A collector reading `<root>/proc`.
    pub fn new(root: HostRoot) -> Self {
        ConnectionCollector {
            root,
            namespaces: HashMap::new(),
            owners: HashMap::new(),
            cache: HashMap::new(),
            looked_at: 0,
            unreadable: 0,
        }
    }

    /// Whether the last collection could read processes' sockets. A few
    /// unreadable processes are normal (they exit while being read); more
    /// than a tenth means missing privileges, which the reason names.
    pub fn status(&self) -> CollectorStatus {
        const NEEDS: &str =
            "run the sensor as root, or with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH";
        if self.looked_at == 0 {
            CollectorStatus::inactive(
                "connections",
                "no processes with a network namespace to read sockets from",
            )
        } else if self.unreadable == self.looked_at {
            CollectorStatus::inactive(
                "connections",
                format!("cannot read the open files of any process: {NEEDS}"),
            )
        } else if self.unreadable * 10 > self.looked_at {
            CollectorStatus::partial(
                "connections",
                format!(
                    "cannot read the open files of some processes, so their sockets are not mapped: {NEEDS}"
                ),
            )
        } else {
            CollectorStatus::active("connections")
        }
    }

    /// Replaces `out` with the sockets of the namespaces of `processes`.
    pub fn collect(&mut self, processes: &[Process], out: &mut Vec<Connection>) {
        out.clear();
        self.namespaces.clear();
        self.owners.clear();
        self.looked_at = 0;
        self.unreadable = 0;
        let proc = self.root.proc();
        for process in processes {
            let Some(netns) = process.netns else { continue };
            let namespace = self.namespaces.entry(netns).or_insert(Namespace {
                pid: process.pid,
                ..Namespace::default()
            });
            self.looked_at += 1;
            let Ok(handle) =
                procfs::process::Process::new_with_root(proc.join(process.pid.to_string()))
            else {
                self.unreadable += 1;
                continue;
            };
            let Ok(fds) = handle.fd() else {
                self.unreadable += 1;
                continue;
            };
            for fd in fds.flatten() {
                if let FDTarget::Socket(inode) = fd.target {
                    self.owners.entry(inode).or_insert(process.pid);
                    namespace.sockets += 1;
                    namespace.inode_sum = namespace.inode_sum.wrapping_add(inode);
                }
            }
        }
        let namespaces = std::mem::take(&mut self.namespaces);
        self.cache.retain(|netns, _| namespaces.contains_key(netns));
        for (&netns, namespace) in &namespaces {
            if namespace.sockets == 0 {
                // No process here holds a socket: nothing to read.
                self.cache.remove(&netns);
                continue;
            }
            let mut cached = self.cache.remove(&netns).unwrap_or_default();
            let unchanged = cached.sockets == namespace.sockets
                && cached.inode_sum == namespace.inode_sum
                && cached.age < REFRESH_EVERY;
            if unchanged {
                cached.age += 1;
            } else {
                let settled = self.read_tables(netns, namespace.pid, &mut cached.entries);
                cached.sockets = namespace.sockets;
                cached.inode_sum = namespace.inode_sum;
                // A socket caught mid-handshake is read again next time.
                cached.age = if settled { 0 } else { REFRESH_EVERY };
            }
            out.extend(cached.entries.iter().cloned());
            self.cache.insert(netns, cached);
        }
        self.namespaces = namespaces;
    }

    /// Reads one namespace's tables into `entries`; false when a TCP socket
    /// was in the middle of a handshake (its final state is not known yet).
    fn read_tables(&self, netns: u64, pid: u32, entries: &mut Vec<Connection>) -> bool {
        entries.clear();
        let mut settled = true;
        let Ok(handle) =
            procfs::process::Process::new_with_root(self.root.proc().join(pid.to_string()))
        else {
            return settled;
        };
        for table in [handle.tcp(), handle.tcp6()].into_iter().flatten() {
            for entry in table {
                let listening = match entry.state {
                    TcpState::Listen => true,
                    TcpState::Established => false,
                    TcpState::SynSent | TcpState::SynRecv | TcpState::NewSynRecv => {
                        settled = false;
                        continue;
                    }
                    _ => continue,
                };
                entries.push(self.connection(
                    Transport::Tcp,
                    listening,
                    entry.local_address,
                    entry.remote_address,
                    entry.inode,
                    netns,
                ));
            }
        }
        for table in [handle.udp(), handle.udp6()].into_iter().flatten() {
            for entry in table {
                let listening = match entry.state {
                    UdpState::Established => false,
                    UdpState::Close => true,
                };
                entries.push(self.connection(
                    Transport::Udp,
                    listening,
                    entry.local_address,
                    entry.remote_address,
                    entry.inode,
                    netns,
                ));
            }
        }
        settled
    }

    fn connection(
        &self,
        transport: Transport,
        listening: bool,
        local: SocketAddr,
        remote: SocketAddr,
        inode: u64,
        netns: u64,
    ) -> Connection {
        Connection {
            transport,
            listening,
            local: canonical(local).to_string(),
            remote: (!listening).then(|| canonical(remote).to_string()),
            pid: self.owners.get(&inode).copied(),
            netns: Some(netns),
        }
    }
}

/// IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`) shown as IPv4, so both
/// ends of a connection are written the same way.
fn canonical(address: SocketAddr) -> SocketAddr {
    SocketAddr::new(address.ip().to_canonical(), address.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_why_sockets_cannot_be_read() {
        let empty = tempfile::tempdir().unwrap();
        let mut collector = ConnectionCollector::new(HostRoot::new(empty.path()));
        let mut out = Vec::new();
        collector.collect(&[], &mut out);
        assert!(!collector.status().active);

        // Processes whose /proc entries cannot be read (here: absent).
        let processes: Vec<Process> = (1..=3)
            .map(|pid| Process {
                pid,
                netns: Some(4026531840),
                ..Default::default()
            })
            .collect();
        collector.collect(&processes, &mut out);
        let status = collector.status();
        assert!(!status.active);
        assert!(status.reason.unwrap().contains("CAP_SYS_PTRACE"), "{out:?}");
    }

    #[test]
    fn maps_ipv4_in_ipv6_to_ipv4() {
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:80".parse().unwrap();
        assert_eq!(canonical(mapped).to_string(), "10.0.0.1:80");
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(canonical(v6).to_string(), "[::1]:80");
    }
}
