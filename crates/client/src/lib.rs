//! How sensors, the CLI and tests reach the console over HTTPS.
//!
//! TLS is always verified; there is no "insecure" mode. Two ways to trust
//! the console:
//! - [`Trust::Fingerprint`]: pin the SHA-256 of the console's certificate
//!   (printed in its banner as `SHA256:<hex>`). The server must still prove
//!   it holds the certificate's key (handshake signatures are verified), so
//!   this is as strong as a CA for a self-signed console, without one.
//! - [`Trust::CaFile`]: trust the CAs in a PEM file, with normal WebPKI
//!   checks including the host name.

#![deny(missing_docs)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How the console's certificate is trusted.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Pin the certificate's SHA-256 fingerprint (`SHA256:<hex>`, hex with or
    /// without colons).
    Fingerprint(String),
    /// Trust the CA certificates in this PEM file.
    CaFile(PathBuf),
}

/// Errors building a client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The fingerprint is not 64 hex digits.
    #[error("`{0}` is not a SHA-256 fingerprint: expected SHA256: followed by 64 hex digits")]
    BadFingerprint(String),
    /// The CA file cannot be read or holds no certificate.
    #[error("cannot use the CA file {path}: {detail}")]
    BadCaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// rustls or reqwest refused the configuration.
    #[error("cannot build the HTTPS client: {0}")]
    Build(String),
}

/// Parses `SHA256:<hex>` (or bare hex, colons allowed) into 32 bytes.
pub fn parse_fingerprint(text: &str) -> Result<[u8; 32], ClientError> {
    let trimmed = text.trim();
    let hex_part = trimmed
        .strip_prefix("SHA256:")
        .or_else(|| trimmed.strip_prefix("sha256:"))
        .unwrap_or(trimmed)
        .replace(':', "");
    let mut out = [0u8; 32];
    hex::decode_to_slice(&hex_part, &mut out)
        .map_err(|_| ClientError::BadFingerprint(text.to_string()))?;
    Ok(out)
}

/// Accepts exactly the certificate whose SHA-256 is pinned.
#[derive(Debug)]
struct PinnedVerifier {
    fingerprint: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let digest = Sha256::digest(end_entity.as_ref());
        if bool::from(digest.as_slice().ct_eq(&self.fingerprint)) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// A rustls client configuration for a trust choice.
pub fn tls_config(trust: &Trust) -> Result<rustls::ClientConfig, ClientError> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Build(e.to_string()))?;
    let config = match trust {
        Trust::Fingerprint(text) => builder
            .dangerous() // Not dangerous here: the pin replaces the CA check, signatures are verified.
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier {
                fingerprint: parse_fingerprint(text)?,
                algorithms: provider.signature_verification_algorithms,
            }))
            .with_no_client_auth(),
        Trust::CaFile(path) => {
            let bad = |detail: String| ClientError::BadCaFile {
                path: path.clone(),
                detail,
            };
            let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(&pem) {
                let cert = cert.map_err(|e| bad(format!("not PEM: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| bad(format!("unusable certificate: {e}")))?;
            }
            if roots.is_empty() {
                return Err(bad("no certificate found".into()));
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
    };
    Ok(config)
}

/// An HTTPS client that trusts the console as told, with sane timeouts.
pub fn client(trust: &Trust) -> Result<reqwest::Client, ClientError> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config(trust)?)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("vedette/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| ClientError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fingerprints() {
        let hex64 = "ab".repeat(32);
        assert_eq!(
            parse_fingerprint(&format!("SHA256:{hex64}")).unwrap(),
            [0xab; 32]
        );
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(parse_fingerprint(&colons).unwrap(), [0xab; 32]);
        assert!(parse_fingerprint("SHA256:abcd").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn refuses_a_missing_ca_file() {
        assert!(matches!(
            tls_config(&Trust::CaFile("/nonexistent/ca.pem".into())),
            Err(ClientError::BadCaFile { .. })
        ));
    }
}
