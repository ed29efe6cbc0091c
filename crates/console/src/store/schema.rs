//! Schema migrations, rendered per backend by `sea-query`.
//!
//! Migrations are an append-only list: never edit a released migration, add
//! a new one. Each runs in its own transaction and is recorded in
//! `schema_migrations`. On PostgreSQL an advisory lock makes concurrent
//! console replicas wait for each other instead of racing.

use sea_query::{
    ColumnDef, ForeignKey, ForeignKeyAction, ForeignKeyCreateStatement, Index,
    IndexCreateStatement, PostgresQueryBuilder, SqliteQueryBuilder, Table, TableCreateStatement,
};
use sqlx::{Acquire, AssertSqlSafe, Executor};

use super::{Backend, Store, StoreError};

/// One schema change.
struct Migration {
    version: i64,
    name: &'static str,
    tables: fn() -> Vec<TableCreateStatement>,
    indexes: fn() -> Vec<IndexCreateStatement>,
}

/// Every migration, oldest first.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "console core: users, sessions, tokens, audit, settings, sensors",
        tables: core_tables,
        indexes: core_indexes,
    },
    Migration {
        version: 2,
        name: "topology: sensor report streams and reported items",
        tables: topology_tables,
        indexes: no_indexes,
    },
    Migration {
        version: 3,
        name: "topology: reports stored as received, compacted into snapshots",
        tables: topology_report_tables,
        indexes: no_indexes,
    },
    Migration {
        version: 4,
        name: "sensor identity: per-sensor credentials, stored hashed",
        tables: sensor_credential_tables,
        indexes: no_indexes,
    },
    Migration {
        version: 5,
        name: "auth: lockout per account and source, aggregated audit entries",
        tables: auth_hardening_tables,
        indexes: auth_hardening_indexes,
    },
    Migration {
        version: 6,
        name: "sensors: what each sensor's collectors see",
        tables: sensor_collector_tables,
        indexes: no_indexes,
    },
];

/// A lock key only Vedette uses ("vedette" in ASCII, as a number).
const PG_MIGRATION_LOCK: i64 = 0x0076_6564_6574_7465;

fn text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

fn text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

fn int(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn int_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

fn cascade_to(
    table: &'static str,
    column: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, column)
        .to(parent, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

fn core_tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("users")
            .col(text("id").primary_key())
            .col(text("username").unique_key())
            .col(text("password_hash"))
            .col(text("role"))
            .col(int("disabled").default(0))
            .col(int("failed_logins").default(0))
            .col(int_null("locked_until"))
            .col(int("created_at"))
            .col(int_null("last_login_at"))
            .col(int("password_changed_at"))
            .to_owned(),
        Table::create()
            .table("sessions")
            .col(text("id_hash").primary_key())
            .col(text("user_id"))
            .col(text("csrf_token"))
            .col(int("created_at"))
            .col(int("expires_at"))
            .col(text_null("source_ip"))
            .foreign_key(&mut cascade_to("sessions", "user_id", "users"))
            .to_owned(),
        Table::create()
            .table("api_tokens")
            .col(text("id").primary_key())
            .col(text("user_id"))
            .col(text("name"))
            .col(text("token_hash").unique_key())
            .col(text("prefix"))
            .col(int("created_at"))
            .col(int_null("expires_at"))
            .col(int_null("last_used_at"))
            .foreign_key(&mut cascade_to("api_tokens", "user_id", "users"))
            .to_owned(),
        // Invites and password-reset links: single-use, expiring, hashed.
        Table::create()
            .table("one_time_tokens")
            .col(text("id").primary_key())
            .col(text("token_hash").unique_key())
            .col(text("purpose"))
            .col(text_null("role"))
            .col(text_null("user_id"))
            .col(text_null("created_by"))
            .col(int("created_at"))
            .col(int("expires_at"))
            .col(int_null("used_at"))
            .to_owned(),
        Table::create()
            .table("audit_log")
            .col(text("id").primary_key())
            .col(int("at"))
            .col(text("actor"))
            .col(text("action"))
            .col(text_null("target"))
            .col(text_null("source_ip"))
            .col(text("outcome"))
            .col(text_null("detail"))
            .to_owned(),
        Table::create()
            .table("settings")
            .col(text("key").primary_key())
            .col(text("value"))
            .col(int("updated_at"))
            .to_owned(),
        Table::create()
            .table("sensors")
            .col(text("id").primary_key())
            .col(text("hostname"))
            .col(text("version"))
            .col(int("registered_at"))
            .col(int("last_seen_at"))
            .col(int("disabled").default(0))
            .to_owned(),
        Table::create()
            .table("sensor_tokens")
            .col(text("token_hash").primary_key())
            .col(text("sensor_id"))
            .col(int("created_at"))
            .col(int("expires_at"))
            .foreign_key(&mut cascade_to("sensor_tokens", "sensor_id", "sensors"))
            .to_owned(),
    ]
}

fn core_indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("sessions_user")
            .table("sessions")
            .col("user_id")
            .to_owned(),
        Index::create()
            .name("api_tokens_user")
            .table("api_tokens")
            .col("user_id")
            .to_owned(),
        Index::create()
            .name("audit_log_at")
            .table("audit_log")
            .col("at")
            .to_owned(),
        Index::create()
            .name("sensor_tokens_sensor")
            .table("sensor_tokens")
            .col("sensor_id")
            .to_owned(),
    ]
}

fn no_indexes() -> Vec<IndexCreateStatement> {
    Vec::new()
}

fn topology_report_tables() -> Vec<TableCreateStatement> {
    vec![
        // Each sensor's last snapshot and the deltas since, as the sensor sent
        // them (zstd JSON): one row per report instead of one per item, which
        // is what lets one console ingest thousands of sensors. Replayed at
        // start; compacted into one snapshot every few dozen deltas.
        Table::create()
            .table("topology_reports")
            .col(text("sensor_id"))
            .col(int("sequence"))
            .col(int("snapshot"))
            .col(int("compressed"))
            .col(ColumnDef::new("body").blob().not_null().to_owned())
            .primary_key(Index::create().col("sensor_id").col("sequence"))
            .foreign_key(&mut cascade_to("topology_reports", "sensor_id", "sensors"))
            .to_owned(),
    ]
}

fn topology_tables() -> Vec<TableCreateStatement> {
    vec![
        // Where each sensor's report stream stands, so deltas continue
        // across console restarts.
        Table::create()
            .table("sensor_streams")
            .col(text("sensor_id").primary_key())
            .col(int("last_sequence"))
            .col(int("snapshot_at"))
            .col(int("collected_at"))
            .col(text("visibility"))
            .foreign_key(&mut cascade_to("sensor_streams", "sensor_id", "sensors"))
            .to_owned(),
        // What each sensor last reported: one row per host, process,
        // container, image or socket, as JSON of the wire type.
        Table::create()
            .table("topology_items")
            .col(text("sensor_id"))
            .col(text("kind"))
            .col(text("item_key"))
            .col(text("data"))
            .primary_key(Index::create().col("sensor_id").col("kind").col("item_key"))
            .foreign_key(&mut cascade_to("topology_items", "sensor_id", "sensors"))
            .to_owned(),
    ]
}

fn sensor_credential_tables() -> Vec<TableCreateStatement> {
    vec![
        // The hash of each sensor's credential, issued at its first
        // registration (or re-issued by an admin): re-registering as that
        // sensor needs it. A sensor without a row (registered before this
        // migration) cannot be claimed; it re-joins as a new sensor.
        Table::create()
            .table("sensor_credentials")
            .col(text("sensor_id").primary_key())
            .col(text("credential_hash"))
            .col(int("issued_at"))
            .foreign_key(&mut cascade_to(
                "sensor_credentials",
                "sensor_id",
                "sensors",
            ))
            .to_owned(),
    ]
}

fn sensor_collector_tables() -> Vec<TableCreateStatement> {
    vec![
        // The collectors' statuses a sensor last reported (JSON), so the
        // sensors list can say why a sensor's part of the map is empty.
        Table::create()
            .table("sensor_collectors")
            .col(text("sensor_id").primary_key())
            .col(text("collectors"))
            .col(int("updated_at"))
            .foreign_key(&mut cascade_to("sensor_collectors", "sensor_id", "sensors"))
            .to_owned(),
    ]
}

fn auth_hardening_tables() -> Vec<TableCreateStatement> {
    vec![
        // Failed sign-ins per (account, source): a flood from one address
        // locks the account for that address only.
        Table::create()
            .table("login_lockouts")
            .col(text("user_id"))
            .col(text("source"))
            .col(int("failures"))
            .col(int_null("locked_until"))
            .col(int("updated_at"))
            .primary_key(Index::create().col("user_id").col("source"))
            .foreign_key(&mut cascade_to("login_lockouts", "user_id", "users"))
            .to_owned(),
        // Repeats of one audit entry (same action, source, target, outcome
        // and detail within one window): the entry is written once, the
        // repeats only count here. `repeat_key` names the window.
        Table::create()
            .table("audit_repeats")
            .col(text("repeat_key").primary_key())
            .col(text("audit_id"))
            .col(int("repeat_count"))
            .col(int("repeat_last_at"))
            .to_owned(),
    ]
}

fn auth_hardening_indexes() -> Vec<IndexCreateStatement> {
    vec![
        Index::create()
            .name("audit_repeats_audit_id")
            .table("audit_repeats")
            .col("audit_id")
            .to_owned(),
    ]
}

fn render_table(backend: Backend, table: &TableCreateStatement) -> String {
    match backend {
        Backend::Sqlite => table.build(SqliteQueryBuilder),
        Backend::Postgres => table.build(PostgresQueryBuilder),
    }
}

fn render_index(backend: Backend, index: &IndexCreateStatement) -> String {
    match backend {
        Backend::Sqlite => index.build(SqliteQueryBuilder),
        Backend::Postgres => index.build(PostgresQueryBuilder),
    }
}

/// The schema version this binary migrates to.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The newest version recorded in `schema_migrations` (0 for a new database).
pub(super) async fn current_version(store: &Store) -> Result<i64, StoreError> {
    let version: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(store.pool())
        .await?;
    Ok(version.unwrap_or(0))
}

/// Applies every pending migration.
pub(super) async fn migrate(store: &Store) -> Result<(), StoreError> {
    let mut conn = store.pool().acquire().await?;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    let result = migrate_locked(store.backend(), &mut conn).await;
    if store.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(PG_MIGRATION_LOCK)
            .execute(&mut *conn)
            .await?;
    }
    result
}

async fn migrate_locked(
    backend: Backend,
    conn: &mut sqlx::pool::PoolConnection<sqlx::Any>,
) -> Result<(), StoreError> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations \
         (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)",
    )
    .await?;
    let applied: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM schema_migrations")
        .fetch_one(&mut **conn)
        .await?;
    let applied = applied.unwrap_or(0);
    let supported = MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
    if applied > supported {
        return Err(StoreError::SchemaTooNew {
            found: applied,
            supported,
        });
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
        let failed = |source| StoreError::Migration {
            version: migration.version,
            name: migration.name,
            source,
        };
        let mut tx = conn.begin().await.map_err(failed)?;
        for table in (migration.tables)() {
            let sql = render_table(backend, &table);
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
        }
        for index in (migration.indexes)() {
            let sql = render_index(backend, &index);
            sqlx::query(AssertSqlSafe(sql))
                .execute(&mut *tx)
                .await
                .map_err(failed)?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.name)
        .bind(super::sql::now_ms())
        .execute(&mut *tx)
        .await
        .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied database migration"
        );
    }
    Ok(())
}
