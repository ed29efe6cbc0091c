//! Small helpers shared by every query: time stamps and running statements
//! built with `sea-query` on whichever backend the store has.

use sea_query::{PostgresQueryBuilder, SelectStatement, SqliteQueryBuilder, Value, Values};
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::{Arguments, AssertSqlSafe, FromRow};

use super::{Backend, Store, StoreError};

/// Now, as Unix milliseconds (the store's time format).
pub fn now_ms() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp_nanos() as i64 / 1_000_000
}

/// Renders Unix milliseconds as RFC 3339, the API's time format.
pub fn rfc3339(ms: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Converts sea-query values into `Any` arguments. Only the value kinds the
/// store uses (integers, text, bytes, null) are accepted.
fn arguments(values: Values) -> Result<AnyArguments, StoreError> {
    let mut args = AnyArguments::default();
    for value in values {
        let added = match value {
            Value::BigInt(v) => args.add(v),
            Value::Int(v) => args.add(v.map(i64::from)),
            Value::BigUnsigned(v) => args.add(v.and_then(|v| i64::try_from(v).ok())),
            Value::Bool(v) => args.add(v.map(i64::from)),
            Value::String(v) => args.add(v),
            Value::Bytes(v) => args.add(v),
            other => {
                return Err(StoreError::Query(sqlx::Error::Protocol(format!(
                    "unsupported query value {other:?}"
                ))));
            }
        };
        added.map_err(sqlx::Error::Encode)?;
    }
    Ok(args)
}

fn render(backend: Backend, select: &SelectStatement) -> (String, Values) {
    match backend {
        Backend::Sqlite => select.build(SqliteQueryBuilder),
        Backend::Postgres => select.build(PostgresQueryBuilder),
    }
}

/// Runs a `SELECT` built with sea-query and decodes every row.
pub async fn fetch_all<T>(store: &Store, select: &SelectStatement) -> Result<Vec<T>, StoreError>
where
    T: for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let (sql, values) = render(store.backend(), select);
    let rows = sqlx::query_as_with(AssertSqlSafe(sql), arguments(values)?)
        .fetch_all(store.pool())
        .await?;
    Ok(rows)
}

/// Runs a `SELECT COUNT(*)` built with sea-query.
pub async fn fetch_count(store: &Store, select: &SelectStatement) -> Result<i64, StoreError> {
    let (sql, values) = render(store.backend(), select);
    let count: i64 = sqlx::query_scalar_with(AssertSqlSafe(sql), arguments(values)?)
        .fetch_one(store.pool())
        .await?;
    Ok(count)
}
