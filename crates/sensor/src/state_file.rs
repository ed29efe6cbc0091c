//! The small file that keeps the sensor's identity across restarts, so a
//! restarted sensor is the same node in the console, not a duplicate: the
//! console-assigned id and the sensor's credential. The credential proves
//! to the console that this host is that sensor, so the file is written
//! with mode 0600 (owner only), atomically.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::SensorError;

/// Largest state file read (it holds one id).
const MAX_STATE_BYTES: u64 = 64 * 1024;

/// What the sensor keeps between runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SensorState {
    /// The id the console gave at the first registration.
    pub sensor_id: Option<String>,
    /// The credential the console gave with the id (or an admin re-issued).
    /// A state file without one (written by an older sensor) cannot keep
    /// its id: the sensor registers as a new sensor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

fn error(path: &Path, detail: impl ToString) -> SensorError {
    SensorError::StateFile {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

/// Reads the state file; a missing file is an empty state.
pub fn load(path: &Path) -> Result<SensorState, SensorError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return Ok(SensorState::default());
        }
        Err(err) => return Err(error(path, err)),
    };
    let mut text = String::new();
    file.take(MAX_STATE_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| error(path, e))?;
    serde_json::from_str(&text).map_err(|e| error(path, format!("not a sensor state file: {e}")))
}

/// Writes the state file atomically (a temporary file created with mode
/// 0600, synced, then renamed over the old one).
pub fn save(path: &Path, state: &SensorState) -> Result<(), SensorError> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| error(path, e))?;
    }
    let text = serde_json::to_vec_pretty(state).map_err(|e| error(path, e))?;
    let mut temporary = PathBuf::from(path);
    temporary.as_mut_os_string().push(".tmp");
    // A temporary file left by a crash may have other permissions: start afresh.
    match std::fs::remove_file(&temporary) {
        Ok(()) => {}
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(error(&temporary, err)),
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(|e| error(&temporary, e))?;
    // The mode given at creation is reduced by the umask, never widened; set it exactly.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
        .map_err(|e| error(&temporary, e))?;
    file.write_all(&text).map_err(|e| error(&temporary, e))?;
    file.sync_all().map_err(|e| error(&temporary, e))?;
    drop(file);
    std::fs::rename(&temporary, path).map_err(|e| error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_treats_missing_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/state.json");
        assert_eq!(load(&path).unwrap(), SensorState::default());
        let state = SensorState {
            sensor_id: Some("0190-abc".into()),
            credential: Some("vsc_secret".into()),
        };
        save(&path, &state).unwrap();
        assert_eq!(load(&path).unwrap(), state);
        // Overwriting keeps it owner-only, and an older file without a credential still loads.
        save(&path, &state).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, r#"{"sensor_id":"0190-old"}"#).unwrap();
        assert_eq!(load(&path).unwrap().credential, None);
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(load(&path), Err(SensorError::StateFile { .. })));
    }
}
