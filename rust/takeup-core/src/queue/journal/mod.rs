//! The upload journal: one SQLite database (WAL, `synchronous=FULL`) that survives power loss and
//! app kills.
//!
//! One row per asset (file path, size, mtime, fingerprint of head and tail bytes, kind, priority,
//! state, server asset id, attempts, last error) and one row per part (byte range, state, URL,
//! content hash). Every state change is one transaction, committed before the next step relies on
//! it: an acknowledged part is written before it counts, a server asset id is written before any
//! byte is sent. [`Journal::reconcile`] runs at start: parts that were in flight go back to
//! pending (they are re-sent), acknowledged parts stay acknowledged (never re-sent), and an asset
//! that has a server id keeps it (never created again).
//!
//! Tokens never reach this database: it holds paths, names, ids and presigned part URLs (which
//! only allow writing one part of one asset and expire).
//!
//! Schema versions are tracked with `PRAGMA user_version`; the file is tagged with an
//! `application_id` so a foreign SQLite file is refused instead of being "migrated". Older schemas
//! are migrated in one transaction (a crash or a full disk mid-way leaves the old schema, migrated
//! on the next open); a newer schema is refused ([`JournalError::TooNew`]) and left as it is.
//!
//! Schema v2 keeps what the status screen reads on every change cheap on a long queue: each
//! asset's acknowledged bytes (`assets.acked_bytes`) and the per-state counts and bytes remaining
//! (`state_totals`) are maintained by triggers in the same statement as the change they follow,
//! and the lookups of `enqueue` and of the status lists are served by indexes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, Row, Transaction, TransactionBehavior, params,
};
use serde::{Deserialize, Serialize};

mod leases;
mod notes;
mod takes;
pub use leases::{
    Completion, Executor, LeaseFailure, LeaseGrant, LeaseReport, LeaseRow, LeaseState, Reclaim,
    Restart,
};
pub use notes::{
    ChannelSettings, DueNote, FrameRate, MAX_NOTE_CHARS, Note, NoteKind, NoteState, check_timecode,
};
pub use takes::{MAX_SLATE_CHARS, TakeMark};

/// `PRAGMA application_id` of a Takeup journal ("TKUP").
pub const APPLICATION_ID: i32 = 0x544b_5550;

/// The schema this code writes (`PRAGMA user_version`): 1 is the first schema, 2 adds the
/// maintained aggregates and indexes, 3 the part leases, per-part digests and verification, part
/// backoff and the file identity (see the module documentation), 4 the take-log notes (comments,
/// triggers) and the per-channel settings (`notes.rs`), 5 the take marks (scene, take, circle
/// take: `takes.rs`).
pub const SCHEMA_VERSION: i64 = 5;
const _: () = assert!(MIGRATIONS.len() as i64 == SCHEMA_VERSION);

/// Errors of the journal. None of them loses data: the database is never reset silently.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("the upload journal at {path} is not a Takeup journal (another app's database?)")]
    Foreign { path: PathBuf },
    #[error(
        "the upload journal was written by a newer version of the app (schema {found}, this app knows {known}); update the app"
    )]
    TooNew { found: i64, known: i64 },
    #[error("the upload journal is damaged: {0}")]
    Corrupt(String),
    #[error("the device is out of storage space; free some space and try again")]
    DiskFull,
    #[error("the upload journal cannot be written: {0}")]
    ReadOnly(String),
    #[error("upload journal error: {0}")]
    Sqlite(String),
    #[error("no queued file with id {0}")]
    NoSuchAsset(i64),
    #[error("{0}")]
    Invalid(String),
}

impl From<rusqlite::Error> for JournalError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode::*;
        if let rusqlite::Error::SqliteFailure(f, msg) = &e {
            let detail = msg.clone().unwrap_or_else(|| f.to_string());
            // SQLITE_IOERR_SHMSIZE: the WAL index (`-shm`) could not be extended, which on a full
            // disk is the first thing opening the journal does.
            if f.extended_code == rusqlite::ffi::SQLITE_IOERR_SHMSIZE {
                return JournalError::DiskFull;
            }
            return match f.code {
                DiskFull => JournalError::DiskFull,
                DatabaseCorrupt | NotADatabase => JournalError::Corrupt(detail),
                ReadOnly | CannotOpen | PermissionDenied => JournalError::ReadOnly(detail),
                _ => JournalError::Sqlite(detail),
            };
        }
        JournalError::Sqlite(e.to_string())
    }
}

pub type JResult<T> = Result<T, JournalError>;

/// What kind of media a file is; decides its default priority.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetKind {
    Proxy,
    Hero,
    Audio,
    Other,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Proxy => "proxy",
            AssetKind::Hero => "hero",
            AssetKind::Audio => "audio",
            AssetKind::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "proxy" => AssetKind::Proxy,
            "hero" => AssetKind::Hero,
            "audio" => AssetKind::Audio,
            "other" => AssetKind::Other,
            _ => return None,
        })
    }

    /// Lower goes first: proxies and audio (small, needed first on set) before other files, hero
    /// (camera originals, large) last.
    pub fn default_priority(self) -> i64 {
        match self {
            AssetKind::Proxy | AssetKind::Audio => 10,
            AssetKind::Other => 20,
            AssetKind::Hero => 30,
        }
    }
}

/// Where an asset is in its life.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetState {
    /// Manual mode: known to the engine, waiting for the user to select it.
    Held,
    /// Waiting for a slot (or for its retry time).
    Queued,
    /// Being uploaded now.
    Active,
    /// Every byte acknowledged by the server.
    Done,
    /// Parked: failed fatally or kept failing ("poisoned"); the user can retry it.
    Failed,
    /// Recorded while the device was paused: never uploaded (409 Channel Paused).
    Skipped,
    /// Cancelled by the user.
    Cancelled,
}

impl AssetState {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetState::Held => "held",
            AssetState::Queued => "queued",
            AssetState::Active => "active",
            AssetState::Done => "done",
            AssetState::Failed => "failed",
            AssetState::Skipped => "skipped",
            AssetState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "held" => AssetState::Held,
            "queued" => AssetState::Queued,
            "active" => AssetState::Active,
            "done" => AssetState::Done,
            "failed" => AssetState::Failed,
            "skipped" => AssetState::Skipped,
            "cancelled" => AssetState::Cancelled,
            _ => return None,
        })
    }

    /// States in which the asset still has work to do.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            AssetState::Held | AssetState::Queued | AssetState::Active
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartState {
    Pending,
    /// Being sent; unknown outcome until acknowledged. Reset to pending on start.
    Sent,
    Acked,
}

impl PartState {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => PartState::Pending,
            "sent" => PartState::Sent,
            "acked" => PartState::Acked,
            _ => return None,
        })
    }
}

/// A file to add to the queue.
#[derive(Clone, Debug)]
pub struct NewAsset {
    pub path: PathBuf,
    /// The name the asset gets on Frame.io.
    pub name: String,
    pub kind: AssetKind,
    pub filetype: String,
    pub channel: u32,
    /// `None` while the file is still being written (real-time upload).
    pub size: Option<u64>,
    pub mtime_ns: i64,
    /// When the media was created (for `offset`), Unix milliseconds.
    pub media_created_ms: i64,
    pub fingerprint: Option<String>,
    pub realtime: bool,
    /// Manual mode: wait for the user's selection.
    pub held: bool,
    /// The file's identity on its filesystem (device, inode), where the platform has one: two
    /// paths of one file are one entry; a new file under an old name is a new one.
    pub file_id: Option<(u64, u64)>,
}

/// One asset row.
#[derive(Clone, Debug, Serialize)]
pub struct AssetRow {
    pub id: i64,
    pub path: PathBuf,
    pub name: String,
    pub kind: AssetKind,
    pub filetype: String,
    pub channel: u32,
    pub size: Option<u64>,
    pub mtime_ns: i64,
    pub media_created_ms: i64,
    pub fingerprint: Option<String>,
    pub realtime: bool,
    pub state: AssetState,
    pub priority: i64,
    pub seq: i64,
    pub server_id: Option<String>,
    /// Created with the standard asset API (URLs from the server's part plan); otherwise the
    /// real-time API (URLs per part on request).
    pub standard: bool,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub retry_at_ms: Option<i64>,
    pub enqueued_ms: i64,
    pub finished_ms: Option<i64>,
    /// Bytes of acknowledged parts.
    pub acked_bytes: u64,
    /// The writer finished (real-time assets): `size` is final.
    pub closed: bool,
    /// The file's (device, inode) when it was queued.
    pub file_id: Option<(u64, u64)>,
    /// The server asset this upload becomes the next version of (`auto_version_id`): an earlier
    /// upload of this file completed with bytes the file no longer has.
    pub version_of: Option<String>,
    /// The session whose checks (file unchanged, earlier parts verified) cleared the final part.
    pub final_cleared: Option<String>,
    /// Server assets abandoned for this file (stale, changed bytes): bounds the restarts.
    pub restarts: u32,
}

/// One part row.
#[derive(Clone, Debug, Serialize)]
pub struct PartRow {
    pub asset_id: i64,
    pub number: u32,
    pub offset: u64,
    pub size: u64,
    pub is_final: bool,
    pub url: Option<String>,
    pub url_expires_ms: Option<i64>,
    pub state: PartState,
    /// SHA-256 of the acknowledged bytes (journals before schema v3).
    pub sha256: Option<String>,
    /// Sends started.
    pub attempts: u32,
    /// Base64 MD5 of the bytes as sent (the `Content-MD5` S3 checked).
    pub md5: Option<String>,
    /// The session that last hashed this part's acknowledged bytes from the file.
    pub verified: Option<String>,
    /// Not to be sent again before this time (backoff after a failed send), Unix ms.
    pub retry_at_ms: Option<i64>,
    /// Failed sends in a row since the asset last made progress.
    pub failures: u32,
}

/// A part as planned, with its upload URL if the server already gave one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedPart {
    pub number: u32,
    pub offset: u64,
    pub size: u64,
    pub is_final: bool,
    pub url: Option<String>,
    pub url_expires_ms: Option<i64>,
}

impl PlannedPart {
    /// Parts of `sizes` bytes one after the other, numbered from 1, the last one final unless
    /// `open_ended` (a growing file); `url(number)` gives each part's URL.
    pub fn consecutive(
        sizes: &[u64],
        open_ended: bool,
        url: impl Fn(u32) -> Option<String>,
    ) -> Vec<PlannedPart> {
        let mut offset = 0;
        let mut parts = Vec::with_capacity(sizes.len());
        for (i, size) in sizes.iter().enumerate() {
            let number = i as u32 + 1;
            parts.push(PlannedPart {
                number,
                offset,
                size: *size,
                is_final: !open_ended && i + 1 == sizes.len(),
                url: url(number),
                url_expires_ms: None,
            });
            offset += size;
        }
        parts
    }
}

/// What `enqueue` did.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Enqueued {
    Added(#[cfg_attr(feature = "uniffi", uniffi(name = "id"))] i64),
    /// The file is already in the queue (not finished): nothing added.
    AlreadyQueued(#[cfg_attr(feature = "uniffi", uniffi(name = "id"))] i64),
    /// The same file (path and fingerprint) was already uploaded: nothing added.
    AlreadyUploaded(#[cfg_attr(feature = "uniffi", uniffi(name = "id"))] i64),
}

impl Enqueued {
    pub fn id(self) -> i64 {
        match self {
            Enqueued::Added(i) | Enqueued::AlreadyQueued(i) | Enqueued::AlreadyUploaded(i) => i,
        }
    }
}

/// What `reconcile` repaired at start.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    /// Parts that were in flight when the process stopped: to be re-sent.
    pub parts_reset: u64,
    /// Assets that were active: back in the queue.
    pub assets_requeued: u64,
}

/// Totals for the status screen.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub files_remaining: u64,
    /// Bytes not yet acknowledged of files still to upload (growing files count what exists).
    pub bytes_remaining: u64,
    pub queued: u64,
    pub active: u64,
    pub held: u64,
    pub done: u64,
    pub failed: u64,
    pub skipped: u64,
    pub cancelled: u64,
}

const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE assets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        path TEXT NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('proxy','hero','audio','other')),
        filetype TEXT NOT NULL,
        channel INTEGER NOT NULL DEFAULT 0 CHECK (channel BETWEEN 0 AND 100),
        size INTEGER CHECK (size IS NULL OR size >= 0),
        mtime_ns INTEGER NOT NULL,
        media_created_ms INTEGER NOT NULL,
        fingerprint TEXT,
        realtime INTEGER NOT NULL DEFAULT 0,
        closed INTEGER NOT NULL DEFAULT 1,
        state TEXT NOT NULL CHECK (state IN ('held','queued','active','done','failed','skipped','cancelled')),
        priority INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        server_id TEXT,
        standard INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        retry_at_ms INTEGER,
        enqueued_ms INTEGER NOT NULL,
        finished_ms INTEGER
    );
    CREATE UNIQUE INDEX assets_one_open_per_path ON assets(path)
        WHERE state IN ('held','queued','active');
    CREATE INDEX assets_runnable ON assets(state, priority, seq);
    CREATE TABLE parts (
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        number INTEGER NOT NULL CHECK (number BETWEEN 1 AND 10000),
        offset INTEGER NOT NULL CHECK (offset >= 0),
        size INTEGER NOT NULL CHECK (size >= 0),
        is_final INTEGER NOT NULL DEFAULT 0,
        url TEXT,
        url_expires_ms INTEGER,
        state TEXT NOT NULL CHECK (state IN ('pending','sent','acked')),
        sha256 TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        acked_ms INTEGER,
        PRIMARY KEY (asset_id, number)
    ) WITHOUT ROWID;
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;",
    // v2: maintained aggregates (status totals without a scan) and indexes for enqueue and the
    // status lists. Triggers keep the aggregates in the same statement as every change, so they
    // cannot drift from the rows whatever code path writes them; `check_invariants` recomputes
    // them. The remaining bytes of one asset: size minus acknowledged bytes, never negative; 0
    // while a growing file's size is unknown.
    "ALTER TABLE assets ADD COLUMN acked_bytes INTEGER NOT NULL DEFAULT 0 CHECK (acked_bytes >= 0);
    UPDATE assets SET acked_bytes = (SELECT coalesce(sum(p.size), 0) FROM parts p
        WHERE p.asset_id = assets.id AND p.state = 'acked');
    CREATE TABLE state_totals (
        state TEXT PRIMARY KEY,
        files INTEGER NOT NULL,
        bytes_remaining INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO state_totals (state, files, bytes_remaining)
        SELECT s.column1, count(a.id), coalesce(sum(CASE WHEN a.size IS NULL THEN 0
                ELSE max(a.size - a.acked_bytes, 0) END), 0)
        FROM (VALUES ('held'),('queued'),('active'),('done'),('failed'),('skipped'),('cancelled')) s
        LEFT JOIN assets a ON a.state = s.column1
        GROUP BY s.column1;
    CREATE TRIGGER parts_acked_insert AFTER INSERT ON parts WHEN new.state = 'acked' BEGIN
        UPDATE assets SET acked_bytes = acked_bytes + new.size WHERE id = new.asset_id;
    END;
    CREATE TRIGGER parts_acked_delete AFTER DELETE ON parts WHEN old.state = 'acked' BEGIN
        UPDATE assets SET acked_bytes = acked_bytes - old.size WHERE id = old.asset_id;
    END;
    CREATE TRIGGER parts_acked_update AFTER UPDATE OF state, size, asset_id ON parts
        WHEN old.state = 'acked' OR new.state = 'acked' BEGIN
        UPDATE assets SET acked_bytes = acked_bytes - old.size
            WHERE id = old.asset_id AND old.state = 'acked';
        UPDATE assets SET acked_bytes = acked_bytes + new.size
            WHERE id = new.asset_id AND new.state = 'acked';
    END;
    CREATE TRIGGER assets_totals_insert AFTER INSERT ON assets BEGIN
        UPDATE state_totals SET files = files + 1, bytes_remaining = bytes_remaining +
            (CASE WHEN new.size IS NULL THEN 0 ELSE max(new.size - new.acked_bytes, 0) END)
            WHERE state = new.state;
    END;
    CREATE TRIGGER assets_totals_delete AFTER DELETE ON assets BEGIN
        UPDATE state_totals SET files = files - 1, bytes_remaining = bytes_remaining -
            (CASE WHEN old.size IS NULL THEN 0 ELSE max(old.size - old.acked_bytes, 0) END)
            WHERE state = old.state;
    END;
    CREATE TRIGGER assets_totals_update AFTER UPDATE OF state, size, acked_bytes ON assets
        WHEN old.state IS NOT new.state OR old.size IS NOT new.size
            OR old.acked_bytes IS NOT new.acked_bytes BEGIN
        UPDATE state_totals SET files = files - 1, bytes_remaining = bytes_remaining -
            (CASE WHEN old.size IS NULL THEN 0 ELSE max(old.size - old.acked_bytes, 0) END)
            WHERE state = old.state;
        UPDATE state_totals SET files = files + 1, bytes_remaining = bytes_remaining +
            (CASE WHEN new.size IS NULL THEN 0 ELSE max(new.size - new.acked_bytes, 0) END)
            WHERE state = new.state;
    END;
    CREATE INDEX assets_seq ON assets(seq);
    CREATE INDEX assets_done_by_path ON assets(path, fingerprint) WHERE state = 'done';
    CREATE INDEX assets_recent ON assets(state, coalesce(finished_ms, enqueued_ms), id);
    CREATE INDEX assets_retry ON assets(retry_at_ms)
        WHERE state = 'queued' AND retry_at_ms IS NOT NULL;",
    // v3: part leases (the engine decides what to send, an executor, in process or the
    // platform's, moves the bytes and reports), each part's MD5 as sent (Content-MD5) and the
    // session that last hashed its bytes from the file (resume verification), per-part backoff,
    // the file's identity (device, inode), the server asset a new upload versions, and the session
    // whose checks cleared the final part.
    "ALTER TABLE assets ADD COLUMN dev INTEGER;
    ALTER TABLE assets ADD COLUMN ino INTEGER;
    ALTER TABLE assets ADD COLUMN version_of TEXT;
    ALTER TABLE assets ADD COLUMN final_cleared TEXT;
    ALTER TABLE assets ADD COLUMN restarts INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE assets ADD COLUMN verify_from_ms INTEGER;
    ALTER TABLE parts ADD COLUMN md5 TEXT;
    ALTER TABLE parts ADD COLUMN verified TEXT;
    ALTER TABLE parts ADD COLUMN retry_at_ms INTEGER;
    ALTER TABLE parts ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE leases (
        id TEXT PRIMARY KEY,
        asset_id INTEGER NOT NULL REFERENCES assets(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        executor TEXT NOT NULL CHECK (executor IN ('engine','platform')),
        server_id TEXT NOT NULL,
        session TEXT NOT NULL,
        url TEXT NOT NULL,
        offset INTEGER NOT NULL CHECK (offset >= 0),
        size INTEGER NOT NULL CHECK (size >= 0),
        md5 TEXT,
        issued_ms INTEGER NOT NULL,
        expires_ms INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('out','succeeded','failed','reclaimed')),
        outcome TEXT,
        maybe_stored INTEGER NOT NULL DEFAULT 1,
        reported_ms INTEGER
    ) WITHOUT ROWID;
    CREATE INDEX leases_out ON leases(expires_ms) WHERE state = 'out';
    CREATE INDEX leases_by_part ON leases(asset_id, number);
    CREATE INDEX assets_by_file ON assets(dev, ino) WHERE dev IS NOT NULL;
    CREATE INDEX parts_sendable ON parts(state, asset_id) WHERE state = 'pending';",
    // v4: take-log notes and per-channel settings (see `notes.rs`).
    notes::MIGRATION_V4,
    // v5: take marks (see `takes.rs`).
    takes::MIGRATION_V5,
];

/// The journal. Not `Sync`: the engine keeps it behind a mutex and calls it off the async threads.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Journal {
    /// Open (or create) the journal at `path`, migrating older schemas. A foreign or damaged file
    /// is refused with a typed error and left as it is.
    pub fn open(path: &Path) -> JResult<Self> {
        let existed = path.exists()
            && std::fs::metadata(path)
                .map(|m| m.len() > 0)
                .unwrap_or(false);
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Reading the header first turns "not a database" into a typed error before any write.
        let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let tables: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
            [],
            |r| r.get(0),
        )?;
        if existed && tables > 0 && app_id != APPLICATION_ID {
            return Err(JournalError::Foreign {
                path: path.to_path_buf(),
            });
        }
        let known = SCHEMA_VERSION;
        if version > known {
            return Err(JournalError::TooNew {
                found: version,
                known,
            });
        }
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a committed acknowledgement survives power loss, not only an app kill.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut journal = Self {
            conn,
            path: path.to_path_buf(),
        };
        journal.migrate(version)?;
        let check: String = journal
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(JournalError::Corrupt(check));
        }
        Ok(journal)
    }

    /// An in-memory journal (tests, benchmarks).
    pub fn open_in_memory() -> JResult<Self> {
        let conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut journal = Self {
            conn,
            path: PathBuf::from(":memory:"),
        };
        journal.migrate(0)?;
        Ok(journal)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bring the schema from `from` to [`SCHEMA_VERSION`]: every step and the new version in one
    /// transaction, so a crash or a full disk mid-way leaves the old schema (migrated next time).
    /// Nothing is written when the schema is current.
    fn migrate(&mut self, from: i64) -> JResult<()> {
        if from == SCHEMA_VERSION {
            return Ok(());
        }
        // IMMEDIATE, and the version read again inside: two processes opening the same old
        // journal migrate it once.
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let from: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if from > SCHEMA_VERSION {
            return Err(JournalError::TooNew {
                found: from,
                known: SCHEMA_VERSION,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
            tx.execute_batch(sql)?;
            tracing::info!(version = i + 1, "upload journal migrated");
        }
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
        Ok(())
    }

    /// The schema version of the open journal (`PRAGMA user_version`).
    pub fn schema_version(&self) -> JResult<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// Repair what a crash left: the leases of the engine's own executor (it died with the
    /// process) are reclaimed and their parts, like any part in flight without a lease, go back
    /// to pending; active assets go back to queued. The platform's leases stay out: its transfers
    /// may still be running in the OS, and it says which at relaunch
    /// ([`Journal::reclaim_leases`] with [`Reclaim::PlatformExcept`]) or they expire. Leases
    /// reported more than a week ago are forgotten.
    pub fn reconcile(&mut self) -> JResult<Reconciled> {
        let now = now_ms();
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE leases SET state = 'reclaimed', outcome = 'the engine stopped', reported_ms = ?1
             WHERE state = 'out' AND executor = 'engine'",
            [now],
        )?;
        let parts_reset = tx.execute(
            "UPDATE parts SET state = 'pending' WHERE state = 'sent' AND NOT EXISTS (
                SELECT 1 FROM leases l WHERE l.asset_id = parts.asset_id
                    AND l.number = parts.number AND l.state = 'out')",
            [],
        )?;
        tx.execute(
            "DELETE FROM leases WHERE state != 'out' AND coalesce(reported_ms, issued_ms) < ?1",
            [now - 7 * 24 * 3600 * 1000],
        )?;
        let assets_requeued = tx.execute(
            "UPDATE assets SET state = 'queued' WHERE state = 'active'",
            [],
        )?;
        tx.commit()?;
        Ok(Reconciled {
            parts_reset: parts_reset as u64,
            assets_requeued: assets_requeued as u64,
        })
    }

    /// Add a file. One file is one entry, whatever path names it (the caller passes the canonical
    /// path, and the file's device and inode catch the aliases a path cannot): an open entry for
    /// it is reported, not doubled; a file already uploaded with the same fingerprint is not
    /// uploaded again. A new file under the name of a queued one (a recording that reused a
    /// deleted clip's name) replaces that entry, which can no longer be uploaded: it is parked
    /// with the reason.
    pub fn enqueue(&mut self, a: &NewAsset) -> JResult<Enqueued> {
        let tx = self.conn.transaction()?;
        let r = Self::enqueue_tx(&tx, a, false)?;
        tx.commit()?;
        Ok(r)
    }

    /// Add many files in one transaction (a card dump: thousands at once), each as
    /// [`Journal::enqueue`] would, with its own outcome: one refused file does not refuse the
    /// others. `top` puts the added ones at the top of the queue, in the given order.
    pub fn enqueue_many(
        &mut self,
        assets: &[NewAsset],
        top: bool,
    ) -> JResult<Vec<JResult<Enqueued>>> {
        let mut tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(assets.len());
        // At the top in the given order: each one goes before the ones added before it, so add
        // them last to first.
        let order: Vec<usize> = if top {
            (0..assets.len()).rev().collect()
        } else {
            (0..assets.len()).collect()
        };
        let mut results: Vec<Option<JResult<Enqueued>>> = (0..assets.len()).map(|_| None).collect();
        for i in order {
            let sp = tx.savepoint()?;
            let r = Self::enqueue_tx(&sp, &assets[i], top);
            match r {
                Ok(_) => sp.commit()?,
                Err(_) => drop(sp),
            }
            results[i] = Some(r);
        }
        for r in results {
            out.push(r.expect("every file has an outcome"));
        }
        tx.commit()?;
        Ok(out)
    }

    fn enqueue_tx(tx: &Connection, a: &NewAsset, top: bool) -> JResult<Enqueued> {
        if a.name.trim().is_empty() {
            return Err(JournalError::Invalid("the asset name is empty".into()));
        }
        let path = path_str(&a.path)?;
        let (dev, ino) = match a.file_id {
            Some((d, i)) => (Some(d as i64), Some(i as i64)),
            None => (None, None),
        };
        if let (Some(dev), Some(ino)) = (dev, ino)
            && let Some((id, old_path)) = tx
                .query_row(OPEN_BY_FILE, params![dev, ino], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?
        {
            // The same file under another path: moved (renamed on the card, a folder sorted) or
            // linked. The entry follows it to the path it was queued under now, unless another
            // open entry holds that path.
            if old_path != path {
                let taken: Option<i64> = tx
                    .query_row(OPEN_BY_PATH, [path], |r| r.get(0))
                    .optional()?;
                if taken.is_none() {
                    tx.execute(
                        "UPDATE assets SET path = ?2 WHERE id = ?1",
                        params![id, path],
                    )?;
                }
            }
            return Ok(Enqueued::AlreadyQueued(id));
        }
        if let Some((id, old_dev, old_ino)) = tx
            .query_row(OPEN_BY_PATH, [path], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<i64>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })
            .optional()?
        {
            let replaced = dev.is_some() && old_dev.is_some() && (old_dev, old_ino) != (dev, ino);
            if !replaced {
                return Ok(Enqueued::AlreadyQueued(id));
            }
            tx.execute(
                "UPDATE assets SET last_error = ?2, retry_at_ms = NULL WHERE id = ?1",
                params![
                    id,
                    "a new file with the same name replaced this one before it was uploaded"
                ],
            )?;
            Self::set_state_tx(tx, id, AssetState::Failed)?;
        }
        if let Some(fp) = &a.fingerprint {
            let mut done = tx
                .query_row(DONE_BY_PATH, params![path, fp], |r| r.get::<_, i64>(0))
                .optional()?;
            if done.is_none()
                && let (Some(dev), Some(ino)) = (dev, ino)
            {
                done = tx
                    .query_row(DONE_BY_FILE, params![dev, ino, fp], |r| r.get::<_, i64>(0))
                    .optional()?;
            }
            if let Some(id) = done {
                return Ok(Enqueued::AlreadyUploaded(id));
            }
        }
        let seq: i64 = tx.query_row(NEXT_SEQ, [], |r| r.get(0))?;
        tx.execute(
            "INSERT INTO assets (path, name, kind, filetype, channel, size, mtime_ns,
                media_created_ms, fingerprint, realtime, closed, state, priority, seq, enqueued_ms,
                dev, ino)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                path,
                a.name,
                a.kind.as_str(),
                a.filetype,
                a.channel,
                a.size.map(|s| s as i64),
                a.mtime_ns,
                a.media_created_ms,
                a.fingerprint,
                a.realtime,
                !a.realtime,
                if a.held { "held" } else { "queued" },
                a.kind.default_priority(),
                seq,
                now_ms(),
                dev,
                ino,
            ],
        )?;
        let id = tx.last_insert_rowid();
        if top {
            Self::move_to_top_tx(tx, id)?;
        }
        Ok(Enqueued::Added(id))
    }

    pub fn asset(&self, id: i64) -> JResult<AssetRow> {
        self.conn
            .query_row(
                &format!("{ASSET_SELECT} WHERE a.id = ?1"),
                [id],
                asset_from_row,
            )
            .optional()?
            .ok_or(JournalError::NoSuchAsset(id))
    }

    /// Assets in a state, in upload order (priority, then queue order).
    pub fn assets_in(&self, states: &[AssetState]) -> JResult<Vec<AssetRow>> {
        self.select_in(states, UPLOAD_ORDER, None)
    }

    /// The first `limit` assets in those states, in upload order (like `assets_in`, but a status
    /// snapshot of a long queue does not read every row).
    pub fn first_in(&self, states: &[AssetState], limit: u32) -> JResult<Vec<AssetRow>> {
        self.select_in(states, UPLOAD_ORDER, Some(limit))
    }

    /// Every asset, newest first, at most `limit`.
    pub fn recent(&self, states: &[AssetState], limit: u32) -> JResult<Vec<AssetRow>> {
        self.select_in(states, RECENT_ORDER, Some(limit))
    }

    /// Assets in `states`, ordered by `order`, at most `limit` of them.
    fn select_in(
        &self,
        states: &[AssetState],
        order: &str,
        limit: Option<u32>,
    ) -> JResult<Vec<AssetRow>> {
        let mut stmt = self
            .conn
            .prepare_cached(&select_sql(states, order, limit))?;
        let rows = stmt.query_map([], asset_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The next assets to start: queued, due (retry time passed), not already running, in upload
    /// order.
    pub fn next_runnable(
        &self,
        now_ms: i64,
        limit: usize,
        running: &[i64],
    ) -> JResult<Vec<AssetRow>> {
        let mut stmt = self.conn.prepare_cached(&runnable_sql())?;
        let rows = stmt.query_map([now_ms], asset_from_row)?;
        let mut out = Vec::new();
        for r in rows {
            let r = r?;
            if !running.contains(&r.id) {
                out.push(r);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    /// The earliest retry time among queued assets that are waiting for one.
    pub fn next_retry_at(&self) -> JResult<Option<i64>> {
        Ok(self.conn.query_row(NEXT_RETRY, [], |r| r.get(0))?)
    }

    pub fn parts(&self, asset_id: i64) -> JResult<Vec<PartRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT asset_id, number, offset, size, is_final, url, url_expires_ms, state, sha256,
                attempts, md5, verified, retry_at_ms, failures
             FROM parts WHERE asset_id = ?1 ORDER BY number",
        )?;
        let rows = stmt.query_map([asset_id], part_from_row)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// A part of `id` was stored: an open upload's failure count and last error are reset. Only
    /// an open one: the answer of a part that was in flight when its file was parked must not
    /// erase why it was parked.
    pub(super) fn progressed_tx(tx: &Connection, id: i64) -> JResult<()> {
        tx.execute(
            "UPDATE assets SET attempts = 0, last_error = NULL
             WHERE id = ?1 AND state IN ('held','queued','active')",
            [id],
        )?;
        Ok(())
    }

    fn set_state_tx(tx: &Connection, id: i64, state: AssetState) -> JResult<()> {
        let finished = matches!(
            state,
            AssetState::Done | AssetState::Failed | AssetState::Skipped | AssetState::Cancelled
        )
        .then(now_ms);
        let n = tx.execute(
            "UPDATE assets SET state = ?2, finished_ms = ?3 WHERE id = ?1",
            params![id, state.as_str(), finished],
        )?;
        if n == 0 {
            return Err(JournalError::NoSuchAsset(id));
        }
        Ok(())
    }

    /// Mark an asset as being uploaded.
    pub fn start(&mut self, id: i64) -> JResult<()> {
        let tx = self.conn.transaction()?;
        let state = state_of(&tx, id)?;
        if state != AssetState::Queued {
            return Err(JournalError::Invalid(format!(
                "cannot start an asset that is {}",
                state.as_str()
            )));
        }
        Self::set_state_tx(&tx, id, AssetState::Active)?;
        tx.commit()?;
        Ok(())
    }

    /// Record the server asset and its part plan in one transaction, before any byte is sent.
    pub fn record_created(
        &mut self,
        id: i64,
        server_id: &str,
        standard: bool,
        parts: &[PlannedPart],
    ) -> JResult<()> {
        let tx = self.conn.transaction()?;
        let existing: Option<String> = tx
            .query_row("SELECT server_id FROM assets WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?
            .ok_or(JournalError::NoSuchAsset(id))?;
        if let Some(existing) = existing
            && existing != server_id
        {
            return Err(JournalError::Invalid(format!(
                "asset {id} already has server asset {existing}"
            )));
        }
        tx.execute(
            "UPDATE assets SET server_id = ?2, standard = ?3 WHERE id = ?1",
            params![id, server_id, standard],
        )?;
        insert_parts(&tx, id, parts)?;
        tx.commit()?;
        Ok(())
    }

    /// Add newly planned parts (real-time uploads register parts as the file grows).
    pub fn add_parts(&mut self, id: i64, parts: &[PlannedPart]) -> JResult<()> {
        let tx = self.conn.transaction()?;
        state_of(&tx, id)?;
        insert_parts(&tx, id, parts)?;
        tx.commit()?;
        Ok(())
    }

    /// Store a fresh URL for a part (after a re-plan).
    pub fn set_part_url(
        &mut self,
        id: i64,
        number: u32,
        url: &str,
        expires_ms: Option<i64>,
    ) -> JResult<()> {
        let n = self.conn.execute(
            "UPDATE parts SET url = ?3, url_expires_ms = ?4 WHERE asset_id = ?1 AND number = ?2 AND state != 'acked'",
            params![id, number, url, expires_ms],
        )?;
        if n == 0 {
            return Err(JournalError::Invalid(format!(
                "part {number} of asset {id} is unknown or already acknowledged"
            )));
        }
        Ok(())
    }

    /// Forget a part's URL (it expired): the next send asks for a fresh one.
    pub fn clear_part_url(&mut self, id: i64, number: u32) -> JResult<()> {
        self.conn.execute(
            "UPDATE parts SET url = NULL, url_expires_ms = NULL WHERE asset_id = ?1 AND number = ?2 AND state != 'acked'",
            params![id, number],
        )?;
        Ok(())
    }

    /// A standard asset whose URLs expired before any part was acknowledged: forget the server
    /// asset so a new one is created (the API cannot re-issue its URLs). Returns false, changing
    /// nothing, when some part was already acknowledged.
    pub fn reset_unstarted_server_asset(&mut self, id: i64) -> JResult<bool> {
        let tx = self.conn.transaction()?;
        let acked: i64 = tx.query_row(
            "SELECT count(*) FROM parts WHERE asset_id = ?1 AND state = 'acked'",
            [id],
            |r| r.get(0),
        )?;
        if acked > 0 {
            return Ok(false);
        }
        tx.execute("DELETE FROM parts WHERE asset_id = ?1", [id])?;
        tx.execute(
            "UPDATE assets SET server_id = NULL, standard = 0 WHERE id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Note that a part is being sent (its outcome is unknown until acknowledged).
    pub fn mark_sent(&mut self, id: i64, number: u32) -> JResult<()> {
        let n = self.conn.execute(
            "UPDATE parts SET state = 'sent', attempts = attempts + 1
             WHERE asset_id = ?1 AND number = ?2 AND state != 'acked'",
            params![id, number],
        )?;
        if n == 0 {
            return Err(JournalError::Invalid(format!(
                "part {number} of asset {id} is unknown or already acknowledged"
            )));
        }
        Ok(())
    }

    /// A part was acknowledged by the server (2xx). Returns false if it already was (never
    /// counted twice). Progress resets the asset's failure count.
    pub fn ack_part(&mut self, id: i64, number: u32, sha256: &str) -> JResult<bool> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "UPDATE parts SET state = 'acked', sha256 = ?3, acked_ms = ?4
             WHERE asset_id = ?1 AND number = ?2 AND state != 'acked'",
            params![id, number, sha256, now_ms()],
        )?;
        if n == 1 {
            Self::progressed_tx(&tx, id)?;
        }
        tx.commit()?;
        Ok(n == 1)
    }

    /// Put a part back to pending (its send failed).
    pub fn part_failed(&mut self, id: i64, number: u32) -> JResult<()> {
        self.conn.execute(
            "UPDATE parts SET state = 'pending' WHERE asset_id = ?1 AND number = ?2 AND state = 'sent'",
            params![id, number],
        )?;
        Ok(())
    }

    /// The writer of a growing file finished: its size and fingerprint are now final.
    pub fn close_file(
        &mut self,
        id: i64,
        size: u64,
        mtime_ns: i64,
        fingerprint: &str,
    ) -> JResult<()> {
        let n = self.conn.execute(
            "UPDATE assets SET size = ?2, mtime_ns = ?3, fingerprint = ?4, closed = 1 WHERE id = ?1",
            params![id, size as i64, mtime_ns, fingerprint],
        )?;
        if n == 0 {
            return Err(JournalError::NoSuchAsset(id));
        }
        Ok(())
    }

    /// Every part acknowledged and the file closed: the asset is done.
    pub fn complete(&mut self, id: i64) -> JResult<()> {
        let tx = self.conn.transaction()?;
        let (open_parts, all_parts, created, closed, size, acked): (
            i64,
            i64,
            bool,
            bool,
            Option<i64>,
            i64,
        ) = tx.query_row(
            "SELECT (SELECT count(*) FROM parts p WHERE p.asset_id = a.id AND p.state != 'acked'),
                    (SELECT count(*) FROM parts p WHERE p.asset_id = a.id),
                    a.server_id IS NOT NULL, a.closed, a.size,
                    (SELECT coalesce(sum(size), 0) FROM parts p WHERE p.asset_id = a.id AND p.state = 'acked')
             FROM assets a WHERE a.id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
        )?;
        // Done means acknowledged by the server: a server asset and at least one part (an empty
        // file has one empty part), every one acknowledged, covering the whole file.
        if !created || all_parts == 0 || open_parts > 0 || !closed || size != Some(acked) {
            return Err(JournalError::Invalid(format!(
                "asset {id} is not complete: {open_parts} parts left, {acked} of {size:?} bytes acknowledged"
            )));
        }
        Self::set_state_tx(&tx, id, AssetState::Done)?;
        tx.execute(
            "UPDATE assets SET retry_at_ms = NULL, last_error = NULL WHERE id = ?1",
            [id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A failed attempt that may be retried: back to the queue after `retry_at_ms`, or parked as
    /// failed once `max_attempts` attempts in a row made no progress. `counts` is false for
    /// failures that are not the asset's fault (offline): they do not burn attempts.
    pub fn attempt_failed(
        &mut self,
        id: i64,
        error: &str,
        retry_at_ms: i64,
        max_attempts: u32,
        counts: bool,
    ) -> JResult<AssetState> {
        let tx = self.conn.transaction()?;
        let state = state_of(&tx, id)?;
        if !state.is_open() {
            return Ok(state);
        }
        let attempts: u32 =
            tx.query_row("SELECT attempts FROM assets WHERE id = ?1", [id], |r| {
                r.get(0)
            })?;
        let attempts = if counts { attempts + 1 } else { attempts };
        let new_state = if attempts >= max_attempts {
            AssetState::Failed
        } else if state == AssetState::Held {
            AssetState::Held
        } else {
            AssetState::Queued
        };
        tx.execute(
            "UPDATE assets SET attempts = ?2, last_error = ?3, retry_at_ms = ?4 WHERE id = ?1",
            params![id, attempts, error, retry_at_ms],
        )?;
        Self::set_state_tx(&tx, id, new_state)?;
        tx.commit()?;
        Ok(new_state)
    }

    /// Park an asset: failed for good (with its reason) or skipped (paused device).
    pub fn park(&mut self, id: i64, state: AssetState, reason: &str) -> JResult<()> {
        if state.is_open() || state == AssetState::Done {
            return Err(JournalError::Invalid("park takes a terminal state".into()));
        }
        let tx = self.conn.transaction()?;
        let current = state_of(&tx, id)?;
        if current == AssetState::Done {
            return Err(JournalError::Invalid(
                "the asset is already uploaded".into(),
            ));
        }
        tx.execute(
            "UPDATE assets SET last_error = ?2, retry_at_ms = NULL WHERE id = ?1",
            params![id, reason],
        )?;
        Self::set_state_tx(&tx, id, state)?;
        tx.commit()?;
        Ok(())
    }

    /// The user cancels one asset. Returns false if it was not open (done assets stay done).
    pub fn cancel(&mut self, id: i64) -> JResult<bool> {
        let tx = self.conn.transaction()?;
        let state = state_of(&tx, id)?;
        if !state.is_open() {
            return Ok(false);
        }
        Self::set_state_tx(&tx, id, AssetState::Cancelled)?;
        tx.execute("UPDATE assets SET retry_at_ms = NULL WHERE id = ?1", [id])?;
        tx.commit()?;
        Ok(true)
    }

    /// The user cancels everything still open; returns the ids cancelled.
    pub fn cancel_all(&mut self) -> JResult<Vec<i64>> {
        let tx = self.conn.transaction()?;
        let ids: Vec<i64> = {
            let mut stmt =
                tx.prepare("SELECT id FROM assets WHERE state IN ('held','queued','active')")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        for id in &ids {
            Self::set_state_tx(&tx, *id, AssetState::Cancelled)?;
        }
        tx.commit()?;
        Ok(ids)
    }

    /// The user retries a failed, skipped or cancelled asset: back in the queue with a clean
    /// attempt count. Acknowledged parts stay acknowledged; the server asset is kept. If another
    /// entry for the same file is open, that one is the queue's and this call says so.
    pub fn retry(&mut self, id: i64) -> JResult<()> {
        let tx = self.conn.transaction()?;
        let state = state_of(&tx, id)?;
        if !matches!(
            state,
            AssetState::Failed | AssetState::Skipped | AssetState::Cancelled
        ) {
            return Err(JournalError::Invalid(format!(
                "only failed, skipped or cancelled files can be retried (this one is {})",
                state.as_str()
            )));
        }
        let r = tx.execute(
            "UPDATE assets SET state = 'queued', attempts = 0, restarts = 0, retry_at_ms = NULL,
                finished_ms = NULL WHERE id = ?1",
            [id],
        );
        match r {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::ConstraintViolation =>
            {
                return Err(JournalError::Invalid(
                    "this file is already queued again".into(),
                ));
            }
            other => {
                other?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Manual mode: the user selects held assets for upload.
    pub fn select(&mut self, ids: &[i64]) -> JResult<u64> {
        let tx = self.conn.transaction()?;
        let mut n = 0;
        for id in ids {
            n += tx.execute(
                "UPDATE assets SET state = 'queued' WHERE id = ?1 AND state = 'held'",
                [id],
            )? as u64;
        }
        tx.commit()?;
        Ok(n)
    }

    /// Move an asset to the top: it goes before everything else (whatever its kind).
    pub fn move_to_top(&mut self, id: i64) -> JResult<()> {
        let tx = self.conn.transaction()?;
        Self::move_to_top_tx(&tx, id)?;
        tx.commit()?;
        Ok(())
    }

    fn move_to_top_tx(tx: &Connection, id: i64) -> JResult<()> {
        state_of(tx, id)?;
        let (min_prio, min_seq): (i64, i64) = tx.query_row(
            "SELECT coalesce(min(priority), 0), coalesce(min(seq), 0) FROM assets",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        tx.execute(
            "UPDATE assets SET priority = ?2, seq = ?3, retry_at_ms = NULL WHERE id = ?1",
            params![id, min_prio.min(0) - 1, min_seq - 1],
        )?;
        Ok(())
    }

    /// Totals for the status screen: seven maintained rows, however long the queue.
    pub fn totals(&self) -> JResult<Totals> {
        let mut t = Totals::default();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, files, bytes_remaining FROM state_totals")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (state, count, remaining) = row?;
            let count = count.max(0) as u64;
            let state = AssetState::parse(&state);
            match state {
                Some(AssetState::Queued) => t.queued = count,
                Some(AssetState::Active) => t.active = count,
                Some(AssetState::Held) => t.held = count,
                Some(AssetState::Done) => t.done = count,
                Some(AssetState::Failed) => t.failed = count,
                Some(AssetState::Skipped) => t.skipped = count,
                Some(AssetState::Cancelled) => t.cancelled = count,
                None => {}
            }
            if matches!(state, Some(AssetState::Queued | AssetState::Active)) {
                t.files_remaining += count;
                t.bytes_remaining += remaining.max(0) as u64;
            }
        }
        Ok(t)
    }

    /// The totals computed from every row (what `totals` maintains; `check_invariants` compares).
    fn totals_recomputed(&self) -> JResult<Vec<(String, i64, i64)>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.column1, count(a.id), coalesce(sum(CASE WHEN a.size IS NULL THEN 0
                    ELSE max(a.size - (SELECT coalesce(sum(p.size), 0) FROM parts p
                        WHERE p.asset_id = a.id AND p.state = 'acked'), 0) END), 0)
             FROM (VALUES ('held'),('queued'),('active'),('done'),('failed'),('skipped'),('cancelled')) s
             LEFT JOIN assets a ON a.state = s.column1
             GROUP BY s.column1 ORDER BY s.column1",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A persisted queue setting (e.g. auto/manual mode).
    pub fn setting(&self, key: &str) -> JResult<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&mut self, key: &str, value: &str) -> JResult<()> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Check the journal's invariants (tests and the property test call this after every step).
    pub fn check_invariants(&self) -> JResult<()> {
        // The maintained aggregates equal what the rows say.
        let drifted: Option<(i64, i64, i64)> = self
            .conn
            .query_row(
                "SELECT a.id, a.acked_bytes, (SELECT coalesce(sum(p.size), 0) FROM parts p
                    WHERE p.asset_id = a.id AND p.state = 'acked') AS real
                 FROM assets a WHERE a.acked_bytes != real LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        if let Some((id, kept, real)) = drifted {
            return Err(JournalError::Invalid(format!(
                "asset {id}: {kept} acknowledged bytes recorded, {real} in its parts"
            )));
        }
        let kept: Vec<(String, i64, i64)> = {
            let mut stmt = self
                .conn
                .prepare("SELECT state, files, bytes_remaining FROM state_totals ORDER BY state")?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<Result<_, _>>()?
        };
        let real = self.totals_recomputed()?;
        if kept != real {
            return Err(JournalError::Invalid(format!(
                "the maintained totals {kept:?} differ from the rows {real:?}"
            )));
        }
        let dup: i64 = self.conn.query_row(
            "SELECT count(*) FROM (SELECT path FROM assets WHERE state IN ('held','queued','active')
             GROUP BY path HAVING count(*) > 1)",
            [],
            |r| r.get(0),
        )?;
        if dup > 0 {
            return Err(JournalError::Invalid("a file is queued twice".into()));
        }
        // A lease that is out holds its part: sent, or acknowledged by a late report of an
        // earlier lease of the same part. At most one lease of a part is out.
        let loose: Option<(i64, u32)> = self
            .conn
            .query_row(
                "SELECT l.asset_id, l.number FROM leases l LEFT JOIN parts p
                    ON p.asset_id = l.asset_id AND p.number = l.number
                 WHERE l.state = 'out' AND coalesce(p.state, '') NOT IN ('sent', 'acked')
                 UNION ALL
                 SELECT asset_id, number FROM leases WHERE state = 'out'
                 GROUP BY asset_id, number HAVING count(*) > 1 LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, number)) = loose {
            return Err(JournalError::Invalid(format!(
                "asset {id}: part {number} has a lease out but is not being sent (or has two)"
            )));
        }
        let mut stmt = self
            .conn
            .prepare("SELECT id, size, closed FROM assets WHERE server_id IS NOT NULL")?;
        let rows: Vec<(i64, Option<i64>, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        for (id, size, closed) in rows {
            let parts = self.parts(id)?;
            let mut next = 0u64;
            for p in &parts {
                if p.offset != next {
                    return Err(JournalError::Invalid(format!(
                        "asset {id}: part {} starts at {} instead of {next} (a byte range is lost or doubled)",
                        p.number, p.offset
                    )));
                }
                next += p.size;
            }
            let finals = parts.iter().filter(|p| p.is_final).count();
            if finals > 1
                || parts
                    .iter()
                    .any(|p| p.is_final && Some(p.number) != parts.last().map(|l| l.number))
            {
                return Err(JournalError::Invalid(format!("asset {id}: bad final part")));
            }
            if closed && finals == 1 && size.map(|s| s as u64) != Some(next) {
                return Err(JournalError::Invalid(format!(
                    "asset {id}: parts cover {next} bytes of {size:?}"
                )));
            }
        }
        Ok(())
    }
}

/// Upload order: priority, then queue order.
const UPLOAD_ORDER: &str = "a.priority, a.seq, a.id";
/// Most recent first (the completed, failed and cancelled lists).
const RECENT_ORDER: &str = "coalesce(a.finished_ms, a.enqueued_ms) DESC, a.id DESC";

// The lookups every enqueue and every scheduler turn make. Without statistics SQLite may pick
// another index on `state` (and scan every done or queued row), so the two that need a partial
// index name it: SQLite refuses the query rather than scan if the index is ever missing. The
// `hot_queries_use_their_indexes` test checks every plan.
const OPEN_BY_PATH: &str =
    "SELECT id, dev, ino FROM assets WHERE path = ?1 AND state IN ('held','queued','active')";
const OPEN_BY_FILE: &str = "SELECT id, path FROM assets INDEXED BY assets_by_file
    WHERE dev = ?1 AND ino = ?2 AND state IN ('held','queued','active')";
const DONE_BY_FILE: &str = "SELECT id FROM assets INDEXED BY assets_by_file
    WHERE dev = ?1 AND ino = ?2 AND fingerprint = ?3 AND state = 'done'";
const DONE_BY_PATH: &str = "SELECT id FROM assets INDEXED BY assets_done_by_path
    WHERE path = ?1 AND fingerprint = ?2 AND state = 'done'";
const NEXT_SEQ: &str = "SELECT coalesce(max(seq), 0) + 1 FROM assets";
const NEXT_RETRY: &str = "SELECT min(retry_at_ms) FROM assets INDEXED BY assets_retry
    WHERE state = 'queued' AND retry_at_ms IS NOT NULL";

/// Queued assets due at `?1`, in upload order, except those of a paused channel.
fn runnable_sql() -> String {
    format!(
        "{ASSET_SELECT} WHERE a.state = 'queued' AND (a.retry_at_ms IS NULL OR a.retry_at_ms <= ?1)
         AND a.channel NOT IN (SELECT channel FROM channel_settings WHERE paused = 1)
         ORDER BY {UPLOAD_ORDER}"
    )
}

/// The rows of assets in `states`, ordered by `order`, at most `limit`.
fn select_sql(states: &[AssetState], order: &str, limit: Option<u32>) -> String {
    let list = states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(",");
    let limit = limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default();
    format!("{ASSET_SELECT} WHERE a.state IN ({list}) ORDER BY {order}{limit}")
}

const ASSET_SELECT: &str =
    "SELECT a.id, a.path, a.name, a.kind, a.filetype, a.channel, a.size, a.mtime_ns,
    a.media_created_ms, a.fingerprint, a.realtime, a.state, a.priority, a.seq, a.server_id,
    a.attempts, a.last_error, a.retry_at_ms, a.enqueued_ms, a.finished_ms,
    a.acked_bytes, a.closed, a.standard, a.dev, a.ino, a.version_of, a.final_cleared, a.restarts
    FROM assets a";

fn bad_value(col: usize, what: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        col,
        rusqlite::types::Type::Text,
        format!("unknown {what}").into(),
    )
}

fn asset_from_row(r: &Row) -> rusqlite::Result<AssetRow> {
    let kind: String = r.get(3)?;
    let state: String = r.get(11)?;
    Ok(AssetRow {
        id: r.get(0)?,
        path: PathBuf::from(r.get::<_, String>(1)?),
        name: r.get(2)?,
        kind: AssetKind::parse(&kind).ok_or_else(|| bad_value(3, "kind"))?,
        filetype: r.get(4)?,
        channel: r.get(5)?,
        size: r.get::<_, Option<i64>>(6)?.map(|s| s as u64),
        mtime_ns: r.get(7)?,
        media_created_ms: r.get(8)?,
        fingerprint: r.get(9)?,
        realtime: r.get(10)?,
        state: AssetState::parse(&state).ok_or_else(|| bad_value(11, "state"))?,
        priority: r.get(12)?,
        seq: r.get(13)?,
        server_id: r.get(14)?,
        attempts: r.get(15)?,
        last_error: r.get(16)?,
        retry_at_ms: r.get(17)?,
        enqueued_ms: r.get(18)?,
        finished_ms: r.get(19)?,
        acked_bytes: r.get::<_, i64>(20)? as u64,
        closed: r.get(21)?,
        standard: r.get(22)?,
        file_id: match (r.get::<_, Option<i64>>(23)?, r.get::<_, Option<i64>>(24)?) {
            (Some(dev), Some(ino)) => Some((dev as u64, ino as u64)),
            _ => None,
        },
        version_of: r.get(25)?,
        final_cleared: r.get(26)?,
        restarts: r.get(27)?,
    })
}

fn part_from_row(r: &Row) -> rusqlite::Result<PartRow> {
    let state: String = r.get(7)?;
    Ok(PartRow {
        asset_id: r.get(0)?,
        number: r.get(1)?,
        offset: r.get::<_, i64>(2)? as u64,
        size: r.get::<_, i64>(3)? as u64,
        is_final: r.get(4)?,
        url: r.get(5)?,
        url_expires_ms: r.get(6)?,
        state: PartState::parse(&state).ok_or_else(|| bad_value(7, "part state"))?,
        sha256: r.get(8)?,
        attempts: r.get(9)?,
        md5: r.get(10)?,
        verified: r.get(11)?,
        retry_at_ms: r.get(12)?,
        failures: r.get(13)?,
    })
}

fn state_of(tx: &Connection, id: i64) -> JResult<AssetState> {
    let s: String = tx
        .query_row("SELECT state FROM assets WHERE id = ?1", [id], |r| r.get(0))
        .optional()?
        .ok_or(JournalError::NoSuchAsset(id))?;
    AssetState::parse(&s).ok_or_else(|| JournalError::Corrupt(format!("unknown state {s}")))
}

fn insert_parts(tx: &Transaction, id: i64, parts: &[PlannedPart]) -> JResult<()> {
    for p in parts {
        // One final part, and nothing after it.
        let final_part: Option<u32> = tx
            .query_row(
                "SELECT number FROM parts WHERE asset_id = ?1 AND is_final = 1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(f) = final_part
            && (p.number > f || (p.is_final && p.number != f))
        {
            return Err(JournalError::Invalid(format!(
                "part {} of asset {id} would follow or replace its final part {f}",
                p.number
            )));
        }
        if p.number == 0 || p.number > 10_000 {
            return Err(JournalError::Invalid(format!(
                "part number {} out of range",
                p.number
            )));
        }
        let existing: Option<(i64, i64, String)> = tx
            .query_row(
                "SELECT offset, size, state FROM parts WHERE asset_id = ?1 AND number = ?2",
                params![id, p.number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        match existing {
            Some((offset, size, _)) if offset as u64 == p.offset && size as u64 == p.size => {
                // Same part again (a re-registration): keep its state, refresh its URL.
                if let Some(url) = &p.url {
                    tx.execute(
                        "UPDATE parts SET url = ?3, url_expires_ms = ?4, is_final = ?5
                         WHERE asset_id = ?1 AND number = ?2",
                        params![id, p.number, url, p.url_expires_ms, p.is_final],
                    )?;
                }
            }
            Some(_) => {
                return Err(JournalError::Invalid(format!(
                    "part {} of asset {id} is already planned with another byte range",
                    p.number
                )));
            }
            None => {
                // New parts extend the plan in order: no gap and no overlap in the byte ranges.
                let (max_number, end): (u32, i64) = tx.query_row(
                    "SELECT coalesce(max(number), 0), coalesce(sum(size), 0) FROM parts WHERE asset_id = ?1",
                    [id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                if p.number != max_number + 1 || p.offset != end as u64 {
                    return Err(JournalError::Invalid(format!(
                        "part {} of asset {id} at byte {} does not follow part {max_number} ending at {end}",
                        p.number, p.offset
                    )));
                }
                tx.execute(
                    "INSERT INTO parts (asset_id, number, offset, size, is_final, url, url_expires_ms, state)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending')",
                    params![id, p.number, p.offset as i64, p.size as i64, p.is_final, p.url, p.url_expires_ms],
                )?;
            }
        }
    }
    Ok(())
}

fn path_str(p: &Path) -> JResult<&str> {
    p.to_str().ok_or_else(|| {
        JournalError::Invalid(format!("the path {} is not valid UTF-8", p.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(path: &str, kind: AssetKind, size: u64) -> NewAsset {
        NewAsset {
            path: PathBuf::from(path),
            name: Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into(),
            kind,
            filetype: "video/mp4".into(),
            channel: 0,
            size: Some(size),
            mtime_ns: 1,
            media_created_ms: 1,
            fingerprint: Some(format!("fp-{path}-{size}")),
            realtime: false,
            held: false,
            file_id: None,
        }
    }

    fn plan(sizes: &[u64]) -> Vec<PlannedPart> {
        PlannedPart::consecutive(sizes, false, |n| {
            Some(format!("https://s3.example/{}", n - 1))
        })
    }

    /// Queue a new file; its id.
    fn add(j: &mut Journal, path: &str, kind: AssetKind, size: u64) -> i64 {
        j.enqueue(&new(path, kind, size)).unwrap().id()
    }

    /// Queue a hero file of parts of `sizes`, start it and record it created on the server as
    /// `srv`, its parts planned; its id.
    fn created(j: &mut Journal, path: &str, sizes: &[u64]) -> i64 {
        let id = add(j, path, AssetKind::Hero, sizes.iter().sum());
        j.start(id).unwrap();
        j.record_created(id, "srv", false, &plan(sizes)).unwrap();
        id
    }

    /// The ids of up to `limit` files to upload now (besides `running`), in upload order.
    fn runnable(j: &Journal, now_ms: i64, limit: usize, running: &[i64]) -> Vec<i64> {
        let next = j.next_runnable(now_ms, limit, running).unwrap();
        next.iter().map(|a| a.id).collect()
    }

    #[test]
    fn a_late_part_answer_keeps_the_reason_a_file_was_parked() {
        let mut j = Journal::open_in_memory().unwrap();
        let id = created(&mut j, "/m/A009.mov", &[10, 10, 10]);
        j.park(
            id,
            AssetState::Failed,
            "the file changed since it was queued",
        )
        .unwrap();
        // The part that was in flight is answered after the park.
        assert!(j.ack_part(id, 1, "h").unwrap());
        let row = j.asset(id).unwrap();
        assert_eq!(row.state, AssetState::Failed);
        assert_eq!(
            row.last_error.as_deref(),
            Some("the file changed since it was queued")
        );
    }

    #[test]
    fn a_file_is_queued_once_and_uploaded_once() {
        let mut j = Journal::open_in_memory().unwrap();
        let a = new("/m/A001.mov", AssetKind::Hero, 10);
        let id = j.enqueue(&a).unwrap();
        assert!(matches!(id, Enqueued::Added(_)));
        assert_eq!(j.enqueue(&a).unwrap(), Enqueued::AlreadyQueued(id.id()));
        j.start(id.id()).unwrap();
        j.record_created(id.id(), "srv-1", true, &plan(&[10]))
            .unwrap();
        assert!(j.ack_part(id.id(), 1, "h").unwrap());
        assert!(
            !j.ack_part(id.id(), 1, "h").unwrap(),
            "a part is acknowledged once"
        );
        j.complete(id.id()).unwrap();
        assert_eq!(j.enqueue(&a).unwrap(), Enqueued::AlreadyUploaded(id.id()));
        // The same path with other content is a new file.
        let changed = new("/m/A001.mov", AssetKind::Hero, 11);
        assert!(matches!(j.enqueue(&changed).unwrap(), Enqueued::Added(_)));
        j.check_invariants().unwrap();
    }

    #[test]
    fn priorities_and_move_to_top_order_the_queue() {
        let mut j = Journal::open_in_memory().unwrap();
        let hero = add(&mut j, "/m/hero.mov", AssetKind::Hero, 1);
        let other = add(&mut j, "/m/notes.txt", AssetKind::Other, 1);
        let proxy = add(&mut j, "/m/proxy.mp4", AssetKind::Proxy, 1);
        let audio = add(&mut j, "/m/take.wav", AssetKind::Audio, 1);
        assert_eq!(runnable(&j, 0, 10, &[]), [proxy, audio, other, hero]);
        j.move_to_top(hero).unwrap();
        assert_eq!(runnable(&j, 0, 10, &[]), [hero, proxy, audio, other]);
        assert_eq!(runnable(&j, 0, 2, &[hero]), [proxy, audio]);
    }

    #[test]
    fn reconcile_resends_in_flight_parts_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let id = {
            let mut j = Journal::open(&path).unwrap();
            let id = created(&mut j, "/m/a.mov", &[10, 10, 10]);
            j.mark_sent(id, 1).unwrap();
            j.ack_part(id, 1, "h1").unwrap();
            j.mark_sent(id, 2).unwrap();
            id
            // dropped without any shutdown: as after a kill
        };
        let mut j = Journal::open(&path).unwrap();
        let r = j.reconcile().unwrap();
        assert_eq!(
            r,
            Reconciled {
                parts_reset: 1,
                assets_requeued: 1
            }
        );
        let parts = j.parts(id).unwrap();
        let states: Vec<PartState> = parts.iter().map(|p| p.state).collect();
        assert_eq!(
            states,
            [PartState::Acked, PartState::Pending, PartState::Pending]
        );
        let a = j.asset(id).unwrap();
        assert_eq!(a.server_id.as_deref(), Some("srv"));
        assert_eq!(a.state, AssetState::Queued);
        assert_eq!(a.acked_bytes, 10);
        // The server id cannot be replaced by another one.
        assert!(j.record_created(id, "other", false, &[]).is_err());
    }

    #[test]
    fn failures_back_off_then_park_and_progress_resets_the_count() {
        let mut j = Journal::open_in_memory().unwrap();
        let id = created(&mut j, "/m/bad.mov", &[10, 10]);
        assert_eq!(
            j.attempt_failed(id, "500", 100, 3, true).unwrap(),
            AssetState::Queued
        );
        assert!(
            j.next_runnable(50, 10, &[]).unwrap().is_empty(),
            "not before its retry time"
        );
        assert_eq!(j.next_retry_at().unwrap(), Some(100));
        assert_eq!(j.next_runnable(100, 10, &[]).unwrap().len(), 1);
        // Started again and failed again, to be retried at once; the third attempt parks it.
        let fail_again = |j: &mut Journal, error: &str, counts: bool| {
            j.start(id).unwrap();
            j.attempt_failed(id, error, 0, 3, counts).unwrap()
        };
        assert_eq!(fail_again(&mut j, "500", true), AssetState::Queued);
        // Offline does not burn attempts.
        assert_eq!(fail_again(&mut j, "offline", false), AssetState::Queued);
        assert_eq!(j.asset(id).unwrap().attempts, 2);
        // Progress resets.
        j.ack_part(id, 1, "h").unwrap();
        assert_eq!(j.asset(id).unwrap().attempts, 0);
        for _ in 0..2 {
            assert_eq!(fail_again(&mut j, "500", true), AssetState::Queued);
        }
        assert_eq!(fail_again(&mut j, "500 again", true), AssetState::Failed);
        let a = j.asset(id).unwrap();
        assert_eq!(a.last_error.as_deref(), Some("500 again"));
        // The user retries: queued again, acknowledged part kept.
        j.retry(id).unwrap();
        let a = j.asset(id).unwrap();
        assert_eq!(
            (a.state, a.attempts, a.acked_bytes),
            (AssetState::Queued, 0, 10)
        );
    }

    #[test]
    fn cancel_select_and_manual_mode() {
        let mut j = Journal::open_in_memory().unwrap();
        let mut held = new("/m/a.mov", AssetKind::Hero, 1);
        held.held = true;
        let a = j.enqueue(&held).unwrap().id();
        let b = add(&mut j, "/m/b.mov", AssetKind::Hero, 1);
        assert_eq!(j.next_runnable(0, 10, &[]).unwrap().len(), 1);
        assert_eq!(j.select(&[a, b]).unwrap(), 1);
        assert_eq!(j.next_runnable(0, 10, &[]).unwrap().len(), 2);
        assert!(j.cancel(a).unwrap());
        assert!(!j.cancel(a).unwrap());
        assert_eq!(j.cancel_all().unwrap(), vec![b]);
        let t = j.totals().unwrap();
        assert_eq!((t.cancelled, t.files_remaining), (2, 0));
        // A cancelled file can be queued again as a new entry, and then the old one cannot be
        // retried on top of it.
        assert!(matches!(
            j.enqueue(&new("/m/a.mov", AssetKind::Hero, 1)).unwrap(),
            Enqueued::Added(_)
        ));
        assert!(j.retry(a).is_err());
        j.check_invariants().unwrap();
    }

    #[test]
    fn totals_count_files_and_bytes_remaining() {
        let mut j = Journal::open_in_memory().unwrap();
        let a = created(&mut j, "/m/a.mov", &[60, 40]);
        j.enqueue(&new("/m/b.mov", AssetKind::Hero, 50)).unwrap();
        j.ack_part(a, 1, "h").unwrap();
        let t = j.totals().unwrap();
        assert_eq!(
            (t.files_remaining, t.bytes_remaining, t.active, t.queued),
            (2, 90, 1, 1)
        );
        // A growing file's size is not known yet: it adds no bytes (and takes none away).
        let mut rt = new("/m/live.mp4", AssetKind::Proxy, 0);
        (rt.size, rt.fingerprint, rt.realtime) = (None, None, true);
        let live = j.enqueue(&rt).unwrap().id();
        j.start(live).unwrap();
        j.record_created(live, "srv-live", false, &[]).unwrap();
        let mut first = plan(&[30]);
        first[0].is_final = false;
        j.add_parts(live, &first).unwrap();
        j.ack_part(live, 1, "h").unwrap();
        let t = j.totals().unwrap();
        assert_eq!((t.files_remaining, t.bytes_remaining), (3, 90));
        j.check_invariants().unwrap();
    }

    #[test]
    fn realtime_parts_grow_and_close() {
        let mut j = Journal::open_in_memory().unwrap();
        let mut rt = new("/m/growing.mp4", AssetKind::Proxy, 0);
        rt.size = None;
        rt.fingerprint = None;
        rt.realtime = true;
        let id = j.enqueue(&rt).unwrap().id();
        j.start(id).unwrap();
        j.record_created(id, "srv", false, &[]).unwrap();
        j.add_parts(
            id,
            &plan(&[10])[..1]
                .iter()
                .cloned()
                .map(|mut p| {
                    p.is_final = false;
                    p
                })
                .collect::<Vec<_>>(),
        )
        .unwrap();
        j.ack_part(id, 1, "h").unwrap();
        assert!(j.complete(id).is_err(), "not closed yet");
        j.add_parts(
            id,
            &[PlannedPart {
                number: 2,
                offset: 10,
                size: 5,
                is_final: true,
                url: None,
                url_expires_ms: None,
            }],
        )
        .unwrap();
        // A different byte range for a planned part is refused.
        assert!(
            j.add_parts(
                id,
                &[PlannedPart {
                    number: 2,
                    offset: 10,
                    size: 6,
                    is_final: true,
                    url: None,
                    url_expires_ms: None
                }]
            )
            .is_err()
        );
        j.close_file(id, 15, 2, "fp").unwrap();
        j.ack_part(id, 2, "h2").unwrap();
        j.check_invariants().unwrap();
        j.complete(id).unwrap();
        assert_eq!(j.asset(id).unwrap().state, AssetState::Done);
    }

    #[test]
    fn many_files_are_added_in_one_transaction_each_with_its_outcome() {
        let mut j = Journal::open_in_memory().unwrap();
        let first = add(&mut j, "/m/0.mov", AssetKind::Hero, 5);
        let mut bad = new("/m/bad.mov", AssetKind::Hero, 5);
        bad.name = " ".into();
        let batch = vec![
            new("/m/1.mov", AssetKind::Hero, 5),
            bad,
            new("/m/0.mov", AssetKind::Hero, 5),
            new("/m/2.mov", AssetKind::Hero, 5),
        ];
        let r = j.enqueue_many(&batch, true).unwrap();
        assert!(matches!(r[0], Ok(Enqueued::Added(_))));
        assert!(matches!(r[1], Err(JournalError::Invalid(_))));
        assert_eq!(r[2].as_ref().unwrap(), &Enqueued::AlreadyQueued(first));
        assert!(matches!(r[3], Ok(Enqueued::Added(_))));
        // At the top, in the given order, before the file queued earlier.
        let order: Vec<String> = j
            .assets_in(&[AssetState::Queued])
            .unwrap()
            .iter()
            .map(|a| a.name.clone())
            .collect();
        assert_eq!(order, ["1.mov", "2.mov", "0.mov"]);
        j.check_invariants().unwrap();
    }

    #[test]
    fn hot_queries_use_their_indexes() {
        let mut j = Journal::open_in_memory().unwrap();
        for i in 0..50 {
            j.enqueue(&new(&format!("/m/{i}.mov"), AssetKind::Hero, 1))
                .unwrap();
        }
        let plan = |sql: &str| -> String {
            let mut stmt = j
                .conn
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .unwrap();
            let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
            let rows = stmt
                .query_map(rusqlite::params_from_iter(nulls), |r| r.get::<_, String>(3))
                .unwrap()
                .collect::<Result<Vec<_>, _>>()
                .unwrap();
            rows.join("; ")
        };
        let lists = [
            (
                select_sql(&[AssetState::Queued], UPLOAD_ORDER, Some(500)),
                "assets_runnable",
            ),
            (
                select_sql(&[AssetState::Active], UPLOAD_ORDER, None),
                "assets_runnable",
            ),
            (
                select_sql(&[AssetState::Done], RECENT_ORDER, Some(100)),
                "assets_recent",
            ),
            (
                select_sql(&[AssetState::Cancelled], RECENT_ORDER, Some(50)),
                "assets_recent",
            ),
            (runnable_sql(), "assets_runnable"),
        ];
        for (sql, index) in lists {
            let p = plan(&sql);
            assert!(p.contains(index), "{sql}: {p}");
            assert!(!p.contains("TEMP B-TREE"), "sorted by its index: {p}");
        }
        for (sql, index) in [
            (OPEN_BY_PATH, "assets_one_open_per_path (path=?)"),
            (
                DONE_BY_PATH,
                "assets_done_by_path (path=? AND fingerprint=?)",
            ),
            (NEXT_SEQ, "assets_seq"),
            (NEXT_RETRY, "assets_retry"),
            (OPEN_BY_FILE, "assets_by_file (dev=? AND ino=?)"),
            (DONE_BY_FILE, "assets_by_file (dev=? AND ino=?)"),
            (leases::LEASABLE, "parts_sendable"),
            (leases::OUT_EXPIRED, "leases_out"),
            (
                "SELECT state, files, bytes_remaining FROM state_totals",
                "state_totals",
            ),
        ] {
            let p = plan(sql);
            assert!(p.contains(index), "{sql}: {p}");
        }
        // Two states cannot be merged from one index walk, but only their rows are read.
        let p = plan(&select_sql(
            &[AssetState::Failed, AssetState::Skipped],
            RECENT_ORDER,
            Some(200),
        ));
        assert!(p.contains("assets_recent (state=?)"), "{p}");
    }

    #[test]
    fn settings_persist() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.sqlite");
        Journal::open(&path)
            .unwrap()
            .set_setting("mode", "manual")
            .unwrap();
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.setting("mode").unwrap().as_deref(), Some("manual"));
        j.set_setting("mode", "auto").unwrap();
        assert_eq!(j.setting("mode").unwrap().as_deref(), Some("auto"));
        assert_eq!(j.setting("nothing").unwrap(), None);
    }

    #[test]
    fn foreign_newer_and_damaged_files_are_refused_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        // Another app's SQLite database.
        let foreign = dir.path().join("foreign.sqlite");
        {
            let c = Connection::open(&foreign).unwrap();
            c.execute_batch("CREATE TABLE notes(x); INSERT INTO notes VALUES (1);")
                .unwrap();
        }
        assert!(matches!(
            Journal::open(&foreign),
            Err(JournalError::Foreign { .. })
        ));
        let c = Connection::open(&foreign).unwrap();
        assert_eq!(
            c.query_row("SELECT count(*) FROM notes", [], |r| r.get::<_, i64>(0))
                .unwrap(),
            1
        );

        // A journal from a newer app.
        let newer = dir.path().join("newer.sqlite");
        Journal::open(&newer).unwrap();
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            Journal::open(&newer),
            Err(JournalError::TooNew { found: 99, .. })
        ));

        // Not a database at all.
        let garbage = dir.path().join("garbage.sqlite");
        std::fs::write(&garbage, vec![0x42u8; 8192]).unwrap();
        assert!(matches!(
            Journal::open(&garbage),
            Err(JournalError::Corrupt(_))
        ));
        assert_eq!(
            std::fs::read(&garbage).unwrap(),
            vec![0x42u8; 8192],
            "left as it was"
        );
    }
}
