//! One behaviour suite, run on the embedded SQLite store and on PostgreSQL:
//! accounts, sessions, tokens, invites, roles, audit, list conventions,
//! cascades, and a restart on the same database.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::harness::{Caller, Db, PASSWORD, TestConsole};

async fn behaviour(db: Db) {
    let console = TestConsole::start(db).await;
    let (status, body, _) = console
        .call(&Caller::Anonymous, Method::GET, "/api/v1/setup", None)
        .await;
    assert_eq!(
        (status, body["needs_setup"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let admin = console.setup_admin("admin").await;
    let (_, body, _) = console
        .call(&Caller::Anonymous, Method::GET, "/api/v1/setup", None)
        .await;
    assert_eq!(body["needs_setup"], false);
    // A second setup with the same code fails: the code was single-use.
    let (status, _, _) = console
        .call(&Caller::Anonymous, Method::POST, "/api/v1/setup",
              Some(json!({"setup_code": console.setup_code, "username": "mallory", "password": PASSWORD})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Users through invites, listed with the one list convention.
    for (name, role) in [
        ("carol", "standard"),
        ("bob", "read_only"),
        ("dave", "standard"),
    ] {
        console.invite_user(&admin, name, role).await;
    }
    let (status, page, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/users?sort=-username&limit=2",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["total"], 4);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["dave", "carol"]);
    let (_, page, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/users?sort=-username&limit=2&offset=2",
            None,
        )
        .await;
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bob", "admin"]);
    let (_, page, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/users?role=standard&q=CAR",
            None,
        )
        .await;
    assert_eq!(page["total"], 1, "{page}");
    let carol_id = page["items"][0]["id"].as_str().unwrap().to_string();

    // API tokens: shown once, listed without secret, usable, revocable.
    let carol = console.login("carol", PASSWORD).await;
    let (token_id, carol_token) = console.api_token(&carol, "ci").await;
    let (_, tokens, _) = console
        .call(&carol, Method::GET, "/api/v1/tokens", None)
        .await;
    assert_eq!(tokens["total"], 1);
    assert!(
        tokens["items"][0].get("token").is_none(),
        "listing never shows the secret"
    );
    // Token lists follow the list convention too.
    console.api_token(&carol, "another").await;
    let (_, page, _) = console
        .call(
            &carol,
            Method::GET,
            "/api/v1/tokens?sort=name&limit=1&offset=1",
            None,
        )
        .await;
    assert_eq!(
        (page["total"].as_i64(), page["items"][0]["name"].as_str()),
        (Some(2), Some("ci")),
        "{page}"
    );
    let (status, me, _) = console
        .call(&carol_token, Method::GET, "/api/v1/users/me", None)
        .await;
    assert_eq!(
        (status, me["username"].as_str()),
        (StatusCode::OK, Some("carol"))
    );
    // Role changes apply at once, to sessions and tokens alike.
    assert_eq!(
        console
            .call(&carol_token, Method::GET, "/api/v1/users", None)
            .await
            .0,
        StatusCode::FORBIDDEN
    );
    let (status, user, _) = console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{carol_id}"),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(
        (status, user["role"].as_str()),
        (StatusCode::OK, Some("admin"))
    );
    assert_eq!(
        console
            .call(&carol_token, Method::GET, "/api/v1/users", None)
            .await
            .0,
        StatusCode::OK
    );
    // Disabling ends sessions and tokens.
    console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{carol_id}"),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(
        console
            .call(&carol_token, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        console
            .call(&carol, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _, _) = console
        .call(
            &Caller::Anonymous,
            Method::POST,
            "/api/v1/auth/login",
            Some(json!({"username": "carol", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{carol_id}"),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(
        console
            .call(&carol_token, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        console
            .call(
                &carol_token,
                Method::DELETE,
                &format!("/api/v1/tokens/{token_id}"),
                None
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        console
            .call(&carol_token, Method::GET, "/api/v1/users/me", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    // The last admin is protected.
    let (_, me, _) = console
        .call(&admin, Method::GET, "/api/v1/users/me", None)
        .await;
    let admin_id = me["id"].as_str().unwrap().to_string();
    console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{carol_id}"),
            Some(json!({"role": "standard"})),
        )
        .await;
    let (status, body, _) = console
        .call(
            &admin,
            Method::PATCH,
            &format!("/api/v1/users/{admin_id}"),
            Some(json!({"role": "read_only"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    // Deleting a user removes its sessions and tokens (cascade).
    let carol = console.login("carol", PASSWORD).await; // disabling ended her earlier sessions
    let (_, _) = console.api_token(&carol, "second").await;
    assert_eq!(
        console
            .call(
                &admin,
                Method::DELETE,
                &format!("/api/v1/users/{carol_id}"),
                None
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let orphans: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE user_id = $1")
        .bind(&carol_id)
        .fetch_one(console.store().pool())
        .await
        .unwrap();
    assert_eq!(orphans, 0);

    // Invites: listed while pending, revocable, single-use.
    let (_, invite, _) = console
        .call(
            &admin,
            Method::POST,
            "/api/v1/invites",
            Some(json!({"role": "read_only", "expires_in_hours": 1})),
        )
        .await;
    let (_, pending, _) = console
        .call(&admin, Method::GET, "/api/v1/invites", None)
        .await;
    assert_eq!(pending["total"], 1);
    let invite_id = invite["id"].as_str().unwrap();
    assert_eq!(
        console
            .call(
                &admin,
                Method::DELETE,
                &format!("/api/v1/invites/{invite_id}"),
                None
            )
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (status, _, _) = console
        .call(
            &Caller::Anonymous,
            Method::POST,
            "/api/v1/invites/accept",
            Some(json!({"token": invite["token"], "username": "eve", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Sensor key rotation: the old key stops working, the sensor keeps its id.
    let (status, reg, _) = console
        .call(
            &Caller::Anonymous,
            Method::POST,
            "/api/v1/sensor/register",
            Some(json!({"api_key": console.api_key, "hostname": "node-1", "version": "0.1.0"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, rotated, _) = console
        .call(
            &admin,
            Method::POST,
            "/api/v1/settings/sensor-api-key/rotate",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let new_key = rotated["api_key"].as_str().unwrap();
    assert_ne!(new_key, console.api_key);
    let (status, _, _) = console
        .call(&Caller::Anonymous, Method::POST, "/api/v1/sensor/register",
              Some(json!({"api_key": console.api_key, "sensor_id": reg["sensor_id"], "credential": reg["credential"], "hostname": "node-1", "version": "0.1.0"})))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, again, _) = console
        .call(&Caller::Anonymous, Method::POST, "/api/v1/sensor/register",
              Some(json!({"api_key": new_key, "sensor_id": reg["sensor_id"], "credential": reg["credential"], "hostname": "node-1", "version": "0.1.0"})))
        .await;
    assert_eq!(
        (status, &again["sensor_id"]),
        (StatusCode::OK, &reg["sensor_id"])
    );
    assert_eq!(console.count("sensors").await, 1);
    let (_, key_info, _) = console
        .call(&admin, Method::GET, "/api/v1/settings/sensor-api-key", None)
        .await;
    assert_eq!(key_info["api_key"].as_str(), Some(new_key));

    // The audit log saw it all, newest first, filterable.
    let (_, audit, _) = console
        .call(&admin, Method::GET, "/api/v1/audit?limit=500", None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "setup.complete",
        "user.create",
        "user.login",
        "token.create",
        "token.revoke",
        "user.role_change",
        "user.disable",
        "user.enable",
        "user.delete",
        "invite.create",
        "invite.revoke",
        "sensor_key.rotate",
        "sensor.register",
    ] {
        assert!(
            actions.contains(&expected),
            "audit lacks {expected}: {actions:?}"
        );
    }
    assert_eq!(actions.first(), Some(&"sensor_key.view"), "newest first");
    let (_, roles, _) = console
        .call(
            &admin,
            Method::GET,
            "/api/v1/audit?action=user.role_change",
            None,
        )
        .await;
    assert_eq!(roles["total"], 2);

    // A restart on the same database keeps everything and needs no setup.
    let url = console.state.config.effective_database_url();
    console.store().close().await;
    let store = vedette_console::store::Store::open(&url)
        .await
        .expect("reopen");
    assert!(
        vedette_console::server::refresh_setup_code(&store)
            .await
            .unwrap()
            .is_none()
    );
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(users, 3);
    assert_eq!(
        store.schema_version().await.unwrap(),
        vedette_console::store::Store::latest_schema_version()
    );
}

#[tokio::test]
async fn behaviour_on_sqlite() {
    behaviour(Db::Sqlite).await;
}

#[tokio::test]
async fn behaviour_on_postgres() {
    behaviour(Db::Postgres).await;
}

#[tokio::test]
async fn concurrent_migrations_on_postgres_do_not_race() {
    let database = crate::harness::fresh_postgres_database().await;
    let url = database.url().to_string();
    let mut opening = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let url = url.clone();
        opening.spawn(async move { vedette_console::store::Store::open(&url).await });
    }
    while let Some(opened) = opening.join_next().await {
        let store = opened.expect("task").expect("open");
        assert_eq!(
            store.schema_version().await.unwrap(),
            vedette_console::store::Store::latest_schema_version()
        );
    }
}
