//! Writes the journal fixture `tests/fixtures/journal-v1.sqlite` through the journal's public API:
//! a realistic mix of every asset state, acknowledged and in-flight parts, a growing file and a
//! persisted setting, left as an app kill leaves it (no reconcile, no shutdown).
//!
//! It is an ignored test because it writes whatever schema the current code has: the committed
//! v1 fixture was written by this file run on the v1 code (see `tests/fixtures/README.md` for the
//! commit and the command). `journal_migration.rs` checks, row by row, that a migration keeps
//! what this file wrote: change one and the other together.
//!
//!     TAKEUP_JOURNAL_FIXTURE=/tmp/journal.sqlite \
//!         cargo test -p takeup-core --test journal_fixture -- --ignored --nocapture

use std::path::{Path, PathBuf};

use takeup_core::queue::journal::{AssetKind, AssetState, Journal, NewAsset, PlannedPart};

const MIB: u64 = 1024 * 1024;

fn asset(path: &str, kind: AssetKind, size: Option<u64>, held: bool) -> NewAsset {
    NewAsset {
        path: PathBuf::from(path),
        name: Path::new(path)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned(),
        kind,
        filetype: if path.ends_with(".wav") {
            "audio/wav".into()
        } else {
            "video/quicktime".into()
        },
        channel: 0,
        size,
        mtime_ns: 1_767_225_600_000_000_000,
        media_created_ms: 1_767_225_600_000,
        fingerprint: size.map(|s| format!("{:064x}", s * 7919)),
        realtime: size.is_none(),
        held,
        file_id: None,
    }
}

/// Parts of `sizes` bytes, numbered from 1, the last one final unless `open_ended`.
fn plan(id: i64, sizes: &[u64], open_ended: bool) -> Vec<PlannedPart> {
    let url = |n| {
        Some(format!(
            "https://bucket.s3.amazonaws.com/a{id}/p{n}?X-Amz-Expires=86400"
        ))
    };
    let mut parts = PlannedPart::consecutive(sizes, open_ended, url);
    for p in &mut parts {
        p.url_expires_ms = Some(1_767_312_000_000);
    }
    parts
}

#[test]
#[ignore = "writes the journal fixture; run by hand (see tests/fixtures/README.md)"]
fn write_journal_fixture() {
    let out = std::env::var_os("TAKEUP_JOURNAL_FIXTURE")
        .map(PathBuf::from)
        .expect("set TAKEUP_JOURNAL_FIXTURE to the file to write");
    assert!(!out.exists(), "{} exists: remove it first", out.display());
    let mut j = Journal::open(&out).unwrap();
    let dcim = "/storage/emulated/0/DCIM/Takeup";

    // 1 done: a proxy uploaded in two parts.
    let done = j
        .enqueue(&asset(
            &format!("{dcim}/A001_C001_proxy.mov"),
            AssetKind::Proxy,
            Some(6 * MIB),
            false,
        ))
        .unwrap()
        .id();
    j.start(done).unwrap();
    j.record_created(done, "srv-done", false, &plan(done, &[5 * MIB, MIB], false))
        .unwrap();
    for n in 1..=2 {
        j.mark_sent(done, n).unwrap();
        j.ack_part(done, n, &format!("{n:064x}")).unwrap();
    }
    j.complete(done).unwrap();

    // 2 active when the app was killed: part 1 acknowledged, part 2 in flight, part 3 pending.
    let active = j
        .enqueue(&asset(
            &format!("{dcim}/A001_C002.mov"),
            AssetKind::Hero,
            Some(12 * MIB),
            false,
        ))
        .unwrap()
        .id();
    j.start(active).unwrap();
    j.record_created(
        active,
        "srv-active",
        false,
        &plan(active, &[5 * MIB, 5 * MIB, 2 * MIB], false),
    )
    .unwrap();
    j.mark_sent(active, 1).unwrap();
    j.ack_part(active, 1, &"a1".repeat(32)).unwrap();
    j.mark_sent(active, 2).unwrap();

    // 3 queued, waiting for a retry after a failed attempt (a small standard asset, created).
    let retrying = j
        .enqueue(&asset(
            &format!("{dcim}/A001_C003_proxy.mov"),
            AssetKind::Proxy,
            Some(MIB),
            false,
        ))
        .unwrap()
        .id();
    j.start(retrying).unwrap();
    j.record_created(retrying, "srv-retry", true, &plan(retrying, &[MIB], false))
        .unwrap();
    j.attempt_failed(
        retrying,
        "the server answered 503 Slow Down",
        1_767_225_660_000,
        10,
        true,
    )
    .unwrap();

    // 4 queued, never started; 5 queued and moved to the top.
    let queued = j
        .enqueue(&asset(
            &format!("{dcim}/A001_C004.mov"),
            AssetKind::Hero,
            Some(40 * MIB),
            false,
        ))
        .unwrap()
        .id();
    let top = j
        .enqueue(&asset(
            &format!("{dcim}/Scène 12 « prise 3 ».wav"),
            AssetKind::Audio,
            Some(3 * MIB),
            false,
        ))
        .unwrap()
        .id();
    j.move_to_top(top).unwrap();

    // 6 failed with its reason (parked), one part acknowledged before it was.
    let failed = j
        .enqueue(&asset(
            &format!("{dcim}/A001_C005.mov"),
            AssetKind::Hero,
            Some(10 * MIB),
            false,
        ))
        .unwrap()
        .id();
    j.start(failed).unwrap();
    j.record_created(
        failed,
        "srv-failed",
        false,
        &plan(failed, &[5 * MIB, 5 * MIB], false),
    )
    .unwrap();
    j.ack_part(failed, 1, &"f1".repeat(32)).unwrap();
    j.park(
        failed,
        AssetState::Failed,
        "the file changed since it was queued",
    )
    .unwrap();

    // 7 skipped (recorded while the device was paused).
    let skipped = j
        .enqueue(&asset(
            &format!("{dcim}/A001_C006.mov"),
            AssetKind::Hero,
            Some(2 * MIB),
            false,
        ))
        .unwrap()
        .id();
    j.start(skipped).unwrap();
    j.park(
        skipped,
        AssetState::Skipped,
        "the device was paused when this was recorded",
    )
    .unwrap();

    // 8 cancelled, and 9 the same file queued again afterwards (two rows, one path).
    let path = format!("{dcim}/A001_C007.mov");
    let cancelled = j
        .enqueue(&asset(&path, AssetKind::Hero, Some(7 * MIB), false))
        .unwrap()
        .id();
    j.cancel(cancelled).unwrap();
    let requeued = j
        .enqueue(&asset(&path, AssetKind::Hero, Some(7 * MIB), false))
        .unwrap()
        .id();

    // 10 a growing file (real-time), one part acknowledged, still being written.
    let growing = j
        .enqueue(&asset(
            &format!("{dcim}/A001_C008_live.mov"),
            AssetKind::Proxy,
            None,
            false,
        ))
        .unwrap()
        .id();
    j.start(growing).unwrap();
    j.record_created(growing, "srv-growing", false, &[])
        .unwrap();
    j.add_parts(growing, &plan(growing, &[5 * MIB], true))
        .unwrap();
    j.mark_sent(growing, 1).unwrap();
    j.ack_part(growing, 1, &"0g".repeat(32)).unwrap();
    j.attempt_failed(growing, "interrupted", 0, u32::MAX, false)
        .unwrap();

    // Manual mode from here on: 11 and 12 wait for the user's selection.
    j.set_setting("mode", "manual").unwrap();
    let held = j
        .enqueue(&asset(
            &format!("{dcim}/A002_C001.mov"),
            AssetKind::Hero,
            Some(30 * MIB),
            true,
        ))
        .unwrap()
        .id();
    let held2 = j
        .enqueue(&asset(
            &format!("{dcim}/A002_C002_proxy.mov"),
            AssetKind::Other,
            Some(0),
            true,
        ))
        .unwrap()
        .id();
    j.set_setting("last_watch_dir", dcim).unwrap();

    j.check_invariants().unwrap();
    assert_eq!(
        [
            done, active, retrying, queued, top, failed, skipped, cancelled, requeued, growing,
            held, held2
        ],
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    );
    let t = j.totals().unwrap();
    println!("written {}: {t:?}", out.display());
    drop(j); // as a kill leaves it: no reconcile; closing checkpoints the WAL into the file
    let c = rusqlite::Connection::open(&out).unwrap();
    c.execute_batch("VACUUM").unwrap();
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    println!("user_version {v}");
}
