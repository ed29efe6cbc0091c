//! The small file that keeps the sensor's identity across restarts, so a
//! restarted sensor is the same node in the console, not a duplicate.

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

/// Writes the state file atomically (temporary file, then rename).
pub fn save(path: &Path, state: &SensorState) -> Result<(), SensorError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| error(path, e))?;
    }
    let text = serde_json::to_vec_pretty(state).map_err(|e| error(path, e))?;
    let mut temporary = PathBuf::from(path);
    temporary.as_mut_os_string().push(".tmp");
    std::fs::write(&temporary, text).map_err(|e| error(&temporary, e))?;
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
        };
        save(&path, &state).unwrap();
        assert_eq!(load(&path).unwrap(), state);
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(load(&path), Err(SensorError::StateFile { .. })));
    }
}
