//! The queue's settings and its public value types: what a host tunes, what an enqueue says,
//! what a background run reports, and the queue's errors. No behaviour; every other queue module
//! reads from here.

use std::time::Duration;

use crate::error::Error;

use super::file::FileError;
use super::journal::{AssetKind, JournalError};
use super::status::{Hold, QueueMode};

/// How long a platform executor's lease lasts by default unless its URL expires first: long
/// enough for an OS that defers a background transfer, short enough that a dropped one is sent
/// again the same day.
pub const PLATFORM_LEASE_TTL: Duration = Duration::from_secs(6 * 3600);

/// Tuning of the queue.
#[derive(Clone, Debug)]
pub struct QueueConfig {
    /// Files uploaded at once.
    pub max_files: usize,
    /// Parts of one file in flight at once; with `adaptive`, where the tuning starts (times
    /// `max_files`).
    pub max_parts_per_file: usize,
    /// Tune the number of parts in flight (over all files) from measured throughput, between
    /// `max_files` and `max_parallel_parts` (see `queue::adapt`).
    pub adaptive: bool,
    /// The most part PUTs in flight at once over all files when `adaptive`.
    pub max_parallel_parts: usize,
    /// Failed attempts in a row (without progress) before a file is parked as failed.
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The largest part of a closed file (at least 5 MiB; grown for huge files to stay within
    /// 10,000 parts; smaller when `adaptive` wants parts for every connection). Files still
    /// being written use 5 MiB parts (see `plan::growth_part_size`), so little is left to send
    /// when the writer stops.
    pub part_size: u64,
    /// A growing file that has not grown for this long is taken as finished.
    pub growth_idle: Duration,
    /// A part whose bytes stop moving for this long is abandoned and retried.
    pub stall_timeout: Duration,
    /// How long to wait for the answer once a part's bytes are all sent.
    pub response_timeout: Duration,
    /// Hosts part URLs may point at: exact `host[:port]` or `*.suffix`. Empty allows any HTTPS host.
    pub upload_hosts: Vec<String>,
    /// The mode until the user picks one (the choice is persisted in the journal).
    pub mode: QueueMode,
    /// Run the scheduler (upload). Off for hosts that only read or edit the queue, such as a
    /// status command.
    pub run: bool,
    /// How long a platform executor's lease lasts unless its URL expires first; an unreported
    /// part is leased again afterwards.
    pub platform_lease_ttl: Duration,
    /// Whether the engine's own executor moves part bytes from the start (see
    /// `UploadQueue::set_engine_transfers`). Off for a process that a platform executor drives
    /// from the first moment (an iOS app relaunched in the background for its upload session's
    /// events), so the engine never leases a part to itself in between.
    pub engine_transfers: bool,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_files: 2,
            max_parts_per_file: 4,
            adaptive: true,
            max_parallel_parts: 64,
            max_attempts: 10,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            part_size: 16 * 1024 * 1024,
            growth_idle: Duration::from_secs(10),
            stall_timeout: Duration::from_secs(30),
            response_timeout: Duration::from_secs(60),
            upload_hosts: vec!["*.amazonaws.com".into()],
            mode: QueueMode::Auto,
            run: true,
            platform_lease_ttl: PLATFORM_LEASE_TTL,
            engine_transfers: true,
        }
    }
}

/// Errors of queue operations.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("{path}: {error}")]
    File { path: String, error: FileError },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("the upload queue stopped")]
    Stopped,
    /// The upload client could not be built (bad TLS settings).
    #[error("cannot set up part uploads: {0}")]
    Setup(String),
}

impl From<QueueError> for Error {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::File { .. } => Error::BadRequest {
                detail: e.to_string(),
            },
            QueueError::Setup(detail) => Error::InvalidConfig(detail),
            other => Error::Storage(other.to_string()),
        }
    }
}

/// What [`UploadQueue::run_for`] achieved.
#[cfg_attr(
    feature = "uniffi",
    derive(uniffi::Record),
    uniffi(name = "BackgroundResult")
)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackgroundRun {
    /// Files that finished uploading during the run.
    pub uploaded: u64,
    /// Files still queued or uploading afterwards.
    pub remaining: u64,
    /// Whether the host should schedule another run (`remaining > 0`).
    pub more_work: bool,
    /// Whether the run stopped because its time was up.
    pub timed_out: bool,
    /// Why the queue is held, if it is (the run ends early when the user paused it or the
    /// device is not paired / not connected).
    pub hold: Option<Hold>,
}

/// How a file is added.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, Default)]
pub struct EnqueueOptions {
    /// Proxy, hero, audio or other; guessed from the file when `None`.
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub kind: Option<AssetKind>,
    /// Put it at the top of the queue.
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub top: bool,
    /// The file is still being written: upload it in real time as it grows.
    #[cfg_attr(feature = "uniffi", uniffi(default = false))]
    pub growing: bool,
    /// Name on Frame.io (default: the file name).
    #[cfg_attr(feature = "uniffi", uniffi(default = None))]
    pub name: Option<String>,
    /// Channel index (0 = the device).
    #[cfg_attr(feature = "uniffi", uniffi(default = 0))]
    pub channel: u32,
}
