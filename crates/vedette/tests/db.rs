//! `vedette db …` as an operator runs it: keys, a DB built from real feeds,
//! status, offline import and online update from a local HTTPS server
//! (certificate from a test CA), with tampered, truncated, foreign-key and
//! older downloads refused and the installed DB left in place.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::process::BIN;

/// The shared advisory test data (read-only).
pub(crate) fn advisories() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/advisories")
}

/// Real feeds of the test data, linked into the `db build` layout.
pub(crate) fn feeds(dir: &Path) -> PathBuf {
    let root = dir.join("feeds");
    let sources: [(&str, &[&str]); 6] = [
        (
            "osv",
            &[
                "ghsa-advisory-database-excerpts",
                "go-vulndb",
                "drupal-advisory-database",
            ],
        ),
        (
            "alpine",
            &["vunnel-provider-fixtures/tests/unit/providers/alpine/test-fixtures/input/secdb"],
        ),
        (
            "debian",
            &[
                "vunnel-provider-fixtures/tests/unit/providers/debian/test-fixtures/input/debian.json",
            ],
        ),
        (
            "nvd",
            &["osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/nvdcve-2.0"],
        ),
        ("epss", &["epss-excerpt/epss_scores-current.head.csv"]),
        ("kev", &["cisa-kev/known_exploited_vulnerabilities.json"]),
    ];
    for (kind, rels) in sources {
        let kind_dir = root.join(kind);
        std::fs::create_dir_all(&kind_dir).expect("feed dir");
        for rel in rels {
            let target = advisories().join(rel);
            assert!(target.exists(), "test data {} is missing", target.display());
            let name = rel.replace('/', "_");
            std::os::unix::fs::symlink(&target, kind_dir.join(name)).expect("symlink");
        }
    }
    root
}

fn vedette(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("VEDETTE_DB")
        .env_remove("VEDETTE_DB_PUBLIC_KEY")
        .output()
        .expect("run vedette")
}

fn ok(args: &[&str]) -> String {
    let out = vedette(args);
    assert!(
        out.status.success(),
        "vedette {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a command that must fail; returns its standard error.
fn fails(args: &[&str]) -> String {
    let out = vedette(args);
    assert!(!out.status.success(), "vedette {args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A key pair in `dir` named `name.key` / `name.pub`.
pub(crate) fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (private, public) = (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    );
    ok(&[
        "db",
        "keygen",
        "--private-key",
        s(&private),
        "--public-key",
        s(&public),
    ]);
    (private, public)
}

pub(crate) fn build(feeds: &Path, key: &Path, output: &Path) {
    let out = ok(&[
        "db",
        "build",
        "--feeds",
        s(feeds),
        "--output",
        s(output),
        "--signing-key",
        s(key),
    ]);
    assert!(out.contains("problems"), "{out}");
}

#[test]
fn keygen_build_status_and_import() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, public) = keygen(dir.path(), "publisher");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&private).expect("key").permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
    // An existing key is never overwritten.
    let err = fails(&[
        "db",
        "keygen",
        "--private-key",
        s(&private),
        "--public-key",
        s(&dir.path().join("x.pub")),
    ]);
    assert!(err.contains("exists"), "{err}");

    let feeds = feeds(dir.path());
    let built = dir.path().join("built.db");
    build(&feeds, &private, &built);

    // Status of the built file: schema, feeds with their counts and dates.
    let status = vedette(&[
        "db",
        "status",
        "--db",
        s(&built),
        "--public-key",
        s(&public),
    ]);
    assert!(status.status.success());
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("schema version: 1"), "{text}");
    assert!(text.contains("signature:      valid"), "{text}");
    assert!(
        text.contains("kev          1404 records  2025-08-25T17:04:19.9796Z"),
        "{text}"
    );
    assert!(
        text.contains("epss           49 records  2026-09-29T12:00:22Z"),
        "{text}"
    );
    assert!(!String::from_utf8_lossy(&status.stderr).contains("warning"));
    // Stale warning; no trusted key at hand.
    let stale = vedette(&[
        "db",
        "status",
        "--db",
        s(&built),
        "--public-key",
        s(&public),
        "--max-age",
        "0s",
    ]);
    assert!(String::from_utf8_lossy(&stale.stderr).contains("warning: the DB is older than"));
    let unchecked = ok(&[
        "db",
        "status",
        "--db",
        s(&built),
        "--public-key",
        s(&dir.path().join("none.pub")),
    ]);
    assert!(unchecked.contains("NOT CHECKED"), "{unchecked}");

    // Import installs it.
    let installed = dir.path().join("lib/vulndb/vedette.db");
    ok(&[
        "db",
        "import",
        s(&built),
        "--db",
        s(&installed),
        "--public-key",
        s(&public),
    ]);
    let good = std::fs::read(&built).expect("built");
    assert_eq!(std::fs::read(&installed).ok().as_ref(), Some(&good));
    let again = ok(&[
        "db",
        "import",
        s(&built),
        "--db",
        s(&installed),
        "--public-key",
        s(&public),
    ]);
    assert!(again.contains("already up to date"), "{again}");

    // A flipped payload byte: refused, installed DB unchanged.
    let mut bad = good.clone();
    let at = bad.len() - 100;
    bad[at] ^= 1;
    let tampered = dir.path().join("tampered.db");
    std::fs::write(&tampered, &bad).expect("write");
    let err = fails(&[
        "db",
        "import",
        s(&tampered),
        "--db",
        s(&installed),
        "--public-key",
        s(&public),
    ]);
    assert!(
        err.contains("checksum mismatch") && err.contains("is unchanged"),
        "{err}"
    );
    assert_eq!(std::fs::read(&installed).ok().as_ref(), Some(&good));

    // Signed by someone else's key: refused.
    let (other_private, _) = keygen(dir.path(), "other");
    let foreign = dir.path().join("foreign.db");
    build(&feeds, &other_private, &foreign);
    let err = fails(&[
        "db",
        "import",
        s(&foreign),
        "--db",
        s(&installed),
        "--public-key",
        s(&public),
    ]);
    assert!(err.contains("signature does not verify"), "{err}");
    assert_eq!(std::fs::read(&installed).ok().as_ref(), Some(&good));
    let err = fails(&[
        "db",
        "status",
        "--db",
        s(&foreign),
        "--public-key",
        s(&public),
    ]);
    assert!(err.contains("signature does not verify"), "{err}");
}

/// A test CA and a `localhost` server certificate it signed.
struct Pki {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Vedette test CA");
    let ca = CertifiedIssuer::self_signed(ca_params, ca_key).expect("ca");
    let key = KeyPair::generate().expect("server key");
    let params = CertificateParams::new(vec!["localhost".to_string()]).expect("server params");
    let cert = params.signed_by(&key, &ca).expect("server cert");
    Pki {
        ca_pem: ca.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// Serves `files` (path → bytes) over HTTPS on a loopback port; returns the port.
fn serve(rt: &tokio::runtime::Runtime, pki: &Pki, files: Vec<(&'static str, Vec<u8>)>) -> u16 {
    use axum::routing::get;
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let mut app = axum::Router::new();
    for (path, bytes) in files {
        let body = axum::body::Bytes::from(bytes);
        app = app.route(path, get(move || async move { body.clone() }));
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let port = listener.local_addr().expect("addr").port();
    let (cert, key) = (
        pki.cert_pem.clone().into_bytes(),
        pki.key_pem.clone().into_bytes(),
    );
    rt.block_on(async move {
        let config = axum_server::tls_rustls::RustlsConfig::from_pem(cert, key)
            .await
            .expect("tls config");
        let server = axum_server::from_tcp_rustls(listener, config).expect("server");
        tokio::spawn(server.serve(app.into_make_service()));
    });
    port
}

#[test]
fn update_over_https_verifies_before_swapping() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (private, public) = keygen(dir.path(), "publisher");
    let (other_private, _) = keygen(dir.path(), "other");
    let feeds = feeds(dir.path());
    let (older, newer, foreign) = (
        dir.path().join("older.db"),
        dir.path().join("newer.db"),
        dir.path().join("foreign.db"),
    );
    build(&feeds, &private, &older);
    build(&feeds, &private, &newer);
    build(&feeds, &other_private, &foreign);
    let read = |p: &Path| std::fs::read(p).expect("db");
    let (older, newer, foreign) = (read(&older), read(&newer), read(&foreign));
    let mut tampered = newer.clone();
    let at = tampered.len() / 2 + 40;
    tampered[at] ^= 0x10;
    let truncated = newer[..newer.len() * 2 / 3].to_vec();

    let pki = pki();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).expect("ca");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let port = serve(
        &rt,
        &pki,
        vec![
            ("/older.db", older.clone()),
            ("/newer.db", newer.clone()),
            ("/foreign.db", foreign),
            ("/tampered.db", tampered),
            ("/truncated.db", truncated),
        ],
    );
    let url = |name: &str| format!("https://localhost:{port}/{name}");
    let installed = dir.path().join("vulndb/vedette.db");
    let update = |name: &str, extra: &[&str]| {
        let mut args = vec![
            "db".to_string(),
            "update".into(),
            "--url".into(),
            url(name),
            "--ca-file".into(),
            s(&ca_file).into(),
            "--db".into(),
            s(&installed).into(),
            "--public-key".into(),
            s(&public).into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        vedette(&refs)
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();

    // The first update installs the published DB.
    let out = update("older.db", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&installed).ok().as_ref(), Some(&older));
    let out = update("newer.db", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&installed).ok().as_ref(), Some(&newer));

    // Every bad download is refused with a clear reason; the DB stays.
    for (name, reason) in [
        ("tampered.db", "checksum mismatch"),
        ("truncated.db", "truncated DB"),
        ("foreign.db", "signature does not verify"),
        ("missing.db", "HTTP 404"),
        ("older.db", "before the installed DB"),
    ] {
        let out = update(name, &[]);
        assert!(!out.status.success(), "{name} was accepted");
        assert!(stderr(&out).contains(reason), "{name}: {}", stderr(&out));
        assert_eq!(
            std::fs::read(&installed).ok().as_ref(),
            Some(&newer),
            "{name}"
        );
    }
    // Going back is possible when asked for.
    let out = update("older.db", &["--allow-older"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(&installed).ok().as_ref(), Some(&older));

    // Without the CA the server's certificate is not trusted; plain HTTP is refused.
    let out = vedette(&[
        "db",
        "update",
        "--url",
        &url("newer.db"),
        "--db",
        s(&installed),
        "--public-key",
        s(&public),
    ]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("downloading"), "{}", stderr(&out));
    let err = fails(&[
        "db",
        "update",
        "--url",
        &format!("http://localhost:{port}/newer.db"),
        "--db",
        s(&installed),
        "--public-key",
        s(&public),
    ]);
    assert!(err.contains("https://"), "{err}");
    assert_eq!(std::fs::read(&installed).ok().as_ref(), Some(&older));
    // No temporary file is left next to the DB.
    let names: Vec<_> = std::fs::read_dir(dir.path().join("vulndb"))
        .expect("dir")
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names, ["vedette.db"]);
}
