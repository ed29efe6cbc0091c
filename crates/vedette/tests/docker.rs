//! The real Docker Engine for process tests: the busybox-static test image
//! (built locally with `docker import`, nothing is pulled), containers
//! removed by a drop guard, and names unique per test run so that tests
//! using Docker can run side by side.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// The test image: busybox-static alone, `/bin/busybox` plus `sh`, `sleep`
/// and `httpd` links (other applets run as `/bin/busybox <applet>`).
pub const IMAGE: &str = "vedette-sensor-test:busybox";

/// Runs the docker CLI; panics with its error output when it fails.
pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    assert!(
        output.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Docker running (the sensor crate's `tests/prepare.sh` starts it) and the
/// busybox-static test image imported.
pub fn ensure_docker_and_image() {
    if !Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sensor/tests/prepare.sh");
        assert!(
            Command::new("bash")
                .arg(&script)
                .status()
                .unwrap()
                .success(),
            "{} could not start Docker",
            script.display()
        );
    }
    if Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return;
    }
    let rootfs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(rootfs.path().join("bin")).unwrap();
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("busybox-static (installed by crates/sensor/tests/prepare.sh)");
    std::fs::copy(busybox, rootfs.path().join("bin/busybox")).unwrap();
    for tool in ["sh", "sleep", "httpd"] {
        std::os::unix::fs::symlink("busybox", rootfs.path().join("bin").join(tool)).unwrap();
    }
    let tar = rootfs.path().with_extension("tar");
    assert!(
        Command::new("tar")
            .args([
                "-C",
                rootfs.path().to_str().unwrap(),
                "-cf",
                tar.to_str().unwrap(),
                "."
            ])
            .status()
            .unwrap()
            .success()
    );
    docker(&["import", tar.to_str().unwrap(), IMAGE]);
    let _ = std::fs::remove_file(tar);
}

/// A name prefix unique to this test process and call, e.g.
/// `vedette-e2e-4242-1-`, for container names and labels.
pub fn unique_prefix(what: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "vedette-{what}-{}-{}-",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A container's attribute through `docker inspect --format`.
pub fn inspect(container: &str, format: &str) -> String {
    docker(&["inspect", "--format", format, container])
}

/// Removes containers even when an assertion fails.
pub struct Containers(pub Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = Command::new("docker").args(["rm", "-f", name]).output();
        }
    }
}
