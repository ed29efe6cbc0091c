//! Account lockout per (account, source).
//!
//! Failed sign-ins are counted per account *and* client address (an IPv6
//! client's /64, see [`source_key`]). After `lockout_threshold` failures in a
//! row, that account is locked for that source only, for
//! `lockout_duration`. Someone who knows an admin's user name can therefore
//! lock the admin out of their own address, not out of the console: a
//! correct password from any other address still works. Spreading guesses
//! over many addresses is bounded by the per-source sign-in budget
//! ([`super::throttle`]) and by the password's Argon2id cost.
//!
//! A locked attempt answers exactly like a wrong password (same status, same
//! body, same Argon2 work), so lockout reveals neither the account nor the
//! lock. The counts live in the store, so every replica sees them.

use std::net::IpAddr;

use crate::store::sql::now_ms;
use crate::store::{Store, StoreError};

/// Rows untouched for this long and no longer locked are deleted.
const FORGET_AFTER_MS: i64 = 24 * 3600 * 1000;

/// The lockout key of a client address: IPv4 and IPv4-mapped addresses as
/// they are, IPv6 addresses by their /64 (one host usually holds a whole /64).
pub fn source_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
    }
}

/// When the account is locked for `source` until (Unix ms), if it is now.
pub async fn locked_until(
    store: &Store,
    user_id: &str,
    source: &str,
) -> Result<Option<i64>, StoreError> {
    let until: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT locked_until FROM login_lockouts WHERE user_id = $1 AND source = $2",
    )
    .bind(user_id)
    .bind(source)
    .fetch_optional(store.pool())
    .await?;
    Ok(until.flatten().filter(|until| *until > now_ms()))
}

/// Records a failed sign-in from `source`; locks the account for that source
/// once `max_failures` is reached. Returns the lock's end (Unix ms) when this
/// failure locked it.
pub async fn record_failure(
    store: &Store,
    user_id: &str,
    source: &str,
    max_failures: u32,
    lock_ms: i64,
) -> Result<Option<i64>, StoreError> {
    let now = now_ms();
    // One statement, so concurrent failures cannot both read a stale count.
    let failures: i64 = sqlx::query_scalar(
        "INSERT INTO login_lockouts (user_id, source, failures, locked_until, updated_at) \
         VALUES ($1, $2, 1, NULL, $3) \
         ON CONFLICT (user_id, source) DO UPDATE SET failures = login_lockouts.failures + 1, updated_at = $3 \
         RETURNING failures",
    )
    .bind(user_id)
    .bind(source)
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    if failures >= i64::from(max_failures) {
        let until = now + lock_ms;
        sqlx::query(
            "UPDATE login_lockouts SET locked_until = $1, failures = 0 WHERE user_id = $2 AND source = $3",
        )
        .bind(until)
        .bind(user_id)
        .bind(source)
        .execute(store.pool())
        .await?;
        return Ok(Some(until));
    }
    Ok(None)
}

/// Forgets the failures of `source` (after a successful sign-in from it).
pub async fn clear(store: &Store, user_id: &str, source: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_lockouts WHERE user_id = $1 AND source = $2")
        .bind(user_id)
        .bind(source)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Lifts every lock of the account (its password was reset).
pub async fn clear_all(store: &Store, user_id: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM login_lockouts WHERE user_id = $1")
        .bind(user_id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Deletes rows that lock nothing and were not touched for a day (bounds
/// the table under a spray from many addresses).
pub async fn purge_stale(store: &Store) -> Result<u64, StoreError> {
    let now = now_ms();
    let purged = sqlx::query(
        "DELETE FROM login_lockouts WHERE (locked_until IS NULL OR locked_until < $1) AND updated_at < $2",
    )
    .bind(now)
    .bind(now - FORGET_AFTER_MS)
    .execute(store.pool())
    .await?;
    Ok(purged.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_sources_are_keyed_by_their_64() {
        assert_eq!(source_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(source_key("::ffff:192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(
            source_key("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            source_key("2001:db8:1:2::ffff".parse().unwrap()),
            source_key("2001:db8:1:2:aaaa::1".parse().unwrap())
        );
    }
}
