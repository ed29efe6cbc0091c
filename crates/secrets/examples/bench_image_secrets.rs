//! Image secret scanning benchmark: every layer of a `docker save` archive, then the same
//! archive as a one-pass stream, against `scan_path` over the same files.
//!
//! ```text
//! cargo run --release -p vedette-secrets --example bench_secrets            # makes the corpus once
//! cargo run --release -p vedette-secrets --example bench_image_secrets -- [CORPUS_DIR] [IMAGE]
//! ```
//!
//! The image (default `/var/cache/vedette/secrets-bench-image.tar`) is built once from the
//! corpus of `bench_secrets` (default `/var/cache/vedette/secrets-bench-corpus`): a classic
//! `docker save` archive whose layer 0 holds the first half of the corpus parts and layer 1 the
//! second half plus a whiteout deleting the first part (its secrets are still in layer 0, found
//! with `visible: false`). Building is not timed. Printed: wall and CPU time, MB per CPU-second
//! (the per-core figure on a shared machine), findings, and the process's peak RSS.

use std::path::{Path, PathBuf};
use std::time::Instant;

use vedette_sbom::source::{ImageLimits, ImageSource};
use vedette_secrets::{Ruleset, ScanOptions, ScanReport, Scanner};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let corpus = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/var/cache/vedette/secrets-bench-corpus".into()),
    );
    let image = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/var/cache/vedette/secrets-bench-image.tar".into()),
    );
    if !image.exists() {
        eprintln!("building {} from {}", image.display(), corpus.display());
        build_image(&corpus, &image)?;
    }
    let size = std::fs::metadata(&image)?.len();
    println!("image: {} ({:.0} MB)", image.display(), size as f64 / 1e6);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, cores] {
        let scanner = scanner(threads)?;
        let opened = Instant::now();
        let source = ImageSource::open(&image)?;
        let open_s = opened.elapsed().as_secs_f64();
        measure(&format!("scan_image, {threads} thread(s)"), || {
            scanner.scan_image(&source, &|_| {})
        });
        println!("  (open + flatten: {open_s:.2} s wall)");
    }
    let scanner = scanner(cores)?;
    measure(&format!("scan_image_stream, {cores} thread(s)"), || {
        let mut file = std::fs::File::open(&image).expect("open image");
        scanner
            .scan_image_stream(&mut file, ImageLimits::default(), &|_| {})
            .expect("stream scan")
    });
    let scanner1 = self::scanner(1)?;
    measure("scan_path of the corpus, 1 thread", || {
        scanner1.scan_path(&corpus)
    });
    println!("peak RSS of this process: {} MB", peak_rss_kb() / 1024);
    Ok(())
}

fn scanner(threads: usize) -> Result<Scanner, Box<dyn std::error::Error>> {
    Ok(Scanner::new(
        Ruleset::builtin()?,
        ScanOptions {
            threads,
            ..ScanOptions::default()
        },
    )?)
}

fn measure(label: &str, run: impl FnOnce() -> ScanReport) {
    let cpu = cpu_seconds();
    let started = Instant::now();
    let report = run();
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds() - cpu;
    let mb = report.stats.bytes_scanned as f64 / 1e6;
    let hidden = report
        .findings
        .iter()
        .filter(|f| f.layer.as_ref().is_some_and(|l| !l.visible))
        .count();
    println!(
        "{label}: {mb:.0} MB in {} files, {wall:.2} s wall ({:.0} MB/s), {cpu:.2} CPU-s ({:.0} MB/s per core); {} findings ({hidden} in deleted files), {} errors",
        report.stats.files_scanned,
        mb / wall,
        mb / cpu.max(0.01),
        report.findings.len(),
        report.errors.len(),
    );
}

/// Packs the corpus parts into a two-layer classic `docker save` archive.
fn build_image(corpus: &Path, image: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(corpus)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    parts.sort();
    if parts.len() < 2 {
        return Err(format!(
            "{} has no corpus parts: run the bench_secrets example first",
            corpus.display()
        )
        .into());
    }
    let work = tempfile::tempdir_in(image.parent().unwrap_or(Path::new(".")))?;
    let half = parts.len() / 2;
    let mut layer_names = Vec::new();
    for (index, chunk) in [&parts[..half], &parts[half..]].iter().enumerate() {
        let path = work.path().join(format!("layer{index}.tar"));
        let mut layer = tar::Builder::new(std::fs::File::create(&path)?);
        for part in *chunk {
            let name = part.file_name().unwrap_or_default().to_string_lossy();
            layer.append_dir_all(format!("srv/{name}"), part)?;
        }
        if index == 1 {
            // Delete the first part: its files stay in layer 0, hidden in the final image.
            let first = parts[0].file_name().unwrap_or_default().to_string_lossy();
            let mut header = tar::Header::new_gnu();
            header.set_size(0);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            layer.append_data(&mut header, format!("srv/.wh.{first}"), std::io::empty())?;
        }
        layer.finish()?;
        layer_names.push((format!("l{index}/layer.tar"), path));
    }
    let manifest = format!(
        r#"[{{"Config":"config.json","RepoTags":["bench:1"],"Layers":["{}","{}"]}}]"#,
        layer_names[0].0, layer_names[1].0
    );
    let partial = image.with_extension("partial");
    let mut outer = tar::Builder::new(std::fs::File::create(&partial)?);
    for (name, data) in [
        (
            "config.json",
            br#"{"os":"linux","architecture":"amd64"}"#.as_slice(),
        ),
        ("manifest.json", manifest.as_bytes()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        outer.append_data(&mut header, name, data)?;
    }
    for (name, path) in &layer_names {
        outer.append_path_with_name(path, name)?;
    }
    outer.finish()?;
    std::fs::rename(&partial, image)?;
    Ok(())
}

/// CPU time (user + system, all threads) of this process, from `/proc/self/stat`.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<f64>().ok()))
        .sum::<f64>()
        / 100.0
}

/// Peak resident set size of this process, in KiB.
fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}
