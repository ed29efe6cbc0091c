//! Integration tests of the console, in one binary (see ripgrep's layout).
//!
//! The app runs in process (`tower::ServiceExt::oneshot`), on SQLite and on a
//! real PostgreSQL server (`scripts/postgres.sh` starts one and the test
//! command exports `VEDETTE_TEST_POSTGRES_URL`). Tests that need PostgreSQL
//! fail, never skip, when it is missing. TLS and process-level behaviour
//! (certificate pinning, reload, SIGKILL) are tested in `crates/vedette/tests`.

// Test code fails by panicking; unwrap is the plainest way to say so.
#![allow(clippy::unwrap_used)]

/// Shared harness: start a console, act as each kind of caller.
mod harness;

/// Every route × every kind of caller → expected status class.
mod authz_matrix;
/// Malformed, oversized and hostile requests change nothing.
mod bad_input;
/// Repeated failed sign-ins are throttled, locked out and audited.
mod brute_force;
/// Bounded topology reads and live streams that end on revocation (issue 12).
mod reads;
/// The same behaviour suite on SQLite and on PostgreSQL.
mod store_backends;
/// Sensor reports, deltas, protocol robustness and the topology graph.
mod topology;
