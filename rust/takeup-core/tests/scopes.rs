//! Token scopes: a device paired with a code may only reach the device endpoints (the emulator's
//! default, refusing the rest with 401, or 403 when set so). The engine gets its identity from
//! `/v2/devices/me`, never asks for `/v2/me`, keeps the pairing, re-reads the device once per
//! heartbeat (so a project renamed in Frame.io shows without user action) and when the app comes
//! to the foreground. One test runs the emulator lenient: the engine behaves the same.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use takeup_core::{ConnectionState, Engine, Error, SignInMethod};
use takeup_emulator::Settings;

async fn paired(env: &Env, heartbeat: Option<Duration>) -> Engine {
    let mut c = env.config();
    c.heartbeat_interval = heartbeat;
    let e = Engine::start(c, env.store.clone()).await.unwrap();
    env.pair(&e, true).await.expect("paired");
    e
}

/// An emulator whose default settings are changed by `tune`.
async fn emulator_where(tune: impl FnOnce(&mut Settings)) -> Env {
    let mut settings = Settings::default();
    tune(&mut settings);
    env_with(takeup_emulator::DEFAULT_CLIENT_SECRET, settings).await
}

fn count(log: &[Value], method: &str, path: &str) -> usize {
    log.iter()
        .filter(|e| e["method"] == method && e["path"] == path)
        .count()
}

async fn project_id(env: &Env) -> String {
    let world = env.get("/_emulator/world").await;
    world["accounts"][0]["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn project_name(e: &Engine) -> Option<String> {
    match e.connection_state() {
        ConnectionState::Connected { project, .. } => Some(project.name),
        _ => None,
    }
}

/// Strict scopes with either refusal status: the pairing holds, the identity comes from the
/// device, each heartbeat re-reads the device once and nothing else, and a rename shows by
/// itself.
async fn heartbeats_keep_the_pairing_and_show_renames(refusal: u16) {
    let env = emulator_where(|s| s.scope_refusal_status = refusal).await;
    let e = paired(&env, Some(Duration::from_millis(700))).await;
    assert_eq!(e.sign_in_method(), Some(SignInMethod::DeviceCode));
    assert_eq!(e.identity().unwrap().user.name, "Dana Reyes");
    let since = env.last_seq().await;
    env.post(
        &format!("/_emulator/projects/{}/rename", project_id(&env).await),
        json!({ "name": "Testbed (day 2)" }),
    )
    .await;
    let started = std::time::Instant::now();
    while project_name(&e).as_deref() != Some("Testbed (day 2)") {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the rename did not show: {:?}",
            e.connection_state()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let log = env.requests(since).await;
    let beats = count(&log, "POST", "/v2/devices/heartbeat");
    let reads = count(&log, "GET", "/v2/devices/me");
    assert!(beats >= 3, "{log:?}");
    assert!(
        reads <= beats,
        "at most one identity request per heartbeat: {reads} for {beats}"
    );
    assert_eq!(count(&log, "GET", "/v2/me"), 0, "{log:?}");
    assert!(
        log.iter().all(|r| r["status"] != 401 && r["status"] != 403),
        "nothing refused: {log:?}"
    );
    assert_eq!(env.token_calls(since).await, 0, "no refresh");
    assert!(e.is_paired());
    // The connection manager is refused by the engine itself, without a request.
    let since = env.last_seq().await;
    assert!(matches!(
        e.list_accounts().await.unwrap_err(),
        Error::NeedsAccountSignIn
    ));
    assert!(
        env.requests(since)
            .await
            .iter()
            .all(|r| r["path"] != "/v2/devices/accounts")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_scopes_refusing_with_401() {
    heartbeats_keep_the_pairing_and_show_renames(401).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strict_scopes_refusing_with_403() {
    heartbeats_keep_the_pairing_and_show_renames(403).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coming_to_the_foreground_re_reads_the_device_at_once() {
    let env = env().await;
    let e = paired(&env, None).await;
    env.post(
        &format!("/_emulator/projects/{}/rename", project_id(&env).await),
        json!({ "name": "Renamed while in the background" }),
    )
    .await;
    // Read within the last seconds (pairing): skipped, nothing sent.
    let since = env.last_seq().await;
    e.app_foreground().await;
    assert_eq!(env.requests(since).await.len(), 0);
    tokio::time::sleep(Duration::from_millis(5100)).await;
    e.app_foreground().await;
    assert_eq!(
        project_name(&e).as_deref(),
        Some("Renamed while in the background")
    );
    let log = env.requests(since).await;
    assert_eq!(count(&log, "GET", "/v2/devices/me"), 1, "{log:?}");
    assert_eq!(log.len(), 1, "{log:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lenient_scopes_change_nothing_for_a_paired_device() {
    let env = emulator_where(|s| s.strict_scopes = false).await;
    let e = paired(&env, None).await;
    let id = e.refresh_identity().await.unwrap();
    assert_eq!(id.user.name, "Dana Reyes");
    assert_eq!(id.user.email, "", "still from the device, not /v2/me");
    let log = env.requests(0).await;
    assert_eq!(count(&log, "GET", "/v2/me"), 0, "{log:?}");
    // The engine does not rely on a lenient server for what a paired device may not do.
    assert!(matches!(
        e.list_accounts().await.unwrap_err(),
        Error::NeedsAccountSignIn
    ));
    // Uploads work as in strict mode.
    let mut c = env.config();
    c.queue = queue_config(&env);
    c.state_dir = env.dir.path().join("other");
    let up = Engine::start(c, takeup_core::MemorySecretStore::new())
        .await
        .unwrap();
    let approver = env.approve_first_code(&up, true);
    let (r, _) = tokio::join!(up.pair(takeup_core::CancellationToken::new()), approver);
    r.unwrap();
    let media = tempfile::tempdir().unwrap();
    let (p, _) = media_file(media.path(), "L001.mov", 100_000, 3);
    up.queue()
        .enqueue(&p, takeup_core::EnqueueOptions::default())
        .await
        .unwrap();
    wait_queue(&up, 30, "uploaded", |s| s.totals.done == 1).await;
}
