//! The take-log screen (the tablet companion's): every clip with its take mark (scene, take,
//! circle take) and its notes, each note sent or waiting; and the real-time logging triggers.

use std::collections::BTreeMap;

use serde::Serialize;

use super::view::ActionKind;
use crate::notes::{Note, NoteKind, NoteState, TakeLogData, TakeMark};
use crate::queue::{AssetState, FileEntry, Hold, QueueStatus};

/// The most clips the screen lists (newest first).
pub const MAX_CLIPS: usize = 200;

/// One note as listed.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoteRow {
    pub id: i64,
    /// The comment, or what the trigger was (`Channel 1 · input 2 · at 01:00:10:00`).
    pub text: String,
    /// The frame a comment points at.
    pub frame: Option<u64>,
    pub state: NoteState,
    /// E.g. `Sent`, `Waits for the clip's upload`, `Not sent: …`.
    pub detail: String,
    pub actions: Vec<ActionKind>,
}

/// One clip and its log.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TakeClip {
    /// The queued file's id (what `log_take` and `add_note` name).
    pub file_id: i64,
    /// The clip's file name.
    pub clip: String,
    pub scene: String,
    pub take: String,
    pub circled: bool,
    /// `Scene 12A · Take 3`, or `Not logged`.
    pub title: String,
    /// E.g. `2 notes · 1 waiting`.
    pub detail: String,
    /// Newest first.
    pub notes: Vec<NoteRow>,
    pub actions: Vec<ActionKind>,
}

/// The take-log screen.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TakeLogView {
    /// Newest clip first.
    pub clips: Vec<TakeClip>,
    /// Real-time logging triggers, newest first.
    pub triggers: Vec<NoteRow>,
    /// Notes not sent yet.
    pub waiting: u64,
    /// E.g. `3 notes waiting to send`, `All notes sent`, `No notes yet`.
    pub summary: String,
    pub actions: Vec<ActionKind>,
}

fn plural(n: usize, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {one}s")
    }
}

/// What a trigger was, in words.
fn trigger_text(n: &Note) -> String {
    let mut t = format!(
        "Channel {} · input {}",
        n.channel.unwrap_or(0),
        n.input.unwrap_or(0)
    );
    if let Some(s) = &n.start {
        t.push_str(&format!(" · at {s}"));
    }
    if let Some(d) = &n.duration {
        t.push_str(&format!(" · for {d}"));
    }
    t
}

/// Whether the clip's upload has not begun (a comment on it waits for its asset).
fn not_started(f: &FileEntry) -> bool {
    matches!(f.state, AssetState::Held)
        || (f.state == AssetState::Queued && f.uploaded_bytes == 0 && f.sent_bytes == 0)
}

fn note_row(n: &Note, file: Option<&FileEntry>, hold: Option<&Hold>) -> NoteRow {
    let (detail, actions) = match n.state {
        NoteState::Sent => ("Sent".to_string(), vec![]),
        NoteState::Failed => (
            format!(
                "Not sent: {}",
                n.last_error.as_deref().unwrap_or("refused by Frame.io")
            ),
            vec![ActionKind::RetryNote],
        ),
        NoteState::Waiting => {
            let text = if file.is_some_and(not_started) {
                "Waits for the clip's upload to start".to_string()
            } else if matches!(hold, Some(Hold::Offline | Hold::Insecure)) {
                "Waits for the network".to_string()
            } else if let Some(e) = &n.last_error {
                format!("Will try again: {e}")
            } else {
                "Sending".to_string()
            };
            (text, vec![])
        }
    };
    NoteRow {
        id: n.id,
        text: match n.kind {
            NoteKind::Comment => n.text.clone().unwrap_or_default(),
            NoteKind::Trigger => trigger_text(n),
        },
        frame: n.frame,
        state: n.state,
        detail,
        actions,
    }
}

fn title(m: &TakeMark) -> String {
    let parts = m.slate_parts();
    if parts.is_empty() {
        "Not logged".into()
    } else {
        parts.join(" · ")
    }
}

/// Build the take-log screen from the queue and the journal's marks and notes. `connected`:
/// whether a trigger can be written (it needs the device's channels).
pub fn take_log(q: &QueueStatus, data: &TakeLogData, connected: bool) -> TakeLogView {
    use ActionKind as A;
    let files: BTreeMap<i64, &FileEntry> = [
        &q.uploading,
        &q.queued,
        &q.held,
        &q.completed,
        &q.failed,
        &q.cancelled,
    ]
    .into_iter()
    .flatten()
    .map(|f| (f.id, f))
    .collect();
    let marks: BTreeMap<i64, &TakeMark> = data.takes.iter().map(|(id, m)| (*id, m)).collect();
    let mut by_clip: BTreeMap<i64, Vec<&Note>> = BTreeMap::new();
    let mut triggers = Vec::new();
    for n in &data.notes {
        match (n.kind, n.file_id) {
            (NoteKind::Comment, Some(id)) => by_clip.entry(id).or_default().push(n),
            _ => triggers.push(note_row(n, None, q.hold.as_ref())),
        }
    }
    // Every clip of the queue, and any clip with a mark or a note the queue no longer lists.
    let mut ids: Vec<i64> = files
        .keys()
        .chain(marks.keys())
        .chain(by_clip.keys())
        .copied()
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids.dedup();
    ids.truncate(MAX_CLIPS);
    let blank = TakeMark::default();
    let clips = ids
        .into_iter()
        .map(|id| {
            let file = files.get(&id).copied();
            let mark = marks.get(&id).copied().unwrap_or(&blank);
            let notes: Vec<NoteRow> = by_clip
                .get(&id)
                .into_iter()
                .flatten()
                .map(|n| note_row(n, file, q.hold.as_ref()))
                .collect();
            let waiting = notes
                .iter()
                .filter(|n| n.state == NoteState::Waiting)
                .count();
            let detail = match (notes.len(), waiting) {
                (0, _) => "No notes".to_string(),
                (n, 0) => plural(n, "note"),
                (n, w) => format!("{} · {w} waiting", plural(n, "note")),
            };
            let clip = file.map(|f| f.name.clone()).unwrap_or_else(|| {
                by_clip
                    .get(&id)
                    .and_then(|v| v.iter().find_map(|n| n.file_name.clone()))
                    .unwrap_or_else(|| format!("File {id}"))
            });
            TakeClip {
                file_id: id,
                clip,
                scene: mark.scene.clone(),
                take: mark.take.clone(),
                circled: mark.circled,
                title: title(mark),
                detail,
                notes,
                actions: vec![A::LogTake, A::ToggleCircle, A::AddNote],
            }
        })
        .collect::<Vec<_>>();
    let waiting = data
        .notes
        .iter()
        .filter(|n| n.state == NoteState::Waiting)
        .count() as u64;
    let summary = if waiting > 0 {
        format!("{} waiting to send", plural(waiting as usize, "note"))
    } else if data.notes.is_empty() {
        "No notes yet".into()
    } else {
        "All notes sent".into()
    };
    TakeLogView {
        clips,
        triggers,
        waiting,
        summary,
        actions: if connected {
            vec![A::AddTrigger]
        } else {
            vec![]
        },
    }
}
