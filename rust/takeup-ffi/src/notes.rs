//! Take logging and channels over FFI: comments on a queued file, real-time logging triggers, the
//! notes' list, and the device's channels (list, create, disconnect, local pause and offset).
//! Every record is the engine's own (`Note`, `DeviceChannel`, `FrameRate`, derived in
//! `takeup-core`); notes are written to the journal and sent by the engine when they can go.

use std::sync::Arc;

use takeup_core::{DeviceChannel, FrameRate, Note, TakeMark};

use crate::engine::TakeupEngine;
use crate::error::TakeupError;
use crate::runtime::on_runtime;

#[uniffi::export(async_runtime = "tokio")]
impl TakeupEngine {
    /// Write a comment on the queued file `file_id` (`frame`: the frame it points at). Kept in
    /// the journal and sent once the file's asset exists; written offline, it waits.
    pub async fn add_comment(
        self: Arc<Self>,
        file_id: i64,
        text: String,
        frame: Option<u64>,
    ) -> Result<Note, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.add_comment(file_id, text, frame).await }).await??)
    }

    /// Write a real-time logging trigger on input `input` of channel `channel`, with optional
    /// SMPTE `start` and `duration` (`HH:MM:SS:FF`) at `rate`; sent like a comment.
    pub async fn add_trigger(
        self: Arc<Self>,
        channel: u32,
        input: u32,
        start: Option<String>,
        duration: Option<String>,
        rate: FrameRate,
    ) -> Result<Note, TakeupError> {
        let e = self.core();
        Ok(
            on_runtime(async move { e.add_trigger(channel, input, start, duration, rate).await })
                .await??,
        )
    }

    /// Give the queued file `file_id` its take mark (scene, take, circle take). Unless it has
    /// that mark already, the mark and its slate comment (returned) are written together; the
    /// comment is sent like any other.
    pub async fn log_take(
        self: Arc<Self>,
        file_id: i64,
        mark: TakeMark,
    ) -> Result<Option<Note>, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.log_take(file_id, mark).await }).await??)
    }

    /// The take mark of a file.
    pub async fn take_mark(self: Arc<Self>, file_id: i64) -> Result<TakeMark, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.take_mark(file_id).await }).await??)
    }

    /// The take-log notes, newest first (of one file when `file_id` is given), at most `limit`.
    pub async fn notes(
        self: Arc<Self>,
        file_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Note>, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.notes(file_id, limit).await }).await??)
    }

    /// Send a failed note again.
    pub async fn retry_note(self: Arc<Self>, id: i64) -> Result<(), TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.retry_note(id).await }).await??)
    }

    /// This device's channels (Frame.io's list with the local pause and offset).
    pub async fn channels(self: Arc<Self>) -> Result<Vec<DeviceChannel>, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.channels().await }).await??)
    }

    /// Create a channel; `client_id` identifies its source (a new one when `None`).
    pub async fn create_channel(
        self: Arc<Self>,
        client_id: Option<String>,
    ) -> Result<DeviceChannel, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.create_channel(client_id).await }).await??)
    }

    /// Disconnect channel `index` (channel 0 is the device itself: use `disconnect`).
    pub async fn disconnect_channel(self: Arc<Self>, index: u32) -> Result<(), TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.disconnect_channel(index).await }).await??)
    }

    /// Pause or resume the uploads of one channel (the others go on); kept across restarts.
    pub async fn set_channel_paused(
        self: Arc<Self>,
        index: u32,
        paused: bool,
    ) -> Result<(), TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.set_channel_paused(index, paused).await }).await??)
    }

    /// Seconds added to the offset of one channel's uploads and triggers.
    pub async fn set_channel_offset(
        self: Arc<Self>,
        index: u32,
        offset_secs: i64,
    ) -> Result<(), TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.set_channel_offset(index, offset_secs).await }).await??)
    }
}
