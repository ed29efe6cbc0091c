//! Read-only views of a filesystem to catalog: a directory tree (a host root,
//! a mounted filesystem, a running container's `/proc/<pid>/root`).
//!
//! A [`Source`] offers three things: a walk over its regular files (the
//! caller chooses which files it wants opened), reading one file by path
//! with a size limit, and reading a symbolic link. Paths are always absolute
//! inside the source (`/var/lib/dpkg/status`), whatever the real location.

mod dir;
mod image;

use std::io::{Read, Seek};

pub use dir::DirSource;
pub use image::{
    FILE_LIMIT as IMAGE_FILE_LIMIT, ImageSource, Layer, LayerFile, LayerRef, Limits as ImageLimits,
    stream,
};

use crate::Error;

/// Content of one file being cataloged: seekable, so that binary and archive
/// readers fetch only the parts they need (ELF section headers, a zip's
/// central directory) instead of the whole file.
pub trait FileInput: Read + Seek + Send {}

impl<T: Read + Seek + Send> FileInput for T {}

/// A regular file met during a walk.
pub struct FileInfo<'a> {
    /// Absolute path inside the source.
    pub path: &'a str,
    /// Lazily read metadata: most files are rejected on their name alone,
    /// and not calling `stat` on them keeps a walk of a whole root fast.
    meta: &'a (dyn Fn() -> Option<FileMeta> + Sync),
}

/// Size and permission bits of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileMeta {
    /// Size in bytes.
    pub size: u64,
    /// Unix permission bits.
    pub mode: u32,
}

impl<'a> FileInfo<'a> {
    /// A file whose metadata `meta` reads on demand.
    pub fn new(path: &'a str, meta: &'a (dyn Fn() -> Option<FileMeta> + Sync)) -> FileInfo<'a> {
        FileInfo { path, meta }
    }

    /// The file name (last path component).
    pub fn file_name(&self) -> &'a str {
        self.path.rsplit('/').next().unwrap_or(self.path)
    }

    /// Size and mode, if they can be read.
    pub fn meta(&self) -> Option<FileMeta> {
        (self.meta)()
    }

    /// Whether any execute bit is set.
    pub fn is_executable(&self) -> bool {
        self.meta().is_some_and(|m| m.mode & 0o111 != 0)
    }
}

/// Which files a walk should open: asked once per regular file, it returns
/// a non-zero tag for wanted files (the scan uses it as a bit set of the
/// catalogers that want the file), 0 otherwise.
pub type WantFn<'a> = dyn Fn(&FileInfo<'_>) -> u64 + Sync + 'a;
/// Called with each wanted file's path, tag and content.
pub type VisitFn<'a> = dyn Fn(&str, u64, &mut dyn FileInput) + Sync + 'a;

/// A read-only filesystem view.
pub trait Source: Sync {
    /// A short description for reports (`dir:/host`, `docker-archive:x.tar`).
    fn describe(&self) -> String;

    /// Walks every regular file; calls `visit` (possibly from several
    /// threads) on those `want` tags. Problems with single files or
    /// directories go to `report` and do not stop the walk.
    fn walk(
        &self,
        want: &WantFn<'_>,
        visit: &VisitFn<'_>,
        report: &(dyn Fn(crate::Diagnostic) + Sync),
    ) -> Result<(), Error>;

    /// Reads the whole file at `path`, following symbolic links inside the
    /// source, refusing files larger than `limit` bytes.
    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, Error>;

    /// The target of the symbolic link at `path`, as stored.
    fn read_link(&self, path: &str) -> Result<String, Error>;

    /// The image behind this source, if it is one: scanners that must see
    /// every layer (secrets, malware) use [`ImageSource::walk_layers`]
    /// instead of the flattened [`Source::walk`].
    fn as_image(&self) -> Option<&ImageSource> {
        None
    }
}

/// Reads all of `input`, failing with [`Error::TooLarge`] past `limit` bytes.
pub fn read_limited(path: &str, input: &mut dyn FileInput, limit: u64) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    input
        .take(limit.saturating_add(1))
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
