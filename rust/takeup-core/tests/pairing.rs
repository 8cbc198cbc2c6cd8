//! Pairing against the in-process emulator: success, slow_down, expiry, cancellation at each step,
//! invalid client, insecure URL.

mod common;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use serde_json::json;
use takeup_core::auth::{DeviceCode, DeviceCodeGrant, PollOutcome};
use takeup_core::{
    CancellationToken, ConnectionState, Engine, Error, PairingPhase, PairingTransport, Result,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_success_stores_one_secret_and_reads_identity() {
    let env = env().await;
    let engine = env.engine().await;
    assert_eq!(engine.connection_state(), ConnectionState::NotAuthorized);
    let id = env.pair(&engine, true).await.expect("paired");
    // A device-code token reads only the device: the user is the authorization's creator (the
    // emulator, like the reference, gives no email there).
    assert_eq!(id.user.name, "Dana Reyes");
    assert_eq!(id.user.email, "");
    assert_eq!(id.user.image_url, None);
    assert_eq!(id.project.as_ref().unwrap().name, "Testbed");
    assert_eq!(
        engine.sign_in_method(),
        Some(takeup_core::SignInMethod::DeviceCode)
    );
    let paths: Vec<String> = env
        .requests(0)
        .await
        .iter()
        .map(|e| e["path"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !paths.iter().any(|p| p == "/v2/me"),
        "a device-code token never asks for /v2/me: {paths:?}"
    );
    assert!(matches!(
        engine.connection_state(),
        ConnectionState::Connected { ref project, .. } if project.name == "Testbed"
    ));
    let stored = env.stored_tokens().expect("tokens stored");
    assert!(stored["access_token"].as_str().unwrap().len() > 10);
    assert_eq!(stored["method"], "device_code");
    // The code request asked for QR pairing; the client id persisted.
    let device = std::fs::read_to_string(env.dir.path().join("state/device.json")).unwrap();
    assert!(device.contains(engine.client_id()));
    let cached = std::fs::read_to_string(env.dir.path().join("state/identity.json")).unwrap();
    assert!(cached.contains("Testbed"));
    // A restarted engine knows it is connected without a request.
    drop(engine);
    let again = env.engine().await;
    assert!(matches!(
        again.connection_state(),
        ConnectionState::Connected { .. }
    ));
}

/// Wraps the real transport and polls twice in a row once, as a duplicated request would: the
/// emulator answers the second poll with slow_down.
struct DoublePollOnce {
    inner: Arc<dyn PairingTransport>,
    done: AtomicBool,
}

#[async_trait]
impl PairingTransport for DoublePollOnce {
    async fn request_code(&self) -> Result<DeviceCodeGrant> {
        self.inner.request_code().await
    }
    async fn poll(&self, c: &DeviceCode) -> Result<PollOutcome> {
        if !self.done.swap(true, Ordering::SeqCst) {
            let first = self.inner.poll(c).await?;
            assert!(matches!(first, PollOutcome::Pending));
        }
        self.inner.poll(c).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_from_the_emulator_adds_five_seconds() {
    let env = env().await;
    let engine = env.engine().await;
    let transport = DoublePollOnce {
        inner: engine.pairing_transport(),
        done: AtomicBool::new(false),
    };
    let since = env.last_seq().await;
    let approver = async {
        let code = wait_for_code(&engine, None).await;
        // Wait for the slow_down to be reported, then approve.
        wait_state(&engine, |s| {
            matches!(s, ConnectionState::Pairing(p) if p.poll_interval == Duration::from_secs(6))
        })
        .await;
        env.approve(&code).await;
    };
    let (r, _) = tokio::join!(
        engine.pair_with(&transport, CancellationToken::new()),
        approver
    );
    r.expect("paired after slow_down");
    let polls: Vec<_> = env
        .requests(since)
        .await
        .into_iter()
        .filter(|e| e["path"] == "/v2/auth/token")
        .collect();
    assert_eq!(polls.len(), 3, "{polls:?}");
    assert_eq!(polls[1]["status"], 400);
    assert_eq!(polls[2]["status"], 200);
    let at =
        |i: usize| chrono::DateTime::parse_from_rfc3339(polls[i]["at"].as_str().unwrap()).unwrap();
    let gap = (at(2) - at(1)).num_milliseconds();
    assert!(gap >= 5_900, "poll spacing after slow_down was {gap} ms");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_code_is_replaced_and_the_new_one_shown() {
    let env = env().await;
    env.settings(json!({ "code_ttl_secs": 2 })).await;
    let engine = env.engine().await;
    let approver = async {
        let first = wait_for_code(&engine, None).await;
        let second = wait_for_code(&engine, Some(&first)).await;
        assert_ne!(first, second);
        if let ConnectionState::Pairing(p) = engine.connection_state() {
            assert!(p.attempt >= 2);
        }
        env.approve(&second).await;
    };
    let (r, _) = tokio::join!(engine.pair(CancellationToken::new()), approver);
    r.expect("paired with the second code");
    assert!(matches!(
        engine.connection_state(),
        ConnectionState::Connected { .. }
    ));
}

async fn assert_clean(env: &Env, engine: &Engine, r: Result<takeup_core::Identity>) {
    assert!(matches!(r, Err(Error::Cancelled)), "{r:?}");
    assert!(env.store.keys().is_empty(), "nothing stored");
    assert!(!engine.is_paired());
    assert_eq!(engine.connection_state(), ConnectionState::NotAuthorized);
    assert!(!env.dir.path().join("state/identity.json").exists());
}

/// Pair while `step` runs, cancel the pairing when it is done, and check that nothing is left.
async fn cancel_after(env: &Env, engine: &Engine, step: impl Future<Output = ()>) {
    let cancel = CancellationToken::new();
    let canceller = async {
        step.await;
        cancel.cancel();
    };
    let (r, _) = tokio::join!(engine.pair(cancel.clone()), canceller);
    assert_clean(env, engine, r).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_before_the_code_arrives() {
    let env = env().await;
    env.stall("auth", "/device/code", 3000).await;
    let engine = env.engine().await;
    let started = std::time::Instant::now();
    cancel_after(&env, &engine, async {
        wait_phase(&engine, PairingPhase::RequestingCode).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "cancel is prompt"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_showing_the_code() {
    let env = env().await;
    let engine = env.engine().await;
    cancel_after(&env, &engine, async {
        wait_for_code(&engine, None).await;
    })
    .await;
}

/// Cancel while the server holds a token poll, before or after the code was approved.
async fn cancel_during_a_held_poll(approved: bool) {
    let env = env().await;
    let engine = env.engine().await;
    cancel_after(&env, &engine, async {
        let code = wait_for_code(&engine, None).await;
        env.stall("auth", "/v2/auth/token", 4000).await;
        if approved {
            env.approve(&code).await;
        }
        tokio::time::sleep(Duration::from_millis(1600)).await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_a_poll_is_in_flight() {
    cancel_during_a_held_poll(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_during_the_token_exchange() {
    // The approving poll is held by the server; cancel while it is in flight.
    cancel_during_a_held_poll(true).await;
}

/// Whether the emulator answered `path` with `status` since `since`.
async fn answered(env: &Env, since: u64, path: &str, status: u16) -> bool {
    env.requests(since)
        .await
        .iter()
        .any(|e| e["path"] == path && e["status"] == status)
}

/// Cancel a pairing at its first identity read: while the read is held by the server, or
/// (`refused`) while the engine waits to read again after a 503. Nothing is left, and the tokens
/// just installed are revoked on the server.
async fn cancel_at_the_identity_read(refused: bool) {
    let env = env().await;
    let engine = env.engine().await;
    let since = env.last_seq().await;
    cancel_after(&env, &engine, async {
        let code = wait_for_code(&engine, None).await;
        if refused {
            let unavailable = json!({"kind": "status", "status": 503});
            env.fault(json!({"target": "api", "path_contains": "/v2/devices/me", "probability": 1.0, "action": unavailable}))
                .await;
        } else {
            env.stall("api", "/v2/devices/me", 4000).await;
        }
        env.approve(&code).await;
        wait_phase(&engine, PairingPhase::Authorizing).await;
        if refused {
            // The first read failed: the engine waits 1 s before the next one.
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while !answered(&env, since, "/v2/devices/me", 503).await {
                assert!(std::time::Instant::now() < deadline, "no refused identity read");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    })
    .await;
    assert!(
        answered(&env, since, "/v2/auth/revoke", 200).await,
        "the half-done pairing was revoked on the server"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_reading_the_identity_rolls_back() {
    cancel_at_the_identity_read(false).await;
}

/// Cancelled while waiting to read the identity again after a transient failure: rolled back
/// like any other ending.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_waiting_to_retry_the_identity_rolls_back() {
    cancel_at_the_identity_read(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_client_secret_is_a_typed_config_error() {
    let env = env().await;
    let mut config = env.config();
    config.client_secret = "not-the-secret".into();
    let engine = Engine::start(config, env.store.clone()).await.unwrap();
    let err = engine.pair(CancellationToken::new()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidClient), "{err:?}");
    assert!(!err.to_string().contains("not-the-secret"));
    assert_eq!(engine.connection_state(), ConnectionState::NotAuthorized);
    assert!(env.store.keys().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_base_url_is_refused_before_any_request() {
    let env = env().await;
    let since = env.last_seq().await;
    let mut config = env.config();
    config.api_base = env.emu.base_url.replace("https://", "http://");
    let err = Engine::start(config, env.store.clone()).await.unwrap_err();
    assert!(matches!(err, Error::InsecureUrl(_)), "{err:?}");
    let mut config = env.config();
    config.client_version = "v1".into();
    let err = Engine::start(config, env.store.clone()).await.unwrap_err();
    assert!(matches!(err, Error::InvalidConfig(_)), "{err:?}");
    assert!(env.requests(since).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_pairing_at_the_same_time_is_refused() {
    let env = env().await;
    let engine = env.engine().await;
    let cancel = CancellationToken::new();
    let c = cancel.clone();
    let other = async {
        wait_for_code(&engine, None).await;
        let r = engine.pair(CancellationToken::new()).await;
        c.cancel();
        r
    };
    let (first, second) = tokio::join!(engine.pair(cancel), other);
    assert!(matches!(second, Err(Error::Busy(_))));
    assert!(matches!(first, Err(Error::Cancelled)));
}

/// Cancel, then pair again at once (a user tapping Cancel and Pair), 50 times in a row: every
/// new pairing starts (never "busy: pairing is already in progress" from the one still winding
/// down) and shows a new code. The last one is approved and pairs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_then_pair_again_at_once_always_shows_a_new_code() {
    let env = env().await;
    let engine = Arc::new(env.engine().await);
    let mut seen = std::collections::HashSet::new();
    let mut cancel = CancellationToken::new();
    let mut running = tokio::spawn({
        let (e, c) = (engine.clone(), cancel.clone());
        async move { e.pair(c).await }
    });
    let mut code = wait_for_code(&engine, None).await;
    seen.insert(code.clone());
    for round in 0..50 {
        // Cancel and start again without waiting for the first to wind down.
        cancel.cancel();
        cancel = CancellationToken::new();
        let next = tokio::spawn({
            let (e, c) = (engine.clone(), cancel.clone());
            async move { e.pair(c).await }
        });
        let old = std::mem::replace(&mut running, next);
        let fresh = wait_for_code(&engine, Some(&code)).await;
        assert!(
            seen.insert(fresh.clone()),
            "round {round}: code {fresh} was shown before"
        );
        let r = old.await.unwrap();
        assert!(matches!(r, Err(Error::Cancelled)), "round {round}: {r:?}");
        assert!(
            !running.is_finished(),
            "round {round}: the new pairing ended early: {:?}",
            running.await
        );
        code = fresh;
    }
    env.post("/_emulator/approve", json!({ "user_code": code }))
        .await;
    running.await.unwrap().expect("the last pairing succeeds");
    assert!(engine.is_paired());
    assert_eq!(env.store.keys().len(), 1, "one secret stored");
}
