//! Databases on the test PostgreSQL server (`scripts/postgres.sh` starts it
//! and prints the URL to export as `VEDETTE_TEST_POSTGRES_URL`).
//!
//! Each [`TestDatabase`] is a new empty database named
//! `vedette_test_<pid>_<start>_<n>` and dropped on drop. Databases of test
//! processes that were killed before their drop are dropped by the next test
//! that creates one.

use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;
use tokio::sync::OnceCell;

use crate::{owner, owner_gone};

/// The prefix of every database this module creates.
const PREFIX: &str = "vedette_test_";

/// The server URL the tests use (and sqlx's drivers installed); fails
/// loudly when unset.
pub fn server_url() -> String {
    sqlx::any::install_default_drivers();
    std::env::var("VEDETTE_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "VEDETTE_TEST_POSTGRES_URL is not set: start PostgreSQL with `scripts/postgres.sh` and export the URL it prints \
             (the README's test command does both)"
        )
    })
}

/// An empty database for one test, dropped (`WITH (FORCE)`, closing the
/// test's own connections) when this value is dropped, also on panic.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    url: String,
    server: String,
}

impl TestDatabase {
    /// Creates the database.
    pub async fn create() -> TestDatabase {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        static SWEPT: OnceCell<()> = OnceCell::const_new();
        let server = server_url();
        let mut conn = sqlx::AnyConnection::connect(&server)
            .await
            .expect("connect to the test PostgreSQL server");
        SWEPT.get_or_init(|| drop_leftovers(&server)).await;
        let name = format!(
            "{PREFIX}{}_{}",
            owner().replace('-', "_"),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("create a test database");
        let _ = conn.close().await;
        let (prefix, _) = server.rsplit_once('/').expect("database URL has a path");
        TestDatabase {
            url: format!("{prefix}/{name}"),
            name,
            server,
        }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop is synchronous and may run inside the test's runtime: a
        // thread of its own with a runtime of its own.
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(drop_database(&server, &name))
        })
        .join();
        if let Ok(Err(e)) = dropped {
            eprintln!("test database {} not dropped: {e}", self.name);
        }
    }
}

async fn drop_database(server: &str, name: &str) -> Result<(), String> {
    let mut conn = sqlx::AnyConnection::connect(server)
        .await
        .map_err(|e| e.to_string())?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .map_err(|e| e.to_string())?;
    let _ = conn.close().await;
    Ok(())
}

/// Drops the databases of test processes that are gone.
async fn drop_leftovers(server: &str) {
    let mut conn = sqlx::AnyConnection::connect(server)
        .await
        .expect("connect to the test PostgreSQL server");
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'vedette\\_test\\_%'",
    )
    .fetch_all(&mut conn)
    .await
    .expect("list the test databases");
    let _ = conn.close().await;
    for name in names {
        if name
            .strip_prefix(PREFIX)
            .is_some_and(|token| owner_gone(token, '_'))
        {
            // Another test process may be dropping it at the same moment.
            let _ = drop_database(server, &name).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn exists(name: &str) -> bool {
        let mut conn = sqlx::AnyConnection::connect(&server_url()).await.unwrap();
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM pg_database WHERE datname = '{name}'"
        )))
        .fetch_one(&mut conn)
        .await
        .unwrap();
        count == 1
    }

    #[tokio::test]
    async fn a_database_is_dropped_with_its_guard_even_while_connected() {
        let db = TestDatabase::create().await;
        let other = TestDatabase::create().await;
        assert_ne!(db.name(), other.name());
        let name = db.name().to_string();
        assert!(name.starts_with(PREFIX), "{name}");
        assert!(exists(&name).await);
        // An open connection (as a test's store pool holds) does not keep it.
        let mut conn = sqlx::AnyConnection::connect(db.url()).await.unwrap();
        sqlx::query("CREATE TABLE t (x BIGINT)")
            .execute(&mut conn)
            .await
            .unwrap();
        drop(db);
        assert!(!exists(&name).await, "dropped");
        assert!(exists(other.name()).await, "the other one is kept");
    }

    #[tokio::test]
    async fn databases_of_gone_processes_are_dropped_and_live_ones_kept() {
        let server = server_url();
        let leftover = format!("{PREFIX}4194305_1_0");
        let mut conn = sqlx::AnyConnection::connect(&server).await.unwrap();
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {leftover}"
        )))
        .execute(&mut conn)
        .await;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {leftover}")))
            .execute(&mut conn)
            .await
            .unwrap();
        let live = TestDatabase::create().await;
        drop_leftovers(&server).await;
        assert!(!exists(&leftover).await, "leftover dropped");
        assert!(exists(live.name()).await, "live kept");
    }
}
