//! Tokens, identity and the connection manager against the emulator.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::json;
use takeup_core::{AccountList, ConnectionState, EngineStatus, Error, SecretStore, StatusListener};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiring_tokens_are_refreshed_silently() {
    let env = env().await;
    let engine = env.paired_engine().await;
    env.settings(json!({ "access_token_ttl_secs": 2 })).await;
    engine.refresh_tokens().await.unwrap(); // now a 2 s token
    let since = env.last_seq().await;
    for _ in 0..10 {
        engine.heartbeat().await.expect("no user-visible failure");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let refreshes = env.token_calls(since).await;
    assert!(refreshes >= 2, "refreshed {refreshes} times");
    assert!(matches!(
        engine.connection_state(),
        ConnectionState::Connected { .. }
    ));
    // Identity is re-read after refreshes.
    let reads = env
        .requests(since)
        .await
        .iter()
        .filter(|e| e["path"] == "/v2/devices/me")
        .count();
    assert!(reads >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_spent_refresh_token_is_rejected_and_engine_uses_the_newest() {
    let env = env().await;
    let engine = env.paired_engine().await;
    let r1 = env.stored_tokens().unwrap()["refresh_token"].clone();
    engine.refresh_tokens().await.unwrap();
    let r2 = env.stored_tokens().unwrap()["refresh_token"].clone();
    assert_ne!(r1, r2);
    // Re-using the spent token is refused by the server with invalid_request.
    let resp = env
        .ctl
        .post(format!("{}/v2/auth/token", env.emu.base_url))
        .header("x-client-version", VERSION)
        .form(&[
            ("client_id", engine.client_id()),
            ("client_secret", env.emu.client_secret.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", r1.as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // The engine keeps working with the newest pair.
    engine.refresh_tokens().await.unwrap();
    engine.refresh_identity().await.unwrap();

    // A second instance (same state dir and store) with a stale pair in memory adopts the newer
    // pair from the store instead of spending a dead refresh token. It does not upload (one
    // uploader per queue), like a status command next to a running `takeup run`.
    let mut config = env.config();
    config.queue.run = false;
    let other = takeup_core::Engine::start(config, env.store.clone())
        .await
        .unwrap();
    engine.refresh_tokens().await.unwrap();
    let since = env.last_seq().await;
    other.refresh_tokens().await.unwrap();
    assert_eq!(env.token_calls(since).await, 0);
    other.refresh_identity().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spent_refresh_token_without_newer_pair_means_not_authorized() {
    let env = env().await;
    let engine = env.paired_engine().await;
    let key = env.store.keys()[0].clone();
    let old = env.store.get(&key).unwrap().unwrap();
    engine.refresh_tokens().await.unwrap();
    drop(engine);
    // Put the spent pair back, as if the rotated answer had been lost.
    env.store.set(&key, &old).unwrap();
    let engine = env.engine().await;
    let err = engine.refresh_tokens().await.unwrap_err();
    assert!(matches!(err, Error::NotAuthorized), "{err:?}");
    assert!(env.store.keys().is_empty());
    assert_eq!(engine.connection_state(), ConnectionState::NotAuthorized);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_refresh_once() {
    let env = env().await;
    let mut config = env.config();
    config.background_refresh = false;
    let engine = takeup_core::Engine::start(config, env.store.clone())
        .await
        .unwrap();
    env.pair(&engine, true).await.unwrap();
    env.settings(json!({ "access_token_ttl_secs": 2 })).await;
    engine.refresh_tokens().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await; // expired now
    let since = env.last_seq().await;
    let calls = (0..8).map(|_| engine.heartbeat());
    let results = futures_join_all(calls).await;
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    assert_eq!(env.token_calls(since).await, 1, "single-flight refresh");
}

async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in fs {
        set.push(f);
    }
    let mut out = Vec::new();
    // Poll all concurrently.
    let joined = async {
        let mut pinned: Vec<_> = set.into_iter().map(Box::pin).collect();
        let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
        std::future::poll_fn(|cx| {
            let mut pending = false;
            for (i, f) in pinned.iter_mut().enumerate() {
                if results[i].is_none() {
                    match f.as_mut().poll(cx) {
                        std::task::Poll::Ready(v) => results[i] = Some(v),
                        std::task::Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                std::task::Poll::Pending
            } else {
                std::task::Poll::Ready(())
            }
        })
        .await;
        results.into_iter().map(|r| r.unwrap()).collect::<Vec<_>>()
    };
    out.extend(joined.await);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_401_triggers_refresh_and_one_retry() {
    let env = env().await;
    let engine = env.paired_engine().await;
    let before = env.stored_tokens().unwrap()["access_token"].clone();
    env.fault(json!({"target":"api","path_contains":"/v2/devices/heartbeat","action":{"kind":"expired_token"}}))
        .await;
    let since = env.last_seq().await;
    engine.heartbeat().await.unwrap();
    let log = env.requests(since).await;
    let paths: Vec<(String, u64)> = log
        .iter()
        .filter(|e| e["path"] != "/v2/devices/me" && e["path"] != "/v2/me")
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_string(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        paths,
        vec![
            ("/v2/devices/heartbeat".to_string(), 401),
            ("/v2/auth/token".to_string(), 200),
            ("/v2/devices/heartbeat".to_string(), 204),
        ]
    );
    assert_ne!(env.stored_tokens().unwrap()["access_token"], before);
}

#[derive(Default)]
struct Recorder(Mutex<Vec<ConnectionState>>);
impl StatusListener for Recorder {
    fn on_status(&self, status: EngineStatus) {
        self.0.lock().unwrap().push(status.connection);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forgotten_device_becomes_not_authorized_and_listeners_are_told() {
    let env = env().await;
    let engine = env.paired_engine().await;
    let rec = Arc::new(Recorder::default());
    let sub = engine.subscribe(rec.clone());
    env.post("/_emulator/device/forget", json!({})).await;
    let err = engine.refresh_identity().await.unwrap_err();
    assert!(matches!(err, Error::NotAuthorized), "{err:?}");
    assert_eq!(engine.connection_state(), ConnectionState::NotAuthorized);
    assert!(env.store.keys().is_empty(), "tokens deleted");
    assert!(engine.identity().is_none());
    assert!(!env.dir.path().join("state/identity.json").exists());
    assert!(
        env.dir.path().join("state/device.json").exists(),
        "other data kept"
    );
    wait_state(&engine, |s| *s == ConnectionState::NotAuthorized).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let seen = rec.0.lock().unwrap().clone();
    assert!(matches!(
        seen.first(),
        Some(ConnectionState::Connected { .. })
    ));
    assert_eq!(seen.last(), Some(&ConnectionState::NotAuthorized));
    drop(sub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn project_rename_shows_up() {
    let env = env().await;
    let engine = env.engine().await;
    let id = env.pair(&engine, true).await.unwrap();
    let project = id.project.unwrap();
    env.post(
        &format!("/_emulator/projects/{}/rename", project.id),
        json!({ "name": "Testbed (renamed)" }),
    )
    .await;
    let id = engine.refresh_identity().await.unwrap();
    assert_eq!(id.project.as_ref().unwrap().id, project.id);
    assert_eq!(id.project.unwrap().name, "Testbed (renamed)");
    assert!(matches!(
        engine.connection_state(),
        ConnectionState::Connected { project, .. } if project.name == "Testbed (renamed)"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_device_cannot_use_the_connection_manager_and_sends_nothing_for_it() {
    let env = env().await;
    let engine = env.engine().await;
    env.pair(&engine, false).await.unwrap();
    assert!(!engine.can_manage_connection());
    let since = env.last_seq().await;
    let world = env.get("/_emulator/world").await;
    let account = world["accounts"][0]["id"].as_str().unwrap().to_string();
    let project = world["accounts"][0]["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for e in [
        engine.list_accounts().await.map(drop).unwrap_err(),
        engine
            .list_projects(&account, None)
            .await
            .map(drop)
            .unwrap_err(),
        engine.connect(&project).await.map(drop).unwrap_err(),
        engine.disconnect().await.map(drop).unwrap_err(),
    ] {
        assert!(matches!(e, Error::NeedsAccountSignIn), "{e:?}");
    }
    assert_eq!(env.requests(since).await, Vec::<serde_json::Value>::new());
    assert!(engine.is_paired());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_projects_search_connect_disconnect_and_no_c2c() {
    let env = env().await;
    let engine = env.engine().await;
    let id = env.sign_in(&engine, false).await.unwrap();
    assert!(id.project.is_none());
    assert!(engine.can_manage_connection());
    assert!(matches!(
        engine.connection_state(),
        ConnectionState::NotConnected { .. }
    ));
    let AccountList::Accounts(accounts) = engine.list_accounts().await.unwrap() else {
        panic!("accounts expected");
    };
    assert_eq!(accounts.len(), 2);
    let main = accounts
        .iter()
        .find(|a| a.display_name == "Northlight Pictures")
        .unwrap();
    let all = engine.list_projects(&main.id, None).await.unwrap();
    assert_eq!(all.len(), 10);
    let pilots = engine
        .list_projects(&main.id, Some("PILOT ep"))
        .await
        .unwrap();
    assert_eq!(pilots.len(), 2);
    assert!(
        engine
            .list_projects(&main.id, Some("zzz"))
            .await
            .unwrap()
            .is_empty()
    );
    let id = engine.connect(&pilots[0].id).await.unwrap();
    assert_eq!(id.project.as_ref().unwrap().name, pilots[0].name);
    assert!(matches!(
        engine.connection_state(),
        ConnectionState::Connected { ref project, .. } if project.id == pilots[0].id
    ));
    let err = engine
        .connect("00000000-0000-0000-0000-000000000000")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    let id = engine.disconnect().await.unwrap();
    assert!(id.project.is_none());
    assert!(matches!(
        engine.connection_state(),
        ConnectionState::NotConnected { .. }
    ));
    env.post("/_emulator/accounts/c2c", json!({ "enabled": false }))
        .await;
    assert!(matches!(
        engine.list_accounts().await.unwrap(),
        AccountList::NoC2cAccounts { .. }
    ));
    let err = engine.list_projects(&main.id, None).await.unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    engine.heartbeat().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_revokes_and_deletes_even_offline() {
    let env = env().await;
    let engine = env.paired_engine().await;
    let out = engine.sign_out().await.unwrap();
    assert!(out.revoked_on_server);
    assert!(env.store.keys().is_empty());
    assert_eq!(engine.connection_state(), ConnectionState::NotAuthorized);

    // Offline: revoke fails (connection cut), tokens are deleted anyway.
    env.pair(&engine, true).await.unwrap();
    env.fault(json!({"target":"auth","path_contains":"/revoke","action":{"kind":"drop_after_bytes","bytes":0}}))
        .await;
    let out = engine.sign_out().await.unwrap();
    assert!(!out.revoked_on_server);
    assert!(env.store.keys().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_carries_the_client_version_and_network_status_updates() {
    let env = env().await;
    let engine = env.paired_engine().await;
    engine.refresh_tokens().await.unwrap();
    engine.sign_out().await.unwrap();
    env.sign_in(&engine, false).await.unwrap();
    engine.refresh_tokens().await.unwrap();
    engine.list_accounts().await.unwrap();
    engine.heartbeat().await.unwrap();
    let log = env.requests(0).await;
    assert!(log.len() >= 12);
    assert!(log.iter().any(|e| e["path"] == "/oauth2/token"));
    for e in &log {
        assert_eq!(e["client_version"], VERSION, "{e}");
    }
    engine.set_connection_type(takeup_core::ConnectionType::Wifi);
    let net = engine.status().network;
    assert!(net.online);
    assert_eq!(net.connection_type, takeup_core::ConnectionType::Wifi);
    assert_eq!(net.health, takeup_core::Health::Good);
    // Unreachable server: offline.
    let port = env.emu.base_url.rsplit(':').next().unwrap().to_string();
    drop(env.emu);
    let _ = engine.heartbeat().await;
    let net = engine.status().network;
    assert!(!net.online, "{port}");
}
