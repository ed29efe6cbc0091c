//! Scanning files and directory trees: a parallel walk (the `ignore` crate's walker, which
//! also detects symlink loops), bounded reads, and a report where per-file problems are data.
//!
//! Robustness rules: a file is opened only after its type says "regular file", and opened
//! non-blocking so a FIFO swapped in meanwhile cannot block a worker; reads are capped at the
//! size limit, so files that grow or shrink while read are handled; symlinks are not followed
//! unless asked, and then never outside the scan root.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ignore::{WalkBuilder, WalkState};
use serde::{Serialize, Serializer};

use crate::archive::{self, ArchiveKind};
use crate::finding::{Finding, LayerRef};
use crate::scanner::Scanner;

/// Bytes sniffed for a NUL to call a file binary.
const BINARY_SNIFF: usize = 8192;

/// The result of [`Scanner::scan_path`].
#[derive(Debug, Default, Serialize)]
pub struct ScanReport {
    /// Findings, sorted by file, line and column.
    pub findings: Vec<Finding>,
    /// Files that could not be read or walked, with the reason.
    pub errors: Vec<FileError>,
    /// Files deliberately not scanned (over a limit, not a regular file, outside the root).
    /// Binary files, excluded paths and unfollowed symlinks are only counted in `stats`.
    pub skipped: Vec<SkippedFile>,
    /// Counters.
    pub stats: ScanStats,
}

/// Counters of one scan.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct ScanStats {
    /// Files (and archive entries) whose content was scanned.
    pub files_scanned: u64,
    /// Bytes scanned.
    pub bytes_scanned: u64,
    /// Archive entries scanned (included in `files_scanned`).
    pub archive_entries_scanned: u64,
    /// Files skipped as binary.
    pub files_binary: u64,
    /// Files and folders skipped by path exclusions and the path allowlist.
    pub paths_excluded: u64,
    /// Symbolic links not followed.
    pub symlinks_skipped: u64,
    /// Wall-clock time of the scan.
    #[serde(serialize_with = "serialize_secs")]
    pub elapsed: Duration,
}

fn serialize_secs<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64())
}

fn serialize_path_lossy<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// A file that could not be scanned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileError {
    /// The file (lossy UTF-8 when serialized).
    #[serde(serialize_with = "serialize_path_lossy")]
    pub path: PathBuf,
    /// What went wrong.
    pub kind: FileErrorKind,
    /// The image layer of the file, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

/// What went wrong with one file.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "message")]
#[non_exhaustive]
pub enum FileErrorKind {
    /// Opening or reading failed.
    Io(String),
    /// The directory walk failed here (permission, symlink loop, dangling symlink…).
    Walk(String),
    /// The archive is corrupt or unsupported.
    Archive(String),
    /// A container image or one of its layers could not be read (corrupt, over a limit, an
    /// entry escaping the image root); the scan went on with what could be read.
    Image(String),
}

/// A file deliberately left unscanned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedFile {
    /// The file (lossy UTF-8 when serialized).
    #[serde(serialize_with = "serialize_path_lossy")]
    pub path: PathBuf,
    /// Why.
    pub reason: SkipReason,
    /// The image layer of the file, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<LayerRef>,
}

/// Why a file was not scanned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
#[non_exhaustive]
pub enum SkipReason {
    /// Larger than the size limit.
    TooLarge {
        /// Size seen (at least `limit + 1`).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// A FIFO, socket or device.
    NotRegular,
    /// A symlink whose target is outside the scan root.
    OutsideRoot,
    /// An archive had more entries than allowed; the rest were not read.
    ArchiveEntryLimit {
        /// The limit.
        limit: usize,
    },
    /// An archive decompressed to more bytes than allowed; the rest was not read.
    ArchiveByteLimit {
        /// The limit.
        limit: u64,
    },
}

/// Reported to the progress callback after each file.
#[derive(Debug, Clone, Copy)]
pub struct ProgressEvent<'a> {
    /// The file just handled.
    pub path: &'a Path,
    /// Bytes scanned in it (0 when skipped).
    pub bytes: u64,
}

/// Shared, thread-safe accumulators of a running scan.
#[derive(Default)]
pub(crate) struct Collector {
    findings: Mutex<Vec<Finding>>,
    errors: Mutex<Vec<FileError>>,
    skipped: Mutex<Vec<SkippedFile>>,
    pub(crate) files_scanned: AtomicU64,
    pub(crate) bytes_scanned: AtomicU64,
    pub(crate) archive_entries: AtomicU64,
    pub(crate) files_binary: AtomicU64,
    pub(crate) excluded: AtomicU64,
    symlinks: AtomicU64,
}

/// What one file produced, kept apart until its image layer is known.
#[derive(Debug, Default)]
pub(crate) struct FileResults {
    pub(crate) findings: Vec<Finding>,
    pub(crate) errors: Vec<FileError>,
    pub(crate) skipped: Vec<SkippedFile>,
}

impl FileResults {
    pub(crate) fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.errors.is_empty() && self.skipped.is_empty()
    }
}

impl Collector {
    pub(crate) fn findings(&self, mut found: Vec<Finding>) {
        if !found.is_empty() {
            lock(&self.findings).append(&mut found);
        }
    }

    pub(crate) fn error(&self, path: &Path, kind: FileErrorKind) {
        tracing::debug!(path = %path.display(), error = ?kind, "file not scanned");
        lock(&self.errors).push(FileError {
            path: path.to_path_buf(),
            kind,
            layer: None,
        });
    }

    pub(crate) fn skip(&self, path: &Path, reason: SkipReason) {
        lock(&self.skipped).push(SkippedFile {
            path: path.to_path_buf(),
            reason,
            layer: None,
        });
    }

    /// Adds the counters of a per-file collector and returns its findings and problems.
    pub(crate) fn take(&self, file: Collector) -> FileResults {
        let add = |to: &AtomicU64, from: AtomicU64| {
            to.fetch_add(from.into_inner(), Ordering::Relaxed);
        };
        add(&self.files_scanned, file.files_scanned);
        add(&self.bytes_scanned, file.bytes_scanned);
        add(&self.archive_entries, file.archive_entries);
        add(&self.files_binary, file.files_binary);
        add(&self.excluded, file.excluded);
        add(&self.symlinks, file.symlinks);
        FileResults {
            findings: into_vec(file.findings),
            errors: into_vec(file.errors),
            skipped: into_vec(file.skipped),
        }
    }

    /// Adds one file's results, stamped with the image layer they come from.
    pub(crate) fn add(&self, mut results: FileResults, layer: Option<&LayerRef>) {
        if let Some(layer) = layer {
            for f in &mut results.findings {
                f.layer = Some(layer.clone());
            }
            for e in &mut results.errors {
                e.layer = Some(layer.clone());
            }
            for s in &mut results.skipped {
                s.layer = Some(layer.clone());
            }
        }
        self.findings(results.findings);
        lock(&self.errors).append(&mut results.errors);
        lock(&self.skipped).append(&mut results.skipped);
    }

    pub(crate) fn into_report(self, elapsed: Duration) -> ScanReport {
        let mut findings: Vec<Finding> = into_vec(self.findings);
        let layer_key = |l: &Option<LayerRef>| l.as_ref().map(|l| l.index);
        findings.sort_by(|a, b| {
            (&a.file, layer_key(&a.layer), a.line, a.column).cmp(&(
                &b.file,
                layer_key(&b.layer),
                b.line,
                b.column,
            ))
        });
        let mut errors: Vec<FileError> = into_vec(self.errors);
        errors.sort_by(|a, b| a.path.cmp(&b.path));
        let mut skipped: Vec<SkippedFile> = into_vec(self.skipped);
        skipped.sort_by(|a, b| a.path.cmp(&b.path));
        ScanReport {
            findings,
            errors,
            skipped,
            stats: ScanStats {
                files_scanned: self.files_scanned.into_inner(),
                bytes_scanned: self.bytes_scanned.into_inner(),
                archive_entries_scanned: self.archive_entries.into_inner(),
                files_binary: self.files_binary.into_inner(),
                paths_excluded: self.excluded.into_inner(),
                symlinks_skipped: self.symlinks.into_inner(),
                elapsed,
            },
        }
    }
}

/// The data of a mutex, recovered if a worker panicked while holding it.
fn into_vec<T>(m: Mutex<Vec<T>>) -> Vec<T> {
    m.into_inner().unwrap_or_else(|p| p.into_inner())
}

/// Locks a mutex, recovering the data if another worker panicked while holding it.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The outcome of a bounded read.
enum ReadOutcome {
    /// The file's bytes are in the buffer.
    Read,
    /// The file is larger than the limit (size seen).
    TooLarge(u64),
    /// Not a regular file after all.
    NotRegular,
}

/// Opens without blocking (FIFOs) and reads at most `limit` bytes into `buf`.
fn read_bounded(path: &Path, limit: u64, buf: &mut Vec<u8>) -> io::Result<ReadOutcome> {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file: File = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(ReadOutcome::NotRegular);
    }
    if meta.len() > limit {
        return Ok(ReadOutcome::TooLarge(meta.len()));
    }
    buf.clear();
    buf.reserve(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
    // `take(limit + 1)`: a file growing while read is caught, one shrinking just ends early.
    file.take(limit.saturating_add(1)).read_to_end(buf)?;
    if buf.len() as u64 > limit {
        return Ok(ReadOutcome::TooLarge(buf.len() as u64));
    }
    Ok(ReadOutcome::Read)
}

/// True when the first bytes contain a NUL.
pub(crate) fn looks_binary(data: &[u8]) -> bool {
    memchr::memchr(0, &data[..data.len().min(BINARY_SNIFF)]).is_some()
}

impl Scanner {
    /// Scans a file or a directory tree with the configured number of threads.
    pub fn scan_path(&self, root: &Path) -> ScanReport {
        self.scan_path_with_progress(root, &|_| {})
    }

    /// Like [`Scanner::scan_path`], calling `progress` after each file (from worker threads).
    pub fn scan_path_with_progress(
        &self,
        root: &Path,
        progress: &(dyn Fn(&ProgressEvent<'_>) + Sync),
    ) -> ScanReport {
        let started = Instant::now();
        let collector = Collector::default();
        let options = self.options();
        let threads = match options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let root_canonical = std::fs::canonicalize(root).ok();
        let mut builder = WalkBuilder::new(root);
        builder
            .standard_filters(false)
            .hidden(false)
            .follow_links(options.follow_symlinks)
            .threads(threads);
        if options.respect_gitignore {
            builder
                .git_ignore(true)
                .git_exclude(true)
                .ignore(true)
                .parents(true)
                .require_git(false);
        }
        builder.build_parallel().run(|| {
            let collector = &collector;
            let root_canonical = root_canonical.as_deref();
            let mut buf = Vec::new();
            Box::new(move |result| {
                let entry = match result {
                    Ok(entry) => entry,
                    Err(err) => {
                        let path = error_path(&err).unwrap_or_else(|| root.to_path_buf());
                        collector.error(&path, FileErrorKind::Walk(err.to_string()));
                        return WalkState::Continue;
                    }
                };
                let path = entry.path();
                let rel = path.strip_prefix(root).unwrap_or(path);
                if entry.depth() > 0 && self.path_excluded(rel) {
                    collector.excluded.fetch_add(1, Ordering::Relaxed);
                    return WalkState::Skip;
                }
                let Some(file_type) = entry.file_type() else {
                    return WalkState::Continue;
                };
                if file_type.is_symlink() {
                    collector.symlinks.fetch_add(1, Ordering::Relaxed);
                    return WalkState::Continue;
                }
                if entry.path_is_symlink() {
                    // Following links: refuse targets outside the root.
                    let inside = match (std::fs::canonicalize(path), root_canonical) {
                        (Ok(target), Some(root)) => target.starts_with(root),
                        _ => false,
                    };
                    if !inside {
                        collector.skip(path, SkipReason::OutsideRoot);
                        return WalkState::Skip;
                    }
                }
                if file_type.is_dir() {
                    return WalkState::Continue;
                }
                if !file_type.is_file() {
                    collector.skip(path, SkipReason::NotRegular);
                    return WalkState::Continue;
                }
                let bytes = self.scan_file(path, rel, &mut buf, collector);
                progress(&ProgressEvent { path, bytes });
                WalkState::Continue
            })
        });
        collector.into_report(started.elapsed())
    }

    /// Reads and scans one regular file; returns the bytes scanned.
    fn scan_file(&self, path: &Path, rel: &Path, buf: &mut Vec<u8>, collector: &Collector) -> u64 {
        let limit = self.size_limit(path);
        match read_bounded(path, limit, buf) {
            Err(err) => {
                collector.error(path, FileErrorKind::Io(err.to_string()));
                0
            }
            Ok(ReadOutcome::NotRegular) => {
                collector.skip(path, SkipReason::NotRegular);
                0
            }
            Ok(ReadOutcome::TooLarge(size)) => {
                collector.skip(path, SkipReason::TooLarge { size, limit });
                0
            }
            Ok(ReadOutcome::Read) => {
                // Path filters see the path relative to the root; a root that is a file is
                // matched by its own name.
                let match_path = if rel.as_os_str().is_empty() {
                    path
                } else {
                    rel
                };
                self.scan_loaded(path, match_path, buf, collector)
            }
        }
    }

    /// Size limit for a file at `path`: the archive limit for archives when archive scanning
    /// is on, the file size limit otherwise.
    pub(crate) fn size_limit(&self, path: &Path) -> u64 {
        let options = self.options();
        match &options.archives {
            Some(limits) if ArchiveKind::from_path(path).is_some() => limits.max_archive_size,
            _ => options.max_file_size,
        }
    }

    /// Scans the content of a file already read (within [`Scanner::size_limit`]): archive
    /// members, or the bytes unless binary. `match_path` (relative to the scan root) drives
    /// path filters, `path` is reported. Returns the bytes scanned.
    pub(crate) fn scan_loaded(
        &self,
        path: &Path,
        match_path: &Path,
        data: &[u8],
        collector: &Collector,
    ) -> u64 {
        let options = self.options();
        if let Some(limits) = &options.archives
            && let Some(kind) = ArchiveKind::from_path(path)
        {
            return archive::scan_archive(self, kind, path, data, limits, collector);
        }
        if options.skip_binary && looks_binary(data) {
            collector.files_binary.fetch_add(1, Ordering::Relaxed);
            return 0;
        }
        let mut found = Vec::new();
        self.scan_into(match_path, path, data, &mut found);
        collector.findings(found);
        collector.files_scanned.fetch_add(1, Ordering::Relaxed);
        collector
            .bytes_scanned
            .fetch_add(data.len() as u64, Ordering::Relaxed);
        data.len() as u64
    }
}

/// The path an `ignore` walk error is about, when it names one.
fn error_path(err: &ignore::Error) -> Option<PathBuf> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path.clone()),
        ignore::Error::Loop { child, .. } => Some(child.clone()),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}
