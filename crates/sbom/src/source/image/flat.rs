//! The flattened filesystem of an image: layers applied in order, with
//! whiteouts and opaque directories. Shared by [`ImageSource`](super::ImageSource)
//! (archives read twice) and [`stream`](super::stream) (one pass over a
//! stream, flattened at the end).

use std::collections::BTreeMap;
use std::io::Read;

use super::tar_stream::{Header, Kind};
use crate::Error;

/// An entry of the flattened filesystem.
#[derive(Debug, Clone)]
pub struct Node {
    /// Layer it comes from (index in the image's layer order).
    pub layer: usize,
    /// Position of its entry in that layer's tar stream (1-based).
    pub ordinal: u64,
    /// Entry kind (never `Dir` or `Other`).
    pub kind: Kind,
    /// Size of a regular file.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
    /// Link target: as stored for symbolic links, normalized for hard links.
    pub link: String,
}

/// What one layer entry does to the view below it.
#[derive(Debug, Clone)]
pub enum Change {
    /// Adds or replaces a file or link (directories are implicit).
    Put(String, Node),
    /// `.wh.<name>`: deletes `<name>` and what is under it.
    Whiteout(String),
    /// `.wh..wh..opq`: deletes what lower layers have under this directory
    /// (the path ends in `/`).
    Opaque(String),
}

/// The change an entry makes, `Ok(None)` for directories and special
/// files, `Err` (a message) for entries that climb out of the root.
pub fn change(header: &Header, layer: usize, ordinal: u64) -> Result<Option<Change>, String> {
    let Some(path) = normalize(&header.path) else {
        return Err(format!(
            "entry {:?} escapes the image root, ignored",
            header.path
        ));
    };
    let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
    if name == ".wh..wh..opq" {
        return Ok(Some(Change::Opaque(format!("{dir}/"))));
    }
    if let Some(hidden) = name.strip_prefix(".wh.") {
        return Ok(Some(Change::Whiteout(format!("{dir}/{hidden}"))));
    }
    if matches!(header.kind, Kind::Dir | Kind::Other) {
        return Ok(None);
    }
    let link = match header.kind {
        Kind::Hardlink => normalize(&header.link).unwrap_or_default(),
        _ => header.link.clone(),
    };
    Ok(Some(Change::Put(
        path,
        Node {
            layer,
            ordinal,
            kind: header.kind,
            size: header.size,
            mode: header.mode,
            link,
        },
    )))
}

/// The flattened view.
#[derive(Debug, Default)]
pub struct Flat {
    /// Every surviving file and link by absolute path.
    pub nodes: BTreeMap<String, Node>,
}

impl Flat {
    /// Applies one layer's changes (in entry order): whiteouts remove
    /// lower-layer entries only, files replace whatever was there.
    pub fn apply(
        &mut self,
        layer: usize,
        changes: Vec<Change>,
        max_entries: usize,
    ) -> Result<(), Error> {
        for change in changes {
            match change {
                Change::Put(path, mut node) => {
                    // A file replacing a directory hides what was under it.
                    self.remove_under(&format!("{path}/"), layer);
                    node.layer = layer;
                    self.nodes.insert(path, node);
                }
                Change::Opaque(dir) => self.remove_under(&dir, layer),
                Change::Whiteout(path) => {
                    if self.nodes.get(&path).is_some_and(|n| n.layer < layer) {
                        self.nodes.remove(&path);
                    }
                    self.remove_under(&format!("{path}/"), layer);
                }
            }
            if self.nodes.len() > max_entries {
                return Err(Error::Invalid(format!(
                    "image has more than {max_entries} files"
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

    /// Resolves symbolic links (inside the image, 40 hops at most) and hard
    /// links to the path of a regular file.
    pub fn resolve(&self, path: &str) -> Option<(&str, &Node)> {
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
pub fn normalize(path: &str) -> Option<String> {
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

/// Decompresses a layer (gzip, zstd or plain tar, told by its first bytes)
/// and bounds the bytes it may produce.
pub fn decode_layer<'a>(
    raw: Box<dyn Read + Send + 'a>,
    name: &str,
    max_bytes: u64,
) -> Result<Box<dyn Read + Send + 'a>, Error> {
    use std::io::BufRead;
    let mut raw = std::io::BufReader::new(raw);
    let magic = raw.fill_buf().map_err(|e| Error::io(name, e))?.to_vec();
    let decoded: Box<dyn Read + Send + 'a> = if magic.starts_with(&[0x1f, 0x8b]) {
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
    Ok(Box::new(Bounded {
        inner: decoded,
        left: max_bytes,
        name: name.to_string(),
    }))
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
