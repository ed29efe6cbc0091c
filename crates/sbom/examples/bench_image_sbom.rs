//! Benchmark: the SBOM of a `docker save` archive, with peak memory.
//!
//! ```text
//! # build a ~1 GiB archive from this machine's files (3 layers: /etc + /var/lib/dpkg + /usr/bin,
//! # /usr/share, /usr/lib/python3 + /usr/lib/jvm + /usr/local), uncompressed as `docker save` writes it
//! cargo run --release -p vedette-sbom --example bench_image_sbom -- make /tmp/img.tar 1024
//! # scan it twice (the second run is warm), print times, packages per type and peak RSS
//! cargo run --release -p vedette-sbom --example bench_image_sbom -- /tmp/img.tar
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, out, rest @ ..] if cmd == "make" => {
            let mb: u64 = rest.first().map_or(Ok(1024), |s| s.parse())?;
            make(Path::new(out), mb << 20)
        }
        [archive] => scan(Path::new(archive)),
        _ => Err("usage: bench_image_sbom make OUT.tar [MB] | bench_image_sbom ARCHIVE".into()),
    }
}

fn scan(archive: &Path) -> Result<()> {
    let size = std::fs::metadata(archive)?.len();
    let open = Instant::now();
    let source = vedette_sbom::source::ImageSource::open(archive)?;
    let open = open.elapsed();
    let first = Instant::now();
    vedette_sbom::catalog(&source)?;
    let first = first.elapsed();
    let warm = Instant::now();
    let sbom = vedette_sbom::catalog(&source)?;
    let warm = warm.elapsed();
    println!(
        "archive: {} ({:.0} MiB, {} layers)",
        archive.display(),
        size as f64 / 1048576.0,
        source.layers().len()
    );
    println!("open (pass 1, flatten): {:.3} s", open.as_secs_f64());
    println!(
        "catalog (pass 2): first {:.3} s, warm {:.3} s",
        first.as_secs_f64(),
        warm.as_secs_f64()
    );
    println!("open + warm catalog: {:.3} s", (open + warm).as_secs_f64());
    let stream = Instant::now();
    let streamed = vedette_sbom::catalog_image_stream(
        &mut std::fs::File::open(archive)?,
        "bench",
        vedette_sbom::source::ImageLimits::default(),
    )?;
    let stream = stream.elapsed();
    println!(
        "one-pass stream (catalog_image_stream): {:.3} s, {} packages",
        stream.as_secs_f64(),
        streamed.packages.len()
    );
    println!("packages: {}", sbom.packages.len());
    let mut per_type: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &sbom.packages {
        *per_type.entry(p.package_type.purl_type()).or_default() += 1;
    }
    for (ty, n) in per_type {
        println!("  {ty:<10} {n}");
    }
    println!("diagnostics: {}", sbom.diagnostics.len());
    let status = std::fs::read_to_string("/proc/self/status")?;
    if let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!("peak RSS: {}", hwm.trim_start_matches("VmHWM:").trim());
    }
    Ok(())
}

/// Writes a docker save archive of real files, about `budget` bytes.
fn make(out: &Path, budget: u64) -> Result<()> {
    let layers: [&[&str]; 3] = [
        &["/etc", "/var/lib/dpkg", "/usr/bin"],
        &["/usr/share"],
        &[
            "/usr/lib/python3",
            "/usr/lib/jvm",
            "/usr/local",
            "/usr/lib/x86_64-linux-gnu",
        ],
    ];
    let dir = out.parent().ok_or("no parent directory")?;
    let mut left = budget;
    let mut names = Vec::new();
    let mut archive = tar::Builder::new(std::fs::File::create(out)?);
    for (i, roots) in layers.iter().enumerate() {
        let layer_path = dir.join(format!(".bench-layer-{i}.tar"));
        {
            let mut layer = tar::Builder::new(std::fs::File::create(&layer_path)?);
            layer.follow_symlinks(false);
            let share = left / (layers.len() - i) as u64;
            let mut used = 0;
            for root in *roots {
                add_tree(&mut layer, Path::new(root), share, &mut used)?;
            }
            layer.finish()?;
            left = left.saturating_sub(used);
        }
        let name = format!("layer{i}/layer.tar");
        archive.append_path_with_name(&layer_path, &name)?;
        std::fs::remove_file(&layer_path)?;
        names.push(name);
    }
    let manifest =
        format!("[{{\"Config\":\"config.json\",\"RepoTags\":[\"bench:1\"],\"Layers\":{names:?}}}]");
    let mut h = tar::Header::new_gnu();
    h.set_size(manifest.len() as u64);
    h.set_mode(0o644);
    archive.append_data(&mut h, "manifest.json", manifest.as_bytes())?;
    archive.finish()?;
    println!(
        "wrote {} ({:.0} MiB)",
        out.display(),
        std::fs::metadata(out)?.len() as f64 / 1048576.0
    );
    Ok(())
}

fn add_tree(
    layer: &mut tar::Builder<std::fs::File>,
    root: &Path,
    budget: u64,
    used: &mut u64,
) -> Result<()> {
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                stack.push(path);
            } else if ft.is_file() || ft.is_symlink() {
                let size = entry.metadata().map_or(0, |m| m.len());
                if *used + size > budget {
                    continue;
                }
                let inside = path.strip_prefix("/").unwrap_or(&path);
                if layer.append_path_with_name(&path, inside).is_ok() {
                    *used += size;
                }
            }
        }
    }
    Ok(())
}
