//! Take-log notes (comments on a file's asset, real-time logging triggers) and per-channel
//! settings: the journal's half (schema v4). A note is written here first, against the local file
//! id, and sent later by [`crate::notes`]; each has a unique key sent as `Idempotency-Key`, and
//! every send attempt is counted in a committed transaction before the request leaves, so a note
//! is never lost and, where the server honours the key, never stored twice.

use rusqlite::{OptionalExtension, Row, params};
use serde::Serialize;

use super::{JResult, Journal, JournalError, now_ms};

/// The v4 migration: notes and channel settings.
pub(super) const MIGRATION_V4: &str = "
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL CHECK (kind IN ('comment','trigger')),
        key TEXT NOT NULL UNIQUE,
        asset_id INTEGER REFERENCES assets(id) ON DELETE CASCADE,
        text TEXT,
        frame INTEGER CHECK (frame IS NULL OR frame >= 0),
        channel INTEGER CHECK (channel IS NULL OR channel BETWEEN 0 AND 100),
        input INTEGER CHECK (input IS NULL OR input >= 0),
        start_tc TEXT,
        duration_tc TEXT,
        rate_num INTEGER,
        rate_den INTEGER,
        created_ms INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('waiting','sent','failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        retry_at_ms INTEGER,
        last_error TEXT,
        sent_ms INTEGER,
        server_ref TEXT,
        CHECK ((kind = 'comment' AND asset_id IS NOT NULL AND text IS NOT NULL)
            OR (kind = 'trigger' AND channel IS NOT NULL AND input IS NOT NULL))
    );
    CREATE INDEX notes_waiting ON notes(state, id) WHERE state = 'waiting';
    CREATE INDEX notes_by_asset ON notes(asset_id) WHERE asset_id IS NOT NULL;
    CREATE TABLE channel_settings (
        channel INTEGER PRIMARY KEY CHECK (channel BETWEEN 0 AND 100),
        paused INTEGER NOT NULL DEFAULT 0,
        offset_secs INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;";

/// The longest comment (characters).
pub const MAX_NOTE_CHARS: usize = 10_000;

/// What a note is.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteKind {
    /// A comment on a file's asset.
    Comment,
    /// A real-time logging trigger on a channel's input.
    Trigger,
}

/// Where a note is.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteState {
    /// Not sent yet: its file has no asset yet, or the network or the server is not there.
    Waiting,
    /// Frame.io acknowledged it.
    Sent,
    /// Frame.io refused it (see `last_error`), or its file will never be uploaded.
    Failed,
}

impl NoteState {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "waiting" => NoteState::Waiting,
            "sent" => NoteState::Sent,
            "failed" => NoteState::Failed,
            _ => return None,
        })
    }
}

/// A frame rate as a rational (`24/1`, `24000/1001`).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct FrameRate {
    pub num: u32,
    pub den: u32,
}

impl FrameRate {
    /// Parse `24`, `23.976`, `29.97`, `59.94`, `24000/1001`.
    pub fn parse(s: &str) -> Option<FrameRate> {
        let s = s.trim();
        let r = if let Some((n, d)) = s.split_once('/') {
            FrameRate {
                num: n.trim().parse().ok()?,
                den: d.trim().parse().ok()?,
            }
        } else {
            match s {
                "23.976" | "23.98" => FrameRate {
                    num: 24000,
                    den: 1001,
                },
                "29.97" => FrameRate {
                    num: 30000,
                    den: 1001,
                },
                "47.952" => FrameRate {
                    num: 48000,
                    den: 1001,
                },
                "59.94" => FrameRate {
                    num: 60000,
                    den: 1001,
                },
                whole => FrameRate {
                    num: whole.parse().ok()?,
                    den: 1,
                },
            }
        };
        r.valid().then_some(r)
    }

    fn valid(&self) -> bool {
        self.num > 0
            && self.den > 0
            && self.num / self.den <= 1000
            && (self.den == 1001 || self.num.is_multiple_of(self.den))
    }

    /// Whole frames per second (the frame field's bound).
    pub fn whole_fps(&self) -> u32 {
        self.num.div_ceil(self.den)
    }
}

impl Default for FrameRate {
    fn default() -> Self {
        FrameRate { num: 24, den: 1 }
    }
}

/// Check a SMPTE timecode `HH:MM:SS:FF` (`;` before the frames for drop-frame) at `rate`.
pub fn check_timecode(tc: &str, rate: FrameRate) -> Result<(), String> {
    let fields: Vec<&str> = tc.split([':', ';']).collect();
    let nums: Vec<Option<u32>> = fields
        .iter()
        .map(|f| {
            (f.len() == 2 && f.chars().all(|c| c.is_ascii_digit()))
                .then(|| f.parse().ok())
                .flatten()
        })
        .collect();
    let [Some(h), Some(m), Some(s), Some(f)] = nums[..] else {
        return Err(format!("timecode {tc:?} must look like HH:MM:SS:FF"));
    };
    if h > 23 || m > 59 || s > 59 || f >= rate.whole_fps() {
        return Err(format!(
            "timecode {tc:?} is out of range at {}/{} fps",
            rate.num, rate.den
        ));
    }
    Ok(())
}

/// One take-log note.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Note {
    pub id: i64,
    pub kind: NoteKind,
    /// The queued file a comment belongs to.
    pub file_id: Option<i64>,
    /// That file's name (as on Frame.io).
    pub file_name: Option<String>,
    pub text: Option<String>,
    /// The frame a comment points at.
    pub frame: Option<u64>,
    pub channel: Option<u32>,
    pub input: Option<u32>,
    pub start: Option<String>,
    pub duration: Option<String>,
    pub rate: Option<FrameRate>,
    /// When it was written (Unix ms).
    pub created_ms: i64,
    pub state: NoteState,
    /// Send attempts started.
    pub attempts: u32,
    pub last_error: Option<String>,
    pub sent_ms: Option<i64>,
}

/// A note due to be sent, with what its request needs.
#[derive(Clone, Debug)]
pub struct DueNote {
    pub note: Note,
    /// The idempotency key (the same on every attempt).
    pub key: String,
    /// A comment's server asset id.
    pub server_asset: Option<String>,
}

/// Local per-channel settings.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChannelSettings {
    /// The channel's `external_index`.
    pub channel: u32,
    /// The planner starts no upload of this channel while paused.
    pub paused: bool,
    /// Seconds added to the `offset` of this channel's uploads and triggers (a source whose
    /// media reaches the engine late).
    pub offset_secs: i64,
}

const NOTE_SELECT: &str = "SELECT n.id, n.kind, n.asset_id, a.name, n.text, n.frame, n.channel,
    n.input, n.start_tc, n.duration_tc, n.rate_num, n.rate_den, n.created_ms, n.state,
    n.attempts, n.last_error, n.sent_ms, n.key, a.server_id
    FROM notes n LEFT JOIN assets a ON a.id = n.asset_id";

fn note_from_row(r: &Row) -> rusqlite::Result<DueNote> {
    let kind = match r.get::<_, String>(1)?.as_str() {
        "comment" => NoteKind::Comment,
        _ => NoteKind::Trigger,
    };
    let state: String = r.get(13)?;
    let rate = match (r.get::<_, Option<u32>>(10)?, r.get::<_, Option<u32>>(11)?) {
        (Some(num), Some(den)) => Some(FrameRate { num, den }),
        _ => None,
    };
    Ok(DueNote {
        note: Note {
            id: r.get(0)?,
            kind,
            file_id: r.get(2)?,
            file_name: r.get(3)?,
            text: r.get(4)?,
            frame: r.get::<_, Option<i64>>(5)?.map(|f| f as u64),
            channel: r.get(6)?,
            input: r.get(7)?,
            start: r.get(8)?,
            duration: r.get(9)?,
            rate,
            created_ms: r.get(12)?,
            state: NoteState::parse(&state).unwrap_or(NoteState::Failed),
            attempts: r.get(14)?,
            last_error: r.get(15)?,
            sent_ms: r.get(16)?,
        },
        key: r.get(17)?,
        server_asset: r.get(18)?,
    })
}

/// `NoSuchAsset` unless the journal has file `file_id`.
pub(super) fn asset_exists(tx: &rusqlite::Connection, file_id: i64) -> JResult<()> {
    let exists: Option<i64> = tx
        .query_row("SELECT id FROM assets WHERE id = ?1", [file_id], |r| {
            r.get(0)
        })
        .optional()?;
    exists.map(|_| ()).ok_or(JournalError::NoSuchAsset(file_id))
}

/// Insert a waiting comment (already checked) on file `file_id`; its note id.
pub(super) fn insert_comment(
    tx: &rusqlite::Connection,
    file_id: i64,
    text: &str,
    frame: Option<u64>,
) -> JResult<i64> {
    tx.execute(
        "INSERT INTO notes (kind, key, asset_id, text, frame, created_ms, state)
         VALUES ('comment', ?1, ?2, ?3, ?4, ?5, 'waiting')",
        params![
            uuid::Uuid::new_v4().to_string(),
            file_id,
            text,
            frame.map(|f| f as i64),
            now_ms()
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Journal {
    /// Write a comment on the queued file `file_id` (sent once the file's asset exists).
    pub fn add_comment(&mut self, file_id: i64, text: &str, frame: Option<u64>) -> JResult<Note> {
        let text = text.trim();
        if text.is_empty() {
            return Err(JournalError::Invalid("a comment needs some text".into()));
        }
        if text.chars().count() > MAX_NOTE_CHARS {
            return Err(JournalError::Invalid(format!(
                "a comment is at most {MAX_NOTE_CHARS} characters"
            )));
        }
        if frame.is_some_and(|f| f > i64::MAX as u64) {
            return Err(JournalError::Invalid(
                "the frame number is too large".into(),
            ));
        }
        let tx = self.conn.transaction()?;
        asset_exists(&tx, file_id)?;
        let id = insert_comment(&tx, file_id, text, frame)?;
        tx.commit()?;
        self.note(id)
    }

    /// Write a real-time logging trigger on input `input` of channel `channel`.
    pub fn add_trigger(
        &mut self,
        channel: u32,
        input: u32,
        start: Option<&str>,
        duration: Option<&str>,
        rate: FrameRate,
    ) -> JResult<Note> {
        if channel > 100 {
            return Err(JournalError::Invalid(
                "a channel index is within 0..=100".into(),
            ));
        }
        if input > 99 {
            return Err(JournalError::Invalid(
                "an input index is within 0..=99".into(),
            ));
        }
        if !rate.valid() {
            return Err(JournalError::Invalid(format!(
                "{}/{} is not a frame rate",
                rate.num, rate.den
            )));
        }
        for tc in [start, duration].into_iter().flatten() {
            check_timecode(tc, rate).map_err(JournalError::Invalid)?;
        }
        let timed = start.is_some() || duration.is_some();
        self.conn.execute(
            "INSERT INTO notes (kind, key, channel, input, start_tc, duration_tc, rate_num,
                rate_den, created_ms, state)
             VALUES ('trigger', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'waiting')",
            params![
                uuid::Uuid::new_v4().to_string(),
                channel,
                input,
                start,
                duration,
                timed.then_some(rate.num),
                timed.then_some(rate.den),
                now_ms()
            ],
        )?;
        let id = self.conn.last_insert_rowid();
        self.note(id)
    }

    pub fn note(&self, id: i64) -> JResult<Note> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!("{NOTE_SELECT} WHERE n.id = ?1"))?;
        stmt.query_row([id], note_from_row)
            .optional()?
            .map(|d| d.note)
            .ok_or_else(|| JournalError::Invalid(format!("no note with id {id}")))
    }

    /// Notes, newest first (of one file when `file_id` is given), at most `limit`.
    pub fn notes(&self, file_id: Option<i64>, limit: u32) -> JResult<Vec<Note>> {
        let sql = match file_id {
            Some(_) => format!("{NOTE_SELECT} WHERE n.asset_id = ?1 ORDER BY n.id DESC LIMIT ?2"),
            None => format!("{NOTE_SELECT} WHERE ?1 IS NULL ORDER BY n.id DESC LIMIT ?2"),
        };
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(params![file_id, limit], note_from_row)?;
        Ok(rows.map(|r| r.map(|d| d.note)).collect::<Result<_, _>>()?)
    }

    /// Waiting notes that can be sent at `now`: triggers, and comments whose file has an asset,
    /// oldest first. Comments on files that will never have one (cancelled, skipped) fail here.
    pub fn due_notes(&mut self, now: i64, limit: u32) -> JResult<Vec<DueNote>> {
        self.conn.execute(
            "UPDATE notes SET state = 'failed',
                last_error = 'the file was not uploaded (cancelled or skipped)'
             WHERE state = 'waiting' AND asset_id IN (SELECT id FROM assets
                WHERE state IN ('cancelled','skipped') AND server_id IS NULL)",
            [],
        )?;
        let mut stmt = self.conn.prepare_cached(&format!(
            "{NOTE_SELECT} WHERE n.state = 'waiting'
                AND (n.retry_at_ms IS NULL OR n.retry_at_ms <= ?1)
                AND (n.kind = 'trigger' OR a.server_id IS NOT NULL)
             ORDER BY n.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![now, limit], note_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The earliest retry time of a waiting note that is otherwise sendable.
    pub fn next_note_retry(&self) -> JResult<Option<i64>> {
        Ok(self.conn.query_row(
            "SELECT min(n.retry_at_ms) FROM notes n LEFT JOIN assets a ON a.id = n.asset_id
             WHERE n.state = 'waiting' AND n.retry_at_ms IS NOT NULL
                AND (n.kind = 'trigger' OR a.server_id IS NOT NULL)",
            [],
            |r| r.get(0),
        )?)
    }

    /// Count a send attempt (committed before the request leaves).
    pub fn note_attempt(&mut self, id: i64) -> JResult<u32> {
        Ok(self.conn.query_row(
            "UPDATE notes SET attempts = attempts + 1 WHERE id = ?1 AND state = 'waiting'
             RETURNING attempts",
            [id],
            |r| r.get(0),
        )?)
    }

    pub fn note_sent(&mut self, id: i64, server_ref: Option<&str>) -> JResult<()> {
        self.conn.execute(
            "UPDATE notes SET state = 'sent', sent_ms = ?2, server_ref = ?3, retry_at_ms = NULL,
                last_error = NULL
             WHERE id = ?1 AND state = 'waiting'",
            params![id, now_ms(), server_ref],
        )?;
        Ok(())
    }

    pub fn note_retry(&mut self, id: i64, retry_at_ms: i64, error: &str) -> JResult<()> {
        self.conn.execute(
            "UPDATE notes SET retry_at_ms = ?2, last_error = ?3 WHERE id = ?1 AND state = 'waiting'",
            params![id, retry_at_ms, error],
        )?;
        Ok(())
    }

    pub fn note_failed(&mut self, id: i64, error: &str) -> JResult<()> {
        self.conn.execute(
            "UPDATE notes SET state = 'failed', last_error = ?2, retry_at_ms = NULL
             WHERE id = ?1 AND state = 'waiting'",
            params![id, error],
        )?;
        Ok(())
    }

    /// The network is back: waiting notes go now rather than at the end of their backoff.
    pub fn notes_retry_now(&mut self) -> JResult<usize> {
        Ok(self.conn.execute(
            "UPDATE notes SET retry_at_ms = NULL WHERE state = 'waiting' AND retry_at_ms IS NOT NULL",
            [],
        )?)
    }

    /// Waiting notes (all, sendable or not).
    pub fn notes_waiting(&self) -> JResult<u64> {
        let n: i64 = self.conn.query_row(
            "SELECT count(*) FROM notes WHERE state = 'waiting'",
            [],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// A failed note goes back to waiting (the user asked to try again).
    pub fn retry_note(&mut self, id: i64) -> JResult<()> {
        let n = self.conn.execute(
            "UPDATE notes SET state = 'waiting', retry_at_ms = NULL WHERE id = ?1 AND state = 'failed'",
            [id],
        )?;
        if n == 0 {
            return Err(JournalError::Invalid(format!(
                "no failed note with id {id}"
            )));
        }
        Ok(())
    }

    /// Settings of every channel that has any (others are unpaused with no offset).
    pub fn channel_settings(&self) -> JResult<Vec<ChannelSettings>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT channel, paused, offset_secs FROM channel_settings ORDER BY channel",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(ChannelSettings {
                channel: r.get(0)?,
                paused: r.get(1)?,
                offset_secs: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn channel_setting(&self, channel: u32) -> JResult<ChannelSettings> {
        Ok(self
            .conn
            .query_row(
                "SELECT paused, offset_secs FROM channel_settings WHERE channel = ?1",
                [channel],
                |r| {
                    Ok(ChannelSettings {
                        channel,
                        paused: r.get(0)?,
                        offset_secs: r.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or(ChannelSettings {
                channel,
                ..Default::default()
            }))
    }

    fn check_channel(channel: u32) -> JResult<()> {
        if channel > 100 {
            return Err(JournalError::Invalid(
                "a channel index is within 0..=100".into(),
            ));
        }
        Ok(())
    }

    /// Set one column (`paused`, `offset_secs`) of a checked channel's settings, creating its
    /// row.
    fn set_channel_column(
        &mut self,
        channel: u32,
        column: &'static str,
        value: &dyn rusqlite::ToSql,
    ) -> JResult<()> {
        self.conn.execute(
            &format!(
                "INSERT INTO channel_settings (channel, {column}) VALUES (?1, ?2)
                 ON CONFLICT (channel) DO UPDATE SET {column} = excluded.{column}"
            ),
            params![channel, value],
        )?;
        Ok(())
    }

    pub fn set_channel_paused(&mut self, channel: u32, paused: bool) -> JResult<()> {
        Self::check_channel(channel)?;
        self.set_channel_column(channel, "paused", &paused)
    }

    pub fn set_channel_offset(&mut self, channel: u32, offset_secs: i64) -> JResult<()> {
        Self::check_channel(channel)?;
        if offset_secs.unsigned_abs() > 86_400 {
            return Err(JournalError::Invalid(
                "a channel offset is within one day".into(),
            ));
        }
        self.set_channel_column(channel, "offset_secs", &offset_secs)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The ids of the notes due now.
    fn due_ids(j: &mut Journal) -> Vec<i64> {
        let due = j.due_notes(now_ms(), 10).unwrap();
        due.iter().map(|d| d.note.id).collect()
    }

    /// Queue a 10-byte hero clip at `path`; its id.
    /// A 10-byte clip queued at `path` (also used by `takes.rs`).
    pub(in crate::queue::journal) fn queue_clip(j: &mut Journal, path: &str) -> i64 {
        let name = path.rsplit('/').next().unwrap().to_string();
        j.enqueue(&super::super::NewAsset {
            path: path.into(),
            name,
            kind: super::super::AssetKind::Hero,
            filetype: "video/quicktime".into(),
            channel: 0,
            size: Some(10),
            mtime_ns: 0,
            media_created_ms: 0,
            fingerprint: Some("f".into()),
            realtime: false,
            held: false,
            file_id: None,
        })
        .unwrap()
        .id()
    }

    #[test]
    fn frame_rates_and_timecodes() {
        assert_eq!(FrameRate::parse("24"), Some(FrameRate { num: 24, den: 1 }));
        assert_eq!(
            FrameRate::parse("23.976"),
            Some(FrameRate {
                num: 24000,
                den: 1001
            })
        );
        assert_eq!(
            FrameRate::parse("30000/1001"),
            Some(FrameRate {
                num: 30000,
                den: 1001
            })
        );
        assert_eq!(FrameRate::parse("0"), None);
        assert_eq!(FrameRate::parse("24001/1000"), None);
        assert_eq!(FrameRate::parse("fast"), None);
        let r24 = FrameRate::default();
        assert!(check_timecode("01:00:00:23", r24).is_ok());
        assert!(check_timecode("01:00:00;23", r24).is_ok());
        assert!(check_timecode("01:00:00:24", r24).is_err());
        assert!(check_timecode("1:00:00:00", r24).is_err());
        assert!(check_timecode("24:00:00:00", r24).is_err());
        assert!(check_timecode("01:00:00", r24).is_err());
    }

    #[test]
    fn notes_wait_for_their_asset_and_are_sent_once() {
        let mut j = Journal::open_in_memory().unwrap();
        let id = queue_clip(&mut j, "/tmp/A001.mov");
        assert!(matches!(
            j.add_comment(id + 1, "x", None),
            Err(JournalError::NoSuchAsset(_))
        ));
        assert!(j.add_comment(id, "  ", None).is_err());
        let c = j.add_comment(id, "circle take", Some(12)).unwrap();
        let t = j
            .add_trigger(0, 1, Some("01:00:00:00"), None, FrameRate::default())
            .unwrap();
        assert!(
            j.add_trigger(0, 1, Some("01:00:00:30"), None, FrameRate::default())
                .is_err()
        );
        // The comment waits for its asset; the trigger is due.
        assert_eq!(due_ids(&mut j), [t.id]);
        j.start(id).unwrap();
        j.record_created(id, "srv-1", true, &[]).unwrap();
        let due = j.due_notes(now_ms(), 10).unwrap();
        assert_eq!(due.len(), 2);
        assert_eq!(due[0].server_asset.as_deref(), Some("srv-1"));
        assert_eq!(j.note_attempt(c.id).unwrap(), 1);
        j.note_sent(c.id, Some("cmt")).unwrap();
        // Sent once: a late duplicate report changes nothing, it is not due again.
        j.note_failed(c.id, "late").unwrap();
        assert_eq!(j.note(c.id).unwrap().state, NoteState::Sent);
        assert_eq!(due_ids(&mut j), [t.id]);
        j.note_retry(t.id, now_ms() + 60_000, "offline").unwrap();
        assert!(j.due_notes(now_ms(), 10).unwrap().is_empty());
        assert!(j.next_note_retry().unwrap().is_some());
        assert_eq!(j.notes_retry_now().unwrap(), 1);
        assert_eq!(j.due_notes(now_ms(), 10).unwrap().len(), 1);
        assert_eq!(j.notes(Some(id), 10).unwrap().len(), 1);
        assert_eq!(j.notes(None, 10).unwrap().len(), 2);
    }

    #[test]
    fn comments_on_files_that_will_never_upload_fail() {
        let mut j = Journal::open_in_memory().unwrap();
        let id = queue_clip(&mut j, "/tmp/B.mov");
        let c = j.add_comment(id, "note", None).unwrap();
        j.cancel(id).unwrap();
        assert!(j.due_notes(now_ms(), 10).unwrap().is_empty());
        assert_eq!(j.note(c.id).unwrap().state, NoteState::Failed);
    }

    #[test]
    fn channel_settings_persist_and_hold_the_channel() {
        let mut j = Journal::open_in_memory().unwrap();
        assert!(!j.channel_setting(2).unwrap().paused);
        j.set_channel_paused(2, true).unwrap();
        j.set_channel_offset(2, 5).unwrap();
        assert_eq!(
            j.channel_settings().unwrap(),
            [ChannelSettings {
                channel: 2,
                paused: true,
                offset_secs: 5
            }]
        );
        assert!(j.set_channel_paused(101, true).is_err());
        assert!(j.set_channel_offset(1, 100_000).is_err());
    }
}
