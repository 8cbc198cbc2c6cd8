//! "Intact, exactly once" whatever happens to the file: a file that grows during its upload, one
//! rewritten in place while the engine was stopped, a server asset that vanished, one file under
//! several paths, network faults that must never park a file. Bytes are compared by sha256 on
//! the emulator's side.

mod common;

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use takeup_core::queue::uploader::MIN_PART;
use takeup_core::{AssetState, Engine, EnqueueOptions, Enqueued, Hold, QueueConfig, QueueStatus};

const MIB: usize = 1024 * 1024;

fn sha_of(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// The completed entries a status stream ever showed, and the reasons it ever showed.
#[derive(Default)]
struct Seen {
    completed: Vec<(i64, Option<u64>)>,
    reasons: Vec<String>,
}

fn record(e: &Engine) -> Arc<Mutex<Seen>> {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut rx = e.queue().watch();
    let s2 = seen.clone();
    tokio::spawn(async move {
        loop {
            {
                let s: QueueStatus = rx.borrow_and_update().clone();
                let mut seen = s2.lock().unwrap();
                for f in &s.completed {
                    if !seen.completed.contains(&(f.id, f.size)) {
                        seen.completed.push((f.id, f.size));
                    }
                }
                for f in s.uploading.iter().chain(&s.queued) {
                    if let Some(r) = &f.reason
                        && !seen.reasons.contains(r)
                    {
                        seen.reasons.push(r.clone());
                    }
                }
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    });
    seen
}

fn append(path: &Path, len: usize, seed: u8) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    let data: Vec<u8> = (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect();
    f.write_all(&data).unwrap();
}

/// One part at a time, slow parts, a growing file finished after 1 s without growth: a `tune`
/// for [`paired_rig`].
fn slow_queue(q: &mut QueueConfig) {
    one_part_at_a_time(q);
    q.adaptive = false;
    q.growth_idle = Duration::from_secs(1);
}

/// A paired engine with [`slow_queue`] whose statuses are recorded from the start, each part PUT
/// held `part_ms` before S3 reads it.
async fn slow_recorded(part_ms: u64) -> (Env, Engine, tempfile::TempDir, Arc<Mutex<Seen>>) {
    let (env, e, dir) = paired_rig(slow_queue).await;
    let seen = record(&e);
    env.slow_parts(part_ms).await;
    (env, e, dir, seen)
}

#[tokio::test]
async fn a_file_that_grows_before_its_last_part_is_uploaded_whole() {
    let (env, e, dir, seen) = slow_recorded(400).await;
    // Written long ago as far as its mtime says: taken as a closed file.
    let (path, _) = media_file(dir.path(), "A002_C001.mov", 12 * MIB, 1);
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let id = enqueue(&e, &path).await.id();
    wait_queue(&e, 30, "a part acknowledged", |s| {
        s.uploading.iter().any(|f| f.uploaded_bytes > 0)
    })
    .await;
    // The writer was only pausing: 8 MiB more arrive.
    append(&path, 8 * MIB, 2);
    let s = wait_queue(&e, 60, "done", |s| s.totals.done == 1).await;
    assert_eq!(s.completed[0].size, Some(20 * MIB as u64));
    let assets = env.asset_reports("A002_C001.mov").await;
    let complete: Vec<&Value> = assets.iter().filter(|a| a["complete"] == true).collect();
    assert_eq!(complete.len(), 1, "{assets:#?}");
    assert_eq!(complete[0]["sha256"], sha_of(&path).as_str());
    // Never reported done with fewer bytes.
    let seen = seen.lock().unwrap();
    assert_eq!(seen.completed, vec![(id, Some(20 * MIB as u64))]);
}

#[tokio::test]
async fn a_file_that_grows_while_its_last_part_is_sent_is_uploaded_again_as_a_new_version() {
    let (env, e, dir, seen) = slow_recorded(1500).await;
    let (path, _) = media_file(dir.path(), "A002_C002.mov", 3 * 1000 * 1000, 3);
    let id = enqueue(&e, &path).await.id();
    // Its one (final) part is on its way: the file grows under it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while e.queue().leases_out().await.unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "no part went out");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    append(&path, 5 * 1000 * 1000, 4);
    let s = wait_queue(&e, 60, "done", |s| s.totals.done == 1).await;
    assert_eq!(s.completed[0].size, Some(8_000_000));
    let assets = env.asset_reports("A002_C002.mov").await;
    let complete: Vec<&Value> = assets.iter().filter(|a| a["complete"] == true).collect();
    let whole: Vec<&&Value> = complete
        .iter()
        .filter(|a| a["sha256"] == sha_of(&path).as_str())
        .collect();
    assert_eq!(whole.len(), 1, "the whole file once: {assets:#?}");
    if complete.len() == 2 {
        // The 3 MB upload completed on the server; the whole file is its next version.
        let first = complete
            .iter()
            .find(|a| a["sha256"] != sha_of(&path).as_str())
            .unwrap();
        assert_eq!(whole[0]["version_of"], first["id"], "{assets:#?}");
    } else {
        assert_eq!(complete.len(), 1, "{assets:#?}");
    }
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen.completed,
        vec![(id, Some(8_000_000))],
        "never done with the 3 MB"
    );
}

#[tokio::test]
async fn resume_verifies_what_was_sent_and_a_rewritten_file_goes_again_as_a_new_asset() {
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = media_file(dir.path(), "A002_C003.mov", 4 * MIN_PART as usize + 77, 5);
    {
        let e = paired_with_queue(&env, tuned_queue(&env, slow_queue)).await;
        env.fault(
            json!({"target": "s3", "probability": 1.0, "action": {"kind": "stall", "ms": 300}}),
        )
        .await;
        enqueue(&e, &path).await;
        wait_queue(&e, 30, "two parts acknowledged", |s| {
            s.uploading.iter().any(|f| f.uploaded_bytes >= 2 * MIN_PART)
        })
        .await;
        e.shutdown();
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // While the engine is stopped: bytes in the middle of the first part are rewritten, same
    // size, and the mtime put back (exFAT keeps it to 2 s; a careless tool restores it).
    let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
    let mut data = std::fs::read(&path).unwrap();
    for b in &mut data[1000..2000] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, &data).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    env.clear_faults().await;
    let e = engine_with_queue(&env, tuned_queue(&env, slow_queue)).await;
    let seen = record(&e);
    wait_queue(&e, 60, "done", |s| s.totals.done == 1).await;
    let assets = env.asset_reports("A002_C003.mov").await;
    let complete: Vec<&Value> = assets.iter().filter(|a| a["complete"] == true).collect();
    assert_eq!(complete.len(), 1, "{assets:#?}");
    assert_eq!(
        complete[0]["sha256"],
        hex::encode(Sha256::digest(&data)).as_str(),
        "the asset holds the file as it is"
    );
    assert_eq!(
        assets.len(),
        2,
        "the first asset was abandoned: {assets:#?}"
    );
    let reasons = seen.lock().unwrap().reasons.clone();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("changed after it was sent")),
        "the status said why: {reasons:?}"
    );
}

#[tokio::test]
async fn a_server_asset_that_vanished_is_created_again_and_retry_works() {
    let (env, e, dir) = paired_rig(|_| {}).await;
    // The parts endpoint answers 404 for the first asset (deleted on the server).
    env.fault(json!({"target": "api", "path_contains": "/realtime_upload", "nth": 1, "action": {"kind": "status", "status": 404}}))
        .await;
    let (a, a_sha) = media_file(dir.path(), "A002_C004.mov", 2 * MIN_PART as usize + 1, 6);
    enqueue(&e, &a).await;
    wait_queue(&e, 30, "done", |s| s.totals.done == 1).await;
    let assets = env.asset_reports("A002_C004.mov").await;
    let complete: Vec<&Value> = assets.iter().filter(|x| x["complete"] == true).collect();
    assert_eq!(complete.len(), 1);
    assert_eq!(complete[0]["sha256"], a_sha.as_str());

    // Always 404: a few new assets, then parked with the reason; once the server is fine again,
    // retry uploads it (on a new asset, never the stale one).
    env.fault(json!({"target": "api", "path_contains": "/realtime_upload", "probability": 1.0, "action": {"kind": "status", "status": 404}}))
        .await;
    let (b, b_sha) = media_file(dir.path(), "A002_C005.mov", 2 * MIN_PART as usize + 2, 7);
    let id = enqueue(&e, &b).await.id();
    let s = wait_queue(&e, 30, "parked", |s| s.totals.failed == 1).await;
    assert!(
        s.failed[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("no longer has"),
        "{:?}",
        s.failed[0]
    );
    env.clear_faults().await;
    e.queue().retry(id).await.unwrap();
    wait_queue(&e, 30, "done after retry", |s| s.totals.done == 2).await;
    let assets = env.asset_reports("A002_C005.mov").await;
    let complete: Vec<&Value> = assets.iter().filter(|x| x["complete"] == true).collect();
    assert_eq!(complete.len(), 1);
    assert_eq!(complete[0]["sha256"], b_sha.as_str());
}

#[tokio::test]
async fn one_file_is_one_entry_whatever_path_names_it() {
    let (env, e, dir) = paired_rig(|_| {}).await;
    e.queue().pause();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let (x, _) = media_file(dir.path(), "x.mov", 100_000, 8);
    let link = dir.path().join("link.mov");
    std::os::unix::fs::symlink(&x, &link).unwrap();
    let hard = dir.path().join("hard.mov");
    std::fs::hard_link(&x, &hard).unwrap();
    let first = enqueue(&e, &x).await;
    assert!(matches!(first, Enqueued::Added(_)));
    for alias in [
        dir.path().join("sub/../x.mov"),
        dir.path().join("./x.mov"),
        link.clone(),
        hard.clone(),
    ] {
        assert_eq!(
            enqueue(&e, &alias).await,
            Enqueued::AlreadyQueued(first.id()),
            "{}",
            alias.display()
        );
    }
    e.queue().resume();
    wait_queue(&e, 30, "done", |s| s.totals.done == 1).await;
    assert_eq!(
        enqueue(&e, &link).await,
        Enqueued::AlreadyUploaded(first.id())
    );
    assert_eq!(env.asset_reports("x.mov").await.len(), 1);

    // A new recording under a name still queued: the old entry can no longer be uploaded (its
    // file is gone); it says so, and the new file is its own entry.
    e.queue().pause();
    let (y, _) = media_file(dir.path(), "y.mov", 50_000, 9);
    let old = enqueue(&e, &y).await.id();
    std::fs::rename(&y, dir.path().join("y.old")).unwrap();
    let (y2, y2_sha) = media_file(dir.path(), "y.mov", 60_000, 10);
    let new = enqueue(&e, &y2).await;
    assert!(matches!(new, Enqueued::Added(n) if n != old), "{new:?}");
    e.queue().resume();
    let s = wait_queue(&e, 30, "the new file done", |s| s.totals.done == 2).await;
    let parked = s.failed.iter().find(|f| f.id == old).unwrap();
    assert!(
        parked.reason.as_deref().unwrap().contains("replaced"),
        "{parked:?}"
    );
    let ys = env.asset_reports("y.mov").await;
    assert_eq!(ys.len(), 1);
    assert_eq!(ys[0]["sha256"], y2_sha.as_str());

    // A queued file moved (renamed on the card) and handed over again under its new name: the
    // same entry follows it and uploads it once.
    e.queue().pause();
    let (z, z_sha) = media_file(dir.path(), "z.mov", 70_000, 14);
    let z_id = enqueue(&e, &z).await.id();
    let moved = dir.path().join("sub/z-renamed.mov");
    std::fs::rename(&z, &moved).unwrap();
    assert_eq!(enqueue(&e, &moved).await, Enqueued::AlreadyQueued(z_id));
    e.queue().resume();
    wait_queue(&e, 30, "the moved file done", |s| s.totals.done == 3).await;
    let zs = env.asset_reports("z.mov").await;
    assert_eq!(
        zs.len(),
        1,
        "uploaded once, under the name it was queued with"
    );
    assert_eq!(zs[0]["sha256"], z_sha.as_str());
}

#[tokio::test]
async fn network_faults_never_park_a_file() {
    let (env, e, dir) = paired_rig(|q| q.max_attempts = 2).await;
    // Far more cut connections and timeouts than attempts: on the API and on every part.
    env.fault(json!({"target": "s3", "nth": 1, "times": 8, "action": {"kind": "drop_after_bytes", "bytes": 50000}}))
        .await;
    env.fault(json!({"target": "api", "path_contains": "/assets", "nth": 1, "times": 3, "action": {"kind": "drop_after_bytes", "bytes": 0}}))
        .await;
    let (p, sha) = media_file(dir.path(), "A002_C006.mov", 2 * MIN_PART as usize + 3, 11);
    enqueue(&e, &p).await;
    let s = wait_queue(&e, 90, "done", |s| {
        s.totals.done == 1 || s.totals.failed > 0
    })
    .await;
    assert_eq!(s.totals.failed, 0, "{s:#?}");
    let a = env.asset_reports("A002_C006.mov").await;
    assert_eq!(a.iter().filter(|x| x["complete"] == true).count(), 1);
    assert!(a.iter().any(|x| x["sha256"] == sha.as_str()));
}

#[tokio::test]
async fn a_tls_failure_holds_the_queue_and_parks_nothing() {
    let env = env().await;
    let dir = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(dir.path(), "A002_C007.mov", 300_000, 12);
    {
        let e = paired_with_queue(&env, queue_config(&env)).await;
        e.queue().pause();
        enqueue(&e, &p).await;
        e.queue().resume();
        e.shutdown();
    }
    // A network that intercepts TLS (a captive portal): the emulator's certificate is not
    // trusted.
    let mut c = env.config();
    c.queue = queue_config(&env);
    c.queue.max_attempts = 1;
    c.extra_root_ca_pem = None;
    let e = Engine::start(c, env.store.clone()).await.unwrap();
    let s = wait_queue(&e, 30, "held: insecure", |s| s.hold == Some(Hold::Insecure)).await;
    assert_eq!(s.totals.failed, 0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let s = e.queue().status();
    assert_eq!(
        (s.totals.failed, s.hold.clone()),
        (0, Some(Hold::Insecure)),
        "{s:#?}"
    );
    drop(e);
    // The right network again: it uploads.
    let e = engine_with_queue(&env, queue_config(&env)).await;
    wait_queue(&e, 30, "done", |s| s.totals.done == 1).await;
    let a = env.asset_reports("A002_C007.mov").await;
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["sha256"], sha.as_str());
    let row = &e.queue().assets(vec![AssetState::Done]).await.unwrap()[0];
    assert_eq!(row.attempts, 0);
}

#[tokio::test]
async fn a_card_dump_is_queued_in_one_call_each_file_with_its_outcome() {
    let (_env, e, dir) = paired_rig(|_| {}).await;
    e.queue().pause();
    let mut paths = Vec::new();
    for i in 0..40 {
        paths.push(media_file(dir.path(), &format!("C{i:03}.mov"), 1000 + i, i as u8).0);
    }
    paths.insert(3, dir.path().join("missing.mov"));
    paths.push(paths[0].clone());
    let mut rx = e.queue().watch();
    rx.borrow_and_update();
    let r = e
        .queue()
        .enqueue_many(&paths, EnqueueOptions::default())
        .await
        .unwrap();
    assert_eq!(r.len(), 42);
    assert!(r[3].as_ref().unwrap_err().to_string().contains("gone"));
    let first = r[0].as_ref().unwrap().id();
    assert_eq!(r[41].as_ref().unwrap(), &Enqueued::AlreadyQueued(first));
    assert_eq!(
        r.iter()
            .filter(|x| matches!(x, Ok(Enqueued::Added(_))))
            .count(),
        40
    );
    let s = wait_queue(&e, 10, "40 queued", |s| s.totals.queued == 40).await;
    assert_eq!(s.queued.len(), 40);
    e.queue().resume();
    wait_queue(&e, 60, "all done", |s| s.totals.done == 40).await;
}

#[tokio::test]
async fn a_reported_network_change_restarts_the_parts_in_flight_at_once() {
    // Long stall and response timeouts: without the report, the parts would hang for a minute.
    let (env, e, dir) = paired_rig(|q| {
        three_parts_of_one_file(q);
        let minute = Duration::from_secs(60);
        (q.stall_timeout, q.response_timeout) = (minute, minute);
    })
    .await;
    // The old path swallows everything: the first three PUTs never get an answer.
    env.fault(
        json!({"target": "s3", "nth": 1, "times": 3, "action": {"kind": "stall", "ms": 120000}}),
    )
    .await;
    let (p, sha) = media_file(dir.path(), "A002_C008.mov", 3 * MIN_PART as usize + 5, 13);
    enqueue(&e, &p).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while e.queue().leases_out().await.unwrap().len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "three parts out");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The new path works.
    env.clear_faults().await;
    let reported = tokio::time::Instant::now();
    e.network_changed(true, takeup_core::ConnectionType::Cellular);
    wait_queue(&e, 20, "done", |s| s.totals.done == 1).await;
    assert!(
        reported.elapsed() < Duration::from_secs(10),
        "resent on the new path at once, not after the stall timeout: {:?}",
        reported.elapsed()
    );
    let a = env.asset_reports("A002_C008.mov").await;
    assert_eq!(a.iter().filter(|x| x["complete"] == true).count(), 1);
    assert_eq!(a[0]["sha256"], sha.as_str());
}
