//! Sensor reports → the live topology: resolution across sensors, deltas,
//! protocol robustness, persistence.

use std::io::Write;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use vedette_model::wire::{
    Changes, Connection, Container, ContainerNetwork, Host, Interface, PortMapping, Process,
    Report, Transport, Visibility,
};

use crate::harness::{Caller, Db, TestConsole};

/// A registered sensor: id and token.
pub(crate) struct Sensor {
    pub(crate) id: String,
    pub(crate) caller: Caller,
}

pub(crate) async fn register(console: &TestConsole, hostname: &str) -> Sensor {
    let (status, body, _) = console
        .call(
            &Caller::Anonymous,
            Method::POST,
            "/api/v1/sensor/register",
            Some(json!({"api_key": console.api_key, "hostname": hostname, "version": "0.1.0"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Sensor {
        id: body["sensor_id"].as_str().unwrap().to_string(),
        caller: Caller::Bearer(body["token"].as_str().unwrap().to_string()),
    }
}

pub(crate) fn zstd(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

pub(crate) async fn post_raw(
    console: &TestConsole,
    sensor: &Sensor,
    body: Vec<u8>,
    encoding: &str,
) -> (StatusCode, Value) {
    let Caller::Bearer(token) = &sensor.caller else {
        unreachable!()
    };
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/sensor/report")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_ENCODING, encoding)
        .body(Body::from(body))
        .unwrap();
    let (status, body, _) = console.send(request).await;
    (status, body)
}

pub(crate) async fn send(
    console: &TestConsole,
    sensor: &Sensor,
    report: &Report,
) -> (StatusCode, Value) {
    post_raw(
        console,
        sensor,
        zstd(&serde_json::to_vec(report).unwrap()),
        "zstd",
    )
    .await
}

pub(crate) fn report(sensor: &Sensor, sequence: u64, snapshot: bool) -> Report {
    Report {
        protocol: 1,
        sensor_id: sensor.id.clone(),
        sequence,
        snapshot,
        collected_at_ms: 1,
        visibility: Visibility::Host,
        host: None,
        processes: Changes::default(),
        containers: Changes::default(),
        images: Changes::default(),
        connections: Changes::default(),
        collectors: None,
    }
}

pub(crate) fn host(name: &str, ip: &str) -> Host {
    Host {
        hostname: name.into(),
        os_id: "debian".into(),
        os_version: "12".into(),
        interfaces: vec![Interface {
            name: "eth0".into(),
            mac: None,
            addresses: vec![format!("{ip}/24")],
        }],
        ..Default::default()
    }
}

pub(crate) fn process(pid: u32, name: &str, container: Option<&str>) -> Process {
    Process {
        pid,
        ppid: 1,
        name: name.into(),
        started_at_ms: 1000,
        container_id: container.map(str::to_string),
        ..Default::default()
    }
}

fn container(id: &str, name: &str, ip: &str, pid: u32, published: Option<(u16, u16)>) -> Container {
    Container {
        id: id.into(),
        name: name.into(),
        image: "busybox:test".into(),
        image_id: "sha256:img".into(),
        state: "running".into(),
        labels: [("app".to_string(), name.trim_start_matches('/').to_string())].into(),
        ports: published
            .map(|(inside, outside)| {
                vec![PortMapping {
                    container_port: inside,
                    protocol: "tcp".into(),
                    host_ip: Some("0.0.0.0".into()),
                    host_port: Some(outside),
                }]
            })
            .unwrap_or_default(),
        networks: vec![ContainerNetwork {
            name: "bridge".into(),
            ip: Some(ip.into()),
        }],
        pid: Some(pid),
        created_at_ms: 1,
        started_at_ms: Some(2),
    }
}

pub(crate) fn listen(local: &str, pid: u32) -> Connection {
    Connection {
        transport: Transport::Tcp,
        listening: true,
        local: local.into(),
        remote: None,
        pid: Some(pid),
        netns: None,
    }
}

fn conn(local: &str, remote: &str, pid: u32) -> Connection {
    Connection {
        transport: Transport::Tcp,
        listening: false,
        local: local.into(),
        remote: Some(remote.into()),
        pid: Some(pid),
        netns: None,
    }
}

fn edges(graph: &Value) -> Vec<(String, String, u64)> {
    graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
                e["port"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Host A runs a server container (port 80, published as 8080) and a client
/// container talking to it; host B's process talks to A's published port;
/// A talks out to the internet and is reached from it.
async fn two_hosts(console: &TestConsole) -> (Sensor, Sensor) {
    let a = register(console, "host-a").await;
    let b = register(console, "host-b").await;
    let mut snapshot_a = report(&a, 1, true);
    snapshot_a.host = Some(host("host-a", "10.1.0.1"));
    snapshot_a.containers.upsert = vec![
        container("c-server", "/web", "172.17.0.2", 100, Some((80, 8080))),
        container("c-client", "/worker", "172.17.0.3", 200, None),
        container("c-idle", "/idle", "172.17.0.4", 250, None),
    ];
    snapshot_a.processes.upsert = vec![
        process(100, "httpd", Some("c-server")),
        process(200, "wget", Some("c-client")),
        process(1, "sshd", None),
    ];
    snapshot_a.connections.upsert = vec![
        listen("0.0.0.0:80", 100),
        listen("0.0.0.0:22", 1),
        conn("172.17.0.3:45000", "172.17.0.2:80", 200),
        conn("172.17.0.3:45001", "93.184.216.34:443", 200),
        conn("10.1.0.1:22", "203.0.113.5:50000", 1),
    ];
    let (status, body) = send(console, &a, &snapshot_a).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mut snapshot_b = report(&b, 7, true);
    snapshot_b.host = Some(host("host-b", "10.1.0.2"));
    snapshot_b.processes.upsert = vec![process(300, "curl", None)];
    snapshot_b.connections.upsert = vec![
        conn("10.1.0.2:5000", "10.1.0.1:8080", 300),
        conn("10.1.0.2:5001", "10.9.0.7:5432", 300),
    ];
    let (status, body) = send(console, &b, &snapshot_b).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    (a, b)
}

#[tokio::test]
async fn connections_resolve_across_sensors_into_one_graph() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let (a, b) = two_hosts(&console).await;
    let host_a = format!("host:{}", a.id);
    let host_b = format!("host:{}", b.id);

    let (status, graph, _) = console
        .call(&admin, Method::GET, "/api/v1/topology?level=hosts", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{graph}");
    let e = edges(&graph);
    assert!(
        e.contains(&(host_b.clone(), host_a.clone(), 8080)),
        "B → A on the published port: {e:?}"
    );
    assert!(
        e.contains(&(host_a.clone(), "internet:outbound".into(), 443)),
        "{e:?}"
    );
    assert!(
        e.contains(&("internet:inbound".into(), host_a.clone(), 22)),
        "inbound kept apart: {e:?}"
    );
    assert!(
        e.contains(&(host_b.clone(), "network:10.9.0.0/16".into(), 5432)),
        "private network without a sensor: {e:?}"
    );

    let (_, graph, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/topology?level=containers",
            None,
        )
        .await;
    let e = edges(&graph);
    assert!(
        e.contains(&("container:c-client".into(), "container:c-server".into(), 80)),
        "bridge traffic: {e:?}"
    );
    assert!(
        e.contains(&(host_b.clone(), "container:c-server".into(), 8080)),
        "NAT'ed published port → container: {e:?}"
    );
    let names: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["label"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"idle") && names.contains(&"web") && names.contains(&"worker"),
        "{names:?}"
    );

    let (_, graph, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/topology?level=processes",
            None,
        )
        .await;
    let e = edges(&graph);
    assert!(
        e.contains(&(
            format!("process:{}:200", a.id),
            format!("process:{}:100", a.id),
            80
        )),
        "{e:?}"
    );

    // Filters, node detail, search, sensors list.
    let (_, graph, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/topology?level=containers&label=app=web",
            None,
        )
        .await;
    assert!(
        graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "container:c-server")
    );
    assert!(
        !graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "container:c-idle")
    );
    let (status, detail, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/topology/nodes/container:c-server",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["node"]["attributes"]["pid"], 100);
    assert_eq!(detail["edges"].as_array().unwrap().len(), 2);
    let (_, found, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/topology/search?q=172.17.0.3",
            None,
        )
        .await;
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "container:c-client"),
        "{found}"
    );
    let (_, sensors, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert_eq!(sensors["total"], 2);
    assert!(
        sensors["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "online" && s["visibility"] == "host")
    );
    let (status, _, _) = console
        .call(&admin, Method::GET, "/api/v1/topology?level=galaxies", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn deltas_apply_in_order_and_anything_else_is_refused_without_damage() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let (a, b) = two_hosts(&console).await;
    let graph_of = || async {
        console
            .call(
                &admin,
                Method::GET,
                "/api/v1/topology?level=containers",
                None,
            )
            .await
            .1
    };
    let before = graph_of().await;

    // Hostile and out-of-order reports.
    let mut gap = report(&a, 3, false);
    gap.containers.remove = vec!["c-server".into()];
    let (status, body) = send(&console, &a, &gap).await;
    assert_eq!(
        (status, &body["need_snapshot"]),
        (StatusCode::CONFLICT, &json!(true)),
        "gap: {body}"
    );
    let replay = report(&a, 1, false);
    assert_eq!(
        send(&console, &a, &replay).await.0,
        StatusCode::CONFLICT,
        "replay"
    );
    let mut claim = report(&a, 2, false);
    claim.sensor_id = b.id.clone();
    let (status, body) = send(&console, &a, &claim).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another sensor's identity: {body}"
    );
    assert_eq!(
        post_raw(&console, &a, b"{not json".to_vec(), "identity")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post_raw(&console, &a, b"not zstd at all".to_vec(), "zstd")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let mut unknown = serde_json::to_value(report(&a, 2, false)).unwrap();
    unknown["is_admin"] = json!(true);
    assert_eq!(
        post_raw(&console, &a, zstd(unknown.to_string().as_bytes()), "zstd")
            .await
            .0,
        StatusCode::BAD_REQUEST
    );
    let mut future = report(&a, 2, false);
    future.protocol = 99;
    let (status, body) = send(&console, &a, &future).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body["detail"].as_str().unwrap().contains("protocol"));
    // A decompression bomb: 130 MB of spaces in a few kilobytes.
    let bomb = {
        let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 19).unwrap();
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..130 {
            encoder.write_all(&chunk).unwrap();
        }
        encoder.finish().unwrap()
    };
    assert!(bomb.len() < 64 * 1024);
    let (status, body) = post_raw(&console, &a, bomb, "zstd").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let oversized: Vec<u8> = (0..17 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(
        post_raw(&console, &a, oversized, "zstd").await.0,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        post_raw(&console, &a, b"{}".to_vec(), "br").await.0,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    assert_eq!(graph_of().await, before, "refused reports changed nothing");

    // The next delta applies: the client container goes away with its socket.
    let mut delta = report(&a, 2, false);
    delta.containers.remove = vec!["c-client".into()];
    delta.connections.remove = vec![conn("172.17.0.3:45000", "172.17.0.2:80", 200).key_for_test()];
    let (status, body) = send(&console, &a, &delta).await;
    assert_eq!(
        (status, body["accepted_sequence"].as_u64()),
        (StatusCode::ACCEPTED, Some(2))
    );
    let after = graph_of().await;
    assert!(
        !after["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == "container:c-client")
    );
    assert!(!edges(&after).contains(&(
        "container:c-client".into(),
        "container:c-server".into(),
        80
    )));

    // A restart keeps the topology and the stream: the next delta is accepted.
    let url = console.state.config.effective_database_url();
    let store = vedette_console::store::Store::open(&url).await.unwrap();
    let reloaded = vedette_console::topology::Topology::load(&store)
        .await
        .unwrap();
    let states = reloaded.snapshot().await;
    let graph = vedette_console::topology::graph::view(
        &states,
        vedette_console::topology::graph::Level::Containers,
        &Default::default(),
    );
    assert_eq!(
        serde_json::to_value(&graph).unwrap(),
        after,
        "the reloaded topology is the same"
    );
    let state_a = states.iter().find(|(id, _)| *id == a.id).unwrap();
    assert_eq!(state_a.1.last_sequence, Some(2));

    // A disabled sensor is cut off at once; an enabled one registers again.
    let (status, _, _) = console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/sensors/{}", a.id),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        send(&console, &a, &report(&a, 3, false)).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) = console
        .call(&Caller::Anonymous, Method::POST, "/api/v1/sensor/register",
              Some(json!({"api_key": console.api_key, "sensor_id": a.id, "hostname": "host-a", "version": "0.1.0"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, sensors, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert!(
        sensors["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == a.id.as_str() && s["status"] == "disabled")
    );
}

#[tokio::test]
async fn applied_reports_are_streamed_live() {
    use http_body_util::BodyExt;
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let response = console
        .open(&admin, Method::GET, "/api/v1/topology/stream")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/event-stream"
    );
    let mut body = response.into_body();
    let (a, _b) = two_hosts(&console).await;
    let mut seen = String::new();
    while !seen.contains(&a.id) {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame())
            .await
            .expect("an event within 5 s")
            .expect("stream open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(seen.contains("event: change"), "{seen}");
    assert!(seen.contains("\"snapshot\":true"), "{seen}");
}

#[tokio::test]
async fn silent_sensors_go_offline_then_leave_the_map() {
    let console = TestConsole::start_with(Db::Sqlite, |c| {
        c.sensor_retention = std::time::Duration::from_secs(3600)
    })
    .await;
    let admin = console.setup_admin("admin").await;
    let (a, _b) = two_hosts(&console).await;
    // Two minutes of silence: offline, still on the map.
    sqlx::query("UPDATE sensors SET last_seen_at = last_seen_at - 120000 WHERE id = $1")
        .bind(&a.id)
        .execute(console.store().pool())
        .await
        .unwrap();
    let (_, sensors, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert!(
        sensors["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == a.id.as_str() && s["status"] == "offline")
    );
    vedette_console::sensors::expire_stale(&console.state)
        .await
        .unwrap();
    let (_, graph, _) = console
        .call(&admin, Method::GET, "/api/v1/topology?level=hosts", None)
        .await;
    assert!(
        graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == format!("host:{}", a.id))
    );
    // Past the retention: removed from the map; its next delta asks for a snapshot.
    sqlx::query("UPDATE sensors SET last_seen_at = last_seen_at - 7200000 WHERE id = $1")
        .bind(&a.id)
        .execute(console.store().pool())
        .await
        .unwrap();
    vedette_console::sensors::expire_stale(&console.state)
        .await
        .unwrap();
    let (_, graph, _) = console
        .call(&admin, Method::GET, "/api/v1/topology?level=hosts", None)
        .await;
    assert!(
        !graph["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["id"] == format!("host:{}", a.id))
    );
    let (status, body) = send(&console, &a, &report(&a, 2, false)).await;
    assert_eq!(
        (status, &body["need_snapshot"]),
        (StatusCode::CONFLICT, &json!(true))
    );
}

trait KeyForTest {
    fn key_for_test(&self) -> String;
}

impl KeyForTest for Connection {
    fn key_for_test(&self) -> String {
        vedette_model::wire::Keyed::key(self)
    }
}

/// Ids of the nodes (or table rows) in a view or page.
fn ids(value: &Value, key: &str) -> Vec<String> {
    value[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn table_views_page_sort_and_filter_by_status() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let (a, b) = two_hosts(&console).await;
    // The idle container stops.
    let mut delta = report(&a, 2, false);
    let mut idle = container("c-idle", "/idle", "172.17.0.4", 250, None);
    idle.state = "exited".into();
    delta.containers.upsert = vec![idle];
    let (status, body) = send(&console, &a, &delta).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let get = |path: &'static str| {
        let (console, admin) = (&console, &admin);
        async move {
            let (status, body, _) = console.call(admin, Method::GET, path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            body
        }
    };

    // Status: a container's state; what the kept nodes talk to stays for context.
    let exited = ids(
        &get("/api/v1/topology?level=containers&status=exited").await,
        "nodes",
    );
    assert!(
        exited.contains(&"container:c-idle".to_string()),
        "{exited:?}"
    );
    assert!(
        !exited.contains(&"container:c-client".to_string()),
        "{exited:?}"
    );
    let running = ids(
        &get("/api/v1/topology?level=containers&status=running").await,
        "nodes",
    );
    assert!(running.contains(&"container:c-server".to_string()));
    assert!(!running.contains(&"container:c-idle".to_string()));

    // The table: paged, sorted, searchable, with status and connection counts.
    let page =
        get("/api/v1/topology/nodes?level=containers&kind=container&sort=label&limit=2").await;
    assert_eq!(page["total"], 3, "{page}");
    assert_eq!(
        ids(&page, "items"),
        ["container:c-idle", "container:c-server"],
        "idle < web < worker by label"
    );
    assert_eq!(page["items"][0]["status"], "exited");
    let page =
        get("/api/v1/topology/nodes?level=containers&kind=container&sort=label&limit=2&offset=2")
            .await;
    assert_eq!(ids(&page, "items"), ["container:c-client"]);
    let page = get("/api/v1/topology/nodes?level=containers&sort=-connections").await;
    let counts: Vec<u64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["connections"].as_u64().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    assert_eq!(counts[0], 2, "{page}");
    let page = get("/api/v1/topology/nodes?level=hosts&kind=host&status=online").await;
    let mut hosts = ids(&page, "items");
    hosts.sort();
    let mut expected = vec![format!("host:{}", a.id), format!("host:{}", b.id)];
    expected.sort();
    assert_eq!(hosts, expected);
    let page = get("/api/v1/topology/nodes?level=containers&q=172.17.0.3").await;
    assert_eq!(ids(&page, "items"), ["container:c-client"]);
    for bad in [
        "/api/v1/topology/nodes?sort=colour",
        "/api/v1/topology/nodes?limit=0",
        "/api/v1/topology/nodes?level=galaxies",
        "/api/v1/topology/nodes?shape=round",
        "/api/v1/topology?colour=red",
    ] {
        let (status, body, _) = console.call(&admin, Method::GET, bad, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    // The sensors list follows the same convention.
    let page = get("/api/v1/sensors?sort=-hostname&limit=1").await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"][0]["hostname"].as_str()
        ),
        (Some(2), Some("host-b"))
    );
    let page = get("/api/v1/sensors?q=HOST-A").await;
    assert_eq!(ids(&page, "items"), vec![a.id.clone()]);
    let page = get("/api/v1/sensors?status=offline").await;
    assert_eq!(page["total"], 0);
    let (status, _, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors?colour=red", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Issue 11: the sensors list says which collectors are active and why the
/// others are not, from what the sensor last reported; an oversized status
/// list is refused like any out-of-range field, and changes nothing.
#[tokio::test]
async fn the_sensors_list_says_why_a_collector_is_inactive() {
    use vedette_model::wire::CollectorStatus;
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let sensor = register(&console, "no-docker").await;
    let listed = |body: &Value| body["items"][0]["collectors"].clone();

    let (status, body, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(listed(&body), json!([]), "nothing reported yet");

    let mut snapshot = report(&sensor, 1, true);
    snapshot.host = Some(host("no-docker", "10.0.0.5"));
    snapshot.collectors = Some(vec![
        CollectorStatus::active("processes"),
        CollectorStatus::inactive("docker", "no Docker Engine socket at /var/run/docker.sock"),
    ]);
    let (status, body) = send(&console, &sensor, &snapshot).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (_, body, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert_eq!(
        listed(&body),
        json!([
            {"name": "processes", "active": true, "reason": null},
            {"name": "docker", "active": false,
             "reason": "no Docker Engine socket at /var/run/docker.sock"}
        ])
    );

    // A delta without statuses keeps them; one with a change replaces them.
    let (status, _) = send(&console, &sensor, &report(&sensor, 2, false)).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, body, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert_eq!(listed(&body)[1]["active"], json!(false));
    let mut docker_up = report(&sensor, 3, false);
    docker_up.collectors = Some(vec![CollectorStatus::active("docker")]);
    let (status, _) = send(&console, &sensor, &docker_up).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (_, body, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert_eq!(
        listed(&body),
        json!([{"name": "docker", "active": true, "reason": null}])
    );

    // Oversized: refused, nothing changes.
    let mut hostile = report(&sensor, 4, false);
    hostile.collectors = Some(vec![CollectorStatus::inactive("docker", "x".repeat(5000))]);
    let (status, body) = send(&console, &sensor, &hostile).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("collectors[0]"),
        "{body}"
    );
    let (_, body, _) = console
        .call(&admin, Method::GET, "/api/v1/sensors", None)
        .await;
    assert_eq!(
        listed(&body),
        json!([{"name": "docker", "active": true, "reason": null}])
    );
}
