//! End-to-end tests of the `vedette` binary as a user runs it: real
//! processes, real HTTPS, real signals. Docker images, containers and
//! other fixtures come from `vedette-testkit`.

// Test code fails by panicking; unwrap is the plainest way to say so.
#![allow(clippy::unwrap_used)]

/// Starting and stopping console processes.
mod process;
/// Starting sensor processes; the sensors API.
mod sensor_process;

/// SIGKILL during writes, graceful SIGTERM, shell commands.
mod console_lifecycle;
/// Certificate pinning, CA trust, hot certificate replacement.
mod console_tls;
/// `vedette db`: keys, build from real feeds, status, import, HTTPS update.
mod db;
/// `vedette scan …` and `vedette sbom`: vulnerabilities, formats, policies, secrets, malware.
mod scan;
/// Schemathesis against the console's OpenAPI document: no 5xx, every error a problem document.
mod schemathesis;
/// `vedette sensor` against a real console: reports, identity, SIGTERM, fatal stops.
mod sensor;
/// `vedette dev simulate-sensors` against a real console: nothing lost.
mod simulate;
/// Sensor, console and real containers together: the live topology end to end, console restarts.
mod topology_e2e;
