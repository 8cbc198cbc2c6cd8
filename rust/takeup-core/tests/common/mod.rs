//! Test helpers: an in-process emulator, its control API and engine configurations.
//!
//! The emulator runs as strict as it gets by default: token scopes enforced (device-code tokens
//! reach only the device endpoints) and the API rate limit on (10 requests/s per token, burst 20).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use takeup_core::{
    AppSignInConfig, CancellationToken, ConnectionState, Engine, EngineConfig, Identity,
    MemorySecretStore, PairingPhase, Result,
};
use takeup_emulator::{Emulator, EmulatorConfig, Settings};

mod control;
pub use control::{control_client, get_json, post_json};

pub const VERSION: &str = "3.1.4";

pub struct Env {
    pub emu: Emulator,
    pub ctl: reqwest::Client,
    pub store: Arc<MemorySecretStore>,
    pub dir: tempfile::TempDir,
}

pub async fn env() -> Env {
    env_with_secret(takeup_emulator::DEFAULT_CLIENT_SECRET).await
}

pub async fn env_with_secret(secret: &str) -> Env {
    env_with(secret, Settings::default()).await
}

/// An emulator with these settings (the pairing poll interval is 1 s whatever they say).
pub async fn env_with(secret: &str, settings: Settings) -> Env {
    env_from(EmulatorConfig {
        settings,
        client_secret: secret.to_string(),
        ..Default::default()
    })
    .await
}

/// An emulator started with `config` (the pairing poll interval is 1 s whatever it says).
pub async fn env_from(config: EmulatorConfig) -> Env {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let emu = Emulator::start(EmulatorConfig {
        settings: Settings {
            poll_interval_secs: 1,
            ..config.settings
        },
        ..config
    })
    .await
    .expect("emulator starts");
    let ctl = control_client(emu.ca_pem.as_bytes());
    Env {
        emu,
        ctl,
        store: MemorySecretStore::new(),
        dir: tempfile::tempdir().unwrap(),
    }
}

impl Env {
    pub fn config(&self) -> EngineConfig {
        let mut c = EngineConfig::new(
            self.dir.path().join("state"),
            self.emu.base_url.clone(),
            self.emu.client_secret.clone(),
            VERSION,
        );
        c.extra_root_ca_pem = Some(self.emu.ca_pem.clone());
        c.connect_timeout = Duration::from_secs(5);
        c.read_timeout = Duration::from_secs(10);
        c.request_timeout = Duration::from_secs(15);
        c.heartbeat_interval = None;
        // Off by default here: tests that count API or token calls must not see the socket's
        // re-reads. tests/device_socket.rs and the CLI suites run with it on.
        c.device_socket = false;
        c.app_sign_in = Some(AppSignInConfig {
            applications_base: self.emu.applications_base_url.clone(),
            ..AppSignInConfig::new(
                self.emu.app_client_id.clone(),
                vec!["http://127.0.0.1/callback".to_string()],
            )
        });
        c
    }

    pub async fn engine(&self) -> Engine {
        Engine::start(self.config(), self.store.clone())
            .await
            .expect("engine starts")
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        post_json(&self.ctl, format!("{}{path}", self.emu.base_url), body).await
    }

    pub async fn get(&self, path: &str) -> Value {
        get_json(&self.ctl, format!("{}{path}", self.emu.base_url)).await
    }

    pub async fn settings(&self, patch: Value) {
        self.post("/_emulator/settings", patch).await;
    }

    pub async fn fault(&self, spec: Value) {
        self.post("/_emulator/faults", spec).await;
    }

    pub async fn clear_faults(&self) {
        let r = self
            .ctl
            .delete(format!("{}/_emulator/faults", self.emu.base_url))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }

    /// Hold every request to `target` (`api`, `auth`, `s3`) whose path contains `path` for `ms`.
    pub async fn stall(&self, target: &str, path: &str, ms: u64) {
        let action = json!({"kind": "stall", "ms": ms});
        self.fault(json!({"target": target, "path_contains": path, "action": action}))
            .await;
    }

    /// Hold every part PUT for `ms` before S3 reads it (slow parts, so tests can act mid-upload).
    pub async fn slow_parts(&self, ms: u64) {
        let action = json!({"kind": "stall", "ms": ms});
        self.fault(json!({"target": "s3", "probability": 1.0, "action": action}))
            .await;
    }

    /// Approve a shown code (to the default project).
    pub async fn approve(&self, user_code: &str) {
        self.post("/_emulator/approve", json!({ "user_code": user_code }))
            .await;
    }

    /// The emulator's assets named `name`.
    pub async fn assets_named(&self, name: &str) -> Vec<Value> {
        let all = self.get("/_emulator/assets").await;
        let all = all.as_array().unwrap().iter();
        all.filter(|a| a["name"] == name).cloned().collect()
    }

    /// The emulator's report (bytes, parts, sha256) of the one complete asset named `name`;
    /// panics unless there is exactly one.
    pub async fn complete_asset(&self, name: &str) -> Value {
        let list = self.assets_named(name).await;
        let complete: Vec<&Value> = list.iter().filter(|a| a["complete"] == true).collect();
        assert_eq!(
            complete.len(),
            1,
            "{name}: one complete asset, got {list:#?}"
        );
        self.asset_report(complete[0]).await
    }

    /// A list the emulator's control API answers at `path` (comments, triggers).
    pub async fn list(&self, path: &str) -> Vec<Value> {
        self.get(path).await.as_array().unwrap().clone()
    }

    /// The emulator's reports (bytes, parts, sha256) of every asset named `name`.
    pub async fn asset_reports(&self, name: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for a in self.assets_named(name).await {
            out.push(self.asset_report(&a).await);
        }
        out
    }

    /// The emulator's report (bytes, parts, sha256) of a listed asset.
    pub async fn asset_report(&self, listed: &Value) -> Value {
        let id = listed["id"].as_str().unwrap();
        self.get(&format!("/_emulator/assets/{id}")).await
    }

    /// The request log after `since`.
    pub async fn requests(&self, since: u64) -> Vec<Value> {
        let v = self
            .get(&format!("/_emulator/requests?since={since}"))
            .await;
        v.as_array().cloned().unwrap_or_default()
    }

    pub async fn last_seq(&self) -> u64 {
        self.requests(0)
            .await
            .last()
            .and_then(|e| e["seq"].as_u64())
            .unwrap_or(0)
    }

    pub async fn token_calls(&self, since: u64) -> usize {
        self.requests(since)
            .await
            .iter()
            .filter(|e| e["path"] == "/v2/auth/token")
            .count()
    }

    /// The stored token pair (JSON) of the engine, if any.
    pub fn stored_tokens(&self) -> Option<Value> {
        let keys = self.store.keys();
        assert!(keys.len() <= 1, "one secret only: {keys:?}");
        keys.first().map(|k| {
            use takeup_core::SecretStore;
            serde_json::from_str(&self.store.get(k).unwrap().unwrap()).unwrap()
        })
    }

    /// A started engine, paired and connected to the default project.
    pub async fn paired_engine(&self) -> Engine {
        let engine = self.engine().await;
        self.pair(&engine, true).await.expect("paired");
        engine
    }

    /// Pair `engine`, approving the first code shown (optionally without a project).
    pub async fn pair(&self, engine: &Engine, project: bool) -> Result<Identity> {
        let approver = self.approve_first_code(engine, project);
        let (r, _) = tokio::join!(engine.pair(CancellationToken::new()), approver);
        r
    }

    /// Sign `engine` in with the Frame.io account (the application flow, approved through the
    /// control API as the user would in the browser); connect it to the first project when
    /// `connect`.
    pub async fn sign_in(&self, engine: &Engine, connect: bool) -> Result<Identity> {
        let redirect = self.approve_sign_in(engine, false).await;
        let id = engine.complete_app_sign_in(&redirect).await?;
        if !connect {
            return Ok(id);
        }
        let world = self.get("/_emulator/world").await;
        let project = world["accounts"][0]["projects"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        engine.connect(&project).await
    }

    /// Begin a sign-in on `engine` and approve (or deny) it in the emulator: the URL the browser
    /// is sent back to.
    pub async fn approve_sign_in(&self, engine: &Engine, deny: bool) -> String {
        let request = engine
            .begin_app_sign_in(Some("http://127.0.0.1:45678/callback"))
            .expect("sign-in starts");
        self.approve_authorization(&request.authorization_url, deny)
            .await
    }

    /// Approve (or deny) an authorization URL in the emulator as the user would in the browser:
    /// the URL the browser is sent back to.
    pub async fn approve_authorization(&self, url: &str, deny: bool) -> String {
        let v = self
            .post(
                "/_emulator/oauth/approve",
                json!({ "url": url, "deny": deny }),
            )
            .await;
        v["redirect"].as_str().unwrap().to_string()
    }

    /// Wait until a code is shown, approve it, return it.
    pub async fn approve_first_code(&self, engine: &Engine, project: bool) -> String {
        let code = wait_for_code(engine, None).await;
        let body = if project {
            json!({ "user_code": code })
        } else {
            json!({ "user_code": code, "no_project": true })
        };
        self.post("/_emulator/approve", body).await;
        code
    }
}

/// Wait (up to 20 s) for a shown code different from `not`.
pub async fn wait_for_code(engine: &Engine, not: Option<&str>) -> String {
    let mut rx = engine.watch_status();
    tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            if let ConnectionState::Pairing(p) = &rx.borrow_and_update().connection
                && p.phase == PairingPhase::WaitingForUser
                && let Some(c) = &p.code
                && Some(c.user_code.as_str()) != not
            {
                return c.user_code.clone();
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("a code is shown")
}

/// Wait (up to 10 s) until `pred` holds for the connection state.
pub async fn wait_state(engine: &Engine, pred: impl Fn(&ConnectionState) -> bool) {
    let mut rx = engine.watch_status();
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if pred(&rx.borrow_and_update().connection) {
                return;
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("state reached")
}

/// Exactly one complete asset named `name` with these bytes, each part stored at least once and
/// at most `max_puts` times; returns its report.
pub async fn assert_uploaded_once(env: &Env, name: &str, sha: &str, max_puts: u64) -> Value {
    let a = env.complete_asset(name).await;
    assert_eq!(a["sha256"], sha, "{name}: bytes differ");
    for (n, p) in a["parts"].as_object().unwrap() {
        let count = p["received_count"].as_u64().unwrap();
        assert!(
            count >= 1 && count <= max_puts,
            "{name} part {n} stored {count} times"
        );
    }
    a
}

/// Wait (up to 10 s) until pairing reaches `phase`.
pub async fn wait_phase(engine: &Engine, phase: PairingPhase) {
    wait_state(
        engine,
        |s| matches!(s, ConnectionState::Pairing(p) if p.phase == phase),
    )
    .await
}

/// Upload-queue settings for tests: 5 MiB parts, short backoffs and timeouts, the emulator's S3
/// host allowed.
pub fn queue_config(env: &Env) -> takeup_core::QueueConfig {
    takeup_core::QueueConfig {
        part_size: takeup_core::queue::uploader::MIN_PART,
        backoff_base: Duration::from_millis(30),
        backoff_max: Duration::from_millis(300),
        stall_timeout: Duration::from_secs(2),
        response_timeout: Duration::from_secs(5),
        growth_idle: Duration::from_secs(30),
        upload_hosts: vec![
            env.emu
                .s3_base_url
                .trim_start_matches("https://")
                .to_string(),
        ],
        ..takeup_core::QueueConfig::default()
    }
}

/// One file and one part at a time (tests that act between parts): a `tune` for [`paired_rig`].
pub fn one_part_at_a_time(q: &mut takeup_core::QueueConfig) {
    (q.max_files, q.max_parts_per_file) = (1, 1);
}

/// [`queue_config`] changed by `tune` (`|q| q.max_files = 1`).
pub fn tuned_queue(
    env: &Env,
    tune: impl FnOnce(&mut takeup_core::QueueConfig),
) -> takeup_core::QueueConfig {
    let mut q = queue_config(env);
    tune(&mut q);
    q
}

/// Three failed attempts in a row park a file (tests whose failures are final): a `tune` for
/// [`paired_rig`].
pub fn three_attempts(q: &mut takeup_core::QueueConfig) {
    q.max_attempts = 3;
}

/// One file at a time, three of its parts at once, whatever the throughput: a `tune` for
/// [`paired_rig`].
pub fn three_parts_of_one_file(q: &mut takeup_core::QueueConfig) {
    (q.adaptive, q.max_files, q.max_parts_per_file) = (false, 1, 3);
}

/// An engine with these queue settings (not paired yet).
pub async fn engine_with_queue(env: &Env, q: takeup_core::QueueConfig) -> Engine {
    let mut c = env.config();
    c.queue = q;
    Engine::start(c, env.store.clone())
        .await
        .expect("engine starts")
}

/// A paired engine (connected to the default project) with these queue settings.
pub async fn paired_with_queue(env: &Env, q: takeup_core::QueueConfig) -> Engine {
    let e = engine_with_queue(env, q).await;
    env.pair(&e, true).await.expect("paired");
    e
}

/// An engine signed in with the Frame.io account and connected to the first project, with these
/// queue settings.
pub async fn signed_in_with_queue(env: &Env, q: takeup_core::QueueConfig) -> Engine {
    let e = engine_with_queue(env, q).await;
    env.sign_in(&e, true).await.expect("signed in");
    e
}

/// What most queue tests start from: an emulator, an engine paired to its default project with
/// [`queue_config`] changed by `tune`, and an empty folder for the test's media.
pub async fn paired_rig(
    tune: impl FnOnce(&mut takeup_core::QueueConfig),
) -> (Env, Engine, tempfile::TempDir) {
    let env = env().await;
    let e = paired_with_queue(&env, tuned_queue(&env, tune)).await;
    (env, e, tempfile::tempdir().unwrap())
}

/// Write `len` deterministic bytes to `dir/name`; returns the path and its sha256 (hex).
pub fn media_file(
    dir: &std::path::Path,
    name: &str,
    len: usize,
    seed: u8,
) -> (std::path::PathBuf, String) {
    use sha2::Digest;
    let data: Vec<u8> = (0..len)
        .map(|i| ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8 ^ seed)
        .collect();
    let p = dir.join(name);
    std::fs::write(&p, &data).unwrap();
    (p, hex::encode(sha2::Sha256::digest(&data)))
}

/// Queue `path` with the default options.
pub async fn enqueue(e: &Engine, path: &std::path::Path) -> takeup_core::Enqueued {
    let options = takeup_core::EnqueueOptions::default();
    e.queue().enqueue(path, options).await.unwrap()
}

/// Queue `path` as a file still being written (real-time upload until it stops growing).
pub async fn enqueue_growing(e: &Engine, path: &std::path::Path) -> takeup_core::Enqueued {
    let options = takeup_core::EnqueueOptions {
        growing: true,
        ..Default::default()
    };
    e.queue().enqueue(path, options).await.unwrap()
}

/// The first failed file's reason contains `needle`.
pub fn assert_failed_with(s: &takeup_core::QueueStatus, needle: &str) {
    let f = &s.failed[0];
    let reason = f.reason.as_deref().unwrap_or_default();
    assert!(reason.contains(needle), "{needle:?} not in {f:?}");
}

/// Wait (up to `secs`) until the queue status satisfies `pred`; the panic shows the status.
pub async fn wait_queue(
    e: &Engine,
    secs: u64,
    what: &str,
    pred: impl Fn(&takeup_core::QueueStatus) -> bool,
) -> takeup_core::QueueStatus {
    let mut rx = e.queue().watch();
    let r = tokio::time::timeout(Duration::from_secs(secs), async {
        loop {
            {
                let s = rx.borrow_and_update();
                if pred(&s) {
                    return s.clone();
                }
            }
            rx.changed().await.unwrap();
        }
    })
    .await;
    match r {
        Ok(s) => s,
        Err(_) => panic!("timed out waiting for {what}: {:#?}", e.queue().status()),
    }
}
