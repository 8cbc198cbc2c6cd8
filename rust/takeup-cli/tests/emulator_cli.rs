//! `takeup emulator` as a standalone process: prints where it listens and its CA, serves HTTPS
//! that a client trusting that CA accepts, writes parts under `--data`, and stops on Ctrl-C.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

#[tokio::test]
async fn standalone_emulator_prints_its_urls_and_ca_and_stops_on_sigint() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_takeup"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--json", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("takeup starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).expect("one JSON line");
    let base = info["base_url"].as_str().unwrap();
    assert!(base.starts_with("https://127.0.0.1:"));
    assert!(
        info["s3_base_url"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    let ca_path = info["ca_path"].as_str().unwrap();
    assert_eq!(std::path::Path::new(ca_path), data.path().join("ca.pem"));
    let ca = std::fs::read(ca_path).unwrap();

    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap();
    let health: Value = http
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ok"], true);
    let page = http
        .get(format!("{base}/pair?code=123456"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("123456"));

    // Ctrl-C stops it cleanly.
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut waited = Duration::ZERO;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            waited < Duration::from_secs(10),
            "emulator did not stop on SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
        waited += Duration::from_millis(50);
    }
}

#[test]
fn the_emulator_refuses_non_loopback_addresses() {
    let out = Command::new(env!("CARGO_BIN_EXE_takeup"))
        .args(["emulator", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
