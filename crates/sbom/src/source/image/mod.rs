//! Container images as a [`Source`]: a `docker save` archive, an OCI image
//! layout directory, or an OCI layout packed in a tar file.
//!
//! Nothing is extracted to disk. Opening an image reads every layer's tar
//! headers once (pass 1) to build the flattened view: layers applied in
//! order, `.wh.<name>` whiteouts deleting `<name>` from lower layers and
//! `.wh..wh..opq` making a directory opaque. A walk (pass 2) streams the
//! layers again and hands the catalogers only the files that survive in the
//! final view, each read into memory within [`FILE_LIMIT`].
//!
//! Safety: entry paths are normalized and any with a `..` component is
//! ignored (reported); symbolic links are resolved inside the image only;
//! device files, FIFOs and sockets are never read; every layer's
//! decompressed size ([`Limits::max_layer_bytes`]), the entry count and
//! the size of tar metadata are bounded; blob names from manifests are
//! checked digests, so they cannot point outside an OCI directory.

mod store;
mod tar_stream;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;

use serde_json::Value;

use self::store::{BlobStore, digest_path};
use self::tar_stream::{Kind, TarStream};
use super::{FileInfo, FileMeta, Source, VisitFn, WantFn};
use crate::{Diagnostic, Error};

/// Largest file read from an image for cataloging (they are held in memory).
pub const FILE_LIMIT: u64 = 256 << 20;

/// Bounds on what an image may make us do.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Decompressed bytes per layer.
    pub max_layer_bytes: u64,
    /// Entries in the flattened view.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_layer_bytes: 16 << 30,
            max_entries: 2_000_000,
        }
    }
}

/// An entry of the flattened filesystem.
#[derive(Debug, Clone)]
struct Node {
    /// Layer it comes from.
    layer: usize,
    /// Position of its entry in that layer's tar stream.
    ordinal: u64,
    kind: Kind,
    size: u64,
    mode: u32,
    link: String,
}

/// A container image, flattened.
pub struct ImageSource {
    description: String,
    store: BlobStore,
    layers: Vec<String>,
    nodes: BTreeMap<String, Node>,
    limits: Limits,
    /// Problems met while flattening, reported again by every walk.
    problems: Vec<Diagnostic>,
}

impl ImageSource {
    /// Opens a `docker save` archive, an OCI layout directory or an OCI
    /// layout tar, with default [`Limits`].
    pub fn open(path: impl AsRef<Path>) -> Result<ImageSource, Error> {
        ImageSource::open_with(path, Limits::default())
    }

    /// Opens an image with explicit limits.
    pub fn open_with(path: impl AsRef<Path>, limits: Limits) -> Result<ImageSource, Error> {
        let path = path.as_ref();
        let shown = path.display().to_string();
        let (store, kind) = if path.is_dir() {
            (BlobStore::Dir(path.to_path_buf()), "oci-dir")
        } else {
            let store = BlobStore::open_tar(path)?;
            let kind = if store.contains("manifest.json") {
                "docker-archive"
            } else {
                "oci-archive"
            };
            (store, kind)
        };
        let layers = if kind == "docker-archive" {
            docker_layers(&store)?
        } else if store.contains("index.json") {
            oci_layers(&store)?
        } else {
            return Err(Error::Invalid(format!(
                "{shown}: neither a docker save archive nor an OCI image layout"
            )));
        };
        let mut image = ImageSource {
            description: format!("{kind}:{shown}"),
            store,
            layers,
            nodes: BTreeMap::new(),
            limits,
            problems: Vec::new(),
        };
        image.flatten()?;
        Ok(image)
    }

    /// The layer blob names, bottom first.
    pub fn layers(&self) -> &[String] {
        &self.layers
    }

    /// Paths of regular files in the flattened view.
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.kind == Kind::File)
            .map(|(p, _)| p.as_str())
    }

    /// A layer's tar stream, decompressed (gzip or zstd) and bounded.
    fn layer_stream(&self, index: usize) -> Result<TarStream<Box<dyn Read + Send + '_>>, Error> {
        let name = &self.layers[index];
        let mut raw = BufReader::new(self.store.open(name)?);
        let magic = raw.fill_buf().map_err(|e| Error::io(name, e))?.to_vec();
        let decoded: Box<dyn Read + Send> = if magic.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::bufread::MultiGzDecoder::new(raw))
        } else if magic.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            let mut decoder =
                zstd::stream::read::Decoder::with_buffer(raw).map_err(|e| Error::io(name, e))?;
            // 128 MiB window at most, whatever the frame asks for.
            decoder.window_log_max(27).map_err(|e| Error::io(name, e))?;
            Box::new(decoder)
        } else {
            Box::new(raw)
        };
        Ok(TarStream::new(Box::new(Bounded {
            inner: decoded,
            left: self.limits.max_layer_bytes,
            name: name.clone(),
        })))
    }

    /// Pass 1: applies the layers' headers, in order.
    fn flatten(&mut self) -> Result<(), Error> {
        for layer in 0..self.layers.len() {
            let mut stream = self.layer_stream(layer)?;
            let mut ordinal = 0u64;
            let mut problems = Vec::new();
            let mut updates: Vec<(String, Option<Node>, bool)> = Vec::new();
            loop {
                let header = match stream.next_header() {
                    Ok(Some(h)) => h,
                    Ok(None) => break,
                    Err(e) => return Err(Error::malformed(&self.layers[layer], e)),
                };
                ordinal += 1;
                let Some(path) = normalize(&header.path) else {
                    problems.push(format!(
                        "entry {:?} escapes the image root, ignored",
                        header.path
                    ));
                    continue;
                };
                let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
                if name == ".wh..wh..opq" {
                    updates.push((format!("{dir}/"), None, true));
                    continue;
                }
                if let Some(hidden) = name.strip_prefix(".wh.") {
                    updates.push((format!("{dir}/{hidden}"), None, false));
                    continue;
                }
                if header.kind == Kind::Dir || header.kind == Kind::Other {
                    continue;
                }
                let link = match header.kind {
                    Kind::Hardlink => normalize(&header.link).unwrap_or_default(),
                    _ => header.link.clone(),
                };
                let node = Node {
                    layer,
                    ordinal,
                    kind: header.kind,
                    size: header.size,
                    mode: header.mode,
                    link,
                };
                updates.push((path, Some(node), false));
            }
            drop(stream);
            self.apply(layer, updates)?;
            let name = self.layers[layer].clone();
            self.problems
                .extend(problems.into_iter().map(|message| Diagnostic {
                    path: name.clone(),
                    cataloger: String::new(),
                    message,
                }));
        }
        Ok(())
    }

    /// Applies one layer's changes: whiteouts remove lower-layer entries
    /// only, files replace whatever was there.
    fn apply(
        &mut self,
        layer: usize,
        updates: Vec<(String, Option<Node>, bool)>,
    ) -> Result<(), Error> {
        for (path, node, opaque) in updates {
            match node {
                Some(node) => {
                    // A file replacing a directory hides what was under it.
                    self.remove_under(&format!("{path}/"), layer);
                    self.nodes.insert(path, node);
                }
                None if opaque => self.remove_under(&path, layer),
                None => {
                    if self.nodes.get(&path).is_some_and(|n| n.layer < layer) {
                        self.nodes.remove(&path);
                    }
                    self.remove_under(&format!("{path}/"), layer);
                }
            }
            if self.nodes.len() > self.limits.max_entries {
                return Err(Error::Invalid(format!(
                    "image has more than {} files",
                    self.limits.max_entries
                )));
            }
        }
        Ok(())
    }

    /// Removes entries from layers below `layer` under `prefix` (ending in `/`).
    fn remove_under(&mut self, prefix: &str, layer: usize) {
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.to_string()..)
            .take_while(|(p, _)| p.starts_with(prefix))
            .filter(|(_, n)| n.layer < layer)
            .map(|(p, _)| p.clone())
            .collect();
        for p in doomed {
            self.nodes.remove(&p);
        }
    }

    /// Resolves symbolic links (inside the image) and hard links to the
    /// path of a regular file.
    fn resolve(&self, path: &str) -> Option<(&str, &Node)> {
        let mut pending: Vec<String> = components(path).into_iter().rev().collect();
        let mut resolved: Vec<String> = Vec::new();
        let mut hops = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(part);
            let current = format!("/{}", resolved.join("/"));
            if let Some(node) = self.nodes.get(&current)
                && node.kind == Kind::Symlink
            {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                resolved.pop();
                if node.link.starts_with('/') {
                    resolved.clear();
                }
                pending.extend(components(&node.link).into_iter().rev());
            }
        }
        let (key, node) = self
            .nodes
            .get_key_value(&format!("/{}", resolved.join("/")))?;
        match node.kind {
            Kind::File => Some((key.as_str(), node)),
            Kind::Hardlink => self
                .nodes
                .get_key_value(&node.link)
                .filter(|(_, n)| n.kind == Kind::File)
                .map(|(k, n)| (k.as_str(), n)),
            _ => None,
        }
    }
}

/// Normalizes a tar path to `/a/b`; `None` if it climbs with `..`.
fn normalize(path: &str) -> Option<String> {
    let parts = components(path);
    if parts.iter().any(|c| c == "..") || parts.is_empty() {
        return None;
    }
    Some(format!("/{}", parts.join("/")))
}

fn components(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}

impl Source for ImageSource {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn walk(
        &self,
        want: &WantFn<'_>,
        visit: &VisitFn<'_>,
        report: &(dyn Fn(Diagnostic) + Sync),
    ) -> Result<(), Error> {
        for problem in &self.problems {
            report(problem.clone());
        }
        // Which layers still provide files: the others need not be read.
        let mut live = vec![false; self.layers.len()];
        for node in self.nodes.values() {
            live[node.layer] |= node.kind == Kind::File;
        }
        for layer in (0..self.layers.len()).filter(|&l| live[l]) {
            let mut stream = self.layer_stream(layer)?;
            let mut ordinal = 0u64;
            loop {
                let header = match stream.next_header() {
                    Ok(Some(h)) => h,
                    Ok(None) => break,
                    Err(e) => {
                        report(Diagnostic {
                            path: self.layers[layer].clone(),
                            cataloger: String::new(),
                            message: format!("layer stopped early: {e}"),
                        });
                        break;
                    }
                };
                ordinal += 1;
                if header.kind != Kind::File {
                    continue;
                }
                let Some(path) = normalize(&header.path) else {
                    continue;
                };
                let Some(node) = self
                    .nodes
                    .get(&path)
                    .filter(|n| n.layer == layer && n.ordinal == ordinal)
                else {
                    continue; // overwritten or deleted by an upper layer
                };
                let meta = FileMeta {
                    size: node.size,
                    mode: node.mode,
                };
                let meta_fn = move || Some(meta);
                let tag = want(&FileInfo::new(&path, &meta_fn));
                if tag == 0 {
                    continue;
                }
                match stream.read_data(header.size, FILE_LIMIT) {
                    Ok(Some(data)) => visit(&path, tag, &mut Cursor::new(data)),
                    Ok(None) => report(Diagnostic {
                        path: path.clone(),
                        cataloger: String::new(),
                        message: Error::TooLarge {
                            path,
                            limit: FILE_LIMIT,
                        }
                        .to_string(),
                    }),
                    Err(e) => report(Diagnostic {
                        path,
                        cataloger: String::new(),
                        message: format!("cannot read from layer {}: {e}", self.layers[layer]),
                    }),
                }
            }
        }
        Ok(())
    }

    fn read_file(&self, path: &str, limit: u64) -> Result<Vec<u8>, Error> {
        let (real, node) = self
            .resolve(path)
            .ok_or_else(|| Error::io(path, std::io::Error::from(std::io::ErrorKind::NotFound)))?;
        if node.size > limit {
            return Err(Error::TooLarge {
                path: path.to_string(),
                limit,
            });
        }
        let mut stream = self.layer_stream(node.layer)?;
        let mut ordinal = 0u64;
        while let Some(header) = stream
            .next_header()
            .map_err(|e| Error::malformed(real, e))?
        {
            ordinal += 1;
            if ordinal == node.ordinal {
                return stream
                    .read_data(header.size, limit)
                    .map_err(|e| Error::io(real, e))?
                    .ok_or_else(|| Error::TooLarge {
                        path: path.to_string(),
                        limit,
                    });
            }
        }
        Err(Error::malformed(real, "entry vanished from its layer"))
    }

    fn read_link(&self, path: &str) -> Result<String, Error> {
        match self.nodes.get(&normalize(path).unwrap_or_default()) {
            Some(node) if node.kind == Kind::Symlink => Ok(node.link.clone()),
            _ => Err(Error::Invalid(format!("{path}: not a symbolic link"))),
        }
    }
}

/// Fails reads past a byte budget: bounds the work a decompression bomb
/// can cause.
struct Bounded<R> {
    inner: R,
    left: u64,
    name: String,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.left = self.left.checked_sub(n as u64).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("layer {} decompresses past its size limit", self.name),
            )
        })?;
        Ok(n)
    }
}

/// Layer blob names of a `docker save` archive (first image).
fn docker_layers(store: &BlobStore) -> Result<Vec<String>, Error> {
    let manifest = store.read_json("manifest.json")?;
    let layers = manifest
        .get(0)
        .and_then(|m| m.get("Layers"))
        .and_then(Value::as_array)
        .ok_or_else(|| Error::malformed("manifest.json", "no Layers in the first image"))?;
    layers
        .iter()
        .map(|l| {
            let name = l
                .as_str()
                .ok_or_else(|| Error::malformed("manifest.json", "layer is not a string"))?;
            let name = components(name).join("/");
            if !store.contains(&name) {
                return Err(Error::malformed(
                    "manifest.json",
                    format!("layer {name} is not in the archive"),
                ));
            }
            Ok(name)
        })
        .collect()
}

/// Layer blob names of an OCI layout: index → (index →) manifest → layers.
/// For multi-platform indexes, linux/amd64 is preferred, else the first.
fn oci_layers(store: &BlobStore) -> Result<Vec<String>, Error> {
    let mut doc = store.read_json("index.json")?;
    // Indexes may nest; a few levels are plenty.
    for _ in 0..4 {
        if let Some(layers) = doc.get("layers").and_then(Value::as_array) {
            return layers
                .iter()
                .map(|l| digest_path(l.get("digest").and_then(Value::as_str).unwrap_or_default()))
                .collect();
        }
        let manifests = doc
            .get("manifests")
            .and_then(Value::as_array)
            .filter(|m| !m.is_empty())
            .ok_or_else(|| Error::malformed("index.json", "no manifests"))?;
        let platform = |m: &&Value| {
            m.pointer("/platform/os").and_then(Value::as_str) == Some("linux")
                && m.pointer("/platform/architecture").and_then(Value::as_str) == Some("amd64")
        };
        let chosen = manifests.iter().find(platform).unwrap_or(&manifests[0]);
        let digest = chosen
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default();
        doc = store.read_json(&digest_path(digest)?)?;
    }
    Err(Error::malformed("index.json", "indexes nested too deep"))
}
