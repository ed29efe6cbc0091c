//! The SQLite rpm database (`rpmdb.sqlite`): table `Packages(hnum, blob)`.
//!
//! The file is loaded into an in-memory SQLite connection (read-only), so
//! nothing is written to disk and the scanned file is never locked.

use rusqlite::{Connection, MAIN_DB, OpenFlags};

use crate::Error;

/// The header blobs of every package in a `rpmdb.sqlite` image.
pub fn header_blobs(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let bad = |e: rusqlite::Error| Error::malformed(path, format!("sqlite: {e}"));
    let mut conn =
        Connection::open_with_flags(":memory:", OpenFlags::SQLITE_OPEN_READ_WRITE).map_err(bad)?;
    conn.deserialize_read_exact(MAIN_DB, bytes, bytes.len(), true)
        .map_err(bad)?;
    let mut stmt = conn.prepare("SELECT blob FROM Packages").map_err(bad)?;
    let rows = stmt
        .query_map([], |row| row.get::<_, Vec<u8>>(0))
        .map_err(bad)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(bad)
}
