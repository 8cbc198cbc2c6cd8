//! A full disk while the journal writes: a clear error, nothing reset, work resumes once space is
//! back. At the journal level, during a migration, and for a whole engine run (uploads running,
//! files being enqueued). Uses small tmpfs mounts (needs root to mount; elsewhere each test says
//! it was skipped).

#![cfg(target_os = "linux")]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use takeup_core::queue::journal::{
    AssetKind, AssetState, Journal, JournalError, NewAsset, PartState, SCHEMA_VERSION,
};
use takeup_core::queue::uploader::MIN_PART;
use takeup_core::{EnqueueOptions, Enqueued, QueueError};

/// A mounted tmpfs, unmounted on drop (then the folder it was made in, if it owns one, removed).
struct Tmpfs {
    mount: PathBuf,
    _home: Option<tempfile::TempDir>,
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Lazy: a file the runtime still holds open must not leave the mount behind.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.mount)
            .status();
    }
}

/// Mount a tmpfs of `size` (e.g. "2m") on `dir`; `None` (after printing SKIPPED) where that is
/// refused.
fn tmpfs(dir: &Path, size: &str) -> Option<Tmpfs> {
    std::fs::create_dir_all(dir).unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        println!("SKIPPED: cannot mount a small tmpfs here (not root?)");
        return None;
    }
    Some(Tmpfs {
        mount: dir.to_path_buf(),
        _home: None,
    })
}

/// A disk of its own for a journal: a tmpfs of `size` on `state` in a fresh temporary folder.
fn small_disk(size: &str) -> Option<Tmpfs> {
    let home = tempfile::tempdir().unwrap();
    let mut disk = tmpfs(&home.path().join("state"), size)?;
    disk._home = Some(home);
    Some(disk)
}

/// Fill the file system of `dir` with `dir/filler` until a write fails; then give back `keep`
/// bytes.
fn fill(dir: &Path, keep: u64) -> PathBuf {
    let filler = dir.join("filler");
    let mut f = std::fs::File::create(&filler).unwrap();
    let block = vec![0u8; 16 * 1024];
    while f.write_all(&block).is_ok() {}
    let mut small = vec![0u8; 512];
    while f.write_all(&small).is_ok() {}
    small.truncate(1);
    while f.write_all(&small).is_ok() {}
    let _ = f.flush();
    let len = f.metadata().unwrap().len();
    f.set_len(len.saturating_sub(keep)).unwrap();
    filler
}

fn asset(i: usize) -> NewAsset {
    NewAsset {
        path: PathBuf::from(format!("/media/card/A{i:03}_C001_{}.mov", "x".repeat(200))),
        name: format!("A{i:03}_C001.mov"),
        kind: AssetKind::Hero,
        filetype: "video/quicktime".into(),
        channel: 0,
        size: Some(1_000_000 + i as u64),
        mtime_ns: 1,
        media_created_ms: 1,
        fingerprint: Some(format!("{i:064}")),
        realtime: false,
        held: false,
        file_id: None,
    }
}

#[test]
fn a_full_disk_is_a_clear_error_and_loses_nothing() {
    let Some(disk) = small_disk("2m") else {
        return;
    };
    let mnt = &disk.mount;
    let path = mnt.join("journal.sqlite");
    let mut j = Journal::open(&path).unwrap();
    for i in 0..20 {
        j.enqueue(&asset(i)).unwrap();
    }
    // Fill the rest of the disk.
    let filler = mnt.join("filler");
    {
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 64 * 1024];
        while f.write_all(&block).is_ok() {}
        let _ = f.sync_all();
    }
    let mut full_error = None;
    for i in 20..5000 {
        match j.enqueue(&asset(i)) {
            Ok(_) => continue,
            Err(e) => {
                full_error = Some(e);
                break;
            }
        }
    }
    let err = full_error.expect("the disk fills up");
    assert!(matches!(err, JournalError::DiskFull), "{err:?}");
    assert!(err.to_string().contains("out of storage space"), "{err}");
    let queued_before = j.assets_in(&[AssetState::Queued]).unwrap().len();
    assert!(queued_before >= 20);
    drop(j);
    // Space back: the journal opens with everything it had, and takes new work.
    std::fs::remove_file(&filler).unwrap();
    let mut j = Journal::open(&path).unwrap();
    j.check_invariants().unwrap();
    assert_eq!(
        j.assets_in(&[AssetState::Queued]).unwrap().len(),
        queued_before
    );
    j.enqueue(&asset(9999)).unwrap();
}

/// Every v1 fact of a journal file (assets, parts, settings), as text.
fn v1_facts(path: &Path) -> Vec<String> {
    let c = rusqlite::Connection::open(path).unwrap();
    let mut out = Vec::new();
    for sql in [
        "SELECT id, path, state, server_id, attempts, last_error, priority, seq, size FROM assets ORDER BY id",
        "SELECT asset_id, number, offset, size, state, sha256 FROM parts ORDER BY asset_id, number",
        "SELECT key, value FROM settings ORDER BY key",
    ] {
        let mut stmt = c.prepare(sql).unwrap();
        let n = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| {
                        r.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .unwrap();
        out.extend(rows.map(|r| r.unwrap().join("|")));
    }
    out
}

fn user_version(path: &Path) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_migration_on_a_full_disk_leaves_v1_and_finishes_once_space_is_back() {
    let Some(disk) = small_disk("1m") else {
        return;
    };
    let mnt = &disk.mount;
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v1.sqlite");
    let path = mnt.join("journal.sqlite");
    let facts = v1_facts(&fixture);
    // Leave less and less room, so the migration runs out of space at different points of its
    // transaction, until it has enough to finish.
    let mut failed = Vec::new();
    let mut migrated = false;
    for keep_kib in (0..=512).step_by(4) {
        std::fs::copy(&fixture, &path).unwrap();
        let filler = fill(mnt, keep_kib * 1024);
        let result = Journal::open(&path).map(drop);
        std::fs::remove_file(&filler).unwrap();
        match result {
            Err(e) => {
                assert!(
                    matches!(e, JournalError::DiskFull),
                    "with {keep_kib} KiB free: {e:?}"
                );
                failed.push(keep_kib);
                // Rolled back: still v1, every row as it was, and it migrates now.
                assert_eq!(user_version(&path), 1, "with {keep_kib} KiB free");
                assert_eq!(v1_facts(&path), facts, "with {keep_kib} KiB free");
                let j = Journal::open(&path).unwrap();
                j.check_invariants().unwrap();
                drop(j);
                assert_eq!(user_version(&path), SCHEMA_VERSION);
                assert_eq!(v1_facts(&path), facts);
            }
            Ok(()) => {
                assert_eq!(user_version(&path), SCHEMA_VERSION);
                assert_eq!(v1_facts(&path), facts);
                migrated = true;
                println!("out of space with {failed:?} KiB free; migrated with {keep_kib} KiB");
                break;
            }
        }
        for f in ["journal.sqlite", "journal.sqlite-wal", "journal.sqlite-shm"] {
            let _ = std::fs::remove_file(mnt.join(f));
        }
    }
    assert!(
        !failed.is_empty(),
        "the disk never ran out during a migration"
    );
    assert!(migrated, "the migration never had room enough");
}

/// The files enqueued in the engine test: name → (path, sha256).
type Media = BTreeMap<String, (PathBuf, String)>;

/// One complete asset per file on the emulator, with the file's bytes (its parts may have been
/// sent any number of times).
async fn assert_each_arrived_once(env: &Env, media: &Media) {
    for (name, (_, sha)) in media {
        assert_uploaded_once(env, name, sha, u64::MAX).await;
    }
}

#[tokio::test]
async fn a_full_disk_during_a_run_is_a_clear_error_and_the_queue_continues() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter("takeup_core=warn")
        .with_test_writer()
        .try_init();
    let env = env().await;
    let state = env.dir.path().join("state");
    let Some(_guard) = tmpfs(&state, "16m") else {
        return;
    };
    let media_dir = tempfile::tempdir().unwrap();
    let mut media = Media::new();
    let mut add = |name: &str, len: usize, seed: u8| {
        let (p, sha) = media_file(media_dir.path(), name, len, seed);
        media.insert(name.to_string(), (p.clone(), sha));
        p
    };
    let big = MIN_PART as usize;
    let first = [
        add("A001_C001.mov", 4 * big + 1000, 1),
        add("A001_C002.mov", 3 * big + 7, 2),
        add("A001_C003_proxy.mov", 100_000, 3),
    ];
    let q = takeup_core::QueueConfig {
        max_parts_per_file: 1,
        ..queue_config(&env)
    };
    let e = paired_with_queue(&env, q).await;
    // A slow link: every part takes a moment, so the disk fills while parts are in flight.
    env.slow_parts(250).await;
    let mut ids = Vec::new();
    for p in &first {
        ids.push(enqueue(&e, p).await.id());
    }
    wait_queue(&e, 30, "a part acknowledged", |s| {
        s.uploading.iter().any(|f| f.uploaded_bytes > 0)
    })
    .await;

    // The disk fills up.
    let filler = fill(&state, 0);
    let acked_before = acked_parts(&e, &ids).await;
    // Enqueueing: a clear, typed error once the journal cannot grow (a few enqueues may still
    // fit in pages SQLite already has).
    let mut full = None;
    for i in 0..200u32 {
        let p = add(&format!("B{i:03}.wav"), 2000 + i as usize, 9);
        match e.queue().enqueue(&p, EnqueueOptions::default()).await {
            Ok(Enqueued::Added(id)) => ids.push(id),
            Ok(other) => panic!("{other:?}"),
            Err(err) => {
                media.remove(&format!("B{i:03}.wav"));
                full = Some(err);
                break;
            }
        }
    }
    let err = full.expect("enqueue fails on a full disk");
    assert!(
        matches!(err, QueueError::Journal(JournalError::DiskFull)),
        "{err:?}"
    );
    assert!(err.to_string().contains("out of storage space"), "{err}");
    // Uploads keep meeting the full disk for a while: nothing acknowledged is lost, nothing is
    // reset, and the engine keeps answering.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = acked_parts(&e, &ids).await;
    assert_kept(&acked_before, &during);
    let s = e.queue().status();
    assert_eq!(
        s.totals.done + s.totals.files_remaining,
        ids.len() as u64,
        "every file still known: {s:#?}"
    );
    assert_eq!(s.totals.failed, 0, "a full disk parks nothing: {s:#?}");

    // Space is back: the queue continues by itself and every file arrives once.
    std::fs::remove_file(&filler).unwrap();
    let n = ids.len() as u64;
    wait_queue(&e, 90, "every file uploaded", |s| {
        s.totals.done == n && s.totals.files_remaining == 0
    })
    .await;
    assert_kept(&during, &acked_parts(&e, &ids).await);
    assert_each_arrived_once(&env, &media).await;

    // The journal on disk agrees, and holds every file under its first id.
    e.shutdown();
    drop(e);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let j = Journal::open(&state.join("journal.sqlite")).unwrap();
    j.check_invariants().unwrap();
    let done: Vec<i64> = j
        .assets_in(&[AssetState::Done])
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    let mut expected = ids.clone();
    expected.sort();
    let mut done_sorted = done;
    done_sorted.sort();
    assert_eq!(done_sorted, expected);
}

/// Every acknowledged (asset, part) of these assets, with its hash.
type Acked = BTreeMap<(i64, u32), Option<String>>;

/// Every part acknowledged `before` is acknowledged `after`, with the same hash.
fn assert_kept(before: &Acked, after: &Acked) {
    for (part, sha) in before {
        assert_eq!(
            after.get(part),
            Some(sha),
            "acknowledged part {part:?} lost"
        );
    }
}

/// Every acknowledged (asset, part) of these assets.
async fn acked_parts(e: &takeup_core::Engine, ids: &[i64]) -> Acked {
    let mut out = BTreeMap::new();
    for id in ids {
        for p in e.queue().parts(*id).await.unwrap() {
            if p.state == PartState::Acked {
                out.insert((*id, p.number), p.sha256);
            }
        }
    }
    out
}
