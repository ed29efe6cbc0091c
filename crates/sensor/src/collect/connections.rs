//! The connections collector: listening and established TCP sockets and
//! bound or connected UDP sockets, IPv4 and IPv6, in **every** network
//! namespace the visible processes live in (so containers' sockets are
//! seen too), each with its owning process.
//!
//! The socket tables are read once per distinct namespace, through one of
//! its processes (`/proc/<pid>/net/tcp` shows that process's namespace);
//! sockets are tied to processes by the socket inodes in `/proc/<pid>/fd`.

use std::collections::HashMap;
use std::net::SocketAddr;

use procfs::net::{TcpState, UdpState};
use procfs::process::FDTarget;
use vedette_model::wire::{Connection, Process, Transport};

use crate::root::HostRoot;

/// Collects sockets.
pub struct ConnectionCollector {
    root: HostRoot,
    /// One pid per network namespace (reused between intervals).
    namespaces: HashMap<u64, u32>,
    /// Socket inode → owning pid (reused between intervals).
    owners: HashMap<u64, u32>,
}

impl ConnectionCollector {
    /// A collector reading `<root>/proc`.
    pub fn new(root: HostRoot) -> Self {
        ConnectionCollector {
            root,
            namespaces: HashMap::new(),
            owners: HashMap::new(),
        }
    }

    /// Replaces `out` with the sockets of the namespaces of `processes`.
    pub fn collect(&mut self, processes: &[Process], out: &mut Vec<Connection>) {
        out.clear();
        self.namespaces.clear();
        self.owners.clear();
        let proc = self.root.proc();
        for process in processes {
            if let Some(netns) = process.netns {
                self.namespaces.entry(netns).or_insert(process.pid);
            }
            let Ok(handle) =
                procfs::process::Process::new_with_root(proc.join(process.pid.to_string()))
            else {
                continue;
            };
            let Ok(fds) = handle.fd() else { continue };
            for fd in fds.flatten() {
                if let FDTarget::Socket(inode) = fd.target {
                    self.owners.entry(inode).or_insert(process.pid);
                }
            }
        }
        for (&netns, &pid) in &self.namespaces {
            let Ok(handle) = procfs::process::Process::new_with_root(proc.join(pid.to_string()))
            else {
                continue;
            };
            for table in [handle.tcp(), handle.tcp6()].into_iter().flatten() {
                for entry in table {
                    let listening = match entry.state {
                        TcpState::Listen => true,
                        TcpState::Established => false,
                        _ => continue,
                    };
                    out.push(self.connection(
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
                    out.push(self.connection(
                        Transport::Udp,
                        listening,
                        entry.local_address,
                        entry.remote_address,
                        entry.inode,
                        netns,
                    ));
                }
            }
        }
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
    fn maps_ipv4_in_ipv6_to_ipv4() {
        let mapped: SocketAddr = "[::ffff:10.0.0.1]:80".parse().unwrap();
        assert_eq!(canonical(mapped).to_string(), "10.0.0.1:80");
        let v6: SocketAddr = "[::1]:80".parse().unwrap();
        assert_eq!(canonical(v6).to_string(), "[::1]:80");
    }
}
