//! The scheduler and the per-asset workers.
//!
//! ```text
//!             enqueue / select / retry / move-to-top          host: online/offline, file closed
//!                          │                                              │
//!                          ▼                                              ▼
//!   journal (SQLite) ◀── scheduler ── picks by priority, up to `max_files` at once, when no hold
//!        ▲                  │          (user pause, offline, not authorized, not connected)
//!        │                  ▼
//!        │            asset worker ── creates the asset once (id committed before any byte)
//!        │                  │          plans parts (grows with a file being written)
//!        │                  │          registers parts for URLs (real-time API), in batches
//!        │                  ▼
//!        └───── ack ── part PUTs, up to `max_parts_per_file` at once, streamed from disk
//! ```
//!
//! Closed files smaller than one part use the standard asset API (one call, one URL). Everything
//! else uses the real-time API, also for closed files: part URLs are issued per part, so an
//! expired URL is replaced without a new asset (the API's only way to "re-plan"), part sizes are
//! ours to tune, and growing files take the same path.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::json;
use sha2::Digest;
use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::AuthorizedClient;
use crate::config::EngineConfig;
use crate::connection::{ConnectionState, EngineStatus};
use crate::error::Error;

use super::classify::{self, Disposition};
use super::file::{self, FileError, PartDigest};
use super::journal::{
    AssetKind, AssetRow, AssetState, Enqueued, Journal, JournalError, NewAsset, PartRow, PartState,
    PlannedPart,
};
use super::status::{FileEntry, Hold, QueueMode, QueueStatus};
use super::wire;

/// S3's smallest non-final part.
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// S3's part count limit.
pub(crate) const MAX_PARTS: u64 = 10_000;

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
    /// Part size for real-time uploads (at least 5 MiB; grown for huge files to stay within
    /// 10,000 parts).
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
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self {
            max_files: 2,
            max_parts_per_file: 4,
            adaptive: true,
            max_parallel_parts: 32,
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
}

impl From<QueueError> for Error {
    fn from(e: QueueError) -> Self {
        match e {
            QueueError::File { .. } => Error::BadRequest {
                detail: e.to_string(),
            },
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

#[derive(Default)]
struct AssetProgress {
    /// Bytes read into part bodies that are not acknowledged yet.
    in_flight: AtomicU64,
}

struct Running {
    cancel: CancellationToken,
    progress: Arc<AssetProgress>,
}

struct Shared {
    /// How many parts may be in flight over all files (tuned when `config.adaptive`).
    adapt: Mutex<super::adapt::Adaptive>,
    /// Told when the adaptive limit rises, so running files start more parts.
    adapt_raised: tokio::sync::Notify,
    journal: Arc<Mutex<Journal>>,
    api: AuthorizedClient,
    s3: reqwest::Client,
    config: QueueConfig,
    mode: Mutex<QueueMode>,
    paused_by_user: AtomicBool,
    /// The host reported the network down (authoritative until it reports it back).
    host_offline: AtomicBool,
    /// Requests failed as if offline: hold, and probe until a request succeeds.
    inferred_offline: AtomicBool,
    /// When a probe last found the API reachable after an inferred outage.
    last_probe_ok: Mutex<Option<Instant>>,
    /// Authorization was lost during an upload; cleared when the engine is connected again.
    auth_lost: AtomicBool,
    engine_status: watch::Receiver<EngineStatus>,
    running: Mutex<HashMap<i64, Running>>,
    /// Growing files whose writer the host said has finished.
    closed_files: Mutex<HashSet<i64>>,
    wake: Notify,
    shutdown: CancellationToken,
    status_tx: watch::Sender<QueueStatus>,
    rates: Mutex<RateTracker>,
}

#[derive(Default)]
struct RateTracker {
    last: Option<(Instant, HashMap<i64, u64>)>,
    rates: HashMap<i64, f64>,
}

/// The durable upload queue and its uploader. Cheap to clone.
#[derive(Clone)]
pub struct UploadQueue {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for UploadQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadQueue")
            .field(
                "journal",
                &self
                    .shared
                    .journal
                    .lock()
                    .map(|j| j.path().to_path_buf())
                    .ok(),
            )
            .finish_non_exhaustive()
    }
}

/// Build the client for part PUTs: the engine's TLS trust and version header, HTTPS only, but no
/// overall read timeout (a large part on a slow link takes long); stalls are detected per part.
pub fn s3_client(config: &EngineConfig) -> crate::error::Result<reqwest::Client> {
    crate::http::client_builder(config)?
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Error::InvalidConfig(format!("cannot build the upload client: {e}")))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Whether a part URL may be used: HTTPS and an allowed host.
pub fn check_upload_url(raw: &str, allowed: &[String]) -> Result<url::Url, String> {
    let url =
        url::Url::parse(raw).map_err(|_| "the server gave a malformed upload URL".to_string())?;
    if url.scheme() != "https" {
        return Err(format!(
            "the server gave a non-HTTPS upload URL ({}://...); refusing to send media over it",
            url.scheme()
        ));
    }
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let with_port = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    if allowed.is_empty()
        || allowed.iter().any(|pat| {
            let pat = pat.to_ascii_lowercase();
            match pat.strip_prefix("*.") {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => pat == with_port || pat == host,
            }
        })
    {
        Ok(url)
    } else {
        Err(format!(
            "the server gave an upload URL for an unexpected host ({host})"
        ))
    }
}

/// When a presigned URL stops working (from `X-Amz-Date` + `X-Amz-Expires`), Unix ms.
pub fn url_expiry_ms(url: &url::Url) -> Option<i64> {
    let mut date = None;
    let mut expires = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "X-Amz-Date" => date = Some(v.into_owned()),
            "X-Amz-Expires" => expires = v.parse::<i64>().ok(),
            _ => {}
        }
    }
    let signed = chrono::NaiveDateTime::parse_from_str(&date?, "%Y%m%dT%H%M%SZ").ok()?;
    Some(signed.and_utc().timestamp_millis() + expires? * 1000)
}

/// The part size for a file: the configured size, grown so the file fits in 10,000 parts.
pub fn part_size_for(config_part: u64, total: Option<u64>) -> u64 {
    let base = config_part.max(MIN_PART);
    match total {
        Some(t) => base.max(t.div_ceil(MAX_PARTS)),
        None => base,
    }
}

/// The part size for a closed file's plan: with `adaptive`, small enough that the file has parts
/// for every connection the tuning may open (`max_parallel_parts`), never under 5 MiB nor over
/// the configured size. Smaller parts also mean less to re-send after a cut on a slow link.
pub fn spread_part_size(config: &QueueConfig, size: u64) -> u64 {
    let full = part_size_for(config.part_size, Some(size));
    if !config.adaptive {
        return full;
    }
    let spread = size
        .div_ceil(config.max_parallel_parts.max(1) as u64)
        .max(MIN_PART)
        .max(size.div_ceil(MAX_PARTS));
    spread.min(full)
}

/// Plan the parts of a closed file of `size` bytes for the real-time API.
fn plan_closed(size: u64, part: u64, first_number: u32, from: u64) -> Vec<PlannedPart> {
    let mut out = Vec::new();
    let mut offset = from;
    let mut number = first_number;
    while offset < size {
        let len = part.min(size - offset);
        out.push(PlannedPart {
            number,
            offset,
            size: len,
            is_final: offset + len == size,
            url: None,
            url_expires_ms: None,
        });
        offset += len;
        number += 1;
    }
    out
}

impl UploadQueue {
    /// Open the journal, repair what a crash left, and start the scheduler.
    pub fn start(
        journal_path: &Path,
        api: AuthorizedClient,
        s3: reqwest::Client,
        config: QueueConfig,
        engine_status: watch::Receiver<EngineStatus>,
    ) -> Result<Self, QueueError> {
        let mut journal = Journal::open(journal_path)?;
        let rec = journal.reconcile()?;
        if rec.parts_reset > 0 || rec.assets_requeued > 0 {
            tracing::info!(
                parts = rec.parts_reset,
                assets = rec.assets_requeued,
                "resuming uploads interrupted by a stop"
            );
        }
        let mode = match journal.setting("mode")?.as_deref() {
            Some("manual") => QueueMode::Manual,
            Some("auto") => QueueMode::Auto,
            _ => config.mode,
        };
        let run = config.run;
        let adapt = super::adapt::Adaptive::new(
            config.max_parts_per_file * config.max_files.max(1),
            config.max_files.max(1),
            config.max_parallel_parts,
        );
        let shared = Arc::new(Shared {
            adapt: Mutex::new(adapt),
            adapt_raised: tokio::sync::Notify::new(),
            journal: Arc::new(Mutex::new(journal)),
            api,
            s3,
            config,
            mode: Mutex::new(mode),
            paused_by_user: AtomicBool::new(false),
            host_offline: AtomicBool::new(false),
            inferred_offline: AtomicBool::new(false),
            last_probe_ok: Mutex::new(None),
            auth_lost: AtomicBool::new(false),
            engine_status,
            running: Mutex::new(HashMap::new()),
            closed_files: Mutex::new(HashSet::new()),
            wake: Notify::new(),
            shutdown: CancellationToken::new(),
            status_tx: watch::channel(QueueStatus::default()).0,
            rates: Mutex::new(RateTracker::default()),
        });
        let queue = Self { shared };
        queue.shared.publish();
        if run {
            tokio::spawn(scheduler(queue.shared.clone()));
        }
        Ok(queue)
    }

    /// Add a file (or report that it is queued or uploaded already).
    pub async fn enqueue(&self, path: &Path, opts: EnqueueOptions) -> Result<Enqueued, QueueError> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let file_err = |error| QueueError::File {
            path: path.display().to_string(),
            error,
        };
        let facts = file::facts(&path).map_err(file_err)?;
        let fingerprint = if opts.growing {
            None
        } else {
            Some(
                file::fingerprint(&path, facts.size)
                    .await
                    .map_err(file_err)?,
            )
        };
        let held = *lock(&self.shared.mode) == QueueMode::Manual;
        let new = NewAsset {
            name: opts
                .name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| file::upload_name(&path)),
            kind: opts.kind.unwrap_or_else(|| file::kind_for(&path)),
            filetype: file::mime_for(&path).to_string(),
            channel: opts.channel,
            size: (!opts.growing).then_some(facts.size),
            mtime_ns: facts.mtime_ns,
            media_created_ms: facts.created_ms,
            fingerprint,
            realtime: opts.growing,
            held,
            path,
        };
        let top = opts.top;
        let result = self
            .shared
            .db(move |j| {
                let r = j.enqueue(&new)?;
                if top && let Enqueued::Added(id) = r {
                    j.move_to_top(id)?;
                }
                Ok(r)
            })
            .await?;
        self.shared.kick();
        Ok(result)
    }

    /// The writer of a growing file finished: finalise it with its true size.
    pub fn file_closed(&self, id: i64) {
        lock(&self.shared.closed_files).insert(id);
        self.shared.kick();
    }

    /// Manual mode: queue the selected files.
    pub async fn select(&self, ids: Vec<i64>) -> Result<u64, QueueError> {
        let n = self.shared.db(move |j| j.select(&ids)).await?;
        self.shared.kick();
        Ok(n)
    }

    /// Cancel one file: it stops at once and frees its slot.
    pub async fn cancel(&self, id: i64) -> Result<bool, QueueError> {
        let cancelled = self.shared.db(move |j| j.cancel(id)).await?;
        if let Some(r) = lock(&self.shared.running).get(&id) {
            r.cancel.cancel();
        }
        self.shared.kick();
        Ok(cancelled)
    }

    /// Cancel everything still queued or uploading.
    pub async fn cancel_all(&self) -> Result<usize, QueueError> {
        let ids = self.shared.db(|j| j.cancel_all()).await?;
        for r in lock(&self.shared.running).values() {
            r.cancel.cancel();
        }
        self.shared.kick();
        Ok(ids.len())
    }

    /// Retry a failed, skipped or cancelled file.
    pub async fn retry(&self, id: i64) -> Result<(), QueueError> {
        self.shared.db(move |j| j.retry(id)).await?;
        self.shared.kick();
        Ok(())
    }

    /// Move a file to the top of the queue.
    pub async fn move_to_top(&self, id: i64) -> Result<(), QueueError> {
        self.shared.db(move |j| j.move_to_top(id)).await?;
        self.shared.kick();
        Ok(())
    }

    /// Auto or manual mode (new files wait for selection in manual mode); persisted.
    pub async fn set_mode(&self, mode: QueueMode) -> Result<(), QueueError> {
        let value = match mode {
            QueueMode::Auto => "auto",
            QueueMode::Manual => "manual",
        };
        self.shared
            .db(move |j| j.set_setting("mode", value))
            .await?;
        *lock(&self.shared.mode) = mode;
        self.shared.kick();
        Ok(())
    }

    /// The user pauses the queue: running files stop (their acknowledged parts are kept).
    pub fn pause(&self) {
        self.shared.paused_by_user.store(true, Ordering::SeqCst);
        for r in lock(&self.shared.running).values() {
            r.cancel.cancel();
        }
        self.shared.kick();
    }

    pub fn resume(&self) {
        self.shared.paused_by_user.store(false, Ordering::SeqCst);
        self.shared.kick();
    }

    /// The host reports network reachability. "Back online" also ends an inferred outage, so
    /// the queue tries at once.
    pub fn set_online(&self, online: bool) {
        self.shared.host_offline.store(!online, Ordering::SeqCst);
        if online {
            self.shared.inferred_offline.store(false, Ordering::SeqCst);
        }
        self.shared.kick();
    }

    /// The current status.
    pub fn status(&self) -> QueueStatus {
        self.shared.status_tx.borrow().clone()
    }

    /// Status updates (pushed on every change and while uploading, a few times a second).
    pub fn watch(&self) -> watch::Receiver<QueueStatus> {
        self.shared.status_tx.subscribe()
    }

    /// Direct read access for status screens and tests.
    pub async fn assets(&self, states: Vec<AssetState>) -> Result<Vec<AssetRow>, QueueError> {
        self.shared.db(move |j| j.assets_in(&states)).await
    }

    pub async fn parts(&self, id: i64) -> Result<Vec<PartRow>, QueueError> {
        self.shared.db(move |j| j.parts(id)).await
    }

    /// Let the queue upload for at most `max` and report: for a host's background-work slot
    /// (Android WorkManager, iOS BGProcessingTask). The scheduler already runs on its own; this
    /// wakes it and waits until nothing is queued or uploading, the queue is held for a reason
    /// time cannot fix (paused by the user, not paired, no project), or `max` has passed.
    /// Files held for selection (manual mode) are not background work.
    pub async fn run_for(&self, max: Duration) -> BackgroundRun {
        let mut rx = self.watch();
        let done_before = rx.borrow_and_update().totals.done;
        self.shared.kick();
        let deadline = tokio::time::Instant::now() + max;
        // Let the scheduler publish what the kick changed (a file enqueued just before).
        let _ = tokio::time::timeout(Duration::from_millis(250).min(max), rx.changed()).await;
        let mut timed_out = false;
        loop {
            let idle = {
                let s = rx.borrow_and_update();
                s.totals.queued + s.totals.active == 0
                    || matches!(
                        s.hold,
                        Some(Hold::PausedByUser | Hold::NotAuthorized | Hold::NotConnected)
                    )
            };
            if idle {
                break;
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => break,
                Err(_) => {
                    timed_out = true;
                    break;
                }
            }
        }
        let s = self.status();
        let remaining = s.totals.queued + s.totals.active;
        BackgroundRun {
            uploaded: s.totals.done.saturating_sub(done_before),
            remaining,
            more_work: remaining > 0,
            timed_out,
            hold: s.hold,
        }
    }

    /// Stop the scheduler and every upload (acknowledged parts are kept for the next start).
    pub fn shutdown(&self) {
        self.shared.shutdown.cancel();
        for r in lock(&self.shared.running).values() {
            r.cancel.cancel();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Clone)]
enum Outcome {
    Done,
    Failed(Disposition),
}

impl Shared {
    /// Run a journal operation off the async threads.
    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Journal) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, QueueError> {
        let j = self.journal.clone();
        tokio::task::spawn_blocking(move || f(&mut lock(&j)))
            .await
            .map_err(|_| QueueError::Stopped)?
            .map_err(QueueError::from)
    }

    fn kick(&self) {
        if self.config.run {
            self.wake.notify_one();
        } else {
            self.publish();
        }
    }

    /// How many parts one running file may have in flight, given that it could use `wanted`.
    fn part_share(&self, wanted: usize) -> usize {
        if !self.config.adaptive {
            return self.config.max_parts_per_file;
        }
        let running = lock(&self.running).len().max(1);
        let mut a = lock(&self.adapt);
        let now = Instant::now();
        let before = a.limit();
        a.tick(now);
        let share = a.limit().div_ceil(running);
        // Saturated: this file could use more parts than its share of the limit.
        a.on_demand(if wanted > share { usize::MAX } else { 0 }, now);
        if a.limit() > before {
            tracing::debug!(parts = a.limit(), "more parts in flight");
            self.adapt_raised.notify_waiters();
        } else if a.limit() < before {
            tracing::debug!(parts = a.limit(), "fewer parts in flight");
        }
        share
    }

    fn adapt_bytes(&self, n: u64) {
        if self.config.adaptive {
            lock(&self.adapt).on_bytes(n, Instant::now());
        }
    }

    fn hold(&self) -> Option<Hold> {
        if self.paused_by_user.load(Ordering::SeqCst) {
            return Some(Hold::PausedByUser);
        }
        let status = self.engine_status.borrow().clone();
        match status.connection {
            ConnectionState::NotAuthorized | ConnectionState::Pairing { .. } => {
                return Some(Hold::NotAuthorized);
            }
            ConnectionState::NotConnected { .. } => return Some(Hold::NotConnected),
            ConnectionState::Connected { .. } => {}
        }
        if self.auth_lost.load(Ordering::SeqCst) {
            return Some(Hold::NotAuthorized);
        }
        if self.host_offline.load(Ordering::SeqCst) || self.inferred_offline.load(Ordering::SeqCst)
        {
            return Some(Hold::Offline);
        }
        None
    }

    /// Rebuild the status snapshot from the journal and the live progress, and publish it.
    fn publish(&self) {
        let in_flight: HashMap<i64, u64> = lock(&self.running)
            .iter()
            .map(|(id, r)| (*id, r.progress.in_flight.load(Ordering::Relaxed)))
            .collect();
        let snapshot = {
            let j = lock(&self.journal);
            (|| -> Result<_, JournalError> {
                Ok((
                    j.totals()?,
                    j.assets_in(&[AssetState::Active])?,
                    j.first_in(&[AssetState::Queued], STATUS_LIST_CAP)?,
                    j.first_in(&[AssetState::Held], STATUS_LIST_CAP)?,
                    j.recent(&[AssetState::Done], 100)?,
                    j.recent(&[AssetState::Failed, AssetState::Skipped], 200)?,
                    j.recent(&[AssetState::Cancelled], 50)?,
                ))
            })()
        };
        let Ok((totals, active, queued, held, done, failed, cancelled)) = snapshot else {
            tracing::warn!("cannot read the upload journal for the status");
            return;
        };
        // Rates from the change of sent bytes since the last sample (smoothed).
        let now = Instant::now();
        let sent: HashMap<i64, u64> = active
            .iter()
            .map(|a| {
                (
                    a.id,
                    a.acked_bytes + in_flight.get(&a.id).copied().unwrap_or(0),
                )
            })
            .collect();
        let rates = {
            let mut rt = lock(&self.rates);
            if let Some((at, prev)) = &rt.last {
                let dt = now.duration_since(*at).as_secs_f64();
                if dt >= 0.2 {
                    let mut next = HashMap::new();
                    for (id, bytes) in &sent {
                        let delta = bytes.saturating_sub(prev.get(id).copied().unwrap_or(*bytes));
                        let inst = delta as f64 / dt;
                        let old = rt.rates.get(id).copied().unwrap_or(inst);
                        next.insert(*id, old * 0.6 + inst * 0.4);
                    }
                    rt.rates = next;
                    rt.last = Some((now, sent.clone()));
                }
            } else {
                rt.last = Some((now, sent.clone()));
            }
            rt.rates.clone()
        };
        let entry = |a: &AssetRow| {
            FileEntry::from_row(
                a,
                in_flight.get(&a.id).copied().unwrap_or(0),
                rates.get(&a.id).copied().unwrap_or(0.0),
            )
        };
        let status = QueueStatus {
            mode: *lock(&self.mode),
            hold: self.hold(),
            totals,
            rate_bps: rates.values().sum(),
            uploading: active.iter().map(entry).collect(),
            queued: queued.iter().map(entry).collect(),
            held: held.iter().map(entry).collect(),
            completed: done.iter().map(entry).collect(),
            failed: failed.iter().map(entry).collect(),
            cancelled: cancelled.iter().map(entry).collect(),
        };
        self.status_tx.send_if_modified(|old| {
            if *old != status {
                *old = status;
                true
            } else {
                false
            }
        });
    }
}

/// At most this many queued (and held) files in a status snapshot.
const STATUS_LIST_CAP: u32 = 500;

async fn scheduler(sh: Arc<Shared>) {
    let mut engine_status = sh.engine_status.clone();
    let mut probe_delay = Duration::from_secs(1);
    let mut next_probe = Instant::now();
    loop {
        if sh.shutdown.is_cancelled() {
            break;
        }
        if matches!(
            engine_status.borrow().connection,
            ConnectionState::Connected { .. }
        ) && sh.auth_lost.load(Ordering::SeqCst)
            && engine_status.has_changed().unwrap_or(false)
        {
            sh.auth_lost.store(false, Ordering::SeqCst);
        }
        let hold = sh.hold();
        if hold.is_none() {
            probe_delay = Duration::from_secs(1);
            let running: Vec<i64> = lock(&sh.running).keys().copied().collect();
            let slots = sh.config.max_files.saturating_sub(running.len());
            if slots > 0 {
                let picked = sh
                    .db(move |j| j.next_runnable(now_ms(), slots, &running))
                    .await;
                match picked {
                    Ok(rows) => {
                        for row in rows {
                            start_worker(&sh, row).await;
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot read the upload queue"),
                }
            }
        } else if hold == Some(Hold::Offline)
            && sh.inferred_offline.load(Ordering::SeqCst)
            && !sh.host_offline.load(Ordering::SeqCst)
            && Instant::now() >= next_probe
        {
            // Inferred offline: a cheap authorized call tells when the link is back.
            if sh.api.post_empty("/v2/devices/heartbeat").await.is_ok() {
                tracing::info!("network is back");
                sh.inferred_offline.store(false, Ordering::SeqCst);
                *lock(&sh.last_probe_ok) = Some(Instant::now());
                continue;
            }
            probe_delay = (probe_delay * 2).min(Duration::from_secs(30));
            next_probe = Instant::now() + probe_delay;
        }
        sh.publish();
        let active = !lock(&sh.running).is_empty();
        let next_retry = sh.db(|j| j.next_retry_at()).await.ok().flatten();
        let mut wait = if active {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(5)
        };
        if let Some(at) = next_retry {
            wait = wait.min(Duration::from_millis((at - now_ms()).max(0) as u64));
        }
        if hold == Some(Hold::Offline) {
            wait = wait.min(next_probe.saturating_duration_since(Instant::now()));
        }
        tokio::select! {
            _ = sh.wake.notified() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = engine_status.changed() => {}
            _ = sh.shutdown.cancelled() => break,
        }
    }
    sh.publish();
}

async fn start_worker(sh: &Arc<Shared>, row: AssetRow) {
    let id = row.id;
    if let Err(e) = sh.db(move |j| j.start(id)).await {
        tracing::debug!(id, error = %e, "not started");
        return;
    }
    let cancel = sh.shutdown.child_token();
    let progress = Arc::new(AssetProgress::default());
    lock(&sh.running).insert(
        id,
        Running {
            cancel: cancel.clone(),
            progress: progress.clone(),
        },
    );
    let sh = sh.clone();
    tokio::spawn(async move {
        tracing::info!(id, name = %row.name, "upload started");
        let attempts = row.attempts;
        let outcome = upload_asset(&sh, row, cancel.clone(), progress).await;
        finish(&sh, id, attempts, outcome, cancel.is_cancelled()).await;
        lock(&sh.running).remove(&id);
        sh.publish();
        sh.kick();
    });
}

/// Record how an attempt ended. Until the journal has it the asset stays `active` there, which
/// nothing but a restart would pick up again: a write the journal refuses for now (full disk,
/// I/O) is tried again, the slot kept, until it succeeds or the queue shuts down.
async fn finish(sh: &Arc<Shared>, id: i64, attempts: u32, outcome: Outcome, cancelled: bool) {
    let mut delay = Duration::from_millis(250);
    loop {
        let e = match record_outcome(sh, id, attempts, outcome.clone(), cancelled).await {
            Ok(()) => return,
            Err(e) => e,
        };
        let transient = matches!(
            e,
            QueueError::Journal(JournalError::DiskFull | JournalError::Sqlite(_))
        );
        if !transient || sh.shutdown.is_cancelled() {
            tracing::error!(id, error = %e, "cannot record the upload outcome");
            return;
        }
        tracing::warn!(id, error = %e, "cannot record the upload outcome yet; trying again");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = sh.shutdown.cancelled() => {}
        }
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}

async fn record_outcome(
    sh: &Arc<Shared>,
    id: i64,
    attempts: u32,
    outcome: Outcome,
    cancelled: bool,
) -> Result<(), QueueError> {
    let max = sh.config.max_attempts;
    match outcome {
        Outcome::Done => {
            tracing::info!(id, "upload complete");
            sh.db(move |j| j.complete(id)).await.map(|_| ())
        }
        Outcome::Failed(d) if cancelled || d == Disposition::Cancelled => {
            // Cancelled by the user (the journal already says so) or stopped by a pause or a
            // shutdown: back in the queue without burning an attempt.
            sh.db(move |j| {
                let state = j.asset(id)?.state;
                if state == AssetState::Active {
                    j.attempt_failed(id, "interrupted", now_ms(), u32::MAX, false)?;
                }
                Ok(())
            })
            .await
        }
        Outcome::Failed(d) => {
            let reason = d.reason();
            tracing::info!(id, %reason, "upload attempt failed");
            match d {
                Disposition::Skipped { reason } => {
                    sh.db(move |j| j.park(id, AssetState::Skipped, &reason))
                        .await
                }
                Disposition::Fatal { reason } => {
                    sh.db(move |j| j.park(id, AssetState::Failed, &reason))
                        .await
                }
                Disposition::WaitForNetwork { reason }
                    if lock(&sh.last_probe_ok)
                        .is_some_and(|t| t.elapsed() < Duration::from_secs(30)) =>
                {
                    // The API answers but this upload still cannot connect: not an outage, a
                    // failure of this file; it counts.
                    let delay = classify::backoff(
                        attempts,
                        sh.config.backoff_base,
                        sh.config.backoff_max,
                        None,
                    );
                    let at = now_ms() + delay.as_millis() as i64;
                    sh.db(move |j| j.attempt_failed(id, &reason, at, max, true).map(|_| ()))
                        .await
                }
                Disposition::WaitForNetwork { reason } => {
                    sh.inferred_offline.store(true, Ordering::SeqCst);
                    sh.db(move |j| {
                        j.attempt_failed(id, &reason, now_ms(), max, false)
                            .map(|_| ())
                    })
                    .await
                }
                Disposition::AuthLost => {
                    sh.auth_lost.store(true, Ordering::SeqCst);
                    sh.db(move |j| {
                        j.attempt_failed(id, &reason, now_ms(), max, false)
                            .map(|_| ())
                    })
                    .await
                }
                Disposition::RetryLater { after, reason } => {
                    let delay = classify::backoff(
                        attempts,
                        sh.config.backoff_base,
                        sh.config.backoff_max,
                        after,
                    );
                    let at = now_ms() + delay.as_millis() as i64;
                    sh.db(move |j| j.attempt_failed(id, &reason, at, max, true).map(|_| ()))
                        .await
                }
                Disposition::RePlan { reason } => {
                    sh.db(move |j| {
                        j.attempt_failed(id, &reason, now_ms(), max, true)
                            .map(|_| ())
                    })
                    .await
                }
                Disposition::Cancelled => Ok(()),
            }
        }
    }
}

/// Create the asset on the server once, committing its id (and, for a standard asset, its part
/// plan and URLs) before any byte is sent.
async fn ensure_created(sh: &Arc<Shared>, row: &AssetRow) -> Result<String, Disposition> {
    if let Some(id) = &row.server_id {
        return Ok(id.clone());
    }
    let offset_secs = ((now_ms() - row.media_created_ms).max(0) / 1000) as u64;
    let part = part_size_for(sh.config.part_size, row.size);
    let standard = row.closed && row.size.is_some_and(|s| s < part);
    let mut body = json!({
        "name": row.name,
        "filetype": row.filetype,
        "offset": offset_secs,
        "channel": row.channel,
    });
    if standard {
        body["filesize"] = json!(row.size.unwrap_or(0));
    } else {
        body["is_realtime_upload"] = json!(true);
        if !row.name.contains('.') {
            body["extension"] = json!(".bin");
        }
    }
    let resp = sh
        .api
        .post_json("/v2/devices/assets", &body)
        .await
        .map_err(|e| classify::api_error(&e))?;
    let (server_id, answer) = wire::created_asset_id(&resp.body)?;
    let mut parts = Vec::new();
    if standard {
        parts = wire::standard_plan(&answer, row.size.unwrap_or(0), &sh.config.upload_hosts)?;
    } else if let Some(size) = row.size.filter(|_| row.closed) {
        parts = plan_closed(size, spread_part_size(&sh.config, size), 1, 0);
    }
    let id = row.id;
    let sid = server_id.clone();
    sh.db(move |j| j.record_created(id, &sid, standard, &parts))
        .await
        .map_err(|e| Disposition::RetryLater {
            reason: e.to_string(),
            after: None,
        })?;
    Ok(server_id)
}

/// A growing file: plan the parts its new bytes allow, and the final part once it is finished.
async fn grow(
    sh: &Arc<Shared>,
    row: &mut AssetRow,
    last_growth: &mut (u64, Instant),
) -> Result<(), Disposition> {
    let facts = file::facts(&row.path).map_err(|e| classify::file_error(&e))?;
    let id = row.id;
    let parts = sh.db(move |j| j.parts(id)).await.map_err(journal_retry)?;
    let planned_end: u64 = parts.iter().map(|p| p.size).sum();
    if facts.size < planned_end {
        return Err(classify::file_error(&FileError::Changed));
    }
    if facts.size != last_growth.0 {
        *last_growth = (facts.size, Instant::now());
    }
    let part = part_size_for(sh.config.part_size, None);
    let mut next_number = parts.last().map(|p| p.number + 1).unwrap_or(1);
    let mut offset = planned_end;
    let mut new = Vec::new();
    // A non-final part only when more bytes follow it, so the final part is never empty.
    while facts.size - offset > part && (next_number as u64) < MAX_PARTS {
        new.push(PlannedPart {
            number: next_number,
            offset,
            size: part,
            is_final: false,
            url: None,
            url_expires_ms: None,
        });
        offset += part;
        next_number += 1;
    }
    let closed =
        lock(&sh.closed_files).contains(&id) || last_growth.1.elapsed() >= sh.config.growth_idle;
    if closed {
        if facts.size == 0 {
            return Err(Disposition::Fatal {
                reason: "the recording is empty".into(),
            });
        }
        new.push(PlannedPart {
            number: next_number,
            offset,
            size: facts.size - offset,
            is_final: true,
            url: None,
            url_expires_ms: None,
        });
        let fp = file::fingerprint(&row.path, facts.size)
            .await
            .map_err(|e| classify::file_error(&e))?;
        let (size, mtime) = (facts.size, facts.mtime_ns);
        sh.db(move |j| {
            j.add_parts(id, &new)?;
            j.close_file(id, size, mtime, &fp)
        })
        .await
        .map_err(journal_retry)?;
        row.closed = true;
        row.size = Some(facts.size);
        tracing::info!(id, size = facts.size, "growing file finished");
    } else if !new.is_empty() {
        sh.db(move |j| j.add_parts(id, &new))
            .await
            .map_err(journal_retry)?;
    }
    Ok(())
}

fn journal_retry(e: QueueError) -> Disposition {
    Disposition::RetryLater {
        reason: e.to_string(),
        after: None,
    }
}

/// Get URLs for the next parts to send (real-time API), in one request.
async fn register(
    sh: &Arc<Shared>,
    row: &AssetRow,
    server_id: &str,
    parts: &[PartRow],
) -> Result<(), Disposition> {
    let mut body_parts = Vec::new();
    let mut has_final = false;
    for p in parts {
        has_final |= p.is_final;
        body_parts.push(json!({ "number": p.number, "size": p.size, "is_final": p.is_final }));
    }
    let mut body = json!({ "parts": body_parts });
    if has_final {
        body["asset_filesize"] = json!(row.size.unwrap_or(0));
        body["asset_name"] = json!(row.name);
    }
    let path = format!("/v2/devices/assets/{server_id}/realtime_upload/parts");
    let resp = sh
        .api
        .post_json(&path, &body)
        .await
        .map_err(|e| classify::api_error(&e))?;
    let urls = wire::part_urls(&resp.body, parts.len(), &sh.config.upload_hosts)?;
    let updates: Vec<(u32, String, Option<i64>)> = parts
        .iter()
        .zip(urls)
        .map(|(p, (url, exp))| (p.number, url, exp))
        .collect();
    let id = row.id;
    sh.db(move |j| {
        for (n, url, exp) in &updates {
            j.set_part_url(id, *n, url, *exp)?;
        }
        Ok(())
    })
    .await
    .map_err(journal_retry)
}

/// Upload one asset until it is done, fails, or is cancelled.
async fn upload_asset(
    sh: &Arc<Shared>,
    mut row: AssetRow,
    cancel: CancellationToken,
    progress: Arc<AssetProgress>,
) -> Outcome {
    match upload_asset_inner(sh, &mut row, &cancel, &progress).await {
        Ok(()) => Outcome::Done,
        Err(d) => Outcome::Failed(d),
    }
}

/// Check that a closed file is still the one that was queued.
async fn check_unchanged(row: &AssetRow) -> Result<(), Disposition> {
    let facts = file::facts(&row.path).map_err(|e| classify::file_error(&e))?;
    if !row.closed {
        return Ok(());
    }
    if Some(facts.size) != row.size {
        return Err(classify::file_error(&FileError::Changed));
    }
    if facts.mtime_ns != row.mtime_ns {
        let fp = file::fingerprint(&row.path, facts.size)
            .await
            .map_err(|e| classify::file_error(&e))?;
        if Some(fp) != row.fingerprint {
            return Err(classify::file_error(&FileError::Changed));
        }
    }
    Ok(())
}

async fn upload_asset_inner(
    sh: &Arc<Shared>,
    row: &mut AssetRow,
    cancel: &CancellationToken,
    progress: &Arc<AssetProgress>,
) -> Result<(), Disposition> {
    check_unchanged(row).await?;
    let server_id = tokio::select! {
        r = ensure_created(sh, row) => r?,
        _ = cancel.cancelled() => return Err(Disposition::Cancelled),
    };
    let standard = {
        let id = row.id;
        sh.db(move |j| j.asset(id))
            .await
            .map_err(journal_retry)?
            .standard
    };
    let mut inflight: JoinSet<(u32, u64, Result<(), Disposition>)> = JoinSet::new();
    let mut sending: HashSet<u32> = HashSet::new();
    let mut failure: Option<Disposition> = None;
    let mut replans: HashMap<u32, u32> = HashMap::new();
    let mut last_growth = (0u64, Instant::now());
    loop {
        if cancel.is_cancelled() {
            inflight.abort_all();
            return Err(Disposition::Cancelled);
        }
        if failure.is_none()
            && !row.closed
            && let Err(d) = grow(sh, row, &mut last_growth).await
        {
            failure = Some(d);
        }
        let id = row.id;
        let parts = sh.db(move |j| j.parts(id)).await.map_err(journal_retry)?;
        if failure.is_none() {
            let soon = now_ms() + 10 * 60 * 1000;
            let waiting = parts
                .iter()
                .filter(|p| p.state != PartState::Acked && !sending.contains(&p.number))
                .count();
            let capacity = sh
                .part_share(inflight.len() + waiting)
                .saturating_sub(inflight.len());
            let candidates: Vec<&PartRow> = parts
                .iter()
                .filter(|p| p.state != PartState::Acked && !sending.contains(&p.number))
                .take(capacity)
                .collect();
            let needs_url: Vec<PartRow> = if standard {
                Vec::new()
            } else {
                parts
                    .iter()
                    .filter(|p| p.state != PartState::Acked && !sending.contains(&p.number))
                    .filter(|p| p.url.is_none() || p.url_expires_ms.is_some_and(|e| e < soon))
                    .take(32)
                    .cloned()
                    .collect()
            };
            let mut ready = true;
            if candidates
                .iter()
                .any(|c| needs_url.iter().any(|n| n.number == c.number))
            {
                let r = tokio::select! {
                    r = register(sh, row, &server_id, &needs_url) => r,
                    _ = cancel.cancelled() => Err(Disposition::Cancelled),
                };
                if let Err(d) = r {
                    failure = Some(d);
                }
                ready = false; // re-read the parts with their URLs
            }
            if ready && failure.is_none() {
                for p in candidates {
                    let Some(url) = p.url.clone() else { continue };
                    if check_upload_url(&url, &sh.config.upload_hosts).is_err() {
                        failure = Some(Disposition::Fatal {
                            reason: "a stored upload URL points at an unexpected host".into(),
                        });
                        break;
                    }
                    sending.insert(p.number);
                    let (sh2, p2, prog) = (sh.clone(), p.clone(), progress.clone());
                    let (path, filetype) = (row.path.clone(), row.filetype.clone());
                    inflight.spawn(async move {
                        let n = p2.number;
                        let size = p2.size;
                        (
                            n,
                            size,
                            put_part(&sh2, &path, &filetype, p2, url, &prog).await,
                        )
                    });
                }
                if failure.is_none() && inflight.is_empty() {
                    let all_acked = parts.iter().all(|p| p.state == PartState::Acked);
                    if row.closed && all_acked {
                        return Ok(());
                    }
                }
                if !ready {
                    continue;
                }
            }
        }
        if inflight.is_empty() {
            if let Some(d) = failure {
                return Err(d);
            }
            if row.closed && parts.iter().any(|p| p.state != PartState::Acked) {
                continue;
            }
        }
        let growing = !row.closed && failure.is_none();
        let adaptive = sh.config.adaptive && failure.is_none() && !inflight.is_empty();
        tokio::select! {
            _ = sh.adapt_raised.notified(), if adaptive => continue,
            _ = tokio::time::sleep(super::adapt::WINDOW / 2), if adaptive => continue,
            joined = inflight.join_next(), if !inflight.is_empty() => {
                let Some(joined) = joined else { continue };
                let (number, _size, result) = match joined {
                    Ok(r) => r,
                    Err(e) if e.is_cancelled() => continue,
                    Err(_) => {
                        failure.get_or_insert(Disposition::RetryLater { reason: "an upload task failed".into(), after: None });
                        continue;
                    }
                };
                sending.remove(&number);
                match result {
                    Ok(()) => {}
                    Err(Disposition::RePlan { reason }) if !standard => {
                        let count = replans.entry(number).or_insert(0);
                        *count += 1;
                        if *count > 3 {
                            failure.get_or_insert(Disposition::RetryLater { reason, after: None });
                        } else {
                            let id = row.id;
                            let _ = sh.db(move |j| j.clear_part_url(id, number)).await;
                        }
                    }
                    Err(Disposition::RePlan { reason }) if standard => {
                        // A standard asset's URLs cannot be re-issued: when nothing of it was
                        // acknowledged, start over with a new asset (the API's only way).
                        let id = row.id;
                        let reset = sh.db(move |j| j.reset_unstarted_server_asset(id)).await;
                        failure = Some(match reset {
                            Ok(true) => Disposition::RePlan { reason },
                            _ => Disposition::Fatal { reason: format!("{reason}; the upload links expired") },
                        });
                    }
                    Err(d) => {
                        // Keep the most severe failure; let the other parts finish.
                        let worse = matches!(
                            (&failure, &d),
                            (None, _)
                                | (
                                    Some(
                                        Disposition::RetryLater { .. }
                                            | Disposition::WaitForNetwork { .. }
                                            | Disposition::RePlan { .. }
                                    ),
                                    Disposition::Fatal { .. }
                                        | Disposition::Skipped { .. }
                                        | Disposition::AuthLost
                                )
                        );
                        if worse {
                            failure = Some(d);
                        }
                    }
                }
            }
            _ = tokio::time::sleep(Duration::from_millis(500)), if growing || inflight.is_empty() => {}
            _ = cancel.cancelled() => {
                inflight.abort_all();
                return Err(Disposition::Cancelled);
            }
        }
    }
}

/// PUT one part from disk; acknowledge it in the journal on 2xx.
async fn put_part(
    sh: &Arc<Shared>,
    path: &Path,
    filetype: &str,
    part: PartRow,
    url: String,
    progress: &Arc<AssetProgress>,
) -> Result<(), Disposition> {
    let (id, number, size) = (part.asset_id, part.number, part.size);
    sh.db(move |j| j.mark_sent(id, number))
        .await
        .map_err(journal_retry)?;
    let digest = Arc::new(Mutex::new(PartDigest::default()));
    let sent = Arc::new(AtomicU64::new(0));
    let result = put_part_inner(
        sh,
        path,
        filetype,
        &part,
        &url,
        digest.clone(),
        sent.clone(),
        progress,
    )
    .await;
    let sent_bytes = sent.load(Ordering::Relaxed);
    progress.in_flight.fetch_sub(
        sent_bytes.min(progress.in_flight.load(Ordering::Relaxed)),
        Ordering::Relaxed,
    );
    match result {
        Ok(()) => {
            let d = std::mem::take(&mut *lock(&digest));
            if d.bytes != size {
                let _ = sh.db(move |j| j.part_failed(id, number)).await;
                return Err(classify::file_error(&FileError::Changed));
            }
            let sha = hex::encode(d.hasher.map(|h| h.finalize()).unwrap_or_default());
            sh.db(move |j| j.ack_part(id, number, &sha))
                .await
                .map_err(journal_retry)?;
            Ok(())
        }
        Err(d) => {
            let _ = sh.db(move |j| j.part_failed(id, number)).await;
            Err(d)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn put_part_inner(
    sh: &Arc<Shared>,
    path: &Path,
    filetype: &str,
    part: &PartRow,
    url: &str,
    digest: Arc<Mutex<PartDigest>>,
    sent: Arc<AtomicU64>,
    progress: &Arc<AssetProgress>,
) -> Result<(), Disposition> {
    let counter = Arc::new(AtomicU64::new(0));
    let stream = file::part_stream(path, part.offset, part.size, digest, counter.clone())
        .await
        .map_err(|e| classify::file_error(&e))?;
    let req = sh
        .s3
        .put(url)
        .header(CONTENT_TYPE, filetype)
        .header("x-amz-acl", "private")
        .header(CONTENT_LENGTH, part.size)
        .body(reqwest::Body::wrap_stream(stream));
    let started = Instant::now();
    let send = req.send();
    tokio::pin!(send);
    let mut last_bytes = 0u64;
    let mut last_move = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let response = loop {
        tokio::select! {
            r = &mut send => break r,
            _ = tick.tick() => {
                let now_bytes = counter.load(Ordering::Relaxed);
                if now_bytes != last_bytes {
                    sh.adapt_bytes(now_bytes - last_bytes);
                    progress.in_flight.fetch_add(now_bytes - last_bytes, Ordering::Relaxed);
                    sent.store(now_bytes, Ordering::Relaxed);
                    last_bytes = now_bytes;
                    last_move = Instant::now();
                }
                let limit = if now_bytes >= part.size { sh.config.response_timeout } else { sh.config.stall_timeout };
                if last_move.elapsed() >= limit {
                    return Err(Disposition::RetryLater {
                        reason: "the upload stalled".into(),
                        after: None,
                    });
                }
            }
        }
    };
    let now_bytes = counter.load(Ordering::Relaxed);
    if now_bytes > last_bytes {
        progress
            .in_flight
            .fetch_add(now_bytes - last_bytes, Ordering::Relaxed);
        sent.store(now_bytes, Ordering::Relaxed);
    }
    match response {
        Ok(resp) => {
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                sh.api.http().record_transfer(part.size, started.elapsed());
                return Ok(());
            }
            let retry_after = resp
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            if status == 503 || status == 429 {
                // The storage asks to slow down: fewer parts at once.
                lock(&sh.adapt).on_throttled(Instant::now());
            }
            let body = read_limited(resp, 64 * 1024).await;
            Err(classify::s3_status(status, &body, retry_after))
        }
        Err(e) => {
            // A body error from a file that shrank is the file's fault, not the network's.
            if let Ok(f) = file::facts(path)
                && f.size < part.offset + part.size
            {
                return Err(classify::file_error(&FileError::Changed));
            }
            Err(classify::transport(&Error::from_reqwest(&e)))
        }
    }
}

async fn read_limited(mut resp: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        out.extend_from_slice(&chunk[..chunk.len().min(limit - out.len())]);
        if out.len() >= limit {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_urls_must_be_https_on_allowed_hosts() {
        let allowed = vec!["*.amazonaws.com".to_string(), "127.0.0.1:9000".to_string()];
        assert!(
            check_upload_url(
                "https://frameio-uploads.s3-accelerate.amazonaws.com/parts/x",
                &allowed
            )
            .is_ok()
        );
        assert!(check_upload_url("https://127.0.0.1:9000/parts/x", &allowed).is_ok());
        assert!(
            check_upload_url(
                "http://frameio-uploads.s3-accelerate.amazonaws.com/parts/x",
                &allowed
            )
            .is_err()
        );
        assert!(check_upload_url("https://evil.example/parts/x", &allowed).is_err());
        assert!(check_upload_url("https://amazonaws.com.evil.example/x", &allowed).is_err());
        assert!(check_upload_url("https://127.0.0.1:9001/parts/x", &allowed).is_err());
        assert!(check_upload_url("not a url", &allowed).is_err());
        assert!(check_upload_url("https://anything.example/x", &[]).is_ok());
    }

    #[test]
    fn url_expiry_comes_from_the_signature_parameters() {
        let u =
            url::Url::parse("https://h/p?X-Amz-Date=20260101T000000Z&X-Amz-Expires=60").unwrap();
        let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert_eq!(url_expiry_ms(&u), Some(base + 60_000));
        assert_eq!(
            url_expiry_ms(&url::Url::parse("https://h/p").unwrap()),
            None
        );
    }

    #[test]
    fn part_plans_cover_the_file_and_respect_s3_limits() {
        for size in [1u64, MIN_PART, 16 << 20, (16 << 20) + 1, 100 << 20, 5 << 40] {
            let part = part_size_for(16 << 20, Some(size));
            let plan = plan_closed(size, part, 1, 0);
            assert!(plan.len() as u64 <= MAX_PARTS, "{size}");
            assert_eq!(plan.iter().map(|p| p.size).sum::<u64>(), size);
            assert!(plan.last().unwrap().is_final);
            assert_eq!(plan.iter().filter(|p| p.is_final).count(), 1);
            assert!(
                plan.iter()
                    .filter(|p| !p.is_final)
                    .all(|p| p.size >= MIN_PART)
            );
            let mut offset = 0;
            for (i, p) in plan.iter().enumerate() {
                assert_eq!((p.number, p.offset), (i as u32 + 1, offset));
                offset += p.size;
            }
        }
        assert_eq!(part_size_for(1, None), MIN_PART);
        let c = QueueConfig::default();
        assert_eq!(
            spread_part_size(&c, 256 << 20),
            8 << 20,
            "32 parts for 32 connections"
        );
        assert_eq!(
            spread_part_size(&c, 2 << 30),
            16 << 20,
            "never over the configured size"
        );
        assert_eq!(
            spread_part_size(&c, 20 << 20),
            MIN_PART,
            "never under 5 MiB"
        );
        let fixed = QueueConfig {
            adaptive: false,
            ..QueueConfig::default()
        };
        assert_eq!(spread_part_size(&fixed, 256 << 20), 16 << 20);
    }
}
