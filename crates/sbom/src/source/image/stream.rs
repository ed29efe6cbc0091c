//! One pass over an image archive stream — `docker save` output piped from
//! the Docker Engine, or an OCI layout tar — without seeking and without
//! writing anything to disk.
//!
//! A stream cannot be read twice, and `docker save` writes `manifest.json`
//! (which gives the layer order) after the layers. So, as Trivy does, every
//! layer is cataloged as it streams by, and each wanted file is remembered
//! by `(layer, entry number)`; at the end the layers are flattened in the
//! manifest's order (whiteouts, opaque directories) and only what was found
//! in surviving files is kept. Memory: one file at a time (at most
//! [`FILE_LIMIT`](super::FILE_LIMIT)), small JSON documents, and the
//! entry index.

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};

use serde_json::Value;

use super::flat::{Change, Flat, change, decode_layer, normalize};
use super::layers::{Layer, layer_digests};
use super::tar_stream::{Kind, TarStream};
use super::{FILE_LIMIT, Limits, docker_layers, oci_layers, store::JSON_LIMIT};
use crate::source::{FileInfo, FileInput, FileMeta, WantFn};
use crate::{Diagnostic, Error};

/// Largest os-release file kept while streaming.
const OS_RELEASE_LIMIT: u64 = 64 << 10;

/// A file the scan read while streaming: layer blob name and entry number.
pub type FileKey = (String, u64);

/// What a streamed image leaves once flattened.
#[derive(Debug, Default)]
pub struct Streamed {
    /// Keys of the regular files visible in the final image.
    pub survivors: HashSet<FileKey>,
    /// The first distro file of [`ALL_PATHS`](crate::cataloger::os_release::ALL_PATHS)
    /// the image has (found through its symbolic links), and its content.
    pub os_release: Option<(&'static str, Vec<u8>)>,
    /// Entries that were ignored, and why.
    pub problems: Vec<Diagnostic>,
    /// Layer blob names, bottom first.
    pub layers: Vec<String>,
    /// Each layer's digest, in the order of `layers` (see [`Layer::digest`]).
    pub digests: Vec<Option<String>>,
}

impl Streamed {
    /// The layers, bottom first, with their digests.
    pub fn layer_list(&self) -> Vec<Layer> {
        self.layers
            .iter()
            .enumerate()
            .map(|(index, blob)| Layer {
                digest: self.digests.get(index).cloned().flatten(),
                ..Layer::new(index, blob)
            })
            .collect()
    }
}

/// Streams an image archive once; `visit` receives every wanted file of
/// every layer with its key (many will not survive flattening).
pub fn stream_image(
    reader: &mut (dyn Read + Send),
    limits: Limits,
    want: &WantFn<'_>,
    visit: &mut dyn FnMut(FileKey, &str, u64, &mut dyn FileInput),
) -> Result<Streamed, Error> {
    // The tag `want` gave the file being read (`visit` follows its `want`).
    let tag = std::cell::Cell::new(0u64);
    stream_layers(
        reader,
        limits,
        &mut |file| {
            let meta = FileMeta {
                size: file.size,
                mode: file.mode,
            };
            let meta_fn = move || Some(meta);
            tag.set(want(&FileInfo::new(file.path, &meta_fn)));
            tag.get() != 0
        },
        &mut |file, bytes| {
            visit(
                (file.blob.to_string(), file.ordinal),
                file.path,
                tag.get(),
                &mut Cursor::new(bytes),
            );
        },
    )
}

/// A regular file met while streaming an image, before the layer order is
/// known (`docker save` writes its manifest last).
#[derive(Debug, Clone, Copy)]
pub struct StreamFile<'a> {
    /// Blob name of its layer (`blobs/sha256/<hex>`, `<id>/layer.tar`):
    /// [`Streamed::layers`] gives its position once the stream has ended.
    pub blob: &'a str,
    /// Position of the entry in its layer (1-based); `(blob, ordinal)` is
    /// the file's [`FileKey`].
    pub ordinal: u64,
    /// Normalized absolute path inside the image.
    pub path: &'a str,
    /// Size in bytes, as the tar header says.
    pub size: u64,
    /// Unix permission bits.
    pub mode: u32,
}

impl StreamFile<'_> {
    /// The key that [`Streamed::survivors`] holds when this file is visible
    /// in the final image.
    pub fn key(&self) -> FileKey {
        (self.blob.to_string(), self.ordinal)
    }
}

/// Streams an image archive once, layer by layer, as it comes: `want` sees
/// every regular file of every layer (whiteout markers, links, devices and
/// entries climbing out of the root excepted); wanted files are read into
/// memory (at most [`FILE_LIMIT`](super::FILE_LIMIT); larger ones become
/// problems) and handed to `visit`. Whether a file is still visible in the
/// final image is known only at the end: [`Streamed::survivors`].
pub fn stream_layers(
    reader: &mut (dyn Read + Send),
    limits: Limits,
    want: &mut dyn FnMut(&StreamFile<'_>) -> bool,
    visit: &mut dyn FnMut(&StreamFile<'_>, Vec<u8>),
) -> Result<Streamed, Error> {
    let mut outer = TarStream::new(reader);
    let mut json: HashMap<String, Value> = HashMap::new();
    let mut changes: HashMap<String, Vec<Change>> = HashMap::new();
    let mut os_release_files: HashMap<FileKey, Vec<u8>> = HashMap::new();
    let mut problems = Vec::new();
    let mut entries = 0usize;
    while let Some(header) = outer
        .next_header()
        .map_err(|e| Error::malformed("image stream", e))?
    {
        if header.kind != Kind::File {
            continue;
        }
        let name = header
            .path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .collect::<Vec<_>>()
            .join("/");
        let mut data = outer.data(header.size);
        // Peek: small blobs that parse as JSON are manifests, indexes and
        // configs; everything else is a layer.
        let mut head = Vec::new();
        (&mut data)
            .take(JSON_LIMIT.min(header.size))
            .read_to_end(&mut head)
            .map_err(|e| Error::io(&name, e))?;
        if head.len() as u64 == header.size
            && head.first().is_some_and(|b| *b == b'{' || *b == b'[')
            && let Ok(doc) = serde_json::from_slice::<Value>(&head)
        {
            json.insert(name, doc);
            continue;
        }
        if name.ends_with(".json")
            || name == "repositories"
            || name.ends_with("/VERSION")
            || name == "oci-layout"
        {
            continue; // not JSON after all: nothing we need
        }
        let raw: Box<dyn Read + Send + '_> = Box::new(Cursor::new(head).chain(&mut data));
        let mut layer = TarStream::new(decode_layer(raw, &name, limits.max_layer_bytes)?);
        let mut list = Vec::new();
        let mut ordinal = 0u64;
        loop {
            let header = match layer.next_header() {
                Ok(Some(h)) => h,
                Ok(None) => break,
                Err(e) => return Err(Error::malformed(&name, e)),
            };
            ordinal += 1;
            entries += 1;
            if entries > limits.max_entries {
                return Err(Error::Invalid(format!(
                    "image has more than {} entries",
                    limits.max_entries
                )));
            }
            match change(&header, 0, ordinal) {
                Ok(Some(c @ Change::Put(..))) => list.push(c),
                Ok(Some(whiteout)) => {
                    list.push(whiteout);
                    continue;
                }
                Ok(None) => continue,
                Err(problem) => {
                    problems.push(Diagnostic {
                        path: name.clone(),
                        cataloger: String::new(),
                        message: problem,
                    });
                    continue;
                }
            }
            if header.kind != Kind::File {
                continue;
            }
            let Some(path) = normalize(&header.path) else {
                continue;
            };
            let file = StreamFile {
                blob: &name,
                ordinal,
                path: &path,
                size: header.size,
                mode: header.mode,
            };
            let wanted = want(&file);
            let is_os_release = crate::cataloger::os_release::ALL_PATHS.contains(&path.as_str())
                && header.size <= OS_RELEASE_LIMIT;
            if !wanted && !is_os_release {
                continue;
            }
            match layer.read_data(header.size, FILE_LIMIT) {
                Ok(Some(bytes)) => {
                    if is_os_release {
                        os_release_files.insert(file.key(), bytes.clone());
                    }
                    if wanted {
                        visit(&file, bytes);
                    }
                }
                Ok(None) => problems.push(Diagnostic {
                    path: path.clone(),
                    cataloger: String::new(),
                    message: Error::TooLarge {
                        path,
                        limit: FILE_LIMIT,
                    }
                    .to_string(),
                }),
                Err(e) => return Err(Error::malformed(&name, e)),
            }
        }
        drop(layer);
        // Whatever follows the layer's end blocks in the blob.
        std::io::copy(&mut data, &mut std::io::sink()).map_err(|e| Error::io(&name, e))?;
        changes.insert(name, list);
    }

    let read_json = |n: &str| {
        json.get(n)
            .cloned()
            .ok_or_else(|| Error::malformed(n, "missing from the image stream"))
    };
    let layers = if json.contains_key("manifest.json") {
        docker_layers(&read_json, &|n| changes.contains_key(n))?
    } else if json.contains_key("index.json") {
        oci_layers(&read_json)?
    } else {
        return Err(Error::Invalid(
            "image stream has neither manifest.json nor index.json".into(),
        ));
    };
    let mut flat = Flat::default();
    for (index, name) in layers.iter().enumerate() {
        let list = changes
            .get(name)
            .cloned()
            .ok_or_else(|| Error::malformed(name, "layer missing from the image stream"))?;
        flat.apply(index, list, limits.max_entries)?;
    }
    let key_of = |layer: usize, ordinal: u64| (layers[layer].clone(), ordinal);
    let survivors = flat
        .nodes
        .values()
        .filter(|n| n.kind == Kind::File)
        .map(|n| key_of(n.layer, n.ordinal))
        .collect();
    let os_release = crate::cataloger::os_release::ALL_PATHS
        .iter()
        .find_map(|p| {
            let (_, node) = flat.resolve(p)?;
            let bytes = os_release_files.get(&key_of(node.layer, node.ordinal))?;
            Some((*p, bytes.clone()))
        });
    let digests = layer_digests(&layers, &read_json);
    Ok(Streamed {
        survivors,
        os_release,
        problems,
        layers,
        digests,
    })
}
