//! `takeup watch`: a file being written is uploaded as it grows and finalised when its writer
//! closes it (inotify's close-after-write, reported to the engine as `file_closed`); with
//! `--poll` (no filesystem events) the growth idle time still finalises it; a close by one writer
//! while another still appends does not finalise the file early.

#![cfg(target_os = "linux")]

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Ctx, text};
use serde_json::Value;
use sha2::{Digest, Sha256};

const MIB: usize = 1024 * 1024;

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// `takeup watch MEDIA ARGS` in the background, its output kept for the failure message.
fn watch(ctx: &Ctx, args: &[&str]) -> Child {
    let mut a = vec!["watch", ctx.media.path().to_str().unwrap(), "--no-progress"];
    a.extend_from_slice(args);
    let child = ctx.spawn(&a, Stdio::piped(), Stdio::piped());
    // Watching once its first line is out (the watcher is installed before it).
    std::thread::sleep(Duration::from_millis(200));
    child
}

fn stop(child: Child) -> String {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}

/// Every asset named `name` on the emulator.
async fn assets_named(ctx: &Ctx, name: &str) -> Vec<Value> {
    ctx.get("/_emulator/assets")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["name"] == name)
        .cloned()
        .collect()
}

/// Wait until an asset named `name` is complete (or `secs` pass: None).
async fn complete(ctx: &Ctx, name: &str, secs: u64) -> Option<Value> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if let Some(a) = assets_named(ctx, name)
            .await
            .into_iter()
            .find(|a| a["complete"] == true)
        {
            return Some(
                ctx.get(&format!("/_emulator/assets/{}", a["id"].as_str().unwrap()))
                    .await,
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Write `first`, keep the file open past the watcher's settle time (it is then uploaded as a
/// growing file), write `second` and close.
fn record(path: &Path, first: &[u8], second: &[u8]) {
    let mut f = std::fs::File::create(path).unwrap();
    f.write_all(first).unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    f.write_all(second).unwrap();
}

/// Record `name` in the watched folder (`first`, a pause, `second`, closed), wait up to 60 s for
/// its complete asset, and stop the watcher: the asset (None: never finalised) and the watcher's
/// output.
async fn record_and_stop(
    ctx: &Ctx,
    watcher: Child,
    name: &str,
    first: &[u8],
    second: &[u8],
) -> (Option<Value>, String) {
    record(&ctx.media.path().join(name), first, second);
    let asset = complete(ctx, name, 60).await;
    (asset, stop(watcher))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_is_finalised_when_its_writer_closes_it() {
    let Some(ctx) = Ctx::paired().await else {
        return;
    };
    // Growth idle far beyond the test's wait: only the close event can finalise the file.
    let child = watch(&ctx, &["--growth-idle-secs", "600"]);
    let (a, b) = (bytes(6 * MIB, 1), bytes(3 * MIB + 17, 2));
    let (asset, log) = record_and_stop(&ctx, child, "A001_C003.mov", &a, &b).await;
    let asset = asset.unwrap_or_else(|| panic!("not finalised after the close: {log}"));
    assert_eq!(asset["sha256"], sha256_hex(&[a, b].concat()), "{log}");
    assert_eq!(asset["realtime"], true, "uploaded as it grew: {log}");
    assert!(log.contains("(recording: uploading as it grows)"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_filesystem_events_the_growth_idle_time_finalises_a_recording() {
    let Some(ctx) = Ctx::paired().await else {
        return;
    };
    // Idle longer than the writer's pause (2.5 s), so the pause does not end the recording.
    let child = watch(&ctx, &["--poll", "--growth-idle-secs", "5"]);
    let (a, b) = (bytes(6 * MIB, 3), bytes(MIB + 5, 4));
    let (asset, log) = record_and_stop(&ctx, child, "A001_C004.mov", &a, &b).await;
    let asset = asset.unwrap_or_else(|| panic!("never finalised: {log}"));
    assert_eq!(asset["sha256"], sha256_hex(&[a, b].concat()), "{log}");
    assert_eq!(assets_named(&ctx, "A001_C004.mov").await.len(), 1, "{log}");
}

/// The writer closes the file, then reopens it and appends (some recorders write in bursts): the
/// first close may finalise the upload (the engine re-checks the file before its final part, and
/// an upload finalised just before the append goes again as the next version), but every byte
/// arrives: the newest complete asset holds the whole file, and any earlier one holds exactly the
/// file's first bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_reopens_and_appends_gets_every_byte_uploaded() {
    let Some(ctx) = Ctx::paired().await else {
        return;
    };
    let child = watch(&ctx, &["--growth-idle-secs", "600"]);
    let path = ctx.media.path().join("A001_C005.mov");
    let mut all = Vec::new();
    let a = bytes(6 * MIB, 5);
    record(&path, &a[..3 * MIB], &a[3 * MIB..]);
    all.extend_from_slice(&a);
    std::thread::sleep(Duration::from_millis(50));
    let mut again = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for i in 0..30u8 {
        let c = bytes(256 * 1024, i);
        again.write_all(&c).unwrap();
        all.extend_from_slice(&c);
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(again);
    let deadline = Instant::now() + Duration::from_secs(60);
    let whole = loop {
        let named = assets_named(&ctx, "A001_C005.mov").await;
        if let Some(a) = named
            .iter()
            .find(|a| a["complete"] == true && a["asset_filesize"] == all.len())
        {
            break Some(a.clone());
        }
        if Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let named = assets_named(&ctx, "A001_C005.mov").await;
    let log = stop(child);
    assert!(
        whole.is_some(),
        "the whole file never arrived: {named:#?}\n{log}"
    );
    for a in named.iter().filter(|a| a["complete"] == true) {
        let size = a["asset_filesize"].as_u64().unwrap() as usize;
        let full = ctx
            .get(&format!("/_emulator/assets/{}", a["id"].as_str().unwrap()))
            .await;
        assert_eq!(
            full["sha256"],
            sha256_hex(&all[..size]),
            "a complete asset of {size} bytes holds other bytes: {log}"
        );
    }
}
