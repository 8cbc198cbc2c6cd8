//! The device socket (§5.2) against the emulator: pause/resume pushed by Frame.io reach the cached
//! identity (and the view model's notice) without any API call, the socket survives a token
//! refresh (re-opened with the new token), and "forget device" shows as not authorized at once.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use takeup_core::ConnectionState;
use takeup_core::ui::{Notice, ViewModel};

async fn wait_device_status(engine: &takeup_core::Engine, want: &str) {
    let mut rx = engine.watch_identity();
    let r = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if engine.identity().is_some_and(|i| i.device.status == want) {
                return;
            }
            rx.changed().await.unwrap();
        }
    })
    .await;
    assert!(
        r.is_ok(),
        "device status never became {want}: {:?}",
        engine.identity().map(|i| i.device)
    );
}

/// Wait until the emulator has seen a socket heartbeat or join from the device.
async fn wait_socket_seen(env: &common::Env, since: &str) {
    for _ in 0..100 {
        let devices = env.get("/_emulator/devices").await;
        let seen = devices[0]["last_seen_at"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if seen.as_str() > since {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the device socket never joined");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_reach_the_engine_and_survive_a_refresh() {
    let env = common::env().await;
    let mut config = env.config();
    config.device_socket = true;
    let engine = Arc::new(
        takeup_core::Engine::start(config, env.store.clone())
            .await
            .unwrap(),
    );
    env.pair(&engine, true).await.unwrap();
    let vm = ViewModel::new(engine.clone());
    let calls = env.last_seq().await;
    wait_socket_seen(&env, "").await;

    env.post("/_emulator/device/pause", json!({})).await;
    wait_device_status(&engine, "paused").await;
    let mut views = vm.watch();
    tokio::time::timeout(Duration::from_secs(5), async {
        while !views
            .borrow_and_update()
            .notices
            .iter()
            .any(|n| matches!(n, Notice::DevicePaused { .. }))
        {
            views.changed().await.unwrap();
        }
    })
    .await
    .expect("the paused notice shows");
    // Pushed, not polled: no API request was needed.
    let api: Vec<_> = env
        .requests(calls)
        .await
        .into_iter()
        .filter(|r| {
            r["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/v2/devices/me"))
        })
        .collect();
    assert!(api.is_empty(), "the status was polled: {api:?}");

    // A refresh rotates the token; the emulator closes the old socket (4003) and the engine
    // re-opens with the new one: the next push still arrives.
    engine.refresh_tokens().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    env.post("/_emulator/device/resume", json!({})).await;
    wait_device_status(&engine, "online").await;

    // Forgotten: the socket closes with 4001 and the engine finds out at once.
    env.post("/_emulator/device/forget", json!({})).await;
    common::wait_state(&engine, |s| matches!(s, ConnectionState::NotAuthorized)).await;
}
