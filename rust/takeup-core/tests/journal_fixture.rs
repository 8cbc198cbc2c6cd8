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

/// Where the app's recordings are (an Android phone's camera folder).
const DCIM: &str = "/storage/emulated/0/DCIM/Takeup";

/// The file `name` in [`DCIM`], as the app queues it.
fn asset(name: &str, kind: AssetKind, size: Option<u64>, held: bool) -> NewAsset {
    NewAsset {
        path: Path::new(DCIM).join(name),
        name: name.into(),
        kind,
        filetype: if name.ends_with(".wav") {
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

/// Queue the file `name` in [`DCIM`]; its id.
fn add(j: &mut Journal, name: &str, kind: AssetKind, size: Option<u64>) -> i64 {
    j.enqueue(&asset(name, kind, size, false)).unwrap().id()
}

/// Queue the file `name` in [`DCIM`] to wait for the user's selection (manual mode); its id.
fn add_held(j: &mut Journal, name: &str, kind: AssetKind, size: Option<u64>) -> i64 {
    j.enqueue(&asset(name, kind, size, true)).unwrap().id()
}

/// Start `id` and record it created on the server as `server_id`, its parts of `sizes` planned.
fn created(j: &mut Journal, id: i64, server_id: &str, standard: bool, sizes: &[u64]) {
    j.start(id).unwrap();
    j.record_created(id, server_id, standard, &plan(id, sizes, false))
        .unwrap();
}

#[test]
#[ignore = "writes the journal fixture; run by hand (see tests/fixtures/README.md)"]
fn write_journal_fixture() {
    let out = std::env::var_os("TAKEUP_JOURNAL_FIXTURE")
        .map(PathBuf::from)
        .expect("set TAKEUP_JOURNAL_FIXTURE to the file to write");
    assert!(!out.exists(), "{} exists: remove it first", out.display());
    let mut j = Journal::open(&out).unwrap();

    // 1 done: a proxy uploaded in two parts.
    let done = add(
        &mut j,
        "A001_C001_proxy.mov",
        AssetKind::Proxy,
        Some(6 * MIB),
    );
    created(&mut j, done, "srv-done", false, &[5 * MIB, MIB]);
    for n in 1..=2 {
        j.mark_sent(done, n).unwrap();
        j.ack_part(done, n, &format!("{n:064x}")).unwrap();
    }
    j.complete(done).unwrap();

    // 2 active when the app was killed: part 1 acknowledged, part 2 in flight, part 3 pending.
    let active = add(&mut j, "A001_C002.mov", AssetKind::Hero, Some(12 * MIB));
    created(
        &mut j,
        active,
        "srv-active",
        false,
        &[5 * MIB, 5 * MIB, 2 * MIB],
    );
    j.mark_sent(active, 1).unwrap();
    j.ack_part(active, 1, &"a1".repeat(32)).unwrap();
    j.mark_sent(active, 2).unwrap();

    // 3 queued, waiting for a retry after a failed attempt (a small standard asset, created).
    let retrying = add(&mut j, "A001_C003_proxy.mov", AssetKind::Proxy, Some(MIB));
    created(&mut j, retrying, "srv-retry", true, &[MIB]);
    j.attempt_failed(
        retrying,
        "the server answered 503 Slow Down",
        1_767_225_660_000,
        10,
        true,
    )
    .unwrap();

    // 4 queued, never started; 5 queued and moved to the top.
    let queued = add(&mut j, "A001_C004.mov", AssetKind::Hero, Some(40 * MIB));
    let top = add(
        &mut j,
        "Scène 12 « prise 3 ».wav",
        AssetKind::Audio,
        Some(3 * MIB),
    );
    j.move_to_top(top).unwrap();

    // 6 failed with its reason (parked), one part acknowledged before it was.
    let failed = add(&mut j, "A001_C005.mov", AssetKind::Hero, Some(10 * MIB));
    created(&mut j, failed, "srv-failed", false, &[5 * MIB, 5 * MIB]);
    j.ack_part(failed, 1, &"f1".repeat(32)).unwrap();
    j.park(
        failed,
        AssetState::Failed,
        "the file changed since it was queued",
    )
    .unwrap();

    // 7 skipped (recorded while the device was paused).
    let skipped = add(&mut j, "A001_C006.mov", AssetKind::Hero, Some(2 * MIB));
    j.start(skipped).unwrap();
    j.park(
        skipped,
        AssetState::Skipped,
        "the device was paused when this was recorded",
    )
    .unwrap();

    // 8 cancelled, and 9 the same file queued again afterwards (two rows, one path).
    let path = "A001_C007.mov";
    let cancelled = add(&mut j, path, AssetKind::Hero, Some(7 * MIB));
    j.cancel(cancelled).unwrap();
    let requeued = add(&mut j, path, AssetKind::Hero, Some(7 * MIB));

    // 10 a growing file (real-time), one part acknowledged, still being written.
    let growing = add(&mut j, "A001_C008_live.mov", AssetKind::Proxy, None);
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
    let held = add_held(&mut j, "A002_C001.mov", AssetKind::Hero, Some(30 * MIB));
    let held2 = add_held(&mut j, "A002_C002_proxy.mov", AssetKind::Other, Some(0));
    j.set_setting("last_watch_dir", DCIM).unwrap();

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
