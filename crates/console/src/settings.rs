//! Console-wide key/value settings kept in the store (hashes of the sensor
//! API key and setup code, and similar single values).

use crate::store::sql::now_ms;
use crate::store::{Store, StoreError};

/// Hash of the sensor API key.
pub const SENSOR_API_KEY_HASH: &str = "sensor_api_key_hash";
/// Hash of the one-time setup code (present only until the first admin exists).
pub const SETUP_CODE_HASH: &str = "setup_code_hash";

/// Reads a setting.
pub async fn get(store: &Store, key: &str) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(store.pool())
            .await?,
    )
}

/// Writes a setting.
pub async fn set(store: &Store, key: &str, value: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(key)
    .bind(value)
    .bind(now_ms())
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Deletes a setting only if it still has `value`; true if it did. This is
/// how single-use values (the setup code) are claimed atomically.
pub async fn take_if_equal(store: &Store, key: &str, value: &str) -> Result<bool, StoreError> {
    let done = sqlx::query("DELETE FROM settings WHERE key = $1 AND value = $2")
        .bind(key)
        .bind(value)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}
