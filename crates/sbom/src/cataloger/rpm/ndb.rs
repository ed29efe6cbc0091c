//! Read-only reader for rpm's own "ndb" package database
//! (`/var/lib/rpm/Packages.db`, SUSE since 15.3).
//!
//! Hand-written from the format rpm documents in `lib/backend/ndb/rpmpkg.c`
//! (no crate reads it). All integers are little-endian.
//!
//! - a 32-byte file header: magic `RpmP`, version, generation, the number of
//!   4 KiB pages holding slots (`slotnpages`, at byte 12);
//! - slots of 16 bytes from byte 32 up to `slotnpages × 4096`: magic `Slot`,
//!   package index, block offset, block count (a block is 16 bytes); an
//!   index of 0 is a free slot;
//! - at `block offset × 16`, a blob: magic `BlbS`, package index,
//!   generation, length, then `length` bytes of RPM header.

use crate::Error;

const FILE_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_MAGIC: &[u8; 4] = b"BlbS";
const HEADER_SIZE: usize = 32;
const SLOT_SIZE: usize = 16;
const PAGE_SIZE: usize = 4096;
const BLOCK_SIZE: usize = 16;
/// Largest header blob accepted.
const MAX_BLOB: usize = 64 << 20;

fn le32(b: &[u8], at: usize) -> Option<usize> {
    let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(s) as usize)
}

/// Whether `bytes` is an ndb package database.
pub fn is_ndb(bytes: &[u8]) -> bool {
    bytes.starts_with(FILE_MAGIC)
}

/// The RPM header blob of every package in the database.
pub fn header_blobs(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    if !is_ndb(bytes) {
        return Err(Error::malformed(path, "no RpmP magic"));
    }
    let slot_pages = le32(bytes, 12).ok_or_else(|| Error::malformed(path, "truncated header"))?;
    let slots_end = slot_pages
        .checked_mul(PAGE_SIZE)
        .filter(|end| *end <= bytes.len())
        .ok_or_else(|| {
            Error::malformed(path, format!("{slot_pages} slot pages do not fit the file"))
        })?;
    let mut blobs = Vec::new();
    for at in (HEADER_SIZE..slots_end).step_by(SLOT_SIZE) {
        let slot = &bytes[at..at + SLOT_SIZE];
        if &slot[0..4] != SLOT_MAGIC {
            return Err(Error::malformed(
                path,
                format!("bad slot magic at byte {at}"),
            ));
        }
        let (Some(index), Some(block)) = (le32(slot, 4), le32(slot, 8)) else {
            continue;
        };
        if index == 0 {
            continue;
        }
        let start = block.saturating_mul(BLOCK_SIZE);
        let head = bytes.get(start..start.saturating_add(16)).ok_or_else(|| {
            Error::malformed(path, format!("package {index}: blob outside the file"))
        })?;
        if &head[0..4] != BLOB_MAGIC || le32(head, 4) != Some(index) {
            return Err(Error::malformed(
                path,
                format!("package {index}: bad blob header"),
            ));
        }
        let len = le32(head, 12).unwrap_or(0);
        if len > MAX_BLOB {
            return Err(Error::malformed(
                path,
                format!("package {index}: blob of {len} bytes"),
            ));
        }
        let data = bytes
            .get(start + 16..start + 16 + len)
            .ok_or_else(|| Error::malformed(path, format!("package {index}: truncated blob")))?;
        blobs.push(data.to_vec());
    }
    Ok(blobs)
}
