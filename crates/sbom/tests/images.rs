//! Image sources: `docker save` archives (classic and OCI-style) and OCI
//! layouts, built here from real files, with whiteouts, opaque
//! directories, compression, and hostile layers.

use std::io::{Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};
use vedette_sbom::source::{ImageLimits, ImageSource, Source};

use crate::util::{TestResult, fixture};

/// One layer entry.
enum E<'a> {
    File(&'a str, Vec<u8>),
    Link(&'a str, &'a str),
    Dir(&'a str),
    Fifo(&'a str),
    /// A raw header name (for traversal attempts).
    RawFile(&'a str, Vec<u8>),
}

fn layer(entries: &[E<'_>]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o644);
        match e {
            E::File(path, data) => {
                h.set_size(data.len() as u64);
                b.append_data(&mut h, path, &data[..])?;
            }
            E::Link(path, target) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                b.append_link(&mut h, path, target)?;
            }
            E::Dir(path) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                b.append_data(&mut h, path, &[][..])?;
            }
            E::Fifo(path) => {
                h.set_entry_type(tar::EntryType::Fifo);
                h.set_size(0);
                b.append_data(&mut h, path, &[][..])?;
            }
            E::RawFile(name, data) => {
                // Write the name bytes directly: the builder refuses `..`.
                h.set_size(data.len() as u64);
                h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
                h.set_cksum();
                b.append(&h, &data[..])?;
            }
        }
    }
    Ok(b.into_inner()?)
}

fn gzip(data: &[u8]) -> Result<Vec<u8>, Box<dyn std::error::Error>> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data)?;
    Ok(enc.finish()?)
}

fn sha(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A classic `docker save` archive: `<id>/layer.tar` + `manifest.json`.
fn docker_archive(path: &Path, layers: &[Vec<u8>]) -> Result<(), Box<dyn std::error::Error>> {
    let mut b = tar::Builder::new(std::fs::File::create(path)?);
    let mut names = Vec::new();
    for l in layers {
        let name = format!("{}/layer.tar", sha(l));
        let mut h = tar::Header::new_gnu();
        h.set_size(l.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, &name, &l[..])?;
        names.push(name);
    }
    let manifest = serde_json::json!([{"Config": "config.json", "RepoTags": ["vedette/test:1"], "Layers": names}]).to_string();
    let mut h = tar::Header::new_gnu();
    h.set_size(manifest.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, "manifest.json", manifest.as_bytes())?;
    b.finish()?;
    Ok(())
}

/// An OCI image layout directory with gzip layers and a multi-platform
/// index pointing at the manifest.
fn oci_dir(dir: &Path, layers: &[Vec<u8>]) -> Result<(), Box<dyn std::error::Error>> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs)?;
    let put = |data: &[u8]| -> Result<String, std::io::Error> {
        let digest = sha(data);
        std::fs::write(blobs.join(&digest), data)?;
        Ok(format!("sha256:{digest}"))
    };
    let mut descriptors = Vec::new();
    for l in layers {
        let gz = gzip(l)?;
        descriptors.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(&gz)?, "size": gz.len()}));
    }
    let config = put(b"{}")?;
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2}, "layers": descriptors}).to_string();
    let manifest_digest = put(manifest.as_bytes())?;
    let arm = put(br#"{"schemaVersion":2,"layers":[]}"#)?;
    let nested = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": arm, "size": 1, "platform": {"os": "linux", "architecture": "arm64"}},
        {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": manifest_digest, "size": manifest.len(), "platform": {"os": "linux", "architecture": "amd64"}}]}).to_string();
    let nested_digest = put(nested.as_bytes())?;
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": nested_digest, "size": nested.len()}]});
    std::fs::write(dir.join("index.json"), index.to_string())?;
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#)?;
    Ok(())
}

/// Three layers of real files: a base with this machine's os-release and
/// dpkg status, Debian's log4j-core jar and pip-installed Python packages;
/// an upper layer deleting the jar (whiteout), emptying site-packages
/// (opaque directory) and adding one Python package back.
fn real_layers() -> Result<Vec<Vec<u8>>, Box<dyn std::error::Error>> {
    let jar = std::fs::read_dir("/usr/share/java")?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("log4j-core-"))
        })
        .ok_or("no log4j-core jar: run crates/sbom/tests/prepare.sh")?;
    let six = fixture("python/six-1.16.0.dist-info/METADATA");
    let requests = fixture("python/requests-2.31.0.dist-info/METADATA");
    let base = layer(&[
        E::Dir("etc/"),
        E::File("usr/lib/os-release", std::fs::read("/etc/os-release")?),
        E::Link("etc/os-release", "../usr/lib/os-release"),
        E::File(
            "var/lib/dpkg/status",
            std::fs::read("/var/lib/dpkg/status")?,
        ),
        E::File("usr/share/java/log4j-core.jar", std::fs::read(&jar)?),
        E::File(
            "usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA",
            std::fs::read(&six)?,
        ),
        E::Fifo("run/initctl"),
    ])?;
    let app = layer(&[
        E::File(
            "app/requests-2.31.0.dist-info/METADATA",
            std::fs::read(&requests)?,
        ),
        E::File("opt/tool/lib/kept.jar", std::fs::read(&jar)?),
    ])?;
    let upper = layer(&[
        E::File("usr/share/java/.wh.log4j-core.jar", Vec::new()),
        E::File("usr/lib/python3/site-packages/.wh..wh..opq", Vec::new()),
        E::File(
            "usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA",
            std::fs::read(&requests)?,
        ),
        E::File("app/.wh.requests-2.31.0.dist-info", Vec::new()),
    ])?;
    Ok(vec![base, app, upper])
}

fn check_flattened(source: &ImageSource) -> TestResult {
    let sbom = vedette_sbom::catalog(source)?;
    let distro = sbom
        .distro
        .as_ref()
        .ok_or("os-release not found through its symlink")?;
    assert_eq!(
        distro.id,
        vedette_sbom::cataloger::os_release::parse(&std::fs::read_to_string("/etc/os-release")?)
            .map(|d| d.id)
            .unwrap_or_default()
    );
    let find = |name: &str| {
        sbom.packages
            .iter()
            .filter(|p| p.name == name)
            .collect::<Vec<_>>()
    };
    assert!(
        !find("bash").is_empty(),
        "dpkg packages from the base layer"
    );
    let log4j = find("org.apache.logging.log4j:log4j-core");
    assert_eq!(log4j.len(), 1, "{log4j:?}");
    assert_eq!(
        log4j[0].locations,
        ["/opt/tool/lib/kept.jar"],
        "the whited-out jar is gone, the other stays"
    );
    assert!(
        find("six").is_empty(),
        "six was hidden by the opaque directory"
    );
    let requests = find("requests");
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].locations,
        ["/usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA"]
    );
    assert!(sbom.diagnostics.is_empty(), "{:?}", sbom.diagnostics);
    Ok(())
}

/// The same checks on an SBOM made from a one-pass stream.
fn check_streamed(archive: &Path) -> TestResult {
    let mut file = std::fs::File::open(archive)?;
    // Through a pipe-like reader: no seeking possible.
    let mut reader = std::io::BufReader::new(&mut file).take(u64::MAX);
    let sbom = vedette_sbom::catalog_image_stream(&mut reader, "stream", ImageLimits::default())?;
    let from_file = vedette_sbom::catalog(&ImageSource::open(archive)?)?;
    assert_eq!(sbom.packages, from_file.packages);
    assert_eq!(sbom.distro, from_file.distro);
    assert!(sbom.diagnostics.is_empty(), "{:?}", sbom.diagnostics);
    Ok(())
}

/// Packs an OCI layout directory into a tar (as `docker save` of Docker ≥ 25
/// or `skopeo copy oci-archive:` write it).
fn tar_dir(dir: &Path, out: &Path) -> TestResult {
    let mut b = tar::Builder::new(std::fs::File::create(out)?);
    b.append_dir_all(".", dir)?;
    b.finish()?;
    Ok(())
}

#[test]
fn docker_save_archive_is_flattened_with_whiteouts() -> TestResult {
    let dir = tempfile::tempdir()?;
    let archive = dir.path().join("image.tar");
    docker_archive(&archive, &real_layers()?)?;
    let source = ImageSource::open(&archive)?;
    assert!(source.describe().starts_with("docker-archive:"));
    assert_eq!(source.layers().len(), 3);
    check_flattened(&source)?;
    check_streamed(&archive)?;
    assert_eq!(
        source.read_link("/etc/os-release")?,
        "../usr/lib/os-release"
    );
    Ok(())
}

#[test]
fn oci_layout_with_gzip_layers_and_nested_index() -> TestResult {
    let dir = tempfile::tempdir()?;
    oci_dir(dir.path(), &real_layers()?)?;
    let source = ImageSource::open(dir.path())?;
    assert!(source.describe().starts_with("oci-dir:"));
    check_flattened(&source)?;
    // The same layout packed in a tar, opened and streamed.
    let packed = tempfile::tempdir()?;
    let archive = packed.path().join("oci.tar");
    tar_dir(dir.path(), &archive)?;
    let source = ImageSource::open(&archive)?;
    assert!(source.describe().starts_with("oci-archive:"));
    check_flattened(&source)?;
    check_streamed(&archive)
}

#[test]
fn hostile_layers_are_contained() -> TestResult {
    let dir = tempfile::tempdir()?;
    let evil = layer(&[
        E::RawFile("../../outside/status", b"x".to_vec()),
        E::Link("etc/os-release", "/../../../../etc/hostname"),
        E::Link("loop1", "loop2"),
        E::Link("loop2", "loop1"),
        E::File("ok.txt", b"fine".to_vec()),
    ])?;
    let archive = dir.path().join("evil.tar");
    docker_archive(&archive, &[evil])?;
    let source = ImageSource::open(&archive)?;
    let files: Vec<&str> = source.files().collect();
    assert_eq!(files, ["/ok.txt"], "the traversal entry is not in the view");
    // The absolute link resolves inside the image, where nothing is.
    assert!(source.read_file("/etc/os-release", 1024).is_err());
    assert!(
        source.read_file("/loop1", 1024).is_err(),
        "symlink loops end"
    );
    assert_eq!(source.read_file("/ok.txt", 1024)?, b"fine");
    let sbom = vedette_sbom::catalog(&source)?;
    assert!(
        sbom.diagnostics
            .iter()
            .any(|d| d.message.contains("escapes the image root")),
        "{:?}",
        sbom.diagnostics
    );
    // The one-pass stream reports the same entry and keeps only ok.txt.
    let streamed = vedette_sbom::catalog_image_stream(
        &mut std::fs::File::open(&archive)?,
        "evil",
        ImageLimits::default(),
    )?;
    assert!(
        streamed
            .diagnostics
            .iter()
            .any(|d| d.message.contains("escapes the image root"))
    );
    assert!(streamed.distro.is_none());
    // Nothing was written next to the archive.
    let listing: Vec<_> = std::fs::read_dir(dir.path())?
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(listing.len(), 1);
    Ok(())
}

#[test]
fn decompression_bombs_hit_the_layer_limit() -> TestResult {
    let dir = tempfile::tempdir()?;
    // 256 MiB of zeros inside one layer, compressed to a few hundred KiB.
    let big = layer(&[E::File("var/lib/dpkg/status", vec![0u8; 256 << 20])])?;
    let compressed = gzip(&big)?;
    drop(big);
    assert!(compressed.len() < 2 << 20);
    let archive = dir.path().join("bomb.tar");
    docker_archive(&archive, &[compressed])?;
    let limits = ImageLimits {
        max_layer_bytes: 64 << 20,
        ..ImageLimits::default()
    };
    match ImageSource::open_with(&archive, limits) {
        Err(e) => assert!(e.to_string().contains("size limit"), "{e}"),
        Ok(_) => panic!("a 256 MiB layer passed a 64 MiB limit"),
    }
    match vedette_sbom::catalog_image_stream(&mut std::fs::File::open(&archive)?, "bomb", limits) {
        Err(e) => assert!(e.to_string().contains("size limit"), "{e}"),
        Ok(_) => panic!("a streamed 256 MiB layer passed a 64 MiB limit"),
    }
    Ok(())
}

#[test]
fn not_an_image() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("x.tar");
    std::fs::write(&path, layer(&[E::File("hello", b"x".to_vec())])?)?;
    assert!(ImageSource::open(&path).is_err());
    std::fs::write(&path, b"garbage that is not tar at all")?;
    assert!(ImageSource::open(&path).is_err());
    Ok(())
}
