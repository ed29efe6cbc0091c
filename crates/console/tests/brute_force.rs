//! Credential guessing: lockout per (account, source), identical refusals,
//! per-action throttling, trusted proxies, aggregated audit and retention.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;
use vedette_console::audit::{self, Event};

use crate::harness::{Caller, Db, PASSWORD, TestConsole};

async fn audit_actions(
    console: &TestConsole,
    admin: &Caller,
    query: &str,
) -> Vec<(String, String)> {
    let (status, body, _) = console
        .call(
            admin,
            Method::GET,
            &format!("/api/v1/audit?limit=500&{query}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["outcome"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// A sign-in from `source`; returns status, raw body and content type.
async fn raw_login(
    console: &TestConsole,
    source: &str,
    username: &str,
    password: &str,
) -> (StatusCode, String, String) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .extension(ConnectInfo(source.parse::<SocketAddr>().unwrap()))
        .body(Body::from(
            serde_json::to_vec(&json!({"username": username, "password": password})).unwrap(),
        ))
        .unwrap();
    let response = console.app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    // Compared as text: equal strings are equal bytes.
    (
        status,
        String::from_utf8(body.to_vec()).unwrap(),
        content_type,
    )
}

/// Audit entries (action, outcome, detail, count) matching `query`.
async fn audit_entries(
    console: &TestConsole,
    admin: &Caller,
    query: &str,
) -> Vec<(String, String, String, i64)> {
    let (status, body, _) = console
        .call(
            admin,
            Method::GET,
            &format!("/api/v1/audit?limit=500&{query}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default().to_string(),
                e["outcome"].as_str().unwrap_or_default().to_string(),
                e["detail"].as_str().unwrap_or_default().to_string(),
                e["count"].as_i64().expect("count"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_flood_from_one_address_does_not_lock_the_account_for_others() {
    lockout_is_per_source(Db::Sqlite).await;
}

#[tokio::test]
async fn a_flood_from_one_address_does_not_lock_the_account_for_others_postgres() {
    lockout_is_per_source(Db::Postgres).await;
}

async fn lockout_is_per_source(db: Db) {
    let console = TestConsole::start_with(db, |c| c.lockout_threshold = 5).await;
    let admin = console.setup_admin("admin").await;
    console.invite_user(&admin, "victim", "admin").await;
    for _ in 0..20 {
        let (status, _, _) = raw_login(
            &console,
            "203.0.113.9:5555",
            "victim",
            "Wrong-Password-Guess-1",
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Locked for the attacker's address, even with the right password...
    let (status, _, _) = raw_login(&console, "203.0.113.9:5556", "victim", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // ...but not for the victim at another address.
    let (status, body, _) = raw_login(&console, "192.0.2.44:443", "victim", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The lock and the failures are audited, aggregated.
    let entries = audit_entries(&console, &admin, "target=victim&action=user.login").await;
    let failures: i64 = entries
        .iter()
        .filter(|(_, outcome, _, _)| outcome == "failure")
        .map(|(_, _, _, count)| count)
        .sum();
    assert_eq!(failures, 21, "every failed attempt is counted: {entries:?}");
    let locks = audit_entries(&console, &admin, "action=user.lock").await;
    assert_eq!(locks.len(), 1, "{locks:?}");
    // An admin's password reset lifts the lock for every address.
    let (_, users, _) = console
        .call(&admin, Method::GET, "/api/v1/users?q=victim", None)
        .await;
    let id = users["items"][0]["id"].as_str().expect("id").to_string();
    let (status, link, _) = console
        .call(
            &admin,
            Method::POST,
            &format!("/api/v1/users/{id}/password-reset"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body, _) = console
        .call(
            &Caller::Anonymous,
            Method::POST,
            "/api/v1/password-reset",
            Some(json!({"token": link["token"], "new_password": "Cobalt-River-Sunrise-19"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, _, _) = raw_login(
        &console,
        "203.0.113.9:5557",
        "victim",
        "Cobalt-River-Sunrise-19",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // The link is single-use.
    let (status, _, _) = console
        .call(
            &Caller::Anonymous,
            Method::POST,
            "/api/v1/password-reset",
            Some(json!({"token": link["token"], "new_password": "Another-Strong-Pass-55"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

#[tokio::test]
async fn unknown_wrong_and_locked_answer_alike() {
    let console = TestConsole::start_with(Db::Sqlite, |c| c.lockout_threshold = 3).await;
    let admin = console.setup_admin("admin").await;
    console.invite_user(&admin, "victim", "standard").await;
    console.invite_user(&admin, "locked", "standard").await;
    let source = "203.0.113.20:4000";
    for _ in 0..3 {
        raw_login(&console, source, "locked", "Wrong-Password-Guess-1").await;
    }
    // Warm up the dummy hash (made once per process).
    raw_login(&console, source, "nobody-here", "Wrong-Password-Guess-1").await;

    let (mut unknown, mut wrong, mut locked) = (Vec::new(), Vec::new(), Vec::new());
    let mut answers = Vec::new();
    for i in 0..7 {
        // Wrong passwords from a new address each time, so `victim` never locks.
        let fresh = format!("198.18.0.{i}:4000");
        for (from, user, password, times) in [
            (
                source,
                "nobody-here",
                "Wrong-Password-Guess-1",
                &mut unknown,
            ),
            (
                fresh.as_str(),
                "victim",
                "Wrong-Password-Guess-1",
                &mut wrong,
            ),
            // Locked for this source: even the right password gets the same answer.
            (source, "locked", PASSWORD, &mut locked),
        ] {
            let started = Instant::now();
            let answer = raw_login(&console, from, user, password).await;
            times.push(started.elapsed());
            answers.push(answer);
        }
    }
    let first = &answers[0];
    assert_eq!(first.0, StatusCode::UNAUTHORIZED);
    for answer in &answers {
        assert_eq!(answer, first);
    }
    // Each path runs one Argon2 verification: medians within a factor of 3
    // (a path that skips it is tens of times faster).
    let (unknown, wrong, locked) = (median(unknown), median(wrong), median(locked));
    for (name, time) in [("unknown user", unknown), ("locked", locked)] {
        assert!(
            time * 3 >= wrong && time <= wrong * 3,
            "{name}: {time:?} vs wrong password {wrong:?}"
        );
    }
}

#[tokio::test]
async fn a_flood_makes_one_audit_entry_per_source_and_window() {
    flood_makes_one_audit_entry(Db::Sqlite).await;
}

#[tokio::test]
async fn a_flood_makes_one_audit_entry_per_source_and_window_postgres() {
    flood_makes_one_audit_entry(Db::Postgres).await;
}

async fn flood_makes_one_audit_entry(db: Db) {
    let console = TestConsole::start_with(db, |c| {
        c.auth_attempts_per_minute = 5;
        c.lockout_threshold = 100;
    })
    .await;
    let admin = console.setup_admin("admin").await;
    let before = console.count("audit_log").await;
    for _ in 0..40 {
        let (status, _, _) = raw_login(
            &console,
            "192.0.2.99:1000",
            "admin",
            "Wrong-Password-Guess-1",
        )
        .await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
    }
    assert_eq!(
        console.count("audit_log").await - before,
        2,
        "one entry for the wrong passwords, one for the throttled requests"
    );
    let mut entries = audit_entries(&console, &admin, "action=user.login&outcome=failure").await;
    entries.sort_by_key(|e| e.3);
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries[0].3, 5, "{entries:?}");
    assert!(entries[0].2.contains("wrong password"), "{entries:?}");
    assert_eq!(entries[1].3, 35, "{entries:?}");
    assert!(entries[1].2.contains("throttled"), "{entries:?}");
}

#[tokio::test]
async fn audit_retention_by_age_and_by_rows() {
    let console = TestConsole::start(Db::Sqlite).await;
    let store = console.store();
    for i in 0..10 {
        let target = format!("t{i}");
        Event::success("cli", "test.event")
            .on(&target)
            .record(store)
            .await
            .unwrap();
    }
    // An aggregated entry whose repeats must go with it.
    for _ in 0..3 {
        Event::failure("anonymous", "test.flood")
            .detail("throttled")
            .record_aggregated(store, Duration::from_secs(600))
            .await
            .unwrap();
    }
    let old = vedette_console::store::sql::now_ms() - 100 * 24 * 3600 * 1000;
    sqlx::query(
        "UPDATE audit_log SET at = $1 WHERE target IN ('t0', 't1', 't2') OR action = 'test.flood'",
    )
    .bind(old)
    .execute(store.pool())
    .await
    .unwrap();
    assert_eq!(console.count("audit_log").await, 11);
    assert_eq!(console.count("audit_repeats").await, 1);
    // Nothing is old enough for a 180-day retention.
    assert_eq!(audit::purge(store, 180, 0).await.unwrap(), 0);
    // 90 days: the four old entries go, with the repeats of the aggregated one.
    assert_eq!(audit::purge(store, 90, 0).await.unwrap(), 4);
    assert_eq!(console.count("audit_repeats").await, 0);
    // At most 4 rows: the oldest go first.
    assert_eq!(audit::purge(store, 0, 4).await.unwrap(), 3);
    let left: Vec<String> = sqlx::query_scalar("SELECT target FROM audit_log ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert_eq!(left, ["t6", "t7", "t8", "t9"]);
    // 0 and 0: keep everything.
    assert_eq!(audit::purge(store, 0, 0).await.unwrap(), 0);
}

#[tokio::test]
async fn a_sign_in_flood_does_not_throttle_sensor_registration() {
    let console = TestConsole::start_with(Db::Sqlite, |c| {
        c.auth_attempts_per_minute = 3;
        c.sensor_registrations_per_minute = 3;
    })
    .await;
    let office = "192.0.2.10:3000";
    for _ in 0..10 {
        raw_login(&console, office, "someone", "Wrong-Password-Guess-1").await;
    }
    let (status, _, _) = raw_login(&console, office, "someone", "Wrong-Password-Guess-1").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let register = || {
        console.call_from(
            &Caller::Anonymous,
            office,
            Method::POST,
            "/api/v1/sensor/register",
            Some(json!({"api_key": console.api_key, "hostname": "node-1", "version": "0.1.0"})),
        )
    };
    for _ in 0..3 {
        let (status, body, _) = register().await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    // Registration has its own budget, which runs out on its own.
    let (status, body, _) = register().await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("sensor registration"),
        "{body}"
    );
}

/// A sign-in from peer `peer` carrying `X-Forwarded-For: forwarded`.
async fn login_via(console: &TestConsole, peer: &str, forwarded: &str) -> StatusCode {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-forwarded-for", forwarded)
        .extension(ConnectInfo(peer.parse::<SocketAddr>().unwrap()))
        .body(Body::from(
            serde_json::to_vec(
                &json!({"username": "nobody", "password": "Wrong-Password-Guess-1"}),
            )
            .unwrap(),
        ))
        .unwrap();
    console.send(request).await.0
}

#[tokio::test]
async fn forwarded_for_is_believed_only_from_trusted_proxies() {
    // No trusted proxy: a client cannot dodge its budget with the header.
    let console = TestConsole::start_with(Db::Sqlite, |c| c.auth_attempts_per_minute = 2).await;
    for i in 0..2 {
        let status = login_via(&console, "203.0.113.5:1", &format!("192.0.2.{i}")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = login_via(&console, "203.0.113.5:1", "192.0.2.200").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // Behind a trusted proxy, each client has its own budget.
    let console = TestConsole::start_with(Db::Sqlite, |c| {
        c.auth_attempts_per_minute = 2;
        c.trusted_proxies = vec!["10.0.0.0/8".parse().unwrap()];
    })
    .await;
    for _ in 0..2 {
        let status = login_via(&console, "10.0.0.1:1", "198.51.100.1, 192.0.2.1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = login_via(&console, "10.0.0.1:1", "198.51.100.2, 192.0.2.1").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "only the hop the proxy saw counts, not what the client claims before it"
    );
    let status = login_via(&console, "10.0.0.1:1", "192.0.2.2").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // The audit log names the client, not the proxy.
    let ips: Vec<Option<String>> = sqlx::query_scalar(
        "SELECT source_ip FROM audit_log WHERE action = 'user.login' ORDER BY id",
    )
    .fetch_all(console.store().pool())
    .await
    .unwrap();
    assert!(ips.contains(&Some("192.0.2.1".into())), "{ips:?}");
    assert!(ips.contains(&Some("192.0.2.2".into())), "{ips:?}");
    assert!(!ips.contains(&Some("10.0.0.1".into())), "{ips:?}");
}

#[tokio::test]
async fn one_source_is_throttled_others_are_not() {
    let console = TestConsole::start_with(Db::Sqlite, |c| c.auth_attempts_per_minute = 4).await;
    let admin = console.setup_admin("admin").await;
    let spray = |user: String, source: &'static str| {
        console.call_from(
            &Caller::Anonymous,
            source,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"username": user, "password": "Wrong-Password-Guess-1"})),
        )
    };
    // The setup request used one attempt of 198.51.100.7; use other sources.
    for i in 0..4 {
        let (status, _, _) = spray(format!("user{i}"), "192.0.2.50:1000").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body, headers) = spray("user9".into(), "192.0.2.50:1001").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    let retry: u64 = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&retry));
    // Another source is unaffected.
    let (status, _, _) = spray("user1".into(), "192.0.2.77:1000").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let actions = audit_actions(&console, &admin, "action=user.login&outcome=failure").await;
    assert_eq!(
        actions.len(),
        6,
        "4 + 1 throttled + 1 from the other source: {actions:?}"
    );
    let (_, throttled, _) = console
        .call(&admin, Method::GET, "/api/v1/audit?q=throttled", None)
        .await;
    assert_eq!(throttled["total"], 1, "{throttled}");
}

/// Token renewals and reports have budgets of their own per address: a sensor
/// over one is told to retry (429 + `Retry-After`) and nothing changes; the
/// other budgets are untouched.
#[tokio::test]
async fn renewals_and_reports_have_their_own_budgets() {
    use crate::topology::{register, report, send};
    let console = TestConsole::start_with(Db::Sqlite, |c| {
        c.token_renewals_per_minute = 2;
        c.reports_per_minute = 3;
    })
    .await;
    let sensor = register(&console, "budgeted").await;

    let mut statuses = Vec::new();
    for sequence in 1..=4 {
        statuses.push(
            send(&console, &sensor, &report(&sensor, sequence, sequence == 1))
                .await
                .0,
        );
    }
    assert_eq!(
        statuses,
        [
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::ACCEPTED,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );

    let mut renewals = Vec::new();
    for _ in 0..3 {
        let (status, _, headers) = console
            .call(&sensor.caller, Method::POST, "/api/v1/sensor/token", None)
            .await;
        renewals.push((status, headers.contains_key(header::RETRY_AFTER)));
    }
    assert_eq!(
        renewals,
        [
            (StatusCode::OK, false),
            (StatusCode::OK, false),
            (StatusCode::TOO_MANY_REQUESTS, true)
        ]
    );

    // Registration from the same address has its own budget still.
    register(&console, "another").await;
}
