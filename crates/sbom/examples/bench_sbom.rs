//! Benchmark: the SBOM of this machine's root filesystem.
//!
//! Runs the scan twice (the first warms the page cache) and prints the
//! second run's time, the package count per type and the diagnostics count.
//!
//! ```text
//! cargo run --release -p vedette-sbom --example bench_sbom [ROOT]
//! ```

use std::collections::BTreeMap;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = std::env::args().nth(1).unwrap_or_else(|| "/".to_string());
    let source = vedette_sbom::source::DirSource::open(&root)?;
    let cold = Instant::now();
    let first = vedette_sbom::catalog(&source)?;
    let cold = cold.elapsed();
    let cpu_before = cpu_seconds();
    let warm = Instant::now();
    let sbom = vedette_sbom::catalog(&source)?;
    let warm = warm.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    // The walk alone (no cataloger wants any file): the floor of a scan.
    let walk_cpu_before = cpu_seconds();
    let walk = Instant::now();
    vedette_sbom::catalog_with(&source, &[])?;
    let walk = walk.elapsed();
    let walk_cpu = cpu_seconds() - walk_cpu_before;
    println!("root: {root}");
    println!(
        "distro: {}",
        sbom.distro
            .as_ref()
            .map_or("unknown", |d| d.pretty_name.as_str())
    );
    println!(
        "first run: {:.3} s, warm run: {:.3} s",
        cold.as_secs_f64(),
        warm.as_secs_f64()
    );
    println!("warm run CPU time (user + system, all threads): {cpu:.3} s");
    println!(
        "walk only (no catalogers): {:.3} s, CPU {walk_cpu:.3} s",
        walk.as_secs_f64()
    );
    println!(
        "packages: {} (first run {})",
        sbom.packages.len(),
        first.packages.len()
    );
    let mut per_type: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &sbom.packages {
        *per_type.entry(p.package_type.purl_type()).or_default() += 1;
    }
    for (ty, n) in per_type {
        println!("  {ty:<10} {n}");
    }
    println!("diagnostics: {}", sbom.diagnostics.len());
    let mut per_cataloger: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &sbom.diagnostics {
        *per_cataloger
            .entry(if d.cataloger.is_empty() {
                "source"
            } else {
                d.cataloger.as_str()
            })
            .or_default() += 1;
    }
    for (c, n) in per_cataloger {
        println!("  {c:<14} {n}");
    }
    Ok(())
}

/// User + system CPU seconds of this process so far, from /proc/self/stat
/// (clock ticks of 1/100 s); wall time alone depends on what else runs.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: utime and stime are the 12th and 13th.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}
