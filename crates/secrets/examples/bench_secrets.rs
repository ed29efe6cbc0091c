//! Secret scanning benchmark: MB/s per core on a generated corpus of realistic source files.
//!
//! ```text
//! cargo run --release -p vedette-secrets --example bench_secrets -- [CORPUS_DIR] [SIZE_MB]
//! ```
//!
//! The corpus (default 512 MB in `/var/cache/vedette/secrets-bench-corpus`) is generated once
//! and reused; generation is not timed. It mixes Python, JavaScript, Go, Java, YAML, Terraform,
//! `.env` files, Markdown, npm lock files and minified bundles, with a planted secret in about
//! one file in 150. The scan runs with 1 thread, then with every available core; figures are
//! printed. When `detect-secrets` is on `PATH` (see `bench/compare.sh`), it scans the first
//! corpus part and the ratio to Vedette on the same part (1 thread) is printed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use vedette_secrets::{Ruleset, ScanOptions, Scanner};

/// Bump when the generator changes, so an old corpus is rebuilt.
const CORPUS_VERSION: &str = "5";
/// Bytes copied into the `subset` folder scanned by both Vedette and detect-secrets.
const SUBSET_BYTES: u64 = 4 << 20;
/// Bytes per corpus part folder.
const PART_BYTES: usize = 16 << 20;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[self.below(alphabet.len())]))
            .collect()
    }
    fn b62(&mut self, n: usize) -> String {
        self.chars(
            b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            n,
        )
    }
    fn hex(&mut self, n: usize) -> String {
        self.chars(b"0123456789abcdef", n)
    }
    fn b64(&mut self, n: usize) -> String {
        self.chars(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            n,
        )
    }
    fn word(&mut self) -> &'static str {
        const WORDS: &[&str] = &[
            "user", "order", "account", "request", "response", "config", "client", "server",
            "handler", "session", "cache", "item", "price", "total", "index", "value", "result",
            "payload", "header", "status", "message", "event", "queue", "worker", "token",
            "password", "key", "auth", "secret", "name", "path", "file", "buffer", "error",
        ];
        WORDS[self.below(WORDS.len())]
    }
    /// A short identifier, as a minifier would write it.
    fn ident(&mut self) -> String {
        let len = 1 + self.below(2);
        self.chars(b"abcdefghijklmnopqrstuvwxyz", len)
    }
}

/// A secret in one of the common formats, for about one file in 150.
fn planted(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => format!("AWS_SECRET_ACCESS_KEY = \"{}\"", rng.b64(40)),
        1 => format!("STRIPE_KEY = \"sk_live_{}\"", rng.b62(32)),
        2 => format!(
            "SLACK = \"xoxb-{}-{}-{}\"",
            100_000_000_000 + rng.below(1 << 30),
            1_000_000_000_000 + rng.below(1 << 30),
            rng.b62(24)
        ),
        3 => format!(
            "DATABASE_URL = \"postgresql://app:{}@db:5432/app\"",
            rng.b62(18)
        ),
        4 => format!("client_secret = \"{}\"", rng.b62(40)),
        _ => format!("GITLAB = \"glpat-{}\"", rng.b62(20)),
    }
}

fn python(rng: &mut Rng, out: &mut String, target: usize) {
    out.push_str("import os\nimport json\nfrom typing import Any, Optional\n\n");
    while out.len() < target {
        let (a, b) = (rng.word(), rng.word());
        let _ = write!(
            out,
            "\n\ndef get_{a}_{b}(request, {b}_id: int) -> Optional[dict]:\n    \"\"\"Return the {a} {b} for the current {b}.\"\"\"\n    {a} = request.headers.get(\"Authorization\", \"\")\n    if not {a}:\n        raise PermissionError(\"missing {a}\")\n    data = json.loads(request.body or \"{{}}\")\n    {b}_password = os.environ.get(\"{A}_PASSWORD\")\n    return {{\"id\": {b}_id, \"{a}\": data.get(\"{a}\"), \"hash\": \"{h}\"}}\n",
            A = a.to_uppercase(),
            h = rng.hex(40)
        );
    }
}

fn javascript(rng: &mut Rng, out: &mut String, target: usize) {
    out.push_str("'use strict';\nconst axios = require('axios');\n\n");
    while out.len() < target {
        let (a, b) = (rng.word(), rng.word());
        let _ = write!(
            out,
            "\nexport async function fetch{a}{b}(id, options = {{}}) {{\n  const url = `https://api.acme.io/v2/{a}/${{id}}/{b}`;\n  const headers = {{ Authorization: `Bearer ${{options.token}}`, 'X-Request-Id': '{u}' }};\n  const res = await axios.get(url, {{ headers, timeout: {t} }});\n  if (res.status !== 200) throw new Error('{a} {b} failed: ' + res.status);\n  return res.data.{b}s.map((x) => ({{ ...x, {a}Key: x.key }}));\n}}\n",
            u = rng.hex(32),
            t = rng.below(10_000)
        );
    }
}

fn golang(rng: &mut Rng, out: &mut String, target: usize) {
    out.push_str("package service\n\nimport (\n\t\"context\"\n\t\"fmt\"\n\t\"net/http\"\n)\n");
    while out.len() < target {
        let (a, b) = (rng.word(), rng.word());
        let _ = write!(
            out,
            "\n// Get{a}{b} loads a {b} of a {a}.\nfunc (s *Server) Get{a}{b}(ctx context.Context, id string) (*{b}, error) {{\n\treq, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf(\"%s/{a}/%s\", s.base, id), nil)\n\tif err != nil {{\n\t\treturn nil, fmt.Errorf(\"{a}: %w\", err)\n\t}}\n\treq.Header.Set(\"Authorization\", \"Bearer \"+s.token)\n\treturn s.do{b}(req, {n})\n}}\n",
            n = rng.below(1000)
        );
    }
}

fn java(rng: &mut Rng, out: &mut String, target: usize) {
    out.push_str("package com.acme.service;\n\nimport java.util.*;\n\npublic class Service {\n");
    while out.len() < target {
        let (a, b) = (rng.word(), rng.word());
        let _ = write!(
            out,
            "\n    /** Finds the {b} of a {a}. */\n    public Optional<{b}> find{a}{b}(String {a}Id, String apiKey) {{\n        if (apiKey == null || apiKey.isEmpty()) {{\n            throw new IllegalArgumentException(\"{a} key required\");\n        }}\n        Map<String, Object> params = new HashMap<>();\n        params.put(\"{a}\", {a}Id);\n        params.put(\"checksum\", \"{h}\");\n        return repository.query(\"SELECT * FROM {b} WHERE {a}_id = ?\", params);\n    }}\n",
            h = rng.hex(64)
        );
    }
    out.push_str("}\n");
}

fn yaml(rng: &mut Rng, out: &mut String, target: usize) {
    while out.len() < target {
        let a = rng.word();
        let _ = write!(
            out,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {a}-{n}\n  labels:\n    app: {a}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: {a}\n          image: registry.acme.io/{a}@sha256:{h}\n          env:\n            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: {a}-db\n                  key: password\n            - name: API_TOKEN\n              value: \"${{API_TOKEN}}\"\n",
            n = rng.below(100),
            h = rng.hex(64)
        );
    }
}

fn terraform(rng: &mut Rng, out: &mut String, target: usize) {
    while out.len() < target {
        let a = rng.word();
        let _ = write!(
            out,
            "resource \"aws_s3_bucket\" \"{a}_{n}\" {{\n  bucket = \"acme-{a}-{n}\"\n  tags = {{\n    Team = \"platform\"\n  }}\n}}\n\nvariable \"{a}_password\" {{\n  type      = string\n  sensitive = true\n}}\n\n",
            n = rng.below(10_000)
        );
    }
}

fn markdown(rng: &mut Rng, out: &mut String, target: usize) {
    while out.len() < target {
        let (a, b) = (rng.word(), rng.word());
        let _ = write!(
            out,
            "## Configuring the {a} {b}\n\nSet `{A}_TOKEN` to your API token (for example `export {A}_TOKEN=<your-token>`), then run\n`acme {a} sync --{b} {n}`. The secret key is read from the environment, never from this file.\nSee https://docs.acme.io/{a}/{b} for details.\n\n",
            A = a.to_uppercase(),
            n = rng.below(100)
        );
    }
}

fn lockfile(rng: &mut Rng, out: &mut String, target: usize) {
    out.push_str("{\n  \"name\": \"web\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n");
    while out.len() < target {
        let a = rng.word();
        let n = rng.below(100);
        let _ = write!(
            out,
            "    \"node_modules/{a}-{n}\": {{\n      \"version\": \"{n}.0.1\",\n      \"resolved\": \"https://registry.npmjs.org/{a}-{n}/-/{a}-{n}-{n}.0.1.tgz\",\n      \"integrity\": \"sha512-{b}==\"\n    }},\n",
            b = rng.b64(86)
        );
    }
    out.push_str("  }\n}\n");
}

fn minified(rng: &mut Rng, out: &mut String, target: usize) {
    while out.len() < target {
        let line_end = out.len() + 60_000;
        while out.len() < line_end {
            let _ = write!(
                out,
                "function {a}{n}(e,t){{return e.{a}?t({n}):\"{h}\"}}var {b}{n}=\"{s}\";",
                a = rng.ident(),
                b = rng.ident(),
                n = rng.below(1000),
                h = rng.hex(8),
                s = rng.b64(24)
            );
        }
        out.push('\n');
    }
}

/// CPU time (user + system, all threads) used by this process so far, from `/proc/self/stat`.
/// The machine running the benchmark is shared, so wall-clock rates understate the engine's
/// speed; MB per CPU-second is the per-core figure. Clock ticks are 100 per second on Linux.
fn cpu_seconds() -> f64 {
    proc_stat_ticks(&[11, 12])
}

/// CPU time of waited-for child processes (fields 16 and 17 of proc(5)).
fn children_cpu_seconds() -> f64 {
    proc_stat_ticks(&[13, 14])
}

/// Sum of the given fields of `/proc/self/stat` (counted from field 3), in seconds.
fn proc_stat_ticks(indexes: &[usize]) -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    indexes.iter().map(|&i| ticks(i)).sum::<f64>() / 100.0
}

/// Regular files under `dir`, sorted.
fn walk_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes the corpus (once) and returns its part folders.
fn corpus(dir: &Path, size_mb: usize) -> Result<(), Box<dyn std::error::Error>> {
    let marker = dir.join(format!(".complete-v{CORPUS_VERSION}-{size_mb}"));
    let parts = size_mb.saturating_mul(1 << 20).div_ceil(PART_BYTES);
    let part_dirs: Vec<PathBuf> = (0..parts)
        .map(|i| dir.join(format!("part-{i:03}")))
        .collect();
    if marker.exists() {
        return Ok(());
    }
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    let started = Instant::now();
    let mut rng = Rng(0x00C0_FFEE);
    let mut text = String::new();
    for part in &part_dirs {
        let mut written = 0;
        let mut n = 0;
        while written < PART_BYTES {
            let kind = rng.below(20);
            let target = 4_000 + rng.below(60_000);
            text.clear();
            let (sub, ext) = match kind {
                0..=4 => {
                    python(&mut rng, &mut text, target);
                    ("app", "py")
                }
                5..=8 => {
                    javascript(&mut rng, &mut text, target);
                    ("web/src", "js")
                }
                9..=10 => {
                    golang(&mut rng, &mut text, target);
                    ("internal/service", "go")
                }
                11..=12 => {
                    java(&mut rng, &mut text, target);
                    ("src/main/java", "java")
                }
                13..=14 => {
                    yaml(&mut rng, &mut text, target);
                    ("deploy", "yaml")
                }
                15 => {
                    terraform(&mut rng, &mut text, target);
                    ("infra", "tf")
                }
                16 => {
                    markdown(&mut rng, &mut text, target);
                    ("docs", "md")
                }
                17 => {
                    lockfile(&mut rng, &mut text, target * 4);
                    ("web", "json")
                }
                18 => {
                    minified(&mut rng, &mut text, target * 4);
                    ("web/dist", "js")
                }
                _ => {
                    python(&mut rng, &mut text, target);
                    ("scripts", "py")
                }
            };
            if rng.below(150) == 0 {
                let at = text.len() / 2;
                let at = text[..at].rfind('\n').map_or(0, |i| i + 1);
                text.insert_str(at, &format!("{}\n", planted(&mut rng)));
            }
            let folder = part.join(sub).join(format!("m{}", n % 16));
            std::fs::create_dir_all(&folder)?;
            std::fs::write(folder.join(format!("f{n}.{ext}")), &text)?;
            written += text.len();
            n += 1;
        }
    }
    // The comparison subset: the first files of the first part, copied.
    let subset = dir.join("subset");
    let mut copied = 0;
    for entry in walk_files(&part_dirs[0])? {
        if copied >= SUBSET_BYTES {
            break;
        }
        let rel = entry.strip_prefix(&part_dirs[0])?;
        let target = subset.join(rel);
        std::fs::create_dir_all(target.parent().unwrap_or(&subset))?;
        copied += std::fs::copy(&entry, &target)?;
    }
    std::fs::write(&marker, b"")?;
    eprintln!(
        "generated {size_mb} MB corpus in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = PathBuf::from(
        args.get(1)
            .map_or("/var/cache/vedette/secrets-bench-corpus", String::as_str),
    );
    let size_mb: usize = args.get(2).map_or(Ok(512), |s| s.parse())?;
    corpus(&dir, size_mb)?;
    let rules = Ruleset::builtin()?;
    let rule_count = rules.len();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());

    // Warm the page cache so both runs measure scanning, not the disk.
    Scanner::new(
        rules.clone(),
        ScanOptions {
            threads: cores,
            exclude_paths: vec!["subset".into()],
            ..ScanOptions::default()
        },
    )?
    .scan_path(&dir);

    println!(
        "vedette-secrets benchmark: {rule_count} rules, corpus {}",
        dir.display()
    );
    let mut per_core_1 = 0.0;
    for threads in [1, cores] {
        let scanner = Scanner::new(
            rules.clone(),
            ScanOptions {
                threads,
                exclude_paths: vec!["subset".into()],
                ..ScanOptions::default()
            },
        )?;
        let started = Instant::now();
        let cpu_before = cpu_seconds();
        let report = scanner.scan_path(&dir);
        let cpu = cpu_seconds() - cpu_before;
        let secs = started.elapsed().as_secs_f64();
        let mb = report.stats.bytes_scanned as f64 / 1e6;
        let per_cpu = mb / cpu.max(0.01);
        if threads == 1 {
            per_core_1 = per_cpu;
        }
        println!(
            "threads={threads}: {files} files, {mb:.0} MB in {secs:.2}s wall = {rate:.0} MB/s; {cpu:.2} CPU-s = {per_cpu:.0} MB/s per core; {n} findings, {e} errors",
            files = report.stats.files_scanned,
            rate = mb / secs,
            n = report.findings.len(),
            e = report.errors.len(),
        );
    }

    // detect-secrets on the subset, when installed.
    let part = &dir.join("subset");
    match Command::new("detect-secrets").arg("--version").output() {
        Ok(out) if out.status.success() => {
            let scanner = Scanner::new(
                rules,
                ScanOptions {
                    threads: 1,
                    ..ScanOptions::default()
                },
            )?;
            let cpu_before = cpu_seconds();
            let report = scanner.scan_path(part);
            let ours = (cpu_seconds() - cpu_before).max(0.01);
            let children_before = children_cpu_seconds();
            let ds = Command::new("detect-secrets")
                .arg("scan")
                .arg("--all-files")
                .current_dir(part)
                .output()?;
            let theirs = children_cpu_seconds() - children_before;
            if !ds.status.success() {
                return Err(format!(
                    "detect-secrets failed: {}",
                    String::from_utf8_lossy(&ds.stderr)
                )
                .into());
            }
            let ds_json: serde_json::Value = serde_json::from_slice(&ds.stdout)?;
            let ds_findings: usize = ds_json["results"].as_object().map_or(0, |r| {
                r.values().filter_map(|v| v.as_array()).map(Vec::len).sum()
            });
            let mb = report.stats.bytes_scanned as f64 / 1e6;
            // The subset is too small for Vedette's CPU time to be measured precisely: the
            // ratio compares detect-secrets' rate with the single-thread rate above.
            let theirs_rate = mb / theirs.max(0.01);
            println!(
                "subset {} ({mb:.1} MB): vedette {} findings ({ours:.2} CPU-s), detect-secrets {} {} findings in {theirs:.2} CPU-s = {theirs_rate:.2} MB/s per core: vedette is {:.0}x faster per core",
                part.display(),
                report.findings.len(),
                String::from_utf8_lossy(&out.stdout).trim(),
                ds_findings,
                per_core_1 / theirs_rate
            );
        }
        _ => println!(
            "detect-secrets not installed: run crates/secrets/bench/compare.sh for the comparison"
        ),
    }
    println!(
        "single-thread rate: {per_core_1:.0} MB/s per core (CPU time; target: 200 MB/s per core)"
    );
    Ok(())
}
