//! `vedette dev simulate-sensors` against a real console process: 20 virtual
//! sensors report for a while, then the simulator's own check (as an admin)
//! finds every sensor online and every host, container, process and image
//! it sent in the console's topology.

use std::process::Command;

use crate::process::{BIN, Console};

#[tokio::test(flavor = "multi_thread")]
async fn simulated_fleet_is_ingested_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(&dir.path().join("data"), &[]);
    let token = console.admin_token().await;
    let key = console.api_key.clone().expect("API key in the banner");
    let output = tokio::task::spawn_blocking({
        let (url, fingerprint, token) = (
            console.url.clone(),
            console.fingerprint.clone(),
            token.clone(),
        );
        move || {
            Command::new(BIN)
                .args(["dev", "simulate-sensors", "--count", "20"])
                .args(["--console-url", &url, "--api-key", &key])
                .args(["--console-fingerprint", &fingerprint])
                .args(["--interval", "2s", "--duration", "30s", "--seed", "7"])
                .args(["--admin-token", &token, "--json"])
                .output()
                .expect("run the simulator")
        }
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "simulator failed: {stdout}\n{stderr}\nconsole: {}",
        console.stderr()
    );
    let outcome: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let summary = &outcome["summary"];
    assert_eq!(summary["registered"], 20, "{outcome}");
    // Every sensor sent a snapshot and deltas every 2 s for 30 s.
    assert!(
        summary["accepted"].as_u64().unwrap() >= 20 * 12,
        "{outcome}"
    );
    assert_eq!(summary["snapshots"], 20, "one snapshot each: {outcome}");
    assert_eq!(summary["need_snapshot"], 0, "{outcome}");
    assert!(summary["latency_ms_p99"].as_f64().unwrap() > 0.0);
    let verification = &outcome["verification"];
    assert_eq!(verification["ok"], true, "{outcome}");
    assert_eq!(verification["sensors_online"], 20);
    let levels = verification["levels"].as_array().unwrap();
    let expected = |level: &str| {
        levels.iter().find(|l| l["level"] == level).unwrap()["expected"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(expected("hosts"), 20);
    assert_eq!(expected("containers"), 20 * 20);
    assert!(
        (20 * 85..=20 * 125).contains(&expected("processes")),
        "{outcome}"
    );
    assert!(expected("images") >= 5);

    // The check is not vacuous: cross-sensor edges between simulated hosts resolve.
    let graph: serde_json::Value = console
        .client()
        .get(format!("{}/api/v1/topology?level=hosts", console.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let host_to_host = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["from"].as_str().unwrap().starts_with("host:")
                && e["to"].as_str().unwrap().starts_with("host:")
        })
        .count();
    assert!(host_to_host >= 20, "{}", graph["edges"]);
}
