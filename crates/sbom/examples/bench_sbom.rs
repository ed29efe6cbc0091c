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
    let warm = Instant::now();
    let sbom = vedette_sbom::catalog(&source)?;
    let warm = warm.elapsed();
    // The walk alone (no cataloger wants any file): the floor of a scan.
    let walk = Instant::now();
    vedette_sbom::catalog_with(&source, &[])?;
    let walk = walk.elapsed();
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
    println!("walk only (no catalogers): {:.3} s", walk.as_secs_f64());
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
