//! Journal schema migrations: the committed v1 journal (`tests/fixtures/journal-v1.sqlite`, written
//! by `journal_fixture.rs` on the v1 code) opens under the current code with every asset, part and
//! setting kept and uploads continue; a journal from a newer schema is refused and left byte for
//! byte; a migration that fails half-way leaves the old schema, migrated on the next open; opening
//! a migrated journal again changes nothing.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use rusqlite::Connection;
use rusqlite::types::Value;
use takeup_core::queue::journal::{
    AssetState, Enqueued, Journal, JournalError, NewAsset, PartState, PlannedPart, Reconciled,
    SCHEMA_VERSION, Totals,
};
use takeup_core::{AssetKind, QueueMode};

const MIB: u64 = 1024 * 1024;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/journal-v1.sqlite")
}

/// A private copy of the v1 fixture (the committed file is never opened for writing).
fn v1_copy(dir: &Path) -> PathBuf {
    let path = dir.join("journal.sqlite");
    std::fs::copy(fixture(), &path).unwrap();
    path
}

/// The columns of v1's `assets`, in order.
const V1_ASSET_COLUMNS: &str = "id, path, name, kind, filetype, channel, size, mtime_ns,
    media_created_ms, fingerprint, realtime, closed, state, priority, seq, server_id, standard,
    attempts, last_error, retry_at_ms, enqueued_ms, finished_ms";
const V1_PART_COLUMNS: &str = "asset_id, number, offset, size, is_final, url, url_expires_ms, state, sha256, attempts, acked_ms";

type Rows = Vec<Vec<Value>>;

fn rows(c: &Connection, sql: &str) -> Rows {
    let mut stmt = c.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Every v1 fact of a journal file: assets and parts (their v1 columns), and settings.
fn v1_facts(path: &Path) -> (Rows, Rows, Rows) {
    let c = Connection::open(path).unwrap();
    (
        rows(
            &c,
            &format!("SELECT {V1_ASSET_COLUMNS} FROM assets ORDER BY id"),
        ),
        rows(
            &c,
            &format!("SELECT {V1_PART_COLUMNS} FROM parts ORDER BY asset_id, number"),
        ),
        rows(&c, "SELECT * FROM settings ORDER BY key"),
    )
}

fn pragma(path: &Path, name: &str) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
        .unwrap()
}

/// The schema (every table, index and trigger) as SQLite stores it.
fn schema(path: &Path) -> Rows {
    rows(
        &Connection::open(path).unwrap(),
        "SELECT type, name, sql FROM sqlite_master ORDER BY type, name",
    )
}

fn has_column(path: &Path, table: &str, column: &str) -> bool {
    rows(
        &Connection::open(path).unwrap(),
        &format!("SELECT name FROM pragma_table_info('{table}')"),
    )
    .iter()
    .any(|r| r[0] == Value::Text(column.into()))
}

/// The totals' per-state counts: queued, active, held, done, failed, skipped, cancelled.
fn per_state(t: &Totals) -> (u64, u64, u64, u64, u64, u64, u64) {
    let (q, a, h, d) = (t.queued, t.active, t.held, t.done);
    (q, a, h, d, t.failed, t.skipped, t.cancelled)
}

#[test]
fn the_fixture_is_a_v1_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_copy(dir.path());
    assert_eq!(pragma(&path, "user_version"), 1);
    assert_eq!(pragma(&path, "application_id"), 0x544b_5550);
    assert!(!has_column(&path, "assets", "acked_bytes"));
    let (assets, parts, settings) = v1_facts(&path);
    assert_eq!((assets.len(), parts.len(), settings.len()), (12, 9, 2));
}

#[test]
fn a_v1_journal_migrates_with_every_asset_part_and_setting_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_copy(dir.path());
    let before = v1_facts(&path);

    let j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
    j.check_invariants().unwrap();
    drop(j);
    assert_eq!(pragma(&path, "user_version"), SCHEMA_VERSION);
    assert_eq!(pragma(&path, "application_id"), 0x544b_5550);
    // Row for row, column for column: ids, states, server ids, reasons, retry times, priorities
    // and queue order of the assets; byte ranges, states, URLs and hashes of the parts; settings.
    assert_eq!(v1_facts(&path), before);

    // The same facts through the journal's API, as the uploader reads them.
    let j = Journal::open(&path).unwrap();
    let by_id = |id: i64| j.asset(id).unwrap();
    let states: Vec<AssetState> = (1..=12).map(|id| by_id(id).state).collect();
    use AssetState::*;
    assert_eq!(
        states,
        [
            Done, Active, Queued, Queued, Queued, Failed, Skipped, Cancelled, Queued, Queued, Held,
            Held
        ]
    );
    let acked: Vec<u64> = (1..=12).map(|id| by_id(id).acked_bytes).collect();
    assert_eq!(
        acked,
        [6 * MIB, 5 * MIB, 0, 0, 0, 5 * MIB, 0, 0, 0, 5 * MIB, 0, 0],
        "acknowledged bytes, computed once by the migration"
    );
    let server: Vec<Option<String>> = (1..=12).map(|id| by_id(id).server_id).collect();
    assert_eq!(server[1].as_deref(), Some("srv-active"));
    assert_eq!(server[9].as_deref(), Some("srv-growing"));
    assert!(by_id(3).standard);
    assert_eq!(
        by_id(6).last_error.as_deref(),
        Some("the file changed since it was queued")
    );
    assert_eq!(by_id(3).retry_at_ms, Some(1_767_225_660_000));
    assert!(by_id(10).realtime && !by_id(10).closed && by_id(10).size.is_none());
    let parts: Vec<PartState> = j.parts(2).unwrap().iter().map(|p| p.state).collect();
    assert_eq!(
        parts,
        [PartState::Acked, PartState::Sent, PartState::Pending],
        "the part in flight at the kill is still marked sent (reconcile resets it)"
    );
    assert_eq!(j.setting("mode").unwrap().as_deref(), Some("manual"));
    let t = j.totals().unwrap();
    assert_eq!(per_state(&t), (5, 1, 2, 1, 1, 1, 1));
    // Queued and active: 7 + 1 + 40 + 3 + 7 MiB; the growing file adds nothing (v1 subtracted
    // its acknowledged 5 MiB from the total, which v2 no longer does).
    assert_eq!((t.files_remaining, t.bytes_remaining), (6, 58 * MIB));
    let order: Vec<i64> = j
        .next_runnable(i64::MAX, 10, &[])
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(order, [5, 3, 10, 4, 9], "moved to top, then by priority");
}

#[test]
fn uploads_continue_on_a_migrated_journal() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_copy(dir.path());
    let mut j = Journal::open(&path).unwrap();
    // What the uploader does at start.
    assert_eq!(
        j.reconcile().unwrap(),
        Reconciled {
            parts_reset: 1,
            assets_requeued: 1
        }
    );
    // The file that was uploading resumes after its acknowledged part, on the same server asset.
    j.start(2).unwrap();
    let a = j.asset(2).unwrap();
    assert_eq!(
        (a.server_id.as_deref(), a.acked_bytes),
        (Some("srv-active"), 5 * MIB)
    );
    assert!(
        !j.ack_part(2, 1, "again").unwrap(),
        "an acknowledged part is not counted twice"
    );
    for n in [2, 3] {
        j.mark_sent(2, n).unwrap();
        assert!(j.ack_part(2, n, "h").unwrap());
    }
    j.complete(2).unwrap();
    assert_eq!(j.asset(2).unwrap().acked_bytes, 12 * MIB);

    // The growing file gets its final part and closes.
    j.start(10).unwrap();
    j.add_parts(
        10,
        &[PlannedPart {
            number: 2,
            offset: 5 * MIB,
            size: 1234,
            is_final: true,
            url: None,
            url_expires_ms: None,
        }],
    )
    .unwrap();
    j.close_file(10, 5 * MIB + 1234, 2, "fp").unwrap();
    j.mark_sent(10, 2).unwrap();
    j.ack_part(10, 2, "h").unwrap();
    j.complete(10).unwrap();

    // Manual mode: a held file is selected; the failed one is retried with its part kept.
    assert_eq!(j.select(&[11]).unwrap(), 1);
    j.retry(6).unwrap();
    let a = j.asset(6).unwrap();
    assert_eq!((a.state, a.acked_bytes), (AssetState::Queued, 5 * MIB));

    // Enqueue keeps its rules across the migration: a new file takes the next id and queue
    // position; the uploaded file and a queued one are recognised.
    let new = |path: &str, size: u64, fingerprint: String| NewAsset {
        path: path.into(),
        name: "x.mov".into(),
        kind: AssetKind::Hero,
        filetype: "video/quicktime".into(),
        channel: 0,
        size: Some(size),
        mtime_ns: 1,
        media_created_ms: 1,
        fingerprint: Some(fingerprint),
        realtime: false,
        held: false,
        file_id: None,
    };
    let added = j.enqueue(&new("/m/new.mov", 1, "fp-new".into())).unwrap();
    assert_eq!(added, Enqueued::Added(13));
    assert_eq!(j.asset(13).unwrap().seq, 12);
    let done = j.asset(1).unwrap();
    assert_eq!(
        j.enqueue(&new(
            done.path.to_str().unwrap(),
            done.size.unwrap(),
            done.fingerprint.unwrap()
        ))
        .unwrap(),
        Enqueued::AlreadyUploaded(1)
    );
    let queued = j.asset(9).unwrap();
    assert_eq!(
        j.enqueue(&new(queued.path.to_str().unwrap(), 1, "other".into()))
            .unwrap(),
        Enqueued::AlreadyQueued(9)
    );
    j.check_invariants().unwrap();
    let t = j.totals().unwrap();
    assert_eq!((t.done, t.held, t.queued, t.active), (3, 1, 7, 0));

    // And all of it survives a reopen.
    drop(j);
    let j = Journal::open(&path).unwrap();
    j.check_invariants().unwrap();
    assert_eq!(j.totals().unwrap(), t);
    assert_eq!(j.assets_in(&AssetState::ALL).unwrap().len(), 13);
}

#[test]
fn a_journal_from_a_newer_schema_is_refused_and_left_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_copy(dir.path());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();

    let err = match Journal::open(&path) {
        Err(e) => e,
        Ok(_) => panic!("a schema-99 journal was opened"),
    };
    assert!(
        matches!(
            err,
            JournalError::TooNew {
                found: 99,
                known: SCHEMA_VERSION
            }
        ),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("newer version of the app") && msg.contains("update the app"),
        "{msg}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "not a byte changed");
    assert!(
        !dir.path().join("journal.sqlite-wal").exists(),
        "nothing left beside it"
    );
}

#[tokio::test]
async fn an_engine_refuses_a_newer_journal_and_keeps_it() {
    let env = env().await;
    let state = env.dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let path = v1_copy(&state);
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let err = match takeup_core::Engine::start(env.config(), env.store.clone()).await {
        Err(e) => e,
        Ok(_) => panic!("the engine started on a schema-99 journal"),
    };
    assert!(
        matches!(&err, takeup_core::Error::Storage(m) if m.contains("newer version of the app")),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "not a byte changed");
}

#[test]
fn opening_a_migrated_journal_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_copy(dir.path());
    drop(Journal::open(&path).unwrap());
    let (bytes, shape, facts) = (
        std::fs::read(&path).unwrap(),
        schema(&path),
        v1_facts(&path),
    );
    assert!(has_column(&path, "assets", "acked_bytes"));
    for _ in 0..3 {
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
        j.check_invariants().unwrap();
        drop(j);
        assert_eq!(schema(&path), shape);
        assert_eq!(v1_facts(&path), facts);
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a current journal is not written by opening it"
        );
    }
}

#[test]
fn a_migration_that_fails_half_way_leaves_v1_and_runs_again_next_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = v1_copy(dir.path());
    let before = v1_facts(&path);
    // A table in the way of the migration's third statement: the first two (a new column and
    // its backfill) have run when it fails.
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE state_totals (x)")
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let err = match Journal::open(&path) {
        Err(e) => e,
        Ok(_) => panic!("the migration cannot succeed"),
    };
    assert!(err.to_string().contains("state_totals"), "{err}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "rolled back: not a byte changed"
    );
    assert_eq!(pragma(&path, "user_version"), 1);
    assert!(
        !has_column(&path, "assets", "acked_bytes"),
        "the column added before the failure is gone"
    );
    assert_eq!(v1_facts(&path), before);

    // The obstacle removed, the next open migrates.
    Connection::open(&path)
        .unwrap()
        .execute_batch("DROP TABLE state_totals")
        .unwrap();
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
    j.check_invariants().unwrap();
    drop(j);
    assert_eq!(v1_facts(&path), before);
}

#[tokio::test]
async fn an_engine_starts_on_a_v1_journal_and_uploads() {
    let env = env().await;
    let state = env.dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    v1_copy(&state);
    let e = engine_with_queue(&env, queue_config(&env)).await;
    let s = e.queue().status();
    assert_eq!(s.mode, QueueMode::Manual, "the persisted mode");
    assert_eq!(
        per_state(&s.totals),
        (6, 0, 2, 1, 1, 1, 1),
        "the file that was uploading is back in the queue"
    );
    assert_eq!(s.queued.first().map(|f| f.id), Some(5), "moved to top");

    // The fixture's media are not on this machine: once paired, each queued file is parked as
    // gone, keeping what the server acknowledged.
    env.pair(&e, true).await.unwrap();
    let s = wait_queue(&e, 60, "the missing files parked", |s| {
        s.totals.files_remaining == 0 && s.totals.failed == 7
    })
    .await;
    let was_uploading = s.failed.iter().find(|f| f.id == 2).unwrap();
    assert_eq!(was_uploading.uploaded_bytes, 5 * MIB);
    assert_eq!(was_uploading.reason.as_deref(), Some("the file is gone"));

    // A new file in manual mode: held, selected, uploaded intact.
    let media = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(media.path(), "B001_C001.mov", 6 * MIB as usize + 5, 7);
    let id = enqueue(&e, &p).await;
    assert_eq!(id, Enqueued::Added(13));
    wait_queue(&e, 10, "the new file held", |s| {
        s.held.iter().any(|f| f.id == 13)
    })
    .await;
    e.queue().select(vec![13]).await.unwrap();
    wait_queue(&e, 60, "the new file uploaded", |s| s.totals.done == 2).await;
    let mine = env.assets_named("B001_C001.mov").await;
    assert_eq!(mine.len(), 1, "{mine:#?}");
    let a = env.asset_report(&mine[0]).await;
    assert_eq!(a["sha256"], sha.as_str());
    e.shutdown();
}
