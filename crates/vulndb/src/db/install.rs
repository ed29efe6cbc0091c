//! Installing a verified DB: write a temporary file next to the target,
//! fsync it, rename it over the target, fsync the directory. Readers see
//! the old file or the new one, never a partial one; on any error the old
//! DB stays in place.

use std::io::Write;
use std::path::Path;

use super::DbError;
use super::file::Verified;

/// Atomically replaces (or creates) the DB at `path` with a verified file.
pub fn install(verified: &Verified<'_>, path: &Path) -> Result<(), DbError> {
    let io = |p: &Path, source: std::io::Error| DbError::Io {
        path: p.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vedette.db".into());
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        file.write_all(verified.bytes)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&tmp, e));
    }
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(path, e));
    }
    // The rename itself is durable only once the directory is synced.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io(dir, e))
}
