//! The console's store: one code path over an embedded SQLite file or a
//! PostgreSQL server.
//!
//! Queries go through `sqlx`'s `Any` driver, so the same code runs on both
//! backends. The rules that keep SQL portable are few and enforced here:
//! only `BIGINT`, `TEXT` and `BLOB`/`BYTEA` columns (booleans are 0/1,
//! timestamps are Unix milliseconds), `$N` placeholders, no backend-specific
//! functions outside [`schema`]. DDL is rendered per backend by `sea-query`.
//!
//! Architecture invariant: the store knows nothing of HTTP. Each concept
//! (users, sessions, tokens, audit…) keeps its own queries next to its code.

mod schema;
pub mod sql;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, ConnectOptions, Executor};

/// Which database server is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file in the data dir.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// An error from the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one we support.
    #[error(
        "unsupported database URL `{0}`: use `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`"
    )]
    UnsupportedUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// A migration failed; the schema was left at the previous version.
    #[error("database migration {version} ({name}) failed: {source}")]
    Migration {
        /// The migration's version number.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// What the database said.
        #[source]
        source: sqlx::Error,
    },
    /// The database holds a newer schema than this binary knows.
    #[error(
        "the database schema is at version {found}, newer than this console supports ({supported}); upgrade Vedette"
    )]
    SchemaTooNew {
        /// The version found in the database.
        found: i64,
        /// The newest version this binary knows.
        supported: i64,
    },
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// The console's store: a connection pool and its backend.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens the database at `url`, creating the SQLite file if needed, and
    /// applies pending migrations.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let options = AnyConnectOptions::from_str(url)
            .map_err(StoreError::Connect)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
        let pool_options = match backend {
            Backend::Sqlite => AnyPoolOptions::new()
                // SQLite has one writer at a time; a few readers beside it are
                // enough and keep memory low.
                .max_connections(4)
                .min_connections(1)
                .after_connect(|conn, _meta| {
                    Box::pin(async move {
                        // WAL lets readers run beside the writer and keeps the
                        // file consistent if the process is killed mid-write.
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        Ok(())
                    })
                }),
            Backend::Postgres => AnyPoolOptions::new().max_connections(16).min_connections(1),
        };
        let pool = pool_options
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(StoreError::Connect)?;
        let store = Store { pool, backend };
        schema::migrate(&store).await?;
        Ok(store)
    }

    /// The SQLite URL of the embedded store in `data_dir`.
    pub fn sqlite_url(data_dir: &Path) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("vedette.db").display()
        )
    }

    /// The connection pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The backend behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Checks that the database answers (used by `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Pool statistics: (open connections, idle connections).
    pub fn pool_stats(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Closes every connection, waiting for in-flight queries to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The schema version this binary migrates databases to.
    pub fn latest_schema_version() -> i64 {
        schema::latest_version()
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        schema::current_version(self).await
    }
}

/// Hides the password of a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords_in_urls() {
        assert_eq!(
            redact_url("postgres://vedette:s3cret@db:5432/vedette"),
            "postgres://vedette:***@db:5432/vedette"
        );
        assert_eq!(
            redact_url("sqlite:///var/lib/x.db"),
            "sqlite:///var/lib/x.db"
        );
    }
}
