//! Reading OSV records from files, directory trees and per-ecosystem zip
//! dumps (`https://osv-vulnerabilities.storage.googleapis.com/<eco>/all.zip`).
//!
//! Everything is bounded: a record file may be at most
//! [`Limits::max_record_bytes`], a zip at most [`Limits::max_entries`]
//! entries and [`Limits::max_total_bytes`] once decompressed, and each entry
//! is read through a size cap, so a zip bomb stops with an error instead of
//! filling memory. Nothing is written to disk.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::record::Record;

/// Size limits for loading.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest single record, in bytes (file or zip entry, decompressed).
    pub max_record_bytes: u64,
    /// Most entries read from one zip.
    pub max_entries: usize,
    /// Most bytes decompressed from one zip in total.
    pub max_total_bytes: u64,
    /// Deepest directory recursion.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_record_bytes: 16 << 20,
            max_entries: 1_000_000,
            max_total_bytes: 8 << 30,
            max_depth: 32,
        }
    }
}

/// Why a record or archive could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// Reading the file failed.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The input is larger than the limit allows.
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The zip has more entries than allowed.
    #[error("zip has more than {0} entries")]
    TooManyEntries(usize),
    /// The JSON is not an OSV record.
    #[error("{what}: invalid OSV JSON: {source}")]
    Json {
        /// The file or entry.
        what: String,
        /// The cause.
        source: serde_json::Error,
    },
    /// The YAML is not an OSV record.
    #[error("{what}: invalid OSV YAML: {source}")]
    Yaml {
        /// The file or entry.
        what: String,
        /// The cause.
        source: serde_yaml::Error,
    },
    /// The zip archive is malformed.
    #[error("{path}: invalid zip: {source}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// The cause.
        source: zip::result::ZipError,
    },
}

/// The serialisation of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// JSON (`.json`).
    Json,
    /// YAML (`.yaml`, `.yml`).
    Yaml,
}

impl Format {
    /// The format of a file name by its extension.
    pub fn of(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".json") {
            Some(Format::Json)
        } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
            Some(Format::Yaml)
        } else {
            None
        }
    }
}

/// Parses one record from bytes; `what` names it in errors.
pub fn parse_record(bytes: &[u8], format: Format, what: &str) -> Result<Record, LoadError> {
    match format {
        Format::Json => serde_json::from_slice(bytes).map_err(|source| LoadError::Json {
            what: what.to_string(),
            source,
        }),
        Format::Yaml => serde_yaml::from_slice(bytes).map_err(|source| LoadError::Yaml {
            what: what.to_string(),
            source,
        }),
    }
}

/// Records loaded from many inputs, with the inputs that failed.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Each record with where it came from (a path, or `zip!entry`).
    pub records: Vec<(String, Record)>,
    /// Inputs that could not be read or parsed; loading went on.
    pub problems: Vec<LoadError>,
}

fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, LoadError> {
    let io = |source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(LoadError::TooLarge {
            what: path.display().to_string(),
            limit,
        });
    }
    Ok(bytes)
}

/// Loads one record file (JSON or YAML by extension; JSON otherwise).
pub fn load_file(path: &Path, limits: &Limits) -> Result<Record, LoadError> {
    let name = path.to_string_lossy();
    let format = Format::of(&name).unwrap_or(Format::Json);
    let bytes = read_bounded(path, limits.max_record_bytes)?;
    parse_record(&bytes, format, &name)
}

/// Loads every `.json`, `.yaml`, `.yml` and `.zip` file under `dir`,
/// recursively, in path order. Symbolic links are not followed.
pub fn load_dir(dir: &Path, limits: &Limits) -> Loaded {
    let mut loaded = Loaded::default();
    walk(dir, 0, limits, &mut loaded);
    loaded
}

fn walk(dir: &Path, depth: usize, limits: &Limits, loaded: &mut Loaded) {
    if depth > limits.max_depth {
        return;
    }
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(source) => {
            loaded.problems.push(LoadError::Io {
                path: dir.to_path_buf(),
                source,
            });
            return;
        }
    };
    let mut paths: Vec<(PathBuf, fs::FileType)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_type().ok().map(|t| (e.path(), t)))
        .collect();
    paths.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, kind) in paths {
        let name = path.to_string_lossy().to_string();
        if kind.is_dir() {
            walk(&path, depth + 1, limits, loaded);
        } else if !kind.is_file() {
            continue;
        } else if name.to_ascii_lowercase().ends_with(".zip") {
            match load_zip(&path, limits) {
                Ok(mut z) => {
                    loaded.records.append(&mut z.records);
                    loaded.problems.append(&mut z.problems);
                }
                Err(e) => loaded.problems.push(e),
            }
        } else if Format::of(&name).is_some() {
            match load_file(&path, limits) {
                Ok(record) => loaded.records.push((name, record)),
                Err(e) => loaded.problems.push(e),
            }
        }
    }
}

/// Loads every record of an OSV zip dump. Entries that are not records are
/// reported in [`Loaded::problems`]; exceeding a limit stops with an error.
pub fn load_zip(path: &Path, limits: &Limits) -> Result<Loaded, LoadError> {
    let zip_err = |source| LoadError::Zip {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut archive = zip::ZipArchive::new(file).map_err(zip_err)?;
    if archive.len() > limits.max_entries {
        return Err(LoadError::TooManyEntries(limits.max_entries));
    }
    let mut loaded = Loaded::default();
    let mut total: u64 = 0;
    let mut bytes = Vec::new();
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(zip_err)?;
        if entry.is_dir() {
            continue;
        }
        let entry_name = match entry.name() {
            Ok(n) => n.to_string(),
            Err(e) => {
                loaded.problems.push(zip_err(e));
                continue;
            }
        };
        let name = format!("{}!{entry_name}", path.display());
        let Some(format) = Format::of(&entry_name) else {
            continue;
        };
        bytes.clear();
        // Never trust the declared size: cap what is actually inflated.
        let read = entry
            .take(limits.max_record_bytes + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| LoadError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if read as u64 > limits.max_record_bytes {
            return Err(LoadError::TooLarge {
                what: name,
                limit: limits.max_record_bytes,
            });
        }
        total += read as u64;
        if total > limits.max_total_bytes {
            return Err(LoadError::TooLarge {
                what: path.display().to_string(),
                limit: limits.max_total_bytes,
            });
        }
        match parse_record(&bytes, format, &name) {
            Ok(record) => loaded.records.push((name, record)),
            Err(e) => loaded.problems.push(e),
        }
    }
    Ok(loaded)
}
