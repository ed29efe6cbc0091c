//! Structural validators: checks a candidate secret against a format's own redundancy
//! (checksums, encodings) so look-alikes are dropped and true matches get high confidence.
//!
//! Validators never contact the issuing service: scanners do no network I/O.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// A structural check named by a rule's `validator` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validator {
    /// GitHub (and npm) tokens: `<prefix>_` + 30 base62 characters + 6 base62 characters holding
    /// the CRC32 of those 30 characters, left-padded with `0`.
    GithubCrc32,
    /// A JSON Web Token: three base64url parts, the first two decoding to JSON objects and the
    /// header naming an `alg`.
    Jwt,
    /// An Azure storage account key: standard base64 of exactly 64 bytes.
    AzureStorageKey,
    /// A Discord bot token: the first dot-separated part is the base64 of a numeric user id.
    DiscordBot,
    /// HTTP Basic / Docker `auth` credentials: standard base64 of printable `user:password`.
    BasicAuth,
}

impl Validator {
    /// The name used in rule files.
    pub fn name(self) -> &'static str {
        match self {
            Validator::GithubCrc32 => "github_crc32",
            Validator::Jwt => "jwt",
            Validator::AzureStorageKey => "azure_storage_key",
            Validator::DiscordBot => "discord_bot",
            Validator::BasicAuth => "basic_auth",
        }
    }

    /// True when `secret` has the structure this validator expects.
    pub fn check(self, secret: &[u8]) -> bool {
        match self {
            Validator::GithubCrc32 => github_crc32(secret),
            Validator::Jwt => jwt(secret),
            Validator::AzureStorageKey => STANDARD
                .decode(secret)
                .map(|b| b.len() == 64)
                .unwrap_or(false),
            Validator::DiscordBot => discord_bot(secret),
            Validator::BasicAuth => basic_auth(secret),
        }
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes `n` in base62, left-padded with `0` to `width` characters.
fn base62(mut n: u32, width: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(width);
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    out
}

fn github_crc32(token: &[u8]) -> bool {
    let Some(sep) = token.iter().position(|&b| b == b'_') else {
        return false;
    };
    let body = &token[sep + 1..];
    if body.len() != 36 {
        return false;
    }
    let (random, checksum) = body.split_at(30);
    base62(crc32fast::hash(random), 6) == checksum
}

fn jwt(token: &[u8]) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let decode_object = |part: &[u8]| -> Option<serde_json::Map<String, serde_json::Value>> {
        let bytes = URL_SAFE_NO_PAD
            .decode(part.strip_suffix(b"=").unwrap_or(part))
            .ok()?;
        match serde_json::from_slice(&bytes).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    match (decode_object(header), decode_object(payload)) {
        (Some(h), Some(_)) => h.contains_key("alg"),
        _ => false,
    }
}

fn discord_bot(token: &[u8]) -> bool {
    let first = token.split(|&b| b == b'.').next().unwrap_or_default();
    match URL_SAFE_NO_PAD.decode(first) {
        Ok(id) => !id.is_empty() && id.iter().all(u8::is_ascii_digit),
        Err(_) => false,
    }
}

fn basic_auth(secret: &[u8]) -> bool {
    match STANDARD.decode(secret) {
        Ok(plain) => {
            let printable = plain.iter().all(|b| (0x20..0x7f).contains(b));
            let colon = plain.iter().position(|&b| b == b':');
            // A user may be empty (token-only registries) but the password may not.
            printable && colon.is_some_and(|i| i + 1 < plain.len())
        }
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_checksum_from_published_example() {
        // The example token of GitHub's token format announcement (public, revoked format demo).
        assert!(Validator::GithubCrc32.check(b"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"));
        assert!(!Validator::GithubCrc32.check(b"ghp_zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ0mLq18"));
        assert!(!Validator::GithubCrc32.check(b"ghp_short"));
    }

    #[test]
    fn jwt_structure() {
        let good = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";
        assert!(Validator::Jwt.check(good));
        assert!(!Validator::Jwt.check(b"eyJub3QiOiJqc29uIn0.eyJzdWIiOiIxIn0.c2ln"));
        assert!(!Validator::Jwt.check(b"abc.def"));
    }

    #[test]
    fn azure_key_length() {
        let key = STANDARD.encode([7u8; 64]);
        assert!(Validator::AzureStorageKey.check(key.as_bytes()));
        let short = STANDARD.encode([7u8; 48]);
        assert!(!Validator::AzureStorageKey.check(short.as_bytes()));
    }

    #[test]
    fn basic_auth_needs_user_colon_password() {
        assert!(Validator::BasicAuth.check(STANDARD.encode("ci:s3cr3t-value").as_bytes()));
        assert!(!Validator::BasicAuth.check(STANDARD.encode("no colon").as_bytes()));
        assert!(!Validator::BasicAuth.check(STANDARD.encode("user:").as_bytes()));
        assert!(!Validator::BasicAuth.check(b"not base64!"));
    }

    #[test]
    fn discord_first_part_is_numeric_id() {
        let id = URL_SAFE_NO_PAD.encode(b"123456789012345678");
        assert!(Validator::DiscordBot.check(format!("{id}.GAbcde.xyz").as_bytes()));
        assert!(!Validator::DiscordBot.check(b"aGVsbG8.GAbcde.xyz"));
    }
}
