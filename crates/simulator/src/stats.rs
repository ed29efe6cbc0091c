//! What the simulator measured: counts by outcome, bytes, latencies.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;
use vedette_sensor::report::SendOutcome;

/// Counters shared by every virtual sensor (cheap to update).
#[derive(Debug, Default)]
pub struct Stats {
    /// Registrations granted.
    pub registered: AtomicU64,
    /// Token renewals granted.
    pub renewed: AtomicU64,
    /// Registration or renewal attempts refused or failed.
    pub token_failures: AtomicU64,
    /// Reports sent (every attempt that reached the console or tried to).
    pub sent: AtomicU64,
    /// Snapshots sent.
    pub snapshots: AtomicU64,
    /// Reports accepted.
    pub accepted: AtomicU64,
    /// Compressed bytes of accepted reports.
    pub accepted_bytes: AtomicU64,
    /// JSON bytes of accepted reports.
    pub accepted_json_bytes: AtomicU64,
    /// 409 answers.
    pub need_snapshot: AtomicU64,
    /// 429 answers.
    pub too_many: AtomicU64,
    /// Network failures.
    pub unreachable: AtomicU64,
    rejected: Mutex<BTreeMap<u16, u64>>,
    latencies_us: Mutex<Vec<u32>>,
}

impl Stats {
    /// Records one report attempt.
    pub fn record(
        &self,
        outcome: &SendOutcome,
        latency: Duration,
        bytes: usize,
        json: usize,
        snapshot: bool,
    ) {
        self.sent.fetch_add(1, Ordering::Relaxed);
        if snapshot {
            self.snapshots.fetch_add(1, Ordering::Relaxed);
        }
        let status = match outcome {
            SendOutcome::Accepted(_) => {
                self.accepted.fetch_add(1, Ordering::Relaxed);
                self.accepted_bytes
                    .fetch_add(bytes as u64, Ordering::Relaxed);
                self.accepted_json_bytes
                    .fetch_add(json as u64, Ordering::Relaxed);
                None
            }
            SendOutcome::NeedSnapshot(_) => {
                self.need_snapshot.fetch_add(1, Ordering::Relaxed);
                Some(409)
            }
            SendOutcome::SlowDown(status, ..) => {
                if status.as_u16() == 429 {
                    self.too_many.fetch_add(1, Ordering::Relaxed);
                }
                Some(status.as_u16())
            }
            SendOutcome::Unauthorized(_) => Some(401),
            SendOutcome::Forbidden(_) => Some(403),
            SendOutcome::Rejected(status, _) => Some(status.as_u16()),
            SendOutcome::Unreachable(_) => {
                self.unreachable.fetch_add(1, Ordering::Relaxed);
                None
            }
        };
        if let Some(status) = status
            && let Ok(mut rejected) = self.rejected.lock()
        {
            *rejected.entry(status).or_default() += 1;
        }
        if !matches!(outcome, SendOutcome::Unreachable(_))
            && let Ok(mut latencies) = self.latencies_us.lock()
        {
            latencies.push(u32::try_from(latency.as_micros()).unwrap_or(u32::MAX));
        }
    }

    /// The summary over `wall` seconds of simulation.
    pub fn summary(&self, wall: Duration) -> Summary {
        let mut latencies = self
            .latencies_us
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default();
        latencies.sort_unstable();
        let percentile = |p: f64| -> f64 {
            if latencies.is_empty() {
                return 0.0;
            }
            let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
            f64::from(latencies[rank.clamp(1, latencies.len()) - 1]) / 1000.0
        };
        let secs = wall.as_secs_f64().max(0.001);
        let accepted = self.accepted.load(Ordering::Relaxed);
        Summary {
            wall_secs: wall.as_secs_f64(),
            registered: self.registered.load(Ordering::Relaxed),
            renewed: self.renewed.load(Ordering::Relaxed),
            token_failures: self.token_failures.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            snapshots: self.snapshots.load(Ordering::Relaxed),
            accepted,
            rejected_by_status: self.rejected.lock().map(|r| r.clone()).unwrap_or_default(),
            need_snapshot: self.need_snapshot.load(Ordering::Relaxed),
            too_many_requests: self.too_many.load(Ordering::Relaxed),
            unreachable: self.unreachable.load(Ordering::Relaxed),
            reports_per_sec: accepted as f64 / secs,
            mb_per_sec: self.accepted_bytes.load(Ordering::Relaxed) as f64 / secs / 1e6,
            json_mb_per_sec: self.accepted_json_bytes.load(Ordering::Relaxed) as f64 / secs / 1e6,
            latency_ms_p50: percentile(50.0),
            latency_ms_p90: percentile(90.0),
            latency_ms_p99: percentile(99.0),
            latency_ms_max: latencies.last().map_or(0.0, |l| f64::from(*l) / 1000.0),
            simulator_cpu_cores: 0.0,
        }
    }
}

/// The figures printed at the end.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Wall-clock seconds the simulation ran.
    pub wall_secs: f64,
    /// Registrations granted.
    pub registered: u64,
    /// Token renewals granted.
    pub renewed: u64,
    /// Registration or renewal attempts that failed.
    pub token_failures: u64,
    /// Report attempts.
    pub sent: u64,
    /// Snapshots among them.
    pub snapshots: u64,
    /// Reports accepted.
    pub accepted: u64,
    /// Refused reports by HTTP status.
    pub rejected_by_status: BTreeMap<u16, u64>,
    /// 409 answers.
    pub need_snapshot: u64,
    /// 429 answers.
    pub too_many_requests: u64,
    /// Network failures.
    pub unreachable: u64,
    /// Accepted reports per second.
    pub reports_per_sec: f64,
    /// Compressed MB/s accepted.
    pub mb_per_sec: f64,
    /// Uncompressed JSON MB/s accepted.
    pub json_mb_per_sec: f64,
    /// Report latency percentiles and maximum, in ms.
    pub latency_ms_p50: f64,
    /// 90th percentile.
    pub latency_ms_p90: f64,
    /// 99th percentile.
    pub latency_ms_p99: f64,
    /// Maximum.
    pub latency_ms_max: f64,
    /// CPU the simulator itself used, in cores.
    pub simulator_cpu_cores: f64,
}

/// CPU seconds this process used so far (user + system), from `/proc/self/stat`.
pub fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start at `) `.
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 here.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux the project supports.
    Some((utime + stime) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    #[test]
    fn percentiles_and_statuses() {
        let stats = Stats::default();
        for ms in 1..=100u64 {
            stats.record(
                &SendOutcome::Accepted(ms),
                Duration::from_millis(ms),
                10,
                100,
                false,
            );
        }
        stats.record(
            &SendOutcome::NeedSnapshot(String::new()),
            Duration::from_millis(1),
            1,
            1,
            false,
        );
        stats.record(
            &SendOutcome::SlowDown(StatusCode::TOO_MANY_REQUESTS, None, String::new()),
            Duration::from_millis(1),
            1,
            1,
            false,
        );
        let summary = stats.summary(Duration::from_secs(10));
        assert_eq!(summary.accepted, 100);
        assert_eq!(summary.sent, 102);
        assert_eq!(summary.need_snapshot, 1);
        assert_eq!(summary.too_many_requests, 1);
        assert_eq!(summary.rejected_by_status.get(&409), Some(&1));
        assert_eq!(summary.rejected_by_status.get(&429), Some(&1));
        assert!((summary.reports_per_sec - 10.0).abs() < 1e-9);
        assert!(summary.latency_ms_p99 >= 98.0 && summary.latency_ms_p99 <= 100.0);
        assert!((summary.latency_ms_max - 100.0).abs() < 1e-9);
        assert!(process_cpu_secs().is_some());
    }
}
