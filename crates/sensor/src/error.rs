//! The sensor's errors. Fatal ones (a rotated API key, a disabled sensor)
//! stop the sensor with a message the operator can act on.

use std::path::PathBuf;

/// Why the sensor stopped or could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SensorError {
    /// The console refused the API key (401 at registration).
    #[error(
        "the console refused the sensor API key (wrong or rotated): get the current key from the console (`vedette console api-key show`) and restart the sensor with it: {detail}"
    )]
    ApiKeyRejected {
        /// The console's explanation.
        detail: String,
    },
    /// The console refused this sensor (403: disabled by an admin, or a claim without the right credential).
    #[error(
        "the console refused this sensor (disabled by an admin, or its id claimed without the right credential): ask a console admin to enable it or to re-issue its credential (then start with VEDETTE_SENSOR_ID and VEDETTE_SENSOR_CREDENTIAL), or remove the state file to register as a new sensor: {detail}"
    )]
    Refused {
        /// The console's explanation.
        detail: String,
    },
    /// The HTTPS client could not be built (bad fingerprint, unreadable CA file).
    #[error(transparent)]
    Client(#[from] vedette_client::ClientError),
    /// The state file cannot be read or written.
    #[error("state file {path}: {detail}")]
    StateFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        detail: String,
    },
    /// The configuration is invalid.
    #[error("invalid sensor configuration: {0}")]
    Config(String),
}
