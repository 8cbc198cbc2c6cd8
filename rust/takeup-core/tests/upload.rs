//! The upload queue against the emulator: bytes compared by sha256 on the emulator side.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use serde_json::json;
use sha2::{Digest, Sha256};
use takeup_core::queue::uploader::MIN_PART;
use takeup_core::{AssetKind, AssetState, Engine, EnqueueOptions, Enqueued, Hold, QueueStatus};

const MIB: usize = 1024 * 1024;

fn media(dir: &Path, name: &str, len: usize, seed: u8) -> (PathBuf, String) {
    media_file(dir, name, len, seed)
}

async fn all_done(e: &Engine, n: u64, secs: u64) -> QueueStatus {
    wait_queue(e, secs, "all uploads", |s| {
        s.totals.done == n && s.totals.files_remaining == 0
    })
    .await
}

#[tokio::test]
async fn files_upload_with_standard_and_real_time_assets() {
    let (env, e, dir) = paired_rig(|_| {}).await;
    let (small, small_sha) = media(dir.path(), "still.jpg", 300_000, 1);
    let (big, big_sha) = media(dir.path(), "A001_C001.mov", 12 * MIB + 321, 2);
    let (tiny, tiny_sha) = media(dir.path(), "tiny.txt", 1, 3);
    for p in [&small, &big, &tiny] {
        let r = enqueue(&e, p).await;
        assert!(matches!(r, Enqueued::Added(_)));
    }
    // The same file again is not queued twice.
    assert!(matches!(
        enqueue(&e, &big).await,
        Enqueued::AlreadyQueued(_)
    ));
    let s = all_done(&e, 3, 60).await;
    assert_eq!(s.completed.len(), 3);
    assert!(
        s.completed
            .iter()
            .all(|f| f.uploaded_bytes == f.size.unwrap())
    );
    let small_asset = assert_uploaded_once(&env, "still.jpg", &small_sha, 1).await;
    assert_eq!(small_asset["realtime"], false);
    assert_eq!(small_asset["filetype"], "image/jpeg");
    let big_asset = assert_uploaded_once(&env, "A001_C001.mov", &big_sha, 1).await;
    assert_eq!(big_asset["realtime"], true);
    assert_eq!(big_asset["parts"].as_object().unwrap().len(), 3);
    assert_uploaded_once(&env, "tiny.txt", &tiny_sha, 1).await;
    // Already uploaded: not again.
    assert!(matches!(
        enqueue(&e, &big).await,
        Enqueued::AlreadyUploaded(_)
    ));
    // Every call carried the version header; no part PUT carried a bearer token.
    for r in env.requests(0).await {
        assert_eq!(r["client_version"], VERSION, "{r}");
        if r["listener"] == "s3" {
            assert_eq!(r["authorization"], false);
        }
    }
}

#[tokio::test]
async fn priorities_decide_the_upload_order() {
    let env = env().await;
    let e = engine_with_queue(&env, tuned_queue(&env, |q| q.max_files = 1)).await;
    let dir = tempfile::tempdir().unwrap();
    // Queued before pairing: the queue holds until connected.
    let (hero, _) = media(dir.path(), "A002_C001.mov", 1000, 1);
    let (notes, _) = media(dir.path(), "notes.txt", 1000, 2);
    let (proxy, _) = media(dir.path(), "A002_C001_proxy.mp4", 1000, 3);
    let (wav, _) = media(dir.path(), "take1.wav", 1000, 4);
    let (urgent, _) = media(dir.path(), "A002_C002.mov", 1000, 5);
    for p in [&hero, &notes, &proxy, &wav] {
        enqueue(&e, p).await;
    }
    e.queue()
        .enqueue(
            &urgent,
            EnqueueOptions {
                top: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let s = wait_queue(&e, 10, "five queued", |s| s.queued.len() == 5).await;
    assert_eq!(s.hold, Some(Hold::NotAuthorized));
    assert_eq!(s.queued[0].kind, AssetKind::Hero);
    assert_eq!(s.queued[0].name, "A002_C002.mov");
    env.pair(&e, true).await.unwrap();
    all_done(&e, 5, 60).await;
    let assets = env.list("/_emulator/assets").await;
    let order: Vec<&str> = assets.iter().map(|a| a["name"].as_str().unwrap()).collect();
    assert_eq!(
        order,
        [
            "A002_C002.mov",
            "A002_C001_proxy.mp4",
            "take1.wav",
            "notes.txt",
            "A002_C001.mov"
        ]
    );
}

#[tokio::test]
async fn every_fault_kind_is_survived() {
    let (env, e, dir) = paired_rig(|q| q.max_attempts = 20).await;
    let faults = [
        json!({"target": "s3", "nth": 1, "action": {"kind": "drop_after_bytes", "bytes": 100000}}),
        json!({"target": "s3", "nth": 3, "action": {"kind": "internal_error"}}),
        json!({"target": "s3", "nth": 4, "action": {"kind": "slow_down"}}),
        json!({"target": "s3", "nth": 5, "action": {"kind": "request_timeout"}}),
        json!({"target": "s3", "nth": 6, "action": {"kind": "expired_url"}}),
        json!({"target": "s3", "nth": 7, "action": {"kind": "stall", "ms": 4000}}),
        json!({"target": "s3", "nth": 8, "action": {"kind": "service_unavailable"}}),
        json!({"target": "s3", "nth": 9, "action": {"kind": "status", "status": 502}}),
        json!({"target": "s3", "nth": 10, "action": {"kind": "too_many_requests", "retry_after": 1}}),
        json!({"target": "api", "path_contains": "/assets", "nth": 1, "action": {"kind": "internal_error"}}),
        json!({"target": "api", "path_contains": "/assets", "nth": 3, "action": {"kind": "expired_token"}}),
        json!({"target": "api", "path_contains": "/assets", "nth": 5, "action": {"kind": "too_many_requests", "retry_after": 1}}),
        json!({"target": "api", "path_contains": "/assets", "nth": 7, "action": {"kind": "service_unavailable"}}),
        json!({"target": "api", "path_contains": "/realtime_upload", "nth": 2, "action": {"kind": "drop_after_bytes", "bytes": 0}}),
        json!({"target": "api", "path_contains": "/realtime_upload", "nth": 4, "action": {"kind": "request_timeout"}}),
        json!({"target": "auth", "nth": 1, "action": {"kind": "service_unavailable"}}),
    ];
    for f in faults {
        env.fault(f).await;
    }
    let mut files = Vec::new();
    for (i, size) in [11 * MIB, 7 * MIB + 5, 2 * MIB, 16 * MIB + 1]
        .into_iter()
        .enumerate()
    {
        let (p, sha) = media(dir.path(), &format!("clip{i}.mov"), size, i as u8);
        enqueue(&e, &p).await;
        files.push((format!("clip{i}.mov"), sha));
    }
    all_done(&e, files.len() as u64, 120).await;
    for (name, sha) in &files {
        // A part cut, expired or failed is sent again: at most a few stores per part.
        assert_uploaded_once(&env, name, sha, 4).await;
    }
    let rules = env.get("/_emulator/faults").await;
    for r in rules.as_array().unwrap() {
        assert_eq!(r["fired"], 1, "every fault fired: {r}");
    }
}

#[tokio::test]
async fn poisoned_media_is_parked_and_does_not_block_others() {
    let (env, e, dir) = paired_rig(|q| (q.max_attempts, q.max_files) = (3, 1)).await;
    for poison in [
        json!({"name": "bad.mov"}),
        json!({"name": "rejected.mov", "mode": "reject_create"}),
    ] {
        env.post("/_emulator/poison", poison).await;
    }
    let (bad, _) = media(dir.path(), "bad.mov", 1000, 1);
    let (rejected, _) = media(dir.path(), "rejected.mov", 1000, 2);
    let (good, good_sha) = media(dir.path(), "good.mov", 1000, 3);
    for p in [&bad, &rejected, &good] {
        enqueue(&e, p).await;
    }
    let s = wait_queue(&e, 60, "good done, two failed", |s| {
        s.totals.done == 1 && s.totals.failed == 2
    })
    .await;
    assert_uploaded_once(&env, "good.mov", &good_sha, 1).await;
    let bad_entry = s.failed.iter().find(|f| f.name == "bad.mov").unwrap();
    assert_eq!(bad_entry.attempts, 3);
    assert!(
        bad_entry.reason.as_deref().unwrap().contains("500"),
        "{bad_entry:?}"
    );
    let rejected_entry = s.failed.iter().find(|f| f.name == "rejected.mov").unwrap();
    assert!(
        rejected_entry
            .reason
            .as_deref()
            .unwrap()
            .contains("rejected"),
        "{rejected_entry:?}"
    );
    // The user retries the poisoned one: it gets a fresh budget (and fails again).
    e.queue().retry(bad_entry.id).await.unwrap();
    wait_queue(&e, 30, "retried and failed again", |s| {
        s.failed
            .iter()
            .any(|f| f.name == "bad.mov" && f.attempts == 3)
            && s.totals.files_remaining == 0
    })
    .await;
    // One server asset for it, reused by the retry.
    assert_eq!(env.assets_named("bad.mov").await.len(), 1);
}

#[tokio::test]
async fn media_recorded_while_paused_is_skipped_and_offset_decides() {
    let (env, e, dir) = paired_rig(|_| {}).await;
    // Recorded an hour ago, before the pause.
    let (old, old_sha) = media(dir.path(), "before_pause.mov", 1000, 1);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    env.post("/_emulator/device/pause", json!({})).await;
    let (during, _) = media(dir.path(), "during_pause.mov", 1000, 2);
    enqueue(&e, &during).await;
    enqueue(&e, &old).await;
    let s = wait_queue(&e, 30, "one skipped, one done", |s| {
        s.totals.skipped == 1 && s.totals.done == 1
    })
    .await;
    let skipped = s
        .failed
        .iter()
        .find(|f| f.name == "during_pause.mov")
        .unwrap();
    assert_eq!(skipped.state, AssetState::Skipped);
    assert!(skipped.reason.as_deref().unwrap().contains("paused"));
    assert_uploaded_once(&env, "before_pause.mov", &old_sha, 1).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    env.post("/_emulator/device/resume", json!({})).await;
    let (after, after_sha) = media(dir.path(), "after_resume.mov", 1000, 3);
    enqueue(&e, &after).await;
    wait_queue(&e, 30, "after resume done", |s| s.totals.done == 2).await;
    assert_uploaded_once(&env, "after_resume.mov", &after_sha, 1).await;
    // Skipped media stays skipped: never retried on its own.
    assert_eq!(e.queue().status().totals.skipped, 1);
}

#[tokio::test]
async fn cancel_stops_at_once_and_frees_the_slot() {
    let (env, e, dir) = paired_rig(one_part_at_a_time).await;
    // Every part PUT of the big file stalls long: it would hold the only slot.
    env.fault(json!({"target": "s3", "path_contains": "/parts/", "nth": 1, "times": 1, "action": {"kind": "stall", "ms": 60000}})).await;
    let (big, _) = media(dir.path(), "big.mov", 12 * MIB, 1);
    let (small, small_sha) = media(dir.path(), "small.mov", 1000, 2);
    let big_id = enqueue(&e, &big).await.id();
    wait_queue(&e, 10, "big uploading", |s| {
        s.uploading.iter().any(|f| f.id == big_id)
    })
    .await;
    enqueue(&e, &small).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(e.queue().cancel(big_id).await.unwrap());
    let s = wait_queue(&e, 10, "small done after cancel", |s| s.totals.done == 1).await;
    assert_eq!(s.totals.cancelled, 1);
    assert_eq!(s.cancelled[0].id, big_id);
    assert_uploaded_once(&env, "small.mov", &small_sha, 1).await;
    // Cancel all.
    let (c1, _) = media(dir.path(), "c1.mov", 1000, 3);
    let (c2, _) = media(dir.path(), "c2.mov", 1000, 4);
    e.queue().pause();
    enqueue(&e, &c1).await;
    enqueue(&e, &c2).await;
    assert_eq!(e.queue().cancel_all().await.unwrap(), 2);
    e.queue().resume();
    let s = wait_queue(&e, 10, "all cancelled", |s| s.totals.cancelled == 3).await;
    assert_eq!(s.totals.files_remaining, 0);
    // The user can queue a cancelled file again.
    e.queue().retry(big_id).await.unwrap();
    wait_queue(&e, 60, "big done on retry", |s| s.totals.done == 2).await;
}

#[tokio::test]
async fn a_growing_file_uploads_while_it_is_written() {
    let (env, e, dir) = paired_rig(|_| {}).await;
    let path = dir.path().join("A003_C001_live.mp4");
    let chunk: Vec<u8> = (0..MIB).map(|i| (i % 241) as u8).collect();
    let mut all = Vec::new();
    std::fs::write(&path, b"").unwrap();
    let id = enqueue_growing(&e, &path).await.id();
    let mut saw_part_before_close = false;
    for i in 0..13 {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        let mut c = chunk.clone();
        c[0] = i as u8;
        f.write_all(&c).unwrap();
        all.extend_from_slice(&c);
        tokio::time::sleep(Duration::from_millis(150)).await;
        let assets = env.assets_named("A003_C001_live.mp4").await;
        if assets
            .first()
            .is_some_and(|a| a["received_bytes"].as_u64().unwrap() > 0)
        {
            saw_part_before_close = true;
        }
    }
    // Parts go up while the file is still open: wait for them (however loaded the machine),
    // then say the recording ended.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !saw_part_before_close && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let assets = env.assets_named("A003_C001_live.mp4").await;
        saw_part_before_close = assets
            .first()
            .is_some_and(|a| a["received_bytes"].as_u64().unwrap() > 0);
    }
    assert!(
        saw_part_before_close,
        "parts go up while the file is written"
    );
    assert_eq!(e.queue().status().totals.done, 0);
    e.queue().file_closed(id);
    all_done(&e, 1, 30).await;
    let a = assert_uploaded_once(
        &env,
        "A003_C001_live.mp4",
        &hex::encode(Sha256::digest(&all)),
        1,
    )
    .await;
    assert_eq!(a["realtime"], true);
    assert_eq!(a["asset_filesize"], all.len());
}

#[tokio::test]
async fn a_growing_file_that_stops_growing_is_finalised() {
    let (env, e, dir) = paired_rig(|q| q.growth_idle = Duration::from_millis(800)).await;
    let (path, sha) = media(dir.path(), "voice.wav", 6 * MIB + 7, 9);
    e.queue()
        .enqueue(
            &path,
            EnqueueOptions {
                growing: true,
                kind: Some(AssetKind::Audio),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    all_done(&e, 1, 30).await;
    assert_uploaded_once(&env, "voice.wav", &sha, 1).await;
}

/// A close report is about the writes before it: a writer that reopened the file and appended
/// afterwards keeps it growing until the next report (it used to be finalised on the old report).
#[tokio::test]
async fn a_close_report_older_than_the_last_write_does_not_finalise() {
    let (env, e, dir) = paired_rig(|q| q.growth_idle = Duration::from_secs(600)).await;
    let path = dir.path().join("A004_C001.mov");
    let mut all: Vec<u8> = (0..6 * MIB).map(|i| (i % 239) as u8).collect();
    std::fs::write(&path, &all).unwrap();
    e.queue().pause();
    let id = enqueue_growing(&e, &path).await.id();
    e.queue().file_closed(id);
    // The writer opens the file again and appends, after the report.
    tokio::time::sleep(Duration::from_millis(50)).await;
    {
        use std::io::Write;
        let more: Vec<u8> = (0..MIB).map(|i| (i % 233) as u8).collect();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(&more).unwrap();
        all.extend_from_slice(&more);
    }
    e.queue().resume();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s = e.queue().status();
    assert_eq!(s.totals.done, 0, "finalised on a stale close report: {s:?}");
    assert!(
        env.assets_named("A004_C001.mov")
            .await
            .iter()
            .all(|a| a["asset_filesize"].is_null()),
        "no final part planned yet"
    );
    e.queue().file_closed(id);
    all_done(&e, 1, 30).await;
    assert_uploaded_once(&env, "A004_C001.mov", &hex::encode(Sha256::digest(&all)), 1).await;
}

#[tokio::test]
async fn offline_holds_without_burning_attempts_and_resumes() {
    let (env, e, dir) = paired_rig(|_| {}).await;
    e.set_network_available(false);
    let (p, sha) = media(dir.path(), "offline.mov", 2000, 1);
    let since = env.last_seq().await;
    enqueue(&e, &p).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let s = e.queue().status();
    assert_eq!(s.hold, Some(Hold::Offline));
    assert_eq!(s.totals.queued, 1);
    assert!(
        env.requests(since).await.is_empty(),
        "nothing sent while offline"
    );
    e.set_network_available(true);
    all_done(&e, 1, 30).await;
    assert_uploaded_once(&env, "offline.mov", &sha, 1).await;

    // Inferred offline: the S3 host refuses connections (stopped emulator is too much; use a
    // connection cut on every PUT for a while), then comes back.
    env.fault(json!({"target": "s3", "nth": 1, "times": 3, "action": {"kind": "drop_after_bytes", "bytes": 0}})).await;
    let (p2, sha2) = media(dir.path(), "flaky.mov", 2000, 2);
    enqueue(&e, &p2).await;
    all_done(&e, 2, 30).await;
    assert_uploaded_once(&env, "flaky.mov", &sha2, 1).await;
}

#[tokio::test]
async fn a_restart_resumes_from_the_last_acknowledged_part() {
    let env = env().await;
    let q = tuned_queue(&env, |q| q.max_parts_per_file = 1);
    let dir = tempfile::tempdir().unwrap();
    let (p, sha) = media(dir.path(), "long_take.mov", 4 * MIN_PART as usize + 11, 1);
    {
        let e = paired_with_queue(&env, q.clone()).await;
        // The third part stalls: the app is stopped while it is in flight.
        env.fault(json!({"target": "s3", "nth": 3, "action": {"kind": "stall", "ms": 30000}}))
            .await;
        let id = enqueue(&e, &p).await.id();
        wait_queue(&e, 30, "two parts acknowledged", |s| {
            s.uploading
                .iter()
                .any(|f| f.id == id && f.uploaded_bytes == 2 * MIN_PART)
        })
        .await;
        e.shutdown();
    }
    env.post(
        "/_emulator/faults",
        json!({"target": "s3", "nth": 1000000, "action": {"kind": "internal_error"}}),
    )
    .await;
    let e = engine_with_queue(&env, q).await;
    all_done(&e, 1, 60).await;
    let a = assert_uploaded_once(&env, "long_take.mov", &sha, 1).await;
    assert_eq!(
        env.assets_named("long_take.mov").await.len(),
        1,
        "never a new asset"
    );
    assert_eq!(a["parts"]["1"]["received_count"], 1);
    assert_eq!(a["parts"]["2"]["received_count"], 1);
}

#[tokio::test]
async fn tokens_expire_mid_upload_and_a_forgotten_device_keeps_its_queue() {
    let env = env().await;
    env.settings(json!({"access_token_ttl_secs": 2})).await;
    let e = paired_with_queue(&env, tuned_queue(&env, |q| q.max_files = 1)).await;
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 0..4 {
        let (p, sha) = media(dir.path(), &format!("t{i}.mov"), 1000, i);
        files.push((format!("t{i}.mov"), sha));
        enqueue(&e, &p).await;
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    all_done(&e, 4, 60).await;
    for (name, sha) in &files {
        assert_uploaded_once(&env, name, sha, 1).await;
    }
    env.post("/_emulator/device/forget", json!({})).await;
    let (p, _) = media(dir.path(), "after_forget.mov", 1000, 9);
    enqueue(&e, &p).await;
    let s = wait_queue(&e, 20, "held: not authorized", |s| {
        s.hold == Some(Hold::NotAuthorized)
    })
    .await;
    assert_eq!(s.totals.done, 4, "the journal is kept");
    assert_eq!(s.totals.files_remaining, 1);
}
