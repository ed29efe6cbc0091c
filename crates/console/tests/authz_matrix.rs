//! The authorization matrix: every route × every kind of caller.
//!
//! `ROUTES` states who may call each route. The test walks the OpenAPI
//! document (generated from the router, so it lists every `/api/v1` route)
//! plus the routes outside the API, and fails when a route has no entry here
//! or an entry names a route that no longer exists.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Caller, Db, TestConsole};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Anyone (the handler checks any credential in the body itself).
    Public,
    /// Any signed-in user.
    ReadOnly,
    /// Standard users and admins.
    #[allow(dead_code)] // no route needs it yet; findings and scans will
    Standard,
    /// Admins.
    Admin,
    /// Registered sensors only.
    Sensor,
}

const ROUTES: &[(&str, &str, Access)] = &[
    ("GET", "/api/v1/setup", Access::Public),
    ("POST", "/api/v1/setup", Access::Public),
    ("POST", "/api/v1/auth/login", Access::Public),
    ("GET", "/api/v1/auth/session", Access::ReadOnly),
    ("POST", "/api/v1/auth/logout", Access::ReadOnly),
    ("GET", "/api/v1/users/me", Access::ReadOnly),
    ("POST", "/api/v1/users/me/password", Access::ReadOnly),
    ("GET", "/api/v1/users", Access::Admin),
    ("PATCH", "/api/v1/users/{id}", Access::Admin),
    ("DELETE", "/api/v1/users/{id}", Access::Admin),
    ("POST", "/api/v1/users/{id}/password-reset", Access::Admin),
    ("POST", "/api/v1/password-reset", Access::Public),
    ("GET", "/api/v1/invites", Access::Admin),
    ("POST", "/api/v1/invites", Access::Admin),
    ("DELETE", "/api/v1/invites/{id}", Access::Admin),
    ("POST", "/api/v1/invites/accept", Access::Public),
    ("GET", "/api/v1/tokens", Access::ReadOnly),
    ("POST", "/api/v1/tokens", Access::ReadOnly),
    ("DELETE", "/api/v1/tokens/{id}", Access::ReadOnly),
    ("GET", "/api/v1/audit", Access::Admin),
    ("GET", "/api/v1/console/info", Access::ReadOnly),
    ("GET", "/api/v1/settings/sensor-api-key", Access::Admin),
    (
        "POST",
        "/api/v1/settings/sensor-api-key/rotate",
        Access::Admin,
    ),
    ("POST", "/api/v1/sensor/register", Access::Public),
    ("POST", "/api/v1/sensor/token", Access::Sensor),
    ("POST", "/api/v1/sensor/report", Access::Sensor),
    ("GET", "/api/v1/sensors", Access::ReadOnly),
    ("PATCH", "/api/v1/sensors/{id}", Access::Admin),
    ("DELETE", "/api/v1/sensors/{id}", Access::Admin),
    ("POST", "/api/v1/sensors/{id}/credential", Access::Admin),
    ("GET", "/api/v1/topology", Access::ReadOnly),
    ("GET", "/api/v1/topology/nodes", Access::ReadOnly),
    ("GET", "/api/v1/topology/nodes/{id}", Access::ReadOnly),
    ("GET", "/api/v1/topology/search", Access::ReadOnly),
    ("GET", "/api/v1/topology/stream", Access::ReadOnly),
    // Outside the API.
    ("GET", "/healthz", Access::Public),
    ("GET", "/readyz", Access::Public),
    ("GET", "/api/v1/openapi.json", Access::Public),
    ("GET", "/api/docs/", Access::Public),
    ("GET", "/", Access::Public),
];

/// The kinds of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    ReadOnly,
    Standard,
    Admin,
    Sensor,
    RevokedToken,
    ExpiredSession,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::ReadOnly,
    Who::Standard,
    Who::Admin,
    Who::Sensor,
    Who::RevokedToken,
    Who::ExpiredSession,
];

/// The status class a caller must get: `Some(401|403)` when refused, `None`
/// when let through (then the handler answers, with anything but 401/403).
fn expected(access: Access, who: Who) -> Option<StatusCode> {
    use StatusCode as S;
    let unauthenticated = matches!(
        who,
        Who::Anonymous | Who::RevokedToken | Who::ExpiredSession
    );
    match access {
        Access::Public => None,
        _ if unauthenticated => Some(S::UNAUTHORIZED),
        Access::Sensor => (who != Who::Sensor).then_some(S::FORBIDDEN),
        _ if who == Who::Sensor => Some(S::FORBIDDEN),
        Access::ReadOnly => None,
        Access::Standard => (who == Who::ReadOnly).then_some(S::FORBIDDEN),
        Access::Admin => (who != Who::Admin).then_some(S::FORBIDDEN),
    }
}

fn routes_in_openapi() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(vedette_console::api::openapi()).expect("openapi json");
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            routes.insert((method.to_uppercase(), path.clone()));
        }
    }
    for (method, path) in vedette_console::api::OTHER_ROUTES {
        routes.insert((method.to_string(), path.to_string()));
    }
    routes
}

#[tokio::test]
async fn every_route_is_in_the_matrix() {
    let listed: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let actual = routes_in_openapi();
    let missing: Vec<_> = actual.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&actual).collect();
    assert!(
        missing.is_empty(),
        "routes without an entry in the authorization matrix: {missing:?}"
    );
    assert!(
        stale.is_empty(),
        "matrix entries for routes that do not exist: {stale:?}"
    );
}

#[tokio::test]
async fn every_route_checks_its_callers() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin_session = console.setup_admin("admin").await;
    let (_, admin) = console.api_token(&admin_session, "matrix").await;
    let standard_session = console
        .invite_user(&admin_session, "stan", "standard")
        .await;
    let (_, standard) = console.api_token(&standard_session, "matrix").await;
    let reader_session = console
        .invite_user(&admin_session, "rita", "read_only")
        .await;
    let (_, reader) = console.api_token(&reader_session, "matrix").await;
    let sensor = console.sensor().await;
    let (revoked_id, revoked) = console.api_token(&admin_session, "revoked").await;
    let (status, _, _) = console
        .call(
            &admin_session,
            Method::DELETE,
            &format!("/api/v1/tokens/{revoked_id}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let expired = console.login("admin", crate::harness::PASSWORD).await;
    let Caller::Session { cookie, .. } = &expired else {
        panic!("session expected")
    };
    sqlx::query("UPDATE sessions SET expires_at = 0 WHERE id_hash = $1")
        .bind(vedette_console::auth::secret::hash(cookie))
        .execute(console.store().pool())
        .await
        .expect("expire session");

    let caller = |who: Who| -> Caller {
        match who {
            Who::Anonymous => Caller::Anonymous,
            Who::ReadOnly => reader.clone(),
            Who::Standard => standard.clone(),
            Who::Admin => admin.clone(),
            Who::Sensor => sensor.clone(),
            Who::RevokedToken => revoked.clone(),
            Who::ExpiredSession => expired.clone(),
        }
    };

    let mut failures = Vec::new();
    for (method, template, access) in ROUTES {
        let path = template.replace("{id}", "00000000-0000-0000-0000-000000000000");
        let method: Method = method.parse().expect("method");
        // An empty object: enough to get past authorization, never enough to
        // change anything (every request type has required fields).
        let body = (method != Method::GET && method != Method::DELETE).then(|| json!({}));
        for who in EVERYONE {
            let (status, body_out) = if template.ends_with("/stream") {
                // An event stream never ends: look at the status only.
                let response = console.open(&caller(who), method.clone(), &path).await;
                (response.status(), serde_json::Value::Null)
            } else {
                let (status, body_out, _) = console
                    .call(&caller(who), method.clone(), &path, body.clone())
                    .await;
                (status, body_out)
            };
            let ok = match expected(*access, who) {
                Some(refused) => status == refused,
                None => status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
            };
            if !ok {
                failures.push(format!(
                    "{method} {template} as {who:?}: got {status}, expected {} ({body_out})",
                    expected(*access, who).map_or("not 401/403".to_string(), |s| s.to_string())
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix violations:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn session_requests_need_the_csrf_token() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let Caller::Session { cookie, .. } = &admin else {
        panic!("session expected")
    };
    let forged = Caller::Session {
        cookie: cookie.clone(),
        csrf: "not-the-token".into(),
    };
    let (status, body, _) = console
        .call(
            &forged,
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("X-CSRF-Token")
    );
    // Safe methods do not need it.
    let (status, _, _) = console
        .call(&forged, Method::GET, "/api/v1/users/me", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(console.count("api_tokens").await, 0, "nothing was created");
    // The right token works.
    let (status, _, _) = console
        .call(
            &admin,
            Method::POST,
            "/api/v1/tokens",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn logout_and_password_change_end_sessions_at_once() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let second = console.login("admin", crate::harness::PASSWORD).await;
    // Warm the credential cache, then sign out.
    assert_eq!(
        console
            .call(&admin, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        console
            .call(&admin, Method::POST, "/api/v1/auth/logout", None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        console
            .call(&admin, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // The other session still works until the password changes.
    assert_eq!(
        console
            .call(&second, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::OK
    );
    let (status, body, _) = console
        .call(
            &second,
            Method::POST,
            "/api/v1/users/me/password",
            Some(json!({"current_password": crate::harness::PASSWORD, "new_password": "Quartz-Meadow-Violin-77"})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        console
            .call(&second, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    console.login("admin", "Quartz-Meadow-Violin-77").await;
}
