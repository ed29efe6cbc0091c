//! Talking to the console: registration with the API key (and the sensor's
//! id and credential once it has them), token renewal,
//! and sending reports (JSON, zstd-compressed). Every answer is turned into
//! an outcome the sensor loop acts on; nothing here sleeps or retries.

pub mod backoff;
pub mod stream;

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use vedette_model::wire::Report;

use self::backoff::parse_retry_after;

/// zstd level: fast, and reports are repetitive enough to shrink well.
pub const ZSTD_LEVEL: i32 = 3;
/// Largest console answer read.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The console's sensor endpoints.
#[derive(Debug, Clone)]
pub struct Console {
    client: reqwest::Client,
    base: reqwest::Url,
}

/// A sensor identity and its token.
#[derive(Clone)]
pub struct Session {
    /// The sensor's id.
    pub sensor_id: String,
    /// The sensor's credential, when the console issued one in this answer
    /// (a new sensor): keep it with the id.
    pub credential: Option<String>,
    /// The bearer token.
    pub token: String,
    /// When to renew it (half its lifetime).
    pub renew_at: Instant,
    /// When it expires.
    pub expires_at: Instant,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("sensor_id", &self.sensor_id)
            .field("renew_at", &self.renew_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// An existing sensor identity to register as: its id and credential.
#[derive(Clone, Copy)]
pub struct Claim<'a> {
    /// The sensor id.
    pub sensor_id: &'a str,
    /// Its credential.
    pub credential: &'a str,
}

/// What the console said to a registration or renewal.
#[derive(Debug)]
pub enum TokenOutcome {
    /// A new token.
    Granted(Session),
    /// 401: wrong or rotated API key (registration) or expired token (renewal).
    Unauthorized(String),
    /// 403: the sensor is disabled, or its id was claimed without the right credential.
    Forbidden(String),
    /// 429/503 or a network error: try again later (after the delay when given).
    Retry(Option<Duration>, String),
}

/// What the console said to a report.
#[derive(Debug)]
pub enum SendOutcome {
    /// 202: accepted with this sequence number.
    Accepted(u64),
    /// 409: the console needs a snapshot.
    NeedSnapshot(String),
    /// 429/503 (or another server error): slow down (after the delay when given).
    SlowDown(StatusCode, Option<Duration>, String),
    /// 401: the token is no longer valid; register again.
    Unauthorized(String),
    /// 403: the sensor id does not match the token, or the sensor is disabled.
    Forbidden(String),
    /// 400/413 or another status: the report was refused.
    Rejected(StatusCode, String),
    /// The console could not be reached.
    Unreachable(String),
}

#[derive(Serialize)]
struct RegisterRequest<'a> {
    api_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sensor_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credential: Option<&'a str>,
    hostname: &'a str,
    version: &'a str,
}

#[derive(Deserialize)]
struct TokenAnswer {
    sensor_id: String,
    token: String,
    expires_at: String,
    #[serde(default)]
    credential: Option<String>,
}

#[derive(Deserialize)]
struct Accepted {
    accepted_sequence: u64,
}

/// An `application/problem+json` body (only the fields the sensor uses).
#[derive(Deserialize, Default)]
struct Problem {
    title: Option<String>,
    detail: Option<String>,
}

/// Serializes and compresses reports, reusing its buffer and zstd context.
pub struct Encoder {
    json: Vec<u8>,
    compressor: zstd::bulk::Compressor<'static>,
}

impl Encoder {
    /// A new encoder.
    pub fn new() -> std::io::Result<Self> {
        Ok(Encoder {
            json: Vec::with_capacity(64 * 1024),
            compressor: zstd::bulk::Compressor::new(ZSTD_LEVEL)?,
        })
    }

    /// The report as zstd-compressed JSON.
    pub fn encode(&mut self, report: &Report) -> std::io::Result<Vec<u8>> {
        self.json.clear();
        serde_json::to_writer(&mut self.json, report)?;
        self.compressor.compress(&self.json)
    }

    /// Size of the last report's JSON before compression.
    pub fn last_json_len(&self) -> usize {
        self.json.len()
    }
}

impl Console {
    /// The console at `base`, reached through `client` (built by `vedette_client`).
    pub fn new(client: reqwest::Client, mut base: reqwest::Url) -> Self {
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Console { client, base }
    }

    fn url(&self, path: &str) -> reqwest::Url {
        // `path` is a fixed relative path: joining cannot fail.
        self.base.join(path).unwrap_or_else(|_| self.base.clone())
    }

    /// Registers with the API key: as the sensor of `claim` (id and
    /// credential) when given, else as a new sensor (the console then
    /// answers with an id and a credential to keep).
    pub async fn register(
        &self,
        api_key: &str,
        claim: Option<Claim<'_>>,
        hostname: &str,
    ) -> TokenOutcome {
        let request = RegisterRequest {
            api_key,
            sensor_id: claim.map(|c| c.sensor_id),
            credential: claim.map(|c| c.credential),
            hostname,
            version: env!("CARGO_PKG_VERSION"),
        };
        let sent = self
            .client
            .post(self.url("api/v1/sensor/register"))
            .json(&request)
            .send()
            .await;
        token_outcome(sent).await
    }

    /// Renews the token.
    pub async fn renew(&self, session: &Session) -> TokenOutcome {
        let sent = self
            .client
            .post(self.url("api/v1/sensor/token"))
            .header(AUTHORIZATION, format!("Bearer {}", session.token))
            .send()
            .await;
        token_outcome(sent).await
    }

    /// Sends one compressed report.
    pub async fn send(&self, session: &Session, compressed: Vec<u8>) -> SendOutcome {
        let sent = self
            .client
            .post(self.url("api/v1/sensor/report"))
            .header(AUTHORIZATION, format!("Bearer {}", session.token))
            .header(CONTENT_TYPE, "application/json")
            .header(CONTENT_ENCODING, "zstd")
            .body(compressed)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(err) => return SendOutcome::Unreachable(error_chain(&err)),
        };
        let status = response.status();
        let retry_after = retry_after(&response);
        let body = read_limited(response).await;
        if status.is_success() {
            return match serde_json::from_slice::<Accepted>(&body) {
                Ok(accepted) => SendOutcome::Accepted(accepted.accepted_sequence),
                Err(err) => SendOutcome::Rejected(status, format!("unexpected answer: {err}")),
            };
        }
        let problem: Problem = serde_json::from_slice(&body).unwrap_or_default();
        let detail = problem_text(problem, status);
        match status {
            // 409 comes with `need_snapshot: true`; any conflict is answered with a snapshot.
            StatusCode::CONFLICT => SendOutcome::NeedSnapshot(detail),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                SendOutcome::SlowDown(status, retry_after, detail)
            }
            StatusCode::UNAUTHORIZED => SendOutcome::Unauthorized(detail),
            StatusCode::FORBIDDEN => SendOutcome::Forbidden(detail),
            status if status.is_server_error() => {
                SendOutcome::SlowDown(status, retry_after, detail)
            }
            status => SendOutcome::Rejected(status, detail),
        }
    }
}

async fn token_outcome(sent: reqwest::Result<reqwest::Response>) -> TokenOutcome {
    let response = match sent {
        Ok(response) => response,
        Err(err) => return TokenOutcome::Retry(None, error_chain(&err)),
    };
    let status = response.status();
    let retry_after = retry_after(&response);
    let body = read_limited(response).await;
    if status == StatusCode::OK {
        return match serde_json::from_slice::<TokenAnswer>(&body) {
            Ok(answer) => TokenOutcome::Granted(session(answer)),
            Err(err) => {
                TokenOutcome::Retry(None, format!("unexpected answer from the console: {err}"))
            }
        };
    }
    let detail = problem_text(serde_json::from_slice(&body).unwrap_or_default(), status);
    match status {
        StatusCode::UNAUTHORIZED => TokenOutcome::Unauthorized(detail),
        StatusCode::FORBIDDEN => TokenOutcome::Forbidden(detail),
        _ => TokenOutcome::Retry(retry_after, detail),
    }
}

/// A session from the console's answer; the token's lifetime is measured
/// against the local clock from now, so clock skew does not matter.
fn session(answer: TokenAnswer) -> Session {
    let now = Instant::now();
    let lifetime = time::OffsetDateTime::parse(
        &answer.expires_at,
        &time::format_description::well_known::Rfc3339,
    )
    .ok()
    .map(|expires| expires - time::OffsetDateTime::now_utc())
    .and_then(|left| Duration::try_from(left).ok())
    .unwrap_or(Duration::from_secs(60));
    Session {
        sensor_id: answer.sensor_id,
        credential: answer.credential,
        token: answer.token,
        renew_at: now + lifetime / 2,
        expires_at: now + lifetime,
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(parse_retry_after)
}

fn problem_text(problem: Problem, status: StatusCode) -> String {
    problem
        .detail
        .or(problem.title)
        .unwrap_or_else(|| format!("HTTP {status}"))
}

/// The body, at most [`MAX_ANSWER_BYTES`] of it.
async fn read_limited(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = MAX_ANSWER_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    body
}

/// The error and its causes on one line (reqwest hides the TLS reason in the source chain).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
