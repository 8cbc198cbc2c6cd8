//! A full flow (pair, refresh, identity, uploads, a sign-in with a Frame.io account, failures on
//! purpose) with every log line captured at TRACE (engine, reqwest, hyper, rustls, emulator): no
//! token, device code, authorization code, PKCE verifier or client secret may appear in the logs,
//! in any file of the state directory, or in any error message or Debug output.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use common::*;
use serde_json::json;
use takeup_core::auth::{DeviceCode, DeviceCodeGrant, PollOutcome};
use takeup_core::{CancellationToken, Engine, PairingTransport, Result};

const SECRET: &str = "cl13nt-s3cret-6b1f0e2d";

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Records the device codes handed to the real transport.
struct Recording {
    inner: Arc<dyn PairingTransport>,
    codes: Mutex<Vec<String>>,
}

#[async_trait]
impl PairingTransport for Recording {
    async fn request_code(&self) -> Result<DeviceCodeGrant> {
        let g = self.inner.request_code().await?;
        self.codes
            .lock()
            .unwrap()
            .push(g.device_code.expose().to_string());
        Ok(g)
    }
    async fn poll(&self, c: &DeviceCode) -> Result<PollOutcome> {
        self.inner.poll(c).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_files_errors_or_debug() {
    let buf = Buffer::default();
    let writer = buf.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let env = env_with_secret(SECRET).await;
    let mut config = env.config();
    config.queue.upload_hosts = vec![
        env.emu
            .s3_base_url
            .trim_start_matches("https://")
            .to_string(),
    ];
    config.queue.part_size = 5 * 1024 * 1024;
    config.queue.max_attempts = 2;
    config.queue.backoff_base = std::time::Duration::from_millis(20);
    config.queue.backoff_max = std::time::Duration::from_millis(50);
    let engine = Engine::start(config, env.store.clone()).await.unwrap();
    let mut texts: Vec<String> = vec![format!("{engine:?}"), format!("{:?}", env.config())];
    let mut secrets: Vec<String> = vec![SECRET.to_string()];

    // Pair through a recording transport to learn the device code.
    let rec = Recording {
        inner: engine.pairing_transport(),
        codes: Mutex::new(Vec::new()),
    };
    let approver = env.approve_first_code(&engine, true);
    let (r, _) = tokio::join!(engine.pair_with(&rec, CancellationToken::new()), approver);
    let id = r.unwrap();
    texts.push(format!(
        "{id:?} {:?} {:?}",
        engine.status(),
        engine.connection_state()
    ));
    secrets.extend(rec.codes.lock().unwrap().iter().cloned());
    let collect_tokens = |secrets: &mut Vec<String>| {
        let t = env.stored_tokens().unwrap();
        secrets.push(t["access_token"].as_str().unwrap().to_string());
        secrets.push(t["refresh_token"].as_str().unwrap().to_string());
    };
    collect_tokens(&mut secrets);

    // Refresh (twice: on demand, and through an injected 401), identity, accounts.
    engine.refresh_tokens().await.unwrap();
    collect_tokens(&mut secrets);
    env.fault(json!({"target":"api","action":{"kind":"expired_token"}}))
        .await;
    engine.refresh_identity().await.unwrap();
    collect_tokens(&mut secrets);
    let mut errors = vec![engine.list_accounts().await.unwrap_err()];
    texts.push(format!("{engine:?}"));

    // Uploads: one real-time file that goes up, one poisoned file that fails on purpose; the
    // journal (SQLite) and the status JSON are scanned below.
    env.post("/_emulator/poison", json!({"name": "poisoned.mov"}))
        .await;
    let media = tempfile::tempdir().unwrap();
    for (name, len) in [("clip.mov", 6 * 1024 * 1024 + 5), ("poisoned.mov", 1000)] {
        let p = media.path().join(name);
        std::fs::write(&p, vec![7u8; len]).unwrap();
        engine
            .queue()
            .enqueue(&p, takeup_core::EnqueueOptions::default())
            .await
            .unwrap();
    }
    let mut rx = engine.queue().watch();
    let status = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            {
                let s = rx.borrow_and_update();
                if s.totals.done == 1 && s.totals.failed == 1 {
                    return s.clone();
                }
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("one uploaded, one failed");
    collect_tokens(&mut secrets);
    texts.push(serde_json::to_string(&status).unwrap());
    texts.push(format!("{status:?} {:?}", engine.queue()));

    // Sign in with a Frame.io account instead: the verifier (in the secret store while the
    // browser is open) and the authorization code are secrets too.
    engine.sign_out().await.unwrap();
    let request = engine
        .begin_app_sign_in(Some("http://127.0.0.1:5555/callback"))
        .unwrap();
    texts.push(format!("{request:?} {:?}", engine.pending_app_sign_in()));
    let pending_key = env
        .store
        .keys()
        .into_iter()
        .find(|k| k.starts_with("c2c-app-sign-in."))
        .expect("the sign-in in progress is in the secret store");
    let pending: serde_json::Value = {
        use takeup_core::SecretStore;
        serde_json::from_str(&env.store.get(&pending_key).unwrap().unwrap()).unwrap()
    };
    secrets.push(pending["verifier"].as_str().unwrap().to_string());
    let redirect = env
        .approve_authorization(&request.authorization_url, false)
        .await;
    let code = url_query(&redirect, "code");
    secrets.push(code);
    let id = engine.complete_app_sign_in(&redirect).await.unwrap();
    texts.push(format!("{id:?} {engine:?}"));
    collect_tokens(&mut secrets);
    engine.refresh_tokens().await.unwrap();
    collect_tokens(&mut secrets);
    texts.push(format!("{:?}", engine.list_accounts().await.unwrap()));
    // A stale answer, and one that reuses the spent code.
    errors.push(engine.complete_app_sign_in(&redirect).await.unwrap_err());
    engine.begin_app_sign_in(None).unwrap();
    errors.push(engine.complete_app_sign_in(&redirect).await.unwrap_err());
    engine.cancel_app_sign_in().unwrap();

    // Failures on purpose.
    errors.push(engine.list_projects("not-an-id", None).await.unwrap_err());
    errors.push(
        engine
            .connect("00000000-0000-0000-0000-000000000000")
            .await
            .unwrap_err(),
    );
    let mut bad = env.config();
    bad.client_secret = format!("{SECRET}-wrong");
    bad.state_dir = env.dir.path().join("other");
    let other = Engine::start(bad, takeup_core::MemorySecretStore::new())
        .await
        .unwrap();
    errors.push(other.pair(CancellationToken::new()).await.unwrap_err());
    texts.push(format!("{other:?}"));
    let mut insecure = env.config();
    insecure.api_base = "http://127.0.0.1:9".into();
    errors.push(
        Engine::start(insecure, takeup_core::MemorySecretStore::new())
            .await
            .unwrap_err(),
    );
    env.post("/_emulator/device/forget", json!({})).await;
    errors.push(engine.refresh_identity().await.unwrap_err());
    errors.push(engine.list_accounts().await.unwrap_err());
    for e in &errors {
        texts.push(format!("{e} {e:?}"));
    }
    texts.push(format!("{engine:?} {:?}", env.store));

    // Every file in the state directory.
    for entry in walk(env.dir.path()) {
        // Bytes, not text: the SQLite journal and its WAL are binary.
        let bytes = std::fs::read(&entry).unwrap_or_default();
        texts.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    drop(engine);
    drop(other);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let logs = String::from_utf8_lossy(&buf.0.lock().unwrap()).to_string();
    assert!(logs.len() > 1000, "logs were captured");
    assert!(logs.contains("access token refreshed"));
    texts.push(logs);

    assert!(secrets.len() >= 14, "{}", secrets.len());
    for s in &secrets {
        assert!(s.len() >= 16, "secret too short to search for");
        for t in &texts {
            assert!(
                !t.contains(s.as_str()),
                "a secret leaked into: {}",
                &t[..t.len().min(300)]
            );
        }
    }
}

fn url_query(url: &str, key: &str) -> String {
    url.split(['?', '&'])
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {url}"))
        .to_string()
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
