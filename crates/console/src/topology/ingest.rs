//! Accepting a sensor's report: decoding with bounds, checking its place in
//! the sensor's stream, applying it to memory and the store atomically.

use std::collections::BTreeMap;
use std::io::Read;

use serde::Serialize;
use vedette_model::wire::{Changes, Keyed, MAX_REPORT_BYTES, PROTOCOL_VERSION, Report};

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

fn apply_changes<T: Keyed + Clone>(items: &mut BTreeMap<String, T>, changes: &Changes<T>) {
    for key in &changes.remove {
        items.remove(key);
    }
    for item in &changes.upsert {
        items.insert(item.key(), item.clone());
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
    let mut next = if report.snapshot {
        SensorState::default()
    } else {
        state.clone()
    };
    if let Some(host) = &report.host {
        next.host = Some(host.clone());
    }
    apply_changes(&mut next.processes, &report.processes);
    apply_changes(&mut next.containers, &report.containers);
    apply_changes(&mut next.images, &report.images);
    apply_changes(&mut next.connections, &report.connections);
    next.last_sequence = Some(report.sequence);
    next.collected_at_ms = report.collected_at_ms;
    next.visibility = Some(report.visibility);
    persist(store, sensor_id, &report).await?;
    *state = next;
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

async fn upsert_items<T: Keyed + Serialize>(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sensor_id: &str,
    kind: &str,
    changes: &Changes<T>,
) -> Result<(), StoreError> {
    for key in &changes.remove {
        sqlx::query(
            "DELETE FROM topology_items WHERE sensor_id = $1 AND kind = $2 AND item_key = $3",
        )
        .bind(sensor_id)
        .bind(kind)
        .bind(key)
        .execute(&mut **tx)
        .await?;
    }
    for item in &changes.upsert {
        sqlx::query(
            "INSERT INTO topology_items (sensor_id, kind, item_key, data) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (sensor_id, kind, item_key) DO UPDATE SET data = excluded.data",
        )
        .bind(sensor_id)
        .bind(kind)
        .bind(item.key())
        .bind(json(item)?)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes a report's effect in one transaction.
async fn persist(store: &Store, sensor_id: &str, report: &Report) -> Result<(), StoreError> {
    let mut tx = store.pool().begin().await?;
    if report.snapshot {
        sqlx::query("DELETE FROM topology_items WHERE sensor_id = $1")
            .bind(sensor_id)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(host) = &report.host {
        sqlx::query(
            "INSERT INTO topology_items (sensor_id, kind, item_key, data) VALUES ($1, $2, '', $3) \
             ON CONFLICT (sensor_id, kind, item_key) DO UPDATE SET data = excluded.data",
        )
        .bind(sensor_id)
        .bind(HOST)
        .bind(json(host)?)
        .execute(&mut *tx)
        .await?;
    }
    upsert_items(&mut tx, sensor_id, PROCESS, &report.processes).await?;
    upsert_items(&mut tx, sensor_id, CONTAINER, &report.containers).await?;
    upsert_items(&mut tx, sensor_id, IMAGE, &report.images).await?;
    upsert_items(&mut tx, sensor_id, CONNECTION, &report.connections).await?;
    let now = now_ms();
    let visibility = match report.visibility {
        vedette_model::wire::Visibility::Host => "host",
        vedette_model::wire::Visibility::ContainerOnly => "container_only",
    };
    sqlx::query(
        "INSERT INTO sensor_streams (sensor_id, last_sequence, snapshot_at, collected_at, visibility) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (sensor_id) DO UPDATE SET last_sequence = excluded.last_sequence, collected_at = excluded.collected_at, \
         visibility = excluded.visibility, snapshot_at = CASE WHEN $6 = 1 THEN excluded.snapshot_at ELSE sensor_streams.snapshot_at END",
    )
    .bind(sensor_id)
    .bind(i64::try_from(report.sequence).unwrap_or(i64::MAX))
    .bind(now)
    .bind(report.collected_at_ms)
    .bind(visibility)
    .bind(i64::from(report.snapshot))
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sensors SET last_seen_at = $1 WHERE id = $2")
        .bind(now)
        .bind(sensor_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
