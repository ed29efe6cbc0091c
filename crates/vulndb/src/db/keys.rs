//! ed25519 signing keys in PEM files (PKCS#8 private key, SPKI public key),
//! the forms `openssl genpkey -algorithm ed25519` also writes, so a
//! publisher may keep its key in other tooling.

use std::io::Write;
use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{SigningKey, VerifyingKey};

use super::DbError;

/// The largest key file read.
const MAX_KEY_FILE: u64 = 64 << 10;

/// A new random signing key (from the operating system's generator).
pub fn generate() -> Result<SigningKey, DbError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| DbError::Key(format!("no randomness: {e}")))?;
    Ok(SigningKey::from_bytes(&seed))
}

fn read_small(path: &Path) -> Result<String, DbError> {
    let io = |e: std::io::Error| DbError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_KEY_FILE {
        return Err(DbError::Key(format!(
            "{}: {len} bytes is too large for a key file",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(io)
}

/// Reads a PKCS#8 PEM private key.
pub fn read_signing_key(path: &Path) -> Result<SigningKey, DbError> {
    let pem = read_small(path)?;
    SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
        DbError::Key(format!(
            "{}: not an ed25519 PKCS#8 PEM private key: {e}",
            path.display()
        ))
    })
}

/// Reads an SPKI PEM public key.
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, DbError> {
    let pem = read_small(path)?;
    VerifyingKey::from_public_key_pem(&pem).map_err(|e| {
        DbError::Key(format!(
            "{}: not an ed25519 PEM public key: {e}",
            path.display()
        ))
    })
}

fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), DbError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |e: std::io::Error| DbError::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true) // never overwrite a key
        .mode(mode)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Writes a key pair: the private key with mode 0600, the public key 0644.
/// Existing files are not overwritten.
pub fn write_key_pair(key: &SigningKey, private: &Path, public: &Path) -> Result<(), DbError> {
    let line = ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF;
    let private_pem = key
        .to_pkcs8_pem(line)
        .map_err(|e| DbError::Key(e.to_string()))?;
    let public_pem = key
        .verifying_key()
        .to_public_key_pem(line)
        .map_err(|e| DbError::Key(e.to_string()))?;
    write_new(private, &private_pem, 0o600)?;
    write_new(public, &public_pem, 0o644)
}
