//! Test helpers: deterministic random tokens shaped like real formats, and file writing.

use std::path::Path;

/// A small deterministic generator (xorshift64*), so planted values differ per test but are
/// reproducible.
pub struct Rng(u64);

const A62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `n` characters from `alphabet`.
    pub fn chars(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| char::from(alphabet[(self.next() % alphabet.len() as u64) as usize]))
            .collect()
    }

    pub fn base62(&mut self, n: usize) -> String {
        self.chars(A62, n)
    }

    pub fn hex(&mut self, n: usize) -> String {
        self.chars(HEX, n)
    }

    pub fn uuid(&mut self) -> String {
        format!(
            "{}-{}-4{}-a{}-{}",
            self.hex(8),
            self.hex(4),
            self.hex(3),
            self.hex(3),
            self.hex(12)
        )
    }

    /// A GitHub-format token: prefix, 30 random base62 characters, CRC32 of them in base62.
    pub fn github(&mut self, prefix: &str) -> String {
        let body = self.base62(30);
        let mut n = crc32fast::hash(body.as_bytes());
        let mut check = Vec::new();
        while n > 0 {
            check.push(A62[(n % 62) as usize]);
            n /= 62;
        }
        while check.len() < 6 {
            check.push(b'0');
        }
        check.reverse();
        format!("{prefix}_{body}{}", String::from_utf8_lossy(&check))
    }

    /// Standard base64 of `n` random bytes.
    pub fn base64_bytes(&mut self, n: usize) -> String {
        use base64::Engine;
        let bytes: Vec<u8> = (0..n).map(|_| self.next() as u8).collect();
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }
}

/// Writes `text` to `root/rel`, creating parent folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("file has a parent")).expect("create dirs");
    std::fs::write(path, text).expect("write file");
}
