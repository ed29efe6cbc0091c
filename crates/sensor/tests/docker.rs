//! Containers and images against the real Docker Engine: a test image
//! imported from a busybox-static root filesystem, a container running an
//! HTTP server in its own network namespace, seen by every collector, then
//! removed and gone.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use vedette_sensor::collect::connections::ConnectionCollector;
use vedette_sensor::collect::docker::DockerCollector;
use vedette_sensor::collect::processes::ProcessCollector;
use vedette_sensor::root::HostRoot;

const IMAGE: &str = "vedette-sensor-test:busybox";
const SOCKET: &str = "/var/run/docker.sock";

fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .output()
        .expect("docker CLI");
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Docker is running (started by `tests/prepare.sh` when needed) and the
/// test image exists. Fails loudly when Docker cannot be started.
fn ensure_docker_and_image() {
    let running = Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    if !running {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/prepare.sh");
        let status = Command::new("bash").arg(&script).status().expect("bash");
        assert!(
            status.success(),
            "{} could not start Docker",
            script.display()
        );
    }
    let present = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return;
    }
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("busybox-static must be installed (tests/prepare.sh installs it)");
    let rootfs = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(rootfs.path().join("bin")).unwrap();
    std::fs::copy(busybox, rootfs.path().join("bin/busybox")).unwrap();
    for tool in ["sh", "sleep", "httpd", "nc", "wget"] {
        std::os::unix::fs::symlink("busybox", rootfs.path().join("bin").join(tool)).unwrap();
    }
    std::fs::create_dir_all(rootfs.path().join("www")).unwrap();
    std::fs::write(rootfs.path().join("www/index.html"), "vedette\n").unwrap();
    let tar = rootfs.path().with_extension("tar");
    let status = Command::new("tar")
        .args([
            "-C",
            rootfs.path().to_str().unwrap(),
            "-cf",
            tar.to_str().unwrap(),
            ".",
        ])
        .status()
        .unwrap();
    assert!(status.success());
    docker(&["import", tar.to_str().unwrap(), IMAGE]);
    let _ = std::fs::remove_file(tar);
}

/// Removes the container even when an assertion fails.
struct Cleanup(String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

#[tokio::test]
async fn a_container_is_seen_by_every_collector_then_goes() {
    ensure_docker_and_image();
    let name = format!("vedette-sensor-test-{}", std::process::id());
    let _cleanup = Cleanup(name.clone());
    let id = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        "vedette.test=sensor",
        "-p",
        "127.0.0.1::8080",
        IMAGE,
        "/bin/httpd",
        "-f",
        "-p",
        "8080",
        "-h",
        "/www",
    ]);
    let ip = docker(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", &id]);
    let pid: u32 = docker(&["inspect", "-f", "{{.State.Pid}}", &id])
        .parse()
        .unwrap();

    let mut collector = DockerCollector::new(SOCKET.into());
    let (mut containers, mut images) = (Vec::new(), Vec::new());
    collector.collect(&mut containers, &mut images).await;
    let container = containers
        .iter()
        .find(|c| c.id == id)
        .expect("container listed");
    assert_eq!(container.name, name);
    assert_eq!(container.image, IMAGE);
    assert_eq!(container.state, "running");
    assert_eq!(
        container.labels.get("vedette.test").map(String::as_str),
        Some("sensor")
    );
    assert_eq!(container.pid, Some(pid));
    assert!(
        container
            .started_at_ms
            .is_some_and(|ms| ms >= container.created_at_ms)
    );
    let bridge = container
        .networks
        .iter()
        .find(|n| n.name == "bridge")
        .expect("bridge network");
    assert_eq!(bridge.ip.as_deref(), Some(ip.as_str()));
    let port = container
        .ports
        .iter()
        .find(|p| p.container_port == 8080)
        .expect("published port");
    assert_eq!(port.protocol, "tcp");
    assert!(port.host_port.is_some());
    let image = images
        .iter()
        .find(|i| i.id == container.image_id)
        .expect("image listed");
    assert!(image.tags.iter().any(|t| t == IMAGE));
    assert!(image.size_bytes > 0);

    // Its process, tied to the container by its cgroup, and its listener in
    // the container's own network namespace.
    let mut processes = Vec::new();
    ProcessCollector::new(HostRoot::default()).collect(&mut processes);
    let httpd = processes
        .iter()
        .find(|p| p.pid == pid)
        .expect("container process listed");
    assert_eq!(httpd.container_id.as_deref(), Some(id.as_str()));
    assert_eq!(httpd.name, "httpd");
    let own_netns = processes
        .iter()
        .find(|p| p.pid == std::process::id())
        .unwrap()
        .netns;
    assert_ne!(
        httpd.netns, own_netns,
        "the container has its own network namespace"
    );
    let mut connections = Vec::new();
    ConnectionCollector::new(HostRoot::default()).collect(&processes, &mut connections);
    assert!(
        connections.iter().any(|c| c.listening
            && c.local.ends_with(":8080")
            && c.netns == httpd.netns
            && c.pid == Some(pid)),
        "the container's listener on 8080 is seen in its namespace"
    );

    // Stopped: still listed, not running, no pid. Removed: gone.
    docker(&["stop", "-t", "1", &id]);
    collector.collect(&mut containers, &mut images).await;
    let stopped = containers
        .iter()
        .find(|c| c.id == id)
        .expect("stopped container listed");
    assert_eq!(stopped.state, "exited");
    assert_eq!(stopped.pid, None);
    docker(&["rm", "-f", &id]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    collector.collect(&mut containers, &mut images).await;
    assert!(
        containers.iter().all(|c| c.id != id),
        "removed container gone"
    );
}
