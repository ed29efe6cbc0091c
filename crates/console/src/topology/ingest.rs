//! Accepting a sensor's report: decoding with bounds, checking its place in
//! the sensor's stream, applying it to memory and the store atomically.
//!
//! Writes go through one [`Writer`] task that commits the reports waiting
//! at that moment in one transaction (group commit) with multi-row
//! statements: a report is answered only after its data is committed, but
//! a thousand concurrent reports cost a few transactions instead of a
//! thousand. Its queue is bounded; when full, reports are refused with 429
//! and `Retry-After`, which sensors honour.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;

use serde::Serialize;
use vedette_model::wire::{Changes, Keyed, MAX_REPORT_BYTES, PROTOCOL_VERSION, Report};

use super::Topology;
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
    /// The body is not zstd, too large once decompressed, or not a report.
    #[error("{0}")]
    Malformed(String),
    /// The decompressed report is over the limit.
    #[error("the report is larger than {MAX_REPORT_BYTES} bytes once decompressed")]
    TooLarge,
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
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an accepted report did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accepted {
    /// The sequence number now acknowledged.
    pub accepted_sequence: u64,
}

/// Decodes a zstd-compressed JSON report, refusing anything that inflates
/// beyond [`MAX_REPORT_BYTES`] (decompression bombs) without allocating it.
pub fn decode(body: &[u8], zstd_encoded: bool) -> Result<Report, IngestError> {
    let mut json = Vec::new();
    if zstd_encoded {
        let decoder = zstd::stream::read::Decoder::new(body)
            .map_err(|e| IngestError::Malformed(format!("not a zstd stream: {e}")))?;
        decoder
            .take(MAX_REPORT_BYTES as u64 + 1)
            .read_to_end(&mut json)
            .map_err(|e| IngestError::Malformed(format!("not a valid zstd stream: {e}")))?;
        if json.len() > MAX_REPORT_BYTES {
            return Err(IngestError::TooLarge);
        }
    } else {
        json.extend_from_slice(body);
    }
    let report: Report = serde_json::from_slice(&json)
        .map_err(|e| IngestError::Malformed(format!("not a valid report: {e}")))?;
    if report.protocol != PROTOCOL_VERSION {
        return Err(IngestError::Malformed(format!(
            "protocol version {} is not supported; this console speaks {PROTOCOL_VERSION}",
            report.protocol
        )));
    }
    Ok(report)
}

/// Reports waiting to be written at most; beyond, sensors are asked to retry.
const QUEUE: usize = 4096;
/// Reports committed in one transaction at most.
const MAX_BATCH: usize = 512;
/// Rows per multi-row statement (well under SQLite's and PostgreSQL's bind limits).
const ROWS_PER_STATEMENT: usize = 200;
/// What a refused report is told to wait.
const BUSY_RETRY_SECS: u64 = 5;

fn apply_changes<T: Keyed>(items: &mut BTreeMap<String, T>, changes: Changes<T>) {
    for key in &changes.remove {
        items.remove(key);
    }
    for item in changes.upsert {
        items.insert(item.key(), item);
    }
}

/// Applies a report of `sensor_id` (authenticated by its token).
pub async fn apply(
    topology: &Topology,
    store: &Store,
    sensor_id: &str,
    report: Report,
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
    // Stored first: memory changes only once the store has the report.
    let job = Job::of(sensor_id, &report)?;
    topology.writer(store).await.write(job).await?;
    let next = Arc::make_mut(&mut state);
    if report.snapshot {
        *next = super::SensorState::default();
    }
    if let Some(host) = report.host {
        next.host = Some(host);
    }
    apply_changes(&mut next.processes, report.processes);
    apply_changes(&mut next.containers, report.containers);
    apply_changes(&mut next.images, report.images);
    apply_changes(&mut next.connections, report.connections);
    next.last_sequence = Some(report.sequence);
    next.collected_at_ms = report.collected_at_ms;
    next.visibility = Some(report.visibility);
    drop(state);
    topology.announce(super::Change {
        sensor_id: sensor_id.to_string(),
        kind: "report".into(),
        sequence: Some(report.sequence),
        snapshot: report.snapshot,
    });
    Ok(Accepted {
        accepted_sequence: report.sequence,
    })
}

fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value)
        .map_err(|e| StoreError::Query(sqlx::Error::Protocol(e.to_string())))
}

/// One report's effect on the store, serialized by the request's own task
/// so the writer only runs SQL.
struct Job {
    sensor_id: String,
    snapshot: bool,
    /// (kind, key) of items gone.
    removed: Vec<(&'static str, String)>,
    /// (kind, key, JSON) of items new or changed, one per key.
    upserted: Vec<(&'static str, String, String)>,
    sequence: i64,
    collected_at: i64,
    visibility: &'static str,
}

fn rows<T: Keyed + Serialize>(
    kind: &'static str,
    changes: &Changes<T>,
    removed: &mut Vec<(&'static str, String)>,
    upserted: &mut Vec<(&'static str, String, String)>,
) -> Result<(), StoreError> {
    removed.extend(changes.remove.iter().map(|key| (kind, key.clone())));
    // One row per key (the last wins, as in memory): PostgreSQL refuses a
    // multi-row upsert touching a row twice.
    let mut index: HashMap<String, usize> = HashMap::with_capacity(changes.upsert.len());
    for item in &changes.upsert {
        let key = item.key();
        let data = json(item)?;
        match index.get(&key) {
            Some(&at) => upserted[at].2 = data,
            None => {
                index.insert(key.clone(), upserted.len());
                upserted.push((kind, key, data));
            }
        }
    }
    Ok(())
}

impl Job {
    fn of(sensor_id: &str, report: &Report) -> Result<Job, StoreError> {
        let mut removed = Vec::new();
        let mut upserted = Vec::new();
        if let Some(host) = &report.host {
            upserted.push((HOST, String::new(), json(host)?));
        }
        rows(PROCESS, &report.processes, &mut removed, &mut upserted)?;
        rows(CONTAINER, &report.containers, &mut removed, &mut upserted)?;
        rows(IMAGE, &report.images, &mut removed, &mut upserted)?;
        rows(CONNECTION, &report.connections, &mut removed, &mut upserted)?;
        Ok(Job {
            sensor_id: sensor_id.to_string(),
            snapshot: report.snapshot,
            removed,
            upserted,
            sequence: i64::try_from(report.sequence).unwrap_or(i64::MAX),
            collected_at: report.collected_at_ms,
            visibility: match report.visibility {
                vedette_model::wire::Visibility::Host => "host",
                vedette_model::wire::Visibility::ContainerOnly => "container_only",
            },
        })
    }
}

type Pending = (Job, tokio::sync::oneshot::Sender<Result<(), StoreError>>);

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

    /// Writes `job`, returning once it is committed.
    async fn write(&self, job: Job) -> Result<(), IngestError> {
        let (done, committed) = tokio::sync::oneshot::channel();
        self.queue.try_send((job, done)).map_err(|err| match err {
            tokio::sync::mpsc::error::TrySendError::Full(_) => IngestError::Busy(BUSY_RETRY_SECS),
            tokio::sync::mpsc::error::TrySendError::Closed(_) => {
                IngestError::Store(StoreError::Query(sqlx::Error::PoolClosed))
            }
        })?;
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

/// Writes the effect of `jobs` (reports of distinct sensors) in one transaction.
async fn persist(store: &Store, jobs: &[Job]) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    for job in jobs {
        if job.snapshot {
            sqlx::query("DELETE FROM topology_items WHERE sensor_id = $1")
                .bind(&job.sensor_id)
                .execute(&mut *tx)
                .await?;
        }
        // Removals grouped by kind: one indexed statement per kind.
        let mut by_kind: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (kind, key) in &job.removed {
            by_kind.entry(kind).or_default().push(key);
        }
        for (kind, keys) in by_kind {
            for chunk in keys.chunks(ROWS_PER_STATEMENT) {
                let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect();
                let sql = format!(
                    "DELETE FROM topology_items WHERE sensor_id = $1 AND kind = $2 AND item_key IN ({})",
                    list.join(", ")
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(&job.sensor_id)
                    .bind(kind);
                for key in chunk {
                    query = query.bind(*key);
                }
                query.execute(&mut *tx).await?;
            }
        }
    }
    let upserts: Vec<(&str, &str, &str, &str)> = jobs
        .iter()
        .flat_map(|job| {
            job.upserted.iter().map(|(kind, key, data)| {
                (job.sensor_id.as_str(), *kind, key.as_str(), data.as_str())
            })
        })
        .collect();
    for chunk in upserts.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO topology_items (sensor_id, kind, item_key, data) VALUES {} \
             ON CONFLICT (sensor_id, kind, item_key) DO UPDATE SET data = excluded.data",
            placeholders(chunk.len(), 4, 1)
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (sensor_id, kind, key, data) in chunk {
            query = query.bind(*sensor_id).bind(*kind).bind(*key).bind(*data);
        }
        query.execute(&mut *tx).await?;
    }
    let now = now_ms();
    for chunk in jobs.chunks(ROWS_PER_STATEMENT / 2) {
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
            let snapshot_at = if job.snapshot { now } else { 0 };
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
