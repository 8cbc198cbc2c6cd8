//! The queue's status for UIs: totals, per-file progress and rate, and the queued / uploading /
//! completed / failed lists with reasons. Pushed to listeners and readable as a snapshot.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::journal::{AssetKind, AssetRow, AssetState, Totals};

impl AssetState {
    /// Every state, in life order (for listing the whole queue).
    pub const ALL: [AssetState; 7] = [
        AssetState::Held,
        AssetState::Queued,
        AssetState::Active,
        AssetState::Done,
        AssetState::Failed,
        AssetState::Skipped,
        AssetState::Cancelled,
    ];
}

/// Auto: files handed to the engine are queued. Manual: they wait for the user's selection.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum QueueMode {
    #[default]
    Auto,
    Manual,
}

/// Why the queue is not uploading right now.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum Hold {
    /// The user paused the queue.
    PausedByUser,
    /// No network (reported by the host or inferred from failed requests).
    Offline,
    /// Not paired (or the device was forgotten).
    NotAuthorized,
    /// Paired but not connected to a project.
    NotConnected,
    /// The OS suspended the app's work (background time ran out); not the user's pause. The
    /// platform's background transfers go on.
    Suspended,
    /// Frame.io cannot be reached securely (TLS failed: a captive portal, or a clock far off).
    Insecure,
}

/// One file in a list.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileEntry {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub kind: AssetKind,
    pub state: AssetState,
    /// `None` while a growing file is still being written.
    pub size: Option<u64>,
    /// Acknowledged by the server.
    pub uploaded_bytes: u64,
    /// Acknowledged plus in flight (what a progress bar shows).
    pub sent_bytes: u64,
    /// Bytes per second over the last seconds (uploading files only).
    pub rate_bps: f64,
    pub attempts: u32,
    /// Why it failed or was skipped; the last error while it retries.
    pub reason: Option<String>,
    pub realtime: bool,
    /// When it will be tried again (waiting after a failure). Serialized as Unix ms.
    #[serde(rename = "retry_at_ms", with = "chrono::serde::ts_milliseconds_option")]
    pub retry_at: Option<DateTime<Utc>>,
}

impl FileEntry {
    pub fn from_row(row: &AssetRow, in_flight: u64, rate_bps: f64) -> Self {
        Self {
            id: row.id,
            name: row.name.clone(),
            path: row.path.to_string_lossy().into_owned(),
            kind: row.kind,
            state: row.state,
            size: row.size,
            uploaded_bytes: row.acked_bytes,
            sent_bytes: row.acked_bytes + in_flight,
            rate_bps,
            attempts: row.attempts,
            reason: row.last_error.clone(),
            realtime: row.realtime && !row.closed,
            retry_at: row.retry_at_ms.and_then(DateTime::from_timestamp_millis),
        }
    }
}

/// Everything a queue screen shows.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct QueueStatus {
    pub mode: QueueMode,
    pub hold: Option<Hold>,
    pub totals: Totals,
    /// Aggregate upload rate, bytes per second.
    pub rate_bps: f64,
    pub uploading: Vec<FileEntry>,
    /// In upload order.
    pub queued: Vec<FileEntry>,
    /// Manual mode: waiting for selection.
    pub held: Vec<FileEntry>,
    /// Most recent first.
    pub completed: Vec<FileEntry>,
    /// Failed and skipped, most recent first, with reasons.
    pub failed: Vec<FileEntry>,
    pub cancelled: Vec<FileEntry>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_time_serializes_as_unix_ms() {
        let mut f = FileEntry {
            id: 1,
            name: "a.mov".into(),
            path: "/m/a.mov".into(),
            kind: AssetKind::Proxy,
            state: AssetState::Queued,
            size: Some(10),
            uploaded_bytes: 0,
            sent_bytes: 0,
            rate_bps: 0.0,
            attempts: 1,
            reason: None,
            realtime: false,
            retry_at: DateTime::from_timestamp_millis(1_767_225_660_123),
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(v["retry_at_ms"], 1_767_225_660_123_i64);
        assert!(v.get("retry_at").is_none());
        f.retry_at = None;
        assert!(serde_json::to_value(&f).unwrap()["retry_at_ms"].is_null());
    }
}
