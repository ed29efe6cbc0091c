//! Credential guessing: per-account lockout and per-source throttling, both
//! audited.

use axum::http::{Method, StatusCode, header};
use serde_json::json;

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

#[tokio::test]
async fn repeated_failures_lock_the_account() {
    let console = TestConsole::start_with(Db::Sqlite, |c| c.lockout_threshold = 5).await;
    let admin = console.setup_admin("admin").await;
    console.invite_user(&admin, "victim", "standard").await;
    let attempt = |password: &'static str| {
        console.call_from(
            &Caller::Anonymous,
            "203.0.113.9:5555",
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"username": "victim", "password": password})),
        )
    };
    for _ in 0..5 {
        let (status, body, _) = attempt("Wrong-Password-Guess-1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    // Locked now: even the right password is refused, with a clear 423.
    let (status, body, _) = attempt(PASSWORD).await;
    assert_eq!(status, StatusCode::LOCKED, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("locked")
    );
    let actions = audit_actions(&console, &admin, "target=victim").await;
    let failures = actions
        .iter()
        .filter(|(a, o)| a == "user.login" && o == "failure")
        .count();
    assert_eq!(failures, 6, "every failed attempt is audited: {actions:?}");
    assert!(
        actions.contains(&("user.lock".into(), "success".into())),
        "{actions:?}"
    );
    // An admin reset clears the lock.
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
    console.login("victim", "Cobalt-River-Sunrise-19").await;
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
