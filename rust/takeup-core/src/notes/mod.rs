//! Take logging: comments on a file's asset and real-time logging triggers, written durably in
//! the journal first and sent by one background sender; and the device's channels.
//!
//! A note is written against the local file id (a comment) or a channel index and input (a
//! trigger) and waits in the journal: a comment until its file has a server asset (written
//! offline, or before the upload starts, it waits), every note while the network or Frame.io is
//! not there (the user's pause of the uploads does not hold them: a note is a few bytes). The
//! sender (in the process that runs the uploader: one per queue) sends the due
//! ones oldest first; transient failures (network, 429, 5xx, a refused token) back off from 1 s to
//! 60 s and are retried without limit, and the backoff is cut short when the network returns; a
//! refusal (400, 403, a 404 twice) fails the note with the server's reason.
//!
//! Exactly once: each note has a key, sent as `Idempotency-Key` on every attempt, and the attempt
//! is counted in a committed transaction before the request leaves. A lost answer or a kill
//! between the send and the commit of "sent" resends with the same key: a server that honours
//! the key (the emulator does) stores it once. Frame.io documents no such key, so there one
//! duplicate is possible in that window, never a loss (docs/reliability.md).
//!
//! A trigger's `offset` is computed when it is sent (seconds since it was written, plus its
//! channel's offset), so a trigger sent late still points at the moment it was pressed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::client::AuthorizedClient;
use crate::error::{Error, Result};
use crate::queue::journal::{DueNote, Journal, JournalError};
use crate::queue::{Hold, QueueStatus};

pub use crate::queue::journal::{ChannelSettings, FrameRate, Note, NoteKind, NoteState, TakeMark};

/// The journal's half of the take-log screen.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TakeLogData {
    /// Every take mark by file id.
    pub takes: Vec<(i64, TakeMark)>,
    /// The newest notes, newest first.
    pub notes: Vec<Note>,
}

/// Longest wait between two looks at the journal (notes written by another process).
const IDLE_POLL: Duration = Duration::from_secs(5);
const BACKOFF_BASE_MS: i64 = 1_000;
const BACKOFF_MAX_MS: i64 = 60_000;
/// Notes sent per turn.
const BATCH: u32 = 16;

/// A channel of this device as Frame.io lists it, with its local settings.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeviceChannel {
    /// `external_index` (0 is the device itself).
    pub index: u32,
    /// Frame.io's channel id.
    pub id: String,
    pub name: String,
    /// `online` or `offline`.
    pub status: String,
    pub real_time_logging_capable: bool,
    /// Paused locally: the planner starts none of its uploads.
    pub paused: bool,
    /// Seconds added to the offset of its uploads and triggers.
    pub offset_secs: i64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) async fn db<T: Send + 'static>(
    journal: &Arc<Mutex<Journal>>,
    f: impl FnOnce(&mut Journal) -> std::result::Result<T, JournalError> + Send + 'static,
) -> Result<T> {
    let j = journal.clone();
    tokio::task::spawn_blocking(move || f(&mut lock(&j)))
        .await
        .map_err(|_| Error::Storage("the journal task stopped".into()))?
        .map_err(|e| match e {
            JournalError::Invalid(m) => Error::BadRequest { detail: m },
            JournalError::NoSuchAsset(id) => Error::NotFound {
                detail: format!("no queued file with id {id}"),
            },
            other => Error::Storage(other.to_string()),
        })
}

/// Parse the channels of `GET /v2/devices/me`.
pub(crate) fn parse_channels(me: &Value) -> Vec<DeviceChannel> {
    let mut out: Vec<DeviceChannel> = me
        .get("channels")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| {
                    let index = c.get("external_index")?.as_f64()?;
                    if !(0.0..=100.0).contains(&index) || index.fract() != 0.0 {
                        return None;
                    }
                    Some(DeviceChannel {
                        index: index as u32,
                        id: c.get("id")?.as_str()?.to_string(),
                        name: c
                            .get("name")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        status: c
                            .get("status")
                            .and_then(Value::as_str)
                            .unwrap_or("offline")
                            .to_string(),
                        real_time_logging_capable: c
                            .get("real_time_logging_capable")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        paused: false,
                        offset_secs: 0,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|c| c.index);
    out
}

/// The device's channels from Frame.io, with the local settings merged in.
pub(crate) async fn list_channels(
    api: &AuthorizedClient,
    journal: &Arc<Mutex<Journal>>,
) -> Result<Vec<DeviceChannel>> {
    let me: Value = api.get("/v2/devices/me").await?.json()?;
    let mut list = parse_channels(&me);
    let settings = db(journal, |j| j.channel_settings()).await?;
    for c in &mut list {
        if let Some(s) = settings.iter().find(|s| s.channel == c.index) {
            c.paused = s.paused;
            c.offset_secs = s.offset_secs;
        }
    }
    Ok(list)
}

/// `POST /v2/devices/channels` with a hardware id for the new channel (a new UUID when none).
pub(crate) async fn create_channel(
    api: &AuthorizedClient,
    journal: &Arc<Mutex<Journal>>,
    client_id: Option<String>,
) -> Result<DeviceChannel> {
    let client_id = client_id
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // The same key for the same channel identity: a resend after a lost answer creates it once
    // where the key is honoured (else Frame.io answers 409 for the duplicate client_id).
    let key = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_OID, client_id.as_bytes()).to_string();
    let body = json!({ "client_id": client_id });
    let resp = api
        .execute(&|h| {
            Ok(h.request(reqwest::Method::POST, "/v2/devices/channels")?
                .header("idempotency-key", key.as_str())
                .json(&body))
        })
        .await?;
    let v: Value = resp.json()?;
    let made = parse_channels(&json!({ "channels": [v] }));
    let made = made
        .into_iter()
        .next()
        .ok_or_else(|| Error::UnexpectedResponse("the channel answer has no id or index".into()))?;
    let index = made.index;
    let s = db(journal, move |j| j.channel_setting(index)).await?;
    Ok(DeviceChannel {
        paused: s.paused,
        offset_secs: s.offset_secs,
        ..made
    })
}

/// Disconnect channel `index` (its id looked up in the device's channels).
pub(crate) async fn disconnect_channel(api: &AuthorizedClient, index: u32) -> Result<()> {
    let me: Value = api.get("/v2/devices/me").await?.json()?;
    let Some(c) = parse_channels(&me).into_iter().find(|c| c.index == index) else {
        return Err(Error::NotFound {
            detail: format!("this device has no channel {index}"),
        });
    };
    api.post_empty(&format!("/v2/devices/channels/{}/disconnect", c.id))
        .await?;
    Ok(())
}

/// Disconnect every channel but channel 0.
pub(crate) async fn disconnect_all_channels(api: &AuthorizedClient) -> Result<()> {
    api.post_empty("/v2/devices/channels/disconnect").await?;
    Ok(())
}

/// The sender: runs until `shutdown` in the process that runs the uploader.
pub(crate) struct Sender {
    pub journal: Arc<Mutex<Journal>>,
    pub api: AuthorizedClient,
    pub wake: Arc<Notify>,
    /// Bumped after each note's outcome is recorded.
    pub changed: Arc<watch::Sender<u64>>,
    pub queue: watch::Receiver<QueueStatus>,
    pub shutdown: CancellationToken,
    /// Channel index → Frame.io channel id (from `GET /v2/devices/me`).
    pub channels: HashMap<u32, String>,
}

fn blocked(hold: &Option<Hold>) -> bool {
    matches!(
        hold,
        Some(Hold::Offline | Hold::Insecure | Hold::NotAuthorized | Hold::NotConnected)
    )
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

enum Outcome {
    Sent(Option<String>),
    Retry(String),
    Fail(String),
}

impl Sender {
    pub(crate) async fn run(mut self) {
        let mut was_blocked = blocked(&self.queue.borrow().hold);
        loop {
            if self.shutdown.is_cancelled() {
                break;
            }
            let is_blocked = blocked(&self.queue.borrow_and_update().hold);
            if was_blocked && !is_blocked {
                // The link (or the authorization) is back: what waited goes now.
                let _ = db(&self.journal, |j| j.notes_retry_now()).await;
            }
            was_blocked = is_blocked;
            let mut wait = IDLE_POLL;
            if !is_blocked {
                match db(&self.journal, |j| j.due_notes(now_ms(), BATCH)).await {
                    Ok(due) => {
                        let full = due.len() as u32 == BATCH;
                        for d in due {
                            if self.shutdown.is_cancelled() {
                                return;
                            }
                            self.send(d).await;
                        }
                        if full {
                            continue;
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot read the take-log notes"),
                }
                if let Ok(Some(at)) = db(&self.journal, |j| j.next_note_retry()).await {
                    wait = wait.min(Duration::from_millis((at - now_ms()).max(0) as u64));
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                r = self.queue.changed() => {
                    if r.is_err() {
                        // The queue has stopped: so does its sender.
                        break;
                    }
                }
                _ = tokio::time::sleep(wait) => {}
                _ = self.shutdown.cancelled() => break,
            }
        }
    }

    async fn send(&mut self, d: DueNote) {
        let id = d.note.id;
        // Counted and committed before the request leaves (see the module docs).
        match db(&self.journal, move |j| j.note_attempt(id)).await {
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(id, error = %e, "cannot record a note attempt; not sending");
                return;
            }
        }
        let attempts = d.note.attempts + 1;
        let outcome = match d.note.kind {
            NoteKind::Comment => self.send_comment(&d).await,
            NoteKind::Trigger => self.send_trigger(&d).await,
        };
        let r = match outcome {
            Outcome::Sent(server_ref) => {
                tracing::info!(id, kind = ?d.note.kind, "take-log note sent");
                db(&self.journal, move |j| {
                    j.note_sent(id, server_ref.as_deref())
                })
                .await
            }
            Outcome::Retry(why) => {
                let backoff = (BACKOFF_BASE_MS << attempts.min(6)).min(BACKOFF_MAX_MS);
                tracing::debug!(id, why, backoff, "take-log note waits");
                db(&self.journal, move |j| {
                    j.note_retry(id, now_ms() + backoff, &why)
                })
                .await
            }
            Outcome::Fail(why) => {
                tracing::warn!(id, why, "take-log note refused");
                db(&self.journal, move |j| j.note_failed(id, &why)).await
            }
        };
        if let Err(e) = r {
            tracing::warn!(id, error = %e, "cannot record a note outcome");
        }
        self.changed.send_modify(|r| *r += 1);
    }

    fn classify(e: &Error, attempts: u32) -> Outcome {
        match e {
            Error::NotFound { detail } if attempts < 2 => Outcome::Retry(detail.clone()),
            Error::BadRequest { .. }
            | Error::Forbidden { .. }
            | Error::NotFound { .. }
            | Error::Conflict { .. }
            | Error::UnexpectedResponse(_) => Outcome::Fail(e.to_string()),
            // Network, 429, 5xx, a refused or lost authorization: later.
            _ => Outcome::Retry(e.to_string()),
        }
    }

    async fn post(&self, path: &str, key: &str, body: &Value) -> Result<crate::http::HttpResponse> {
        self.api
            .execute(&|h| {
                Ok(h.request(reqwest::Method::POST, path)?
                    .header("idempotency-key", key)
                    .json(body))
            })
            .await
    }

    async fn send_comment(&self, d: &DueNote) -> Outcome {
        let Some(asset) = d.server_asset.as_deref() else {
            return Outcome::Retry("the file has no asset yet".into());
        };
        let mut body = json!({ "text": d.note.text.clone().unwrap_or_default() });
        if let Some(f) = d.note.frame {
            body["timestamp"] = json!(f);
        }
        let path = format!("/v2/devices/assets/{asset}/comments");
        match self.post(&path, &d.key, &body).await {
            Ok(resp) => Outcome::Sent(
                resp.json::<Value>()
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string)),
            ),
            Err(e) => Self::classify(&e, d.note.attempts + 1),
        }
    }

    async fn channel_id(&mut self, index: u32, refresh: bool) -> Result<Option<String>> {
        if refresh || !self.channels.contains_key(&index) {
            let me: Value = self.api.get("/v2/devices/me").await?.json()?;
            self.channels = parse_channels(&me)
                .into_iter()
                .map(|c| (c.index, c.id))
                .collect();
        }
        Ok(self.channels.get(&index).cloned())
    }

    async fn send_trigger(&mut self, d: &DueNote) -> Outcome {
        let (Some(channel), Some(input)) = (d.note.channel, d.note.input) else {
            return Outcome::Fail("a trigger needs a channel and an input".into());
        };
        let channel_id = match self.channel_id(channel, d.note.attempts > 0).await {
            Ok(Some(id)) => id,
            Ok(None) => {
                return Outcome::Fail(format!("this device has no channel {channel}"));
            }
            Err(e) => return Self::classify(&e, 0),
        };
        let offset_setting = db(&self.journal, move |j| j.channel_setting(channel))
            .await
            .map(|c| c.offset_secs)
            .unwrap_or(0);
        let offset = ((now_ms() - d.note.created_ms).max(0) / 1000 + offset_setting).max(0);
        let rate = d.note.rate.unwrap_or_default();
        let smpte = |tc: &str| {
            json!({
                "smpte_timecode": tc,
                "rate": {
                    "playback": [rate.num, rate.den],
                    "ntsc": if rate.den == 1001 {
                        if tc.contains(';') { json!("drop_frame") } else { json!("non_drop") }
                    } else {
                        Value::Null
                    },
                },
            })
        };
        let mut body = json!({ "action_type": "single_press", "offset": offset });
        if let Some(s) = &d.note.start {
            body["start"] = smpte(s);
        }
        if let Some(s) = &d.note.duration {
            body["duration"] = smpte(s);
        }
        let path = format!("/v2/devices/channels/{channel_id}/inputs/{input}/trigger");
        match self.post(&path, &d.key, &body).await {
            Ok(_) => Outcome::Sent(None),
            Err(e) => Self::classify(&e, d.note.attempts + 1),
        }
    }
}

/// What a host writes: a comment on a queued file.
pub(crate) async fn add_comment(
    journal: &Arc<Mutex<Journal>>,
    file_id: i64,
    text: String,
    frame: Option<u64>,
) -> Result<Note> {
    db(journal, move |j| j.add_comment(file_id, &text, frame)).await
}

/// What a host writes: a trigger on a channel's input.
pub(crate) async fn add_trigger(
    journal: &Arc<Mutex<Journal>>,
    channel: u32,
    input: u32,
    start: Option<String>,
    duration: Option<String>,
    rate: FrameRate,
) -> Result<Note> {
    db(journal, move |j| {
        j.add_trigger(channel, input, start.as_deref(), duration.as_deref(), rate)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_parse_from_the_device() {
        let me = json!({"channels": [
            {"id": "b", "external_index": 2, "name": "Track 2", "status": "online", "real_time_logging_capable": true},
            {"id": "a", "external_index": 0.0, "status": "offline"},
            {"id": "x", "external_index": 101},
            {"external_index": 3},
        ]});
        let c = parse_channels(&me);
        assert_eq!(c.iter().map(|c| c.index).collect::<Vec<_>>(), [0, 2]);
        assert!(c[1].real_time_logging_capable);
        assert_eq!(c[0].name, "");
        assert!(parse_channels(&json!({})).is_empty());
    }

    #[test]
    fn refusals_fail_and_the_rest_waits() {
        let bad = Error::BadRequest {
            detail: "no".into(),
        };
        assert!(matches!(Sender::classify(&bad, 1), Outcome::Fail(_)));
        let nf = Error::NotFound {
            detail: "gone".into(),
        };
        assert!(matches!(Sender::classify(&nf, 1), Outcome::Retry(_)));
        assert!(matches!(Sender::classify(&nf, 2), Outcome::Fail(_)));
        let net = Error::Network {
            kind: crate::error::NetworkErrorKind::Connect,
        };
        assert!(matches!(Sender::classify(&net, 9), Outcome::Retry(_)));
        assert!(matches!(
            Sender::classify(&Error::RateLimited { retry_after: None }, 1),
            Outcome::Retry(_)
        ));
    }
}
