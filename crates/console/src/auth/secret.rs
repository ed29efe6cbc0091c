//! Random secrets (session ids, API tokens, keys, codes) and how they are
//! kept at rest.
//!
//! Every secret we hand out is 256 bits from the OS-seeded CSPRNG, so a plain
//! SHA-256 is the right at-rest hash: there is nothing to brute-force, and a
//! fast hash keeps per-request authentication cheap. Passwords, which people
//! choose, are hashed with Argon2id instead (see [`super::password`]).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The prefix of a user's API token.
pub const API_TOKEN_PREFIX: &str = "vdt_";
/// The prefix of the sensor API key.
pub const SENSOR_KEY_PREFIX: &str = "vsk_";
/// The prefix of a sensor's short-lived token.
pub const SENSOR_TOKEN_PREFIX: &str = "vst_";

/// A new random secret: `prefix` followed by 256 random bits in base64url.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// A setup code people can type: 12 characters from an alphabet without
/// look-alikes, in groups of four (about 60 bits).
pub fn generate_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    rand::fill(&mut bytes);
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The at-rest form of a secret: lowercase hex SHA-256.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two strings in constant time.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// The first characters of a secret, safe to show to identify it.
pub fn display_prefix(secret: &str) -> String {
    secret.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_unique_and_prefixed() {
        let a = generate(API_TOKEN_PREFIX);
        let b = generate(API_TOKEN_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("vdt_"));
        assert_eq!(a.len(), 4 + 43);
    }

    #[test]
    fn codes_are_grouped_and_unambiguous() {
        let code = generate_code();
        assert_eq!(code.len(), 14);
        assert_eq!(code.matches('-').count(), 2);
        assert!(!code.contains(['0', 'O', '1', 'I']));
    }

    #[test]
    fn hash_is_stable_hex() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(constant_time_eq(&hash("x"), &hash("x")));
        assert!(!constant_time_eq(&hash("x"), &hash("y")));
    }
}
