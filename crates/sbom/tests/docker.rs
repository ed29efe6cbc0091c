//! A real image: a root filesystem made of this machine's files imported
//! with `docker import`, a second layer built by `docker build` (a `RUN`
//! deleting a file, so a whiteout, and a `COPY`), exported with
//! `docker save`, then cataloged.

use std::path::Path;
use std::process::Command;

use vedette_sbom::source::{ImageSource, Source};
use vedette_testkit::docker::{TempImage, require_docker};

use crate::util::{TestResult, fixture, run};

/// A root filesystem tarball from real files of this machine.
fn rootfs(path: &Path) -> TestResult {
    let jar = std::fs::read_dir("/usr/share/java")?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("log4j-core-"))
        })
        .ok_or("no log4j-core jar: run crates/sbom/tests/prepare.sh")?;
    let mut b = tar::Builder::new(std::fs::File::create(path)?);
    for (inside, from) in [
        ("etc/os-release", Path::new("/etc/os-release")),
        ("var/lib/dpkg/status", Path::new("/var/lib/dpkg/status")),
        ("usr/share/java/log4j-core.jar", jar.as_path()),
        ("bin/busybox", Path::new("/usr/bin/busybox")),
    ] {
        b.append_path_with_name(from, inside)?;
    }
    b.finish()?;
    Ok(())
}

#[test]
fn docker_import_build_and_save() -> TestResult {
    require_docker();
    let dir = tempfile::tempdir()?;
    let d = dir.path();
    rootfs(&d.join("rootfs.tar"))?;
    // Removed when the test ends, passed or failed.
    let images = [
        TempImage::new("sbom"),
        TempImage::new("sbom-base"),
        TempImage::new("sbom-stream"),
    ];
    let [tag, base, base_again] = images.each_ref().map(|i| i.tag().to_string());
    run(
        "docker",
        &["import", &d.join("rootfs.tar").display().to_string(), &base],
        None,
    );
    std::fs::create_dir_all(d.join("ctx"))?;
    std::fs::copy(
        fixture("python/six-1.16.0.dist-info/METADATA"),
        d.join("ctx/METADATA"),
    )?;
    std::fs::write(
        d.join("ctx/Dockerfile"),
        format!(
            "FROM {base}\nRUN [\"/bin/busybox\", \"rm\", \"/usr/share/java/log4j-core.jar\"]\nCOPY METADATA /usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA\n"
        ),
    )?;
    let build = Command::new("docker")
        .args(["build", "--network", "none", "-q", "-t", &tag, "."])
        .current_dir(d.join("ctx"))
        .env("DOCKER_BUILDKIT", "0")
        .output()?;
    let archive = d.join("image.tar");
    let saved = build.status.success().then(|| {
        run(
            "docker",
            &["save", "-o", &archive.display().to_string(), &tag],
            None,
        )
    });
    assert!(
        saved.is_some(),
        "docker build failed: {}",
        String::from_utf8_lossy(&build.stderr)
    );

    let source = ImageSource::open(&archive)?;
    assert!(source.describe().starts_with("docker-archive:"));
    assert!(source.layers().len() >= 3, "{:?}", source.layers());
    let sbom = vedette_sbom::catalog(&source)?;
    assert_eq!(sbom.distro.as_ref().map(|d| d.id.as_str()), Some("debian"));
    let names: Vec<&str> = sbom.packages.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"bash") && names.contains(&"libc6"),
        "dpkg packages from the imported layer"
    );
    assert!(names.contains(&"six"), "the COPY layer");
    assert!(
        !names.contains(&"org.apache.logging.log4j:log4j-core"),
        "the jar deleted by RUN (a whiteout) is gone"
    );
    assert!(sbom.diagnostics.is_empty(), "{:?}", sbom.diagnostics);

    // Streamed straight from the Docker Engine: `docker save` to a pipe.
    run(
        "docker",
        &[
            "import",
            &d.join("rootfs.tar").display().to_string(),
            &base_again,
        ],
        None,
    );
    let mut child = Command::new("docker")
        .args(["save", &base_again])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let streamed = vedette_sbom::catalog_image_stream(&mut stdout, &base_again, Default::default());
    let status = child.wait()?;
    assert!(status.success());
    let streamed = streamed?;
    let names: Vec<&str> = streamed.packages.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"bash") && names.contains(&"org.apache.logging.log4j:log4j-core"),
        "{names:?}"
    );
    assert_eq!(
        streamed.distro.as_ref().map(|d| d.id.as_str()),
        Some("debian")
    );
    Ok(())
}
