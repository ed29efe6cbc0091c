//! Every layer of an image, file by file — also the files an upper layer
//! deletes or replaces. Package catalogers want the flattened view only, but
//! secret and malware scanners must see every layer: a credential added in
//! one layer and deleted in the next is still in the image (anyone with the
//! image can extract that layer), so findings name the layer they come from
//! and whether the file is still visible in the final filesystem.

use serde_json::Value;

use super::flat::normalize;
use super::tar_stream::Kind;
use super::{FILE_LIMIT, ImageSource, ReadJson};
use crate::{Diagnostic, Error};

/// One layer of an image.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layer {
    /// Position in the image, bottom (base) layer first, from 0.
    pub index: usize,
    /// Blob name inside the archive or layout (`blobs/sha256/<hex>`,
    /// `<id>/layer.tar` in classic `docker save` archives).
    pub blob: String,
    /// `<alg>:<hex>`: the blob's name when it is content-addressed
    /// (`blobs/<alg>/<hex>`: OCI layouts, Docker archives with the containerd
    /// image store), else the layer's `rootfs.diff_ids` entry in the image
    /// config (classic `docker save` archives); `None` when neither is known.
    pub digest: Option<String>,
}

/// Where in a container image a scanned file was found: the layer it was read from and
/// whether it is still what the final image shows. Secret and malware findings carry it.
///
/// Every layer is scanned, not only the final filesystem: a file added in one layer and
/// deleted in a later one is still in the image (anyone who pulls it can extract the layer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct LayerRef {
    /// Position of the layer in the image, base layer first, from 0.
    pub index: usize,
    /// The layer's digest (`sha256:…`) when the image stores layers by digest (OCI layouts,
    /// Docker ≥ 25 archives), else its blob name in the archive (`<id>/layer.tar`).
    pub digest: String,
    /// Whether this file is what the final image shows at its path; `false` when an upper
    /// layer deleted or replaced it.
    pub visible: bool,
}

impl LayerRef {
    /// The reference to `layer` of an image, for a file visible or not.
    pub fn new(layer: &Layer, visible: bool) -> LayerRef {
        LayerRef {
            index: layer.index,
            digest: layer.id().to_string(),
            visible,
        }
    }
}

impl Layer {
    /// The layer at `index` stored as blob `blob`; the digest is read from
    /// the blob name when it is content-addressed.
    pub fn new(index: usize, blob: &str) -> Layer {
        let digest = blob
            .strip_prefix("blobs/")
            .map(|rest| rest.replacen('/', ":", 1))
            .filter(|d| is_digest(d));
        Layer {
            index,
            blob: blob.to_string(),
            digest,
        }
    }

    /// The digest when there is one, else the blob name: how to name the
    /// layer to a person.
    pub fn id(&self) -> &str {
        self.digest.as_deref().unwrap_or(&self.blob)
    }
}

/// A regular file met in one layer.
#[derive(Debug, Clone, Copy)]
pub struct LayerFile<'a> {
    /// The layer holding this entry.
    pub layer: &'a Layer,
    /// Normalized absolute path inside the image.
    pub path: &'a str,
    /// Size in bytes, as the tar header says.
    pub size: u64,
    /// Unix permission bits.
    pub mode: u32,
    /// Whether this very entry is what the final (flattened) image shows at
    /// `path`: false when an upper layer deleted or replaced it.
    pub visible: bool,
}

/// Each layer's digest: from its blob name when it is content-addressed,
/// else from the image config's `rootfs.diff_ids` (the SHA-256 of each
/// uncompressed layer tar, what classic `docker save` archives name layers by).
pub(super) fn layer_digests(layers: &[String], read_json: &ReadJson<'_>) -> Vec<Option<String>> {
    let diff_ids: Vec<String> = read_json("manifest.json")
        .ok()
        .and_then(|m| {
            let config = m.get(0)?.get("Config")?.as_str()?.to_string();
            let config = config
                .split('/')
                .filter(|c| !c.is_empty() && *c != ".")
                .collect::<Vec<_>>()
                .join("/");
            read_json(&config).ok()
        })
        .and_then(|c| {
            c.pointer("/rootfs/diff_ids")?.as_array().map(|ids| {
                ids.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
        })
        .unwrap_or_default();
    layers
        .iter()
        .enumerate()
        .map(|(index, blob)| {
            Layer::new(index, blob).digest.or_else(|| {
                diff_ids
                    .get(index)
                    .filter(|id| diff_ids.len() == layers.len() && is_digest(id))
                    .cloned()
            })
        })
        .collect()
}

/// `<alg>:<hex>` with a non-empty algorithm name and hex digits.
fn is_digest(text: &str) -> bool {
    text.split_once(':').is_some_and(|(alg, hex)| {
        !alg.is_empty()
            && alg
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && !hex.is_empty()
            && hex.chars().all(|c| c.is_ascii_hexdigit())
    })
}

impl ImageSource {
    /// The layers, bottom first, with their digests.
    pub fn layer_list(&self) -> Vec<Layer> {
        let digests = layer_digests(&self.layers, &|n| self.store.read_json(n));
        self.layers
            .iter()
            .enumerate()
            .map(|(index, blob)| Layer {
                digest: digests.get(index).cloned().flatten(),
                ..Layer::new(index, blob)
            })
            .collect()
    }

    /// Walks every regular file of every layer, bottom layer first, in one
    /// thread. `want` decides on the name and size; wanted files are read
    /// into memory (at most [`FILE_LIMIT`] bytes, larger ones are reported)
    /// and handed to `visit`. Entries that climb out of the root (`..`)
    /// were already set aside when the image was opened and are reported
    /// again; links, directories, devices and FIFOs are never read. A layer
    /// that cannot be read to its end (corrupt, or past
    /// [`Limits::max_layer_bytes`](super::Limits::max_layer_bytes)) is
    /// reported and the walk goes on with the next one.
    pub fn walk_layers(
        &self,
        want: &mut dyn FnMut(&LayerFile<'_>) -> bool,
        visit: &mut dyn FnMut(&LayerFile<'_>, Vec<u8>),
        report: &mut dyn FnMut(Diagnostic),
    ) -> Result<(), Error> {
        for problem in &self.problems {
            report(problem.clone());
        }
        for layer in self.layer_list() {
            let problem = |message: String| Diagnostic {
                path: layer.blob.clone(),
                cataloger: String::new(),
                message,
            };
            let mut stream = match self.layer_stream(layer.index) {
                Ok(stream) => stream,
                Err(e) => {
                    report(problem(format!("layer not read: {e}")));
                    continue;
                }
            };
            let mut ordinal = 0u64;
            loop {
                let header = match stream.next_header() {
                    Ok(Some(h)) => h,
                    Ok(None) => break,
                    Err(e) => {
                        report(problem(format!("layer stopped early: {e}")));
                        break;
                    }
                };
                ordinal += 1;
                if header.kind != Kind::File {
                    continue;
                }
                let Some(path) = normalize(&header.path) else {
                    continue; // reported when the image was opened
                };
                if path
                    .rsplit('/')
                    .next()
                    .is_some_and(|n| n.starts_with(".wh."))
                {
                    continue; // whiteout markers are not files
                }
                let visible = self
                    .flat
                    .nodes
                    .get(&path)
                    .is_some_and(|n| n.layer == layer.index && n.ordinal == ordinal);
                let file = LayerFile {
                    layer: &layer,
                    path: &path,
                    size: header.size,
                    mode: header.mode,
                    visible,
                };
                if !want(&file) {
                    continue;
                }
                match stream.read_data(header.size, FILE_LIMIT) {
                    Ok(Some(data)) => visit(&file, data),
                    Ok(None) => report(Diagnostic {
                        path: path.clone(),
                        cataloger: String::new(),
                        message: format!(
                            "in layer {}: {}",
                            layer.id(),
                            Error::TooLarge {
                                path: path.clone(),
                                limit: FILE_LIMIT,
                            }
                        ),
                    }),
                    Err(e) => {
                        report(problem(format!("layer stopped early at {path}: {e}")));
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_come_from_content_addressed_blob_names() {
        let oci = Layer::new(1, "blobs/sha256/abc123");
        assert_eq!(oci.digest.as_deref(), Some("sha256:abc123"));
        assert_eq!(oci.id(), "sha256:abc123");
        let classic = Layer::new(0, "0f1e/layer.tar");
        assert_eq!(classic.digest, None);
        assert_eq!(classic.id(), "0f1e/layer.tar");
        assert_eq!(Layer::new(0, "blobs/sha256/x/y").digest, None);
        assert_eq!(Layer::new(0, "blobs/sha256/").digest, None);
    }
}
