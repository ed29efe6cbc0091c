//! Issue 12: what hostile sensors can make the console hold. Per-sensor
//! limits and the fleet budget, concurrent decompression bombs within a
//! byte budget, and integers out of range: each refusal names what it
//! refused and changes nothing.

use std::io::Write;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use tower::ServiceExt;
use vedette_console::topology::limits::Limits;
use vedette_model::wire::{Image, MAX_SEQUENCE, Report};

use crate::harness::{Caller, Db, TestConsole};
use crate::topology::{Sensor, host, listen, post_raw, process, register, report, send};

/// What the console holds for a sensor: in memory (processes, sockets,
/// accounted bytes, last sequence) and in the store (report rows, last
/// sequence).
#[derive(Debug, PartialEq)]
struct Held {
    processes: usize,
    connections: usize,
    bytes: usize,
    last_sequence: Option<u64>,
    stored_reports: i64,
    stored_sequence: i64,
}

async fn held(console: &TestConsole, sensor: &Sensor) -> Held {
    let states = console.state.topology.snapshot().await;
    let state = &states.iter().find(|(id, _)| *id == sensor.id).unwrap().1;
    let stored_reports: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM topology_reports WHERE sensor_id = $1")
            .bind(&sensor.id)
            .fetch_one(console.store().pool())
            .await
            .unwrap();
    let stored_sequence: i64 =
        sqlx::query_scalar("SELECT last_sequence FROM sensor_streams WHERE sensor_id = $1")
            .bind(&sensor.id)
            .fetch_one(console.store().pool())
            .await
            .unwrap();
    Held {
        processes: state.processes.len(),
        connections: state.connections.len(),
        bytes: state.bytes,
        last_sequence: state.last_sequence,
        stored_reports,
        stored_sequence,
    }
}

async fn metrics(console: &TestConsole) -> String {
    vedette_console::metrics::render_text(&console.state)
        .await
        .expect("a metrics recorder")
}

/// The value of an unlabelled gauge in Prometheus text.
fn gauge(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} is not in /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

fn snapshot(sensor: &Sensor, processes: u32) -> Report {
    let mut snapshot = report(sensor, 1, true);
    snapshot.host = Some(host("h1", "10.0.0.1"));
    snapshot.processes.upsert = (1..=processes)
        .map(|pid| process(pid, "nginx", None))
        .collect();
    snapshot.connections.upsert = vec![listen("0.0.0.0:80", 1)];
    snapshot
}

#[tokio::test]
async fn i12_a_sensor_growing_beyond_a_limit_is_refused_naming_it_and_nothing_changes() {
    let console = TestConsole::start_with(Db::Sqlite, |config| {
        config.topology_limits = Limits {
            max_processes: 5,
            max_item_bytes: 4096,
            ..Limits::default()
        };
    })
    .await;
    let sensor = register(&console, "h1").await;
    let (status, body) = send(&console, &sensor, &snapshot(&sensor, 3)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let before = held(&console, &sensor).await;
    assert_eq!(before.processes, 3);
    assert!(before.bytes > 0);

    // A delta adding three processes: six, over five.
    let mut grow = report(&sensor, 2, false);
    grow.processes.upsert = (10..13).map(|pid| process(pid, "worker", None)).collect();
    grow.connections.upsert = vec![listen("0.0.0.0:81", 10)];
    let (status, body) = send(&console, &sensor, &grow).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["limit"], "max_processes", "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("max_processes"),
        "{body}"
    );
    assert_eq!(held(&console, &sensor).await, before, "nothing was applied");

    // One item with more bytes of strings than allowed.
    let mut long = report(&sensor, 2, false);
    let mut huge = process(20, "x", None);
    huge.cmdline = vec!["y".repeat(8192)];
    long.processes.upsert = vec![huge];
    let (status, body) = send(&console, &sensor, &long).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["limit"], "max_item_bytes", "{body}");
    // A snapshot is bound by the same limits.
    let (status, body) = send(&console, &sensor, &snapshot(&sensor, 6)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["limit"], "max_processes", "{body}");
    assert_eq!(held(&console, &sensor).await, before, "nothing was applied");

    // The stream is intact: the next delta within the limits is accepted.
    grow.processes.upsert.truncate(2);
    let (status, body) = send(&console, &sensor, &grow).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let after = held(&console, &sensor).await;
    assert_eq!((after.processes, after.last_sequence), (5, Some(2)));
    assert!(after.bytes > before.bytes);

    // The fleet's state and budget are in /metrics.
    let text = metrics(&console).await;
    assert_eq!(
        gauge(&text, "vedette_topology_state_bytes"),
        console.state.topology.fleet.held() as f64
    );
    assert_eq!(
        console.state.topology.fleet.held(),
        after.bytes,
        "the fleet total is the sum of its sensors"
    );
    assert_eq!(
        gauge(&text, "vedette_topology_state_budget_bytes"),
        Limits::default().fleet_budget_bytes as f64
    );
}

#[tokio::test]
async fn i12_the_fleet_budget_refuses_growth_with_retry_after_and_frees_on_removal() {
    // Room for one sensor of 20 processes, not for one of 80.
    let console = TestConsole::start_with(Db::Sqlite, |config| {
        config.topology_limits.fleet_budget_bytes = 12_000;
    })
    .await;
    let first = register(&console, "h1").await;
    let second = register(&console, "h2").await;
    let (status, body) = send(&console, &first, &snapshot(&first, 20)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let held_by_first = console.state.topology.fleet.held();
    assert!((3_000..8_000).contains(&held_by_first), "{held_by_first}");

    let Caller::Bearer(token) = &second.caller else {
        unreachable!()
    };
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/sensor/report")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            serde_json::to_vec(&snapshot(&second, 80)).unwrap(),
        ))
        .unwrap();
    let (status, body, headers) = console.send(request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["limit"], "fleet_budget_bytes", "{body}");
    assert!(headers.contains_key(header::RETRY_AFTER));
    assert_eq!(console.state.topology.fleet.held(), held_by_first);
    let states = console.state.topology.snapshot().await;
    assert!(
        states
            .iter()
            .all(|(id, state)| *id != second.id || state.last_sequence.is_none()),
        "nothing of the refused snapshot was applied"
    );

    // Shrinking is always allowed, and a removed sensor frees its share.
    let (status, body) = send(&console, &first, &snapshot(&first, 2)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert!(console.state.topology.fleet.held() < held_by_first);
    console.state.topology.forget(&first.id).await;
    assert_eq!(console.state.topology.fleet.held(), 0);
    let (status, body) = send(&console, &second, &snapshot(&second, 20)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

/// A report that inflates to `size` bytes: valid JSON up to the end, padded
/// with whitespace, compressed as a stream (no declared size).
fn bomb(sensor: &Sensor, size: usize) -> Vec<u8> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
    let chunk = vec![b' '; 1024 * 1024];
    for _ in 0..size / chunk.len() {
        encoder.write_all(&chunk).unwrap();
    }
    encoder
        .write_all(&serde_json::to_vec(&report(sensor, 1, true)).unwrap())
        .unwrap();
    encoder.finish().unwrap()
}

const MIB: usize = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn i12_concurrent_decompression_bombs_stay_within_the_decode_budget() {
    // Each bomb would need more than the whole budget: every one is refused
    // with 429, however many arrive at once, and memory stays in budget.
    let console = TestConsole::start_with(Db::Sqlite, |config| {
        config.topology_limits.max_report_bytes = 8 * MIB;
        config.topology_limits.decode_budget_bytes = 4 * MIB;
    })
    .await;
    let sensor = register(&console, "h1").await;
    let body = bomb(&sensor, 95 * MIB);
    assert!(body.len() < 64 * 1024, "a bomb: {} bytes", body.len());
    let Caller::Bearer(token) = &sensor.caller else {
        unreachable!()
    };
    let mut tasks = Vec::new();
    for _ in 0..30 {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/sensor/report")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_ENCODING, "zstd")
            .body(Body::from(body.clone()))
            .unwrap();
        tasks.push(tokio::spawn(console.app.clone().oneshot(request)));
    }
    for task in tasks {
        let response = task.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(response.headers().contains_key(header::RETRY_AFTER));
    }
    let decoding = &console.state.topology.decoding;
    assert!(decoding.peak() > 0);
    assert!(
        decoding.peak() <= 4 * MIB,
        "peak {} over the budget",
        decoding.peak()
    );
    assert_eq!(decoding.reserved(), 0, "every reservation was released");
    let text = metrics(&console).await;
    assert_eq!(
        gauge(&text, "vedette_report_decode_budget_bytes"),
        (4 * MIB) as f64
    );
    assert!(gauge(&text, "vedette_report_decode_reserved_peak_bytes") <= (4 * MIB) as f64);
    assert_eq!(gauge(&text, "vedette_report_decode_reserved_bytes"), 0.0);
    // Nothing was applied, and an honest report still fits.
    assert!(console.state.topology.snapshot().await.is_empty());
    let (status, body) = send(&console, &sensor, &snapshot(&sensor, 3)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
}

#[tokio::test]
async fn i12_a_bomb_stops_at_the_per_report_bound() {
    let console = TestConsole::start_with(Db::Sqlite, |config| {
        config.topology_limits.max_report_bytes = MIB;
    })
    .await;
    let sensor = register(&console, "h1").await;
    // Streamed (no declared size): decompressed up to the bound, then 413.
    let (status, body) = post_raw(&console, &sensor, bomb(&sensor, 8 * MIB), "zstd").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["limit"], "max_report_bytes", "{body}");
    let peak = console.state.topology.decoding.peak();
    assert!(peak <= 4 * MIB, "peak {peak}");
    // A declared size over the bound is refused before decompressing.
    let json = format!("{}{}", " ".repeat(8 * MIB), "{}");
    let declared = zstd::bulk::compress(json.as_bytes(), 3).unwrap();
    let (status, body) = post_raw(&console, &sensor, declared, "zstd").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(console.state.topology.decoding.peak(), peak);
    // Uncompressed bodies too.
    let (status, _) = post_raw(&console, &sensor, vec![b' '; MIB + 1], "identity").await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(console.state.topology.decoding.reserved(), 0);
}

#[tokio::test]
async fn i12_integers_out_of_range_are_refused_and_a_snapshot_recovers() {
    let console = TestConsole::start(Db::Sqlite).await;
    let sensor = register(&console, "h1").await;
    let (status, body) = send(&console, &sensor, &snapshot(&sensor, 3)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let mut delta = report(&sensor, 2, false);
    delta.processes.upsert = vec![process(50, "new", None)];
    let (status, body) = send(&console, &sensor, &delta).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let before = held(&console, &sensor).await;

    // A snapshot (any sequence is allowed for one) numbered 2^63 and more.
    for sequence in [MAX_SEQUENCE + 1, u64::MAX] {
        let huge = snapshot(&sensor, 1);
        let huge = Report { sequence, ..huge };
        let (status, body) = send(&console, &sensor, &huge).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "sequence", "{body}");
        assert_eq!(held(&console, &sensor).await, before, "nothing changed");
    }
    // Other integers the console stores or converts.
    let mut cases: Vec<(Report, &str)> = Vec::new();
    let mut r = report(&sensor, 3, false);
    r.collected_at_ms = i64::MIN;
    cases.push((r, "collected_at_ms"));
    let mut r = report(&sensor, 3, false);
    let mut p = process(60, "p", None);
    p.started_at_ms = -5;
    r.processes.upsert = vec![p];
    cases.push((r, "processes.upsert[0].started_at_ms"));
    let mut r = report(&sensor, 3, false);
    r.images.upsert = vec![Image {
        id: "sha256:i".into(),
        size_bytes: u64::MAX,
        ..Default::default()
    }];
    cases.push((r, "images.upsert[0].size_bytes"));
    let mut r = report(&sensor, 3, false);
    let mut h = host("h1", "10.0.0.1");
    h.memory_total_bytes = u64::MAX;
    r.host = Some(h);
    cases.push((r, "host.memory_total_bytes"));
    for (case, field) in cases {
        let (status, body) = send(&console, &sensor, &case).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert_eq!(body["field"], field, "{body}");
        assert_eq!(held(&console, &sensor).await, before, "nothing changed");
    }
    // Integers beyond their type are refused when decoding (pid > u32).
    let json = serde_json::to_string(&report(&sensor, 3, false))
        .unwrap()
        .replace(
            "\"processes\":{\"upsert\":[]",
            "\"processes\":{\"upsert\":[{\"pid\":4294967296}]",
        );
    assert!(json.contains("4294967296"));
    let (status, body) = post_raw(
        &console,
        &sensor,
        crate::topology::zstd(json.as_bytes()),
        "zstd",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(held(&console, &sensor).await, before, "nothing changed");

    // The stream goes on, and a snapshot renumbered from 1 (what the sensor
    // sends after such a refusal) is accepted, followed by its deltas.
    let (status, body) = send(&console, &sensor, &report(&sensor, 3, false)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = send(&console, &sensor, &snapshot(&sensor, 2)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let (status, body) = send(&console, &sensor, &report(&sensor, 2, false)).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let after = held(&console, &sensor).await;
    assert_eq!((after.processes, after.last_sequence), (2, Some(2)));
    assert_eq!(after.stored_sequence, 2);

    // The largest sequence is stored as is; the next one is out of range.
    let top = Report {
        sequence: MAX_SEQUENCE,
        ..snapshot(&sensor, 1)
    };
    let (status, body) = send(&console, &sensor, &top).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(
        held(&console, &sensor).await.stored_sequence,
        i64::MAX,
        "stored without loss"
    );
    let (status, body) = send(&console, &sensor, &report(&sensor, MAX_SEQUENCE + 1, false)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
