//! The real Docker Engine for tests, through the `docker` CLI.
//!
//! Images that several tests share are [`CachedImage`]s: the tag is a hash of
//! the build context, so two tests (or two versions of the code) can never
//! disagree about what one tag holds, and an image left by an earlier run is
//! reused only when it is exactly the one wanted. What a single test creates
//! ([`Container`], [`Network`], [`TempImage`]) has a name unique to its
//! process and call and is removed on drop.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::process::Command;
use std::sync::Once;

use sha2::{Digest, Sha256};

use crate::{PREFIX, owner_gone, unique_name, unique_token};

/// Runs the docker CLI; panics with its error output when it fails.
pub fn docker(args: &[&str]) -> String {
    let output = Command::new("docker")
        .args(args)
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("docker CLI: run the crate's tests/prepare.sh");
    assert!(
        output.status.success(),
        "docker {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Runs the docker CLI, ignoring failures (clean-up).
fn docker_quiet(args: &[&str]) -> Option<String> {
    let output = Command::new("docker").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// An object's attribute through `docker inspect --format`.
pub fn inspect(object: &str, format: &str) -> String {
    docker(&["inspect", "--format", format, object])
}

/// Fails clearly when the Docker daemon does not answer.
pub fn require_docker() {
    let running = Command::new("docker")
        .arg("info")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        running,
        "the Docker daemon is not reachable: run the crate's tests/prepare.sh \
         (installs docker.io, starts dockerd; scripts/test.sh runs them all)"
    );
}

/// Removes, once per test process, the containers, networks and temporary
/// images of test processes that are gone (killed before their drop guards
/// ran). Objects of live test processes, and anything not named by this
/// crate, are left alone.
fn remove_leftovers() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        require_docker();
        let gone = |name: &str| {
            name.strip_prefix(PREFIX)
                .is_some_and(|token| owner_gone(token, '-'))
        };
        let list = |args: &[&str]| -> Vec<String> {
            docker_quiet(args)
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect()
        };
        for name in list(&[
            "ps",
            "-a",
            "--filter",
            &format!("name={PREFIX}"),
            "--format",
            "{{.Names}}",
        ]) {
            if gone(&name) {
                docker_quiet(&["rm", "-f", "-v", &name]);
            }
        }
        for name in list(&[
            "network",
            "ls",
            "--filter",
            &format!("name={PREFIX}"),
            "--format",
            "{{.Name}}",
        ]) {
            if gone(&name) {
                docker_quiet(&["network", "rm", &name]);
            }
        }
        let images = list(&[
            "images",
            "--filter",
            &format!("reference={PREFIX}*"),
            "--format",
            "{{.Repository}}:{{.Tag}}",
        ]);
        for image in images {
            if image
                .split_once(':')
                .is_some_and(|(_, tag)| owner_gone(tag, '-'))
            {
                docker_quiet(&["rmi", "-f", &image]);
            }
        }
    });
}

/// A container name for one test, removed (`docker rm -f -v`) on drop, also
/// when the test panics. Create the guard first, then `docker run --name`:
/// a container is removed even when the run itself fails half-way.
#[derive(Debug)]
pub struct Container {
    name: String,
}

impl Container {
    /// A new name, `vedette-test-<pid>-<start>-<n>-<what>`.
    pub fn new(what: &str) -> Container {
        remove_leftovers();
        Container {
            name: unique_name(what),
        }
    }

    /// Guards a name the caller made from [`crate::unique_name`] (e.g. that
    /// name plus a role), so that it is recognised as a leftover later.
    pub fn named(name: impl Into<String>) -> Container {
        remove_leftovers();
        Container { name: name.into() }
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        docker_quiet(&["rm", "-f", "-v", &self.name]);
    }
}

/// A user-defined bridge network for one test, created now and removed on
/// drop. Declare it before the [`Container`]s attached to it: locals drop in
/// reverse order, so the containers go first and the network is free.
#[derive(Debug)]
pub struct Network {
    name: String,
}

impl Network {
    /// Creates `vedette-test-<pid>-<start>-<n>-<what>`.
    pub fn create(what: &str) -> Network {
        remove_leftovers();
        let network = Network {
            name: unique_name(what),
        };
        docker(&["network", "create", &network.name]);
        network
    }

    /// The network's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Network {
    fn drop(&mut self) {
        docker_quiet(&["network", "rm", &self.name]);
    }
}

/// A tag for an image one test builds (its content is the subject of the
/// test), `vedette-test-<purpose>:<pid>-<start>-<n>`, removed on drop.
#[derive(Debug)]
pub struct TempImage {
    tag: String,
}

impl TempImage {
    /// A new tag; nothing is built.
    pub fn new(purpose: &str) -> TempImage {
        remove_leftovers();
        TempImage {
            tag: format!("{PREFIX}{purpose}:{}", unique_token()),
        }
    }

    /// The image's tag.
    pub fn tag(&self) -> &str {
        &self.tag
    }
}

impl Drop for TempImage {
    fn drop(&mut self) {
        docker_quiet(&["rmi", "-f", &self.tag]);
    }
}

/// One entry of an image's file tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File { data: Vec<u8>, mode: u32 },
    Symlink(String),
    Dir { mode: u32 },
}

/// Bump when the way images are built changes, so that old tags are not reused.
const BUILDER_VERSION: &str = "vedette-testkit image v1";

/// A Docker image named by a hash of its build context: its files (paths,
/// modes, contents, link targets) and, when it has one, its Dockerfile.
/// Without a Dockerfile the files are imported as one layer
/// (`docker import`); with one, they are the context of `docker build`
/// (`FROM` another cached image's tag makes the hash cover that image too).
#[derive(Debug, Clone)]
pub struct CachedImage {
    purpose: String,
    entries: BTreeMap<String, Entry>,
    dockerfile: Option<String>,
}

impl CachedImage {
    /// An empty image for `purpose` (lowercase letters, digits and `-`).
    pub fn new(purpose: &str) -> CachedImage {
        assert!(
            !purpose.is_empty()
                && purpose
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "image purpose {purpose:?}: lowercase letters, digits and '-' only"
        );
        CachedImage {
            purpose: purpose.to_string(),
            entries: BTreeMap::new(),
            dockerfile: None,
        }
    }

    /// A regular file at `path` (relative, e.g. `bin/busybox`).
    pub fn file(mut self, path: &str, data: impl Into<Vec<u8>>, mode: u32) -> CachedImage {
        self.entries.insert(
            clean(path),
            Entry::File {
                data: data.into(),
                mode,
            },
        );
        self
    }

    /// A regular file at `path` with the contents of `from` on this machine.
    pub fn copy(self, path: &str, from: &Path, mode: u32) -> CachedImage {
        let data = std::fs::read(from)
            .unwrap_or_else(|e| panic!("cannot read {} for the test image: {e}", from.display()));
        self.file(path, data, mode)
    }

    /// A symbolic link at `path` pointing to `target`.
    pub fn symlink(mut self, path: &str, target: &str) -> CachedImage {
        self.entries
            .insert(clean(path), Entry::Symlink(target.to_string()));
        self
    }

    /// A directory at `path`.
    pub fn dir(mut self, path: &str, mode: u32) -> CachedImage {
        self.entries.insert(clean(path), Entry::Dir { mode });
        self
    }

    /// Builds with this Dockerfile, the files being its context.
    pub fn dockerfile(mut self, text: &str) -> CachedImage {
        self.dockerfile = Some(text.to_string());
        self
    }

    /// `vedette-test-<purpose>:<first 12 hex digits of the context's SHA-256>`.
    pub fn tag(&self) -> String {
        let mut hash = Sha256::new();
        let mut field = |bytes: &[u8]| {
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        field(BUILDER_VERSION.as_bytes());
        field(self.dockerfile.as_deref().unwrap_or("").as_bytes());
        for (path, entry) in &self.entries {
            field(path.as_bytes());
            match entry {
                Entry::File { data, mode } => {
                    field(b"file");
                    field(&mode.to_le_bytes());
                    field(data);
                }
                Entry::Symlink(target) => {
                    field(b"symlink");
                    field(target.as_bytes());
                }
                Entry::Dir { mode } => {
                    field(b"dir");
                    field(&mode.to_le_bytes());
                }
            }
        }
        let digest = hex::encode(hash.finalize());
        format!("{PREFIX}{}:{}", self.purpose, &digest[..12])
    }

    /// The image's tag, built first if the Engine does not have that exact
    /// tag. Test processes building the same image at once wait for each
    /// other (a file lock per tag); the tag appears only once the build has
    /// succeeded, so a half-built image is never seen.
    pub fn build(&self) -> String {
        require_docker();
        let tag = self.tag();
        let present =
            |tag: &str| docker_quiet(&["image", "inspect", "--format", "{{.Id}}", tag]).is_some();
        if present(&tag) {
            return tag;
        }
        let locks = std::env::temp_dir().join("vedette-testkit-locks");
        std::fs::create_dir_all(&locks).expect("lock directory");
        let lock = File::create(locks.join(tag.replace([':', '/'], "_"))).expect("lock file");
        lock.lock().expect("lock the image build");
        if !present(&tag) {
            self.build_now(&tag);
        }
        tag
    }

    fn build_now(&self, tag: &str) {
        let dir = tempfile::tempdir().expect("temp dir");
        match &self.dockerfile {
            None => {
                let archive = dir.path().join("rootfs.tar");
                self.write_tar(&archive);
                docker(&["import", &archive.display().to_string(), tag]);
            }
            Some(dockerfile) => {
                let context = dir.path().join("context");
                self.write_tree(&context);
                std::fs::write(context.join("Dockerfile"), dockerfile).expect("Dockerfile");
                docker(&[
                    "build",
                    "--network",
                    "none",
                    "-q",
                    "-t",
                    tag,
                    &context.display().to_string(),
                ]);
            }
        }
    }

    /// The entries as a tar (owner root, fixed times).
    fn write_tar(&self, path: &Path) {
        let mut tar = tar::Builder::new(File::create(path).expect("tar file"));
        for (name, entry) in &self.entries {
            let mut header = tar::Header::new_gnu();
            header.set_uid(0);
            header.set_gid(0);
            header.set_mtime(0);
            match entry {
                Entry::File { data, mode } => {
                    header.set_entry_type(tar::EntryType::Regular);
                    header.set_mode(*mode);
                    header.set_size(data.len() as u64);
                    tar.append_data(&mut header, name, data.as_slice())
                }
                Entry::Symlink(target) => {
                    header.set_entry_type(tar::EntryType::Symlink);
                    header.set_mode(0o777);
                    header.set_size(0);
                    tar.append_link(&mut header, name, target)
                }
                Entry::Dir { mode } => {
                    header.set_entry_type(tar::EntryType::Directory);
                    header.set_mode(*mode);
                    header.set_size(0);
                    tar.append_data(&mut header, format!("{name}/"), std::io::empty())
                }
            }
            .expect("tar entry");
        }
        tar.finish().expect("tar");
    }

    /// The entries as files under `root` (the build context).
    fn write_tree(&self, root: &Path) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(root).expect("context dir");
        for (name, entry) in &self.entries {
            let path = root.join(name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("context dir");
            }
            match entry {
                Entry::File { data, mode } => {
                    std::fs::write(&path, data).expect("context file");
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))
                        .expect("mode");
                }
                Entry::Symlink(target) => {
                    std::os::unix::fs::symlink(target, &path).expect("context link")
                }
                Entry::Dir { mode } => {
                    std::fs::create_dir_all(&path).expect("context dir");
                    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(*mode))
                        .expect("mode");
                }
            }
        }
    }
}

/// This machine's busybox-static (a static binary: it runs in any image).
pub fn busybox_binary() -> &'static Path {
    ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.exists())
        .expect("busybox-static is missing: run the crate's tests/prepare.sh (apt-get install busybox-static)")
}

/// A relative path without leading `/` or `./`.
fn clean(path: &str) -> String {
    let path = path.trim_start_matches("./").trim_start_matches('/');
    assert!(
        !path.is_empty() && !path.split('/').any(|p| p == ".." || p.is_empty()),
        "bad image path {path:?}"
    );
    path.to_string()
}

/// The busybox-static image every crate runs its test containers from:
/// `/bin/busybox` (this machine's busybox-static) with the `sh`, `sleep`,
/// `httpd`, `nc` and `wget` links, `/www/index.html` for `httpd -h /www`,
/// and `/tmp`. Other applets run as `/bin/busybox <applet>`. Nothing is
/// pulled. Returns its tag (`vedette-test-busybox:<hash>`).
pub fn busybox() -> String {
    let mut image =
        CachedImage::new("busybox")
            .dir("bin", 0o755)
            .copy("bin/busybox", busybox_binary(), 0o755);
    for applet in ["sh", "sleep", "httpd", "nc", "wget"] {
        image = image.symlink(&format!("bin/{applet}"), "busybox");
    }
    image
        .dir("www", 0o755)
        .file("www/index.html", "vedette\n", 0o644)
        .dir("tmp", 0o1777)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_is_a_hash_of_the_context() {
        let base = CachedImage::new("t").file("a", "1", 0o644);
        let tag = base.tag();
        assert!(tag.starts_with("vedette-test-t:"), "{tag}");
        assert_eq!(tag.len(), "vedette-test-t:".len() + 12);
        assert_eq!(tag, CachedImage::new("t").file("/a", "1", 0o644).tag());
        for other in [
            CachedImage::new("t").file("a", "2", 0o644),
            CachedImage::new("t").file("a", "1", 0o755),
            CachedImage::new("t").file("b", "1", 0o644),
            CachedImage::new("t").symlink("a", "1"),
            CachedImage::new("t").dir("a", 0o644),
            base.clone().dockerfile("FROM scratch\n"),
            base.clone().dir("www", 0o755),
        ] {
            assert_ne!(tag, other.tag());
        }
        // Fields cannot run into each other.
        assert_ne!(
            CachedImage::new("t").file("ab", "c", 0o644).tag(),
            CachedImage::new("t").file("a", "bc", 0o644).tag()
        );
    }

    #[test]
    #[should_panic(expected = "bad image path")]
    fn paths_stay_inside_the_image() {
        let _ = CachedImage::new("t").file("../etc/passwd", "x", 0o644);
    }

    #[test]
    fn a_cached_image_is_built_once_and_holds_its_files() {
        // Unique content, so this test builds it; removed at the end.
        let marker = unique_name("marker");
        let image = CachedImage::new("testkit-selftest")
            .copy("bin/busybox", busybox_binary(), 0o755)
            .symlink("bin/cat", "busybox")
            .file("etc/marker", marker.clone(), 0o600);
        let tag = image.tag();
        let _cleanup = Removal(tag.clone());
        // Built at once by several processes' worth of threads: one build.
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let image = image.clone();
                std::thread::spawn(move || image.build())
            })
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), tag);
        }
        let id = inspect(&tag, "{{.Id}}");
        assert_eq!(image.build(), tag);
        assert_eq!(inspect(&tag, "{{.Id}}"), id, "reused, not rebuilt");
        let container = Container::new("selftest");
        let out = docker(&[
            "run",
            "--name",
            container.name(),
            "--network",
            "none",
            &tag,
            "/bin/cat",
            "/etc/marker",
        ]);
        assert_eq!(out, marker);

        // A Dockerfile on top of it: its tag covers the base's tag.
        let derived = CachedImage::new("testkit-selftest")
            .file("extra.txt", "extra\n", 0o644)
            .dockerfile(&format!("FROM {tag}\nCOPY extra.txt /extra.txt\n"));
        let derived_tag = derived.tag();
        let _cleanup_derived = Removal(derived_tag.clone());
        assert_eq!(derived.build(), derived_tag);
        let container = Container::new("selftest");
        let out = docker(&[
            "run",
            "--name",
            container.name(),
            "--network",
            "none",
            &derived_tag,
            "/bin/cat",
            "/extra.txt",
        ]);
        assert_eq!(out, "extra");
    }

    #[test]
    fn the_busybox_image_serves_www_and_has_the_applets() {
        let image = busybox();
        assert_eq!(busybox(), image);
        let container = Container::new("selftest");
        let out = docker(&[
            "run",
            "--name",
            container.name(),
            "--network",
            "none",
            &image,
            "/bin/sh",
            "-c",
            "ls /bin && cat /www/index.html && test -d /tmp",
        ]);
        for applet in ["busybox", "httpd", "nc", "sh", "sleep", "wget"] {
            assert!(out.lines().any(|l| l == applet), "{applet} missing: {out}");
        }
        assert!(out.ends_with("vedette"), "{out}");
    }

    #[test]
    fn guards_remove_what_they_name_even_on_panic() {
        let (container, network, image) = (
            Container::new("selftest"),
            Network::create("selftest"),
            TempImage::new("testkit-selftest"),
        );
        let names = (
            container.name().to_string(),
            network.name().to_string(),
            image.tag().to_string(),
        );
        docker(&["tag", &busybox(), image.tag()]);
        docker(&[
            "create",
            "--name",
            container.name(),
            "--network",
            network.name(),
            image.tag(),
            "/bin/sleep",
            "60",
        ]);
        let result = std::panic::catch_unwind(move || {
            let _guards = (image, network, container);
            panic!("a failing test");
        });
        assert!(result.is_err());
        assert!(docker_quiet(&["container", "inspect", &names.0]).is_none());
        assert!(docker_quiet(&["network", "inspect", &names.1]).is_none());
        assert!(docker_quiet(&["image", "inspect", &names.2]).is_none());
    }

    #[test]
    fn leftovers_of_gone_processes_are_removed_and_live_ones_kept() {
        require_docker();
        // A name as a killed test process (pid free) would have left it.
        let dead = format!("{PREFIX}4194305-1-0-selftest");
        let live = Container::new("selftest");
        let image = busybox();
        docker_quiet(&["rm", "-f", &dead]);
        docker(&["create", "--name", &dead, &image, "/bin/sleep", "60"]);
        docker(&["create", "--name", live.name(), &image, "/bin/sleep", "60"]);
        // `remove_leftovers` runs once per process; its body again:
        let gone = dead
            .strip_prefix(PREFIX)
            .is_some_and(|t| owner_gone(t, '-'));
        assert!(gone);
        let again = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "docker::tests::remove_leftovers_in_a_fresh_process",
                "--include-ignored",
            ])
            .output()
            .unwrap();
        assert!(
            again.status.success(),
            "{}",
            String::from_utf8_lossy(&again.stdout)
        );
        assert!(
            docker_quiet(&["container", "inspect", &dead]).is_none(),
            "leftover removed"
        );
        assert!(
            docker_quiet(&["container", "inspect", live.name()]).is_some(),
            "live kept"
        );
    }

    /// Run by the test above in a new process (where the once-per-process
    /// sweep has not happened yet).
    #[test]
    #[ignore = "run by leftovers_of_gone_processes_are_removed_and_live_ones_kept"]
    fn remove_leftovers_in_a_fresh_process() {
        remove_leftovers();
    }

    /// `docker rmi -f` on drop.
    struct Removal(String);

    impl Drop for Removal {
        fn drop(&mut self) {
            docker_quiet(&["rmi", "-f", &self.0]);
        }
    }
}
