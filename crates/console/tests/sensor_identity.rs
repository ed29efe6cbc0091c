//! Sensor identity: the console assigns ids, a sensor proves it is the same
//! sensor with its credential, renewal revokes the previous token, and admins
//! re-issue credentials.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use vedette_model::wire::{Changes, Report, Visibility};

use crate::harness::{Caller, Db, TestConsole};

/// A registered sensor: id, credential and token.
struct Sensor {
    id: String,
    credential: String,
    caller: Caller,
}

async fn register_body(console: &TestConsole, body: Value) -> (StatusCode, Value) {
    let (status, answer, _) = console
        .call(
            &Caller::Anonymous,
            Method::POST,
            "/api/v1/sensor/register",
            Some(body),
        )
        .await;
    (status, answer)
}

async fn register_new(console: &TestConsole, hostname: &str) -> Sensor {
    let (status, body) = register_body(
        console,
        json!({"api_key": console.api_key, "hostname": hostname, "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    Sensor {
        id: body["sensor_id"].as_str().unwrap().to_string(),
        credential: body["credential"]
            .as_str()
            .expect("a new sensor gets a credential")
            .to_string(),
        caller: Caller::Bearer(body["token"].as_str().unwrap().to_string()),
    }
}

fn bearer(caller: &Caller) -> &str {
    let Caller::Bearer(token) = caller else {
        panic!("bearer expected")
    };
    token
}

/// Sends an empty snapshot as `sensor_id` with `caller`'s token: 202 while the token is valid.
async fn probe(console: &TestConsole, caller: &Caller, sensor_id: &str) -> StatusCode {
    let report = Report {
        protocol: 1,
        sensor_id: sensor_id.to_string(),
        sequence: 1,
        snapshot: true,
        collected_at_ms: 1,
        visibility: Visibility::Host,
        host: None,
        processes: Changes::default(),
        containers: Changes::default(),
        images: Changes::default(),
        connections: Changes::default(),
        collectors: None,
    };
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/sensor/report")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {}", bearer(caller)))
        .body(Body::from(serde_json::to_vec(&report).unwrap()))
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [127, 0, 0, 1],
            40000,
        ))));
    console.send(request).await.0
}

async fn audit(console: &TestConsole, admin: &Caller) -> Vec<Value> {
    let (status, body, _) = console
        .call(admin, Method::GET, "/api/v1/audit?limit=500", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"].as_array().unwrap().clone()
}

/// (hostname, version, last_seen_at) of a sensor, and its token hashes with expiry.
async fn sensor_rows(console: &TestConsole, id: &str) -> (Value, Vec<(String, i64)>) {
    let row: (String, String, i64, i64) = sqlx::query_as(
        "SELECT hostname, version, last_seen_at, disabled FROM sensors WHERE id = $1",
    )
    .bind(id)
    .fetch_one(console.store().pool())
    .await
    .unwrap();
    let tokens: Vec<(String, i64)> = sqlx::query_as(
        "SELECT token_hash, expires_at FROM sensor_tokens WHERE sensor_id = $1 ORDER BY token_hash",
    )
    .bind(id)
    .fetch_all(console.store().pool())
    .await
    .unwrap();
    (json!([row.0, row.1, row.2, row.3]), tokens)
}

#[tokio::test]
async fn claiming_an_existing_sensor_without_its_credential_is_refused_and_audited() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let victim = register_new(&console, "victim").await;
    assert_eq!(
        probe(&console, &victim.caller, &victim.id).await,
        StatusCode::ACCEPTED
    );
    let before = sensor_rows(&console, &victim.id).await;
    let sensors_before = console.count("sensors").await;

    let attempts = [
        (
            "no credential",
            json!({"api_key": console.api_key, "sensor_id": victim.id, "hostname": "attacker", "version": "6.6.6"}),
        ),
        (
            "wrong credential",
            json!({"api_key": console.api_key, "sensor_id": victim.id, "credential": "vsc_guessed", "hostname": "attacker", "version": "6.6.6"}),
        ),
        (
            "another sensor's credential",
            json!({"api_key": console.api_key, "sensor_id": victim.id, "credential": register_new(&console, "other").await.credential, "hostname": "attacker", "version": "6.6.6"}),
        ),
    ];
    let sensors_before = sensors_before + 1;
    for (what, body) in attempts {
        let (status, problem, headers) = console
            .call(
                &Caller::Anonymous,
                Method::POST,
                "/api/v1/sensor/register",
                Some(body),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {problem}");
        assert_eq!(
            headers.get(header::CONTENT_TYPE).unwrap(),
            "application/problem+json",
            "{what}"
        );
        assert_eq!(problem["status"], 403, "{what}");
        assert!(problem.get("token").is_none(), "{what}: {problem}");
    }

    // The victim is untouched: same record, same tokens, still reporting.
    assert_eq!(sensor_rows(&console, &victim.id).await, before);
    assert_eq!(console.count("sensors").await, sensors_before);
    assert_eq!(
        probe(&console, &victim.caller, &victim.id).await,
        StatusCode::ACCEPTED
    );

    // Every refused claim is in the audit log, against the victim's id.
    let refused: Vec<Value> = audit(&console, &admin)
        .await
        .into_iter()
        .filter(|e| {
            e["action"] == "sensor.register"
                && e["outcome"] == "failure"
                && e["target"] == victim.id.as_str()
        })
        .collect();
    assert_eq!(refused.len(), 3, "{refused:?}");
    assert!(
        refused
            .iter()
            .any(|e| e["detail"].as_str().unwrap().contains("wrong credential"))
    );
}

#[tokio::test]
async fn a_sensor_registered_before_credentials_existed_cannot_be_claimed() {
    let console = TestConsole::start(Db::Sqlite).await;
    let legacy = register_new(&console, "legacy").await;
    // As if it had registered before the credentials migration.
    sqlx::query("DELETE FROM sensor_credentials WHERE sensor_id = $1")
        .bind(&legacy.id)
        .execute(console.store().pool())
        .await
        .unwrap();
    let (status, body) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": legacy.id, "hostname": "legacy", "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": legacy.id, "credential": legacy.credential, "hostname": "legacy", "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn failed_claims_are_throttled() {
    let console =
        TestConsole::start_with(Db::Sqlite, |c| c.sensor_registrations_per_minute = 4).await;
    let victim = register_new(&console, "victim").await;
    let claim = json!({"api_key": console.api_key, "sensor_id": victim.id, "credential": "vsc_guess", "hostname": "h", "version": "1"});
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(register_body(&console, claim.clone()).await.0);
    }
    assert!(statuses.contains(&StatusCode::FORBIDDEN), "{statuses:?}");
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn the_console_assigns_ids_and_the_credential_keeps_them() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    // A first registration that picks its own id gets another one.
    let chosen = uuid::Uuid::new_v4().to_string();
    let (status, first) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": chosen, "credential": "vsc_mine", "hostname": "node-1", "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let id = first["sensor_id"].as_str().unwrap().to_string();
    assert_ne!(id, chosen);
    let credential = first["credential"].as_str().unwrap().to_string();
    assert!(credential.starts_with("vsc_"), "{credential}");
    assert_ne!(credential, "vsc_mine");
    // Only the hash is stored.
    let stored: String =
        sqlx::query_scalar("SELECT credential_hash FROM sensor_credentials WHERE sensor_id = $1")
            .bind(&id)
            .fetch_one(console.store().pool())
            .await
            .unwrap();
    assert_eq!(stored, vedette_console::auth::secret::hash(&credential));
    let old_token = Caller::Bearer(first["token"].as_str().unwrap().to_string());

    // Registering again with the credential keeps the id and issues no new credential;
    // the earlier token is revoked at once (a new process).
    let (status, again) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": id, "credential": credential, "hostname": "node-1b", "version": "0.2.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["sensor_id"], id.as_str());
    assert!(again.get("credential").is_none(), "{again}");
    assert_eq!(
        probe(&console, &old_token, &id).await,
        StatusCode::UNAUTHORIZED
    );
    let token = Caller::Bearer(again["token"].as_str().unwrap().to_string());
    assert_eq!(probe(&console, &token, &id).await, StatusCode::ACCEPTED);

    // Across an API key rotation too.
    let (status, rotated, _) = console
        .call(
            &admin,
            Method::POST,
            "/api/v1/settings/sensor-api-key/rotate",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, rotated_again) = register_body(
        &console,
        json!({"api_key": rotated["api_key"], "sensor_id": id, "credential": credential, "hostname": "node-1", "version": "0.2.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rotated_again}");
    assert_eq!(rotated_again["sensor_id"], id.as_str());
    assert_eq!(console.count("sensors").await, 1);
    let chosen_exists: Option<String> = sqlx::query_scalar("SELECT id FROM sensors WHERE id = $1")
        .bind(&chosen)
        .fetch_optional(console.store().pool())
        .await
        .unwrap();
    assert_eq!(chosen_exists, None, "the chosen id was not created");

    // A credential needs its id.
    let (status, body) = register_body(
        &console,
        json!({"api_key": rotated["api_key"], "credential": credential, "hostname": "node-1", "version": "0.2.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

async fn renew(console: &TestConsole, caller: &Caller) -> Caller {
    let (status, body, _) = console
        .call(caller, Method::POST, "/api/v1/sensor/token", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("credential").is_none(), "{body}");
    Caller::Bearer(body["token"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn renewal_revokes_the_previous_token_after_the_grace() {
    let console = TestConsole::start_with(Db::Sqlite, |c| {
        c.sensor_token_grace = Duration::from_millis(400);
    })
    .await;
    let sensor = register_new(&console, "node-1").await;
    assert_eq!(
        probe(&console, &sensor.caller, &sensor.id).await,
        StatusCode::ACCEPTED
    );
    let renewed = renew(&console, &sensor.caller).await;
    // Reports under way with the old token still land during the grace…
    assert_eq!(
        probe(&console, &sensor.caller, &sensor.id).await,
        StatusCode::ACCEPTED
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    // …and not after it; the new token works.
    assert_eq!(
        probe(&console, &sensor.caller, &sensor.id).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        probe(&console, &renewed, &sensor.id).await,
        StatusCode::ACCEPTED
    );

    // Without a grace the old token stops at once, cache or not.
    let console = TestConsole::start_with(Db::Sqlite, |c| {
        c.sensor_token_grace = Duration::ZERO;
    })
    .await;
    let sensor = register_new(&console, "node-2").await;
    assert_eq!(
        probe(&console, &sensor.caller, &sensor.id).await,
        StatusCode::ACCEPTED
    );
    let renewed = renew(&console, &sensor.caller).await;
    assert_eq!(
        probe(&console, &sensor.caller, &sensor.id).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) = console
        .call(&sensor.caller, Method::POST, "/api/v1/sensor/token", None)
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the old token cannot renew"
    );
    assert_eq!(
        probe(&console, &renewed, &sensor.id).await,
        StatusCode::ACCEPTED
    );
}

#[tokio::test]
async fn admins_reissue_credentials_and_the_old_one_stops_working() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let standard = console.invite_user(&admin, "stan", "standard").await;
    let reader = console.invite_user(&admin, "rita", "read_only").await;
    let sensor = register_new(&console, "node-1").await;
    let path = format!("/api/v1/sensors/{}/credential", sensor.id);

    for (who, caller) in [
        ("standard", &standard),
        ("read-only", &reader),
        ("the sensor", &sensor.caller),
    ] {
        let (status, body, _) = console.call(caller, Method::POST, &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{who}: {body}");
    }
    let (status, _, _) = console
        .call(&Caller::Anonymous, Method::POST, &path, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Nothing changed so far.
    let (status, _) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": sensor.id, "credential": sensor.credential, "hostname": "node-1", "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let sensor = Sensor {
        caller: {
            let (_, body) = register_body(
                &console,
                json!({"api_key": console.api_key, "sensor_id": sensor.id, "credential": sensor.credential, "hostname": "node-1", "version": "0.1.0"}),
            )
            .await;
            Caller::Bearer(body["token"].as_str().unwrap().to_string())
        },
        ..sensor
    };

    let (status, issued, _) = console.call(&admin, Method::POST, &path, None).await;
    assert_eq!(status, StatusCode::OK, "{issued}");
    assert_eq!(issued["sensor_id"], sensor.id.as_str());
    let new_credential = issued["credential"].as_str().unwrap();
    assert!(new_credential.starts_with("vsc_"));
    assert_ne!(new_credential, sensor.credential);

    // The old holder is cut off: its token and its credential stop working.
    assert_eq!(
        probe(&console, &sensor.caller, &sensor.id).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, body) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": sensor.id, "credential": sensor.credential, "hostname": "node-1", "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // The new one registers as the same sensor.
    let (status, body) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": sensor.id, "credential": new_credential, "hostname": "node-1-reimaged", "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sensor_id"], sensor.id.as_str());

    let (status, body, _) = console
        .call(
            &admin,
            Method::POST,
            "/api/v1/sensors/00000000-0000-0000-0000-000000000000/credential",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    let entries = audit(&console, &admin).await;
    let reissued: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "sensor.credential.reissue")
        .collect();
    assert_eq!(reissued.len(), 1, "{entries:?}");
    assert_eq!(reissued[0]["actor"], "admin");
    assert_eq!(reissued[0]["target"], sensor.id.as_str());
    assert_eq!(reissued[0]["outcome"], "success");
    let text = serde_json::to_string(&entries).unwrap();
    assert!(
        !text.contains(new_credential),
        "the audit log never holds a credential"
    );
}

#[tokio::test]
async fn a_disabled_sensor_is_refused_even_with_its_credential() {
    let console = TestConsole::start(Db::Sqlite).await;
    let admin = console.setup_admin("admin").await;
    let sensor = register_new(&console, "node-1").await;
    let (status, _, _) = console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/sensors/{}", sensor.id),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = register_body(
        &console,
        json!({"api_key": console.api_key, "sensor_id": sensor.id, "credential": sensor.credential, "hostname": "node-1", "version": "0.1.0"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"].as_str().unwrap().contains("disabled"),
        "{body}"
    );
}
