//! A console process under test, read from its banner (URL, fingerprint,
//! setup code) and its data dir (the sensor API key, which the banner only
//! prints to a terminal).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use vedette_client::Trust;

pub const BIN: &str = env!("CARGO_BIN_EXE_vedette");
pub const PASSWORD: &str = "Amber-Falcon-Lantern-42";

/// A running console.
pub struct Console {
    pub child: Child,
    pub url: String,
    pub fingerprint: String,
    pub setup_code: Option<String>,
    /// The sensor API key, from `vedette console api-key show`.
    pub api_key: Option<String>,
    /// The banner as printed on standard output.
    pub banner: String,
    pub stderr_path: PathBuf,
}

impl Console {
    /// Starts `vedette console` on a free loopback port with `data_dir`.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Console {
        Console::start_on(data_dir, "127.0.0.1:0", extra)
    }

    /// Starts `vedette console` listening on `listen` with `data_dir`.
    pub fn start_on(data_dir: &Path, listen: &str, extra: &[&str]) -> Console {
        let stderr_path = data_dir.with_extension("stderr.log");
        let stderr = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&stderr_path)
            .expect("stderr log");
        let mut child = Command::new(BIN)
            .args([
                "console",
                "--listen",
                listen,
                "--metrics-listen",
                "off",
                "--data-dir",
            ])
            .arg(data_dir)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn vedette console");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            // Keep reading after the banner so the console never writes to a closed pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let field =
            |line: &str, name: &str| line.trim().strip_prefix(name).map(|v| v.trim().to_string());
        let (mut url, mut fingerprint, mut setup_code) = (None, None, None);
        let mut banner = String::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    url = url.or(field(&line, "Console URL:"));
                    fingerprint = fingerprint.or(field(&line, "TLS fingerprint:"));
                    setup_code = setup_code.or(field(&line, "Setup code:"));
                    banner.push_str(&line);
                    banner.push('\n');
                    if line.contains("Start a sensor") {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "console exited with {status}: {}",
                            std::fs::read_to_string(&stderr_path).unwrap_or_default()
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        let url = url.unwrap_or_else(|| {
            panic!(
                "no banner: {}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            )
        });
        Console {
            child,
            url,
            fingerprint: fingerprint.expect("fingerprint line"),
            setup_code,
            api_key: api_key_show(data_dir),
            banner,
            stderr_path,
        }
    }

    /// A client pinning the printed fingerprint.
    pub fn client(&self) -> reqwest::Client {
        vedette_client::client(&Trust::Fingerprint(self.fingerprint.clone())).expect("client")
    }

    /// Creates the first admin with the setup code; returns a bearer token.
    pub async fn admin_token(&self) -> String {
        let client = self.client();
        let response = client
            .post(format!("{}/api/v1/setup", self.url))
            .json(&serde_json::json!({"setup_code": self.setup_code.as_deref().expect("setup code"), "username": "admin", "password": PASSWORD}))
            .send()
            .await
            .expect("setup request");
        assert_eq!(response.status(), 201);
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("vedette_session="))
            .and_then(|v| v.split(';').next())
            .expect("cookie")
            .to_string();
        let body: serde_json::Value = response.json().await.expect("json");
        let token: serde_json::Value = client
            .post(format!("{}/api/v1/tokens", self.url))
            .header("cookie", format!("vedette_session={cookie}"))
            .header("x-csrf-token", body["csrf_token"].as_str().expect("csrf"))
            .json(&serde_json::json!({"name": "test"}))
            .send()
            .await
            .expect("token request")
            .json()
            .await
            .expect("json");
        token["token"].as_str().expect("token").to_string()
    }

    /// Sends a signal.
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), signal)
            .expect("kill");
    }

    /// Waits for the process to exit (at most `timeout`).
    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "console did not exit in {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        // A failing test shows what the console said (and whether it had already exited).
        if std::thread::panicking() {
            let status = self.child.try_wait().ok().flatten();
            eprintln!(
                "--- console (exited: {status:?}) stderr ---\n{}",
                self.stderr()
            );
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sensor API key of the console in `data_dir`, as `vedette console
/// api-key show` prints it (None if the data dir does not hold it).
pub fn api_key_show(data_dir: &Path) -> Option<String> {
    let output = Command::new(BIN)
        .args(["console", "api-key", "show", "--data-dir"])
        .arg(data_dir)
        .stdin(Stdio::null())
        .output()
        .expect("run vedette console api-key show");
    let key = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && key.starts_with("vsk_")).then_some(key)
}
