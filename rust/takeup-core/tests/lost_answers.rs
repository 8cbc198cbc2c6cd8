//! "The server did it, the answer was lost" against the engine: the emulator runs the handler
//! and then withholds the answer (`lose_answer`) on asset creation, real-time part
//! registration and part PUTs. Whatever is lost, every file ends complete once with its bytes;
//! a lost creation answer costs at most one empty orphan; a lost answer to the last part is a
//! completed upload (S3 answers the part sent again 404 NoSuchUpload), not a failure.

mod common;

use common::*;
use serde_json::{Value, json};
use takeup_core::queue::uploader::MIN_PART;

/// Exactly one complete asset with these bytes; any other is an empty orphan (never a part).
async fn once_intact(env: &Env, name: &str, sha: &str) -> usize {
    let all = env.asset_reports(name).await;
    let complete: Vec<&Value> = all.iter().filter(|a| a["complete"] == true).collect();
    assert_eq!(complete.len(), 1, "{name}: {all:#?}");
    assert_eq!(complete[0]["sha256"], sha, "{name}");
    let orphans: Vec<&Value> = all.iter().filter(|a| a["complete"] != true).collect();
    for o in &orphans {
        assert_eq!(o["stored_puts"], 0, "an orphan holds no part: {o:#}");
    }
    orphans.len()
}

#[tokio::test]
async fn a_lost_answer_to_the_only_part_is_a_completed_upload() {
    let (env, e, dir) = paired_rig(three_attempts).await;
    // The one PUT of a small file is stored, its answer lost; every later PUT would be
    // answered NoSuchUpload, as S3 does once the upload is complete.
    env.fault(json!({"target": "s3", "nth": 1, "action": {"kind": "lose_answer"}}))
        .await;
    let (p, sha) = media_file(dir.path(), "still.jpg", 300_000, 1);
    enqueue(&e, &p).await;
    let s = wait_queue(&e, 30, "done", |s| {
        s.totals.done == 1 || s.totals.failed > 0
    })
    .await;
    assert_eq!((s.totals.done, s.totals.failed), (1, 0), "{s:#?}");
    assert_eq!(once_intact(&env, "still.jpg", &sha).await, 0);
    let a = &env.asset_reports("still.jpg").await[0];
    assert_eq!(a["stored_puts"], 1, "stored once: {a:#}");
}

#[tokio::test]
async fn lost_answers_to_the_last_parts_of_a_multipart_upload_complete_it() {
    let (env, e, dir) = paired_rig(|q| {
        three_attempts(q);
        three_parts_of_one_file(q);
    })
    .await;
    // Every PUT stored, every answer lost: the upload completes on the server without one
    // acknowledgement reaching the engine.
    env.fault(json!({"target": "s3", "probability": 1.0, "action": {"kind": "lose_answer"}}))
        .await;
    let (p, sha) = media_file(dir.path(), "A003_C001.mov", 3 * MIN_PART as usize + 11, 2);
    enqueue(&e, &p).await;
    // Nothing is acknowledged while the answers are lost; then the link is fine again.
    wait_queue(&e, 30, "parts sent", |s| {
        s.uploading.iter().any(|f| f.sent_bytes > 0)
    })
    .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let all = env.asset_reports("A003_C001.mov").await;
        if all.iter().any(|a| a["complete"] == true) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server completed it: {all:#?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    env.clear_faults().await;
    let s = wait_queue(&e, 60, "done", |s| {
        s.totals.done == 1 || s.totals.failed > 0
    })
    .await;
    assert_eq!((s.totals.done, s.totals.failed), (1, 0), "{s:#?}");
    assert_eq!(once_intact(&env, "A003_C001.mov", &sha).await, 0);
}

#[tokio::test]
async fn a_lost_creation_answer_costs_at_most_one_empty_orphan() {
    let (env, e, dir) = paired_rig(three_attempts).await;
    env.fault(json!({"target": "api", "method": "POST", "path_ends_with": "/v2/devices/assets", "nth": 1, "action": {"kind": "lose_answer"}}))
        .await;
    // Lost registration answers too (the engine asks again: fresh URLs for the same parts).
    env.fault(json!({"target": "api", "path_contains": "/realtime_upload", "nth": 1, "times": 2, "action": {"kind": "lose_answer"}}))
        .await;
    let (small, small_sha) = media_file(dir.path(), "B001.mov", 200_000, 3);
    let (big, big_sha) = media_file(dir.path(), "B002.mov", 2 * MIN_PART as usize + 9, 4);
    for p in [&small, &big] {
        enqueue(&e, p).await;
    }
    let s = wait_queue(&e, 60, "both done", |s| {
        s.totals.done == 2 || s.totals.failed > 0
    })
    .await;
    assert_eq!((s.totals.done, s.totals.failed), (2, 0), "{s:#?}");
    let orphans = once_intact(&env, "B001.mov", &small_sha).await
        + once_intact(&env, "B002.mov", &big_sha).await;
    assert_eq!(orphans, 1, "the lost creation answer left one empty asset");
    let rules = env.get("/_emulator/faults").await;
    for r in rules.as_array().unwrap() {
        assert!(r["fired"].as_u64().unwrap() >= 1, "every fault fired: {r}");
    }
}
