//! End-to-end tests of the `vedette` binary as a user runs it: real
//! processes, real HTTPS, real signals.

/// Starting and stopping console processes.
mod process;

/// Certificate pinning, CA trust, hot certificate replacement.
mod console_tls;
/// SIGKILL during writes, graceful SIGTERM, shell commands.
mod console_lifecycle;
