//! The console's life: killed in the middle of writes, stopped gracefully,
//! and managed from the shell.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::Signal;

use crate::process::{BIN, Console, PASSWORD};

#[tokio::test]
async fn sigkill_during_writes_leaves_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let console = Console::start(&data, &[]);
    let token = console.admin_token().await;
    let client = console.client();
    // Eight writers create tokens and invites as fast as they can.
    let mut writers = tokio::task::JoinSet::new();
    for w in 0..8 {
        let (client, url, token) = (client.clone(), console.url.clone(), token.clone());
        writers.spawn(async move {
            let mut done = 0u32;
            for i in 0.. {
                let (path, body) = if i % 2 == 0 {
                    ("tokens", serde_json::json!({"name": format!("w{w}-{i}")}))
                } else {
                    ("invites", serde_json::json!({"role": "standard"}))
                };
                let sent = client
                    .post(format!("{url}/api/v1/{path}"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => done += 1,
                    _ => break,
                }
            }
            done
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    console.signal(Signal::SIGKILL);
    let mut acknowledged = 0;
    while let Some(done) = writers.join_next().await {
        acknowledged += done.unwrap();
    }
    assert!(
        acknowledged > 20,
        "the writers should have written before the kill ({acknowledged})"
    );
    drop(console);

    // The store opens, passes SQLite's integrity check, and every write the
    // console acknowledged is there.
    let store =
        vedette_console::store::Store::open(&vedette_console::store::Store::sqlite_url(&data))
            .await
            .unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let invites: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM one_time_tokens")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(
        tokens + invites >= i64::from(acknowledged),
        "acknowledged {acknowledged}, found {tokens} tokens + {invites} invites"
    );
    store.close().await;

    // And the console starts again on it and serves the same data.
    let console = Console::start(&data, &[]);
    assert!(console.setup_code.is_none(), "no setup after restart");
    let me = console
        .client()
        .get(format!("{}/api/v1/tokens", console.url))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    let listed: serde_json::Value = me.json().await.unwrap();
    assert_eq!(listed["total"].as_i64(), Some(tokens));
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let dir = tempfile::tempdir().unwrap();
    let mut console = Console::start(&dir.path().join("data"), &["--shutdown-grace", "10s"]);
    let token = console.admin_token().await;
    // A request whose body arrives slowly: the signal lands while it is in flight.
    let chunks = futures_util::stream::unfold(0, |step| async move {
        let chunk: &'static str = match step {
            0 => "{\"name\": ",
            1 => {
                tokio::time::sleep(Duration::from_millis(1200)).await;
                "\"in-flight\"}"
            }
            _ => return None,
        };
        Some((Ok::<_, std::io::Error>(chunk), step + 1))
    });
    let request = console
        .client()
        .post(format!("{}/api/v1/tokens", console.url))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send();
    let in_flight = tokio::spawn(request);
    tokio::time::sleep(Duration::from_millis(400)).await;
    console.signal(Signal::SIGTERM);
    let response = in_flight
        .await
        .unwrap()
        .expect("the in-flight request completes");
    assert_eq!(response.status(), 201);
    let status = console.wait(Duration::from_secs(15));
    assert!(
        status.success(),
        "exit status {status}: {}",
        console.stderr()
    );
    // The token it created is in the store after the shutdown.
    let store = vedette_console::store::Store::open(&vedette_console::store::Store::sqlite_url(
        &dir.path().join("data"),
    ))
    .await
    .unwrap();
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM api_tokens")
        .fetch_all(store.pool())
        .await
        .unwrap();
    assert!(names.contains(&"in-flight".to_string()), "{names:?}");
}

#[tokio::test]
async fn sigterm_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let mut console = Console::start(&dir.path().join("data"), &["--shutdown-grace", "5s"]);
    assert_eq!(
        console
            .client()
            .get(format!("{}/readyz", console.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    console.signal(Signal::SIGTERM);
    let status = console.wait(Duration::from_secs(15));
    assert!(
        status.success(),
        "exit status {status}: {}",
        console.stderr()
    );
    assert!(console.stderr().contains("console stopped"));
}

fn vedette(args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn vedette");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("vedette output")
}

#[tokio::test]
async fn admin_and_api_key_from_the_shell() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_arg = data.to_str().unwrap();
    let weak = vedette(
        &[
            "console",
            "admin",
            "create",
            "--username",
            "root",
            "--password-stdin",
            "--data-dir",
            data_arg,
        ],
        Some("short\n"),
    );
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12"));
    let created = vedette(
        &[
            "console",
            "admin",
            "create",
            "--username",
            "root",
            "--password-stdin",
            "--data-dir",
            data_arg,
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );

    let shown = vedette(
        &["console", "api-key", "show", "--data-dir", data_arg],
        None,
    );
    assert!(shown.status.success());
    let key = String::from_utf8_lossy(&shown.stdout).trim().to_string();
    assert!(key.starts_with("vsk_"));

    let console = Console::start(&data, &[]);
    assert!(
        console.setup_code.is_none(),
        "an admin exists: no setup code"
    );
    assert_eq!(console.api_key.as_deref(), Some(key.as_str()));
    let client = console.client();
    let login = client
        .post(format!("{}/api/v1/auth/login", console.url))
        .json(&serde_json::json!({"username": "root", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let set_cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(
            set_cookie.contains(attribute),
            "cookie lacks {attribute}: {set_cookie}"
        );
    }

    let register = |key: String| {
        let (client, url) = (client.clone(), console.url.clone());
        async move {
            client
                .post(format!("{url}/api/v1/sensor/register"))
                .json(&serde_json::json!({"api_key": key, "hostname": "h", "version": "0.1.0"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(register(key.clone()).await, 200);
    let rotated = vedette(
        &["console", "api-key", "rotate", "--data-dir", data_arg],
        None,
    );
    assert!(rotated.status.success());
    let new_key = String::from_utf8_lossy(&rotated.stdout).trim().to_string();
    assert_ne!(new_key, key);
    assert_eq!(
        register(key).await,
        401,
        "the old key stops working at once"
    );
    assert_eq!(register(new_key).await, 200);
}

#[tokio::test]
async fn a_closed_standard_output_does_not_stop_the_console() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args([
            "console",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "off",
        ])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["--log-format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads the banner: the pipe is closed before the console writes it.
    drop(child.stdout.take());
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let addr = std::io::BufRead::lines(stderr)
        .map_while(Result::ok)
        .find_map(|line| {
            let log: serde_json::Value = serde_json::from_str(&line).ok()?;
            (log["fields"]["message"] == "console listening")
                .then(|| log["fields"]["addr"].as_str().map(str::to_string))
                .flatten()
        })
        .expect("the console logs its address");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the console exited after failing to print its banner"
    );
    // Still serving (TLS not checked here: only that the process answers).
    let probe = std::net::TcpStream::connect(&addr);
    let _ = child.kill();
    let _ = child.wait();
    probe.expect("the console still accepts connections");
}

#[tokio::test]
async fn the_banner_shows_the_api_key_only_to_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Standard output is a pipe here, as under a supervisor or journald.
    let console = Console::start(&data, &[]);
    let key = console
        .api_key
        .clone()
        .expect("api-key show prints the key");
    assert!(
        !console.banner.contains(&key),
        "the key is in the banner: {}",
        console.banner
    );
    assert!(
        !console.stderr().contains(&key),
        "the key is in the log: {}",
        console.stderr()
    );
    let fingerprint = vedette_console::server::api_key_fingerprint(&key);
    assert!(
        console.banner.contains(&fingerprint),
        "the banner names the key's fingerprint: {}",
        console.banner
    );
    assert!(console.banner.contains("vedette console api-key show"));
    assert!(
        console.stderr().contains(&fingerprint),
        "the log names the key's fingerprint"
    );
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn data_files_are_owner_only_whatever_existed_before() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // A data dir made beforehand, open to everyone (as `mkdir` with umask 022 makes it).
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let files = [
        data.join("vedette.db"),
        data.join("sensor-api-key"),
        data.join("tls").join("key.pem"),
    ];
    {
        let mut console = Console::start(&data, &[]);
        assert_eq!(mode(&data), 0o700, "the data dir");
        for file in &files {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
        for journal in ["vedette.db-wal", "vedette.db-shm"] {
            let path = data.join(journal);
            if path.exists() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
        console.signal(Signal::SIGTERM);
        console.wait(Duration::from_secs(15));
    }
    // Someone widens everything; the next start narrows it again and says so.
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    for file in &files {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let console = Console::start(&data, &[]);
    assert_eq!(mode(&data), 0o700, "the data dir");
    for file in &files {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
    let log = console.stderr();
    for file in &files {
        assert!(
            log.contains(&file.display().to_string()) && log.contains("narrowed"),
            "a warning names {}: {log}",
            file.display()
        );
    }
}
