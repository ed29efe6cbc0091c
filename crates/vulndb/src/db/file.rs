//! The DB file layout, signing and verification.
//!
//! ```text
//! offset  size  content
//! 0       8     magic "VDTVLNDB"
//! 8       4     header length H, little-endian u32 (at most 1 MiB)
//! 12      H     header, JSON (readable with `head -c`)
//! 12+H    64    ed25519 signature over bytes 0 .. 12+H
//! 76+H    …     payload: zstd(postcard(Payload)), SHA-256 in the header
//! ```
//!
//! The signature covers the header, and the header holds the payload's
//! length and SHA-256, so one signature check plus one hash authenticates
//! the whole file. Checks run in that order (magic, signature, schema
//! version, length, checksum) before anything of the payload is decoded.

use std::io::Read;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

use super::model::{Header, Payload, PayloadInfo, SCHEMA_VERSION};
use super::{DbError, key_id};

/// The first bytes of every DB file.
pub const MAGIC: &[u8; 8] = b"VDTVLNDB";
/// The largest header accepted.
pub const MAX_HEADER_BYTES: usize = 1 << 20;
/// The largest decompressed payload accepted.
pub const MAX_PAYLOAD_BYTES: u64 = 16 << 30;
const SIGNATURE_BYTES: usize = 64;
const ENCODING: &str = "postcard+zstd";

/// Serialises, compresses, checksums and signs a DB. `header.payload` and
/// `header.key_id` are filled in here.
pub fn encode(
    mut header: Header,
    payload: &Payload,
    key: &SigningKey,
    zstd_level: i32,
) -> Result<Vec<u8>, DbError> {
    let raw = postcard::to_stdvec(payload).map_err(|e| DbError::Encode(e.to_string()))?;
    let compressed =
        zstd::bulk::compress(&raw, zstd_level).map_err(|e| DbError::Encode(e.to_string()))?;
    header.payload = PayloadInfo {
        encoding: ENCODING.into(),
        compressed_len: compressed.len() as u64,
        uncompressed_len: raw.len() as u64,
        sha256: hex::encode(Sha256::digest(&compressed)),
    };
    header.key_id = key_id(&key.verifying_key());
    let header_json = serde_json::to_vec(&header).map_err(|e| DbError::Encode(e.to_string()))?;
    let header_len =
        u32::try_from(header_json.len()).map_err(|_| DbError::Encode("header too large".into()))?;
    let mut out = Vec::with_capacity(12 + header_json.len() + 64 + compressed.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&header_json);
    let signature = key.sign(&out);
    out.extend_from_slice(&signature.to_bytes());
    out.extend_from_slice(&compressed);
    Ok(out)
}

/// The parts of a file, split but not yet verified.
struct Parts<'a> {
    signed: &'a [u8],
    header: &'a [u8],
    signature: &'a [u8],
    payload: &'a [u8],
}

fn split(bytes: &[u8]) -> Result<Parts<'_>, DbError> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(DbError::NotADb);
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&bytes[8..12]);
    let header_len = u32::from_le_bytes(len) as usize;
    if header_len > MAX_HEADER_BYTES {
        return Err(DbError::Malformed(format!(
            "header of {header_len} bytes exceeds {MAX_HEADER_BYTES}"
        )));
    }
    let signed_end = 12 + header_len;
    if bytes.len() < signed_end + SIGNATURE_BYTES {
        return Err(DbError::Truncated {
            expected: (signed_end + SIGNATURE_BYTES) as u64,
            found: bytes.len() as u64,
        });
    }
    Ok(Parts {
        signed: &bytes[..signed_end],
        header: &bytes[12..signed_end],
        signature: &bytes[signed_end..signed_end + SIGNATURE_BYTES],
        payload: &bytes[signed_end + SIGNATURE_BYTES..],
    })
}

/// Reads the header without checking the signature (for `db status` when
/// no trusted key is at hand). Never use it to decide what to trust.
pub fn read_header_unverified(bytes: &[u8]) -> Result<Header, DbError> {
    let parts = split(bytes)?;
    serde_json::from_slice(parts.header).map_err(|e| DbError::Malformed(format!("header: {e}")))
}

/// A DB file whose signature, schema and checksum have been verified.
#[derive(Debug)]
pub struct Verified<'a> {
    /// The header.
    pub header: Header,
    /// The whole file.
    pub bytes: &'a [u8],
    payload: &'a [u8],
}

/// Verifies a DB file against a trusted key: magic, signature, schema
/// version, payload length and SHA-256. Nothing is decoded before the
/// signature is known good.
pub fn verify<'a>(bytes: &'a [u8], trusted: &VerifyingKey) -> Result<Verified<'a>, DbError> {
    let parts = split(bytes)?;
    let signature = Signature::from_slice(parts.signature).map_err(|_| DbError::BadSignature {
        expected_key: key_id(trusted),
    })?;
    trusted
        .verify_strict(parts.signed, &signature)
        .map_err(|_| DbError::BadSignature {
            expected_key: key_id(trusted),
        })?;
    let header: Header = serde_json::from_slice(parts.header)
        .map_err(|e| DbError::Malformed(format!("header: {e}")))?;
    if header.schema_version != SCHEMA_VERSION {
        return Err(DbError::SchemaVersion {
            found: header.schema_version,
            supported: SCHEMA_VERSION,
        });
    }
    if header.payload.encoding != ENCODING {
        return Err(DbError::Malformed(format!(
            "unknown payload encoding {}",
            header.payload.encoding
        )));
    }
    let found = parts.payload.len() as u64;
    if found < header.payload.compressed_len {
        return Err(DbError::Truncated {
            expected: (bytes.len() as u64 - found) + header.payload.compressed_len,
            found: bytes.len() as u64,
        });
    }
    if found > header.payload.compressed_len {
        return Err(DbError::Malformed(format!(
            "{} bytes after the payload",
            found - header.payload.compressed_len
        )));
    }
    let sha = hex::encode(Sha256::digest(parts.payload));
    if sha != header.payload.sha256 {
        return Err(DbError::Checksum {
            expected: header.payload.sha256.clone(),
            found: sha,
        });
    }
    Ok(Verified {
        header,
        bytes,
        payload: parts.payload,
    })
}

impl Verified<'_> {
    /// Decompresses (bounded by the header's size and
    /// [`MAX_PAYLOAD_BYTES`]) and decodes the payload.
    pub fn payload(&self) -> Result<Payload, DbError> {
        let want = self.header.payload.uncompressed_len;
        if want > MAX_PAYLOAD_BYTES {
            return Err(DbError::Malformed(format!(
                "payload of {want} bytes exceeds {MAX_PAYLOAD_BYTES}"
            )));
        }
        let mut raw = Vec::with_capacity(want as usize);
        zstd::stream::read::Decoder::new(self.payload)
            .map_err(|e| DbError::Malformed(format!("zstd: {e}")))?
            .take(want + 1)
            .read_to_end(&mut raw)
            .map_err(|e| DbError::Malformed(format!("zstd: {e}")))?;
        if raw.len() as u64 != want {
            return Err(DbError::Malformed(format!(
                "payload decompresses to {} bytes, header says {want}",
                raw.len()
            )));
        }
        postcard::from_bytes(&raw).map_err(|e| DbError::Malformed(format!("payload: {e}")))
    }
}
