//! A server that refuses every token, even freshly renewed ones (issue 12, point 4: one `takeup
//! run` used to send ~200 refreshes a second, thousands of identity reads and asset creations).
//! The refresh that did not cure a 401 is not repeated at once: every caller (uploader, identity,
//! heartbeat, socket) is paused with a doubling wait, the state says "not authorized" after a
//! few refusals, the tokens and the queue are kept, and the engine recovers by itself.

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use takeup_core::{ConnectionState, Engine, LostReason};

const ALL_401: &str =
    r#"{"target": "api", "probability": 1.0, "action": {"kind": "expired_token"}}"#;

async fn storm_engine(env: &Env, backoff: Duration) -> Engine {
    let mut c = env.config();
    c.queue = queue_config(env);
    // Everything that calls the API on its own, as in `takeup run`.
    c.heartbeat_interval = Some(Duration::from_secs(5));
    c.device_socket = true;
    c.auth_backoff = backoff;
    c.auth_backoff_max = backoff * 4;
    let e = Engine::start(c, env.store.clone()).await.unwrap();
    env.pair(&e, true).await.expect("paired");
    e
}

fn is_token_call(e: &Value) -> bool {
    e["path"] == "/v2/auth/token" || e["path"] == "/oauth2/token"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_seconds_of_401_cost_at_most_ten_token_and_ten_api_calls() {
    let env = env().await;
    let e = storm_engine(&env, Duration::from_secs(10)).await;
    let since = env.last_seq().await;
    env.fault(serde_json::from_str(ALL_401).unwrap()).await;
    let media = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let (p, _) = media_file(media.path(), &format!("C{i:03}.mov"), 300_000, i);
        enqueue(&e, &p).await;
    }
    tokio::time::sleep(Duration::from_secs(60)).await;

    let log = env.requests(since).await;
    let tokens = log.iter().filter(|r| is_token_call(r)).count();
    let api: Vec<&Value> = log
        .iter()
        .filter(|r| !is_token_call(r) && r["listener"] == "api")
        .collect();
    let summary: Vec<String> = log
        .iter()
        .map(|r| format!("{} {} {}", r["at"], r["path"], r["status"]))
        .collect();
    eprintln!(
        "in 60 s: {tokens} token requests, {} other API calls:\n{}",
        api.len(),
        summary.join("\n")
    );
    assert!(
        tokens <= 10,
        "{tokens} token requests:\n{}",
        summary.join("\n")
    );
    assert!(
        api.len() <= 10,
        "{} API calls:\n{}",
        api.len(),
        summary.join("\n")
    );
    assert!(tokens >= 2, "the pauses end with probes: {summary:?}");
    // Reported, with everything kept.
    assert_eq!(e.connection_state(), ConnectionState::NotAuthorized);
    assert_eq!(*e.authorization_lost().borrow(), Some(LostReason::Refused));
    assert!(e.is_paired(), "the tokens are kept");
    assert!(env.stored_tokens().is_some());
    let s = e.queue().status();
    assert_eq!(s.totals.queued + s.totals.active, 3, "{s:#?}");
    assert_eq!(s.totals.failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_recovers_by_itself_when_the_tokens_are_accepted_again() {
    let env = env().await;
    let e = storm_engine(&env, Duration::from_millis(500)).await;
    env.fault(serde_json::from_str(ALL_401).unwrap()).await;
    let media = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(media.path(), "R001.mov", 400_000, 7);
    enqueue(&e, &p).await;
    // 0.5 + 1 + 2 s of pauses: the third refusal reports not authorized.
    wait_state(&e, |s| *s == ConnectionState::NotAuthorized).await;
    assert!(e.is_paired());
    assert_eq!(e.queue().status().totals.failed, 0);
    env.clear_faults().await;
    // The next probe is accepted: connected again, and the upload completes.
    wait_state(&e, |s| matches!(s, ConnectionState::Connected { .. })).await;
    assert_eq!(*e.authorization_lost().borrow(), None);
    wait_queue(&e, 30, "the upload", |s| s.totals.done == 1).await;
    assert_eq!(env.complete_asset("R001.mov").await["sha256"], sha);
}
