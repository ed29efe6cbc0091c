//! Containers and images against the real Docker Engine: the shared
//! busybox-static test image (`vedette_testkit::docker::busybox`), a container running an
//! HTTP server in its own network namespace, seen by every collector, then
//! removed and gone.

use std::time::Duration;

use vedette_sensor::collect::connections::ConnectionCollector;
use vedette_sensor::collect::docker::DockerCollector;
use vedette_sensor::collect::processes::ProcessCollector;
use vedette_sensor::root::HostRoot;
use vedette_testkit::docker::{Container, busybox, docker};

const SOCKET: &str = "/var/run/docker.sock";

#[tokio::test]
async fn a_container_is_seen_by_every_collector_then_goes() {
    let image = busybox();
    // Removed when the test ends, passed or failed.
    let cleanup = Container::new("sensor");
    let name = cleanup.name().to_string();
    let id = docker(&[
        "run",
        "-d",
        "--name",
        &name,
        "--label",
        "vedette.test=sensor",
        "-p",
        "127.0.0.1::8080",
        &image,
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
    assert_eq!(container.image, image);
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
    let listed = images
        .iter()
        .find(|i| i.id == container.image_id)
        .expect("image listed");
    assert!(listed.tags.contains(&image));
    assert!(listed.size_bytes > 0);

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
