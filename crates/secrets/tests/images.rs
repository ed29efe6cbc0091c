//! Sources other than a path: a directory through `DirSource`, a running container's root
//! through `/proc/<pid>/root`, and images — built with the real Docker Engine (`docker import`,
//! then `docker build` with a `RUN rm` and a `COPY`), read from the `docker save` archive, from
//! its OCI layout unpacked in a directory and streamed from a `docker save` pipe — plus hostile
//! layers made by hand.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use vedette_sbom::source::{DirSource, ImageLimits, ImageSource, Source};
use vedette_secrets::{
    ArchiveLimits, FileErrorKind, Finding, Ruleset, ScanOptions, ScanReport, Scanner, SkipReason,
};
use vedette_testkit::docker::{Container, TempImage, require_docker};

use crate::util::Rng;

fn scanner(options: ScanOptions) -> Scanner {
    Scanner::new(Ruleset::builtin().expect("rules"), options).expect("scanner")
}

/// Runs a command that must succeed.
fn run(args: &[&str], dir: Option<&Path>) -> String {
    let mut cmd = Command::new(args[0]);
    cmd.args(&args[1..]);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd.env("DOCKER_BUILDKIT", "0");
    let out = cmd.output().expect("run command");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A tar with regular files (mode 0644) and, when given, the real busybox at `/bin/busybox`.
fn rootfs_tar(files: &[(&str, &[u8])], busybox: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, *data).expect("tar entry");
    }
    if busybox {
        b.append_path_with_name("/usr/bin/busybox", "bin/busybox")
            .expect("busybox: run crates/secrets/tests/prepare.sh");
    }
    b.into_inner().expect("tar")
}

/// Findings as comparable text: file, layer, visibility, rule, line, hash.
fn summary(report: &ScanReport) -> Vec<String> {
    report
        .findings
        .iter()
        .map(|f| {
            let layer = f
                .layer
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.index, l.digest, l.visible))
                .unwrap_or_default();
            format!(
                "{} [{layer}] {} {}:{} {}",
                f.file.display(),
                f.rule_id,
                f.line,
                f.column,
                f.secret_sha256
            )
        })
        .collect()
}

fn find<'a>(report: &'a ScanReport, file: &str) -> Vec<&'a Finding> {
    report
        .findings
        .iter()
        .filter(|f| f.file == Path::new(file))
        .collect()
}

/// Nothing planted may appear in any output of the report.
fn assert_redacted(report: &ScanReport, planted: &[&str]) {
    let json = serde_json::to_string(report).expect("json");
    let debug = format!("{report:?}");
    let display: String = report
        .errors
        .iter()
        .map(|e| format!("{:?}", e.kind))
        .collect();
    for secret in planted {
        for text in [&json, &debug, &display] {
            assert!(!text.contains(secret), "a planted secret leaked");
        }
    }
}

#[test]
fn docker_image_every_layer_archive_oci_layout_and_stream() {
    require_docker();
    let mut rng = Rng::new(501);
    let kept = rng.github("ghp");
    let deleted = rng.github("ghp");
    let copied = rng.github("gho");
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let config = format!("GITHUB_TOKEN={kept}\n");
    let old = format!("# ci\nexport GITHUB_TOKEN={deleted}\n");
    std::fs::write(
        d.join("rootfs.tar"),
        rootfs_tar(
            &[
                ("app/config.env", config.as_bytes()),
                ("app/old.env", old.as_bytes()),
            ],
            true,
        ),
    )
    .expect("rootfs");
    // Removed when the test ends, passed or failed.
    let images = [TempImage::new("secrets"), TempImage::new("secrets-base")];
    let [tag, base] = images.each_ref().map(|i| i.tag().to_string());
    run(
        &[
            "docker",
            "import",
            &d.join("rootfs.tar").display().to_string(),
            &base,
        ],
        None,
    );
    std::fs::create_dir_all(d.join("ctx")).expect("ctx");
    std::fs::write(d.join("ctx/new.env"), format!("TOKEN={copied}\n")).expect("copy file");
    std::fs::write(
        d.join("ctx/Dockerfile"),
        format!(
            "FROM {base}\nRUN [\"/bin/busybox\", \"rm\", \"/app/old.env\"]\nCOPY new.env /app/new.env\n"
        ),
    )
    .expect("Dockerfile");
    run(
        &[
            "docker",
            "build",
            "--network",
            "none",
            "-q",
            "-t",
            &tag,
            ".",
        ],
        Some(&d.join("ctx")),
    );
    let archive = d.join("image.tar");
    run(
        &["docker", "save", "-o", &archive.display().to_string(), &tag],
        None,
    );

    let scanner = scanner(ScanOptions {
        threads: 2,
        ..ScanOptions::default()
    });
    let image = ImageSource::open(&archive).expect("open the docker save archive");
    let layers = image.layer_list();
    assert_eq!(layers.len(), 3, "import, RUN rm, COPY: {layers:?}");
    // Through the generic entry point: an image source is scanned layer by layer.
    let report = scanner.scan_source(&image, &|_| {});
    assert!(report.errors.is_empty(), "{:?}", report.errors);

    let in_config = find(&report, "/app/config.env");
    assert_eq!(in_config.len(), 1, "{:?}", summary(&report));
    let layer = in_config[0].layer.as_ref().expect("layer");
    assert_eq!((layer.index, layer.visible), (0, true));
    assert_eq!(Some(&layer.digest), layers[0].digest.as_ref());
    assert!(layer.digest.starts_with("sha256:"), "{}", layer.digest);

    // Deleted by `RUN rm` in layer 1, still in layer 0 of the image: reported, not visible.
    let in_old = find(&report, "/app/old.env");
    assert_eq!(in_old.len(), 1, "{:?}", summary(&report));
    assert_eq!(in_old[0].line, 2);
    let layer = in_old[0].layer.as_ref().expect("layer");
    assert_eq!((layer.index, layer.visible), (0, false));

    let in_new = find(&report, "/app/new.env");
    assert_eq!(in_new.len(), 1, "{:?}", summary(&report));
    let layer = in_new[0].layer.as_ref().expect("layer");
    assert_eq!((layer.index, layer.visible), (2, true));
    assert_eq!(Some(&layer.digest), layers[2].digest.as_ref());
    assert_eq!(report.findings.len(), 3, "{:?}", summary(&report));
    assert_redacted(&report, &[&kept, &deleted, &copied]);

    // The same image as an OCI layout directory.
    let oci = d.join("oci");
    oci_layout_from_docker_save(&archive, &oci);
    let layout = ImageSource::open(&oci).expect("open the OCI layout");
    assert!(
        layout.describe().starts_with("oci-dir:"),
        "{}",
        layout.describe()
    );
    let from_layout = scanner.scan_source(&layout, &|_| {});
    assert_eq!(summary(&from_layout), summary(&report));

    // Streamed from the Docker Engine: `docker save` to a pipe, read once.
    let mut child = Command::new("docker")
        .args(["save", &tag])
        .stdout(Stdio::piped())
        .spawn()
        .expect("docker save");
    let mut stdout = child.stdout.take().expect("stdout");
    let streamed = scanner.scan_image_stream(&mut stdout, ImageLimits::default(), &|_| {});
    assert!(child.wait().expect("wait").success());
    let streamed = streamed.expect("stream scan");
    assert!(streamed.errors.is_empty(), "{:?}", streamed.errors);
    assert_eq!(summary(&streamed), summary(&report));
    assert_redacted(&streamed, &[&kept, &deleted, &copied]);
}

#[test]
fn running_container_root_through_proc() {
    require_docker();
    let mut rng = Rng::new(502);
    let token = rng.github("ghp");
    let dir = tempfile::tempdir().expect("tempdir");
    let env = format!("GITHUB_TOKEN={token}\n");
    std::fs::write(
        dir.path().join("rootfs.tar"),
        rootfs_tar(&[("srv/app/.env", env.as_bytes())], true),
    )
    .expect("rootfs");
    // Removed when the test ends, passed or failed.
    let image = TempImage::new("secrets-root");
    let container = Container::new("secrets-root");
    let tag = image.tag().to_string();
    run(
        &[
            "docker",
            "import",
            &dir.path().join("rootfs.tar").display().to_string(),
            &tag,
        ],
        None,
    );
    let id = run(
        &[
            "docker",
            "run",
            "-d",
            "--name",
            container.name(),
            "--network",
            "none",
            &tag,
            "/bin/busybox",
            "sleep",
            "120",
        ],
        None,
    );
    let pid = run(&["docker", "inspect", "-f", "{{.State.Pid}}", &id], None);
    let root = format!("/proc/{pid}/root");
    let source = DirSource::open(&root).expect("open the container root");
    let report = scanner(ScanOptions::default()).scan_source(&source, &|_| {});
    let found = find(&report, "/srv/app/.env");
    assert_eq!(found.len(), 1, "{:?}", summary(&report));
    assert_eq!(found[0].rule_id, "github-pat-classic");
    assert!(found[0].layer.is_none());
    assert_redacted(&report, &[&token]);
}

#[test]
fn directory_source_matches_path_scan() {
    let mut rng = Rng::new(503);
    let token = rng.github("ghp");
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    crate::util::write(root, "app/.env", &format!("GITHUB_TOKEN={token}\n"));
    crate::util::write(root, "app/vendor/lib.env", &format!("T={token}\n"));
    crate::util::write(root, "big.txt", &"x".repeat(3 << 20));
    let options = ScanOptions {
        max_file_size: 1 << 20,
        exclude_paths: vec!["vendor".into()],
        ..ScanOptions::default()
    };
    let by_path = scanner(options.clone()).scan_path(root);
    let source = DirSource::open(root).expect("dir source");
    let by_source = scanner(options).scan_source(&source, &|_| {});
    let lines = |r: &ScanReport| {
        r.findings
            .iter()
            .map(|f| (f.rule_id.clone(), f.line, f.column, f.secret_sha256.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(lines(&by_source), lines(&by_path));
    assert_eq!(by_source.findings.len(), 1);
    assert_eq!(by_source.findings[0].file, Path::new("/app/.env"));
    assert_eq!(by_source.skipped.len(), 1, "{:?}", by_source.skipped);
    assert!(matches!(
        by_source.skipped[0].reason,
        SkipReason::TooLarge { limit, .. } if limit == 1 << 20
    ));
}

/// A classic `docker save` archive (`<id>/layer.tar` + `manifest.json`) of these layers.
fn docker_archive(layers: &[Vec<u8>]) -> Vec<u8> {
    let names: Vec<String> = (0..layers.len())
        .map(|i| format!("l{i}/layer.tar"))
        .collect();
    let manifest = serde_json::json!([{ "Config": "config.json", "Layers": names }]).to_string();
    let mut files: Vec<(&str, &[u8])> = vec![
        ("manifest.json", manifest.as_bytes()),
        ("config.json", b"{\"os\":\"linux\"}"),
    ];
    for (name, data) in names.iter().zip(layers) {
        files.push((name, data));
    }
    rootfs_tar(&files, false)
}

#[test]
fn secrets_in_a_zip_inside_an_image_layer() {
    let mut rng = Rng::new(504);
    let token = rng.github("ghp");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    zip.start_file("conf/app.env", zip::write::SimpleFileOptions::default())
        .expect("zip entry");
    zip.write_all(format!("GITHUB_TOKEN={token}\n").as_bytes())
        .expect("zip write");
    let zip = zip.finish().expect("zip").into_inner();
    let layer = rootfs_tar(&[("opt/app/bundle.zip", &zip)], false);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("image.tar");
    std::fs::write(&path, docker_archive(&[layer])).expect("image");
    let image = ImageSource::open(&path).expect("open");
    let report = scanner(ScanOptions {
        archives: Some(ArchiveLimits::default()),
        ..ScanOptions::default()
    })
    .scan_image(&image, &|_| {});
    let found = find(&report, "/opt/app/bundle.zip!/conf/app.env");
    assert_eq!(found.len(), 1, "{:?}", summary(&report));
    let layer = found[0].layer.as_ref().expect("layer");
    assert_eq!((layer.index, layer.visible), (0, true));
    assert_eq!(
        layer.digest, "l0/layer.tar",
        "classic archives have no digest"
    );
    assert_redacted(&report, &[&token]);
}

/// Peak resident memory of this process (nextest runs each test in its own process).
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM")
}

#[test]
fn hostile_layers_give_clear_errors_and_write_nothing() {
    let mut rng = Rng::new(505);
    let good = rng.github("ghp");
    let escaped = rng.github("ghp");
    let outside_secret = rng.github("ghp");
    let dir = tempfile::tempdir().expect("tempdir");
    // A secret outside the image that symbolic links in the image point at.
    let outside = dir.path().join("outside.env");
    std::fs::write(&outside, format!("GITHUB_TOKEN={outside_secret}\n")).expect("outside");

    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, kind: tar::EntryType, data: &[u8], link: Option<&str>| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(kind);
        if let Some(link) = link {
            h.set_link_name(link).expect("link");
        }
        // Raw names: `append_data` refuses `..`, a hostile layer does not.
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_cksum();
        b.append(&h, data).expect("entry");
    };
    let good_env = format!("GITHUB_TOKEN={good}\n");
    add(
        "app/ok.env",
        tar::EntryType::Regular,
        good_env.as_bytes(),
        None,
    );
    let escaped_env = format!("GITHUB_TOKEN={escaped}\n");
    add(
        "../../escape.env",
        tar::EntryType::Regular,
        escaped_env.as_bytes(),
        None,
    );
    let absolute = outside.display().to_string();
    add("app/abs.env", tar::EntryType::Symlink, b"", Some(&absolute));
    let relative = format!("../../../../../../..{absolute}");
    add("app/rel.env", tar::EntryType::Symlink, b"", Some(&relative));
    add("dev/sda", tar::EntryType::Block, b"", None);
    add(
        "app/huge.log",
        tar::EntryType::Regular,
        &vec![b'a'; 2 << 20],
        None,
    );
    let layer = b.into_inner().expect("layer");
    let path = dir.path().join("hostile.tar");
    std::fs::write(&path, docker_archive(&[layer])).expect("image");
    let before = listing(dir.path());

    let scanner = scanner(ScanOptions {
        max_file_size: 1 << 20,
        ..ScanOptions::default()
    });
    let image = ImageSource::open(&path).expect("a hostile layer still opens");
    let report = scanner.scan_image(&image, &|_| {});
    let files: Vec<_> = report.findings.iter().map(|f| f.file.clone()).collect();
    assert_eq!(
        files,
        vec![Path::new("/app/ok.env")],
        "only the regular file inside"
    );
    assert!(
        report.errors.iter().any(|e| matches!(&e.kind,
            FileErrorKind::Image(m) if m.contains("escape.env") && m.contains("escapes the image root"))),
        "{:?}",
        report.errors
    );
    let huge: Vec<_> = report
        .skipped
        .iter()
        .filter(|s| s.path == Path::new("/app/huge.log"))
        .collect();
    assert_eq!(huge.len(), 1, "{:?}", report.skipped);
    assert!(matches!(huge[0].reason, SkipReason::TooLarge { size, .. } if size == 2 << 20));
    assert_eq!(huge[0].layer.as_ref().map(|l| l.index), Some(0));
    assert_redacted(&report, &[&good, &escaped, &outside_secret]);

    // The same from a stream.
    let mut reader = std::fs::File::open(&path).expect("open");
    let streamed = scanner
        .scan_image_stream(&mut reader, ImageLimits::default(), &|_| {})
        .expect("stream");
    assert_eq!(summary(&streamed), summary(&report));
    assert_eq!(streamed.skipped, report.skipped);
    assert_eq!(listing(dir.path()), before, "nothing written");

    // A decompression bomb: 256 MiB of zeros in a ~256 KB gzip layer, 16 MiB allowed.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let zeros = vec![0u8; 1 << 20];
    let mut h = tar::Header::new_gnu();
    h.set_size(256 << 20);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_path("zeros").expect("path");
    h.set_cksum();
    gz.write_all(h.as_bytes()).expect("gzip");
    for _ in 0..256 {
        gz.write_all(&zeros).expect("gzip");
    }
    let bomb_layer = gz.finish().expect("gzip");
    assert!(bomb_layer.len() < 2 << 20);
    let bomb_path = dir.path().join("bomb.tar");
    std::fs::write(&bomb_path, docker_archive(&[bomb_layer])).expect("bomb image");
    let limits = ImageLimits {
        max_layer_bytes: 16 << 20,
        ..ImageLimits::default()
    };
    let err = ImageSource::open_with(&bomb_path, limits)
        .err()
        .expect("the bomb is refused");
    assert!(
        err.to_string().contains("l0/layer.tar") && err.to_string().contains("size limit"),
        "{err}"
    );
    let mut reader = std::fs::File::open(&bomb_path).expect("open");
    let err = scanner
        .scan_image_stream(&mut reader, limits, &|_| {})
        .expect_err("the bomb is refused while streaming");
    assert!(err.to_string().contains("size limit"), "{err}");
    assert!(
        peak_rss_bytes() < 200 << 20,
        "peak RSS {} MB",
        peak_rss_bytes() >> 20
    );
}

/// Every path under `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = entry.path();
            out.push(p.display().to_string());
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Writes the image of a `docker save` archive as an OCI image layout in `out` (what
/// `docker save` of Docker ≥ 25, `skopeo` or `buildah` write): layers, config and manifest as
/// `blobs/sha256/<hex>`, `index.json`, `oci-layout`. The Docker Engine of the test machine may be
/// older and write the classic layout only.
pub fn oci_layout_from_docker_save(archive: &Path, out: &Path) {
    use sha2::Digest;
    let unpacked = out.with_extension("unpacked");
    tar::Archive::new(std::fs::File::open(archive).expect("archive"))
        .unpack(&unpacked)
        .expect("unpack");
    let read = |name: &str| std::fs::read(unpacked.join(name)).expect("read from the archive");
    let manifest: serde_json::Value =
        serde_json::from_slice(&read("manifest.json")).expect("manifest.json");
    let blobs = out.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("blobs dir");
    let put = |bytes: &[u8]| {
        let hex = hex::encode(sha2::Sha256::digest(bytes));
        std::fs::write(blobs.join(&hex), bytes).expect("write blob");
        (format!("sha256:{hex}"), bytes.len())
    };
    let (config, config_size) = put(&read(manifest[0]["Config"].as_str().expect("Config")));
    let layers: Vec<serde_json::Value> = manifest[0]["Layers"]
        .as_array()
        .expect("Layers")
        .iter()
        .map(|l| {
            let (digest, size) = put(&read(l.as_str().expect("layer name")));
            serde_json::json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": digest,
                "size": size
            })
        })
        .collect();
    let image_manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config,
            "size": config_size
        },
        "layers": layers
    })
    .to_string();
    let (digest, size) = put(image_manifest.as_bytes());
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": size,
            "platform": { "os": "linux", "architecture": "amd64" }
        }]
    });
    std::fs::write(out.join("index.json"), index.to_string()).expect("index.json");
    std::fs::write(out.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("oci-layout");
    std::fs::remove_dir_all(&unpacked).expect("clean up");
}
