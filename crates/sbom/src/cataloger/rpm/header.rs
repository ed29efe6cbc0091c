//! The RPM header blob as stored in rpm databases (the "header immutable
//! region" without the lead and magic), documented in
//! <https://rpm-software-management.github.io/rpm/manual/format_v4.html>.
//!
//! Layout, all big-endian: `index_count: u32`, `data_len: u32`, then
//! `index_count` entries of `(tag, type, offset, count)` (4 × u32), then
//! `data_len` bytes of data the entries point into. Hand-written: no
//! maintained crate decodes headers without a whole `.rpm` around them.

/// `RPMTAG_NAME`.
pub const TAG_NAME: u32 = 1000;
/// `RPMTAG_VERSION`.
pub const TAG_VERSION: u32 = 1001;
/// `RPMTAG_RELEASE`.
pub const TAG_RELEASE: u32 = 1002;
/// `RPMTAG_EPOCH`.
pub const TAG_EPOCH: u32 = 1003;
/// `RPMTAG_LICENSE`.
pub const TAG_LICENSE: u32 = 1014;
/// `RPMTAG_ARCH`.
pub const TAG_ARCH: u32 = 1022;
/// `RPMTAG_SOURCERPM`.
pub const TAG_SOURCERPM: u32 = 1044;
/// `RPMTAG_DIRINDEXES`: for each file, its index in `DIRNAMES`.
pub const TAG_DIRINDEXES: u32 = 1116;
/// `RPMTAG_BASENAMES`: file names.
pub const TAG_BASENAMES: u32 = 1117;
/// `RPMTAG_DIRNAMES`: directories, with a trailing `/`.
pub const TAG_DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Sanity bound on the index size (real headers have a few hundred tags).
const MAX_ENTRIES: usize = 1 << 16;

/// A decoded header, borrowing its blob.
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

#[derive(Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

impl<'a> Header<'a> {
    /// Decodes the index of a header blob, checking every bound.
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, String> {
        let count = be32(blob, 0).ok_or("truncated header")? as usize;
        let data_len = be32(blob, 4).ok_or("truncated header")? as usize;
        if count > MAX_ENTRIES {
            return Err(format!("implausible index of {count} entries"));
        }
        let data_start = 8 + count * 16;
        let data = blob
            .get(data_start..data_start.saturating_add(data_len))
            .ok_or("header data runs past the blob")?;
        let mut entries = Vec::with_capacity(count);
        for i in 0..count {
            let at = 8 + i * 16;
            let (Some(tag), Some(kind), Some(offset), Some(count)) = (
                be32(blob, at),
                be32(blob, at + 4),
                be32(blob, at + 8),
                be32(blob, at + 12),
            ) else {
                return Err("truncated index".into());
            };
            entries.push(Entry {
                tag,
                kind,
                offset: offset as usize,
                count: count as usize,
            });
        }
        Ok(Header { entries, data })
    }

    fn entry(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().copied().find(|e| e.tag == tag)
    }

    /// A string tag (first element of string arrays), if present and valid.
    pub fn string(&self, tag: u32) -> Option<&'a str> {
        let e = self.entry(tag)?;
        if !matches!(e.kind, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return None;
        }
        let rest = self.data.get(e.offset..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(&rest[..end]).ok()
    }

    /// A string-array tag; empty if absent or malformed. The count is
    /// bounded by the data: each string takes at least one byte.
    pub fn strings(&self, tag: u32) -> Vec<&'a str> {
        let Some(e) = self.entry(tag).filter(|e| e.kind == TYPE_STRING_ARRAY) else {
            return Vec::new();
        };
        let mut rest = self.data.get(e.offset..).unwrap_or_default();
        let mut out = Vec::new();
        while out.len() < e.count {
            let Some(end) = rest.iter().position(|&b| b == 0) else {
                break;
            };
            out.push(std::str::from_utf8(&rest[..end]).unwrap_or_default());
            rest = &rest[end + 1..];
        }
        out
    }

    /// An int32-array tag; empty if absent or malformed.
    pub fn int32s(&self, tag: u32) -> Vec<u32> {
        let Some(e) = self.entry(tag).filter(|e| e.kind == TYPE_INT32) else {
            return Vec::new();
        };
        (0..e.count)
            .map_while(|i| be32(self.data, e.offset.checked_add(i.checked_mul(4)?)?))
            .collect()
    }

    /// An int32 tag (first element), if present.
    pub fn int32(&self, tag: u32) -> Option<u32> {
        let e = self.entry(tag)?;
        if e.kind != TYPE_INT32 {
            return None;
        }
        be32(self.data, e.offset)
    }
}

/// Builds a header blob from `(tag, value)` pairs; used by tests of the
/// database readers and of this decoder.
#[cfg(test)]
pub(crate) fn build(tags: &[(u32, &str)], epoch: Option<u32>) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data = Vec::new();
    if let Some(epoch) = epoch {
        index.push((TAG_EPOCH, TYPE_INT32, data.len()));
        data.extend_from_slice(&epoch.to_be_bytes());
    }
    for (tag, value) in tags {
        index.push((*tag, TYPE_STRING, data.len()));
        data.extend_from_slice(value.as_bytes());
        data.push(0);
    }
    let mut blob = Vec::new();
    blob.extend_from_slice(&(index.len() as u32).to_be_bytes());
    blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
    for (tag, kind, offset) in index {
        for v in [tag, kind, offset as u32, 1] {
            blob.extend_from_slice(&v.to_be_bytes());
        }
    }
    blob.extend_from_slice(&data);
    blob
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let blob = build(
            &[
                (TAG_NAME, "bash"),
                (TAG_VERSION, "5.1.8"),
                (TAG_RELEASE, "6.el9"),
            ],
            Some(1),
        );
        let h = Header::parse(&blob).expect("valid header");
        assert_eq!(h.string(TAG_NAME), Some("bash"));
        assert_eq!(h.string(TAG_RELEASE), Some("6.el9"));
        assert_eq!(h.int32(TAG_EPOCH), Some(1));
        assert_eq!(h.string(TAG_ARCH), None);
        // Every truncation is an error or a missing tag, never a panic.
        for len in 0..blob.len() {
            if let Ok(h) = Header::parse(&blob[..len]) {
                let _ = h.string(TAG_NAME);
            }
        }
        let mut huge = blob.clone();
        huge[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(Header::parse(&huge).is_err());
    }
}
