//! What a scan reads: a directory tree, an image archive or OCI layout on
//! disk, or an image of the Docker Engine streamed over its unix socket
//! (`GET /images/{name}/get`) straight into the one-pass cataloger — never
//! extracted to disk.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use futures_util::TryStreamExt;
use tokio_util::io::{StreamReader, SyncIoBridge};
use vedette_sbom::Sbom;
use vedette_sbom::source::{DirSource, ImageLimits, ImageSource};
use vedette_sensor::collect::docker::{self, bollard};

/// Seconds the Docker Engine has to start answering a request (the image
/// stream itself is not timed: a large image takes as long as it takes).
const ENGINE_TIMEOUT_SECS: u64 = 120;

/// A resolved scan target.
#[derive(Debug, Clone)]
pub enum Target {
    /// A directory tree: a host root, a mounted filesystem, `/proc/<pid>/root`.
    Dir(PathBuf),
    /// A `docker save` archive or an OCI layout (directory or tar).
    Image(PathBuf),
    /// An image of the Docker Engine, by name or id.
    Engine(String),
}

impl Target {
    /// What `scan image ARG` means: an existing file is an archive, an
    /// existing directory an OCI layout, anything else an Engine image.
    pub fn image(arg: &str) -> anyhow::Result<Target> {
        let path = Path::new(arg);
        if path.is_dir() {
            if !path.join("index.json").is_file() {
                bail!(
                    "{arg} is a directory but not an OCI image layout (no index.json); \
                     to scan a directory tree use `vedette scan fs {arg}`"
                );
            }
            return Ok(Target::Image(path.to_path_buf()));
        }
        if path.is_file() {
            return Ok(Target::Image(path.to_path_buf()));
        }
        if let Some(name) = arg.strip_prefix("docker:") {
            return Ok(Target::Engine(name.to_string()));
        }
        Ok(Target::Engine(arg.to_string()))
    }

    /// What `scan fs ARG` means: a directory.
    pub fn dir(arg: &Path) -> anyhow::Result<Target> {
        if !arg.is_dir() {
            bail!(
                "{} is not a directory (image archives and OCI layouts: `vedette scan image {}`)",
                arg.display(),
                arg.display()
            );
        }
        Ok(Target::Dir(arg.to_path_buf()))
    }

    /// What `vedette sbom ARG` means: `fs:PATH`, `docker:NAME` and
    /// `image:PATH` force a kind; otherwise a directory with an OCI
    /// `index.json` is an image, any other directory a tree, a file an image
    /// archive, anything else an Engine image.
    pub fn any(arg: &str) -> anyhow::Result<Target> {
        if let Some(path) = arg.strip_prefix("fs:") {
            return Target::dir(Path::new(path));
        }
        if let Some(path) = arg.strip_prefix("image:") {
            return Target::image(path);
        }
        let path = Path::new(arg);
        if path.is_dir() && !path.join("index.json").is_file() {
            return Ok(Target::Dir(path.to_path_buf()));
        }
        Target::image(arg)
    }

    /// What `scan secrets ARG` and `scan malware ARG` mean: the rules of
    /// [`Target::any`], except that `fs:PATH` may name a file and a file is an
    /// image only when it opens as one (a `docker save` archive or an OCI
    /// layout tar) — any other file is scanned as it is.
    pub fn files(arg: &str) -> anyhow::Result<Target> {
        if let Some(path) = arg.strip_prefix("fs:") {
            let path = Path::new(path);
            if !path.exists() {
                bail!("{} does not exist", path.display());
            }
            return Ok(Target::Dir(path.to_path_buf()));
        }
        let path = Path::new(arg);
        if path.is_file() && ImageSource::open(path).is_err() {
            return Ok(Target::Dir(path.to_path_buf()));
        }
        Target::any(arg)
    }

    /// How reports name it: `dir:PATH`, `image:PATH` or `docker:NAME`.
    pub fn label(&self) -> String {
        match self {
            Target::Dir(path) => format!("dir:{}", path.display()),
            Target::Image(path) => format!("image:{}", path.display()),
            Target::Engine(name) => format!("docker:{name}"),
        }
    }

    /// How progress messages name it.
    pub fn describe(&self) -> String {
        match self {
            Target::Dir(path) | Target::Image(path) => path.display().to_string(),
            Target::Engine(name) => format!("{name} (Docker Engine)"),
        }
    }
}

/// Catalogs the packages of `target`.
pub async fn catalog(target: &Target, socket: &Path) -> anyhow::Result<Sbom> {
    match target {
        Target::Dir(path) => {
            let path = path.clone();
            blocking(move || {
                let source = DirSource::open(&path)
                    .with_context(|| format!("cannot open {}", path.display()))?;
                vedette_sbom::catalog(&source)
                    .with_context(|| format!("cannot catalog {}", path.display()))
            })
            .await
        }
        Target::Image(path) => {
            let path = path.clone();
            blocking(move || {
                let source = ImageSource::open(&path)
                    .with_context(|| format!("cannot read image {}", path.display()))?;
                vedette_sbom::catalog(&source)
                    .with_context(|| format!("cannot catalog image {}", path.display()))
            })
            .await
        }
        Target::Engine(name) => catalog_engine(name, socket).await,
    }
}

/// Runs blocking work off the async runtime's workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| anyhow!("scan task failed: {e}"))?
}

/// Connects to the Engine and checks the image exists, with errors that say
/// what to do.
pub async fn engine_image(name: &str, socket: &Path) -> anyhow::Result<bollard::Docker> {
    if !socket.exists() {
        bail!(
            "{name} is not a file or directory, and there is no Docker Engine socket at {} \
             (start Docker, set --docker-socket, or give an image archive: `docker save {name} -o image.tar`)",
            socket.display()
        );
    }
    let engine = docker::connect(socket, ENGINE_TIMEOUT_SECS)
        .await
        .with_context(|| format!("cannot talk to the Docker Engine at {}", socket.display()))?;
    match engine.inspect_image(name).await {
        Ok(_) => Ok(engine),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => bail!(
            "image {name} is not in the Docker Engine at {} (pull or build it first), \
             and no file or directory has that name",
            socket.display()
        ),
        Err(e) => Err(anyhow!(e).context(format!("cannot inspect image {name}"))),
    }
}

/// `docker save NAME` from the Engine as a blocking reader, for one-pass
/// readers running under `spawn_blocking` (it must be created inside the
/// runtime, and must not be read on one of its workers).
pub async fn engine_stream(
    name: &str,
    socket: &Path,
) -> anyhow::Result<impl std::io::Read + Send + 'static> {
    let engine = engine_image(name, socket).await?;
    let stream = engine.export_image(name).map_err(std::io::Error::other);
    Ok(SyncIoBridge::new(StreamReader::new(stream)))
}

/// Streams `docker save NAME` from the Engine into the one-pass cataloger.
async fn catalog_engine(name: &str, socket: &Path) -> anyhow::Result<Sbom> {
    let mut reader = engine_stream(name, socket).await?;
    let description = format!("docker:{name}");
    let what = name.to_string();
    blocking(move || {
        vedette_sbom::catalog_image_stream(&mut reader, &description, ImageLimits::default())
            .with_context(|| format!("cannot catalog image {what} streamed from the Docker Engine"))
    })
    .await
}
