//! The host collector: name, OS release, kernel, architecture, uptime, CPUs,
//! load, memory, interfaces and addresses, and cloud facts (looked up once
//! at start, see [`super::cloud`]).

use procfs::FromRead;
use vedette_model::wire::{Cloud, Host, Interface};

use super::read_small;
use crate::root::HostRoot;

/// Collects host facts.
pub struct HostCollector {
    root: HostRoot,
    cloud: Option<Cloud>,
}

impl HostCollector {
    /// Builds the collector, looking up cloud metadata once (nothing is
    /// asked of the network when the DMI data shows no cloud).
    pub async fn build(root: &HostRoot) -> Self {
        let cloud = super::cloud::detect(root).await;
        if let Some(cloud) = &cloud {
            tracing::info!(provider = %cloud.provider, region = ?cloud.region, "running on a cloud");
        }
        HostCollector {
            root: root.clone(),
            cloud,
        }
    }

    /// Overwrites `host` with the current facts.
    pub fn collect(&mut self, host: &mut Host) {
        host.hostname = hostname(&self.root);
        let os = read_small(&self.root.join("/etc/os-release"))
            .or_else(|| read_small(&self.root.join("/usr/lib/os-release")))
            .unwrap_or_default();
        host.os_id = os_release_value(&os, "ID").unwrap_or_default();
        host.os_version = os_release_value(&os, "VERSION_ID").unwrap_or_default();
        host.os_pretty_name = os_release_value(&os, "PRETTY_NAME").unwrap_or_default();
        host.kernel = read_small(&self.root.join("/proc/sys/kernel/osrelease")).unwrap_or_default();
        host.arch = std::env::consts::ARCH.to_string();
        host.uptime_secs = read_small(&self.root.join("/proc/uptime"))
            .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
            .map(|secs| secs as u64)
            .unwrap_or(0);
        host.cpus = super::proc_stat(&self.root).cpus;
        if let Ok(load) = procfs::LoadAverage::from_file(self.root.join("/proc/loadavg")) {
            host.load = [
                f64::from(load.one),
                f64::from(load.five),
                f64::from(load.fifteen),
            ];
        }
        if let Ok(memory) = procfs::Meminfo::from_file(self.root.join("/proc/meminfo")) {
            host.memory_total_bytes = memory.mem_total;
            host.memory_available_bytes = memory.mem_available.unwrap_or(memory.mem_free);
        }
        collect_interfaces(&mut host.interfaces);
        host.cloud = self.cloud.clone();
    }
}

/// The host name: the host's `/etc/hostname` under a host root (a
/// container has its own UTS name), else the kernel's.
fn hostname(root: &HostRoot) -> String {
    if !root.is_slash()
        && let Some(name) = read_small(&root.join("/etc/hostname")).filter(|n| !n.is_empty())
    {
        return name;
    }
    gethostname::gethostname().to_string_lossy().into_owned()
}

/// A value of an os-release file (`KEY=value`, optionally quoted).
pub fn os_release_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let value = line.trim().strip_prefix(key)?.strip_prefix('=')?;
        Some(value.trim_matches(|c| c == '"' || c == '\'').to_string())
    })
}

/// Interfaces and addresses of the sensor's network namespace (the host's
/// with `--net=host`), sorted so the order is stable between intervals.
fn collect_interfaces(out: &mut Vec<Interface>) {
    out.clear();
    let Ok(addresses) = if_addrs::get_if_addrs() else {
        return;
    };
    for address in addresses {
        let cidr = match &address.addr {
            if_addrs::IfAddr::V4(v4) => format!("{}/{}", v4.ip, v4.prefixlen),
            if_addrs::IfAddr::V6(v6) => format!("{}/{}", v6.ip, v6.prefixlen),
        };
        match out.iter_mut().find(|i| i.name == address.name) {
            Some(interface) => interface.addresses.push(cidr),
            None => {
                let mac = read_small(std::path::Path::new(&format!(
                    "/sys/class/net/{}/address",
                    address.name
                )))
                .filter(|mac| !mac.is_empty() && mac != "00:00:00:00:00:00");
                out.push(Interface {
                    name: address.name,
                    mac,
                    addresses: vec![cidr],
                });
            }
        }
    }
    for interface in out.iter_mut() {
        interface.addresses.sort();
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_os_release_values() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nID_LIKE=x\n";
        assert_eq!(os_release_value(text, "ID").as_deref(), Some("debian"));
        assert_eq!(os_release_value(text, "VERSION_ID").as_deref(), Some("12"));
        assert_eq!(
            os_release_value(text, "PRETTY_NAME").as_deref(),
            Some("Debian GNU/Linux 12 (bookworm)")
        );
        assert_eq!(os_release_value(text, "NAME"), None);
    }
}
