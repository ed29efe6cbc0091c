//! Issue 12: topology reads are bounded (shared views, build slots, a node
//! budget, per-user rates) and live streams end on revocation.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use vedette_console::Config;
use vedette_model::wire::{Host, Process};

use crate::harness::{Caller, Db, TestConsole};
use crate::topology::{register, report, send};

/// Registers a sensor for `hostname` and sends a snapshot with `processes` processes.
async fn sensor_with_processes(console: &TestConsole, hostname: &str, processes: u32) -> String {
    let sensor = register(console, hostname).await;
    let mut snapshot = report(&sensor, 1, true);
    snapshot.host = Some(Host {
        hostname: hostname.into(),
        ..Default::default()
    });
    snapshot.processes.upsert = (1..=processes)
        .map(|pid| Process {
            pid,
            name: format!("worker-{pid}"),
            ..Default::default()
        })
        .collect();
    let (status, body) = send(console, &sensor, &snapshot).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    sensor.id
}

async fn console_with(tweak: impl FnOnce(&mut Config)) -> (TestConsole, Caller) {
    let console = TestConsole::start_with(Db::Sqlite, tweak).await;
    let admin = console.setup_admin("admin").await;
    (console, admin)
}

#[tokio::test]
async fn concurrent_identical_heavy_reads_build_the_view_once() {
    let (console, admin) = console_with(|_| {}).await;
    sensor_with_processes(&console, "node-a", 300).await;
    sensor_with_processes(&console, "node-b", 300).await;
    let reader = console.invite_user(&admin, "reader", "read_only").await;
    let before = console.state.views.builds();
    let reads = (0..30).map(|_| {
        console.call(
            &reader,
            Method::GET,
            "/api/v1/topology?level=processes",
            None,
        )
    });
    let answers = futures_util::future::join_all(reads).await;
    for (status, body, _) in &answers {
        assert_eq!(*status, StatusCode::OK, "{body}");
        assert_eq!(body["nodes"].as_array().unwrap().len(), 600);
    }
    assert_eq!(
        console.state.views.builds() - before,
        1,
        "one build for 30 reads"
    );
    assert_eq!(
        console.state.views.serializations(),
        1,
        "one body for 30 reads"
    );
    // The table pages from the same shared view: no further build.
    let (status, page, _) = console
        .call(
            &reader,
            Method::GET,
            "/api/v1/topology/nodes?level=processes&limit=10&offset=20",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 600);
    assert_eq!(page["items"].as_array().unwrap().len(), 10);
    assert_eq!(console.state.views.builds() - before, 1);
    // A new report is seen by the next read (the view is rebuilt once).
    sensor_with_processes(&console, "node-c", 5).await;
    let (status, graph, _) = console
        .call(
            &reader,
            Method::GET,
            "/api/v1/topology?level=processes",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(graph["nodes"].as_array().unwrap().len(), 605);
    assert_eq!(console.state.views.builds() - before, 2);
}

#[tokio::test]
async fn reads_over_the_build_slots_get_429_with_retry_after() {
    let (console, admin) = console_with(|c| {
        c.topology_concurrent_builds = 1;
        c.topology_build_wait = Duration::from_millis(200);
    })
    .await;
    sensor_with_processes(&console, "node-a", 10).await;
    // Every build slot is taken (as by a long build).
    let held = console.state.views.build_slot().await.unwrap();
    let (status, body, headers) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/topology?level=processes",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.get(header::RETRY_AFTER).is_some());
    assert!(body["detail"].as_str().unwrap().contains("busy"), "{body}");
    drop(held);
    let (status, _, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/topology?level=processes",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_read_only_user_over_the_rate_limit_gets_429() {
    let (console, admin) = console_with(|c| c.topology_reads_per_minute = 3).await;
    sensor_with_processes(&console, "node-a", 3).await;
    let reader = console.invite_user(&admin, "reader", "read_only").await;
    for path in [
        "/api/v1/topology",
        "/api/v1/topology/nodes",
        "/api/v1/topology/search?q=worker",
    ] {
        let (status, body, _) = console.call(&reader, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
    let (status, body, headers) = console
        .call(&reader, Method::GET, "/api/v1/topology", None)
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let wait: u64 = headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait));
    // Limits are per user.
    let (status, _, _) = console
        .call(&admin, Method::GET, "/api/v1/topology", None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn unfiltered_views_over_the_node_budget_are_refused_filtered_ones_work() {
    let (console, admin) = console_with(|c| c.topology_node_budget = 100).await;
    let a = sensor_with_processes(&console, "node-a", 60).await;
    sensor_with_processes(&console, "node-b", 60).await;
    let reader = console.invite_user(&admin, "reader", "read_only").await;
    let builds = console.state.views.builds();
    for path in [
        "/api/v1/topology?level=processes",
        "/api/v1/topology/nodes?level=processes",
    ] {
        let (status, body, headers) = console.call(&reader, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
        let detail = body["detail"].as_str().unwrap();
        assert!(detail.contains("120 nodes"), "{detail}");
        assert!(detail.contains("host="), "{detail}");
        assert!(detail.contains("/api/v1/topology/nodes"), "{detail}");
    }
    assert_eq!(
        console.state.views.builds(),
        builds,
        "refused before building"
    );
    // Per host, by name or by sensor id, the view is within the budget.
    for path in [
        "/api/v1/topology?level=processes&host=node-a".to_string(),
        format!("/api/v1/topology?level=processes&host={a}"),
    ] {
        let (status, body, _) = console.call(&reader, Method::GET, &path, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["nodes"].as_array().unwrap().len(), 60);
    }
    let (status, page, _) = console
        .call(
            &reader,
            Method::GET,
            "/api/v1/topology/nodes?level=processes&host=node-a&limit=5",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 60);
    // An empty filter is no filter; a filter matching everything is refused too.
    for path in [
        "/api/v1/topology?level=processes&host=",
        "/api/v1/topology?level=processes&name=worker",
    ] {
        let (status, body, _) = console.call(&reader, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {body}");
    }
    // The small levels and search still answer.
    let (status, _, _) = console
        .call(&reader, Method::GET, "/api/v1/topology?level=hosts", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, found, _) = console
        .call(
            &reader,
            Method::GET,
            "/api/v1/topology/search?q=worker-7",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(
        found
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["label"] == "worker-7 (7)"),
        "{found}"
    );
    let (status, node, _) = console
        .call(
            &reader,
            Method::GET,
            &format!("/api/v1/topology/nodes/process:{a}:7"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{node}");
}

/// Reads a stream until it ends; returns what it sent. Fails after `within`.
async fn read_until_end(body: Body, within: Duration) -> String {
    let mut body = body;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .unwrap_or_else(|_| panic!("the stream is still open after {within:?}: {seen}"));
        match frame {
            None => return seen,
            Some(frame) => {
                if let Ok(data) = frame.unwrap().into_data() {
                    seen.push_str(&String::from_utf8_lossy(&data));
                }
            }
        }
    }
}

async fn open_stream(console: &TestConsole, caller: &Caller) -> Body {
    let response = console
        .open(caller, Method::GET, "/api/v1/topology/stream")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.into_body()
}

/// The console used by the stream tests: credentials re-checked every 200 ms.
async fn stream_console() -> (TestConsole, Caller) {
    console_with(|c| c.topology_stream_recheck = Duration::from_millis(200)).await
}

/// A stream stays open while its caller is valid.
async fn assert_open(body: &mut Body) {
    let still = tokio::time::timeout(Duration::from_millis(700), async {
        loop {
            match body.frame().await {
                None => return false,
                Some(_) => continue,
            }
        }
    })
    .await;
    assert!(
        still.is_err(),
        "the stream ended while its caller was valid"
    );
}

#[tokio::test]
async fn a_stream_ends_after_logout() {
    let (console, admin) = stream_console().await;
    let reader = console.invite_user(&admin, "reader", "read_only").await;
    let mut body = open_stream(&console, &reader).await;
    assert_open(&mut body).await;
    let (status, _, _) = console
        .call(&reader, Method::POST, "/api/v1/auth/logout", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let seen = read_until_end(body, Duration::from_secs(3)).await;
    assert!(seen.contains("event: end"), "{seen}");
    assert!(seen.contains("session ended"), "{seen}");
}

async fn user_id(console: &TestConsole, admin: &Caller, username: &str) -> String {
    let (_, users, _) = console
        .call(admin, Method::GET, "/api/v1/users", None)
        .await;
    users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == username)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_stream_ends_after_an_admin_ends_the_session() {
    let (console, admin) = stream_console().await;
    let reader = console.invite_user(&admin, "reader", "read_only").await;
    let id = user_id(&console, &admin, "reader").await;
    let body = open_stream(&console, &reader).await;
    // A password reset issued by an admin ends the user's sessions.
    let (status, reset, _) = console
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/users/{id}/password-reset"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reset}");
    let seen = read_until_end(body, Duration::from_secs(3)).await;
    assert!(seen.contains("event: end"), "{seen}");
    // So does disabling the account.
    let other = console.invite_user(&admin, "other", "read_only").await;
    let other_id = user_id(&console, &admin, "other").await;
    let body = open_stream(&console, &other).await;
    let (status, _, _) = console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{other_id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let seen = read_until_end(body, Duration::from_secs(3)).await;
    assert!(seen.contains("event: end"), "{seen}");
}

#[tokio::test]
async fn a_stream_ends_after_its_api_token_is_revoked() {
    let (console, admin) = stream_console().await;
    let reader = console.invite_user(&admin, "reader", "read_only").await;
    let (token_id, bearer) = console.api_token(&reader, "ci").await;
    let mut body = open_stream(&console, &bearer).await;
    assert_open(&mut body).await;
    let (status, _, _) = console
        .call(
            &reader,
            Method::DELETE,
            &format!("/api/v1/tokens/{token_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let seen = read_until_end(body, Duration::from_secs(3)).await;
    assert!(seen.contains("revoked"), "{seen}");
}

#[tokio::test]
async fn a_stream_ends_after_a_role_change() {
    let (console, admin) = stream_console().await;
    let user = console.invite_user(&admin, "user", "standard").await;
    let id = user_id(&console, &admin, "user").await;
    let body = open_stream(&console, &user).await;
    let (status, _, _) = console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{id}"),
            Some(json!({"role": "read_only"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let seen = read_until_end(body, Duration::from_secs(3)).await;
    assert!(seen.contains("role changed"), "{seen}");
}

#[tokio::test]
async fn live_streams_are_capped_per_user() {
    let (console, admin) = console_with(|c| c.topology_streams_per_user = 2).await;
    let reader = console.invite_user(&admin, "reader", "read_only").await;
    let first = open_stream(&console, &reader).await;
    let _second = open_stream(&console, &reader).await;
    let response = console
        .open(&reader, Method::GET, "/api/v1/topology/stream")
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Other users are not affected, and a closed stream frees its place.
    let _admin_stream = open_stream(&console, &admin).await;
    drop(first);
    let _third = open_stream(&console, &reader).await;
}
