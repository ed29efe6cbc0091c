//! `vedette sensor` as an operator runs it, against a real console process:
//! it registers, reports, shows up online with its host, keeps its identity
//! across a restart and (with a re-issued credential) a re-imaged host, stops cleanly on SIGTERM, and stops with a clear
//! message on a wrong key, a disabled sensor, or no way to trust the console.

use std::process::Command;
use std::time::{Duration, Instant};

use vedette_testkit::docker::{Container, busybox, docker};

use crate::process::{BIN, Console};
use crate::sensor_process::{SensorProcess, sensors};

async fn wait_online(console: &Console, token: &str, sensor: &SensorProcess) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = sensors(console, token).await;
        if let Some(online) = list
            .iter()
            .find(|s| s["status"] == "online" && s["visibility"] == "host")
        {
            return online.clone();
        }
        assert!(
            Instant::now() < deadline,
            "sensor never online: {list:?}\n{}",
            sensor.stderr()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn a_sensor_reports_keeps_its_identity_and_stops_when_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(&dir.path().join("data"), &[]);
    let token = console.admin_token().await;
    let key = console.api_key.clone().expect("API key in the banner");

    let mut sensor = SensorProcess::start(&console, &key, dir.path(), "first");
    let online = wait_online(&console, &token, &sensor).await;
    let hostname = String::from_utf8(Command::new("hostname").output().unwrap().stdout).unwrap();
    assert_eq!(online["hostname"], hostname.trim());
    let id = online["id"].as_str().unwrap().to_string();
    // The sensor's own process is on the map.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = console
            .client()
            .get(format!(
                "{}/api/v1/topology?level=processes&name=vedette",
                console.url
            ))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if view.contains(&format!("{}", sensor.child.id())) {
            // Its command line carries `--api-key`: the key itself never leaves the host.
            assert!(view.contains("--api-key"), "{view}");
            assert!(
                !view.contains(&key),
                "the API key reached the console: {view}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sensor process not in the topology: {view}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(sensor.terminate().success(), "{}", sensor.stderr());
    assert!(
        std::fs::read_to_string(dir.path().join("sensor-state.json"))
            .unwrap()
            .contains(&id)
    );

    // Restarted: the same sensor, not a second one.
    let mut sensor = SensorProcess::start(&console, &key, dir.path(), "second");
    let online = wait_online(&console, &token, &sensor).await;
    assert_eq!(online["id"], id.as_str());
    assert_eq!(
        sensors(&console, &token).await.len(),
        1,
        "no duplicate sensor"
    );

    // Its state file holds the id and the credential, owner-only.
    let state_file = dir.path().join("sensor-state.json");
    let saved = std::fs::read_to_string(&state_file).unwrap();
    assert!(saved.contains(&id) && saved.contains("vsc_"), "{saved}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&state_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }

    // Re-imaged host keeping its identity: an admin re-issues the credential. The running
    // sensor (old credential) is cut off and stops; the host, its state file gone, is
    // started with the id and the new credential and is the same sensor again.
    let issued: serde_json::Value = console
        .client()
        .post(format!("{}/api/v1/sensors/{id}/credential", console.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let credential = issued["credential"]
        .as_str()
        .expect("credential")
        .to_string();
    let status = sensor.wait(Duration::from_secs(30));
    assert!(!status.success());
    assert!(
        sensor.stderr().contains("did not prove"),
        "{}",
        sensor.stderr()
    );
    std::fs::remove_file(&state_file).unwrap();
    let mut sensor = SensorProcess::start_with(
        &console,
        &key,
        dir.path(),
        "reimaged",
        &[
            "--interval",
            "1s",
            "--visibility",
            "host",
            "--docker-socket",
            "/nonexistent/docker.sock",
            "--sensor-id",
            &id,
            "--sensor-credential",
            &credential,
        ],
    );
    // Accepted once the state file holds the new credential (saved after registration).
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(&state_file).is_ok_and(|saved| saved.contains(&credential)) {
        assert!(
            Instant::now() < deadline,
            "the re-issued credential was not accepted: {}",
            sensor.stderr()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let online = wait_online(&console, &token, &sensor).await;
    assert_eq!(online["id"], id.as_str());
    assert_eq!(sensors(&console, &token).await.len(), 1);

    // Disabled by an admin: the sensor stops and says why.
    let disabled = console
        .client()
        .patch(format!("{}/api/v1/sensors/{id}", console.url))
        .bearer_auth(&token)
        .json(&serde_json::json!({"disabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 204);
    let status = sensor.wait(Duration::from_secs(30));
    assert!(!status.success());
    assert!(
        sensor.stderr().contains("disabled by an admin"),
        "{}",
        sensor.stderr()
    );
}

#[tokio::test]
async fn a_wrong_api_key_stops_the_sensor_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(&dir.path().join("data"), &[]);
    let mut sensor = SensorProcess::start(&console, "vsk_not_the_key", dir.path(), "wrong");
    let status = sensor.wait(Duration::from_secs(30));
    assert!(!status.success());
    let stderr = sensor.stderr();
    assert!(
        stderr.contains("wrong or rotated") && stderr.contains("api-key show"),
        "{stderr}"
    );
}

#[test]
fn the_console_must_be_trusted_and_reached_over_https() {
    let run = |args: &[&str]| {
        let output = Command::new(BIN).arg("sensor").args(args).output().unwrap();
        assert!(!output.status.success());
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = run(&["--console-url", "https://127.0.0.1:1", "--api-key", "vsk_x"]);
    assert!(stderr.contains("TLS is always verified"), "{stderr}");
    let fingerprint = format!("SHA256:{}", "ab".repeat(32));
    let stderr = run(&[
        "--console-url",
        "http://127.0.0.1:1",
        "--api-key",
        "vsk_x",
        "--console-fingerprint",
        &fingerprint,
    ]);
    assert!(stderr.contains("must use https"), "{stderr}");
    let stderr = run(&[
        "--console-url",
        "https://127.0.0.1:1",
        "--api-key",
        "vsk_x",
        "--console-fingerprint",
        "SHA256:12",
    ]);
    assert!(stderr.contains("not a SHA-256 fingerprint"), "{stderr}");
}

#[tokio::test]
async fn a_privileged_sensor_container_sees_its_host_and_its_containers() {
    let image = busybox();
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(&dir.path().join("data"), &[]);
    let token = console.admin_token().await;
    let key = console.api_key.clone().expect("API key in the banner");
    // Removed when the test ends, passed or failed.
    let containers = [Container::new("cli-server"), Container::new("cli-sensor")];
    let [server, sensor_name] = containers.each_ref().map(|c| c.name().to_string());
    docker(&[
        "run",
        "-d",
        "--name",
        &server,
        &image,
        "/bin/httpd",
        "-f",
        "-p",
        "8080",
    ]);

    // The sensor container: the host's root at /host, its pid and network
    // namespaces, the Docker socket; the binary and its libraries mounted in.
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let volume = |from: &str, to: &str| format!("{from}:{to}:ro");
    docker(&[
        "run",
        "-d",
        "--name",
        &sensor_name,
        "--pid=host",
        "--net=host",
        // Reading other processes' fd, exe and namespaces; `--privileged` also
        // works where the runtime allows it (not on this machine).
        "--cap-add",
        "SYS_PTRACE",
        "-v",
        &volume("/", "/host"),
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        &volume(BIN, "/vedette"),
        "-v",
        &volume("/lib", "/lib"),
        "-v",
        &volume("/lib64", "/lib64"),
        "-v",
        &format!("{}:/state", state.display()),
        &image,
        "/vedette",
        "sensor",
        "--console-url",
        &console.url,
        "--api-key",
        &key,
        "--console-fingerprint",
        &console.fingerprint,
        "--host-root",
        "/host",
        "--interval",
        "1s",
        "--state-file",
        "/state/sensor.json",
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = sensors(&console, &token).await;
        // `--visibility auto` (the default) recognises the host's pid namespace.
        if list
            .iter()
            .any(|s| s["status"] == "online" && s["visibility"] == "host")
        {
            break;
        }
        let logs = Command::new("docker")
            .args(["logs", &sensor_name])
            .output()
            .unwrap();
        assert!(
            Instant::now() < deadline,
            "sensor container never online: {list:?}\n{}",
            String::from_utf8_lossy(&logs.stderr)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let view = console
            .client()
            .get(format!("{}/api/v1/topology?level=containers", console.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if view.contains(&server) && view.contains(&sensor_name) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "containers not in the topology: {view}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        std::fs::read_to_string(state.join("sensor.json"))
            .unwrap()
            .contains("sensor_id")
    );
}

#[tokio::test]
async fn a_sensor_without_host_access_reports_only_its_container_and_says_so() {
    let image = busybox();
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(&dir.path().join("data"), &[]);
    let token = console.admin_token().await;
    let key = console.api_key.clone().expect("API key in the banner");
    let containers = [Container::new("cli-other"), Container::new("cli-alone")];
    let [other, sensor_name] = containers.each_ref().map(|c| c.name().to_string());
    docker(&["run", "-d", "--name", &other, &image, "/bin/sleep", "600"]);
    // Fargate-style: its own pid namespace, no host root, no Docker socket
    // (the host network only so that it reaches the console on loopback).
    let volume = |from: &str, to: &str| format!("{from}:{to}:ro");
    docker(&[
        "run",
        "-d",
        "--name",
        &sensor_name,
        "--net=host",
        "-v",
        &volume(BIN, "/vedette"),
        "-v",
        &volume("/lib", "/lib"),
        "-v",
        &volume("/lib64", "/lib64"),
        &image,
        "/vedette",
        "sensor",
        "--console-url",
        &console.url,
        "--api-key",
        &key,
        "--console-fingerprint",
        &console.fingerprint,
        "--interval",
        "1s",
        "--state-file",
        "/tmp/sensor.json",
    ]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let list = sensors(&console, &token).await;
        if list
            .iter()
            .any(|s| s["status"] == "online" && s["visibility"] == "container_only")
        {
            break;
        }
        let logs = Command::new("docker")
            .args(["logs", &sensor_name])
            .output()
            .unwrap();
        assert!(
            Instant::now() < deadline,
            "sensor never online as container-only: {list:?}\n{}",
            String::from_utf8_lossy(&logs.stderr)
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let logs = Command::new("docker")
        .args(["logs", &sensor_name])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&logs.stderr).contains("pid namespace is not visible"),
        "the sensor says what it cannot see"
    );
    let view = console
        .client()
        .get(format!("{}/api/v1/topology?level=containers", console.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !view.contains(&other),
        "no other container is visible: {view}"
    );
}
