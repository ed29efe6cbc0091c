//! Sensor identity: the console-wide sensor API key, registration (API key →
//! console-assigned sensor id + per-sensor credential + short-lived token),
//! token renewal, and credential re-issue.
//!
//! The API key only lets a host join the fleet: a registration without a
//! claim (or claiming an id the console does not know) creates a new sensor
//! with an id the console picks and a credential (`vsc_…`, 256 random bits)
//! returned once and stored hashed. Registering again as that sensor needs
//! the credential; a claim without it is refused. Renewing a token revokes
//! the earlier ones after a short grace; registering again revokes them at
//! once; an admin re-issuing the credential revokes them too.
//!
//! The API key is stored hashed. Its plaintext is also written to
//! `<data-dir>/sensor-api-key` (mode 0600) so that an operator on the console
//! host can show it again (`vedette console api-key show`); a console
//! replica without that file can verify the key but not display it.
//! Rotating the key makes the old one stop working at once; sensors keep
//! their identity by registering again with their id and the new key.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::auth::secret;
use crate::settings;
use crate::store::sql::now_ms;
use crate::store::{Store, StoreError};

/// How long a sensor token lives (the sensor renews it well before).
pub const TOKEN_TTL_MS: i64 = 60 * 60 * 1000;
/// The file holding the plaintext key in the data dir.
pub const API_KEY_FILE: &str = "sensor-api-key";

/// Path of the key file in a data dir.
pub fn api_key_path(data_dir: &Path) -> PathBuf {
    data_dir.join(API_KEY_FILE)
}

fn write_key_file(data_dir: &Path, key: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = api_key_path(data_dir);
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(key.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)
}

/// Errors managing the API key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The key file could not be written.
    #[error("cannot write the sensor API key file {path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Makes sure a sensor API key exists. Returns the plaintext key when it is
/// known here: just created, or read from the key file and still current.
pub async fn ensure_api_key(store: &Store, data_dir: &Path) -> Result<Option<String>, KeyError> {
    match settings::get(store, settings::SENSOR_API_KEY_HASH).await? {
        Some(hash) => Ok(read_api_key(data_dir)
            .filter(|key| secret::constant_time_eq(&secret::hash(key), &hash))),
        None => rotate_api_key(store, data_dir).await.map(Some),
    }
}

/// Reads the plaintext key from the data dir, if present.
pub fn read_api_key(data_dir: &Path) -> Option<String> {
    std::fs::read_to_string(api_key_path(data_dir))
        .ok()
        .map(|key| key.trim().to_string())
        .filter(|key| key.starts_with(secret::SENSOR_KEY_PREFIX))
}

/// Replaces the API key with a new one and returns it. The old key stops
/// working at once; registered sensors keep their ids.
pub async fn rotate_api_key(store: &Store, data_dir: &Path) -> Result<String, KeyError> {
    let key = secret::generate(secret::SENSOR_KEY_PREFIX);
    write_key_file(data_dir, &key).map_err(|source| KeyError::File {
        path: api_key_path(data_dir),
        source,
    })?;
    settings::set(store, settings::SENSOR_API_KEY_HASH, &secret::hash(&key)).await?;
    Ok(key)
}

/// Checks a presented API key.
pub async fn api_key_is_valid(store: &Store, key: &str) -> Result<bool, StoreError> {
    let Some(hash) = settings::get(store, settings::SENSOR_API_KEY_HASH).await? else {
        return Ok(false);
    };
    Ok(secret::constant_time_eq(&secret::hash(key), &hash))
}

/// The prefix of a sensor's credential.
pub const CREDENTIAL_PREFIX: &str = "vsc_";

/// The outcome of a registration.
#[derive(Debug)]
pub enum Registration {
    /// Registered (or re-registered): the sensor id and a fresh token.
    Registered {
        /// The sensor's id (kept across restarts and key rotations).
        sensor_id: String,
        /// The short-lived token for sensor endpoints.
        token: String,
        /// When the token expires (Unix ms).
        expires_at: i64,
        /// The sensor's new credential, when one was issued now (a new
        /// sensor); its only plaintext copy.
        credential: Option<String>,
        /// Hashes of the sensor's earlier tokens, revoked now.
        revoked: Vec<String>,
    },
    /// The sensor id given is known but was disabled by an admin.
    Disabled,
    /// The sensor id given is known but the credential is missing or wrong.
    ClaimRefused,
}

/// A claim to an existing sensor identity.
#[derive(Debug, Clone, Copy)]
pub struct Claim<'a> {
    /// The sensor id from an earlier registration.
    pub sensor_id: &'a str,
    /// The sensor's credential, if it has one.
    pub credential: Option<&'a str>,
}

/// Registers a sensor. The console assigns ids: a sensor re-registering
/// as an existing sensor must present that sensor's credential, else the
/// claim is refused; an id the console does not know is ignored and the
/// sensor registers as a new sensor with a new id and credential.
pub async fn register(
    store: &Store,
    claim: Option<Claim<'_>>,
    hostname: &str,
    version: &str,
) -> Result<Registration, StoreError> {
    let now = now_ms();
    let known = match claim {
        Some(claim) => {
            let row: Option<(i64, Option<String>)> = sqlx::query_as(
                "SELECT s.disabled, c.credential_hash FROM sensors s \
                 LEFT JOIN sensor_credentials c ON c.sensor_id = s.id WHERE s.id = $1",
            )
            .bind(claim.sensor_id)
            .fetch_optional(store.pool())
            .await?;
            row.map(|(disabled, hash)| (claim, disabled, hash))
        }
        None => None,
    };
    if let Some((claim, disabled, hash)) = known {
        let proven = match (claim.credential, hash) {
            (Some(credential), Some(hash)) => {
                secret::constant_time_eq(&secret::hash(credential), &hash)
            }
            _ => false,
        };
        if !proven {
            return Ok(Registration::ClaimRefused);
        }
        if disabled != 0 {
            return Ok(Registration::Disabled);
        }
        sqlx::query(
            "UPDATE sensors SET hostname = $1, version = $2, last_seen_at = $3 WHERE id = $4",
        )
        .bind(hostname)
        .bind(version)
        .bind(now)
        .bind(claim.sensor_id)
        .execute(store.pool())
        .await?;
        // A sensor registering again is a new process: its earlier tokens go.
        let revoked = revoke_tokens(store, claim.sensor_id, None, now).await?;
        let (token, expires_at) = issue_token(store, claim.sensor_id).await?;
        return Ok(Registration::Registered {
            sensor_id: claim.sensor_id.to_string(),
            token,
            expires_at,
            credential: None,
            revoked,
        });
    }
    let sensor_id = uuid::Uuid::now_v7().to_string();
    let credential = secret::generate(CREDENTIAL_PREFIX);
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO sensors (id, hostname, version, registered_at, last_seen_at, disabled) VALUES ($1, $2, $3, $4, $4, 0)",
    )
    .bind(&sensor_id)
    .bind(hostname)
    .bind(version)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO sensor_credentials (sensor_id, credential_hash, issued_at) VALUES ($1, $2, $3)",
    )
    .bind(&sensor_id)
    .bind(secret::hash(&credential))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let (token, expires_at) = issue_token(store, &sensor_id).await?;
    Ok(Registration::Registered {
        sensor_id,
        token,
        expires_at,
        credential: Some(credential),
        revoked: Vec::new(),
    })
}

/// Issues a new token for a sensor and removes its expired ones.
pub async fn issue_token(store: &Store, sensor_id: &str) -> Result<(String, i64), StoreError> {
    let now = now_ms();
    sqlx::query("DELETE FROM sensor_tokens WHERE sensor_id = $1 AND expires_at <= $2")
        .bind(sensor_id)
        .bind(now)
        .execute(store.pool())
        .await?;
    let token = secret::generate(secret::SENSOR_TOKEN_PREFIX);
    let expires_at = now + TOKEN_TTL_MS;
    sqlx::query("INSERT INTO sensor_tokens (token_hash, sensor_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(secret::hash(&token))
        .bind(sensor_id)
        .bind(now)
        .bind(expires_at)
        .execute(store.pool())
        .await?;
    Ok((token, expires_at))
}

/// Makes a sensor's tokens (but `keep`) expire at `until` at the latest.
/// Returns the hashes of the tokens cut short, to drop from caches.
async fn revoke_tokens(
    store: &Store,
    sensor_id: &str,
    keep: Option<&str>,
    until: i64,
) -> Result<Vec<String>, StoreError> {
    let keep = keep.unwrap_or("");
    let hashes: Vec<String> = sqlx::query_scalar(
        "SELECT token_hash FROM sensor_tokens WHERE sensor_id = $1 AND token_hash <> $2 AND expires_at > $3",
    )
    .bind(sensor_id)
    .bind(keep)
    .bind(until)
    .fetch_all(store.pool())
    .await?;
    sqlx::query(
        "UPDATE sensor_tokens SET expires_at = $1 WHERE sensor_id = $2 AND token_hash <> $3 AND expires_at > $1",
    )
    .bind(until)
    .bind(sensor_id)
    .bind(keep)
    .execute(store.pool())
    .await?;
    Ok(hashes)
}

/// A renewed token.
#[derive(Debug)]
pub struct Renewal {
    /// The new token.
    pub token: String,
    /// When it expires (Unix ms).
    pub expires_at: i64,
    /// Hashes of the sensor's earlier tokens, now ending after the grace.
    pub revoked: Vec<String>,
}

/// Issues a new token for a sensor and revokes its earlier ones: they keep
/// working for `grace` (reports already under way), then stop.
pub async fn renew(
    store: &Store,
    sensor_id: &str,
    grace: std::time::Duration,
) -> Result<Renewal, StoreError> {
    let (token, expires_at) = issue_token(store, sensor_id).await?;
    let until = now_ms() + i64::try_from(grace.as_millis()).unwrap_or(i64::MAX / 2);
    let revoked = revoke_tokens(store, sensor_id, Some(&secret::hash(&token)), until).await?;
    Ok(Renewal {
        token,
        expires_at,
        revoked,
    })
}

/// A credential an admin re-issued.
#[derive(Debug)]
pub struct Reissued {
    /// The new credential (its only plaintext copy).
    pub credential: String,
    /// Hashes of the sensor's tokens, revoked now.
    pub revoked: Vec<String>,
}

/// Replaces a sensor's credential with a new one and revokes its tokens at
/// once: whoever holds the old credential can no longer act as the sensor,
/// the holder of the new one registers as it. `None` for an unknown sensor.
pub async fn reissue_credential(store: &Store, id: &str) -> Result<Option<Reissued>, StoreError> {
    let now = now_ms();
    let credential = secret::generate(CREDENTIAL_PREFIX);
    let mut tx = store.pool().begin().await?;
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM sensors WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_none() {
        return Ok(None);
    }
    sqlx::query("DELETE FROM sensor_credentials WHERE sensor_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sensor_credentials (sensor_id, credential_hash, issued_at) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(secret::hash(&credential))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let revoked: Vec<String> =
        sqlx::query_scalar("SELECT token_hash FROM sensor_tokens WHERE sensor_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM sensor_tokens WHERE sensor_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Reissued {
        credential,
        revoked,
    }))
}

/// Finds the live, enabled sensor a token belongs to: (sensor id, expiry).
pub async fn find_token(
    store: &Store,
    token_hash: &str,
) -> Result<Option<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT t.sensor_id, t.expires_at FROM sensor_tokens t JOIN sensors s ON s.id = t.sensor_id \
         WHERE t.token_hash = $1 AND t.expires_at > $2 AND s.disabled = 0",
    )
    .bind(token_hash)
    .bind(now_ms())
    .fetch_optional(store.pool())
    .await?)
}

/// A sensor as the API lists it.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct SensorInfo {
    /// Identifier.
    pub id: String,
    /// Host name it reported at registration.
    pub hostname: String,
    /// Sensor version.
    pub version: String,
    /// `online`, `offline` or `disabled`.
    pub status: String,
    /// When it registered first (RFC 3339).
    pub registered_at: String,
    /// When it was last heard from (RFC 3339).
    pub last_seen_at: String,
    /// `host` or `container_only`, once it has reported.
    pub visibility: Option<String>,
    /// What each of its collectors sees, and why the others see nothing
    /// (empty until the sensor reports them; sensors before 0.1 do not).
    pub collectors: Vec<CollectorInfo>,
}

/// One collector of a sensor: active or not, and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CollectorInfo {
    /// `host`, `cloud`, `processes`, `connections` or `docker`.
    pub name: String,
    /// True when it collected at the last report.
    pub active: bool,
    /// Why it is inactive or partial, e.g. "no Docker Engine socket at /var/run/docker.sock".
    pub reason: Option<String>,
}

impl From<&vedette_model::wire::CollectorStatus> for CollectorInfo {
    fn from(status: &vedette_model::wire::CollectorStatus) -> Self {
        CollectorInfo {
            name: status.name.clone(),
            active: status.active,
            reason: status.reason.clone(),
        }
    }
}

/// Records what a sensor's collectors see (sent in its snapshots, and in a
/// delta when it changed). Kept beside the sensor, not in the topology: it
/// says why the sensor's part of the map is what it is.
pub async fn set_collectors(
    store: &Store,
    sensor_id: &str,
    collectors: &[vedette_model::wire::CollectorStatus],
) -> Result<(), StoreError> {
    let infos: Vec<CollectorInfo> = collectors.iter().map(CollectorInfo::from).collect();
    // Plain strings and booleans always serialize.
    let json = serde_json::to_string(&infos).unwrap_or_else(|_| "[]".into());
    sqlx::query(
        "INSERT INTO sensor_collectors (sensor_id, collectors, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (sensor_id) DO UPDATE SET collectors = excluded.collectors, updated_at = excluded.updated_at",
    )
    .bind(sensor_id)
    .bind(json)
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SensorRow {
    id: String,
    hostname: String,
    version: String,
    registered_at: i64,
    last_seen_at: i64,
    disabled: i64,
    visibility: Option<String>,
    collectors: Option<String>,
}

/// Lists sensors with their liveness.
pub async fn list(store: &Store, offline_after_ms: i64) -> Result<Vec<SensorInfo>, StoreError> {
    let rows: Vec<SensorRow> = sqlx::query_as(
        "SELECT s.id, s.hostname, s.version, s.registered_at, s.last_seen_at, s.disabled, st.visibility, \
         sc.collectors FROM sensors s LEFT JOIN sensor_streams st ON st.sensor_id = s.id \
         LEFT JOIN sensor_collectors sc ON sc.sensor_id = s.id ORDER BY s.hostname, s.id",
    )
    .fetch_all(store.pool())
    .await?;
    let now = now_ms();
    Ok(rows
        .into_iter()
        .map(|row| SensorInfo {
            status: if row.disabled != 0 {
                "disabled"
            } else if now - row.last_seen_at <= offline_after_ms {
                "online"
            } else {
                "offline"
            }
            .to_string(),
            id: row.id,
            hostname: row.hostname,
            version: row.version,
            registered_at: crate::store::sql::rfc3339(row.registered_at),
            last_seen_at: crate::store::sql::rfc3339(row.last_seen_at),
            visibility: row.visibility,
            collectors: row
                .collectors
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default(),
        })
        .collect())
}

/// Disables or enables a sensor; disabling revokes its tokens at once.
pub async fn set_disabled(store: &Store, id: &str, disabled: bool) -> Result<bool, StoreError> {
    let done = sqlx::query("UPDATE sensors SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(id)
        .execute(store.pool())
        .await?;
    if disabled {
        sqlx::query("DELETE FROM sensor_tokens WHERE sensor_id = $1")
            .bind(id)
            .execute(store.pool())
            .await?;
    }
    Ok(done.rows_affected() > 0)
}

/// Removes a sensor with its tokens and topology.
pub async fn remove(store: &Store, id: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM sensors WHERE id = $1")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Drops the topology of sensors offline for longer than the retention, so
/// stale nodes leave the map; the sensors stay listed as offline.
pub async fn expire_stale(state: &crate::state::AppState) -> Result<(), StoreError> {
    let cutoff = now_ms() - state.config.sensor_retention.as_millis() as i64;
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT s.id FROM sensors s JOIN sensor_streams st ON st.sensor_id = s.id WHERE s.last_seen_at < $1",
    )
    .bind(cutoff)
    .fetch_all(state.store.pool())
    .await?;
    for id in stale {
        let mut tx = state.store.pool().begin().await?;
        sqlx::query("DELETE FROM topology_items WHERE sensor_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM topology_reports WHERE sensor_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM sensor_streams WHERE sensor_id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        state.topology.forget(&id).await;
        tracing::info!(sensor_id = %id, "removed the topology of a sensor offline past the retention period");
    }
    Ok(())
}
