//! The emulator's control API from a test: GET and POST JSON with a client that trusts the
//! emulator's CA. Shared by the core and CLI suites (the CLI's common module includes this file by
//! path).
#![allow(dead_code)]

use serde_json::Value;

/// A client that trusts only the emulator's CA (PEM).
pub fn control_client(ca_pem: &[u8]) -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem).unwrap()])
        .build()
        .unwrap()
}

/// GET `url` as JSON.
pub async fn get_json(ctl: &reqwest::Client, url: String) -> Value {
    let r = ctl.get(url).send().await.unwrap();
    r.json().await.unwrap()
}

/// GET `url` as text (a page).
pub async fn get_text(ctl: &reqwest::Client, url: String) -> String {
    let r = ctl.get(url).send().await.unwrap();
    r.text().await.unwrap()
}

/// POST `body` to `url`; asserts a 2xx answer and returns its JSON (null when it has none).
pub async fn post_json(ctl: &reqwest::Client, url: String, body: Value) -> Value {
    let r = ctl.post(&url).json(&body).send().await.unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{url}: {status} {v}");
    v
}
