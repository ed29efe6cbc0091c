//! A small HTTPS console for the reporter tests. It implements the sensor
//! endpoints' contract (register, token, report) with real TLS (an rcgen
//! certificate the sensor pins by fingerprint), real zstd and the real
//! wire types, and lets a test script answers, rotate the key, disable a
//! sensor or make the console unreachable (through a TCP relay it can cut).

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use sha2::{Digest, Sha256};
use vedette_model::wire::{MAX_REPORT_BYTES, Report};

/// A scripted answer to the next report.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// 409 with `need_snapshot`.
    NeedSnapshot,
    /// 429 with this `Retry-After` in seconds.
    SlowDown(u64),
    /// 422: the report refused as invalid or over a limit (nothing applied).
    Refused,
}

/// One report as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub report: Report,
    pub compressed_bytes: usize,
    pub at: Instant,
    /// The status the console answered.
    pub status: u16,
}

/// What the console knows and what it saw.
#[derive(Default)]
pub struct ConsoleState {
    pub api_key: String,
    pub token_ttl: Duration,
    pub disabled: HashSet<String>,
    /// token → sensor id.
    pub tokens: HashMap<String, String>,
    /// sensor id → its credential.
    pub known_sensors: HashMap<String, String>,
    pub last_sequence: HashMap<String, u64>,
    /// `sensor_id` sent in each registration (None: a new sensor).
    pub registrations: Vec<Option<String>>,
    /// `credential` sent in each registration.
    pub credentials_sent: Vec<Option<String>>,
    pub renewals: usize,
    pub reports: Vec<Received>,
    pub script: VecDeque<Scripted>,
}

pub struct TestConsole {
    pub url: String,
    pub fingerprint: String,
    pub state: Arc<Mutex<ConsoleState>>,
    relay: Arc<Relay>,
}

/// The TCP relay in front of the HTTPS server: when down, it closes every
/// connection at once, as a console that is restarting would.
struct Relay {
    /// True while the console is "down"; open connections watch it and close.
    down: tokio::sync::watch::Sender<bool>,
    attempts: Mutex<Vec<Instant>>,
}

impl TestConsole {
    pub async fn start(api_key: &str) -> TestConsole {
        let certified =
            rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
                .expect("certificate");
        let fingerprint = format!(
            "SHA256:{}",
            hex::encode(Sha256::digest(certified.cert.der()))
        );
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
            certified.cert.pem().into_bytes(),
            certified.signing_key.serialize_pem().into_bytes(),
        )
        .await
        .expect("TLS config");
        let state = Arc::new(Mutex::new(ConsoleState {
            api_key: api_key.into(),
            token_ttl: Duration::from_secs(3600),
            ..Default::default()
        }));
        let app = axum::Router::new()
            .route("/api/v1/sensor/register", post(register))
            .route("/api/v1/sensor/token", post(renew))
            .route("/api/v1/sensor/report", post(report))
            .with_state(state.clone());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let backend = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let server = axum_server::from_tcp_rustls(listener, tls).unwrap();
        tokio::spawn(async move { server.serve(app.into_make_service()).await });

        let relay = Arc::new(Relay {
            down: tokio::sync::watch::Sender::new(false),
            attempts: Mutex::new(Vec::new()),
        });
        let front = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = front.local_addr().unwrap().port();
        tokio::spawn(run_relay(front, backend, relay.clone()));
        TestConsole {
            url: format!("https://127.0.0.1:{port}"),
            fingerprint,
            state,
            relay,
        }
    }

    pub fn state(&self) -> MutexGuard<'_, ConsoleState> {
        self.state.lock().unwrap()
    }

    /// Makes the console unreachable (true) or reachable again.
    pub fn set_down(&self, down: bool) {
        self.relay.down.send_replace(down);
    }

    /// Connection attempts seen by the relay since `since`.
    pub fn attempts_since(&self, since: Instant) -> Vec<Instant> {
        self.relay
            .attempts
            .lock()
            .unwrap()
            .iter()
            .copied()
            .filter(|at| *at >= since)
            .collect()
    }

    /// Waits until `check` holds on the state, or panics after `timeout` with `what`.
    pub async fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&ConsoleState) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            if check(&self.state()) {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Accepted reports.
    pub fn accepted(&self) -> Vec<Report> {
        self.state()
            .reports
            .iter()
            .filter(|r| r.status == 202)
            .map(|r| r.report.clone())
            .collect()
    }
}

async fn run_relay(front: tokio::net::TcpListener, backend: SocketAddr, relay: Arc<Relay>) {
    while let Ok((mut inbound, _)) = front.accept().await {
        relay.attempts.lock().unwrap().push(Instant::now());
        if *relay.down.borrow() {
            drop(inbound);
            continue;
        }
        let mut down = relay.down.subscribe();
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(backend).await {
                // Kept-alive connections are cut too when the console goes down.
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    _ = down.wait_for(|down| *down) => {}
                }
            }
        });
    }
}

fn problem(status: StatusCode, detail: &str) -> Response {
    (
        status,
        [("content-type", "application/problem+json")],
        serde_json::json!({"type": "about:blank", "title": status.canonical_reason(), "status": status.as_u16(), "detail": detail})
            .to_string(),
    )
        .into_response()
}

fn need_snapshot() -> Response {
    (
        StatusCode::CONFLICT,
        [("content-type", "application/problem+json")],
        serde_json::json!({"type": "about:blank", "title": "Conflict", "status": 409,
            "detail": "sequence gap or lost state: send a snapshot", "need_snapshot": true})
        .to_string(),
    )
        .into_response()
}

fn issue_token(state: &mut ConsoleState, sensor_id: &str, credential: Option<&str>) -> Response {
    let token = format!("vst_{}", uuid::Uuid::new_v4().simple());
    state.tokens.insert(token.clone(), sensor_id.to_string());
    let expires = time::OffsetDateTime::now_utc() + state.token_ttl;
    let expires_at = expires
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let mut answer =
        serde_json::json!({"sensor_id": sensor_id, "token": token, "expires_at": expires_at});
    if let Some(credential) = credential {
        answer["credential"] = credential.into();
    }
    Json(answer).into_response()
}

async fn register(
    State(state): State<Arc<Mutex<ConsoleState>>>,
    Json(body): Json<serde_json::Value>,
) -> Response {
    let mut state = state.lock().unwrap();
    let kept = body["sensor_id"].as_str().map(str::to_string);
    let credential = body["credential"].as_str().map(str::to_string);
    state.registrations.push(kept.clone());
    state.credentials_sent.push(credential.clone());
    if body["api_key"].as_str() != Some(state.api_key.as_str()) {
        return problem(
            StatusCode::UNAUTHORIZED,
            "the sensor API key is wrong or was rotated; get the current key from the console (`vedette console api-key show`)",
        );
    }
    // As the console does: a known id needs its credential, an unknown one is ignored.
    if let Some(id) = kept.filter(|id| state.known_sensors.contains_key(id)) {
        if credential.as_ref() != state.known_sensors.get(&id) {
            return problem(
                StatusCode::FORBIDDEN,
                "sensor exists and this registration did not prove it is that sensor",
            );
        }
        if state.disabled.contains(&id) {
            return problem(
                StatusCode::FORBIDDEN,
                "this sensor was disabled by an admin of the console",
            );
        }
        return issue_token(&mut state, &id, None);
    }
    let sensor_id = uuid::Uuid::now_v7().to_string();
    let credential = format!("vsc_{}", uuid::Uuid::new_v4().simple());
    state
        .known_sensors
        .insert(sensor_id.clone(), credential.clone());
    issue_token(&mut state, &sensor_id, Some(&credential))
}

fn caller(state: &ConsoleState, headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    state.tokens.get(token).cloned()
}

async fn renew(State(state): State<Arc<Mutex<ConsoleState>>>, headers: HeaderMap) -> Response {
    let mut state = state.lock().unwrap();
    let Some(sensor_id) = caller(&state, &headers) else {
        return problem(StatusCode::UNAUTHORIZED, "token expired or revoked");
    };
    state.renewals += 1;
    issue_token(&mut state, &sensor_id, None)
}

async fn report(
    State(state): State<Arc<Mutex<ConsoleState>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut state = state.lock().unwrap();
    let Some(sensor_id) = caller(&state, &headers) else {
        return problem(StatusCode::UNAUTHORIZED, "token expired or revoked");
    };
    if headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        != Some("zstd")
    {
        return problem(StatusCode::BAD_REQUEST, "reports must be zstd-compressed");
    }
    let Ok(json) = zstd::bulk::decompress(&body, MAX_REPORT_BYTES) else {
        return problem(StatusCode::BAD_REQUEST, "not zstd");
    };
    let report: Report = match serde_json::from_slice(&json) {
        Ok(report) => report,
        Err(err) => return problem(StatusCode::BAD_REQUEST, &err.to_string()),
    };
    if report.sensor_id != sensor_id {
        return problem(
            StatusCode::FORBIDDEN,
            "the report's sensor id does not match the token",
        );
    }
    let mut received = Received {
        report: report.clone(),
        compressed_bytes: body.len(),
        at: Instant::now(),
        status: 202,
    };
    let answer = match state.script.pop_front() {
        Some(Scripted::NeedSnapshot) => {
            state.last_sequence.remove(&sensor_id);
            need_snapshot()
        }
        Some(Scripted::Refused) => problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the report would take this sensor's processes over the console's limit",
        ),
        Some(Scripted::SlowDown(secs)) => {
            let mut response = problem(StatusCode::TOO_MANY_REQUESTS, "console busy");
            response
                .headers_mut()
                .insert("retry-after", secs.to_string().parse().unwrap());
            response
        }
        None => {
            let expected = state.last_sequence.get(&sensor_id).map(|last| last + 1);
            if report.snapshot || expected == Some(report.sequence) {
                state.last_sequence.insert(sensor_id, report.sequence);
                (
                    StatusCode::ACCEPTED,
                    Json(serde_json::json!({"accepted_sequence": report.sequence})),
                )
                    .into_response()
            } else {
                need_snapshot()
            }
        }
    };
    received.status = answer.status().as_u16();
    state.reports.push(received);
    answer
}
