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

mod flat;
mod layers;
mod store;
pub mod stream;
mod tar_stream;

use std::io::{Cursor, Read};
use std::path::Path;

use serde_json::Value;

use self::flat::{Flat, change, decode_layer, normalize};
use self::store::{BlobStore, digest_path};
use self::tar_stream::{Kind, TarStream};
use super::{FileInfo, FileMeta, Source, VisitFn, WantFn};
use crate::{Diagnostic, Error};

pub use self::layers::{Layer, LayerFile, LayerRef};

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

/// A container image, flattened.
pub struct ImageSource {
    description: String,
    store: BlobStore,
    layers: Vec<String>,
    flat: Flat,
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
            docker_layers(&|n| store.read_json(n), &|n| store.contains(n))?
        } else if store.contains("index.json") {
            oci_layers(&|n| store.read_json(n))?
        } else {
            return Err(Error::Invalid(format!(
                "{shown}: neither a docker save archive nor an OCI image layout"
            )));
        };
        let mut image = ImageSource {
            description: format!("{kind}:{shown}"),
            store,
            layers,
            flat: Flat::default(),
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
        self.flat
            .nodes
            .iter()
            .filter(|(_, n)| n.kind == Kind::File)
            .map(|(p, _)| p.as_str())
    }

    /// A layer's tar stream, decompressed (gzip or zstd) and bounded.
    fn layer_stream(&self, index: usize) -> Result<TarStream<Box<dyn Read + Send + '_>>, Error> {
        let name = &self.layers[index];
        let raw = self.store.open(name)?;
        Ok(TarStream::new(decode_layer(
            raw,
            name,
            self.limits.max_layer_bytes,
        )?))
    }

    /// Pass 1: applies the layers' headers, in order.
    fn flatten(&mut self) -> Result<(), Error> {
        for layer in 0..self.layers.len() {
            let mut stream = self.layer_stream(layer)?;
            let mut ordinal = 0u64;
            let mut problems = Vec::new();
            let mut changes = Vec::new();
            loop {
                let header = match stream.next_header() {
                    Ok(Some(h)) => h,
                    Ok(None) => break,
                    Err(e) => return Err(Error::malformed(&self.layers[layer], e)),
                };
                ordinal += 1;
                match change(&header, layer, ordinal) {
                    Ok(Some(c)) => changes.push(c),
                    Ok(None) => {}
                    Err(problem) => problems.push(problem),
                }
            }
            drop(stream);
            self.flat.apply(layer, changes, self.limits.max_entries)?;
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
}

impl Source for ImageSource {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn as_image(&self) -> Option<&ImageSource> {
        Some(self)
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
        for node in self.flat.nodes.values() {
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
                    .flat
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
            .flat
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
        match self.flat.nodes.get(&normalize(path).unwrap_or_default()) {
            Some(node) if node.kind == Kind::Symlink => Ok(node.link.clone()),
            _ => Err(Error::Invalid(format!("{path}: not a symbolic link"))),
        }
    }
}

/// Reads a JSON blob by name.
type ReadJson<'a> = dyn Fn(&str) -> Result<Value, Error> + 'a;

/// Layer blob names of a `docker save` archive (first image).
fn docker_layers(
    read_json: &ReadJson<'_>,
    contains: &dyn Fn(&str) -> bool,
) -> Result<Vec<String>, Error> {
    let manifest = read_json("manifest.json")?;
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
            let name = name
                .split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect::<Vec<_>>()
                .join("/");
            if !contains(&name) {
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
fn oci_layers(read_json: &ReadJson<'_>) -> Result<Vec<String>, Error> {
    let mut doc = read_json("index.json")?;
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
        doc = read_json(&digest_path(digest)?)?;
    }
    Err(Error::malformed("index.json", "indexes nested too deep"))
}
