//! Test harness: an in-process console on a fresh store.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;
use vedette_console::Config;
use vedette_console::state::AppState;
use vedette_console::store::Store;
use vedette_console::tls::CurrentFingerprint;
use vedette_testkit::postgres::TestDatabase;

/// Which database a test console uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// A console under test.
pub struct TestConsole {
    pub state: AppState,
    pub app: Router,
    pub setup_code: String,
    pub api_key: String,
    _dir: tempfile::TempDir,
    /// The PostgreSQL database, dropped with the console.
    _database: Option<TestDatabase>,
}

/// A strong password that passes the policy.
pub const PASSWORD: &str = "Amber-Falcon-Lantern-42";

/// Creates an empty database on the test server (`VEDETTE_TEST_POSTGRES_URL`;
/// fails loudly when unset); it is dropped when the returned guard is.
pub async fn fresh_postgres_database() -> TestDatabase {
    TestDatabase::create().await
}

impl TestConsole {
    pub async fn start(db: Db) -> TestConsole {
        Self::start_with(db, |_| {}).await
    }

    pub async fn start_with(db: Db, tweak: impl FnOnce(&mut Config)) -> TestConsole {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config::with_defaults(dir.path().to_path_buf());
        config.auth_attempts_per_minute = 100_000;
        let database = match db {
            Db::Postgres => Some(fresh_postgres_database().await),
            Db::Sqlite => None,
        };
        if let Some(database) = &database {
            config.database_url = Some(database.url().to_string());
        }
        tweak(&mut config);
        let store = Store::open(&config.effective_database_url())
            .await
            .expect("open store");
        let api_key = vedette_console::sensors::ensure_api_key(&store, dir.path())
            .await
            .expect("api key")
            .expect("new key is known");
        let setup_code = vedette_console::server::refresh_setup_code(&store)
            .await
            .expect("setup code")
            .expect("a new console needs setup");
        let fingerprint = std::sync::Arc::new(CurrentFingerprint::default());
        fingerprint.set("SHA256:test".into());
        let topology = vedette_console::topology::Topology::load(&store)
            .await
            .expect("topology");
        let state = AppState::new(
            store,
            config,
            "https://127.0.0.1:8443".into(),
            fingerprint,
            topology,
        );
        let app = vedette_console::api::app(state.clone());
        TestConsole {
            state,
            app,
            setup_code,
            api_key,
            _dir: dir,
            _database: database,
        }
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// Sends a request; returns status, JSON body (Null if none or not JSON) and headers.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, Value, HeaderMap) {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("infallible service");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, body, headers)
    }

    /// Sends a request and returns the response with its body unread (for streams).
    pub async fn open(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
    ) -> axum::response::Response {
        let mut builder = Request::builder().method(method).uri(path);
        match caller {
            Caller::Anonymous => {}
            Caller::Bearer(token) => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"))
            }
            Caller::Session { cookie, csrf } => {
                builder = builder
                    .header(header::COOKIE, format!("vedette_session={cookie}"))
                    .header("x-csrf-token", csrf);
            }
        }
        let mut request = builder.body(Body::empty()).expect("request");
        request.extensions_mut().insert(ConnectInfo(
            "198.51.100.7:40000".parse::<SocketAddr>().expect("address"),
        ));
        self.app
            .clone()
            .oneshot(request)
            .await
            .expect("infallible service")
    }

    /// Builds and sends a request as `caller`, from `source`.
    pub async fn call(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        self.call_from(caller, "198.51.100.7:40000", method, path, body)
            .await
    }

    pub async fn call_from(
        &self,
        caller: &Caller,
        source: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value, HeaderMap) {
        let mut builder = Request::builder().method(method).uri(path);
        match caller {
            Caller::Anonymous => {}
            Caller::Bearer(token) => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"))
            }
            Caller::Session { cookie, csrf } => {
                builder = builder
                    .header(header::COOKIE, format!("vedette_session={cookie}"))
                    .header("x-csrf-token", csrf);
            }
        }
        let body = match body {
            Some(json) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(serde_json::to_vec(&json).expect("json"))
            }
            None => Body::empty(),
        };
        let mut request = builder.body(body).expect("request");
        let addr: SocketAddr = source.parse().expect("socket address");
        request.extensions_mut().insert(ConnectInfo(addr));
        self.send(request).await
    }

    /// Completes setup with the setup code; returns the admin's session.
    pub async fn setup_admin(&self, username: &str) -> Caller {
        let (status, body, headers) = self
            .call(
                &Caller::Anonymous,
                Method::POST,
                "/api/v1/setup",
                Some(serde_json::json!({"setup_code": self.setup_code, "username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "setup failed: {body}");
        session_from(&headers, &body)
    }

    /// Signs in; returns the session.
    pub async fn login(&self, username: &str, password: &str) -> Caller {
        let (status, body, headers) = self
            .call(
                &Caller::Anonymous,
                Method::POST,
                "/api/v1/auth/login",
                Some(serde_json::json!({"username": username, "password": password})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        session_from(&headers, &body)
    }

    /// Creates a user with a role through an invite (as `admin`); returns its session.
    pub async fn invite_user(&self, admin: &Caller, username: &str, role: &str) -> Caller {
        let (status, invite, _) = self
            .call(
                admin,
                Method::POST,
                "/api/v1/invites",
                Some(serde_json::json!({"role": role})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{invite}");
        let (status, body, headers) = self
            .call(
                &Caller::Anonymous,
                Method::POST,
                "/api/v1/invites/accept",
                Some(serde_json::json!({"token": invite["token"], "username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        session_from(&headers, &body)
    }

    /// Creates an API token for `caller`; returns (token id, bearer caller).
    pub async fn api_token(&self, caller: &Caller, name: &str) -> (String, Caller) {
        let (status, body, _) = self
            .call(
                caller,
                Method::POST,
                "/api/v1/tokens",
                Some(serde_json::json!({"name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_str().expect("token id").to_string();
        (
            id,
            Caller::Bearer(body["token"].as_str().expect("token").to_string()),
        )
    }

    /// Registers a sensor; returns its bearer token caller.
    pub async fn sensor(&self) -> Caller {
        let (status, body, _) = self
            .call(
                &Caller::Anonymous,
                Method::POST,
                "/api/v1/sensor/register",
                Some(serde_json::json!({"api_key": self.api_key, "hostname": "node-1", "version": "0.1.0"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        Caller::Bearer(body["token"].as_str().expect("sensor token").to_string())
    }

    /// A count of rows in a table, for "nothing changed" checks.
    pub async fn count(&self, table: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(self.store().pool())
            .await
            .expect("count")
    }
}

/// Who sends a request.
#[derive(Debug, Clone)]
pub enum Caller {
    Anonymous,
    Bearer(String),
    Session { cookie: String, csrf: String },
}

/// The session cookie and CSRF token of a sign-in response.
pub fn session_from(headers: &HeaderMap, body: &Value) -> Caller {
    let cookie = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("vedette_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string();
    let csrf = body["csrf_token"].as_str().expect("csrf token").to_string();
    Caller::Session { cookie, csrf }
}
