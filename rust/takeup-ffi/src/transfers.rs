//! The part-transfer lease API for a platform executor: an iOS background `URLSession` (one
//! upload task per leased part, from a slice file), an Android worker, the binding tests'
//! executors. The engine plans (creates the asset, registers real-time parts, hashes each part)
//! and hands out leases; the platform sends exactly what a lease says and reports the outcome.
//! Every method forwards to the engine's `UploadQueue`; the records are the engine's own
//! ([`PartTransfer`], [`TransferHeader`], [`TransferError`], [`TransferAck`], derived in
//! `takeup-core` behind its `uniffi` feature). See docs/bindings.md, "Platform transfers".

use std::time::Duration;

use crate::engine::TakeupEngine;
use crate::error::TakeupError;
use crate::runtime::{on_runtime, runtime};
pub use takeup_core::{NetworkErrorKind, PartTransfer, TransferAck, TransferError, TransferHeader};

/// The most of an error answer's body kept with a failure report (S3's XML errors are far
/// shorter; a proxy's HTML page is cut here).
pub const MAX_BODY_EXCERPT: usize = 4096;

/// `body` cut to at most [`MAX_BODY_EXCERPT`] bytes, at a character boundary.
fn excerpt(mut body: String) -> String {
    if body.len() > MAX_BODY_EXCERPT {
        let mut end = MAX_BODY_EXCERPT;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
    }
    body
}

fn clip(error: TransferError) -> TransferError {
    match error {
        TransferError::Http {
            status,
            body,
            retry_after,
        } => TransferError::Http {
            status,
            body: excerpt(body),
            retry_after,
        },
        other => other,
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl TakeupEngine {
    // ---- platform transfers (leases) ----

    /// Lease up to `limit` parts to the platform's executor. Each is to be sent exactly as
    /// described (method, URL, headers, the `length` bytes of `path` from `offset`) and reported
    /// with `transfer_succeeded` or `transfer_failed` before `expires_at_ms`. When none is ready
    /// yet but files are being uploaded (assets being created, real-time parts registered),
    /// waits up to `wait` for some. Empty when nothing is left or the queue is held (paused by
    /// the user, suspended, offline, not authorized).
    pub async fn next_transfers(
        &self,
        limit: u32,
        wait: Duration,
    ) -> Result<Vec<PartTransfer>, TakeupError> {
        let e = self.core();
        Ok(
            on_runtime(async move { e.queue().next_transfers(limit as usize, wait).await })
                .await??,
        )
    }

    /// The platform stored a leased part (HTTP 2xx; `etag` from the answer, when it has one).
    /// Idempotent: a duplicate, or a report for a lease that was taken back and handed out
    /// again, is `Stale` and changes nothing.
    pub async fn transfer_succeeded(
        &self,
        lease_id: String,
        etag: Option<String>,
    ) -> Result<TransferAck, TakeupError> {
        let e = self.core();
        Ok(
            on_runtime(async move { e.queue().transfer_succeeded(&lease_id, etag).await })
                .await??,
        )
    }

    /// The platform could not store a leased part: the HTTP status with the start of the
    /// answer's body (cut to 4 KiB here), a network error kind, a slice that could not be
    /// written, or `Abandoned` (given back unsent: the task was cancelled, time ran out).
    /// Idempotent like `transfer_succeeded`.
    pub async fn transfer_failed(
        &self,
        lease_id: String,
        error: TransferError,
    ) -> Result<TransferAck, TakeupError> {
        let e = self.core();
        let error = clip(error);
        Ok(on_runtime(async move { e.queue().transfer_failed(&lease_id, error).await }).await??)
    }

    /// Bytes of a leased part sent so far (the status's progress while the app watches).
    pub fn transfer_progress(&self, lease_id: String, sent_bytes: u64) {
        self.core().queue().transfer_progress(&lease_id, sent_bytes);
    }

    /// At launch: the lease ids of the upload tasks the platform still runs (iOS: the
    /// background session's `getAllTasks`, by `taskDescription`). Every other lease the platform
    /// held is taken back and its part sent again (the OS dropped the task, or it finished while
    /// the app was gone and its report was lost). Returns how many were taken back. Completions
    /// of the listed tasks are reported as usual afterwards.
    pub async fn pending_transfers(&self, lease_ids: Vec<String>) -> Result<u64, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.queue().pending_transfers(lease_ids).await }).await??)
    }

    /// Write a leased part's bytes (`length` bytes of the source from `offset`) to `path`, the
    /// slice file an upload task sends (iOS background sessions upload only from files). Streams
    /// in small chunks, checks the bytes against the lease's MD5 and renames into place only
    /// when they match: a source that changed since the lease is `BadInput` (report it as
    /// `TransferError.File`), and no partial slice is left behind.
    pub async fn write_transfer_slice(
        &self,
        lease_id: String,
        path: String,
    ) -> Result<(), TakeupError> {
        let e = self.core();
        let dest = std::path::PathBuf::from(path);
        Ok(
            on_runtime(async move { e.queue().write_transfer_slice(&lease_id, dest).await })
                .await??,
        )
    }

    /// Whether the engine's own (in-process) executor moves part bytes; on at start. An app
    /// whose platform executor takes the transfers (iOS going to the background) turns it off;
    /// parts already in flight in the process finish.
    pub fn set_engine_transfers(&self, on: bool) {
        self.core().queue().set_engine_transfers(on);
    }

    /// The OS suspends the app's work (iOS background time ran out) or allows it again. A hold
    /// of its own: not the user's pause (which is persisted and only the user lifts), not kept
    /// across restarts. Running in-process transfers stop; transfers the platform's executor
    /// took over go on in the OS and are reported as usual.
    pub fn set_suspended(&self, suspended: bool) {
        let _rt = runtime().enter();
        self.core().queue().set_suspended(suspended);
    }

    /// Whether the user paused the queue (persisted across restarts).
    pub fn is_paused_by_user(&self) -> bool {
        self.core().queue().is_paused()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_bodies_are_cut_at_a_character_boundary() {
        let body = "é".repeat(MAX_BODY_EXCERPT); // 2 bytes each
        let TransferError::Http { body: cut, .. } = clip(TransferError::Http {
            status: 500,
            body,
            retry_after: None,
        }) else {
            panic!("kept the variant");
        };
        assert_eq!(cut.len(), MAX_BODY_EXCERPT);
        assert!(cut.chars().all(|c| c == 'é'));
        let short = "<Error><Code>BadDigest</Code></Error>".to_string();
        assert_eq!(excerpt(short.clone()), short);
    }
}
