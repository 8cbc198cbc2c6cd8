//! Awkward files: each gets a defined outcome (uploaded correctly, or refused / parked with a clear
//! reason) and none stalls the queue.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use takeup_core::queue::uploader::MIN_PART;
use takeup_core::{Engine, EnqueueOptions, QueueConfig, QueueError, QueueStatus};

/// [`three_attempts`], one part of a file at a time (the file changes between parts).
fn one_part_per_file(q: &mut QueueConfig) {
    three_attempts(q);
    q.max_parts_per_file = 1;
}

fn write(dir: &Path, name: &str, len: usize, seed: u8) -> String {
    let data: Vec<u8> = (0..len)
        .map(|i| ((i * 31 + seed as usize) % 253) as u8)
        .collect();
    std::fs::write(dir.join(name), &data).unwrap();
    hex::encode(Sha256::digest(&data))
}

async fn wait(e: &Engine, what: &str, pred: impl Fn(&QueueStatus) -> bool) -> QueueStatus {
    wait_queue(e, 60, what, pred).await
}

async fn emulator_sha(env: &Env, name: &str) -> Option<String> {
    let assets = env.get("/_emulator/assets").await;
    let a = assets
        .as_array()?
        .iter()
        .find(|a| a["name"] == name && a["complete"] == true)?;
    let one: Value = env
        .get(&format!("/_emulator/assets/{}", a["id"].as_str()?))
        .await;
    one["sha256"].as_str().map(str::to_string)
}

#[tokio::test]
async fn sizes_at_the_edges_and_awkward_names_upload_intact() {
    let (env, e, dir) = paired_rig(three_attempts).await;
    let long_name = format!("{}.mov", "L".repeat(251));
    assert_eq!(long_name.len(), 255);
    let cases: Vec<(String, usize)> = vec![
        ("one-byte.bin".into(), 1),
        // No extension, unknown type (application/octet-stream): fine for a standard asset.
        ("NOEXT".into(), 3000),
        ("notes.unknownext".into(), 3000),
        // No extension and more than one part: a real-time asset, whose name needs one (the
        // type's extension is sent, the real name follows with the final part).
        ("CLIP0001".into(), MIN_PART as usize + 77),
        ("exactly-one-part.mov".into(), MIN_PART as usize),
        ("one-over-a-part.mov".into(), MIN_PART as usize + 1),
        ("Szene 12 – Take \"3\" 'alt' ñ 日本.wav".into(), 4096),
        (long_name.clone(), 2048),
    ];
    let mut expected = Vec::new();
    for (i, (name, len)) in cases.iter().enumerate() {
        let sha = write(dir.path(), name, *len, i as u8);
        enqueue(&e, &dir.path().join(name)).await;
        expected.push((name.clone(), sha));
    }
    wait(&e, "all uploaded", |s| s.totals.done == cases.len() as u64).await;
    for (name, sha) in &expected {
        assert_eq!(
            emulator_sha(&env, name).await.as_deref(),
            Some(sha.as_str()),
            "{name}"
        );
    }
    let parts = |name: &str| {
        let name = name.to_string();
        let env = &env;
        async move {
            let assets = env.get("/_emulator/assets").await;
            assets
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["name"] == name.as_str())
                .unwrap()["parts"]
                .as_object()
                .unwrap()
                .len()
        }
    };
    assert_eq!(parts("exactly-one-part.mov").await, 1);
    assert_eq!(parts("one-over-a-part.mov").await, 2);
    assert_eq!(parts("CLIP0001").await, 2);

    // An empty file: Frame.io takes 1 byte to 5 TiB, so it is parked with the reason and no
    // asset is left on the server.
    write(dir.path(), "empty.txt", 0, 9);
    e.queue()
        .enqueue(&dir.path().join("empty.txt"), EnqueueOptions::default())
        .await
        .unwrap();
    let s = wait(&e, "the empty file parked", |s| s.totals.failed == 1).await;
    let reason = s.failed[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("empty"), "{reason}");
    let assets = env.get("/_emulator/assets").await;
    assert!(
        !assets
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "empty.txt"),
        "no asset for the empty file"
    );
}

#[tokio::test]
async fn directories_symlink_loops_and_missing_files_are_refused_with_a_reason() {
    let (_env, e, dir) = paired_rig(three_attempts).await;
    std::fs::create_dir(dir.path().join("folder.mov")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("loop-b"), dir.path().join("loop-a")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("loop-a"), dir.path().join("loop-b")).unwrap();
    for (name, needle) in [
        ("folder.mov", "not a regular file"),
        ("loop-a", "not a regular file"),
        ("missing.mov", "gone"),
    ] {
        let err = e
            .queue()
            .enqueue(&dir.path().join(name), EnqueueOptions::default())
            .await
            .unwrap_err();
        assert!(matches!(err, QueueError::File { .. }), "{name}: {err:?}");
        assert!(err.to_string().contains(needle), "{name}: {err}");
    }
    assert_eq!(e.queue().status().totals.files_remaining, 0);
}

#[tokio::test]
async fn files_deleted_truncated_or_rewritten_after_queueing_are_parked() {
    let (env, e, dir) = paired_rig(one_part_at_a_time).await;
    // Hold the queue while the files change under it.
    e.queue().pause();
    for (i, name) in ["deleted.mov", "truncated.mov", "rewritten.mov"]
        .iter()
        .enumerate()
    {
        write(dir.path(), name, 10_000, i as u8);
        enqueue(&e, &dir.path().join(name)).await;
    }
    let good_sha = write(dir.path(), "fine.mov", 10_000, 9);
    enqueue(&e, &dir.path().join("fine.mov")).await;
    std::fs::remove_file(dir.path().join("deleted.mov")).unwrap();
    std::fs::write(dir.path().join("truncated.mov"), vec![1u8; 500]).unwrap();
    // Same size, other bytes, and an mtime that differs.
    write(dir.path(), "rewritten.mov", 10_000, 77);
    e.queue().resume();
    let s = wait(&e, "three parked, one done", |s| {
        s.totals.failed == 3 && s.totals.done == 1
    })
    .await;
    let reason = |n: &str| {
        s.failed
            .iter()
            .find(|f| f.name == n)
            .unwrap()
            .reason
            .clone()
            .unwrap()
    };
    assert!(reason("deleted.mov").contains("gone"));
    assert!(reason("truncated.mov").contains("changed"));
    assert!(reason("rewritten.mov").contains("changed"));
    assert_eq!(
        emulator_sha(&env, "fine.mov").await.as_deref(),
        Some(good_sha.as_str())
    );
}

#[tokio::test]
async fn a_file_truncated_mid_upload_is_parked_and_never_sends_a_short_part() {
    let (env, e, dir) = paired_rig(one_part_per_file).await;
    // Slow the parts so the file can change between them.
    env.slow_parts(400).await;
    let path = dir.path().join("shrinking.mov");
    write(dir.path(), "shrinking.mov", 3 * MIN_PART as usize, 1);
    let id = enqueue(&e, &path).await.id();
    // Mid-upload: a part is acknowledged, others are still to go.
    wait(&e, "a part acknowledged", |s| {
        s.uploading
            .iter()
            .any(|f| f.id == id && f.uploaded_bytes > 0)
    })
    .await;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(MIN_PART + 10)
        .unwrap();
    let s = wait(&e, "parked", |s| s.totals.failed == 1).await;
    assert_failed_with(&s, "changed");
    // No part on the emulator has a size other than its declared one (short parts are refused
    // there, and the engine never completes the asset).
    let assets = env.get("/_emulator/assets").await;
    let a = &assets.as_array().unwrap()[0];
    assert_eq!(a["complete"], false);
}

#[tokio::test]
async fn a_file_over_4_gib_is_planned_with_64_bit_offsets() {
    let (env, e, dir) = paired_rig(one_part_per_file).await;
    // Park every part PUT so nothing big is sent: only the plan is checked.
    env.fault(
        json!({"target": "s3", "probability": 1.0, "action": {"kind": "stall", "ms": 60000}}),
    )
    .await;
    let path = dir.path().join("huge_sparse.mov");
    let size: u64 = 5 * 1024 * 1024 * 1024 + 3;
    std::fs::File::create(&path).unwrap().set_len(size).unwrap();
    let id = enqueue(&e, &path).await.id();
    wait(&e, "uploading", |s| s.uploading.iter().any(|f| f.id == id)).await;
    let mut parts = Vec::new();
    for _ in 0..100 {
        parts = e.queue().parts(id).await.unwrap();
        if !parts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(parts.iter().map(|p| p.size).sum::<u64>(), size);
    assert_eq!(parts.len() as u64, size.div_ceil(MIN_PART));
    let last = parts.last().unwrap();
    assert!(last.is_final && last.offset > u32::MAX as u64);
    assert!(e.queue().cancel(id).await.unwrap());
}

/// Drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this thread's effective set, so file
/// permissions apply even to root; threads created afterwards inherit it.
fn drop_dac_capabilities() -> bool {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const V3: u32 = 0x2008_0522;
    let mut h = Header {
        version: V3,
        pid: 0,
    };
    let mut d = [Data::default(); 2];
    unsafe {
        if libc::syscall(libc::SYS_capget, &mut h as *mut Header, d.as_mut_ptr()) != 0 {
            return false;
        }
        d[0].effective &= !((1 << 1) | (1 << 2));
        libc::syscall(libc::SYS_capset, &mut h as *mut Header, d.as_ptr()) == 0
    }
}

#[test]
fn an_unreadable_file_is_refused_with_a_reason() {
    // Runs its own runtime so every thread it starts inherits the reduced capabilities.
    assert!(drop_dac_capabilities(), "capset");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (env, e, dir) = paired_rig(three_attempts).await;
        let path = dir.path().join("locked.mov");
        write(dir.path(), "locked.mov", 1000, 1);
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
        if std::fs::File::open(&path).is_ok() {
            panic!("permissions do not apply here even without CAP_DAC_OVERRIDE");
        }
        let err = e
            .queue()
            .enqueue(&path, EnqueueOptions::default())
            .await
            .unwrap_err();
        assert!(err.to_string().contains("permission denied"), "{err}");
        // Queued while readable, locked before upload: parked with the reason.
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .unwrap();
        e.queue().pause();
        enqueue(&e, &path).await;
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
        e.queue().resume();
        let s = wait(&e, "parked", |s| s.totals.failed == 1).await;
        assert!(
            s.failed[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("permission denied")
        );
        // The same for a file still being written. Neither left an (empty) asset behind: the
        // file is read before anything is created on the server.
        let live = dir.path().join("live.mov");
        write(dir.path(), "live.mov", 1000, 2);
        e.queue().pause();
        enqueue_growing(&e, &live).await;
        std::fs::set_permissions(&live, std::os::unix::fs::PermissionsExt::from_mode(0o000))
            .unwrap();
        e.queue().resume();
        wait(&e, "both parked", |s| s.totals.failed == 2).await;
        let assets = env.get("/_emulator/assets").await;
        assert_eq!(assets.as_array().unwrap().len(), 0, "{assets:#}");
    });
}
