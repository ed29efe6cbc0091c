//! TLS as sensors and API clients meet it.

use std::time::{Duration, Instant};

use vedette_client::Trust;

use crate::process::Console;

#[tokio::test]
async fn a_client_pinning_the_printed_fingerprint_connects_and_a_wrong_pin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let console = Console::start(&dir.path().join("data"), &[]);
    let ok = console
        .client()
        .get(format!("{}/healthz", console.url))
        .send()
        .await
        .expect("pinned request");
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000")
    );

    let wrong = format!("SHA256:{}", "00".repeat(32));
    let client = vedette_client::client(&Trust::Fingerprint(wrong)).unwrap();
    let err = client
        .get(format!("{}/healthz", console.url))
        .send()
        .await
        .expect_err("wrong pin must fail");
    assert!(
        err.is_connect() || format!("{err:?}").contains("certificate"),
        "{err:?}"
    );

    // The generated certificate also works as a CA file (its SANs cover 127.0.0.1).
    let ca = vedette_client::client(&Trust::CaFile(dir.path().join("data/tls/cert.pem"))).unwrap();
    assert_eq!(
        ca.get(format!("{}/readyz", console.url))
            .send()
            .await
            .expect("CA-trusted request")
            .status(),
        200
    );

    // A client that trusts only the system roots refuses the self-signed console.
    let system = reqwest::Client::new();
    assert!(
        system
            .get(format!("{}/healthz", console.url))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_replaced_certificate_is_served_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    // Two certificates made by the console's own generator.
    let first = vedette_console::tls::ensure_self_signed(&dir.path().join("a"), None).unwrap();
    let second = vedette_console::tls::ensure_self_signed(&dir.path().join("b"), None).unwrap();
    let second_fp = vedette_console::tls::load(&second).unwrap().fingerprint;
    let served_cert = dir.path().join("cert.pem");
    let served_key = dir.path().join("key.pem");
    std::fs::copy(&first.cert, &served_cert).unwrap();
    std::fs::copy(&first.key, &served_key).unwrap();
    let console = Console::start(
        &dir.path().join("data"),
        &[
            "--tls-cert",
            served_cert.to_str().unwrap(),
            "--tls-key",
            served_key.to_str().unwrap(),
            "--tls-reload-interval",
            "200ms",
        ],
    );
    assert_ne!(console.fingerprint, second_fp);
    assert_eq!(
        console
            .client()
            .get(format!("{}/healthz", console.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // A broken replacement is refused and the current certificate stays.
    std::fs::write(&served_cert, "garbage").unwrap();
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        console
            .client()
            .get(format!("{}/healthz", console.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Key first, then certificate, as an operator's tooling would.
    std::fs::copy(&second.key, &served_key).unwrap();
    std::fs::copy(&second.cert, &served_cert).unwrap();
    let new_client = vedette_client::client(&Trust::Fingerprint(second_fp)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // A fresh connection each time: reqwest pools connections per client.
        let fresh =
            vedette_client::client(&Trust::Fingerprint(console.fingerprint.clone())).unwrap();
        let old_refused = fresh
            .get(format!("{}/healthz", console.url))
            .send()
            .await
            .is_err();
        let new_ok = new_client
            .get(format!("{}/healthz", console.url))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        if old_refused && new_ok {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the new certificate was not picked up: {}",
            console.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(console.stderr().contains("reloaded the TLS certificate"));
}
