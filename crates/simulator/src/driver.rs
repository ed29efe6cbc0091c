//! Running the fleet: every virtual sensor registers, then reports on its
//! interval through the real sensor's report stream, until the duration is
//! over; then the console is asked whether it has everything.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::time::sleep_until;
use vedette_model::wire::Visibility;
use vedette_sensor::report::stream::{Next, ReportStream};
use vedette_sensor::report::{Console, SendOutcome, Session, TokenOutcome};

use crate::generator::{Counts, Fleet, MAX_HOSTS};
use crate::stats::{Stats, Summary, process_cpu_secs};
use crate::verify::{self, AdminAuth, Verification};

/// Backoff of the virtual sensors (the real sensor's defaults).
const BACKOFF_BASE: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(60);

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimulationConfig {
    /// The console's base URL.
    pub console_url: reqwest::Url,
    /// The console's sensor API key.
    pub api_key: String,
    /// How to trust the console's certificate.
    pub trust: vedette_client::Trust,
    /// Number of virtual sensors.
    pub count: usize,
    /// Report interval of each sensor.
    pub interval: Duration,
    /// How long to run.
    pub duration: Duration,
    /// Seed of the fleet's topology.
    pub seed: u64,
    /// Virtual sensors sharing one source address when the console is on
    /// this machine (each source address gets its own HTTP client and
    /// connection pool, like separate hosts); 0 for one shared client.
    pub sensors_per_source: usize,
    /// How to ask the console what it holds, for the final check.
    pub admin: Option<AdminAuth>,
    /// Print a progress line every few seconds (on stderr).
    pub progress: bool,
}

/// The result of a simulation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Outcome {
    /// The measurements.
    pub summary: Summary,
    /// Virtual sensors that stopped early, with the reason.
    pub failed_sensors: Vec<String>,
    /// The console's answer to "is anything lost?", when asked.
    pub verification: Option<Verification>,
}

impl Outcome {
    /// True when every sensor ran to the end and, if verified, nothing was lost.
    pub fn passed(&self) -> bool {
        self.failed_sensors.is_empty() && self.verification.as_ref().is_none_or(|v| v.ok)
    }
}

/// Why the simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimulationError {
    /// A bad setting.
    #[error("{0}")]
    Config(String),
    /// The console's certificate settings are unusable.
    #[error(transparent)]
    Client(#[from] vedette_client::ClientError),
    /// The final check could not ask the console.
    #[error("cannot verify the console's state: {0}")]
    Verify(String),
}

/// What one virtual sensor ended with.
#[derive(Debug, Default)]
pub struct SensorResult {
    /// Its index in the fleet.
    pub index: usize,
    /// Its id, once registered.
    pub sensor_id: Option<String>,
    /// What the console acknowledged last.
    pub acknowledged: Option<Counts>,
    /// Why it stopped early.
    pub failure: Option<String>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A loopback source address for group `k` (127.2.0.1 onwards).
fn loopback_source(k: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(
        127,
        2 + (k / 62_500) as u8,
        ((k / 250) % 250) as u8,
        1 + (k % 250) as u8,
    ))
}

fn console_is_local(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or_default();
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The HTTP clients the virtual sensors share.
fn clients(config: &SimulationConfig) -> Result<Vec<reqwest::Client>, SimulationError> {
    let tls = vedette_client::tls_config(&config.trust)?;
    let groups = if config.sensors_per_source > 0 && console_is_local(&config.console_url) {
        config.count.div_ceil(config.sensors_per_source)
    } else {
        1
    };
    (0..groups)
        .map(|k| {
            let mut builder = reqwest::Client::builder()
                .tls_backend_preconfigured(tls.clone())
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(60))
                .user_agent(concat!("vedette-simulator/", env!("CARGO_PKG_VERSION")));
            if groups > 1 {
                builder = builder.local_address(loopback_source(k));
            }
            builder
                .build()
                .map_err(|e| SimulationError::Config(format!("cannot build an HTTP client: {e}")))
        })
        .collect()
}

/// Runs the simulation and, when `config.admin` is set, checks the console.
pub async fn simulate(config: SimulationConfig) -> Result<Outcome, SimulationError> {
    if config.count == 0 || config.count > MAX_HOSTS {
        return Err(SimulationError::Config(format!(
            "--count must be from 1 to {MAX_HOSTS}"
        )));
    }
    if config.interval < Duration::from_millis(100) {
        return Err(SimulationError::Config(
            "--interval must be at least 100ms".into(),
        ));
    }
    let clients = clients(&config)?;
    let fleet = Fleet::new(config.count, config.seed);
    let stats = Arc::new(Stats::default());
    let started = Instant::now();
    let cpu_before = process_cpu_secs().unwrap_or(0.0);
    let end = tokio::time::Instant::now() + config.duration;
    let progress = config.progress.then(|| {
        let stats = stats.clone();
        let count = config.count;
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            every.tick().await;
            loop {
                every.tick().await;
                eprintln!(
                    "[{:>5.0}s] sensors registered {}/{count}, reports sent {}, accepted {}, 409 {}, 429 {}",
                    started.elapsed().as_secs_f64(),
                    stats.registered.load(Ordering::Relaxed),
                    stats.sent.load(Ordering::Relaxed),
                    stats.accepted.load(Ordering::Relaxed),
                    stats.need_snapshot.load(Ordering::Relaxed),
                    stats.too_many.load(Ordering::Relaxed),
                );
            }
        })
    });
    let mut tasks = Vec::with_capacity(config.count);
    for index in 0..config.count {
        let client = clients[index % clients.len()].clone();
        let console = Console::new(client, config.console_url.clone());
        let virtual_sensor = VirtualSensor {
            index,
            fleet: fleet.clone(),
            console,
            api_key: config.api_key.clone(),
            stats: stats.clone(),
            interval: config.interval,
            // Staggered over one interval so the fleet does not report in lockstep.
            start: tokio::time::Instant::now()
                + config.interval.mul_f64(index as f64 / config.count as f64),
            end,
        };
        tasks.push(tokio::spawn(virtual_sensor.run()));
    }
    let mut results = Vec::with_capacity(tasks.len());
    for (index, task) in tasks.into_iter().enumerate() {
        results.push(task.await.unwrap_or_else(|e| SensorResult {
            index,
            failure: Some(format!("the virtual sensor crashed: {e}")),
            ..SensorResult::default()
        }));
    }
    if let Some(progress) = progress {
        progress.abort();
    }
    let wall = started.elapsed();
    let mut summary = stats.summary(wall);
    summary.simulator_cpu_cores =
        (process_cpu_secs().unwrap_or(0.0) - cpu_before) / wall.as_secs_f64().max(0.001);
    let failed_sensors = results
        .iter()
        .filter_map(|r| {
            r.failure
                .as_ref()
                .map(|f| format!("{}: {f}", Fleet::hostname(r.index)))
        })
        .collect();
    let verification = match &config.admin {
        Some(admin) => Some(
            verify::verify(&config, admin, &results)
                .await
                .map_err(SimulationError::Verify)?,
        ),
        None => None,
    };
    Ok(Outcome {
        summary,
        failed_sensors,
        verification,
    })
}

/// One simulated sensor.
struct VirtualSensor {
    index: usize,
    fleet: Fleet,
    console: Console,
    api_key: String,
    stats: Arc<Stats>,
    interval: Duration,
    start: tokio::time::Instant,
    end: tokio::time::Instant,
}

impl VirtualSensor {
    async fn run(self) -> SensorResult {
        let mut result = SensorResult {
            index: self.index,
            ..SensorResult::default()
        };
        sleep_until(self.start).await;
        let mut host = self.fleet.host(self.index, now_ms());
        let hostname = Fleet::hostname(self.index);
        let mut stream = match ReportStream::new(BACKOFF_BASE, BACKOFF_CAP) {
            Ok(stream) => stream,
            Err(e) => {
                result.failure = Some(format!("zstd: {e}"));
                return result;
            }
        };
        let mut session: Option<Session> = None;
        let mut last_collected = tokio::time::Instant::now();
        let mut first = true;
        // The credential the console issued at the first registration.
        let mut credential: Option<String> = None;
        while tokio::time::Instant::now() < self.end {
            let cycle = tokio::time::Instant::now();
            // Register or renew, exactly as the sensor loop does.
            let due = match &session {
                Some(s) => Instant::now() >= s.renew_at,
                None => true,
            };
            if due {
                let registering = session.is_none();
                let outcome = match &session {
                    Some(s) => self.console.renew(s).await,
                    None => {
                        let claim = result.sensor_id.as_deref().zip(credential.as_deref()).map(
                            |(sensor_id, credential)| vedette_sensor::report::Claim {
                                sensor_id,
                                credential,
                            },
                        );
                        self.console.register(&self.api_key, claim, &hostname).await
                    }
                };
                match outcome {
                    TokenOutcome::Granted(granted) => {
                        if registering {
                            self.stats.registered.fetch_add(1, Ordering::Relaxed);
                            stream.restart();
                        } else {
                            self.stats.renewed.fetch_add(1, Ordering::Relaxed);
                        }
                        result.sensor_id = Some(granted.sensor_id.clone());
                        if let Some(issued) = &granted.credential {
                            credential = Some(issued.clone());
                        }
                        session = Some(granted);
                    }
                    TokenOutcome::Unauthorized(detail) if registering => {
                        self.stats.token_failures.fetch_add(1, Ordering::Relaxed);
                        result.failure = Some(format!("the API key was refused: {detail}"));
                        return result;
                    }
                    TokenOutcome::Unauthorized(_) => {
                        session = None;
                        continue;
                    }
                    TokenOutcome::Forbidden(detail) => {
                        self.stats.token_failures.fetch_add(1, Ordering::Relaxed);
                        result.failure = Some(format!("refused: {detail}"));
                        return result;
                    }
                    TokenOutcome::Retry(after, _) => {
                        self.stats.token_failures.fetch_add(1, Ordering::Relaxed);
                        let still_valid = session
                            .as_ref()
                            .is_some_and(|s| Instant::now() < s.expires_at);
                        if !still_valid {
                            session = None;
                            let wait = after.unwrap_or_else(|| stream.backoff_delay());
                            sleep_until((cycle + wait).min(self.end)).await;
                            continue;
                        }
                    }
                }
            }
            let Some(current) = session.clone() else {
                continue;
            };
            // Collect: the host moves on by the time since the last collection.
            if !first {
                let elapsed = last_collected.elapsed().as_millis() as i64;
                host.tick(elapsed.max(1));
            }
            first = false;
            last_collected = tokio::time::Instant::now();
            let (next, attempt) = match stream
                .report(&self.console, &current, Visibility::Host, &host.observation)
                .await
            {
                Ok(sent) => sent,
                Err(e) => {
                    result.failure = Some(format!("cannot encode a report: {e}"));
                    return result;
                }
            };
            self.stats.record(
                &attempt.outcome,
                attempt.latency,
                attempt.compressed_bytes,
                attempt.json_bytes,
                attempt.snapshot,
            );
            if matches!(attempt.outcome, SendOutcome::Accepted(_)) {
                result.acknowledged = Some(Counts::of(&host.observation));
            }
            let wait = match next {
                Next::Wait(wait) => {
                    wait.unwrap_or_else(|| self.interval.saturating_sub(cycle.elapsed()))
                }
                Next::Reregister => {
                    session = None;
                    Duration::ZERO
                }
                Next::Refused(detail) => {
                    result.failure = Some(format!("refused: {detail}"));
                    return result;
                }
            };
            sleep_until((tokio::time::Instant::now() + wait).min(self.end)).await;
        }
        if result.acknowledged.is_none() && result.failure.is_none() {
            result.failure = Some("no report was accepted before the end".into());
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_sources_are_distinct_and_usable() {
        let sources: std::collections::HashSet<IpAddr> = (0..70_000).map(loopback_source).collect();
        assert_eq!(sources.len(), 70_000);
        assert!(sources.iter().all(|ip| ip.is_loopback()));
        assert!(console_is_local(&"https://127.0.0.1:8443".parse().unwrap()));
        assert!(console_is_local(&"https://localhost:8443".parse().unwrap()));
        assert!(!console_is_local(
            &"https://console.example:8443".parse().unwrap()
        ));
    }
}
