//! Graph views of the topology, derived on demand from every sensor's state.
//!
//! Connection edges are resolved across sensors by address: a socket's
//! remote address is looked up among every host's interface addresses and
//! every container's addresses (bridge networks), and a connection to a
//! host's published port is attributed to the container behind it. Remote
//! ends that belong to nothing monitored become pseudo-nodes: the internet
//! (inbound and outbound kept apart) or a private network without a sensor.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{IpAddr, SocketAddr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use vedette_model::wire::{Connection, Transport};

use super::{SensorState, States};

/// Which nodes a view shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// One node per host.
    Hosts,
    /// One node per container, plus hosts for uncontainerised processes.
    Containers,
    /// One node per process.
    Processes,
    /// One node per image (its containers' traffic), plus hosts.
    Images,
}

/// A node of a view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Node {
    /// Stable id, e.g. `host:<sensor>`, `container:<id>`, `internet:inbound`.
    pub id: String,
    /// `host`, `container`, `process`, `image`, `internet` or `private_network`.
    pub kind: String,
    /// A name to show.
    pub label: String,
    /// The sensor that reported it (none for pseudo-nodes and images).
    pub sensor_id: Option<String>,
    /// The host it belongs to (none for pseudo-nodes).
    pub host: Option<String>,
    /// Every attribute reported for it.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
}

/// A connection edge: clients of `from` talk to a server in `to`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
pub struct Edge {
    /// The client side.
    pub from: String,
    /// The server side.
    pub to: String,
    /// `tcp` or `udp`.
    pub transport: String,
    /// The server port.
    pub port: u16,
    /// How many connections are behind this edge.
    pub connections: u32,
}

/// A graph view.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Graph {
    /// The nodes.
    pub nodes: Vec<Node>,
    /// The connection edges.
    pub edges: Vec<Edge>,
}

/// Where an address belongs.
#[derive(Debug, Clone)]
struct Owner {
    sensor_id: String,
    container_id: Option<String>,
}

/// Parses `ip:port` or `[v6]:port`.
fn parse_endpoint(text: &str) -> Option<SocketAddr> {
    text.parse().ok()
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local() || v4.is_shared_or_cgnat(),
        IpAddr::V6(v6) => v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

trait Cgnat {
    fn is_shared_or_cgnat(&self) -> bool;
}

impl Cgnat for std::net::Ipv4Addr {
    /// 100.64.0.0/10, used by carrier-grade NAT and many cloud networks.
    fn is_shared_or_cgnat(&self) -> bool {
        let [a, b, ..] = self.octets();
        a == 100 && (64..128).contains(&b)
    }
}

/// The pseudo-node id for a remote address nobody monitors.
fn pseudo_node(ip: IpAddr, inbound: bool) -> (String, String, String) {
    if is_private(ip) {
        let network = match ip {
            IpAddr::V4(v4) => {
                let [a, b, ..] = v4.octets();
                format!("{a}.{b}.0.0/16")
            }
            IpAddr::V6(v6) => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        };
        (
            format!("network:{network}"),
            "private_network".into(),
            format!("private network {network}"),
        )
    } else if inbound {
        (
            "internet:inbound".into(),
            "internet".into(),
            "The Internet (inbound)".into(),
        )
    } else {
        (
            "internet:outbound".into(),
            "internet".into(),
            "The Internet (outbound)".into(),
        )
    }
}

/// Indexes built once per view.
struct Indexes<'a> {
    states: &'a States,
    addresses: HashMap<IpAddr, Owner>,
    /// (sensor, address) → container of that sensor's host. Bridge networks
    /// are private to a host and every Docker host uses the same ranges, so
    /// an address is looked up on the socket's own host first.
    local_containers: HashMap<(String, IpAddr), String>,
    /// (sensor, transport, port) of listening sockets → owning pid, in any
    /// network namespace (used when the namespace is not known).
    listening: HashMap<(String, Transport, u16), Option<u32>>,
    /// (sensor, network namespace, transport, port) of listening sockets →
    /// owning pid: every container has its own namespace, so two of them
    /// may listen on the same port.
    listening_in: HashMap<(String, u64, Transport, u16), Option<u32>>,
    /// (sensor, container id) → the container's network namespace.
    container_netns: HashMap<(String, String), u64>,
    /// (sensor, pid 1's namespace): the host's own network namespace.
    host_netns: HashMap<String, u64>,
    /// (sensor, host port) → container publishing it.
    published: HashMap<(String, u16), String>,
    /// (sensor, pid) → container id.
    process_container: HashMap<(String, u32), String>,
}

impl<'a> Indexes<'a> {
    fn build(states: &'a States) -> Indexes<'a> {
        let mut addresses = HashMap::new();
        let mut local_containers = HashMap::new();
        let mut listening = HashMap::new();
        let mut listening_in = HashMap::new();
        let mut container_netns = HashMap::new();
        let mut host_netns = HashMap::new();
        let mut published = HashMap::new();
        let mut process_container = HashMap::new();
        for (sensor_id, state) in states {
            if let Some(host) = &state.host {
                for interface in &host.interfaces {
                    for address in &interface.addresses {
                        let ip = address
                            .split('/')
                            .next()
                            .and_then(|ip| ip.parse::<IpAddr>().ok());
                        if let Some(ip) = ip.filter(|ip| !ip.is_loopback() && !ip.is_unspecified())
                        {
                            addresses.entry(ip).or_insert(Owner {
                                sensor_id: sensor_id.clone(),
                                container_id: None,
                            });
                        }
                    }
                }
            }
            for container in state.containers.values() {
                // Docker keeps an exited container's last address, which a
                // running container may have been given since.
                let live = matches!(container.state.as_str(), "running" | "paused");
                for network in container.networks.iter().filter(|_| live) {
                    if let Some(ip) = network
                        .ip
                        .as_deref()
                        .and_then(|ip| ip.parse::<IpAddr>().ok())
                    {
                        addresses.insert(
                            ip,
                            Owner {
                                sensor_id: sensor_id.clone(),
                                container_id: Some(container.id.clone()),
                            },
                        );
                        local_containers.insert((sensor_id.clone(), ip), container.id.clone());
                    }
                }
                for port in &container.ports {
                    if let Some(host_port) = port.host_port {
                        published.insert((sensor_id.clone(), host_port), container.id.clone());
                    }
                }
                if let Some(pid) = container.pid {
                    process_container.insert((sensor_id.clone(), pid), container.id.clone());
                }
            }
            for process in state.processes.values() {
                if let Some(container) = &process.container_id {
                    process_container.insert((sensor_id.clone(), process.pid), container.clone());
                    if let Some(netns) = process.netns {
                        container_netns.insert((sensor_id.clone(), container.clone()), netns);
                    }
                } else if let (1, Some(netns)) = (process.pid, process.netns) {
                    host_netns.insert(sensor_id.clone(), netns);
                }
            }
            for socket in state.connections.values().filter(|c| c.listening) {
                if let Some(local) = parse_endpoint(&socket.local) {
                    listening.insert(
                        (sensor_id.clone(), socket.transport, local.port()),
                        socket.pid,
                    );
                    if let Some(netns) = socket.netns {
                        listening_in.insert(
                            (sensor_id.clone(), netns, socket.transport, local.port()),
                            socket.pid,
                        );
                    }
                }
            }
        }
        Indexes {
            states,
            addresses,
            local_containers,
            listening,
            listening_in,
            container_netns,
            host_netns,
            published,
            process_container,
        }
    }

    /// Whether something of `sensor_id` listens on `port`: in namespace
    /// `netns` when known, else anywhere on the host. `Some(pid)` when it does.
    fn listener(
        &self,
        sensor_id: &str,
        netns: Option<u64>,
        transport: Transport,
        port: u16,
    ) -> Option<Option<u32>> {
        match netns {
            Some(netns) => self
                .listening_in
                .get(&(sensor_id.to_string(), netns, transport, port))
                .copied(),
            None => self
                .listening
                .get(&(sensor_id.to_string(), transport, port))
                .copied(),
        }
    }

    fn container_of(&self, sensor_id: &str, pid: Option<u32>) -> Option<String> {
        pid.and_then(|pid| {
            self.process_container
                .get(&(sensor_id.to_string(), pid))
                .cloned()
        })
    }
}

/// One end of a resolved connection.
#[derive(Debug, Clone)]
enum End {
    Known {
        sensor_id: String,
        container_id: Option<String>,
        pid: Option<u32>,
    },
    Pseudo {
        id: String,
        kind: String,
        label: String,
    },
}

/// Resolves every connected socket into (client, server, transport, port).
fn resolve_connections(indexes: &Indexes<'_>) -> Vec<(End, End, Transport, u16)> {
    let mut out = Vec::new();
    for (sensor_id, state) in indexes.states {
        for socket in state.connections.values().filter(|c| !c.listening) {
            let (Some(local), Some(remote)) = (
                parse_endpoint(&socket.local),
                socket.remote.as_deref().and_then(parse_endpoint),
            ) else {
                continue;
            };
            let inbound = indexes
                .listener(sensor_id, socket.netns, socket.transport, local.port())
                .is_some();
            let here = End::Known {
                sensor_id: sensor_id.clone(),
                container_id: indexes.container_of(sensor_id, socket.pid),
                pid: socket.pid,
            };
            let there = resolve_remote(indexes, sensor_id, socket, remote, inbound);
            let Some(there) = there else { continue };
            // The server's side of a connection from a monitored client: the
            // client's sensor reports the same connection from its side
            // (with the client process), so counting it here would double it.
            if inbound && matches!(there, End::Known { .. }) {
                continue;
            }
            if inbound {
                out.push((there, here, socket.transport, local.port()));
            } else {
                out.push((here, there, socket.transport, remote.port()));
            }
        }
    }
    out
}

fn resolve_remote(
    indexes: &Indexes<'_>,
    sensor_id: &str,
    socket: &Connection,
    remote: SocketAddr,
    inbound: bool,
) -> Option<End> {
    let ip = remote.ip();
    if ip.is_loopback() {
        // Local traffic: the other end is on this host, found by its port.
        // Loopback stays inside the socket's own network namespace.
        let server_pid = indexes
            .listener(sensor_id, socket.netns, socket.transport, remote.port())
            .flatten();
        return (!inbound).then(|| End::Known {
            sensor_id: sensor_id.to_string(),
            container_id: indexes.container_of(sensor_id, server_pid),
            pid: server_pid,
        });
    }
    let local = indexes
        .local_containers
        .get(&(sensor_id.to_string(), ip))
        .map(|container| Owner {
            sensor_id: sensor_id.to_string(),
            container_id: Some(container.clone()),
        });
    match local.as_ref().or_else(|| indexes.addresses.get(&ip)) {
        Some(owner) => {
            let container_id = owner.container_id.clone().or_else(|| {
                (!inbound)
                    .then(|| {
                        indexes
                            .published
                            .get(&(owner.sensor_id.clone(), remote.port()))
                            .cloned()
                    })
                    .flatten()
            });
            let pid = if inbound {
                None
            } else {
                // The listener in the server's namespace: the container's,
                // or the host's for a host address or a published port.
                let netns = match &owner.container_id {
                    Some(container) => indexes
                        .container_netns
                        .get(&(owner.sensor_id.clone(), container.clone()))
                        .copied(),
                    None => indexes.host_netns.get(&owner.sensor_id).copied(),
                };
                indexes
                    .listener(&owner.sensor_id, netns, socket.transport, remote.port())
                    .flatten()
            };
            Some(End::Known {
                sensor_id: owner.sensor_id.clone(),
                container_id,
                pid,
            })
        }
        None => {
            let (id, kind, label) = pseudo_node(ip, inbound);
            Some(End::Pseudo { id, kind, label })
        }
    }
}

/// Filters applied to a view.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only nodes of this host (host name or sensor id).
    pub host: Option<String>,
    /// Only nodes whose label contains this text.
    pub name: Option<String>,
    /// Only containers with this label (`key=value` or `key`).
    pub label: Option<String>,
}

fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Tcp => "tcp",
        Transport::Udp => "udp",
    }
}

fn hostname(state: &SensorState, sensor_id: &str) -> String {
    state
        .host
        .as_ref()
        .map(|h| h.hostname.clone())
        .unwrap_or_else(|| sensor_id.to_string())
}

/// Builds the graph of a level.
pub fn view(states: &States, level: Level, filter: &Filter) -> Graph {
    let indexes = Indexes::build(states);
    let host_names: HashMap<&str, String> = states
        .iter()
        .map(|(id, s)| (id.as_str(), hostname(s, id)))
        .collect();
    let container_image: HashMap<&str, &str> = states
        .iter()
        .flat_map(|(_, s)| {
            s.containers
                .values()
                .map(|c| (c.id.as_str(), c.image_id.as_str()))
        })
        .collect();
    let by_sensor: HashMap<&str, &SensorState> =
        states.iter().map(|(id, s)| (id.as_str(), &**s)).collect();
    let mut nodes: BTreeMap<String, Node> = BTreeMap::new();
    let host_node = |sensor_id: &str, state: &SensorState| Node {
        id: format!("host:{sensor_id}"),
        kind: "host".into(),
        label: hostname(state, sensor_id),
        sensor_id: Some(sensor_id.to_string()),
        host: Some(hostname(state, sensor_id)),
        attributes: serde_json::to_value(&state.host).unwrap_or_default(),
    };
    for (sensor_id, state) in states {
        let host = hostname(state, sensor_id);
        match level {
            Level::Hosts => {
                nodes.insert(format!("host:{sensor_id}"), host_node(sensor_id, state));
            }
            Level::Containers => {
                for container in state.containers.values() {
                    nodes.insert(
                        format!("container:{}", container.id),
                        Node {
                            id: format!("container:{}", container.id),
                            kind: "container".into(),
                            label: container.name.trim_start_matches('/').to_string(),
                            sensor_id: Some(sensor_id.clone()),
                            host: Some(host.clone()),
                            attributes: serde_json::to_value(container).unwrap_or_default(),
                        },
                    );
                }
            }
            Level::Processes => {
                for process in state.processes.values() {
                    nodes.insert(
                        format!("process:{sensor_id}:{}", process.pid),
                        Node {
                            id: format!("process:{sensor_id}:{}", process.pid),
                            kind: "process".into(),
                            label: format!("{} ({})", process.name, process.pid),
                            sensor_id: Some(sensor_id.clone()),
                            host: Some(host.clone()),
                            attributes: serde_json::to_value(process).unwrap_or_default(),
                        },
                    );
                }
            }
            Level::Images => {
                for image in state.images.values() {
                    let label = image
                        .tags
                        .first()
                        .cloned()
                        .unwrap_or_else(|| image.id.chars().take(19).collect());
                    nodes.entry(format!("image:{}", image.id)).or_insert(Node {
                        id: format!("image:{}", image.id),
                        kind: "image".into(),
                        label,
                        sensor_id: None,
                        host: None,
                        attributes: serde_json::to_value(image).unwrap_or_default(),
                    });
                }
            }
        }
    }
    // Maps a resolved end to this level's node id (adding hosts and pseudo-nodes as needed).
    let node_of = |end: &End, nodes: &mut BTreeMap<String, Node>| -> Option<String> {
        match end {
            End::Pseudo { id, kind, label } => {
                nodes.entry(id.clone()).or_insert(Node {
                    id: id.clone(),
                    kind: kind.clone(),
                    label: label.clone(),
                    sensor_id: None,
                    host: None,
                    attributes: serde_json::Value::Null,
                });
                Some(id.clone())
            }
            End::Known {
                sensor_id,
                container_id,
                pid,
            } => {
                // Indexed: a linear search here made views quadratic in the fleet size.
                let state = *by_sensor.get(sensor_id.as_str())?;
                let id = match (level, container_id) {
                    (Level::Hosts, _) => format!("host:{sensor_id}"),
                    (Level::Containers, Some(container)) => format!("container:{container}"),
                    (Level::Images, Some(container)) => {
                        match container_image.get(container.as_str()) {
                            Some(image) if nodes.contains_key(&format!("image:{image}")) => {
                                format!("image:{image}")
                            }
                            _ => format!("host:{sensor_id}"),
                        }
                    }
                    (Level::Processes, _) => format!("process:{sensor_id}:{}", (*pid)?),
                    (_, None) => format!("host:{sensor_id}"),
                };
                if id.starts_with("host:") {
                    nodes
                        .entry(id.clone())
                        .or_insert_with(|| host_node(sensor_id, state));
                }
                nodes.contains_key(&id).then_some(id)
            }
        }
    };
    let mut edges: BTreeMap<(String, String, &'static str, u16), u32> = BTreeMap::new();
    for (client, server, transport, port) in resolve_connections(&indexes) {
        let (Some(from), Some(to)) = (node_of(&client, &mut nodes), node_of(&server, &mut nodes))
        else {
            continue;
        };
        if from == to {
            continue;
        }
        *edges
            .entry((from, to, transport_name(transport), port))
            .or_default() += 1;
    }
    let mut graph = Graph {
        nodes: nodes.into_values().collect(),
        edges: edges
            .into_iter()
            .map(|((from, to, transport, port), connections)| Edge {
                from,
                to,
                transport: transport.into(),
                port,
                connections,
            })
            .collect(),
    };
    apply_filter(&mut graph, filter, &host_names);
    graph
}

fn apply_filter(graph: &mut Graph, filter: &Filter, _hosts: &HashMap<&str, String>) {
    if filter.host.is_none() && filter.name.is_none() && filter.label.is_none() {
        return;
    }
    let keep: BTreeSet<String> = graph
        .nodes
        .iter()
        .filter(|node| {
            let host_ok = filter.host.as_ref().is_none_or(|h| {
                node.host.as_deref() == Some(h.as_str())
                    || node.sensor_id.as_deref() == Some(h.as_str())
            });
            let name_ok = filter
                .name
                .as_ref()
                .is_none_or(|n| node.label.to_lowercase().contains(&n.to_lowercase()));
            let label_ok = filter.label.as_ref().is_none_or(|wanted| {
                let labels = &node.attributes["labels"];
                match wanted.split_once('=') {
                    Some((key, value)) => labels[key].as_str() == Some(value),
                    None => !labels[wanted.as_str()].is_null(),
                }
            });
            host_ok && name_ok && label_ok
        })
        .map(|node| node.id.clone())
        .collect();
    // Keep the matching nodes and whatever they talk to.
    let linked: BTreeSet<String> = graph
        .edges
        .iter()
        .filter(|e| keep.contains(&e.from) || keep.contains(&e.to))
        .flat_map(|e| [e.from.clone(), e.to.clone()])
        .collect();
    graph
        .edges
        .retain(|e| keep.contains(&e.from) || keep.contains(&e.to));
    graph
        .nodes
        .retain(|n| keep.contains(&n.id) || linked.contains(&n.id));
}

#[cfg(test)]
mod tests {
    use super::*;
    use vedette_model::wire::{Container, ContainerNetwork, Host, Interface, Process};

    fn process(pid: u32, container: Option<&str>, netns: u64) -> Process {
        Process {
            pid,
            name: format!("p{pid}"),
            container_id: container.map(str::to_string),
            netns: Some(netns),
            ..Default::default()
        }
    }

    fn container(id: &str, ip: &str, pid: u32) -> Container {
        Container {
            id: id.into(),
            name: id.into(),
            image_id: "sha256:i".into(),
            state: "running".into(),
            networks: vec![ContainerNetwork {
                name: "bridge".into(),
                ip: Some(ip.into()),
            }],
            pid: Some(pid),
            ..Default::default()
        }
    }

    fn socket(local: &str, remote: Option<&str>, pid: u32, netns: u64) -> Connection {
        Connection {
            transport: Transport::Tcp,
            listening: remote.is_none(),
            local: local.into(),
            remote: remote.map(str::to_string),
            pid: Some(pid),
            netns: Some(netns),
        }
    }

    /// One host: a server (netns 11) and a decoy (netns 12) both listening
    /// on 8080, a client (netns 13) connected to the server; the sensor sees
    /// both ends of that connection.
    fn one_host() -> Vec<(String, SensorState)> {
        let mut state = SensorState {
            host: Some(Host {
                hostname: "h".into(),
                interfaces: vec![Interface {
                    name: "eth0".into(),
                    mac: None,
                    addresses: vec!["10.0.0.5/24".into()],
                }],
                ..Default::default()
            }),
            ..Default::default()
        };
        // Sorts after "server": inserted last, it would win without the state check.
        let mut exited = container("stale", "172.17.0.2", 400);
        exited.state = "exited".into();
        for c in [
            exited,
            container("server", "172.17.0.2", 100),
            container("decoy", "172.17.0.3", 200),
            container("client", "172.17.0.4", 300),
        ] {
            state.containers.insert(c.id.clone(), c);
        }
        for p in [
            process(1, None, 10),
            process(100, Some("server"), 11),
            process(101, Some("server"), 11),
            process(200, Some("decoy"), 12),
            process(300, Some("client"), 13),
        ] {
            state.processes.insert(p.pid.to_string(), p);
        }
        for c in [
            socket("0.0.0.0:8080", None, 100, 11),
            socket("172.17.0.2:8080", Some("172.17.0.4:40000"), 101, 11),
            socket("0.0.0.0:8080", None, 200, 12),
            socket("172.17.0.4:40000", Some("172.17.0.2:8080"), 300, 13),
        ] {
            state.connections.insert(
                c.local.clone() + c.remote.as_deref().unwrap_or("") + &c.netns.unwrap().to_string(),
                c,
            );
        }
        vec![("s".into(), state)]
    }

    /// Views take the fleet's states behind `Arc`s, as the console holds them.
    fn shared(states: &[(String, SensorState)]) -> Vec<(String, std::sync::Arc<SensorState>)> {
        states
            .iter()
            .map(|(id, state)| (id.clone(), std::sync::Arc::new(state.clone())))
            .collect()
    }

    #[test]
    fn bridge_addresses_resolve_on_the_sockets_own_host_first() {
        // A second host with the same bridge addresses (every Docker host
        // uses 172.17.0.0/16) must not capture the first host's traffic.
        let mut states = one_host();
        let mut other = states[0].1.clone();
        other.host.as_mut().unwrap().interfaces[0].addresses = vec!["10.0.0.6/24".into()];
        other.containers = other
            .containers
            .into_values()
            .map(|mut c| {
                c.id = format!("other-{}", c.id);
                (c.id.clone(), c)
            })
            .collect();
        other.connections.clear();
        for (sensor_id, state) in [("a", states[0].1.clone()), ("b", other)] {
            states.push((sensor_id.into(), state));
        }
        states.remove(0);
        let graph = view(&shared(&states), Level::Containers, &Filter::default());
        let edges: Vec<(&str, &str)> = graph
            .edges
            .iter()
            .map(|e| (e.from.as_str(), e.to.as_str()))
            .collect();
        assert_eq!(edges, vec![("container:client", "container:server")]);
    }

    #[test]
    fn a_connection_seen_from_both_ends_is_one_edge_to_the_right_listener() {
        let states = one_host();
        let graph = view(&shared(&states), Level::Containers, &Filter::default());
        assert_eq!(
            graph.edges,
            vec![Edge {
                from: "container:client".into(),
                to: "container:server".into(),
                transport: "tcp".into(),
                port: 8080,
                connections: 1,
            }]
        );
        // The decoy listens on the same port in another namespace: the
        // listener is looked up in the server container's namespace.
        let graph = view(&shared(&states), Level::Processes, &Filter::default());
        assert_eq!(
            graph
                .edges
                .iter()
                .map(|e| (e.from.as_str(), e.to.as_str(), e.connections))
                .collect::<Vec<_>>(),
            vec![("process:s:300", "process:s:100", 1)]
        );
    }

    #[test]
    fn pseudo_nodes_split_internet_and_private() {
        assert_eq!(
            pseudo_node("8.8.8.8".parse().unwrap(), false).0,
            "internet:outbound"
        );
        assert_eq!(
            pseudo_node("1.1.1.1".parse().unwrap(), true).0,
            "internet:inbound"
        );
        assert_eq!(
            pseudo_node("10.20.30.40".parse().unwrap(), false).0,
            "network:10.20.0.0/16"
        );
        assert_eq!(
            pseudo_node("100.70.1.1".parse().unwrap(), true).0,
            "network:100.70.0.0/16"
        );
        assert_eq!(
            pseudo_node("fd00:1:2:3::9".parse().unwrap(), true).0,
            "network:fd00:1:2:3::/64"
        );
    }
}
