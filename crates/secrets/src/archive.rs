//! Scanning inside archives (zip/jar/war/ear, tar, tar.gz/tgz), bounded.
//!
//! Bounds: the archive file size, the number of entries, and the total decompressed bytes,
//! counted from tar headers even for entries that are skipped (skipping a tar entry still
//! decompresses it). Entries larger than the file size limit are skipped. Archives inside
//! archives are not opened. Entry names are only used as labels and for path filters, never
//! as filesystem paths, so traversal names (`../`) are harmless.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use crate::scanner::{ArchiveLimits, Scanner};
use crate::walk::{Collector, FileErrorKind, SkipReason, looks_binary};

/// Archive formats recognised by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArchiveKind {
    Zip,
    Tar,
    TarGz,
}

impl ArchiveKind {
    pub(crate) fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        if [".zip", ".jar", ".war", ".ear", ".apk", ".whl", ".nupkg"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            Some(Self::Zip)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Self::TarGz)
        } else if name.ends_with(".tar") {
            Some(Self::Tar)
        } else {
            None
        }
    }
}

/// State shared by the entries of one archive.
struct Budget<'a> {
    scanner: &'a Scanner,
    archive: &'a Path,
    limits: &'a ArchiveLimits,
    collector: &'a Collector,
    entries: usize,
    bytes_left: u64,
    scanned: u64,
    buf: Vec<u8>,
}

impl Budget<'_> {
    /// Counts one entry; false (and a skip record) when the entry limit is reached.
    fn next_entry(&mut self) -> bool {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            self.collector.skip(
                self.archive,
                SkipReason::ArchiveEntryLimit {
                    limit: self.limits.max_entries,
                },
            );
            return false;
        }
        true
    }

    fn over_bytes(&self) {
        self.collector.skip(
            self.archive,
            SkipReason::ArchiveByteLimit {
                limit: self.limits.max_total_bytes,
            },
        );
    }

    /// Reads one entry (at most the file size limit and the remaining byte budget) and scans it.
    /// Returns false when the byte budget is exhausted.
    fn scan_entry(&mut self, name: &str, reader: &mut dyn Read) -> bool {
        let label = PathBuf::from(format!("{}!/{}", self.archive.display(), name));
        let max_file = self.scanner.options().max_file_size;
        let cap = max_file.min(self.bytes_left);
        self.buf.clear();
        if let Err(err) = reader
            .take(cap.saturating_add(1))
            .read_to_end(&mut self.buf)
        {
            self.collector
                .error(&label, FileErrorKind::Archive(err.to_string()));
            return true;
        }
        let read = self.buf.len() as u64;
        if read > cap {
            if cap < max_file {
                self.over_bytes();
                return false;
            }
            self.collector.skip(
                &label,
                SkipReason::TooLarge {
                    size: read,
                    limit: max_file,
                },
            );
            self.bytes_left -= read.min(self.bytes_left);
            return true;
        }
        self.bytes_left -= read;
        let options = self.scanner.options();
        if options.skip_binary && looks_binary(&self.buf) {
            self.collector.files_binary.fetch_add(1, Ordering::Relaxed);
            return true;
        }
        let entry_path = Path::new(name);
        if self.scanner.path_excluded(entry_path) {
            return true;
        }
        let mut found = Vec::new();
        self.scanner
            .scan_into(entry_path, &label, &self.buf, &mut found);
        self.collector.findings(found);
        self.collector.files_scanned.fetch_add(1, Ordering::Relaxed);
        self.collector
            .archive_entries
            .fetch_add(1, Ordering::Relaxed);
        self.collector
            .bytes_scanned
            .fetch_add(read, Ordering::Relaxed);
        self.scanned += read;
        true
    }
}

/// Scans the archive held in `data`; returns the decompressed bytes scanned.
pub(crate) fn scan_archive(
    scanner: &Scanner,
    kind: ArchiveKind,
    archive: &Path,
    data: &[u8],
    limits: &ArchiveLimits,
    collector: &Collector,
) -> u64 {
    let mut budget = Budget {
        scanner,
        archive,
        limits,
        collector,
        entries: 0,
        bytes_left: limits.max_total_bytes,
        scanned: 0,
        buf: Vec::new(),
    };
    let result = match kind {
        ArchiveKind::Zip => scan_zip(&mut budget, data),
        ArchiveKind::Tar => scan_tar(&mut budget, data),
        ArchiveKind::TarGz => scan_tar(&mut budget, flate2::read::GzDecoder::new(data)),
    };
    if let Err(message) = result {
        collector.error(archive, FileErrorKind::Archive(message));
    }
    budget.scanned
}

fn scan_zip(budget: &mut Budget<'_>, data: &[u8]) -> Result<(), String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(data)).map_err(|e| e.to_string())?;
    for i in 0..zip.len() {
        if !budget.next_entry() {
            break;
        }
        let mut entry = match zip.by_index(i) {
            Ok(entry) => entry,
            Err(err) => {
                budget
                    .collector
                    .error(budget.archive, FileErrorKind::Archive(err.to_string()));
                continue;
            }
        };
        if !entry.is_file() {
            continue;
        }
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("#{i}"));
        if !budget.scan_entry(&name, &mut entry) {
            break;
        }
    }
    Ok(())
}

fn scan_tar<R: Read>(budget: &mut Budget<'_>, reader: R) -> Result<(), String> {
    let mut tar = tar::Archive::new(reader);
    for entry in tar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if !budget.next_entry() {
            break;
        }
        if !entry.header().entry_type().is_file() {
            continue;
        }
        // Skipping an entry still decompresses it: charge the declared size up front.
        let declared = entry.header().size().unwrap_or(0);
        if declared > budget.bytes_left {
            budget.over_bytes();
            break;
        }
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !budget.scan_entry(&name, &mut entry) {
            break;
        }
    }
    Ok(())
}
