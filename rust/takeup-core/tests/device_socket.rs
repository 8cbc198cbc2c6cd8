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

async fn wait_socket_live(engine: &takeup_core::Engine) {
    let mut rx = engine.watch_device_socket();
    tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|live| *live))
        .await
        .expect("the device socket joins")
        .unwrap();
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
    wait_socket_live(&engine).await;
    // Let the identity re-read that follows the join finish: wait for a quiet request log.
    let mut calls = env.last_seq().await;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let now = env.last_seq().await;
        if now == calls {
            break;
        }
        calls = now;
    }

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
    // re-opens with the new one.
    engine.refresh_tokens().await.unwrap();
    // Whether the resume arrives as a push on the new socket or through the re-read that follows
    // its join, it can only arrive if the socket was re-opened with the new token.
    env.post("/_emulator/device/resume", json!({})).await;
    wait_device_status(&engine, "online").await;

    // Forgotten: the socket closes with 4001 and the engine finds out at once.
    env.post("/_emulator/device/forget", json!({})).await;
    common::wait_state(&engine, |s| matches!(s, ConnectionState::NotAuthorized)).await;
}
