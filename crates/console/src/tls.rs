//! The console's TLS identity: a certificate given by the operator, or a
//! self-signed one generated on first start and kept in the data dir; its
//! SHA-256 fingerprint (what sensors pin); and hot reload when the files are
//! replaced.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};

/// Where the certificate and key come from.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Errors loading or generating the certificate.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The PEM holds no certificate or key, or one rustls rejects.
    #[error("{path}: {detail}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// Generating the self-signed certificate failed.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> TlsError + '_ {
    move |source| TlsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The fingerprint of a DER certificate as sensors pin it: `SHA256:<hex>`.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    format!("SHA256:{}", hex::encode(Sha256::digest(cert.as_ref())))
}

/// A loaded certificate: the rustls configuration and the leaf's fingerprint.
pub struct Loaded {
    /// Ready for the HTTPS listener.
    pub config: Arc<ServerConfig>,
    /// The leaf certificate's fingerprint.
    pub fingerprint: String,
}

/// Loads a certificate chain and key from PEM files.
pub fn load(files: &TlsFiles) -> Result<Loaded, TlsError> {
    let cert_pem = std::fs::read(&files.cert).map_err(io_error(&files.cert))?;
    let key_pem = std::fs::read(&files.key).map_err(io_error(&files.key))?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| TlsError::Invalid {
            path: files.cert.clone(),
            detail: format!("not a PEM certificate chain: {e}"),
        })?;
    let Some(leaf) = chain.first() else {
        return Err(TlsError::Invalid {
            path: files.cert.clone(),
            detail: "no certificate found".into(),
        });
    };
    let fingerprint = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Invalid {
        path: files.key.clone(),
        detail: format!("not a PEM private key: {e}"),
    })?;
    let mut config = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Invalid {
            path: files.cert.clone(),
            detail: format!("the certificate and key do not form a usable pair: {e}"),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Loaded {
        config: Arc::new(config),
        fingerprint,
    })
}

/// The names and addresses the generated certificate covers: `localhost`,
/// the host name, every interface address, and the public URL's host.
pub fn subject_alt_names(public_host: Option<&str>) -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    if let Ok(host) = gethostname::gethostname().into_string()
        && !host.is_empty()
    {
        names.push(host);
    }
    if let Ok(interfaces) = if_addrs::get_if_addrs() {
        names.extend(interfaces.into_iter().map(|i| i.ip().to_string()));
    }
    if let Some(host) = public_host {
        names.push(host.to_string());
    }
    names.sort();
    names.dedup();
    names
}

/// The files of the generated certificate in a data dir.
pub fn self_signed_files(data_dir: &Path) -> TlsFiles {
    let dir = data_dir.join("tls");
    TlsFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

/// Returns the self-signed certificate of the data dir, generating it on
/// first start. An existing certificate is kept (sensors pin it) even if the
/// host's names changed; delete the `tls` folder to make a new one.
pub fn ensure_self_signed(
    data_dir: &Path,
    public_host: Option<&str>,
) -> Result<TlsFiles, TlsError> {
    let files = self_signed_files(data_dir);
    if files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    let dir = data_dir.join("tls");
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let names = subject_alt_names(public_host);
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Vedette console");
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationName, "Vedette (self-signed)");
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(3650);
    let cert = params.self_signed(&key)?;
    write_private(&files.key, key.serialize_pem().as_bytes())?;
    std::fs::write(&files.cert, cert.pem()).map_err(io_error(&files.cert))?;
    tracing::info!(cert = %files.cert.display(), "generated a self-signed certificate");
    Ok(files)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_error(path))?;
    file.write_all(bytes).map_err(io_error(path))
}

/// The fingerprint currently served, shared with handlers and the banner.
#[derive(Default)]
pub struct CurrentFingerprint(RwLock<String>);

impl CurrentFingerprint {
    /// The fingerprint now in use.
    pub fn get(&self) -> String {
        self.0.read().map(|f| f.clone()).unwrap_or_default()
    }

    /// Records a new fingerprint.
    pub fn set(&self, fingerprint: String) {
        if let Ok(mut current) = self.0.write() {
            *current = fingerprint;
        }
    }
}

fn modified(files: &TlsFiles) -> Option<(SystemTime, SystemTime)> {
    let cert = std::fs::metadata(&files.cert)
        .and_then(|m| m.modified())
        .ok()?;
    let key = std::fs::metadata(&files.key)
        .and_then(|m| m.modified())
        .ok()?;
    Some((cert, key))
}

/// Watches the certificate files and swaps the served certificate when they
/// change. A bad replacement is logged and the current certificate is kept.
pub async fn watch(
    files: TlsFiles,
    rustls: axum_server::tls_rustls::RustlsConfig,
    fingerprint: Arc<CurrentFingerprint>,
    interval: Duration,
) {
    let mut last = modified(&files);
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        ticker.tick().await;
        let now = modified(&files);
        if now == last || now.is_none() {
            continue;
        }
        last = now;
        let loaded = tokio::task::spawn_blocking({
            let files = files.clone();
            move || load(&files)
        })
        .await;
        match loaded {
            Ok(Ok(loaded)) => {
                rustls.reload_from_config(loaded.config);
                tracing::info!(fingerprint = %loaded.fingerprint, "reloaded the TLS certificate");
                fingerprint.set(loaded.fingerprint);
            }
            Ok(Err(err)) => {
                tracing::error!(error = %err, "new TLS certificate rejected; still serving the previous one")
            }
            Err(err) => tracing::error!(error = %err, "reloading the TLS certificate failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        let files = ensure_self_signed(dir.path(), Some("console.example.org")).unwrap();
        let first = load(&files).unwrap().fingerprint;
        assert!(first.starts_with("SHA256:") && first.len() == 7 + 64);
        let again = ensure_self_signed(dir.path(), None).unwrap();
        assert_eq!(
            load(&again).unwrap().fingerprint,
            first,
            "the certificate is kept across starts"
        );
        let mode = std::os::unix::fs::PermissionsExt::mode(
            &std::fs::metadata(&files.key).unwrap().permissions(),
        );
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn rejects_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let files = TlsFiles {
            cert: dir.path().join("c.pem"),
            key: dir.path().join("k.pem"),
        };
        std::fs::write(&files.cert, "not pem").unwrap();
        std::fs::write(&files.key, "not pem").unwrap();
        assert!(matches!(load(&files), Err(TlsError::Invalid { .. })));
    }
}
