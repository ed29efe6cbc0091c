//! Accepting a sensor's report: decoding with bounds, checking its place in
//! the sensor's stream, applying it to memory and the store atomically.
//!
//! The store keeps each sensor's reports as received (compressed JSON): its
//! last snapshot and the deltas since, one row per report, replayed at
//! start. Every [`COMPACT_AFTER`] deltas the sensor's state is written as
//! one snapshot instead, so replay stays short.
//!
//! Writes go through one [`Writer`] task that commits the reports waiting
//! at that moment in one transaction (group commit) with multi-row
//! statements: a report is answered only after it is committed, but a
//! thousand concurrent reports cost a few transactions instead of a
//! thousand. Its queue is bounded; when full, reports are refused with 429
//! and `Retry-After` (before anything changes), which sensors honour.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use serde::Serialize;
use vedette_model::wire::{
    Changes, Connection, Container, Host, Image, Keyed, PROTOCOL_VERSION, Process, Report,
    Visibility,
};

use super::limits::{DecodeBudget, Limits, OverLimit, Reservation};
use super::{SensorState, Topology};
use crate::store::sql::now_ms;
use crate::store::{Store, StoreError};

/// Stored item kinds.
pub const HOST: &str = "host";
/// Stored item kinds.
pub const PROCESS: &str = "process";
/// Stored item kinds.
pub const CONTAINER: &str = "container";
/// Stored item kinds.
pub const IMAGE: &str = "image";
/// Stored item kinds.
pub const CONNECTION: &str = "connection";

/// Why a report was refused.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body is not zstd, or not a report.
    #[error("{0}")]
    Malformed(String),
    /// The decompressed report is over the limit.
    #[error(
        "the report is larger than {0} bytes once decompressed (the console's `max_report_bytes`)"
    )]
    TooLarge(usize),
    /// An integer of the report is out of range.
    #[error("{0}; nothing of the report was applied")]
    OutOfRange(#[from] vedette_model::wire::OutOfRange),
    /// The report would take the sensor beyond one of its limits.
    #[error(transparent)]
    OverLimit(#[from] OverLimit),
    /// The fleet-wide budget of topology state is spent.
    #[error(
        "the console's topology memory budget (`fleet_budget_bytes`, {budget} bytes) is spent ({held} held); this report needs {more} more; retry in {retry_after} s"
    )]
    FleetFull {
        /// Bytes held by every sensor.
        held: usize,
        /// The budget.
        budget: usize,
        /// What this report adds.
        more: usize,
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The report names another sensor than its token's.
    #[error("this token belongs to sensor {token}, but the report claims to be from {claimed}")]
    WrongSensor {
        /// The token's sensor.
        token: String,
        /// The sensor the report names.
        claimed: String,
    },
    /// The report does not follow the last accepted one: send a snapshot.
    #[error("{0}; send a snapshot")]
    NeedSnapshot(String),
    /// The store writer's queue is full: retry after this many seconds.
    #[error("the console is busy storing reports; retry in {0} s")]
    Busy(u64),
    /// The decompression budget is spent: retry after this many seconds.
    #[error(
        "the console is decompressing too many reports at once (`decode_budget_bytes`); retry in {0} s"
    )]
    DecodeBusy(u64),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// The limit a refusal names (for the problem document and metrics).
    pub fn limit(&self) -> Option<&'static str> {
        match self {
            IngestError::TooLarge(_) => Some("max_report_bytes"),
            IngestError::OverLimit(over) => Some(over.limit),
            IngestError::FleetFull { .. } => Some("fleet_budget_bytes"),
            IngestError::DecodeBusy(_) => Some("decode_budget_bytes"),
            _ => None,
        }
    }
}

/// What an accepted report did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// The sequence number now acknowledged.
    pub accepted_sequence: u64,
}

/// Largest zstd window accepted (8 MiB; the sensor's level uses 2 MiB at most).
const MAX_WINDOW_LOG: u32 = 23;
/// Smallest window zstd allows.
const MIN_WINDOW_LOG: u32 = 10;
/// Decompressed bytes reserved at a time when the size is not declared.
const DECODE_CHUNK: usize = 64 * 1024;
/// What a report refused for the decompression budget is told to wait.
const DECODE_RETRY_SECS: u64 = 1;
/// What a report refused for the fleet budget is told to wait.
const FLEET_RETRY_SECS: u64 = 60;

/// The window size and declared content size of a zstd frame header
/// (RFC 8878, section 3.1.1.1), or why it is not one.
fn frame_header(body: &[u8]) -> Result<(u64, Option<u64>), String> {
    const MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
    if body.len() < 5 || body[..4] != MAGIC {
        return Err("not a zstd frame".into());
    }
    let descriptor = body[4];
    let fcs_flag = descriptor >> 6;
    let single_segment = descriptor & 0x20 != 0;
    let did_size = [0, 1, 2, 4][usize::from(descriptor & 0x03)];
    let mut at = 5;
    let window = if single_segment {
        None
    } else {
        let byte = *body.get(at).ok_or("truncated zstd frame header")?;
        at += 1;
        let log = 10 + u64::from(byte >> 3);
        let base = 1u64 << log;
        Some(base + (base / 8) * u64::from(byte & 0x07))
    };
    at += did_size;
    let fcs_size = match (fcs_flag, single_segment) {
        (0, false) => 0,
        (0, true) => 1,
        (1, _) => 2,
        (2, _) => 4,
        _ => 8,
    };
    let content = if fcs_size == 0 {
        None
    } else {
        let bytes = body
            .get(at..at + fcs_size)
            .ok_or("truncated zstd frame header")?;
        let mut value = 0u64;
        for (i, byte) in bytes.iter().enumerate() {
            value |= u64::from(*byte) << (8 * i);
        }
        Some(if fcs_size == 2 { value + 256 } else { value })
    };
    match (window, content) {
        (Some(window), content) => Ok((window, content)),
        (None, Some(content)) => Ok((content.max(1), Some(content))),
        (None, None) => Err("invalid zstd frame header".into()),
    }
}

/// Why reading a report stopped early.
enum Stop {
    TooLarge,
    Busy,
}

/// A reader that reserves what it hands out from the decode budget, and
/// stops at the per-report bound.
struct Budgeted<R> {
    inner: R,
    reservation: Reservation,
    /// Bytes of the reservation that are not output (the zstd window).
    fixed: usize,
    read: usize,
    max: usize,
    budget: usize,
    stop: Option<Stop>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Never hand out more than the per-report bound plus one byte.
        let room = (self.max + 1).saturating_sub(self.read).min(buf.len());
        if room == 0 {
            self.stop = Some(Stop::TooLarge);
            return Err(std::io::Error::other("report too large"));
        }
        let n = self.inner.read(&mut buf[..room])?;
        self.read += n;
        if self.read > self.max {
            self.stop = Some(Stop::TooLarge);
            return Err(std::io::Error::other("report too large"));
        }
        let covered = self.reservation.bytes() - self.fixed;
        if self.read > covered {
            let more = (self.read - covered).max(DECODE_CHUNK);
            if !self.reservation.grow(more, self.budget) {
                self.stop = Some(Stop::Busy);
                return Err(std::io::Error::other("decode budget spent"));
            }
        }
        Ok(n)
    }
}

/// Decodes a JSON report (zstd-compressed when `zstd_encoded`) as a
/// stream, never holding the decompressed JSON: what is being decompressed
/// (the zstd window and the JSON read) is reserved from `budget` as it
/// flows, within `limits.decode_budget_bytes` across all reports, and
/// reading stops at `limits.max_report_bytes` (decompression bombs). The
/// reservation is returned with the report and held until it is applied.
pub fn decode(
    body: &[u8],
    zstd_encoded: bool,
    limits: &Limits,
    budget: &Arc<DecodeBudget>,
) -> Result<(Report, Reservation), IngestError> {
    let max = limits
        .max_report_bytes
        .min(vedette_model::wire::MAX_REPORT_BYTES);
    let limit = limits.decode_budget_bytes;
    let busy = || IngestError::DecodeBusy(DECODE_RETRY_SECS);
    let report: Result<Report, serde_json::Error>;
    let stop;
    let reservation;
    if zstd_encoded {
        let (window, declared) = frame_header(body).map_err(IngestError::Malformed)?;
        if declared.is_some_and(|size| size > max as u64) {
            return Err(IngestError::TooLarge(max));
        }
        let window_log = 64 - (window.max(1) - 1).leading_zeros();
        if window_log > MAX_WINDOW_LOG {
            return Err(IngestError::Malformed(format!(
                "the zstd window ({window} bytes) is over {} bytes; compress with a smaller window",
                1u64 << MAX_WINDOW_LOG
            )));
        }
        let window_log = window_log.max(MIN_WINDOW_LOG);
        // The decoder holds at most one window (later frames cannot ask
        // for more) and at most the declared size.
        let fixed = usize::try_from(declared.unwrap_or(u64::MAX).min(1 << window_log))
            .unwrap_or(usize::MAX);
        let first = declared
            .map_or(DECODE_CHUNK, |size| size as usize)
            .min(max + 1);
        let held = budget.try_reserve(fixed + first, limit).ok_or_else(busy)?;
        let mut decoder = zstd::stream::read::Decoder::new(body)
            .map_err(|e| IngestError::Malformed(format!("not a zstd stream: {e}")))?;
        decoder
            .window_log_max(window_log)
            .map_err(|e| IngestError::Malformed(format!("not a zstd stream: {e}")))?;
        let mut reader = Budgeted {
            inner: decoder,
            reservation: held,
            fixed,
            read: 0,
            max,
            budget: limit,
            stop: None,
        };
        report = serde_json::from_reader(std::io::BufReader::with_capacity(16 * 1024, &mut reader));
        stop = reader.stop.take();
        reservation = reader.reservation;
    } else {
        if body.len() > max {
            return Err(IngestError::TooLarge(max));
        }
        reservation = budget.try_reserve(body.len(), limit).ok_or_else(busy)?;
        report = serde_json::from_slice(body);
        stop = None;
    }
    let report = match (report, stop) {
        (_, Some(Stop::TooLarge)) => return Err(IngestError::TooLarge(max)),
        (_, Some(Stop::Busy)) => return Err(busy()),
        (Err(e), None) if e.is_io() => {
            return Err(IngestError::Malformed(format!(
                "not a valid zstd stream: {e}"
            )));
        }
        (Err(e), None) => {
            return Err(IngestError::Malformed(format!("not a valid report: {e}")));
        }
        (Ok(report), None) => report,
    };
    if report.protocol != PROTOCOL_VERSION {
        return Err(IngestError::Malformed(format!(
            "protocol version {} is not supported; this console speaks {PROTOCOL_VERSION}",
            report.protocol
        )));
    }
    report.validate()?;
    Ok((report, reservation))
}

/// Deltas stored after a snapshot before the state is compacted into one.
pub const COMPACT_AFTER: u32 = 30;
/// Reports waiting to be written at most; beyond, sensors are asked to retry.
const QUEUE: usize = 4096;
/// Reports committed in one transaction at most.
const MAX_BATCH: usize = 512;
/// Rows per multi-row statement (well under SQLite's and PostgreSQL's bind limits).
const ROWS_PER_STATEMENT: usize = 100;
/// What a refused report is told to wait.
const BUSY_RETRY_SECS: u64 = 5;
/// zstd level of compacted snapshots: fast.
const COMPACT_ZSTD_LEVEL: i32 = 1;

/// A report's body as received, stored as is.
#[derive(Debug, Clone)]
pub struct Body {
    /// The bytes.
    pub bytes: axum::body::Bytes,
    /// True when zstd-compressed.
    pub zstd: bool,
}

fn apply_changes<T: Keyed>(items: &mut BTreeMap<String, T>, changes: Changes<T>) {
    for key in &changes.remove {
        items.remove(key);
    }
    for item in changes.upsert {
        items.insert(item.key(), item);
    }
}

/// Applies an accepted report to a sensor's state (also used to replay stored reports).
pub(crate) fn apply_report(state: &mut SensorState, report: Report) {
    if report.snapshot {
        *state = SensorState::default();
    }
    if let Some(host) = report.host {
        state.host = Some(host);
    }
    apply_changes(&mut state.processes, report.processes);
    apply_changes(&mut state.containers, report.containers);
    apply_changes(&mut state.images, report.images);
    apply_changes(&mut state.connections, report.connections);
    state.last_sequence = Some(report.sequence);
    state.collected_at_ms = report.collected_at_ms;
    state.visibility = Some(report.visibility);
}

/// Applies a report of `sensor_id` (authenticated by its token), within
/// `limits`: a report that would take the sensor beyond one of them, or the
/// fleet beyond its budget, is refused and nothing of it is applied.
pub async fn apply(
    topology: &Topology,
    store: &Store,
    sensor_id: &str,
    report: Report,
    body: Body,
    limits: &Limits,
) -> Result<Accepted, IngestError> {
    if report.sensor_id != sensor_id {
        return Err(IngestError::WrongSensor {
            token: sensor_id.to_string(),
            claimed: report.sensor_id,
        });
    }
    let cell = topology.cell(sensor_id).await;
    // Held across the store write: one sensor's reports apply in order.
    let mut state = cell.lock().await;
    if !report.snapshot {
        match state.last_sequence {
            None => {
                return Err(IngestError::NeedSnapshot(
                    "the console has no state for this sensor".into(),
                ));
            }
            Some(last) if report.sequence != last.wrapping_add(1) => {
                return Err(IngestError::NeedSnapshot(format!(
                    "expected sequence {} but got {}",
                    last.wrapping_add(1),
                    report.sequence
                )));
            }
            Some(_) => {}
        }
    }
    // What the report would leave, checked before anything changes.
    let bytes = super::limits::plan(&state, &report, limits)?;
    // A place in the write queue first: a busy console refuses before changing anything.
    let permit = topology.writer(store).await.reserve()?;
    if let Err(held) = topology
        .fleet
        .resize(state.bytes, bytes, limits.fleet_budget_bytes)
    {
        return Err(IngestError::FleetFull {
            held,
            budget: limits.fleet_budget_bytes,
            more: bytes.saturating_sub(state.bytes),
            retry_after: FLEET_RETRY_SECS,
        });
    }
    let (snapshot, sequence) = (report.snapshot, report.sequence);
    let (collected_at, visibility) = (report.collected_at_ms, report.visibility);
    let next = Arc::make_mut(&mut state);
    let stored_deltas = if snapshot { 0 } else { next.stored_deltas + 1 };
    apply_report(next, report);
    next.bytes = bytes;
    let stored = if stored_deltas >= COMPACT_AFTER {
        next.stored_deltas = 0;
        Stored {
            snapshot: true,
            zstd: true,
            body: compacted(sensor_id, next)?,
        }
    } else {
        next.stored_deltas = stored_deltas;
        Stored {
            snapshot,
            zstd: body.zstd,
            body: body.bytes.to_vec(),
        }
    };
    let job = Job {
        sensor_id: sensor_id.to_string(),
        // Validated on decoding (`MAX_SEQUENCE`).
        sequence: i64::try_from(sequence).unwrap_or(i64::MAX),
        snapshot_received: snapshot,
        stored,
        collected_at,
        visibility: match visibility {
            Visibility::Host => "host",
            Visibility::ContainerOnly => "container_only",
        },
    };
    if let Err(err) = Writer::write(permit, job).await {
        // Memory is ahead of the store: drop this sensor's state so that
        // its next delta is answered 409 and it sends a snapshot.
        topology.fleet.release(state.bytes);
        *Arc::make_mut(&mut state) = SensorState::default();
        return Err(err);
    }
    drop(state);
    topology.announce(super::Change {
        sensor_id: sensor_id.to_string(),
        kind: "report".into(),
        sequence: Some(sequence),
        snapshot,
    });
    Ok(Accepted {
        accepted_sequence: sequence,
    })
}

/// The items of a map, borrowed, in the shape of [`Changes`].
#[derive(Serialize)]
struct Upserts<'a, T> {
    upsert: Vec<&'a T>,
}

fn upserts<T>(items: &BTreeMap<String, T>) -> Upserts<'_, T> {
    Upserts {
        upsert: items.values().collect(),
    }
}

/// A snapshot [`Report`] of a state, borrowed (same JSON as the wire type).
#[derive(Serialize)]
struct SnapshotOf<'a> {
    protocol: u32,
    sensor_id: &'a str,
    sequence: u64,
    snapshot: bool,
    collected_at_ms: i64,
    visibility: Visibility,
    host: Option<&'a Host>,
    processes: Upserts<'a, Process>,
    containers: Upserts<'a, Container>,
    images: Upserts<'a, Image>,
    connections: Upserts<'a, Connection>,
}

/// The state as one zstd-compressed snapshot report.
fn compacted(sensor_id: &str, state: &SensorState) -> Result<Vec<u8>, StoreError> {
    let snapshot = SnapshotOf {
        protocol: PROTOCOL_VERSION,
        sensor_id,
        sequence: state.last_sequence.unwrap_or(0),
        snapshot: true,
        collected_at_ms: state.collected_at_ms,
        visibility: state.visibility.unwrap_or(Visibility::Host),
        host: state.host.as_ref(),
        processes: upserts(&state.processes),
        containers: upserts(&state.containers),
        images: upserts(&state.images),
        connections: upserts(&state.connections),
    };
    let json = serde_json::to_vec(&snapshot)
        .map_err(|e| StoreError::Query(sqlx::Error::Protocol(e.to_string())))?;
    zstd::bulk::compress(&json, COMPACT_ZSTD_LEVEL)
        .map_err(|e| StoreError::Query(sqlx::Error::Protocol(e.to_string())))
}

/// A stored report.
struct Stored {
    snapshot: bool,
    zstd: bool,
    body: Vec<u8>,
}

/// One report's effect on the store.
struct Job {
    sensor_id: String,
    sequence: i64,
    /// The sensor sent a snapshot (for `sensor_streams.snapshot_at`).
    snapshot_received: bool,
    stored: Stored,
    collected_at: i64,
    visibility: &'static str,
}

type Pending = (Job, tokio::sync::oneshot::Sender<Result<(), StoreError>>);
type Permit<'a> = tokio::sync::mpsc::Permit<'a, Pending>;

/// The task that writes reports to the store, many per transaction.
pub struct Writer {
    queue: tokio::sync::mpsc::Sender<Pending>,
}

impl Writer {
    /// Starts the writer task on `store`; it ends when the writer is dropped.
    pub fn start(store: Store) -> Writer {
        let (queue, jobs) = tokio::sync::mpsc::channel(QUEUE);
        tokio::spawn(run(store, jobs));
        Writer { queue }
    }

    /// A place in the queue, or `Busy` when it is full.
    fn reserve(&self) -> Result<Permit<'_>, IngestError> {
        self.queue.try_reserve().map_err(|err| match err {
            tokio::sync::mpsc::error::TrySendError::Full(()) => IngestError::Busy(BUSY_RETRY_SECS),
            tokio::sync::mpsc::error::TrySendError::Closed(()) => {
                IngestError::Store(StoreError::Query(sqlx::Error::PoolClosed))
            }
        })
    }

    /// Writes `job` in its reserved place, returning once it is committed.
    async fn write(permit: Permit<'_>, job: Job) -> Result<(), IngestError> {
        let (done, committed) = tokio::sync::oneshot::channel();
        permit.send((job, done));
        committed
            .await
            .map_err(|_| IngestError::Store(StoreError::Query(sqlx::Error::PoolClosed)))?
            .map_err(IngestError::Store)
    }
}

async fn run(store: Store, mut jobs: tokio::sync::mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    while jobs.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (work, waiters): (Vec<Job>, Vec<_>) = batch.drain(..).unzip();
        let started = std::time::Instant::now();
        match persist(&store, &work).await {
            Ok(()) => {
                for waiter in waiters {
                    let _ = waiter.send(Ok(()));
                }
            }
            Err(err) => {
                // One bad report must not fail the others: write each alone.
                tracing::warn!(error = %err, reports = work.len(), "a batch of reports failed; writing them one by one");
                for (job, waiter) in work.iter().zip(waiters) {
                    let _ = waiter.send(persist(&store, std::slice::from_ref(job)).await);
                }
            }
        }
        metrics::histogram!("vedette_topology_batch_seconds")
            .record(started.elapsed().as_secs_f64());
        metrics::histogram!("vedette_topology_batch_reports").record(work.len() as f64);
    }
}

/// `($1, $2, …)` groups for `rows` rows of `width` binds from `first`.
fn placeholders(rows: usize, width: usize, first: usize) -> String {
    let mut text = String::with_capacity(rows * width * 5);
    for row in 0..rows {
        if row > 0 {
            text.push_str(", ");
        }
        text.push('(');
        for column in 0..width {
            if column > 0 {
                text.push_str(", ");
            }
            text.push('$');
            text.push_str(&(first + row * width + column).to_string());
        }
        text.push(')');
    }
    text
}

/// Writes `jobs` (reports of distinct sensors) in one transaction.
async fn persist(store: &Store, jobs: &[Job]) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    for job in jobs.iter().filter(|job| job.stored.snapshot) {
        // A snapshot replaces everything stored for the sensor (including
        // items stored one per row by earlier versions).
        sqlx::query("DELETE FROM topology_reports WHERE sensor_id = $1")
            .bind(&job.sensor_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM topology_items WHERE sensor_id = $1")
            .bind(&job.sensor_id)
            .execute(&mut *tx)
            .await?;
    }
    let now = now_ms();
    for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO topology_reports (sensor_id, sequence, snapshot, compressed, body) VALUES {}",
            placeholders(chunk.len(), 5, 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for job in chunk {
            query = query
                .bind(&job.sensor_id)
                .bind(job.sequence)
                .bind(i64::from(job.stored.snapshot))
                .bind(i64::from(job.stored.zstd))
                .bind(job.stored.body.as_slice());
        }
        query.execute(&mut *tx).await?;
        let sql = format!(
            "INSERT INTO sensor_streams (sensor_id, last_sequence, snapshot_at, collected_at, visibility) VALUES {} \
             ON CONFLICT (sensor_id) DO UPDATE SET last_sequence = excluded.last_sequence, collected_at = excluded.collected_at, \
             visibility = excluded.visibility, \
             snapshot_at = CASE WHEN excluded.snapshot_at > 0 THEN excluded.snapshot_at ELSE sensor_streams.snapshot_at END",
            placeholders(chunk.len(), 5, 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for job in chunk {
            // A delta leaves the time of the last snapshot as it was (0 marks "unchanged").
            let snapshot_at = if job.snapshot_received { now } else { 0 };
            query = query
                .bind(&job.sensor_id)
                .bind(job.sequence)
                .bind(snapshot_at)
                .bind(job.collected_at)
                .bind(job.visibility);
        }
        query.execute(&mut *tx).await?;
        let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
        let sql = format!(
            "UPDATE sensors SET last_seen_at = $1 WHERE id IN ({})",
            list.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
        for job in chunk {
            query = query.bind(&job.sensor_id);
        }
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Replays a sensor's stored reports into `state` (at start).
pub(crate) async fn replay(
    store: &Store,
    sensor_id: &str,
    state: &mut SensorState,
) -> Result<(), StoreError> {
    let rows: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT snapshot, compressed, body FROM topology_reports WHERE sensor_id = $1 ORDER BY sequence",
    )
    .bind(sensor_id)
    .fetch_all(store.pool())
    .await?;
    // Stored reports were accepted within the limits of their day: replayed
    // with the protocol's bounds, one at a time.
    let limits = Limits {
        max_report_bytes: vedette_model::wire::MAX_REPORT_BYTES,
        decode_budget_bytes: usize::MAX,
        ..Limits::default()
    };
    let budget = Arc::new(DecodeBudget::default());
    for (snapshot, compressed, body) in rows {
        match decode(&body, compressed != 0, &limits, &budget) {
            Ok((report, _)) => {
                state.stored_deltas = if snapshot != 0 {
                    0
                } else {
                    state.stored_deltas + 1
                };
                apply_report(state, report);
            }
            Err(err) => {
                tracing::warn!(sensor_id, error = %err, "skipping an unreadable stored report");
            }
        }
    }
    Ok(())
}
