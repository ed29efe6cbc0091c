//! Collectors on this real host: the test's own process, a TCP listener and
//! connection it opens, and host facts checked against `uname` and
//! `/etc/os-release`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;

use vedette_model::wire::{Host, Transport};
use vedette_sensor::collect::connections::ConnectionCollector;
use vedette_sensor::collect::host::{HostCollector, os_release_value};
use vedette_sensor::collect::processes::ProcessCollector;
use vedette_sensor::root::HostRoot;

fn command_output(program: &str, args: &[&str]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed: {e}"));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn this_test_process_appears_with_its_pid_ppid_and_command_line() {
    let mut collector = ProcessCollector::new(HostRoot::default());
    let mut processes = Vec::new();
    collector.collect(&mut processes);
    let me = processes
        .iter()
        .find(|p| p.pid == std::process::id())
        .expect("this process is listed");
    assert_eq!(me.ppid, std::os::unix::process::parent_id());
    let args: Vec<String> = std::env::args().collect();
    assert_eq!(me.cmdline, args);
    assert_eq!(
        me.exe.as_deref(),
        std::env::current_exe()
            .ok()
            .as_deref()
            .and_then(|p| p.to_str())
    );
    assert_eq!(me.user, command_output("id", &["-un"]));
    assert!(me.threads >= 1);
    assert!(me.rss_bytes > 1024 * 1024);
    assert!(me.netns.is_some());
    assert_eq!(me.container_id, None);
    // Started within the last hour, in Unix ms.
    let now = vedette_sensor::collect::now_ms();
    assert!(
        me.started_at_ms <= now + 1000 && me.started_at_ms > now - 3_600_000,
        "{}",
        me.started_at_ms
    );
    // Kernel threads are not processes for the topology.
    assert!(processes.iter().all(|p| p.pid != 2 && p.ppid != 2));

    // CPU % is measured between two samples: burn 300 ms of CPU time (not
    // wall time: the machine may be busy), then sample again.
    let cpu_ticks = || {
        let stat = procfs::process::Process::myself().unwrap().stat().unwrap();
        stat.utime + stat.stime
    };
    let before = cpu_ticks();
    let wall = std::time::Instant::now();
    let mut x = 0u64;
    while cpu_ticks() < before + procfs::ticks_per_second() * 3 / 10 {
        for _ in 0..100_000 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
    }
    std::hint::black_box(x);
    collector.collect(&mut processes);
    let elapsed = wall.elapsed().as_secs_f32();
    let me = processes
        .iter()
        .find(|p| p.pid == std::process::id())
        .unwrap();
    // At least 0.3 s of CPU over the elapsed wall time (plus the first sample's own cost).
    let floor = 0.25 / (elapsed + 0.5) * 100.0;
    assert!(me.cpu_percent >= floor, "cpu {} < {floor}", me.cpu_percent);
}

#[test]
fn a_listener_and_a_connection_appear_with_their_pid() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut server, peer) = listener.accept().unwrap();
    client.write_all(b"x").unwrap();
    let mut byte = [0u8];
    server.read_exact(&mut byte).unwrap();
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_port = udp.local_addr().unwrap().port();

    let mut processes = Vec::new();
    ProcessCollector::new(HostRoot::default()).collect(&mut processes);
    let mut connections = Vec::new();
    ConnectionCollector::new(HostRoot::default()).collect(&processes, &mut connections);
    let me = Some(std::process::id());
    let listening = format!("127.0.0.1:{port}");
    assert!(
        connections.iter().any(|c| c.transport == Transport::Tcp
            && c.listening
            && c.local == listening
            && c.remote.is_none()
            && c.pid == me),
        "listener {listening} not found"
    );
    let client_end = peer.to_string();
    assert!(
        connections.iter().any(|c| !c.listening
            && c.local == client_end
            && c.remote.as_deref() == Some(listening.as_str())
            && c.pid == me),
        "client end {client_end} → {listening} not found"
    );
    assert!(
        connections.iter().any(|c| !c.listening
            && c.local == listening
            && c.remote.as_deref() == Some(client_end.as_str())
            && c.pid == me),
        "server end not found"
    );
    assert!(
        connections.iter().any(|c| c.transport == Transport::Udp
            && c.listening
            && c.local == format!("127.0.0.1:{udp_port}")
            && c.pid == me),
        "bound UDP socket not found"
    );
}

#[tokio::test]
async fn host_facts_match_uname_and_os_release() {
    let mut host = Host::default();
    HostCollector::build(&HostRoot::default())
        .await
        .collect(&mut host);
    assert_eq!(host.kernel, command_output("uname", &["-r"]));
    assert_eq!(host.arch, command_output("uname", &["-m"]));
    assert_eq!(host.hostname, command_output("hostname", &[]));
    let os = std::fs::read_to_string("/etc/os-release").unwrap();
    assert_eq!(Some(host.os_id.clone()), os_release_value(&os, "ID"));
    assert!(!host.os_pretty_name.is_empty());
    let cpus: u32 = command_output("getconf", &["_NPROCESSORS_CONF"])
        .parse()
        .unwrap();
    assert_eq!(host.cpus, cpus);
    assert!(host.memory_total_bytes > host.memory_available_bytes);
    assert!(host.uptime_secs > 0);
    let lo = host.interfaces.iter().find(|i| i.name == "lo").expect("lo");
    assert!(lo.addresses.iter().any(|a| a == "127.0.0.1/8"));
    assert_eq!(host.cloud, None, "this machine is on no cloud");
}
