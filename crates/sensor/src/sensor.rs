//! The sensor loop: register, then every interval collect, build a snapshot
//! or a delta, send it, and react to the console's answer.
//!
//! Memory stays bounded while the console is unreachable: nothing is
//! queued. Each attempt recomputes the delta from the last *acknowledged*
//! state to the newest observation, so one pending report covers any number
//! of missed intervals; after a long outage the baseline is dropped and a
//! snapshot is sent instead.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::time::sleep;
use vedette_model::wire::Visibility;

use crate::collect::{Collectors, CollectorsConfig, Observation};
use crate::config::SensorConfig;
use crate::error::SensorError;
use crate::report::stream::{Next, ReportStream};
use crate::report::{Claim, Console, SendOutcome, Session, TokenOutcome};
use crate::state_file::{self, SensorState};

/// A configured sensor.
pub struct Sensor {
    config: SensorConfig,
}

/// The loop's state between intervals.
struct Reporter {
    console: Console,
    config: SensorConfig,
    hostname: String,
    visibility: Visibility,
    state: SensorState,
    session: Option<Session>,
    stream: ReportStream,
    outage_since: Option<Instant>,
}

impl Sensor {
    /// A sensor with this configuration.
    pub fn new(config: SensorConfig) -> Self {
        Sensor { config }
    }

    /// Runs until `shutdown` completes (then `Ok`) or a fatal error: a
    /// rotated API key, a disabled sensor, an unusable state file.
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), SensorError> {
        tokio::select! {
            result = self.run_forever() => result,
            () = shutdown => {
                tracing::info!("sensor stopping");
                Ok(())
            }
        }
    }

    async fn run_forever(self) -> Result<(), SensorError> {
        let config = self.config;
        let client = vedette_client::client(&config.trust)?;
        let console = Console::new(client, config.console_url.clone());
        let (visibility, reason) = crate::visibility::resolve(config.visibility, &config.host_root);
        tracing::info!(?visibility, reason, host_root = %config.host_root.as_path().display(), "sensor visibility");
        let mut state = state_file::load(&config.state_file)?;
        if let Some(identity) = &config.identity {
            // A credential an admin re-issued: it replaces the state file's identity
            // (saved there once the console accepts it).
            tracing::info!(sensor_id = %identity.sensor_id, "registering with the given sensor id and credential");
            state.sensor_id = Some(identity.sensor_id.clone());
            state.credential = Some(identity.credential.clone());
        } else if state.credential.is_none()
            && let Some(old) = state.sensor_id.take()
        {
            tracing::warn!(
                sensor_id = %old,
                "the state file has a sensor id but no credential (written by an older sensor): registering as a new sensor"
            );
        }
        let mut collectors: Collectors = CollectorsConfig {
            host_root: config.host_root.clone(),
            docker_socket: config.docker_socket.clone(),
            visibility,
        }
        .build()
        .await;
        let mut observation = Observation::default();
        collectors.collect(&mut observation).await;
        // Backoff is capped at the interval: retrying an unreachable console once per
        // interval is no more than reporting does, and it brings the map back within one
        // interval of the console's return (a restart, an upgrade).
        let stream = ReportStream::new(
            config.tuning.backoff_base,
            config.tuning.backoff_cap.min(config.interval),
        )
        .map_err(|e| SensorError::Config(format!("zstd: {e}")))?;
        let mut reporter = Reporter {
            console,
            hostname: observation.host.hostname.clone(),
            config,
            visibility,
            state,
            session: None,
            stream,
            outage_since: None,
        };
        loop {
            let started = Instant::now();
            let wait = match reporter.ensure_session().await? {
                Some(wait) => wait,
                None => {
                    collectors.collect(&mut observation).await;
                    reporter.report(&observation).await?
                }
            };
            let wait =
                wait.unwrap_or_else(|| reporter.config.interval.saturating_sub(started.elapsed()));
            sleep(wait).await;
        }
    }
}

impl Reporter {
    /// Makes sure a valid token is held. `Ok(Some(wait))` when the console
    /// could not be asked and the loop should wait before trying again.
    async fn ensure_session(&mut self) -> Result<Option<Option<Duration>>, SensorError> {
        let now = Instant::now();
        let outcome = match &self.session {
            Some(session) if now < session.renew_at => return Ok(None),
            Some(session) => self.console.renew(session).await,
            None => {
                let claim = match (&self.state.sensor_id, &self.state.credential) {
                    (Some(sensor_id), Some(credential)) => Some(Claim {
                        sensor_id,
                        credential,
                    }),
                    _ => None,
                };
                self.console
                    .register(&self.config.api_key, claim, &self.hostname)
                    .await
            }
        };
        let registering = self.session.is_none();
        match outcome {
            TokenOutcome::Granted(session) => {
                if registering {
                    tracing::info!(sensor_id = %session.sensor_id, "registered with the console");
                    // A new registration starts a new report stream.
                    self.stream.restart();
                }
                if let Some(credential) = &session.credential {
                    // A new identity: the console issued an id and a credential.
                    self.state.sensor_id = Some(session.sensor_id.clone());
                    self.state.credential = Some(credential.clone());
                    state_file::save(&self.config.state_file, &self.state)?;
                } else if registering && self.config.identity.is_some() {
                    // A re-issued credential the console accepted: keep it.
                    let saved = state_file::load(&self.config.state_file).unwrap_or_default();
                    if saved != self.state {
                        state_file::save(&self.config.state_file, &self.state)?;
                    }
                }
                self.session = Some(session);
                Ok(None)
            }
            TokenOutcome::Unauthorized(detail) if registering => {
                Err(SensorError::ApiKeyRejected { detail })
            }
            TokenOutcome::Unauthorized(detail) => {
                tracing::info!(%detail, "token refused, registering again");
                self.session = None;
                Ok(Some(Some(Duration::ZERO)))
            }
            TokenOutcome::Forbidden(detail) => Err(SensorError::Refused { detail }),
            TokenOutcome::Retry(after, detail) => {
                // A renewal that failed keeps the old token while it lasts.
                if let Some(session) = &self.session
                    && now < session.expires_at
                {
                    tracing::warn!(%detail, "cannot renew the token yet");
                    return Ok(None);
                }
                self.session = None;
                self.mark_outage();
                let wait = after.unwrap_or_else(|| self.stream.backoff_delay());
                tracing::warn!(%detail, retry_in = ?wait, "cannot register with the console");
                Ok(Some(Some(wait)))
            }
        }
    }

    /// Sends one report built from `observation`. Returns how long to wait
    /// before the next cycle (`None`: the normal interval).
    async fn report(&mut self, observation: &Observation) -> Result<Option<Duration>, SensorError> {
        let Some(session) = self.session.clone() else {
            return Ok(Some(Duration::ZERO));
        };
        let (next, attempt) = self
            .stream
            .report(&self.console, &session, self.visibility, observation)
            .await
            .map_err(|e| SensorError::Config(format!("cannot encode a report: {e}")))?;
        let size = attempt.compressed_bytes;
        match &attempt.outcome {
            SendOutcome::Accepted(sequence) => {
                if self.outage_since.take().is_some() {
                    tracing::info!("console reachable again");
                }
                tracing::debug!(
                    sequence,
                    snapshot = attempt.snapshot,
                    bytes = size,
                    "report accepted"
                );
            }
            SendOutcome::NeedSnapshot(detail) => {
                tracing::info!(%detail, "the console asked for a snapshot");
            }
            SendOutcome::SlowDown(status, _, detail) => {
                tracing::info!(%status, %detail, wait = ?next, "the console asked to slow down");
            }
            SendOutcome::Unauthorized(detail) => {
                tracing::info!(%detail, "token refused, registering again");
            }
            SendOutcome::Forbidden(_) => {}
            SendOutcome::Rejected(status, detail) => {
                tracing::error!(%status, %detail, bytes = size, "the console refused a report; sending a snapshot next");
            }
            SendOutcome::Unreachable(detail) => {
                self.mark_outage();
                tracing::warn!(%detail, retry_in = ?next, "cannot reach the console");
            }
        }
        match next {
            Next::Wait(wait) => Ok(wait),
            Next::Reregister => {
                self.session = None;
                Ok(Some(Duration::ZERO))
            }
            Next::Refused(detail) => Err(SensorError::Refused { detail }),
        }
    }

    /// Notes an outage; a long one collapses the baseline into "send a snapshot".
    fn mark_outage(&mut self) {
        let since = *self.outage_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= self.config.tuning.snapshot_after_outage
            && self.stream.forget_baseline()
        {
            tracing::info!("long outage: a snapshot will be sent when the console is back");
        }
    }
}
