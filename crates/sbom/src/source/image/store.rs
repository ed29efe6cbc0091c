//! Where an image's files live: a `docker save` archive or an OCI layout
//! packed in a tar file, or an OCI layout directory. Both are a
//! [`BlobStore`]: named blobs (`manifest.json`, `blobs/sha256/<hex>`) that
//! can be read whole (small JSON) or streamed (layers).

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::tar_stream::{Kind, TarStream};
use crate::Error;

/// Largest JSON document (manifest, index, config) read from an image.
pub const JSON_LIMIT: u64 = 4 << 20;

/// Named blobs of an image.
pub enum BlobStore {
    /// A tar archive: entry name → (data offset, size).
    Tar {
        /// The archive.
        path: PathBuf,
        /// Entries by normalized name.
        entries: HashMap<String, (u64, u64)>,
    },
    /// An OCI layout directory.
    Dir(PathBuf),
}

impl BlobStore {
    /// Indexes a tar archive (`docker save` output, or an OCI layout in a
    /// tar) by reading its headers only (data is skipped with seeks).
    pub fn open_tar(path: &Path) -> Result<BlobStore, Error> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|e| Error::io(&shown, e))?;
        let mut stream = TarStream::new(file);
        let mut entries = HashMap::new();
        loop {
            stream.seek_past_data().map_err(|e| Error::io(&shown, e))?;
            let Some(header) = stream
                .next_header()
                .map_err(|e| Error::malformed(&shown, e))?
            else {
                break;
            };
            if header.kind != Kind::File {
                continue;
            }
            if entries.len() >= 100_000 {
                return Err(Error::malformed(
                    &shown,
                    "more than 100000 entries in the image archive",
                ));
            }
            entries.insert(normalize(&header.path), (stream.position(), header.size));
        }
        Ok(BlobStore::Tar {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// Whether the store has a blob called `name`.
    pub fn contains(&self, name: &str) -> bool {
        match self {
            BlobStore::Tar { entries, .. } => entries.contains_key(name),
            BlobStore::Dir(dir) => safe_name(name) && dir.join(name).is_file(),
        }
    }

    /// Streams blob `name`.
    pub fn open(&self, name: &str) -> Result<Box<dyn Read + Send>, Error> {
        match self {
            BlobStore::Tar { path, entries } => {
                let &(offset, size) = entries.get(name).ok_or_else(|| {
                    Error::Invalid(format!("{}: no {name} in the archive", path.display()))
                })?;
                let shown = path.display().to_string();
                let mut file = File::open(path).map_err(|e| Error::io(&shown, e))?;
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| Error::io(&shown, e))?;
                Ok(Box::new(file.take(size)))
            }
            BlobStore::Dir(dir) => {
                if !safe_name(name) {
                    return Err(Error::Invalid(format!("unsafe blob name {name:?}")));
                }
                let path = dir.join(name);
                let file =
                    File::open(&path).map_err(|e| Error::io(&path.display().to_string(), e))?;
                Ok(Box::new(file))
            }
        }
    }

    /// Reads a small JSON blob.
    pub fn read_json(&self, name: &str) -> Result<serde_json::Value, Error> {
        let mut bytes = Vec::new();
        self.open(name)?
            .take(JSON_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(name, e))?;
        if bytes.len() as u64 > JSON_LIMIT {
            return Err(Error::TooLarge {
                path: name.to_string(),
                limit: JSON_LIMIT,
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| Error::malformed(name, e))
    }
}

/// `./a//b/` → `a/b`.
fn normalize(name: &str) -> String {
    name.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Blob names come from manifests: only plain relative paths without `..`
/// may be opened in a directory.
fn safe_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('/')
        && name
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// The blob path of an OCI digest (`sha256:<hex>` → `blobs/sha256/<hex>`),
/// refusing anything but `[a-z0-9+._-]` algorithms and hex digests.
pub fn digest_path(digest: &str) -> Result<String, Error> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| Error::Invalid(format!("invalid digest {digest:?}")))?;
    let alg_ok = !alg.is_empty()
        && alg
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "+._-".contains(c));
    let hex_ok = !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit());
    if !alg_ok || !hex_ok {
        return Err(Error::Invalid(format!("invalid digest {digest:?}")));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_and_names_cannot_traverse() {
        assert_eq!(
            digest_path("sha256:abcdef0123").ok().as_deref(),
            Some("blobs/sha256/abcdef0123")
        );
        assert!(digest_path("sha256:../../etc/passwd").is_err());
        assert!(digest_path("../x:abc").is_err());
        assert!(!safe_name("../manifest.json"));
        assert!(!safe_name("/etc/passwd"));
        assert!(safe_name("blobs/sha256/abc"));
        assert_eq!(normalize("./a//b/"), "a/b");
    }
}
