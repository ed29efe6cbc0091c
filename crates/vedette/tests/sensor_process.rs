//! A `vedette sensor` process under test, and the console's sensors API.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::process::{BIN, Console};

/// A running `vedette sensor`, its standard error in a file.
pub struct SensorProcess {
    pub child: Child,
    pub stderr_path: PathBuf,
}

impl SensorProcess {
    /// A sensor reporting every second, host visibility, no Docker; state in `dir`.
    pub fn start(console: &Console, api_key: &str, dir: &Path, name: &str) -> SensorProcess {
        SensorProcess::start_with(
            console,
            api_key,
            dir,
            name,
            &[
                "--interval",
                "1s",
                "--visibility",
                "host",
                "--docker-socket",
                "/nonexistent/docker.sock",
            ],
        )
    }

    /// A sensor with its state file in `dir` and `args` added (interval,
    /// visibility, Docker socket…).
    pub fn start_with(
        console: &Console,
        api_key: &str,
        dir: &Path,
        name: &str,
        args: &[&str],
    ) -> SensorProcess {
        let stderr_path = dir.join(format!("{name}.stderr.log"));
        let child = Command::new(BIN)
            .args([
                "sensor",
                "--console-url",
                &console.url,
                "--api-key",
                api_key,
                "--console-fingerprint",
                &console.fingerprint,
            ])
            .args(args)
            .arg("--state-file")
            .arg(dir.join("sensor-state.json"))
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .expect("spawn vedette sensor");
        SensorProcess { child, stderr_path }
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn wait(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "sensor did not exit: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, then waits for the exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .unwrap();
        self.wait(Duration::from_secs(20))
    }
}

impl Drop for SensorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /api/v1/sensors` items.
pub async fn sensors(console: &Console, token: &str) -> Vec<serde_json::Value> {
    let page: serde_json::Value = console
        .client()
        .get(format!("{}/api/v1/sensors", console.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["items"].as_array().cloned().unwrap_or_default()
}
