//! A streaming reader of tar layers with bounded metadata.
//!
//! Hand-written rather than the `tar` crate because that crate reads GNU
//! long-name and PAX extension entries whole into memory whatever their
//! size: a layer declaring a 4 GiB "long name" would allocate 4 GiB. Here
//! every extension record is capped at [`MAX_EXTENSION`] bytes, and the
//! format handled is what image layers use: ustar headers (with `prefix`),
//! GNU `L`/`K` long names and links, PAX `x` records (`path`, `linkpath`,
//! `size`); global `g` headers and sparse files are skipped.

use std::io::{self, Read, Seek, SeekFrom};

/// Largest GNU long name or PAX extension entry accepted.
pub const MAX_EXTENSION: u64 = 64 << 10;

const BLOCK: usize = 512;

/// The kind of a tar entry, as image flattening needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Regular file.
    File,
    /// Hard link to `link`.
    Hardlink,
    /// Symbolic link to `link`.
    Symlink,
    /// Directory.
    Dir,
    /// Device, FIFO or anything else: never read.
    Other,
}

/// One entry's header.
#[derive(Debug, Clone)]
pub struct Header {
    /// Path as stored (not normalized).
    pub path: String,
    /// Link target for links.
    pub link: String,
    /// Entry kind.
    pub kind: Kind,
    /// Size of the data that follows.
    pub size: u64,
    /// Permission bits.
    pub mode: u32,
}

/// Reads entries one after the other; the caller reads or skips each
/// entry's data before asking for the next.
pub struct TarStream<R: Read> {
    inner: R,
    /// Data bytes (plus padding) of the current entry not yet consumed.
    pending: u64,
    /// Bytes consumed from `inner` so far.
    position: u64,
}

fn octal(field: &[u8]) -> io::Result<u64> {
    // GNU base-256 for large values: high bit of the first byte set.
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v
                .checked_mul(256)
                .and_then(|v| v.checked_add(u64::from(b)))
                .ok_or_else(|| bad("numeric field overflows"))?;
        }
        return Ok(v);
    }
    let text: String = field
        .iter()
        .take_while(|&&b| b != 0)
        .map(|&b| b as char)
        .collect();
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    u64::from_str_radix(text, 8).map_err(|_| bad("invalid octal field"))
}

fn bad(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("tar: {msg}"))
}

fn text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// `size` rounded up to whole blocks; an error for sizes within a block of
/// `u64::MAX` (a PAX `size` record can say anything).
fn padded(size: u64) -> io::Result<u64> {
    size.checked_next_multiple_of(BLOCK as u64)
        .ok_or_else(|| bad(&format!("entry size {size} overflows")))
}

impl<R: Read> TarStream<R> {
    /// Reads tar entries from `inner`.
    pub fn new(inner: R) -> TarStream<R> {
        TarStream {
            inner,
            pending: 0,
            position: 0,
        }
    }

    /// Offset in the stream of the next unread byte: right after a header,
    /// the offset of that entry's data.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Reads exactly `buf.len()` bytes, counting them.
    fn fill(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.inner.read_exact(buf)?;
        self.position += buf.len() as u64;
        Ok(())
    }

    /// Skips what is left of the current entry.
    fn skip_pending(&mut self) -> io::Result<()> {
        let n = io::copy(&mut (&mut self.inner).take(self.pending), &mut io::sink())?;
        self.position += n;
        if n != self.pending {
            return Err(bad("truncated entry data"));
        }
        self.pending = 0;
        Ok(())
    }

    /// Reads a whole small extension entry.
    fn read_extension(&mut self, size: u64) -> io::Result<Vec<u8>> {
        if size > MAX_EXTENSION {
            return Err(bad(&format!(
                "extension header of {size} bytes (limit {MAX_EXTENSION})"
            )));
        }
        let mut data = vec![0; padded(size)? as usize];
        self.fill(&mut data)?;
        data.truncate(size as usize);
        Ok(data)
    }

    /// The next entry's header, `None` at the end of the archive.
    pub fn next_header(&mut self) -> io::Result<Option<Header>> {
        self.skip_pending()?;
        let (mut long_path, mut long_link, mut pax_size) = (None, None, None);
        loop {
            let mut block = [0u8; BLOCK];
            match self.inner.read(&mut block[..1])? {
                0 => return Ok(None), // end of stream without end blocks
                _ => {
                    self.position += 1;
                    self.fill(&mut block[1..])?;
                }
            }
            if block.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            let size = octal(&block[124..136])?;
            let flag = block[156];
            match flag {
                b'L' => long_path = Some(text(&self.read_extension(size)?)),
                b'K' => long_link = Some(text(&self.read_extension(size)?)),
                b'x' => {
                    let data = self.read_extension(size)?;
                    for (key, value) in pax_records(&data) {
                        match key.as_str() {
                            "path" => long_path = Some(value),
                            "linkpath" => long_link = Some(value),
                            "size" => pax_size = value.parse::<u64>().ok(),
                            _ => {}
                        }
                    }
                }
                b'g' => {
                    let _ = self.read_extension(size)?;
                }
                _ => {
                    let mut path = text(&block[0..100]);
                    if &block[257..262] == b"ustar" {
                        let prefix = text(&block[345..500]);
                        if !prefix.is_empty() {
                            path = format!("{prefix}/{path}");
                        }
                    }
                    let size = pax_size.unwrap_or(size);
                    let kind = match flag {
                        b'0' | 0 | b'7' => Kind::File,
                        b'1' => Kind::Hardlink,
                        b'2' => Kind::Symlink,
                        b'5' => Kind::Dir,
                        _ => Kind::Other,
                    };
                    // Links and directories carry no data, whatever they say.
                    self.pending = if matches!(kind, Kind::File | Kind::Other) {
                        padded(size)?
                    } else {
                        0
                    };
                    return Ok(Some(Header {
                        path: long_path.unwrap_or(path),
                        link: long_link.unwrap_or_else(|| text(&block[157..257])),
                        kind,
                        size: if kind == Kind::File { size } else { 0 },
                        mode: octal(&block[100..108]).unwrap_or(0) as u32,
                    }));
                }
            }
        }
    }

    /// Streams the current entry's data (`size` bytes as its header says).
    /// The caller must read it to the end before the next header (or the
    /// stream goes out of step); [`TarStream::next_header`] then skips the
    /// padding.
    pub fn data(&mut self, size: u64) -> io::Take<&mut R> {
        let size = size.min(self.pending);
        self.pending -= size;
        self.position += size;
        (&mut self.inner).take(size)
    }

    /// Reads the current entry's data, at most `limit` bytes; returns
    /// `None` if the entry is larger.
    pub fn read_data(&mut self, size: u64, limit: u64) -> io::Result<Option<Vec<u8>>> {
        if size > limit {
            return Ok(None);
        }
        let mut data = vec![0; size as usize];
        self.fill(&mut data)?;
        self.pending = self.pending.saturating_sub(size);
        Ok(Some(data))
    }
}

impl<R: Read + Seek> TarStream<R> {
    /// Skips the current entry's data by seeking instead of reading it.
    pub fn seek_past_data(&mut self) -> io::Result<()> {
        let pending = i64::try_from(self.pending).map_err(|_| bad("entry too large"))?;
        self.inner.seek(SeekFrom::Current(pending))?;
        self.position += self.pending;
        self.pending = 0;
        Ok(())
    }
}

/// Parses PAX records: `"<len> <key>=<value>\n"`.
fn pax_records(mut data: &[u8]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let Some(space) = data.iter().position(|&b| b == b' ') else {
            break;
        };
        let Some(len) = std::str::from_utf8(&data[..space])
            .ok()
            .and_then(|s| s.parse::<usize>().ok())
        else {
            break;
        };
        if len <= space || len > data.len() {
            break;
        }
        let record = &data[space + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(eq) = record.iter().position(|&b| b == b'=') {
            out.push((
                String::from_utf8_lossy(&record[..eq]).into_owned(),
                String::from_utf8_lossy(&record[eq + 1..]).into_owned(),
            ));
        }
        data = &data[len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive() -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let long = format!("{}/file.txt", "d".repeat(150));
        let mut h = tar::Header::new_gnu();
        h.set_size(5);
        h.set_mode(0o755);
        b.append_data(&mut h, &long, &b"hello"[..]).expect("append");
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "link", "/etc/os-release")
            .expect("link");
        b.into_inner().expect("finish")
    }

    #[test]
    fn long_names_links_and_data() -> io::Result<()> {
        let data = archive();
        let mut t = TarStream::new(&data[..]);
        let h = t.next_header()?.ok_or_else(|| bad("no entry"))?;
        assert!(h.path.ends_with("/file.txt") && h.path.len() > 150);
        assert_eq!((h.kind, h.size, h.mode & 0o777), (Kind::File, 5, 0o755));
        assert_eq!(t.read_data(h.size, 100)?, Some(b"hello".to_vec()));
        let h = t.next_header()?.ok_or_else(|| bad("no entry"))?;
        assert_eq!(
            (h.kind, h.link.as_str()),
            (Kind::Symlink, "/etc/os-release")
        );
        assert!(t.next_header()?.is_none());
        Ok(())
    }

    /// Found by `fuzz/` `image_layers` (issue 12): a PAX `size` record near
    /// `u64::MAX` overflowed the padding computation (a panic in debug
    /// builds, a stream out of step in release ones).
    #[test]
    fn r12_pax_size_near_u64_max_is_refused() {
        let header = |name: &[u8], size: &[u8; 12], flag: u8| {
            let mut block = [0u8; BLOCK];
            block[..name.len()].copy_from_slice(name);
            block[124..136].copy_from_slice(size);
            block[156] = flag;
            block
        };
        let record = format!("29 size={}\n", u64::MAX);
        assert_eq!(record.len(), 29);
        let mut data = header(b"pax", b"00000000035\0", b'x').to_vec();
        let mut body = [0u8; BLOCK];
        body[..29].copy_from_slice(record.as_bytes());
        data.extend_from_slice(&body);
        data.extend_from_slice(&header(b"f", b"00000000001\0", b'0'));
        data.extend_from_slice(&[0u8; BLOCK]);
        let mut t = TarStream::new(&data[..]);
        let err = t
            .next_header()
            .expect_err("an entry that cannot be skipped");
        assert!(err.to_string().contains("overflows"), "{err}");
    }

    #[test]
    fn huge_long_name_is_refused() {
        let mut block = [0u8; BLOCK];
        block[..13].copy_from_slice(b"././@LongLink");
        block[124..136].copy_from_slice(b"77777777777\0"); // 8 GiB
        block[156] = b'L';
        let mut t = TarStream::new(&block[..]);
        assert!(t.next_header().is_err());
    }
}
