//! Sensor footprint benchmark: runs the real collectors, delta computation
//! and zstd encoding at the report interval for a while, on a current-thread
//! runtime as the sensor does, and prints CPU (fraction of one core), RSS,
//! and bytes per report (snapshot and steady state, compressed).
//!
//! ```text
//! cargo run --release -p vedette-sensor --example bench_footprint -- \
//!     [--minutes 3] [--interval-secs 10] [--containers 50]
//! ```
//!
//! `--containers N` starts N idle containers (busybox `sleep`, image
//! `vedette-sensor-test:busybox`, imported from busybox-static when missing)
//! for the run and removes them afterwards. Sending over HTTPS is not part
//! of the loop (one small POST per interval).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use vedette_model::wire::Visibility;
use vedette_sensor::collect::{CollectorsConfig, Observation};
use vedette_sensor::delta::{Baseline, Header};
use vedette_sensor::report::Encoder;
use vedette_sensor::root::HostRoot;

const IMAGE: &str = "vedette-sensor-test:busybox";

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// (user + system CPU seconds, RSS bytes, peak RSS bytes) of this process.
fn usage() -> (f64, u64, u64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i)?.parse::<u64>().ok())
        .sum();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (
        ticks as f64 / procfs::ticks_per_second() as f64,
        kb("VmRSS:"),
        kb("VmHWM:"),
    )
}

fn ensure_image() {
    let present = Command::new("docker")
        .args(["image", "inspect", IMAGE])
        .output()
        .is_ok_and(|o| o.status.success());
    if present {
        return;
    }
    let dir = std::env::temp_dir().join(format!("vedette-bench-rootfs-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("bin")).expect("rootfs");
    let busybox = if Path::new("/bin/busybox").exists() {
        "/bin/busybox"
    } else {
        "/usr/bin/busybox"
    };
    std::fs::copy(busybox, dir.join("bin/busybox"))
        .expect("busybox-static is needed (crates/sensor/tests/prepare.sh)");
    std::os::unix::fs::symlink("busybox", dir.join("bin/sleep")).expect("symlink");
    let tar = dir.with_extension("tar");
    let ok = Command::new("tar")
        .args([
            "-C",
            dir.to_str().unwrap_or("."),
            "-cf",
            tar.to_str().unwrap_or("x.tar"),
            ".",
        ])
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("docker")
            .args(["import", tar.to_str().unwrap_or("x.tar"), IMAGE])
            .status()
            .is_ok_and(|s| s.success());
    assert!(ok, "cannot import {IMAGE}");
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&tar);
}

fn main() {
    let minutes = arg("--minutes", 3);
    let interval = Duration::from_secs(arg("--interval-secs", 10));
    let containers = arg("--containers", 0);
    let mut started_containers = Vec::new();
    if containers > 0 {
        ensure_image();
        for i in 0..containers {
            let name = format!("vedette-bench-{}-{i}", std::process::id());
            let ok = Command::new("docker")
                .args([
                    "run",
                    "-d",
                    "--name",
                    &name,
                    "--label",
                    "vedette.bench=1",
                    IMAGE,
                    "/bin/sleep",
                    "100000",
                ])
                .output()
                .is_ok_and(|o| o.status.success());
            assert!(ok, "cannot start container {name}");
            started_containers.push(name);
        }
        eprintln!("started {containers} containers");
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let mut collectors = CollectorsConfig {
            host_root: HostRoot::default(),
            docker_socket: "/var/run/docker.sock".into(),
            visibility: Visibility::Host,
        }
        .build()
        .await;
        let mut encoder = Encoder::new().expect("zstd");
        let mut observation = Observation::default();
        let mut baseline = Baseline::default();
        collectors.collect(&mut observation).await;
        let header = |sequence| Header {
            sensor_id: "0190f000-0000-7000-8000-000000000000".into(),
            sequence,
            visibility: Visibility::Host,
        };
        let snapshot = Baseline::snapshot(&observation, header(1));
        let snapshot_bytes = encoder.encode(&snapshot).expect("encode").len();
        let snapshot_json = encoder.last_json_len();
        baseline.acknowledge(&snapshot);
        println!(
            "snapshot: {} processes, {} connections, {} containers, {} images; {} B JSON, {} B zstd",
            observation.processes.len(),
            observation.connections.len(),
            observation.containers.len(),
            observation.images.len(),
            snapshot_json,
            snapshot_bytes
        );

        // Warm-up done: measure from here.
        let (cpu_start, _, _) = usage();
        let wall_start = Instant::now();
        let deadline = wall_start + Duration::from_secs(minutes * 60);
        let mut reports = 0u64;
        let mut upserts = [0usize; 5];
        let mut timings = [Duration::ZERO; 4];
        let mut delta_bytes = 0u64;
        let mut sequence = 1;
        let mut next = Instant::now() + interval;
        while Instant::now() < deadline {
            tokio::time::sleep_until(next.into()).await;
            next += interval;
            collectors.collect(&mut observation).await;
            for (total, lap) in timings.iter_mut().zip(collectors.timings()) {
                *total += lap;
            }
            sequence += 1;
            let delta = baseline.delta(&observation, header(sequence));
            delta_bytes += encoder.encode(&delta).expect("encode").len() as u64;
            for (slot, count) in upserts.iter_mut().zip([
                usize::from(delta.host.is_some()),
                delta.processes.upsert.len() + delta.processes.remove.len(),
                delta.connections.upsert.len() + delta.connections.remove.len(),
                delta.containers.upsert.len() + delta.containers.remove.len(),
                delta.images.upsert.len() + delta.images.remove.len(),
            ]) {
                *slot += count;
            }
            baseline.acknowledge(&delta);
            reports += 1;
        }
        let (cpu_end, rss, peak) = usage();
        let wall = wall_start.elapsed().as_secs_f64();
        let per_report = delta_bytes as f64 / reports.max(1) as f64;
        println!("run: {minutes} min at {interval:?}, {reports} delta reports");
        let ms = |d: Duration| d.as_secs_f64() * 1000.0 / reports.max(1) as f64;
        println!(
            "wall per collection: host {:.1} ms, processes {:.1} ms, connections {:.1} ms, docker {:.1} ms",
            ms(timings[0]), ms(timings[1]), ms(timings[2]), ms(timings[3])
        );
        let per = |i: usize| upserts[i] as f64 / reports.max(1) as f64;
        println!(
            "changes per delta: host {:.2}, processes {:.1}, connections {:.1}, containers {:.1}, images {:.1}",
            per(0), per(1), per(2), per(3), per(4)
        );
        println!("cpu: {:.4} of one core ({:.2} %)", (cpu_end - cpu_start) / wall, (cpu_end - cpu_start) / wall * 100.0);
        println!("rss: {:.1} MB at the end, {:.1} MB peak", rss as f64 / 1e6, peak as f64 / 1e6);
        println!(
            "steady state: {:.0} B zstd per delta report, {:.0} B per minute",
            per_report,
            per_report * 60.0 / interval.as_secs_f64()
        );
    });

    for name in started_containers {
        let _ = Command::new("docker").args(["rm", "-f", &name]).output();
    }
}
