//! A directory tree as a [`Source`]: a host root mounted at `/host`, any
//! directory, or a running container's root seen through
//! `/proc/<pid>/root`.
//!
//! Safety: every file is opened with `openat2(RESOLVE_IN_ROOT)` relative to
//! the root, so a symbolic link — absolute or relative, even one swapped in
//! by a running container during the scan — resolves inside the root, never
//! out of it. Only regular files are opened (`O_NONBLOCK` so a FIFO cannot
//! hang the scan, then `fstat`); device files, sockets and FIFOs are refused.
//! Kernels older than 5.6 lack `openat2`: links are then resolved in user
//! space the same way (see [`DirSource::without_openat2`]), without the
//! protection against concurrent swaps.
//! The walk itself opens every directory relative to its parent's
//! descriptor with `O_NOFOLLOW`, so it never follows symbolic links, and
//! skips `/proc`, `/sys` and `/dev` of the scanned root.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use std::os::fd::OwnedFd;
use std::sync::{Arc, OnceLock};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, ResolveFlags};

use super::{FileInfo, FileMeta, Source, VisitFn, WantFn};
use crate::{Diagnostic, Error};

/// Top-level directories of a root that hold no installed software.
const DEFAULT_SKIP: [&str; 3] = ["/proc", "/sys", "/dev"];

/// A directory tree scanned in place.
pub struct DirSource {
    root: PathBuf,
    root_fd: File,
    skip: Vec<String>,
    /// Whether the kernel has `openat2` (Linux ≥ 5.6); checked on open.
    openat2: bool,
}

impl DirSource {
    /// Opens `root` (which must be a directory).
    pub fn open(root: impl AsRef<Path>) -> Result<DirSource, Error> {
        let root = root.as_ref().to_path_buf();
        let shown = root.display().to_string();
        let root_fd = File::open(&root).map_err(|e| Error::io(&shown, e))?;
        let meta = root_fd.metadata().map_err(|e| Error::io(&shown, e))?;
        if !meta.is_dir() {
            return Err(Error::Invalid(format!("{shown}: not a directory")));
        }
        let openat2 = !matches!(
            rustix::fs::openat2(
                &root_fd,
                ".",
                OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
                ResolveFlags::IN_ROOT
            ),
            Err(rustix::io::Errno::NOSYS)
        );
        Ok(DirSource {
            root,
            root_fd,
            skip: DEFAULT_SKIP.iter().map(|s| s.to_string()).collect(),
            openat2,
        })
    }

    /// Resolves symbolic links in user space instead of with `openat2`, as
    /// on kernels older than 5.6 (also used by tests on newer kernels).
    pub fn without_openat2(mut self) -> DirSource {
        self.openat2 = false;
        self
    }

    /// User-space version of `RESOLVE_IN_ROOT` for old kernels: walks
    /// `path` component by component, replacing symbolic links by their
    /// target read relative to the root (absolute ones restart at the root,
    /// `..` stops at the root), at most 40 links. Unlike `openat2` it cannot
    /// stop a running container from swapping a directory for a link
    /// between the check and the open; the last component is opened with
    /// `O_NOFOLLOW`.
    fn resolve_in_root(&self, path: &str) -> Result<String, Error> {
        let parts = |p: &str| -> Vec<String> {
            p.split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .map(str::to_string)
                .collect()
        };
        let mut pending: Vec<String> = parts(path).into_iter().rev().collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(part);
            let current = resolved.join("/");
            if let Ok(target) = rustix::fs::readlinkat(&self.root_fd, current.as_str(), Vec::new())
            {
                hops += 1;
                if hops > 40 {
                    return Err(Error::io(path, std::io::Error::from_raw_os_error(40))); // ELOOP
                }
                let target = target.to_string_lossy().into_owned();
                resolved.pop();
                if target.starts_with('/') {
                    resolved.clear();
                }
                pending.extend(parts(&target).into_iter().rev());
            }
        }
        Ok(if resolved.is_empty() {
            ".".to_string()
        } else {
            resolved.join("/")
        })
    }

    /// Also skips these absolute paths inside the root (and everything under
    /// them).
    pub fn skip(mut self, paths: impl IntoIterator<Item = String>) -> DirSource {
        self.skip.extend(paths);
        self
    }

    /// Opens `path` (absolute inside the root) as a regular file.
    fn open_in_root(&self, path: &str) -> Result<File, Error> {
        let flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY;
        let fd = if self.openat2 {
            let relative = path.trim_start_matches('/');
            let relative = if relative.is_empty() { "." } else { relative };
            rustix::fs::openat2(
                &self.root_fd,
                relative,
                flags,
                Mode::empty(),
                ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
            )
        } else {
            let relative = self.resolve_in_root(path)?;
            rustix::fs::openat(
                &self.root_fd,
                relative.as_str(),
                flags | OFlags::NOFOLLOW,
                Mode::empty(),
            )
        }
        .map_err(|e| Error::io(path, e.into()))?;
        let file = File::from(fd);
        let meta = file.metadata().map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            return Err(Error::NotRegular {
                path: path.to_string(),
            });
        }
        Ok(file)
    }

    /// Walks one directory, open as `dir`; subdirectories are walked in
    /// parallel. Everything is opened relative to the parent directory's
    /// descriptor with `O_NOFOLLOW`: no path is looked up from the root
    /// again (cheaper for the kernel), and a directory swapped for a
    /// symbolic link during the walk is not followed.
    fn walk_dir<'s>(
        &'s self,
        scope: &rayon::Scope<'s>,
        dir: OwnedFd,
        path: String,
        ctx: &'s WalkCtx<'s>,
    ) {
        let report = |path: String, message: String| {
            (ctx.report)(Diagnostic {
                path,
                cataloger: String::new(),
                message,
            })
        };
        let mut reader = match Dir::new(dir) {
            Ok(reader) => reader,
            Err(e) => return report(path, format!("cannot list directory: {e}")),
        };
        let mut entries: Vec<(Vec<u8>, FileType)> = Vec::new();
        while let Some(entry) = reader.read() {
            match entry {
                Ok(entry) => {
                    let name = entry.file_name().to_bytes();
                    if name != b"." && name != b".." {
                        entries.push((name.to_vec(), entry.file_type()));
                    }
                }
                Err(e) => {
                    report(path.clone(), format!("cannot list directory: {e}"));
                    break;
                }
            }
        }
        // Children hold the directory open until they have opened themselves.
        let dir = Arc::new(reader);
        for (name, mut file_type) in entries {
            let Ok(fd) = dir.fd() else { return };
            if file_type == FileType::Unknown {
                // Some filesystems do not fill in the type: ask.
                match rustix::fs::statat(fd, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(st) => file_type = FileType::from_raw_mode(st.st_mode),
                    Err(_) => continue,
                }
            }
            let child = if path == "/" {
                format!("/{}", String::from_utf8_lossy(&name))
            } else {
                format!("{path}/{}", String::from_utf8_lossy(&name))
            };
            match file_type {
                FileType::Directory => {
                    if self.skip.iter().any(|s| s == &child) {
                        continue;
                    }
                    let parent = Arc::clone(&dir);
                    scope.spawn(move |scope| {
                        let opened = parent.fd().and_then(|fd| {
                            rustix::fs::openat(
                                fd,
                                name.as_slice(),
                                OFlags::RDONLY
                                    | OFlags::DIRECTORY
                                    | OFlags::NOFOLLOW
                                    | OFlags::CLOEXEC,
                                Mode::empty(),
                            )
                        });
                        drop(parent);
                        match opened {
                            Ok(fd) => self.walk_dir(scope, fd, child, ctx),
                            Err(e) => report(child, format!("cannot open directory: {e}")),
                        }
                    });
                }
                FileType::RegularFile => {
                    // Several catalogers may ask: one `stat` at most.
                    let cached = OnceLock::new();
                    let meta = || {
                        *cached.get_or_init(|| {
                            rustix::fs::statat(fd, name.as_slice(), AtFlags::SYMLINK_NOFOLLOW)
                                .ok()
                                .map(|st| FileMeta {
                                    size: st.st_size as u64,
                                    mode: st.st_mode,
                                })
                        })
                    };
                    let info = FileInfo::new(&child, &meta);
                    let tag = (ctx.want)(&info);
                    if tag == 0 {
                        continue;
                    }
                    let flags = OFlags::RDONLY
                        | OFlags::CLOEXEC
                        | OFlags::NONBLOCK
                        | OFlags::NOCTTY
                        | OFlags::NOFOLLOW;
                    let opened = rustix::fs::openat(fd, name.as_slice(), flags, Mode::empty())
                        .map_err(|e| Error::io(&child, e.into()))
                        .map(File::from)
                        .and_then(|file| match file.metadata() {
                            Ok(m) if m.is_file() => Ok(file),
                            Ok(_) => Err(Error::NotRegular {
                                path: child.clone(),
                            }),
                            Err(e) => Err(Error::io(&child, e)),
                        });
                    match opened {
                        Ok(mut file) => (ctx.visit)(&child, tag, &mut file),
                        Err(e) => report(child, e.to_string()),
                    }
                }
                // Symbolic links, devices, FIFOs and sockets are never
                // followed or opened by the walk.
                _ => {}
            }
        }
    }
}

/// The callbacks of one walk, shared by its parallel tasks.
struct WalkCtx<'a> {
    want: &'a WantFn<'a>,
    visit: &'a VisitFn<'a>,
    report: &'a (dyn Fn(Diagnostic) + Sync),
}

impl Source for DirSource {
    fn describe(&self) -> String {
        format!("dir:{}", self.root.display())
    }

    fn walk(
        &self,
        want: &WantFn<'_>,
        visit: &VisitFn<'_>,
        report: &(dyn Fn(Diagnostic) + Sync),
    ) -> Result<(), Error> {
        let ctx = WalkCtx {
            want,
            visit,
            report,
        };
        let root = rustix::fs::openat(
            &self.root_fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::io(&self.root.display().to_string(), e.into()))?;
        rayon::scope(|scope| self.walk_dir(scope, root, "/".to_string(), &ctx));
        Ok(())
    }

    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let file = self.open_in_root(path)?;
        let mut buf = Vec::new();
        file.take(limit.saturating_add(1))
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(path, e))?;
        if buf.len() as u64 > limit {
            return Err(Error::TooLarge {
                path: path.to_string(),
                limit,
            });
        }
        Ok(buf)
    }

    fn read_link(&self, path: &str) -> Result<String, Error> {
        let relative = path.trim_start_matches('/');
        let target = rustix::fs::readlinkat(&self.root_fd, relative, Vec::new())
            .map_err(|e| Error::io(path, e.into()))?;
        Ok(target.to_string_lossy().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;
    use std::sync::Mutex;

    #[test]
    fn absolute_symlinks_resolve_inside_the_root() -> Result<(), Box<dyn std::error::Error>> {
        let outside = tempfile::tempdir()?;
        std::fs::write(outside.path().join("secret"), "outside")?;
        let root = tempfile::tempdir()?;
        std::fs::create_dir_all(root.path().join("etc"))?;
        std::fs::create_dir_all(root.path().join("usr/lib"))?;
        std::fs::write(root.path().join("usr/lib/os-release"), "ID=inside\n")?;
        symlink("/usr/lib/os-release", root.path().join("etc/os-release"))?;
        // A link to a path outside the root, absolute and through `..`.
        let escape = outside.path().join("secret");
        symlink(&escape, root.path().join("etc/abs"))?;
        symlink(
            "../../../../../../../../../..".to_string() + &escape.display().to_string(),
            root.path().join("etc/rel"),
        )?;

        symlink("loop2", root.path().join("etc/loop1"))?;
        symlink("loop1", root.path().join("etc/loop2"))?;
        for src in [
            DirSource::open(root.path())?,
            DirSource::open(root.path())?.without_openat2(),
        ] {
            assert_eq!(src.read_file("/etc/os-release", 100)?, b"ID=inside\n");
            assert_eq!(
                src.read_file("/etc/../../../usr/lib/os-release", 100)?,
                b"ID=inside\n"
            );
            assert!(
                src.read_file("/etc/abs", 100).is_err(),
                "absolute link left the root"
            );
            assert!(
                src.read_file("/etc/rel", 100).is_err(),
                "relative link left the root"
            );
            assert!(src.read_file("/etc/loop1", 100).is_err(), "link loops end");
            assert_eq!(src.read_link("/etc/os-release")?, "/usr/lib/os-release");
            // Size limits are enforced.
            assert!(matches!(
                src.read_file("/usr/lib/os-release", 3),
                Err(Error::TooLarge { .. })
            ));
        }
        Ok(())
    }

    #[test]
    fn walk_skips_special_dirs_and_non_regular_files() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        for dir in ["proc/1", "a/b", "dev"] {
            std::fs::create_dir_all(root.path().join(dir))?;
        }
        std::fs::write(root.path().join("proc/1/status"), "x")?;
        std::fs::write(root.path().join("a/b/file"), "y")?;
        std::fs::write(root.path().join("top"), "z")?;
        symlink("/a/b/file", root.path().join("link"))?;
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.path().join("a/fifo").as_path(),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o644),
            0,
        )?;
        let src = DirSource::open(root.path())?;
        let seen = Mutex::new(Vec::new());
        src.walk(
            &|_| 1,
            &|path, _, input| {
                let mut s = String::new();
                let _ = input.read_to_string(&mut s);
                if let Ok(mut seen) = seen.lock() {
                    seen.push(format!("{path}={s}"));
                }
            },
            &|d| panic!("unexpected diagnostic {d:?}"),
        )?;
        let mut seen = seen.into_inner()?;
        seen.sort();
        assert_eq!(seen, ["/a/b/file=y", "/top=z"]);
        // The FIFO is refused when opened directly, without blocking.
        assert!(matches!(
            src.read_file("/a/fifo", 10),
            Err(Error::NotRegular { .. })
        ));
        Ok(())
    }

    #[test]
    fn a_process_root_through_proc() -> Result<(), Box<dyn std::error::Error>> {
        // How the sensor sees a running container: /proc/<pid>/root. Our own
        // process stands in for the container here.
        let src = DirSource::open(format!("/proc/{}/root", std::process::id()))?;
        assert_eq!(
            src.read_file("/etc/os-release", 1 << 16)?,
            std::fs::read("/etc/os-release")?
        );
        Ok(())
    }
}
