//! One sensor's report stream: what the console acknowledged (the
//! [`Baseline`]), the last sequence number, whether a snapshot is due, and
//! how the sensor reacts to each answer (409 → snapshot, 429/503 →
//! `Retry-After` or backoff, another 4xx → the report was refused as invalid
//! or over a limit: a snapshot, after a backoff, renumbered from 1 when the
//! sequence was out of range). The sensor loop and the fleet simulator
//! (`vedette-simulator`) both drive their reports through it, so simulated
//! sensors behave exactly like real ones.

use std::time::{Duration, Instant};

use vedette_model::wire::{MAX_SEQUENCE, Report, Visibility};

use super::backoff::Backoff;
use super::{Console, Encoder, SendOutcome, Session};
use crate::collect::Observation;
use crate::delta::{Baseline, Header};

/// What the caller does after a report attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Wait this long before the next report (`None`: the normal interval).
    Wait(Option<Duration>),
    /// The token was refused: register again, then report at once.
    Reregister,
    /// The console refused this sensor for good (disabled, or the sensor id
    /// does not match the token).
    Refused(String),
}

/// What one attempt did, for logs and measurements.
#[derive(Debug)]
pub struct Attempt {
    /// The report sent was a snapshot.
    pub snapshot: bool,
    /// Its sequence number.
    pub sequence: u64,
    /// Its compressed size.
    pub compressed_bytes: usize,
    /// Its size before compression.
    pub json_bytes: usize,
    /// From sending to the console's answer.
    pub latency: Duration,
    /// The console's answer.
    pub outcome: SendOutcome,
    /// The report itself, as sent.
    pub report: Report,
}

/// A sensor's report stream.
pub struct ReportStream {
    baseline: Baseline,
    need_snapshot: bool,
    last_sequence: u64,
    backoff: Backoff,
    encoder: Encoder,
}

impl ReportStream {
    /// A stream that starts with a snapshot, backing off from `base` up to `cap`.
    pub fn new(backoff_base: Duration, backoff_cap: Duration) -> std::io::Result<Self> {
        Ok(ReportStream {
            baseline: Baseline::default(),
            need_snapshot: true,
            last_sequence: 0,
            backoff: Backoff::new(backoff_base, backoff_cap),
            encoder: Encoder::new()?,
        })
    }

    /// A new registration starts a new stream: the next report is a snapshot.
    pub fn restart(&mut self) {
        self.need_snapshot = true;
    }

    /// The last sequence number the console accepted (0 before any).
    pub fn last_sequence(&self) -> u64 {
        self.last_sequence
    }

    /// True when the next report will be a snapshot.
    pub fn needs_snapshot(&self) -> bool {
        self.need_snapshot
    }

    /// The next backoff delay (after a failure outside reporting).
    pub fn backoff_delay(&mut self) -> Duration {
        self.backoff.next_delay()
    }

    /// Drops the baseline after a long outage: the console has marked the
    /// sensor offline, so a snapshot is sent when it is back. Returns whether
    /// there was a baseline to drop.
    pub fn forget_baseline(&mut self) -> bool {
        if self.baseline.is_empty() {
            return false;
        }
        self.baseline = Baseline::default();
        self.need_snapshot = true;
        true
    }

    /// Builds the next report from `observation` (a snapshot or a delta
    /// against the acknowledged state), sends it and acts on the answer.
    pub async fn report(
        &mut self,
        console: &Console,
        session: &Session,
        visibility: Visibility,
        observation: &Observation,
    ) -> std::io::Result<(Next, Attempt)> {
        if self.last_sequence >= MAX_SEQUENCE {
            // The console cannot take the next number: a new stream.
            self.last_sequence = 0;
            self.need_snapshot = true;
        }
        let header = Header {
            sensor_id: session.sensor_id.clone(),
            sequence: self.last_sequence + 1,
            visibility,
        };
        let report: Report = if self.need_snapshot {
            Baseline::snapshot(observation, header)
        } else {
            self.baseline.delta(observation, header)
        };
        let compressed = self.encoder.encode(&report)?;
        let compressed_bytes = compressed.len();
        let json_bytes = self.encoder.last_json_len();
        let started = Instant::now();
        let outcome = console.send(session, compressed).await;
        let latency = started.elapsed();
        let next = self.react(&report, &outcome);
        Ok((
            next,
            Attempt {
                snapshot: report.snapshot,
                sequence: report.sequence,
                compressed_bytes,
                json_bytes,
                latency,
                outcome,
                report,
            },
        ))
    }

    /// The sensor's reaction to the console's answer to `report`.
    fn react(&mut self, report: &Report, outcome: &SendOutcome) -> Next {
        match outcome {
            SendOutcome::Accepted(sequence) => {
                self.baseline.acknowledge(report);
                self.last_sequence = (*sequence).max(report.sequence).min(MAX_SEQUENCE);
                self.need_snapshot = false;
                self.backoff.reset();
                Next::Wait(None)
            }
            SendOutcome::NeedSnapshot(_) => {
                let again = self.need_snapshot;
                self.need_snapshot = true;
                // A refused snapshot is retried with backoff, not in a tight loop.
                Next::Wait(Some(if again {
                    self.backoff.next_delay()
                } else {
                    Duration::ZERO
                }))
            }
            SendOutcome::SlowDown(_, after, _) => {
                Next::Wait(Some(after.unwrap_or_else(|| self.backoff.next_delay())))
            }
            SendOutcome::Unauthorized(_) => Next::Reregister,
            SendOutcome::Forbidden(detail) => Next::Refused(detail.clone()),
            SendOutcome::Rejected(..) => {
                // Refused as invalid: nothing was applied, so the console's
                // state no longer matches the baseline. A snapshot, numbered
                // afresh when the number itself was the problem.
                self.need_snapshot = true;
                if report.sequence >= MAX_SEQUENCE {
                    self.last_sequence = 0;
                }
                Next::Wait(Some(self.backoff.next_delay()))
            }
            SendOutcome::Unreachable(_) => Next::Wait(Some(self.backoff.next_delay())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;
    use vedette_model::wire::{Changes, PROTOCOL_VERSION};

    fn stream() -> ReportStream {
        ReportStream::new(Duration::from_millis(1), Duration::from_millis(2)).unwrap()
    }

    fn report(sequence: u64, snapshot: bool) -> Report {
        Report {
            protocol: PROTOCOL_VERSION,
            sensor_id: "s".into(),
            sequence,
            snapshot,
            collected_at_ms: 1,
            visibility: Visibility::Host,
            host: None,
            processes: Changes::default(),
            containers: Changes::default(),
            images: Changes::default(),
            connections: Changes::default(),
            collectors: None,
        }
    }

    #[test]
    fn i12_a_refused_report_is_followed_by_a_snapshot_renumbered_when_out_of_range() {
        let mut stream = stream();
        stream.react(&report(1, true), &SendOutcome::Accepted(1));
        assert!(!stream.needs_snapshot());
        // Refused as invalid or over a limit: a snapshot, same numbering.
        let refused = SendOutcome::Rejected(StatusCode::UNPROCESSABLE_ENTITY, "limit".into());
        stream.react(&report(2, false), &refused);
        assert!(stream.needs_snapshot());
        assert_eq!(stream.last_sequence(), 1);
        // Refused for its number: the snapshot starts again from 1.
        stream.react(
            &report(MAX_SEQUENCE, true),
            &SendOutcome::Accepted(MAX_SEQUENCE),
        );
        assert_eq!(stream.last_sequence(), MAX_SEQUENCE);
        stream.react(&report(MAX_SEQUENCE + 1, false), &refused);
        assert!(stream.needs_snapshot());
        assert_eq!(stream.last_sequence(), 0);
        // A console acknowledging an out-of-range number cannot push it past.
        stream.react(&report(1, true), &SendOutcome::Accepted(u64::MAX));
        assert_eq!(stream.last_sequence(), MAX_SEQUENCE);
    }
}
