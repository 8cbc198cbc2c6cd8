//! Take marks: the scene, the take and the "circle take" mark a logger gives a clip (schema v5).
//!
//! The C2C API has no field for them, so the mark travels as a comment on the clip's asset (the
//! "slate" comment, e.g. `Scene 12A · Take 3 · Circle take`), written in the same transaction
//! as the mark: the mark and its comment are never apart, and the comment is sent once like any
//! other note (`notes.rs`). A change writes a new slate comment (Frame.io keeps the history; a
//! comment cannot be edited through C2C); logging the same mark again writes nothing.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::notes::{asset_exists, insert_comment};
use super::{JResult, Journal, JournalError, Note, now_ms};

/// The v5 migration: one mark per clip.
pub(super) const MIGRATION_V5: &str = "
    CREATE TABLE takes (
        asset_id INTEGER PRIMARY KEY REFERENCES assets(id) ON DELETE CASCADE,
        scene TEXT NOT NULL DEFAULT '',
        take TEXT NOT NULL DEFAULT '',
        circled INTEGER NOT NULL DEFAULT 0 CHECK (circled IN (0, 1)),
        updated_ms INTEGER NOT NULL
    );";

/// The longest scene or take name (characters).
pub const MAX_SLATE_CHARS: usize = 32;

/// A clip's take mark. Empty strings: not given.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TakeMark {
    /// E.g. `12A`.
    pub scene: String,
    /// E.g. `3`.
    pub take: String,
    /// The director's "circle take": a keeper.
    pub circled: bool,
}

impl TakeMark {
    /// Trimmed, checked (length, no control characters).
    fn cleaned(&self) -> JResult<TakeMark> {
        let field = |what: &str, v: &str| -> JResult<String> {
            let v = v.trim();
            if v.chars().count() > MAX_SLATE_CHARS {
                return Err(JournalError::Invalid(format!(
                    "a {what} is at most {MAX_SLATE_CHARS} characters"
                )));
            }
            if v.chars().any(char::is_control) {
                return Err(JournalError::Invalid(format!(
                    "a {what} cannot hold control characters"
                )));
            }
            Ok(v.to_string())
        };
        Ok(TakeMark {
            scene: field("scene", &self.scene)?,
            take: field("take", &self.take)?,
            circled: self.circled,
        })
    }

    /// Neither scene, take nor circle.
    pub fn is_blank(&self) -> bool {
        self.scene.is_empty() && self.take.is_empty() && !self.circled
    }

    /// `Scene 12A`, `Take 3`: the parts given.
    pub fn slate_parts(&self) -> Vec<String> {
        let mut parts = Vec::new();
        if !self.scene.is_empty() {
            parts.push(format!("Scene {}", self.scene));
        }
        if !self.take.is_empty() {
            parts.push(format!("Take {}", self.take));
        }
        parts
    }

    /// The slate comment for a change from `before` to `self`.
    pub fn slate_text(&self, before: &TakeMark) -> String {
        let mut parts = self.slate_parts();
        if self.circled {
            parts.push("Circle take".to_string());
        } else if before.circled {
            parts.push("Circle removed".to_string());
        }
        if parts.is_empty() {
            return "Take log cleared".to_string();
        }
        parts.join(" · ")
    }
}

impl Journal {
    /// Give file `file_id` the take mark `mark`. Unless it is the mark it has, the mark and its
    /// slate comment (returned) are written in one transaction; the comment is sent like any
    /// other once the clip's asset exists.
    pub fn log_take(&mut self, file_id: i64, mark: &TakeMark) -> JResult<Option<Note>> {
        let mark = mark.cleaned()?;
        let tx = self.conn.transaction()?;
        asset_exists(&tx, file_id)?;
        let before = take_of(&tx, file_id)?.unwrap_or_default();
        if before == mark {
            return Ok(None);
        }
        tx.execute(
            "INSERT INTO takes (asset_id, scene, take, circled, updated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (asset_id) DO UPDATE SET scene = excluded.scene,
                take = excluded.take, circled = excluded.circled,
                updated_ms = excluded.updated_ms",
            params![file_id, mark.scene, mark.take, mark.circled, now_ms()],
        )?;
        let id = insert_comment(&tx, file_id, &mark.slate_text(&before), None)?;
        tx.commit()?;
        self.note(id).map(Some)
    }

    /// The take mark of file `file_id` (blank when it has none; `NoSuchAsset` when the journal
    /// has no such file).
    pub fn take(&self, file_id: i64) -> JResult<TakeMark> {
        asset_exists(&self.conn, file_id)?;
        Ok(take_of(&self.conn, file_id)?.unwrap_or_default())
    }

    /// Every take mark, by file id, most recently changed first (at most `limit`).
    pub fn takes(&self, limit: u32) -> JResult<Vec<(i64, TakeMark)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT asset_id, scene, take, circled FROM takes
             ORDER BY updated_ms DESC, asset_id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((
                r.get(0)?,
                TakeMark {
                    scene: r.get(1)?,
                    take: r.get(2)?,
                    circled: r.get(3)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn take_of(conn: &rusqlite::Connection, file_id: i64) -> JResult<Option<TakeMark>> {
    Ok(conn
        .query_row(
            "SELECT scene, take, circled FROM takes WHERE asset_id = ?1",
            [file_id],
            |r| {
                Ok(TakeMark {
                    scene: r.get(0)?,
                    take: r.get(1)?,
                    circled: r.get(2)?,
                })
            },
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::journal::NoteState;
    use crate::queue::journal::notes::tests::queue_clip;

    fn mark(scene: &str, take: &str, circled: bool) -> TakeMark {
        TakeMark {
            scene: scene.into(),
            take: take.into(),
            circled,
        }
    }

    #[test]
    fn a_mark_and_its_slate_comment_are_written_together_and_only_on_a_change() {
        let mut j = Journal::open_in_memory().unwrap();
        let a = queue_clip(&mut j, "/card/A001.mov");
        let n = j.log_take(a, &mark(" 12A ", "3", false)).unwrap().unwrap();
        assert_eq!(n.text.as_deref(), Some("Scene 12A · Take 3"));
        assert_eq!(n.state, NoteState::Waiting);
        assert_eq!(n.file_id, Some(a));
        assert_eq!(j.take(a).unwrap(), mark("12A", "3", false));
        // The same mark again: nothing new to tell Frame.io.
        assert!(j.log_take(a, &mark("12A", "3 ", false)).unwrap().is_none());
        let circled = j.log_take(a, &mark("12A", "3", true)).unwrap().unwrap();
        assert_eq!(
            circled.text.as_deref(),
            Some("Scene 12A · Take 3 · Circle take")
        );
        let uncircled = j.log_take(a, &mark("12A", "3", false)).unwrap().unwrap();
        assert_eq!(
            uncircled.text.as_deref(),
            Some("Scene 12A · Take 3 · Circle removed")
        );
        let cleared = j.log_take(a, &TakeMark::default()).unwrap().unwrap();
        assert_eq!(cleared.text.as_deref(), Some("Take log cleared"));
        assert_eq!(j.notes(Some(a), 10).unwrap().len(), 4);
        assert_eq!(j.takes(10).unwrap(), vec![(a, TakeMark::default())]);
    }

    #[test]
    fn bad_marks_are_refused_and_write_nothing() {
        let mut j = Journal::open_in_memory().unwrap();
        let a = queue_clip(&mut j, "/card/A001.mov");
        assert!(matches!(
            j.log_take(a + 1, &mark("1", "1", false)),
            Err(JournalError::NoSuchAsset(_))
        ));
        assert!(matches!(j.take(a + 1), Err(JournalError::NoSuchAsset(_))));
        let long = "x".repeat(MAX_SLATE_CHARS + 1);
        for bad in [mark(&long, "1", false), mark("1", "2\u{7}3", false)] {
            assert!(matches!(j.log_take(a, &bad), Err(JournalError::Invalid(_))));
        }
        assert!(j.notes(None, 10).unwrap().is_empty());
        assert!(j.takes(10).unwrap().is_empty());
    }

    #[test]
    fn marks_follow_their_clip_out_of_the_journal() {
        let mut j = Journal::open_in_memory().unwrap();
        let a = queue_clip(&mut j, "/card/A001.mov");
        let b = queue_clip(&mut j, "/card/A002.mov");
        j.log_take(a, &mark("1", "1", false)).unwrap();
        j.log_take(b, &mark("1", "2", true)).unwrap();
        let takes = j.takes(10).unwrap();
        assert_eq!(takes.len(), 2);
        j.conn
            .execute("DELETE FROM assets WHERE id = ?1", [a])
            .unwrap();
        assert_eq!(j.takes(10).unwrap(), vec![(b, mark("1", "2", true))]);
    }
}
