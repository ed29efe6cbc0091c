//! The live topology end to end, against the real Docker Engine: a server
//! container, a client container holding a TCP connection to the server's
//! bridge address, an idle container and a decoy listening on the same port
//! as the server; a console process and a sensor, first as a plain process,
//! then as a host-observing container. Everything is read back through the
//! console's topology and sensors APIs, as the UI would.
//!
//! Then the console is killed and restarted under a reporting sensor: no
//! sensor is lost and the map is current again within one interval.

use std::collections::BTreeSet;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use vedette_testkit::docker::{Container, busybox, docker, inspect};
use vedette_testkit::unique_name;

use crate::process::{BIN, Console};
use crate::sensor_process::{SensorProcess, sensors};

/// The sensors' report interval in these tests.
const INTERVAL: Duration = Duration::from_secs(2);
/// The console's grace period before a silent sensor is shown offline.
const OFFLINE_AFTER: Duration = Duration::from_secs(5);
/// Slack for a loaded machine: a collection, a request, an apply.
const SLACK: Duration = Duration::from_secs(3);
/// Bound for the first full picture (registration, first collections).
const FIRST_PICTURE: Duration = Duration::from_secs(60);

/// Polls `probe` until it returns `Ok`, failing with its last `Err` after `timeout`.
async fn eventually<T>(
    what: &str,
    timeout: Duration,
    mut probe: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match probe().await {
            Ok(value) => return value,
            Err(last) => assert!(
                Instant::now() < deadline,
                "{what}: not within {timeout:?}; last seen: {last}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `GET /api/v1/{path}` as the admin, as JSON.
async fn get(console: &Console, token: &str, path: &str) -> Value {
    let response = console
        .client()
        .get(format!("{}/api/v1/{path}", console.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "GET {path}: {response:?}");
    response.json().await.unwrap()
}

fn nodes(graph: &Value) -> &[Value] {
    graph["nodes"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn edges(graph: &Value) -> &[Value] {
    graph["edges"].as_array().map(Vec::as_slice).unwrap_or(&[])
}

fn node<'a>(graph: &'a Value, id: &str) -> Option<&'a Value> {
    nodes(graph).iter().find(|n| n["id"] == id)
}

fn has_edge(graph: &Value, from: &str, to: &str, port: u16) -> bool {
    edges(graph)
        .iter()
        .any(|e| e["from"] == from && e["to"] == to && e["port"] == port && e["transport"] == "tcp")
}

/// One container of the workload, as Docker describes it.
struct Workload {
    role: &'static str,
    name: String,
    id: String,
    ip: String,
    main_pid: u32,
}

/// The containers of one test run, removed on drop.
struct Run {
    prefix: String,
    image: String,
    server: Workload,
    client: Workload,
    idle: Workload,
    decoy: Workload,
    _cleanup: Vec<Container>,
}

impl Run {
    fn all(&self) -> [&Workload; 4] {
        [&self.server, &self.client, &self.idle, &self.decoy]
    }
}

/// Starts a container labelled with this run's prefix and its role.
fn run_container(prefix: &str, image: &str, role: &'static str, command: &[&str]) -> Workload {
    let name = format!("{prefix}{role}");
    let label = format!("vedette.e2e={prefix}");
    let role_label = format!("role={role}");
    let mut args = vec![
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        &label,
        "--label",
        &role_label,
        image,
    ];
    args.extend_from_slice(command);
    let id = docker(&args);
    Workload {
        role,
        ip: inspect(&id, "{{.NetworkSettings.Networks.bridge.IPAddress}}"),
        main_pid: inspect(&id, "{{.State.Pid}}").parse().unwrap(),
        name,
        id,
    }
}

/// Server (`nc` echoing), client (one long-lived connection to the
/// server's bridge address), idle (`sleep`), decoy (another listener on
/// the same port in its own network namespace).
fn start_containers() -> Run {
    let image = busybox();
    let prefix = format!("{}-", unique_name("e2e"));
    let cleanup = ["server", "client", "idle", "decoy"]
        .iter()
        .map(|role| Container::named(format!("{prefix}{role}")))
        .collect();
    let server = run_container(
        &prefix,
        &image,
        "server",
        &[
            "/bin/busybox",
            "nc",
            "-ll",
            "-p",
            "8080",
            "-e",
            "/bin/busybox",
            "cat",
        ],
    );
    let decoy = run_container(
        &prefix,
        &image,
        "decoy",
        &["/bin/httpd", "-f", "-p", "8080"],
    );
    let idle = run_container(&prefix, &image, "idle", &["/bin/sleep", "100000"]);
    // Reconnects if the server was not listening yet.
    let loop_script = format!(
        "while true; do /bin/sleep 100000 | /bin/busybox nc {} 8080; /bin/sleep 1; done",
        server.ip
    );
    let client = run_container(&prefix, &image, "client", &["/bin/sh", "-c", &loop_script]);
    for workload in [&server, &client, &idle, &decoy] {
        assert!(
            !workload.ip.is_empty(),
            "{} has no bridge address",
            workload.name
        );
    }
    Run {
        prefix,
        image,
        server,
        client,
        idle,
        decoy,
        _cleanup: cleanup,
    }
}

/// A sensor under test: a process on the host, or a container observing it.
enum Sensor {
    Process {
        process: Option<SensorProcess>,
        dir: std::path::PathBuf,
        key: String,
        starts: u32,
    },
    Container {
        name: String,
        _cleanup: Container,
    },
}

impl Sensor {
    fn process(console: &Console, key: &str, dir: &std::path::Path) -> Sensor {
        let mut sensor = Sensor::Process {
            process: None,
            dir: dir.to_path_buf(),
            key: key.to_string(),
            starts: 0,
        };
        sensor.start(console);
        sensor
    }

    /// The sensor as a container: the host's root read-only at /host, its
    /// pid and network namespaces, the Docker socket; the binary and its
    /// libraries mounted in (the test image has no libc).
    fn container(console: &Console, key: &str, dir: &std::path::Path) -> Sensor {
        let image = busybox();
        let cleanup = Container::new("e2e-sensor");
        let name = cleanup.name().to_string();
        let state = dir.join("state");
        std::fs::create_dir_all(&state).unwrap();
        let volume = |from: &str, to: &str| format!("{from}:{to}:ro");
        let interval = format!("{}s", INTERVAL.as_secs());
        docker(&[
            "run",
            "-d",
            "--name",
            &name,
            "--pid=host",
            "--net=host",
            // `--privileged` is refused on this machine ("unable to apply
            // caps"); reading other processes' fd, exe and namespaces needs
            // only this.
            "--cap-add",
            "SYS_PTRACE",
            "-v",
            &volume("/", "/host"),
            "-v",
            "/var/run/docker.sock:/var/run/docker.sock",
            "-v",
            &volume(BIN, "/vedette"),
            "-v",
            &volume("/lib", "/lib"),
            "-v",
            &volume("/lib64", "/lib64"),
            "-v",
            &format!("{}:/state", state.display()),
            &image,
            "/vedette",
            "sensor",
            "--console-url",
            &console.url,
            "--api-key",
            key,
            "--console-fingerprint",
            &console.fingerprint,
            "--host-root",
            "/host",
            "--interval",
            &interval,
            "--state-file",
            "/state/sensor.json",
        ]);
        Sensor::Container {
            name,
            _cleanup: cleanup,
        }
    }

    /// Starts (again, with the same state file).
    fn start(&mut self, console: &Console) {
        match self {
            Sensor::Process {
                process,
                dir,
                key,
                starts,
            } => {
                *starts += 1;
                let interval = format!("{}s", INTERVAL.as_secs());
                // Visibility and Docker socket left at their defaults
                // (`auto`, /var/run/docker.sock), as an operator runs it.
                *process = Some(SensorProcess::start_with(
                    console,
                    key,
                    dir,
                    &format!("sensor-{starts}"),
                    &["--interval", &interval],
                ));
            }
            Sensor::Container { name, .. } => {
                docker(&["start", name]);
            }
        }
    }

    /// Stops it the way an operator does (SIGTERM / `docker stop`).
    fn stop(&mut self) {
        match self {
            Sensor::Process { process, .. } => {
                let mut process = process.take().expect("a running sensor");
                assert!(process.terminate().success(), "{}", process.stderr());
            }
            Sensor::Container { name, .. } => {
                docker(&["stop", "--time", "20", name]);
                let code = inspect(name, "{{.State.ExitCode}}");
                assert_eq!(code, "0", "{}", self.logs());
            }
        }
    }

    fn logs(&self) -> String {
        match self {
            Sensor::Process { process, dir, .. } => process
                .as_ref()
                .map(SensorProcess::stderr)
                .unwrap_or_else(|| format!("(stopped; logs in {})", dir.display())),
            Sensor::Container { name, .. } => {
                let output = Command::new("docker")
                    .args(["logs", "--tail", "50", name])
                    .output()
                    .unwrap();
                String::from_utf8_lossy(&output.stderr).into_owned()
            }
        }
    }
}

/// The one sensor, once online with host visibility: (id, hostname).
async fn wait_online(console: &Console, token: &str, sensor: &Sensor) -> (String, String) {
    eventually("the sensor online", FIRST_PICTURE, async || {
        let list = sensors(console, token).await;
        match list
            .iter()
            .find(|s| s["status"] == "online" && s["visibility"] == "host")
        {
            Some(s) => Ok((
                s["id"].as_str().unwrap().to_string(),
                s["hostname"].as_str().unwrap().to_string(),
            )),
            None => Err(format!("{list:?}\n{}", sensor.logs())),
        }
    })
    .await
}

/// Every container of the run on the containers view with the attributes
/// Docker gives, and the client → server edge (port 8080/tcp).
async fn assert_containers(
    console: &Console,
    token: &str,
    run: &Run,
    sensor_id: &str,
    hostname: &str,
) {
    eventually(
        "containers and the client → server edge",
        FIRST_PICTURE,
        async || {
            let graph = get(console, token, "topology?level=containers").await;
            for workload in run.all() {
                let id = format!("container:{}", workload.id);
                let node = node(&graph, &id).ok_or(format!("no {id} ({})", workload.name))?;
                let attributes = &node["attributes"];
                let ip_ok = attributes["networks"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|n| n["name"] == "bridge" && n["ip"] == workload.ip.as_str());
                let checks = [
                    ("kind", node["kind"] == "container"),
                    ("label", node["label"] == workload.name.as_str()),
                    ("sensor", node["sensor_id"] == sensor_id),
                    ("host", node["host"] == hostname),
                    ("name", attributes["name"] == workload.name.as_str()),
                    ("image", attributes["image"] == run.image.as_str()),
                    (
                        "image id",
                        attributes["image_id"]
                            .as_str()
                            .is_some_and(|i| i.starts_with("sha256:")),
                    ),
                    ("state", attributes["state"] == "running"),
                    ("ip", ip_ok),
                    ("pid", attributes["pid"] == workload.main_pid),
                    (
                        "label vedette.e2e",
                        attributes["labels"]["vedette.e2e"] == run.prefix.as_str(),
                    ),
                    ("label role", attributes["labels"]["role"] == workload.role),
                    (
                        "started",
                        attributes["started_at_ms"].as_i64().is_some_and(|t| t > 0),
                    ),
                ];
                if let Some((what, _)) = checks.iter().find(|(_, ok)| !ok) {
                    return Err(format!("{what} of {}: {node}", workload.name));
                }
            }
            let client = format!("container:{}", run.client.id);
            let server = format!("container:{}", run.server.id);
            if !has_edge(&graph, &client, &server, 8080) {
                return Err(format!(
                    "no edge {client} → {server} :8080: {:?}",
                    edges(&graph)
                ));
            }
            // One TCP connection is one connection, though both ends are seen.
            let edge = edges(&graph)
                .iter()
                .find(|e| e["from"] == client.as_str() && e["to"] == server.as_str())
                .unwrap();
            if edge["connections"] != 1 {
                return Err(format!("one connection expected: {edge}"));
            }
            for quiet in [&run.idle, &run.decoy] {
                let id = format!("container:{}", quiet.id);
                if edges(&graph)
                    .iter()
                    .any(|e| e["from"] == id.as_str() || e["to"] == id.as_str())
                {
                    return Err(format!("{} has edges: {:?}", quiet.name, edges(&graph)));
                }
            }
            Ok(())
        },
    )
    .await;

    // The label filter finds exactly this run's containers.
    let filtered = get(
        console,
        token,
        &format!(
            "topology?level=containers&label=vedette.e2e%3D{}",
            run.prefix
        ),
    )
    .await;
    let found: BTreeSet<&str> = nodes(&filtered)
        .iter()
        .filter_map(|n| n["id"].as_str())
        .collect();
    let expected: BTreeSet<String> = run
        .all()
        .iter()
        .map(|w| format!("container:{}", w.id))
        .collect();
    assert_eq!(
        found,
        expected.iter().map(String::as_str).collect(),
        "label filter"
    );

    // Node detail: the server's edge and its neighbour, the client.
    let server = format!("container:{}", run.server.id);
    let detail = get(console, token, &format!("topology/nodes/{server}")).await;
    assert_eq!(detail["node"]["id"], server.as_str());
    assert!(
        detail["edges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["from"] == format!("container:{}", run.client.id) && e["port"] == 8080),
        "{detail}"
    );
    assert!(
        detail["neighbours"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["label"] == run.client.name.as_str()),
        "{detail}"
    );

    // Search by address finds the server.
    let found = get(
        console,
        token,
        &format!("topology/search?q={}", run.server.ip),
    )
    .await;
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == server.as_str()),
        "search {}: {found}",
        run.server.ip
    );
}

/// The containers' processes under them, and the process-level edge from
/// the client's `nc` to the server's listening `nc` (not the decoy's).
async fn assert_processes(console: &Console, token: &str, run: &Run, sensor_id: &str) {
    eventually(
        "processes under their containers",
        FIRST_PICTURE,
        async || {
            let graph = get(
                console,
                token,
                &format!("topology?level=processes&host={sensor_id}"),
            )
            .await;
            for workload in run.all() {
                let id = format!("process:{sensor_id}:{}", workload.main_pid);
                let node = node(&graph, &id)
                    .ok_or(format!("no main process {id} of {}", workload.name))?;
                if node["attributes"]["container_id"] != workload.id.as_str() {
                    return Err(format!("{} not under {}: {node}", id, workload.name));
                }
            }
            let in_container = |workload: &Workload| -> Vec<&Value> {
                nodes(&graph)
                    .iter()
                    .filter(|n| n["attributes"]["container_id"] == workload.id.as_str())
                    .collect()
            };
            let client_nc = in_container(&run.client)
                .into_iter()
                .find(|n| {
                    let cmdline = n["attributes"]["cmdline"].to_string();
                    cmdline.contains("\"nc\"") && cmdline.contains(&run.server.ip)
                })
                .ok_or(format!(
                    "no nc in the client: {:?}",
                    in_container(&run.client)
                ))?;
            let server_main = format!("process:{sensor_id}:{}", run.server.main_pid);
            let cmdline = node(&graph, &server_main).unwrap()["attributes"]["cmdline"].clone();
            if cmdline
                != serde_json::json!([
                    "/bin/busybox",
                    "nc",
                    "-ll",
                    "-p",
                    "8080",
                    "-e",
                    "/bin/busybox",
                    "cat"
                ])
            {
                return Err(format!("server command line: {cmdline}"));
            }
            let from = client_nc["id"].as_str().unwrap();
            if !has_edge(&graph, from, &server_main, 8080) {
                return Err(format!(
                    "no edge {from} → {server_main} :8080: {:?}",
                    edges(&graph)
                        .iter()
                        .filter(|e| e["from"] == from)
                        .collect::<Vec<_>>()
                ));
            }
            Ok(())
        },
    )
    .await;
}

/// TCP connections of the host's network namespace to public addresses
/// that are not answers to a local listener: (local, remote).
fn host_outbound_public() -> BTreeSet<(String, String)> {
    let table = |file: &str| std::fs::read_to_string(file).unwrap_or_default();
    let parse = |hex: &str| -> Option<std::net::SocketAddr> {
        let (ip, port) = hex.split_once(':')?;
        let port = u16::from_str_radix(port, 16).ok()?;
        let ip = match ip.len() {
            8 => std::net::IpAddr::V4(u32::from_str_radix(ip, 16).ok()?.swap_bytes().into()),
            32 => {
                let mut bytes = [0u8; 16];
                for (i, chunk) in bytes.chunks_mut(4).enumerate() {
                    let word = u32::from_str_radix(&ip[i * 8..i * 8 + 8], 16).ok()?;
                    chunk.copy_from_slice(&word.to_le_bytes());
                }
                std::net::IpAddr::V6(bytes.into()).to_canonical()
            }
            _ => return None,
        };
        Some(std::net::SocketAddr::new(ip, port))
    };
    let public = |ip: std::net::IpAddr| match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || (a == 100 && (64..128).contains(&b)))
        }
        std::net::IpAddr::V6(v6) => {
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_unique_local()
                || v6.is_unicast_link_local())
        }
    };
    let mut listening = BTreeSet::new();
    let mut connected = Vec::new();
    for file in ["/proc/1/net/tcp", "/proc/1/net/tcp6"] {
        for line in table(file).lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(remote), Some(state)) = (
                fields.get(1).and_then(|f| parse(f)),
                fields.get(2).and_then(|f| parse(f)),
                fields.get(3),
            ) else {
                continue;
            };
            match *state {
                "0A" => {
                    listening.insert(local.port());
                }
                "01" => connected.push((local, remote)),
                _ => {}
            }
        }
    }
    connected
        .into_iter()
        .filter(|(local, remote)| public(remote.ip()) && !listening.contains(&local.port()))
        .map(|(local, remote)| (local.to_string(), remote.to_string()))
        .collect()
}

/// If the host holds a lasting connection to a public address, the hosts
/// view has its edge to the outbound internet (never to the inbound one).
async fn assert_internet_edges(console: &Console, token: &str, sensor_id: &str) {
    let before = host_outbound_public();
    let host = format!("host:{sensor_id}");
    let deadline = Instant::now() + INTERVAL * 3 + SLACK;
    loop {
        let graph = get(console, token, "topology?level=hosts").await;
        let outbound = edges(&graph)
            .iter()
            .any(|e| e["from"] == host.as_str() && e["to"] == "internet:outbound");
        let lasting: BTreeSet<_> = before
            .intersection(&host_outbound_public())
            .cloned()
            .collect();
        if outbound || lasting.is_empty() {
            if outbound {
                assert_eq!(
                    node(&graph, "internet:outbound").unwrap()["kind"],
                    "internet"
                );
            }
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the host holds connections to the internet {lasting:?} but the map has no outbound edge: {:?}",
            edges(&graph)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The whole story with one kind of sensor.
async fn the_map_follows_the_host(as_container: bool) {
    let run = start_containers();
    let dir = tempfile::tempdir().unwrap();
    let offline_after = format!("{}s", OFFLINE_AFTER.as_secs());
    let console = Console::start(
        &dir.path().join("data"),
        &["--sensor-offline-after", &offline_after],
    );
    let token = console.admin_token().await;
    let key = console.api_key.clone().expect("API key in the banner");
    let mut sensor = if as_container {
        Sensor::container(&console, &key, dir.path())
    } else {
        Sensor::process(&console, &key, dir.path())
    };
    let (sensor_id, hostname) = wait_online(&console, &token, &sensor).await;
    let expected_hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(hostname, expected_hostname.trim());

    assert_containers(&console, &token, &run, &sensor_id, &hostname).await;
    assert_processes(&console, &token, &run, &sensor_id).await;
    assert_internet_edges(&console, &token, &sensor_id).await;

    // A removed container leaves the map with the next report.
    docker(&["rm", "-f", &run.idle.name]);
    let removed = Instant::now();
    let idle = format!("container:{}", run.idle.id);
    let idle_process = format!("process:{sensor_id}:{}", run.idle.main_pid);
    eventually("the removed container gone", INTERVAL + SLACK, async || {
        let containers = get(&console, &token, "topology?level=containers").await;
        let processes = get(&console, &token, "topology?level=processes").await;
        match (node(&containers, &idle), node(&processes, &idle_process)) {
            (None, None) => Ok(()),
            (container, process) => Err(format!("{container:?} {process:?}")),
        }
    })
    .await;
    eprintln!("removed container gone after {:?}", removed.elapsed());
    let containers = get(&console, &token, "topology?level=containers").await;
    assert!(node(&containers, &format!("container:{}", run.server.id)).is_some());

    // Stopped: online through the grace period, offline after it, still on the map.
    sensor.stop();
    let stopped = Instant::now();
    let status = async || {
        sensors(&console, &token).await[0]["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // One missed report is no reason to flap.
    assert_eq!(status().await, "online");
    eventually(
        "the sensor offline",
        OFFLINE_AFTER + INTERVAL + SLACK,
        async || match status().await.as_str() {
            "offline" => Ok(()),
            other => Err(other.to_string()),
        },
    )
    .await;
    let offline_in = stopped.elapsed();
    eprintln!("offline {offline_in:?} after the sensor stopped");
    assert!(
        offline_in + INTERVAL >= OFFLINE_AFTER,
        "offline after {offline_in:?}, before the {OFFLINE_AFTER:?} grace period"
    );
    let hosts = get(&console, &token, "topology?level=hosts").await;
    assert!(
        node(&hosts, &format!("host:{sensor_id}")).is_some(),
        "kept until retention"
    );

    // Restarted: the same sensor and host, no duplicate.
    sensor.start(&console);
    let (again, _) = wait_online(&console, &token, &sensor).await;
    assert_eq!(again, sensor_id, "the same sensor id after a restart");
    assert_eq!(
        sensors(&console, &token).await.len(),
        1,
        "no duplicate sensor"
    );
    eventually("one host, current again", FIRST_PICTURE, async || {
        let hosts = get(&console, &token, "topology?level=hosts").await;
        let host_nodes: Vec<&Value> = nodes(&hosts)
            .iter()
            .filter(|n| n["kind"] == "host")
            .collect();
        if host_nodes.len() != 1 || host_nodes[0]["id"] != format!("host:{sensor_id}") {
            return Err(format!("hosts: {host_nodes:?}"));
        }
        let containers = get(&console, &token, "topology?level=containers").await;
        match node(&containers, &format!("container:{}", run.client.id)) {
            Some(_) => Ok(()),
            None => Err("client container missing after the restart".into()),
        }
    })
    .await;
    let containers = get(&console, &token, "topology?level=containers").await;
    assert!(node(&containers, &idle).is_none(), "{idle} came back");
}

#[tokio::test]
async fn a_host_sensor_process_maps_containers_processes_and_connections() {
    the_map_follows_the_host(false).await;
}

#[tokio::test]
async fn a_host_observing_sensor_container_maps_containers_processes_and_connections() {
    the_map_follows_the_host(true).await;
}

#[tokio::test]
async fn a_console_restart_loses_no_sensor_and_the_map_is_back_within_an_interval() {
    let image = busybox();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Port 0 the first time; the restart reuses the port the OS gave.
    let console = Console::start(&data, &[]);
    let listen = console
        .url
        .strip_prefix("https://")
        .expect("https URL")
        .trim_end_matches('/')
        .to_string();
    let token = console.admin_token().await;
    let key = console.api_key.clone().expect("API key in the banner");
    let mut sensor = Sensor::process(&console, &key, dir.path());
    let (sensor_id, _) = wait_online(&console, &token, &sensor).await;
    let (before, during) = (Container::new("e2e-before"), Container::new("e2e-during"));
    let before_id = docker(&[
        "run",
        "-d",
        "--name",
        before.name(),
        &image,
        "/bin/sleep",
        "100000",
    ]);
    let has_container = async |console: &Console, id: &str| {
        node(
            &get(console, &token, "topology?level=containers").await,
            &format!("container:{id}"),
        )
        .is_some()
    };
    eventually(
        "the first container on the map",
        FIRST_PICTURE,
        async || match has_container(&console, &before_id).await {
            true => Ok(()),
            false => Err(sensor.logs()),
        },
    )
    .await;
    let fingerprint = console.fingerprint.clone();
    let url = console.url.clone();

    // Killed (no graceful shutdown) while the sensor reports; a container
    // starts while the console is down.
    console.signal(nix::sys::signal::Signal::SIGKILL);
    let mut console = console;
    console.wait(Duration::from_secs(10));
    drop(console);
    let during_id = docker(&[
        "run",
        "-d",
        "--name",
        during.name(),
        &image,
        "/bin/sleep",
        "100000",
    ]);
    tokio::time::sleep(INTERVAL * 2).await;

    let console = Console::start_on(&data, &listen, &[]);
    let up = Instant::now();
    assert_eq!(
        (console.url.as_str(), console.fingerprint.as_str()),
        (url.as_str(), fingerprint.as_str())
    );
    // The stored map is served at once, before any new report.
    assert!(
        has_container(&console, &before_id).await,
        "the map survived the restart"
    );
    let list = sensors(&console, &token).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["id"], sensor_id.as_str(), "the same sensor");
    // The sensor comes back by itself and brings what changed meanwhile.
    eventually(
        "the map current again",
        INTERVAL + SLACK,
        async || match has_container(&console, &during_id).await {
            true => Ok(()),
            false => Err(sensor.logs()),
        },
    )
    .await;
    eprintln!("map current {:?} after the console was up", up.elapsed());
    let list = sensors(&console, &token).await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["status"], "online");
    assert!(
        !sensor.logs().contains("ERROR"),
        "the sensor recovered without errors: {}",
        sensor.logs()
    );
    sensor.stop();
}
