//! Fixtures shared by Vedette's integration tests, so that no test depends on
//! what an earlier test or an earlier run left behind, nor on the order tests
//! run in.
//!
//! - [`docker::CachedImage`]: a Docker image named by a hash of what it
//!   contains (`vedette-test-<purpose>:<hash12>`), built only when that exact
//!   tag is missing, under a file lock (nextest runs every test in its own
//!   process). [`docker::busybox`] is the one busybox-static image every crate
//!   runs its containers from.
//! - [`docker::Container`], [`docker::Network`], [`docker::TempImage`]: names
//!   unique to the test process and call, removed on drop (also when the test
//!   panics). Leftovers of test processes that were killed are removed by the
//!   next test that creates one of them.
//! - [`postgres::TestDatabase`] (feature `postgres`): an empty database on the
//!   test server, dropped on drop, with the same care for leftovers.
//! - [`python`]: the Python interpreter of the fixture venv that the
//!   prepare scripts install (`jsonschema` for the schema validators).
//!
//! Every name a test creates carries its owner (`<pid>-<start time>`, see
//! [`owner`]), so a leftover is removed only once its test process is gone.
//!
//! ```no_run
//! use vedette_testkit::docker::{Container, busybox, docker};
//!
//! let image = busybox();
//! let server = Container::new("server");
//! docker(&["run", "-d", "--name", server.name(), &image, "/bin/httpd", "-f", "-p", "8080"]);
//! // `docker rm -f` when `server` goes out of scope, passed or failed.
//! ```

#![deny(missing_docs)]

use std::path::PathBuf;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

pub mod docker;
#[cfg(feature = "postgres")]
pub mod postgres;

/// Prefix of every Docker object (image repository, container, network) a
/// test creates; `scripts/fresh-check.sh` removes what carries it.
pub const PREFIX: &str = "vedette-test-";

/// This test process as the owner of what it creates: `<pid>-<start time>`
/// (the start time, in clock ticks since boot, from `/proc/self/stat`, tells
/// a live owner from a later process that got the same pid).
pub fn owner() -> &'static str {
    static OWNER: OnceLock<String> = OnceLock::new();
    OWNER.get_or_init(|| {
        let pid = std::process::id();
        format!("{pid}-{}", start_time(pid).unwrap_or(0))
    })
}

/// `<owner>-<n>`, different at every call in this process.
pub fn unique_token() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{}-{}", owner(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A name unique to this test process and call:
/// `vedette-test-<pid>-<start time>-<n>-<what>`.
pub fn unique_name(what: &str) -> String {
    format!("{PREFIX}{}-{what}", unique_token())
}

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`).
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields
    // after it start at the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

/// The owner `(pid, start time)` a token such as `1234-5678-9…` begins with.
fn parse_owner(token: &str, separator: char) -> Option<(u32, u64)> {
    let mut fields = token.split(separator);
    let pid = fields.next()?.parse().ok()?;
    let start = fields.next()?.parse().ok()?;
    let _counter: u64 = fields.next()?.parse().ok()?;
    Some((pid, start))
}

/// Whether the owner encoded in `token` (after the prefix) is gone: no such
/// process, or another process that got its pid later. Tokens that name no
/// owner are never considered gone.
fn owner_gone(token: &str, separator: char) -> bool {
    match parse_owner(token, separator) {
        Some((pid, start)) => start_time(pid) != Some(start),
        None => false,
    }
}

/// Where the prepare scripts keep fixtures: `VEDETTE_TEST_CACHE`, else
/// `/var/cache/vedette`.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("VEDETTE_TEST_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/vedette"))
}

/// The Python interpreter of the fixture venv (`<cache>/venv`, made by
/// `crates/sbom/tests/prepare.sh`, with pinned `jsonschema`), never the
/// system's: what a test runs does not depend on what else is installed.
/// `VEDETTE_TEST_PYTHON` overrides it. Fails clearly when it is missing.
pub fn python() -> PathBuf {
    let python = std::env::var_os("VEDETTE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache_dir().join("venv/bin/python3"));
    assert!(
        python.exists(),
        "{} is missing: run crates/sbom/tests/prepare.sh (it makes the test venv)",
        python.display()
    );
    python
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_carry_a_live_owner() {
        let a = unique_name("x");
        let b = unique_name("x");
        assert_ne!(a, b);
        let token = a.strip_prefix(PREFIX).unwrap();
        let (pid, start) = parse_owner(token, '-').unwrap();
        assert_eq!(pid, std::process::id());
        assert!(start > 0);
        assert!(!owner_gone(token, '-'), "this process is alive");
    }

    #[test]
    fn an_owner_is_gone_when_its_pid_is_free_or_reused() {
        let pid = std::process::id();
        let start = start_time(pid).unwrap();
        // The same pid with another start time: a later process.
        assert!(owner_gone(&format!("{pid}-{}-0-x", start + 1), '-'));
        // A pid above the kernel's maximum never exists.
        assert!(owner_gone("4194305-1-0-x", '-'));
        assert!(owner_gone(&format!("{pid}_{}_3", start + 1), '_'));
        // Names of other origins are left alone.
        assert!(!owner_gone("busybox", '-'));
        assert!(!owner_gone("0123456789ab", '-'));
        assert!(!owner_gone("1-2", '-'));
    }

    #[test]
    fn the_start_time_survives_odd_command_names() {
        assert!(start_time(std::process::id()).is_some());
        assert_eq!(start_time(u32::MAX), None);
    }
}
