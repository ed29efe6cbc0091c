//! The sensor's integration tests (one binary).

// Test code fails by panicking; unwrap is the plainest way to say so.
#![allow(clippy::unwrap_used)]

/// Collectors on this real host: own process, sockets, host facts.
mod collectors;
/// A local HTTPS console implementing the sensor endpoints' contract.
mod console;
/// Containers, images, and their processes and sockets, against the real Docker Engine.
mod docker;
/// The reporter against the local console: snapshots, deltas, 409, backoff, stops.
mod reporter;
