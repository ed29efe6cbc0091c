//! Schemathesis against a real console's own OpenAPI document: generated
//! valid and invalid requests to every `/api/v1` operation, as an admin with
//! an API token. No answer may be a 5xx, and every error must be an
//! `application/problem+json` document (`schemathesis_hooks.py`).
//!
//! Schemathesis (pinned) is installed in a venv by `tests/prepare.sh`;
//! `VEDETTE_SCHEMATHESIS_VENV` overrides where. `VEDETTE_SCHEMATHESIS_EXAMPLES`
//! raises the examples per operation (default 25, about a minute).

use std::path::PathBuf;
use std::process::Command;

use crate::process::Console;

/// Where `tests/prepare.sh` installs schemathesis.
fn schemathesis_bin() -> PathBuf {
    let venv = std::env::var("VEDETTE_SCHEMATHESIS_VENV")
        .unwrap_or_else(|_| "/var/cache/vedette/venv-schemathesis".into());
    let bin = PathBuf::from(venv).join("bin/schemathesis");
    assert!(
        bin.exists(),
        "{} is missing: run crates/vedette/tests/prepare.sh",
        bin.display()
    );
    bin
}

#[tokio::test(flavor = "multi_thread")]
async fn openapi_operations_answer_no_5xx_and_only_problem_documents() {
    let bin = schemathesis_bin();
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(&dir.path().join("data"), &[]);
    let token = console.admin_token().await;
    let examples = std::env::var("VEDETTE_SCHEMATHESIS_EXAMPLES").unwrap_or_else(|_| "25".into());
    let hooks = concat!(env!("CARGO_MANIFEST_DIR"), "/tests");
    let report = dir.path().join("report");
    let output = Command::new(&bin)
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", console.url))
        .args(["--url", &console.url.to_string()])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        // The console's certificate is self-signed; the client is on loopback.
        .args(["--tls-verify", "false"])
        .args(["--checks", "not_a_server_error,problem_documents"])
        .args(["--max-examples", &examples])
        .args(["--seed", "12"])
        .args(["--workers", "2"])
        .args(["--request-timeout", "20"])
        .args(["--phases", "examples,coverage,fuzzing"])
        // The server-sent event stream never ends: it is tested in tests/topology.rs.
        .args(["--exclude-path", "/api/v1/topology/stream"])
        .args(["--suppress-health-check", "all"])
        .args(["--no-color"])
        .arg("--report-dir")
        .arg(&report)
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PYTHONPATH", hooks)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "schemathesis found problems ({}):\n{stdout}\n{stderr}\n--- console stderr ---\n{}",
        output.status,
        console.stderr()
    );
    // A run that tested nothing proves nothing.
    assert!(
        stdout.contains("passed") && !stdout.contains("No operations"),
        "schemathesis tested nothing:\n{stdout}\n{stderr}"
    );
    println!("{stdout}");
}
