//! The reporter against the local HTTPS console: registration, snapshot
//! then deltas, 409 → snapshot, `Retry-After`, backoff while the console is
//! down, bounded state, and the fatal stops.

use std::path::Path;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use vedette_client::Trust;
use vedette_model::wire::Keyed;
use vedette_sensor::config::Tuning;
use vedette_sensor::{Sensor, SensorConfig, SensorError};

use crate::console::{Scripted, TestConsole};

const KEY: &str = "vsk_test_key";
const WAIT: Duration = Duration::from_secs(20);

fn config(console: &TestConsole, key: &str, state_file: &Path) -> SensorConfig {
    let mut config = SensorConfig::new(
        &console.url,
        key,
        Trust::Fingerprint(console.fingerprint.clone()),
    )
    .unwrap();
    config.interval = Duration::from_millis(300);
    config.state_file = state_file.to_path_buf();
    // No Docker for these tests: they are about the protocol.
    config.docker_socket = "/nonexistent/docker.sock".into();
    config.tuning = Tuning {
        backoff_base: Duration::from_millis(100),
        backoff_cap: Duration::from_millis(400),
        snapshot_after_outage: Duration::from_secs(3600),
    };
    config
}

/// A running sensor; dropping the stop sender ends it.
struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), SensorError>>,
}

fn start(config: SensorConfig) -> Running {
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(Sensor::new(config).run(async move {
        let _ = stopped.await;
    }));
    Running {
        stop: Some(stop),
        task,
    }
}

impl Running {
    async fn stop(mut self) -> Result<(), SensorError> {
        drop(self.stop.take());
        tokio::time::timeout(WAIT, &mut self.task)
            .await
            .expect("sensor stops")
            .unwrap()
    }
}

#[tokio::test]
async fn snapshot_then_deltas_with_processes_coming_and_going_and_the_id_kept_across_restarts() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("state.json");
    let sensor = start(config(&console, KEY, &state_file));
    console
        .wait_for("two reports", WAIT, |s| s.reports.len() >= 2)
        .await;
    let accepted = console.accepted();
    let snapshot = &accepted[0];
    assert!(snapshot.snapshot);
    assert!(
        snapshot
            .host
            .as_ref()
            .is_some_and(|h| !h.hostname.is_empty())
    );
    let me = std::process::id();
    assert!(
        snapshot.processes.upsert.iter().any(|p| p.pid == me),
        "the snapshot lists this test process"
    );
    assert!(!accepted[1].snapshot);
    assert_eq!(accepted[1].sequence, snapshot.sequence + 1);

    // A new process appears in a delta, then its removal.
    let mut child = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let pid = child.id();
    console
        .wait_for("the child in a delta", WAIT, |s| {
            s.reports.iter().any(|r| {
                !r.report.snapshot
                    && r.report
                        .processes
                        .upsert
                        .iter()
                        .any(|p| p.pid == pid && p.name == "sleep")
            })
        })
        .await;
    let key = console
        .accepted()
        .iter()
        .flat_map(|r| r.processes.upsert.clone())
        .find(|p| p.pid == pid)
        .unwrap()
        .key();
    child.kill().unwrap();
    child.wait().unwrap();
    console
        .wait_for("the child's removal", WAIT, |s| {
            s.reports
                .iter()
                .any(|r| r.report.processes.remove.contains(&key))
        })
        .await;
    // Sequences of accepted deltas are consecutive.
    let accepted = console.accepted();
    for pair in accepted.windows(2) {
        assert!(pair[1].snapshot || pair[1].sequence == pair[0].sequence + 1);
    }
    // A steady delta does not repeat every process.
    assert!(
        accepted
            .iter()
            .skip(1)
            .any(|r| r.processes.upsert.len() < snapshot.processes.upsert.len() / 2),
        "deltas are smaller than the snapshot"
    );
    {
        let state = console.state();
        let snapshot_bytes = state.reports[0].compressed_bytes;
        let smallest_delta = state
            .reports
            .iter()
            .skip(1)
            .map(|r| r.compressed_bytes)
            .min()
            .unwrap();
        assert!(
            smallest_delta * 2 < snapshot_bytes,
            "{smallest_delta} vs {snapshot_bytes}"
        );
    }
    sensor.stop().await.unwrap();

    // The identity survives a restart: id and credential, in an owner-only file.
    let saved = std::fs::read_to_string(&state_file).unwrap();
    let first_id = snapshot.sensor_id.clone();
    assert!(saved.contains(&first_id), "{saved}");
    let credential = console.state().known_sensors[&first_id].clone();
    assert!(saved.contains(&credential), "{saved}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let reports_before = console.state().reports.len();
    let sensor = start(config(&console, KEY, &state_file));
    console
        .wait_for("a report after restart", WAIT, |s| {
            s.reports.len() > reports_before
        })
        .await;
    sensor.stop().await.unwrap();
    let state = console.state();
    assert_eq!(state.registrations, vec![None, Some(first_id.clone())]);
    assert_eq!(state.credentials_sent, vec![None, Some(credential)]);
    let after = &state.reports[reports_before].report;
    assert_eq!(after.sensor_id, first_id);
    assert!(after.snapshot, "a restarted sensor starts with a snapshot");
}

#[tokio::test]
async fn a_409_is_answered_with_a_snapshot() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let sensor = start(config(&console, KEY, &dir.path().join("s.json")));
    console
        .wait_for("two reports", WAIT, |s| s.reports.len() >= 2)
        .await;
    console.state().script.push_back(Scripted::NeedSnapshot);
    let refused_at = console.state().reports.len();
    console
        .wait_for("the report after the 409", WAIT, |s| {
            s.reports.len() >= refused_at + 2
        })
        .await;
    sensor.stop().await.unwrap();
    let state = console.state();
    assert_eq!(state.reports[refused_at].status, 409);
    let next = &state.reports[refused_at + 1];
    assert!(next.report.snapshot, "the report after a 409 is a snapshot");
    assert_eq!(next.status, 202);
    assert!(next.report.host.is_some());
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let sensor = start(config(&console, KEY, &dir.path().join("s.json")));
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    console.state().script.push_back(Scripted::SlowDown(2));
    let slowed_at = console.state().reports.len();
    console
        .wait_for("the report after the 429", WAIT, |s| {
            s.reports.len() >= slowed_at + 2
        })
        .await;
    sensor.stop().await.unwrap();
    let state = console.state();
    assert_eq!(state.reports[slowed_at].status, 429);
    let gap = state.reports[slowed_at + 1].at - state.reports[slowed_at].at;
    // The interval is 300 ms; the console asked for 2 s.
    assert!(gap >= Duration::from_millis(1900), "waited only {gap:?}");
    // Nothing was lost: the next delta continues the sequence.
    let next = &state.reports[slowed_at + 1];
    assert_eq!(next.status, 202);
}

#[tokio::test]
async fn backs_off_while_the_console_is_down_and_resumes_alone() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let sensor = start(config(&console, KEY, &dir.path().join("s.json")));
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    let last_before = console.accepted().last().unwrap().sequence;
    console.set_down(true);
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let attempts = console.attempts_since(down_at);
    // Backoff from 100 ms capped at 400 ms (jittered down to half): between
    // 3 s / 400 ms and 3 s / 50 ms attempts, fewer than a tight loop makes.
    assert!(
        (4..=40).contains(&attempts.len()),
        "{} attempts in 3 s",
        attempts.len()
    );
    // Later gaps reach the cap's range.
    let gaps: Vec<Duration> = attempts.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter()
            .rev()
            .take(3)
            .all(|g| *g >= Duration::from_millis(150)),
        "{gaps:?}"
    );
    console.set_down(false);
    let reports_before = console.state().reports.len();
    console
        .wait_for("a report after the outage", WAIT, |s| {
            s.reports[reports_before..].iter().any(|r| r.status == 202)
        })
        .await;
    sensor.stop().await.unwrap();
    // One delta covers the whole outage: the sequence continues.
    let resumed = console
        .accepted()
        .into_iter()
        .find(|r| r.sequence > last_before)
        .unwrap();
    assert_eq!(resumed.sequence, last_before + 1);
    assert!(!resumed.snapshot);
}

#[tokio::test]
async fn after_an_outage_the_console_hears_again_within_one_interval() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&console, KEY, &dir.path().join("s.json"));
    // A backoff that alone would wait up to a minute between attempts.
    config.interval = Duration::from_millis(500);
    config.tuning.backoff_cap = Duration::from_secs(60);
    let sensor = start(config);
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    console.set_down(true);
    // Long enough for an uncapped backoff from 100 ms to pass 3 s.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let reports_before = console.state().reports.len();
    console.set_down(false);
    let up_at = Instant::now();
    console
        .wait_for("a report after the outage", WAIT, |s| {
            s.reports[reports_before..].iter().any(|r| r.status == 202)
        })
        .await;
    let back_in = up_at.elapsed();
    sensor.stop().await.unwrap();
    // Retries while down are never further apart than the interval.
    assert!(
        back_in < Duration::from_millis(500 + 400),
        "first report {back_in:?} after the console came back"
    );
}

#[tokio::test]
async fn a_long_outage_collapses_into_a_snapshot() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&console, KEY, &dir.path().join("s.json"));
    config.tuning.snapshot_after_outage = Duration::from_millis(500);
    let sensor = start(config);
    console
        .wait_for("two reports", WAIT, |s| s.reports.len() >= 2)
        .await;
    console.set_down(true);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let reports_before = console.state().reports.len();
    console.set_down(false);
    console
        .wait_for("a report after the outage", WAIT, |s| {
            s.reports.len() > reports_before
        })
        .await;
    sensor.stop().await.unwrap();
    let state = console.state();
    assert!(state.reports[reports_before].report.snapshot);
    assert_eq!(state.reports[reports_before].status, 202);
}

#[tokio::test]
async fn a_rotated_key_stops_the_sensor_with_a_clear_message() {
    let console = TestConsole::start("vsk_current").await;
    let dir = tempfile::tempdir().unwrap();
    let result = tokio::time::timeout(
        WAIT,
        Sensor::new(config(&console, "vsk_old", &dir.path().join("s.json")))
            .run(std::future::pending()),
    )
    .await
    .expect("the sensor stops by itself");
    let err = result.expect_err("a wrong key is fatal");
    assert!(matches!(err, SensorError::ApiKeyRejected { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("rotated") && message.contains("api-key show"),
        "{message}"
    );

    // Rotation while running: the token is revoked, re-registration fails, the sensor stops.
    let dir = tempfile::tempdir().unwrap();
    let sensor = start(config(&console, "vsk_current", &dir.path().join("s.json")));
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    {
        let mut state = console.state();
        state.api_key = "vsk_rotated".into();
        state.tokens.clear();
    }
    let result = tokio::time::timeout(WAIT, sensor.task)
        .await
        .expect("stops")
        .unwrap();
    assert!(
        matches!(result, Err(SensorError::ApiKeyRejected { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_identity_survives_an_api_key_rotation() {
    let console = TestConsole::start("vsk_before").await;
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("s.json");
    let sensor = start(config(&console, "vsk_before", &state_file));
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    sensor.stop().await.unwrap();
    let id = console.state().reports[0].report.sensor_id.clone();
    {
        let mut state = console.state();
        state.api_key = "vsk_after".into();
        state.tokens.clear();
    }
    let before = console.state().reports.len();
    let sensor = start(config(&console, "vsk_after", &state_file));
    console
        .wait_for("a report with the new key", WAIT, |s| {
            s.reports.len() > before
        })
        .await;
    sensor.stop().await.unwrap();
    let state = console.state();
    assert_eq!(state.reports[before].report.sensor_id, id);
    assert_eq!(state.known_sensors.len(), 1, "no second sensor");
}

#[tokio::test]
async fn a_reissued_credential_takes_over_the_old_identity_and_is_saved() {
    let console = TestConsole::start(KEY).await;
    let old_id = uuid::Uuid::now_v7().to_string();
    console
        .state()
        .known_sensors
        .insert(old_id.clone(), "vsc_reissued".into());
    // A re-imaged host: no state file, the id and credential given by the admin.
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("s.json");
    let mut with_identity = config(&console, KEY, &state_file);
    with_identity.identity =
        Some(vedette_sensor::config::Identity::new(&old_id, "vsc_reissued").unwrap());
    let sensor = start(with_identity);
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    sensor.stop().await.unwrap();
    assert_eq!(console.state().reports[0].report.sensor_id, old_id);
    let saved = vedette_sensor::state_file::load(&state_file).unwrap();
    assert_eq!(saved.sensor_id.as_deref(), Some(old_id.as_str()));
    assert_eq!(saved.credential.as_deref(), Some("vsc_reissued"));

    // Later starts need no flag.
    let before = console.state().reports.len();
    let sensor = start(config(&console, KEY, &state_file));
    console
        .wait_for("a report after restart", WAIT, |s| s.reports.len() > before)
        .await;
    sensor.stop().await.unwrap();
    assert_eq!(console.state().reports[before].report.sensor_id, old_id);
}

#[tokio::test]
async fn a_refused_claim_stops_the_sensor_and_an_old_state_file_joins_as_new() {
    let console = TestConsole::start(KEY).await;
    let id = uuid::Uuid::now_v7().to_string();
    console
        .state()
        .known_sensors
        .insert(id.clone(), "vsc_right".into());
    let dir = tempfile::tempdir().unwrap();
    let state_file = dir.path().join("s.json");
    std::fs::write(
        &state_file,
        format!(r#"{{"sensor_id":"{id}","credential":"vsc_wrong"}}"#),
    )
    .unwrap();
    let result = tokio::time::timeout(
        WAIT,
        Sensor::new(config(&console, KEY, &state_file)).run(std::future::pending()),
    )
    .await
    .expect("the sensor stops by itself");
    let err = result.expect_err("a refused claim is fatal");
    assert!(matches!(err, SensorError::Refused { .. }), "{err:?}");
    assert!(
        std::fs::read_to_string(&state_file)
            .unwrap()
            .contains("vsc_wrong"),
        "the state file is left for the operator"
    );

    // A state file written before credentials: the sensor registers as a new sensor.
    std::fs::write(&state_file, format!(r#"{{"sensor_id":"{id}"}}"#)).unwrap();
    let sensor = start(config(&console, KEY, &state_file));
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    sensor.stop().await.unwrap();
    let state = console.state();
    assert_eq!(state.registrations.last(), Some(&None));
    assert_ne!(state.reports[0].report.sensor_id, id);
}

#[tokio::test]
async fn a_disabled_sensor_stops_with_a_clear_message() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let sensor = start(config(&console, KEY, &dir.path().join("s.json")));
    console
        .wait_for("a report", WAIT, |s| !s.reports.is_empty())
        .await;
    {
        let mut state = console.state();
        let id = state.reports[0].report.sensor_id.clone();
        state.disabled.insert(id);
        state.tokens.clear();
    }
    let result = tokio::time::timeout(WAIT, sensor.task)
        .await
        .expect("stops")
        .unwrap();
    let err = result.expect_err("a disabled sensor stops");
    assert!(matches!(err, SensorError::Refused { .. }), "{err:?}");
    assert!(err.to_string().contains("disabled by an admin"), "{err}");
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let console = TestConsole::start(KEY).await;
    console.state().token_ttl = Duration::from_secs(2);
    let dir = tempfile::tempdir().unwrap();
    let sensor = start(config(&console, KEY, &dir.path().join("s.json")));
    console
        .wait_for("two renewals", WAIT, |s| s.renewals >= 2)
        .await;
    sensor.stop().await.unwrap();
    let state = console.state();
    assert_eq!(state.registrations.len(), 1, "renewed, not re-registered");
    assert!(state.reports.iter().all(|r| r.status == 202));
}

#[tokio::test]
async fn a_wrong_fingerprint_never_sends_anything() {
    let console = TestConsole::start(KEY).await;
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(&console, KEY, &dir.path().join("s.json"));
    config.trust = Trust::Fingerprint(format!("SHA256:{}", "00".repeat(32)));
    let sensor = start(config);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        !console
            .attempts_since(Instant::now() - Duration::from_secs(2))
            .is_empty()
    );
    sensor.stop().await.unwrap();
    let state = console.state();
    assert!(state.registrations.is_empty() && state.reports.is_empty());
}
