//! Part leases through the engine's public API, as a platform executor (an iOS background
//! URLSession, an Android worker) uses them: the engine's own executor is off, a test executor
//! leases parts, PUTs them to the emulator's S3 and reports. Bytes are compared by sha256 on the
//! emulator; every report path (success, failure, expiry, a kill between lease and report, a
//! duplicate, a late report after the part was leased again, an expired URL) is exercised.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use takeup_core::queue::uploader::MIN_PART;
use takeup_core::{Engine, PartTransfer, QueueConfig, TransferAck, TransferError};

const MIB: usize = 1024 * 1024;

/// A queue whose parts only a platform executor moves; a failed part may go again at once.
fn platform_queue(q: &mut QueueConfig) {
    q.adaptive = false;
    (q.backoff_base, q.backoff_max) = (Duration::ZERO, Duration::ZERO);
}

/// An engine whose parts only the test's executor moves, with [`platform_queue`] changed by
/// `tune`; paired unless it already was (a restart).
async fn platform_engine(env: &Env, tune: impl FnOnce(&mut QueueConfig)) -> Engine {
    let q = tuned_queue(env, |q| {
        platform_queue(q);
        tune(q);
    });
    let e = engine_with_queue(env, q).await;
    e.queue().set_engine_transfers(false);
    if !e.is_paired() {
        env.pair(&e, true).await.expect("paired");
    }
    e
}

/// The emulator, a [`platform_engine`] with [`platform_queue`] changed by `tune`, and a folder
/// for the test's media.
async fn platform_rig(tune: impl FnOnce(&mut QueueConfig)) -> (Env, Engine, tempfile::TempDir) {
    let env = env().await;
    let e = platform_engine(&env, tune).await;
    (env, e, tempfile::tempdir().unwrap())
}

/// The test's executor: an HTTP client that trusts the emulator, sending exactly what a lease
/// says.
fn executor(env: &Env) -> reqwest::Client {
    control_client(env.emu.ca_pem.as_bytes())
}

/// PUT one leased part; the answer's status and body.
async fn put(http: &reqwest::Client, t: &PartTransfer) -> (u16, String) {
    assert_eq!(t.method, "PUT");
    let data = std::fs::read(&t.path).unwrap();
    let body = data[t.offset as usize..(t.offset + t.length) as usize].to_vec();
    let mut req = http.put(&t.url).body(body);
    for h in &t.headers {
        req = req.header(&h.name, &h.value);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

/// Lease and send until nothing is left; returns how many parts were sent.
async fn drain(e: &Engine, http: &reqwest::Client) -> usize {
    let mut sent = 0;
    loop {
        let leases = lease(e, 4).await;
        if leases.is_empty() {
            let s = e.queue().status();
            if s.totals.queued + s.totals.active == 0 {
                return sent;
            }
            continue;
        }
        for t in leases {
            let (status, _) = put(http, &t).await;
            assert_eq!(status, 200, "{t:?}");
            assert_eq!(succeeded(e, &t.lease_id).await, TransferAck::Applied);
            sent += 1;
        }
    }
}

/// Up to `n` leases (waiting up to 10 s for the first).
async fn lease(e: &Engine, n: usize) -> Vec<PartTransfer> {
    e.queue()
        .next_transfers(n, Duration::from_secs(10))
        .await
        .unwrap()
}

async fn lease_one(e: &Engine) -> PartTransfer {
    lease(e, 1).await.remove(0)
}

async fn succeeded(e: &Engine, lease_id: &str) -> TransferAck {
    e.queue().transfer_succeeded(lease_id, None).await.unwrap()
}

async fn failed(e: &Engine, lease_id: &str, error: TransferError) -> TransferAck {
    e.queue().transfer_failed(lease_id, error).await.unwrap()
}

/// Wait until the one queued file is done; the emulator's report of its one complete asset,
/// whose bytes must be `sha`.
async fn done_intact(env: &Env, e: &Engine, name: &str, sha: &str) -> Value {
    wait_queue(e, 30, "done", |s| s.totals.done == 1).await;
    let a = env.complete_asset(name).await;
    assert_eq!(a["sha256"], sha, "{name}");
    a
}

fn stored_counts(a: &Value) -> Vec<u64> {
    a["parts"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["received_count"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_platform_executor_uploads_through_leases() {
    let (env, e, dir) = platform_rig(|_| {}).await;
    let (big, big_sha) = media_file(dir.path(), "A001_C001.mov", 12 * MIB + 5, 1);
    let (small, small_sha) = media_file(dir.path(), "still.jpg", 200_000, 2);
    for p in [&big, &small] {
        enqueue(&e, p).await;
    }
    // The engine moves no bytes itself.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(e.queue().status().totals.done, 0);
    let first = lease(&e, 16).await;
    assert!(!first.is_empty());
    for t in &first {
        let names: Vec<&str> = t.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(
            names,
            ["Content-Type", "x-amz-acl", "Content-Length", "Content-MD5"]
        );
        assert_eq!(t.headers[2].value, t.length.to_string());
        assert!(t.expires_at_ms > chrono::Utc::now().timestamp_millis());
        assert!(!t.url.contains("Authorization"));
    }
    let http = executor(&env);
    for t in first {
        assert_eq!(put(&http, &t).await.0, 200);
        e.queue()
            .transfer_succeeded(&t.lease_id, Some("\"etag\"".into()))
            .await
            .unwrap();
    }
    drain(&e, &http).await;
    wait_queue(&e, 30, "both done", |s| s.totals.done == 2).await;
    let a = env.complete_asset("A001_C001.mov").await;
    assert_eq!(a["sha256"], big_sha.as_str());
    assert!(stored_counts(&a).iter().all(|c| *c == 1), "{a:#}");
    assert_eq!(
        env.complete_asset("still.jpg").await["sha256"],
        small_sha.as_str()
    );
    assert!(e.queue().leases_out().await.unwrap().is_empty());
}

#[tokio::test]
async fn failures_duplicates_and_late_reports_are_counted_once() {
    let (env, e, dir) = platform_rig(|_| {}).await;
    let (p, sha) = media_file(dir.path(), "A001_C002.mov", 3 * MIN_PART as usize + 10, 3);
    let id = enqueue(&e, &p).await.id();
    let http = executor(&env);

    // A failure: the part goes back in line (after its backoff) and is leased again.
    let t = lease_one(&e).await;
    let ack = failed(
        &e,
        &t.lease_id,
        TransferError::Http {
            status: 500,
            body: "<Error><Code>InternalError</Code></Error>".into(),
            retry_after: None,
        },
    )
    .await;
    assert_eq!(ack, TransferAck::Applied);
    // Reported twice: the second changes nothing.
    assert_eq!(
        failed(
            &e,
            &t.lease_id,
            TransferError::Network {
                kind: takeup_core::NetworkErrorKind::Interrupted
            }
        )
        .await,
        TransferAck::Stale
    );
    let again = lease_one(&e).await;
    assert_eq!(again.part_number, t.part_number);
    assert_ne!(again.lease_id, t.lease_id);
    let row = &e
        .queue()
        .assets(vec![takeup_core::AssetState::Active])
        .await
        .unwrap()[0];
    assert_eq!((row.id, row.attempts), (id, 1));

    // Sent and stored, but the platform loses track of it: given back (abandoned), leased
    // again, and then both reports arrive. The part is acknowledged once.
    assert_eq!(put(&http, &again).await.0, 200);
    assert_eq!(
        failed(&e, &again.lease_id, TransferError::Abandoned).await,
        TransferAck::Applied
    );
    let third = lease_one(&e).await;
    assert_eq!(third.part_number, t.part_number);
    assert_eq!(
        succeeded(&e, &again.lease_id).await,
        TransferAck::Applied,
        "the late success of the earlier lease acknowledges the part"
    );
    let acked = |parts: &[takeup_core::queue::PartRow]| -> u64 {
        parts
            .iter()
            .filter(|p| p.state == takeup_core::queue::PartState::Acked)
            .map(|p| p.size)
            .sum()
    };
    let once = acked(&e.queue().parts(id).await.unwrap());
    assert_eq!(once, MIN_PART);
    assert_eq!(put(&http, &third).await.0, 200);
    assert_eq!(succeeded(&e, &third.lease_id).await, TransferAck::Stale);
    assert_eq!(
        acked(&e.queue().parts(id).await.unwrap()),
        once,
        "counted once"
    );
    assert_eq!(succeeded(&e, "no-such-lease").await, TransferAck::Unknown);

    drain(&e, &http).await;
    done_intact(&env, &e, "A001_C002.mov", &sha).await;
}

#[tokio::test]
async fn an_unreported_lease_expires_and_its_part_goes_again() {
    let (env, e, dir) = platform_rig(|q| q.platform_lease_ttl = Duration::from_secs(1)).await;
    let (p, sha) = media_file(dir.path(), "A001_C003.mov", 2 * MIN_PART as usize + 1, 4);
    enqueue(&e, &p).await;
    let dropped = lease_one(&e).await;
    // The OS dropped the task: no report ever comes.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let mut seen_again = false;
    let http = executor(&env);
    for _ in 0..20 {
        let leases = lease(&e, 4).await;
        if leases.is_empty() {
            break;
        }
        for t in leases {
            seen_again |= t.part_number == dropped.part_number;
            assert_eq!(put(&http, &t).await.0, 200);
            succeeded(&e, &t.lease_id).await;
        }
    }
    assert!(seen_again, "the expired lease's part was leased again");
    done_intact(&env, &e, "A001_C003.mov", &sha).await;
}

#[tokio::test]
async fn a_restart_between_lease_and_report_keeps_what_the_platform_still_runs() {
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(dir.path(), "A001_C004.mov", 3 * MIN_PART as usize + 99, 5);
    let http = executor(&env);
    let (running, dropped) = {
        let e = platform_engine(&env, |_| {}).await;
        enqueue(&e, &p).await;
        let mut l = lease(&e, 2).await;
        assert_eq!(l.len(), 2);
        e.shutdown();
        (l.remove(0), l.remove(0))
    };
    // The app was killed; the OS finished one transfer, and dropped the other.
    assert_eq!(put(&http, &running).await.0, 200);
    let e = platform_engine(&env, |_| {}).await;
    // At relaunch the platform says what it still has: the finished task is still listed
    // until its completion is delivered; the dropped one is gone.
    let back = e
        .queue()
        .pending_transfers(vec![running.lease_id.clone()])
        .await
        .unwrap();
    assert_eq!(back, 1, "the dropped lease is taken back");
    assert_eq!(succeeded(&e, &running.lease_id).await, TransferAck::Applied);
    let sent = drain(&e, &http).await;
    let a = done_intact(&env, &e, "A001_C004.mov", &sha).await;
    // Each part stored once: the finished part was not sent again, the dropped one was.
    assert!(stored_counts(&a).iter().all(|c| *c == 1), "{a:#}");
    assert_eq!(
        sent,
        stored_counts(&a).len() - 1,
        "every part but the one the OS finished"
    );
    assert_ne!(dropped.part_number, running.part_number);
}

#[tokio::test]
async fn a_part_whose_url_expired_is_registered_again_before_it_is_leased() {
    // The parts are registered with URLs that last 2 s; anything expiring within the margin
    // (0.8 s with these timeouts) is registered again before it is leased.
    let (env, e, dir) = platform_rig(|q| {
        let short = Duration::from_millis(200);
        (q.response_timeout, q.stall_timeout) = (short, short);
    })
    .await;
    env.settings(json!({"url_ttl_secs": 2})).await;
    let (p, sha) = media_file(dir.path(), "A001_C005.mov", 2 * MIN_PART as usize + 7, 6);
    enqueue(&e, &p).await;
    let first = lease_one(&e).await;
    // URLs registered from now on last an hour: a part leased with 0.8 s to go could otherwise
    // expire on its way on a loaded machine (its PUT refused, 1 run in 20 under a full suite).
    // The parts registered above still expire, unused, before the leases below.
    env.settings(json!({"url_ttl_secs": 3600})).await;
    tokio::time::sleep(Duration::from_millis(2300)).await;
    let http = executor(&env);
    // Sent too late: S3 refuses the expired URL; the report makes the engine fetch a new one.
    let (status, body) = put(&http, &first).await;
    assert_eq!(status, 403, "{body}");
    failed(
        &e,
        &first.lease_id,
        TransferError::Http {
            status,
            body,
            retry_after: None,
        },
    )
    .await;
    // Other parts may go first; the refused one comes back with a fresh URL.
    let mut again = None;
    for _ in 0..10 {
        let leases = lease(&e, 4).await;
        for t in leases {
            assert_eq!(put(&http, &t).await.0, 200, "{t:?}");
            succeeded(&e, &t.lease_id).await;
            if t.part_number == first.part_number {
                again = Some(t);
            }
        }
        if again.is_some() {
            break;
        }
    }
    let again = again.expect("the refused part was leased again");
    assert_ne!(again.url, first.url, "a fresh URL");
    drain(&e, &http).await;
    done_intact(&env, &e, "A001_C005.mov", &sha).await;
}

#[tokio::test]
async fn a_slice_holds_exactly_the_leased_bytes_or_nothing() {
    let (_env, e, dir) = platform_rig(|_| {}).await;
    let (p, _) = media_file(dir.path(), "A001_C006.mov", 2 * MIN_PART as usize + 3, 7);
    enqueue(&e, &p).await;
    let t = lease_one(&e).await;
    let slice = dir.path().join("slice.part");
    e.queue()
        .write_transfer_slice(&t.lease_id, slice.clone())
        .await
        .unwrap();
    let data = std::fs::read(&p).unwrap();
    assert_eq!(
        std::fs::read(&slice).unwrap(),
        &data[t.offset as usize..(t.offset + t.length) as usize]
    );
    // The file changes under the lease: no slice is written.
    let mut changed = data.clone();
    changed[t.offset as usize + 10] ^= 0xff;
    std::fs::write(&p, &changed).unwrap();
    let other = dir.path().join("other.part");
    let err = e
        .queue()
        .write_transfer_slice(&t.lease_id, other.clone())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("changed"), "{err}");
    assert!(!other.exists());
}

#[tokio::test]
async fn an_engine_started_without_its_executor_leases_nothing_to_itself() {
    // An iOS app relaunched in the background for its upload session's events: the engine
    // starts paired with files queued, and only the platform's executor may take their parts.
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(dir.path(), "A001_C009.mov", 2 * MIN_PART as usize + 7, 9);
    {
        let e = platform_engine(&env, |_| {}).await;
        enqueue(&e, &p).await;
        e.shutdown();
    }
    let mut c = env.config();
    c.queue = tuned_queue(&env, |q| {
        platform_queue(q);
        q.engine_transfers = false;
    });
    let e = Engine::start(c, env.store.clone()).await.unwrap();
    assert!(e.is_paired());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        e.queue().leases_out().await.unwrap().is_empty(),
        "the engine leased parts to itself"
    );
    assert_eq!(e.queue().status().totals.done, 0);
    let sent = drain(&e, &executor(&env)).await;
    let a = done_intact(&env, &e, "A001_C009.mov", &sha).await;
    assert_eq!(
        sent,
        stored_counts(&a).len(),
        "the platform sent every part"
    );
}
