//! Read-only reader for the Berkeley DB hash database rpm used until 4.16
//! (`/var/lib/rpm/Packages`): keys are package numbers, values are RPM
//! header blobs, almost always stored on overflow pages.
//!
//! Hand-written from Berkeley DB's documented on-disk layout (`db_page.h`):
//! the only crates that read it bind the C library. Page layout:
//!
//! - page 0, the hash metadata page: magic `0x061561` at byte 12 (its byte
//!   order is the file's), page size at 20, last page number at 32;
//! - every page: a 26-byte header — `pgno` at 8, `next_pgno` at 16, entry
//!   count (u16) at 20, `hf_offset` (u16) at 22, page type at 25 — then, on
//!   hash pages, an array of u16 item offsets, keys and values alternating;
//! - a value item is `H_KEYDATA` (1: inline bytes) or `H_OFFPAGE` (3: first
//!   overflow page at +4, total length at +8); overflow pages hold
//!   `hf_offset` bytes after their header and chain through `next_pgno`.
//!
//! Every offset, length and chain is bounds-checked; cycles are cut.

use crate::Error;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
/// Largest header blob accepted (real ones are a few hundred KiB).
const MAX_BLOB: usize = 64 << 20;

/// Byte order of one database file.
#[derive(Clone, Copy)]
struct Order {
    little: bool,
}

impl Order {
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.little {
            u32::from_le_bytes(s)
        } else {
            u32::from_be_bytes(s)
        })
    }

    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.little {
            u16::from_le_bytes(s)
        } else {
            u16::from_be_bytes(s)
        })
    }
}

fn byte_order(bytes: &[u8]) -> Option<Order> {
    [Order { little: true }, Order { little: false }]
        .into_iter()
        .find(|o| o.u32(bytes, 12) == Some(HASH_MAGIC))
}

/// Whether `bytes` starts with a Berkeley DB hash metadata page.
pub fn is_bdb_hash(bytes: &[u8]) -> bool {
    byte_order(bytes).is_some()
}

/// The value of every record: the RPM header blobs.
pub fn header_blobs(path: &str, bytes: &[u8]) -> Result<Vec<Vec<u8>>, Error> {
    let order =
        byte_order(bytes).ok_or_else(|| Error::malformed(path, "not a Berkeley DB hash file"))?;
    let page_size = order.u32(bytes, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(Error::malformed(
            path,
            format!("invalid page size {page_size}"),
        ));
    }
    let page_count = bytes.len() / page_size;
    let page = |n: usize| bytes.get(n * page_size..(n + 1) * page_size);
    let mut blobs = Vec::new();
    for n in 1..page_count {
        let Some(p) = page(n) else { break };
        if !matches!(p[25], P_HASH | P_HASH_UNSORTED) {
            continue;
        }
        let entries = order.u16(p, 20).unwrap_or(0) as usize;
        // Values are the odd entries (key, value, key, value…).
        for i in (1..entries).step_by(2) {
            let Some(off) = order.u16(p, PAGE_HEADER + 2 * i).map(usize::from) else {
                break;
            };
            let Some(&kind) = p.get(off) else { continue };
            match kind {
                H_OFFPAGE => {
                    let (Some(first), Some(total)) = (order.u32(p, off + 4), order.u32(p, off + 8))
                    else {
                        continue;
                    };
                    blobs.push(overflow_chain(
                        path,
                        order,
                        &page,
                        page_count,
                        first as usize,
                        total as usize,
                    )?);
                }
                H_KEYDATA => {
                    // Inline item: runs up to the previous item (items grow
                    // downwards from the end of the page).
                    let end = match i {
                        0 => page_size,
                        _ => order
                            .u16(p, PAGE_HEADER + 2 * (i - 1))
                            .map_or(page_size, usize::from),
                    };
                    if let Some(data) = p.get(off + 1..end) {
                        blobs.push(data.to_vec());
                    }
                }
                _ => {}
            }
        }
    }
    Ok(blobs)
}

/// Reassembles a value stored on a chain of overflow pages.
fn overflow_chain<'a>(
    path: &str,
    order: Order,
    page: &impl Fn(usize) -> Option<&'a [u8]>,
    page_count: usize,
    first: usize,
    total: usize,
) -> Result<Vec<u8>, Error> {
    if total > MAX_BLOB {
        return Err(Error::malformed(
            path,
            format!("record of {total} bytes is implausibly large"),
        ));
    }
    let mut out = Vec::with_capacity(total);
    let mut next = first;
    let mut hops = 0;
    while next != 0 && out.len() < total {
        hops += 1;
        let p = page(next).filter(|_| hops <= page_count).ok_or_else(|| {
            Error::malformed(path, format!("overflow chain reaches bad page {next}"))
        })?;
        if p[25] != P_OVERFLOW {
            return Err(Error::malformed(
                path,
                format!("page {next} is not an overflow page"),
            ));
        }
        let len = order.u16(p, 22).map_or(0, usize::from);
        let data = p
            .get(PAGE_HEADER..PAGE_HEADER + len)
            .ok_or_else(|| Error::malformed(path, format!("overflow page {next} overruns")))?;
        out.extend_from_slice(data);
        next = order.u32(p, 16).unwrap_or(0) as usize;
    }
    out.truncate(total);
    Ok(out)
}
