//! The upload queue: the scheduler, the status, and the host's and executors' entry points.
//!
//! ```text
//!  enqueue / select / retry / move-to-top        host: online, writer closed, app state
//!                 │                                          │
//!                 ▼                                          ▼
//!  journal (SQLite) ◀── scheduler ── starts a driver per asset, up to `max_files`, when not held
//!        ▲                                │
//!        │                                ▼
//!        │             driver ── planner (no I/O) ── create · register · verify · check · complete
//!        │                                │           (the steps that need the API or the file)
//!        │                                ▼
//!        │              part leases (journal rows: part, URL, MD5, expiry)
//!        │                   │                                  │
//!        │                   ▼                                  ▼
//!        │        engine executor (reqwest,            platform executor (iOS background
//!        │        adaptive parts in flight)            URLSession, Android worker, tests)
//!        │                   │                                  │
//!        └──── report(lease, outcome): one function, one transaction ┘
//! ```
//!
//! Closed files smaller than one part use the standard asset API (one call, one URL). Everything
//! else uses the real-time API, also for closed files: part URLs are issued per part, so an
//! expired URL is replaced without a new asset (the API's only way to "re-plan"), part sizes are
//! ours to tune, and growing files take the same path.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::client::AuthorizedClient;
use crate::config::EngineConfig;
use crate::connection::{ConnectionState, EngineStatus};
use crate::error::Error;

use super::driver;
use super::executor::{self, InFlight};
use super::file::{self, FileError};
use super::journal::{
    AssetKind, AssetRow, AssetState, Enqueued, Executor, Journal, JournalError, LeaseReport,
    LeaseRow, NewAsset, PartRow, Reclaim,
};
use super::lease::{self, Effect, PartTransfer, TransferAck, TransferError, Verdict};
use super::planner::PlanConfig;
use super::status::{FileEntry, Hold, QueueMode, QueueStatus};

pub use super::plan::{MAX_PARTS, MIN_PART, check_upload_url, part_size_for, url_expiry_ms};

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
    /// How long a platform executor's lease lasts unless its URL expires first; an unreported
    /// part is leased again afterwards.
    pub platform_lease_ttl: Duration,
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
            platform_lease_ttl: super::lease::PLATFORM_LEASE_TTL,
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
#[derive(Clone, Debug, Default)]
pub struct EnqueueOptions {
    /// Proxy, hero, audio or other; guessed from the file when `None`.
    pub kind: Option<AssetKind>,
    /// Put it at the top of the queue.
    pub top: bool,
    /// The file is still being written: upload it in real time as it grows.
    pub growing: bool,
    /// Name on Frame.io (default: the file name).
    pub name: Option<String>,
    /// Channel index (0 = the device).
    pub channel: u32,
}

/// One running driver.
struct Running {
    cancel: CancellationToken,
    wake: Arc<Notify>,
}

/// The queue's shared state: the journal, the holds, the drivers and the executors' bookkeeping.
pub(super) struct Shared {
    /// The runtime the queue started on (its blocking journal writes run there, also when a
    /// host calls from a thread of its own).
    rt: tokio::runtime::Handle,
    /// This engine session: parts hashed and final parts cleared in it are trusted in it only.
    pub session: String,
    /// How many parts the engine's executor keeps in flight (tuned when `config.adaptive`).
    adapt: Mutex<super::adapt::Adaptive>,
    /// Told when the adaptive limit rises, so the executor leases more.
    pub adapt_raised: Notify,
    journal: Arc<Mutex<Journal>>,
    pub api: AuthorizedClient,
    pub s3: reqwest::Client,
    pub config: QueueConfig,
    mode: Mutex<QueueMode>,
    paused_by_user: AtomicBool,
    /// The OS suspended background work (not the user's pause).
    suspended: AtomicBool,
    /// The engine's own executor may take leases.
    engine_transfers: AtomicBool,
    /// The host reported the network down (authoritative until it reports it back).
    host_offline: AtomicBool,
    /// Requests failed as if offline: hold, and probe until a request succeeds.
    inferred_offline: AtomicBool,
    /// TLS failed (a captive portal, a clock far off): hold and probe the same way.
    inferred_insecure: AtomicBool,
    /// Authorization was lost during an upload; cleared when the engine is connected again.
    auth_lost: AtomicBool,
    pub engine_status: watch::Receiver<EngineStatus>,
    running: Mutex<HashMap<i64, Running>>,
    /// Growing files whose writer the host said has finished.
    closed_files: Mutex<HashSet<i64>>,
    /// The scheduler.
    wake: Notify,
    /// The engine's executor: parts became leasable.
    pub exec_wake: Notify,
    /// Platform executors waiting in `next_transfers`.
    lease_ready: Notify,
    /// Drivers waiting out a hold.
    pub hold_changed: Notify,
    pub shutdown: CancellationToken,
    status_tx: watch::Sender<QueueStatus>,
    rates: Mutex<RateTracker>,
    /// The engine executor's transfers in flight, by lease.
    pub in_flight: Mutex<HashMap<String, InFlight>>,
    /// Bytes sent of every lease in flight (both executors): lease → (asset, bytes).
    progress: Mutex<HashMap<String, (i64, u64)>>,
    /// API steps that failed on the network in a row, per asset (their backoff).
    net_failures: Mutex<HashMap<i64, u32>>,
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

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

const PAUSED_SETTING: &str = "paused_by_user";

impl UploadQueue {
    /// Open the journal, repair what a crash left, and start the scheduler and the engine's
    /// executor.
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
        let paused = journal.setting(PAUSED_SETTING)?.as_deref() == Some("1");
        let run = config.run;
        let adapt = super::adapt::Adaptive::new(
            config.max_parts_per_file * config.max_files.max(1),
            config.max_files.max(1),
            config.max_parallel_parts,
        );
        let shared = Arc::new(Shared {
            rt: tokio::runtime::Handle::current(),
            session: uuid::Uuid::new_v4().to_string(),
            adapt: Mutex::new(adapt),
            adapt_raised: Notify::new(),
            journal: Arc::new(Mutex::new(journal)),
            api,
            s3,
            config,
            mode: Mutex::new(mode),
            paused_by_user: AtomicBool::new(paused),
            suspended: AtomicBool::new(false),
            engine_transfers: AtomicBool::new(true),
            host_offline: AtomicBool::new(false),
            inferred_offline: AtomicBool::new(false),
            inferred_insecure: AtomicBool::new(false),
            auth_lost: AtomicBool::new(false),
            engine_status,
            running: Mutex::new(HashMap::new()),
            closed_files: Mutex::new(HashSet::new()),
            wake: Notify::new(),
            exec_wake: Notify::new(),
            lease_ready: Notify::new(),
            hold_changed: Notify::new(),
            shutdown: CancellationToken::new(),
            status_tx: watch::channel(QueueStatus::default()).0,
            rates: Mutex::new(RateTracker::default()),
            in_flight: Mutex::new(HashMap::new()),
            progress: Mutex::new(HashMap::new()),
            net_failures: Mutex::new(HashMap::new()),
        });
        let queue = Self { shared };
        queue.shared.publish();
        if run {
            tokio::spawn(scheduler(queue.shared.clone()));
            tokio::spawn(executor::run(queue.shared.clone()));
        }
        Ok(queue)
    }

    /// Add a file (or report that it is queued or uploaded already). The file is known by its
    /// canonical path and its identity on disk: a symlink or `dir/../x` is the same file.
    pub async fn enqueue(&self, path: &Path, opts: EnqueueOptions) -> Result<Enqueued, QueueError> {
        let given = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let file_err = |error| QueueError::File {
            path: given.display().to_string(),
            error,
        };
        let facts = file::facts(&given).map_err(file_err)?;
        let path = std::fs::canonicalize(&given).unwrap_or_else(|_| given.clone());
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
                .unwrap_or_else(|| file::upload_name(&given)),
            kind: opts.kind.unwrap_or_else(|| file::kind_for(&given)),
            filetype: file::mime_for(&given).to_string(),
            channel: opts.channel,
            size: (!opts.growing).then_some(facts.size),
            mtime_ns: facts.mtime_ns,
            media_created_ms: facts.created_ms,
            fingerprint,
            realtime: opts.growing,
            held,
            file_id: file::file_id(&path),
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
        self.shared.wake_asset(id);
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
        self.shared.drop_transfers(id).await;
        self.shared.kick();
        Ok(cancelled)
    }

    /// Cancel everything still queued or uploading.
    pub async fn cancel_all(&self) -> Result<usize, QueueError> {
        let ids = self.shared.db(|j| j.cancel_all()).await?;
        for r in lock(&self.shared.running).values() {
            r.cancel.cancel();
        }
        for id in &ids {
            self.shared.drop_transfers(*id).await;
        }
        self.shared.kick();
        Ok(ids.len())
    }

    /// Retry a failed, skipped or cancelled file.
    pub async fn retry(&self, id: i64) -> Result<(), QueueError> {
        self.shared.db(move |j| j.retry(id)).await?;
        lock(&self.shared.net_failures).remove(&id);
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

    /// The user pauses the queue: running files stop (their acknowledged parts are kept). The
    /// pause is kept across restarts until the user resumes.
    pub fn pause(&self) {
        self.shared.set_paused(true);
    }

    /// The user resumes the queue.
    pub fn resume(&self) {
        self.shared.set_paused(false);
    }

    /// Whether the user paused the queue (persisted).
    pub fn is_paused(&self) -> bool {
        self.shared.paused_by_user.load(Ordering::SeqCst)
    }

    /// The OS suspends (or allows again) the app's work: running files stop as for a pause, but
    /// this is not the user's pause and is not kept across restarts. Transfers the platform's
    /// executor took over go on in the OS.
    pub fn set_suspended(&self, suspended: bool) {
        let sh = &self.shared;
        if sh.suspended.swap(suspended, Ordering::SeqCst) == suspended {
            return;
        }
        if suspended {
            sh.interrupt_all();
        }
        sh.holds_changed();
    }

    /// Whether the engine's own executor moves part bytes (on by default). A host that hands the
    /// transfers to the platform (an iOS app going to the background) turns it off; transfers in
    /// flight finish.
    pub fn set_engine_transfers(&self, on: bool) {
        self.shared.engine_transfers.store(on, Ordering::SeqCst);
        self.shared.exec_wake.notify_one();
    }

    /// The host reports network reachability. "Back online" also ends an inferred outage, so
    /// the queue tries at once.
    pub fn set_online(&self, online: bool) {
        let sh = &self.shared;
        sh.host_offline.store(!online, Ordering::SeqCst);
        if online {
            sh.inferred_offline.store(false, Ordering::SeqCst);
            sh.inferred_insecure.store(false, Ordering::SeqCst);
        }
        sh.holds_changed();
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

    /// Leases that are out (tests, diagnostics).
    pub async fn leases_out(&self) -> Result<Vec<LeaseRow>, QueueError> {
        self.shared.db(|j| j.leases_out(None)).await
    }

    // --- The platform executor's entry points ---

    /// Lease up to `limit` parts to the platform's executor. When none is ready yet but files
    /// are being uploaded (their assets being created, URLs registered), waits up to `wait` for
    /// some. Returns nothing while the queue is held (paused, offline, not authorized).
    pub async fn next_transfers(
        &self,
        limit: usize,
        wait: Duration,
    ) -> Result<Vec<PartTransfer>, QueueError> {
        let sh = &self.shared;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let ready = sh.lease_ready.notified();
            tokio::pin!(ready);
            ready.as_mut().enable();
            sh.reclaim_expired().await;
            if sh.hold().is_none() {
                let rows = lease::reserve(sh, Executor::Platform, limit).await?;
                if !rows.is_empty() {
                    let sealed = futures_util::future::join_all(
                        rows.into_iter().map(|r| lease::seal(sh, r)),
                    )
                    .await;
                    let out: Vec<PartTransfer> = sealed.into_iter().flatten().collect();
                    if !out.is_empty() {
                        sh.publish();
                        return Ok(out);
                    }
                    continue;
                }
            }
            let t = sh.db(|j| j.totals()).await?;
            if t.queued + t.active == 0 || tokio::time::Instant::now() >= deadline {
                return Ok(Vec::new());
            }
            sh.kick();
            tokio::select! {
                _ = &mut ready => {}
                _ = tokio::time::sleep_until(deadline) => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = sh.shutdown.cancelled() => return Err(QueueError::Stopped),
            }
        }
    }

    /// The platform's executor stored a part (HTTP 2xx). Idempotent.
    pub async fn transfer_succeeded(
        &self,
        lease_id: &str,
        etag: Option<String>,
    ) -> Result<TransferAck, QueueError> {
        lease::report(&self.shared, lease_id, Ok(etag)).await
    }

    /// The platform's executor could not store a part. Idempotent.
    pub async fn transfer_failed(
        &self,
        lease_id: &str,
        error: TransferError,
    ) -> Result<TransferAck, QueueError> {
        lease::report(&self.shared, lease_id, Err(error)).await
    }

    /// Bytes of a platform transfer sent so far (progress while the app watches).
    pub fn transfer_progress(&self, lease_id: &str, sent_bytes: u64) {
        let sh = &self.shared;
        let asset = lock(&sh.progress).get(lease_id).map(|(a, _)| *a);
        let asset = match asset {
            Some(a) => Some(a),
            None => lock(&sh.journal)
                .lease(lease_id)
                .ok()
                .flatten()
                .filter(|l| l.state == super::journal::LeaseState::Out)
                .map(|l| l.asset_id),
        };
        if let Some(asset) = asset {
            lock(&sh.progress).insert(lease_id.to_string(), (asset, sent_bytes));
        }
    }

    /// At relaunch: the transfers the platform still runs (by lease id). Every other lease the
    /// platform held is taken back (the OS dropped it, or it finished while the app was gone and
    /// its report was lost: its part is sent again). Returns how many were taken back.
    pub async fn pending_transfers(&self, still_running: Vec<String>) -> Result<u64, QueueError> {
        let back = self
            .shared
            .db(move |j| j.reclaim_leases(Reclaim::PlatformExcept(&still_running)))
            .await?;
        for l in &back {
            self.shared.wake_asset(l.asset_id);
        }
        self.shared.parts_ready();
        Ok(back.len() as u64)
    }

    /// Copy a leased part's bytes into `dest` (the slice file a background upload task sends),
    /// checking them against the lease's MD5: a file that changed since the lease fails here
    /// (report it with [`TransferError::File`]) rather than sending other bytes.
    pub async fn write_transfer_slice(
        &self,
        lease_id: &str,
        dest: PathBuf,
    ) -> Result<(), QueueError> {
        let id = lease_id.to_string();
        let lease = self
            .shared
            .db(move |j| j.lease(&id))
            .await?
            .filter(|l| l.state == super::journal::LeaseState::Out)
            .ok_or_else(|| {
                QueueError::Journal(JournalError::Invalid(format!(
                    "lease {lease_id} is not out"
                )))
            })?;
        let md5 = lease.md5.clone().ok_or_else(|| {
            QueueError::Journal(JournalError::Invalid(format!(
                "lease {lease_id} is not sealed"
            )))
        })?;
        let path = lease.path.clone();
        tokio::task::spawn_blocking(move || {
            file::write_slice(&path, lease.offset, lease.size, &md5, &dest)
        })
        .await
        .map_err(|_| QueueError::Stopped)?
        .map_err(|error| QueueError::File {
            path: lease.path.display().to_string(),
            error,
        })
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

    /// Stop the scheduler, the drivers and the engine's transfers (acknowledged parts are kept
    /// for the next start).
    pub fn shutdown(&self) {
        self.shared.shutdown.cancel();
        self.shared.interrupt_all();
    }
}

impl Shared {
    /// Run a journal operation off the async threads.
    pub(super) async fn db<T: Send + 'static>(
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

    fn set_paused(self: &Arc<Self>, paused: bool) {
        if self.paused_by_user.swap(paused, Ordering::SeqCst) != paused {
            // Persist the latest value (a pause and a resume in quick succession both end with
            // the flag as it is when they write).
            let me = self.clone();
            drop(self.rt.spawn_blocking(move || {
                let value = if me.paused_by_user.load(Ordering::SeqCst) {
                    "1"
                } else {
                    "0"
                };
                if let Err(e) = lock(&me.journal).set_setting(PAUSED_SETTING, value) {
                    tracing::warn!(error = %e, "cannot persist the pause");
                }
            }));
        }
        if paused {
            self.interrupt_all();
        }
        self.holds_changed();
    }

    /// Stop every driver and the engine executor's transfers (a pause, a suspension, shutdown).
    fn interrupt_all(&self) {
        for r in lock(&self.running).values() {
            r.cancel.cancel();
        }
        executor::abort(self, None);
        let j = self.journal.clone();
        drop(
            self.rt.spawn_blocking(move || {
                lock(&j).reclaim_leases(Reclaim::Executor(Executor::Engine))
            }),
        );
    }

    fn holds_changed(&self) {
        self.hold_changed.notify_waiters();
        self.exec_wake.notify_one();
        self.lease_ready.notify_waiters();
        self.kick();
    }

    /// Stop moving one asset's bytes (cancelled, parked, restarted): the engine executor's
    /// transfers are aborted and every lease of it taken back (a platform transfer still running
    /// reports late and changes nothing).
    pub(super) async fn drop_transfers(&self, asset: i64) {
        executor::abort(self, Some(asset));
        let back = self
            .db(move |j| j.reclaim_leases(Reclaim::Asset(asset)))
            .await
            .unwrap_or_default();
        let mut p = lock(&self.progress);
        for l in back {
            p.remove(&l.id);
        }
        p.retain(|_, (a, _)| *a != asset);
    }

    pub(super) fn engine_transfers_on(&self) -> bool {
        self.engine_transfers.load(Ordering::SeqCst)
    }

    /// How many parts the engine's executor keeps in flight.
    pub(super) fn transfer_limit(&self) -> usize {
        if !self.config.adaptive {
            return self.config.max_parts_per_file * self.config.max_files.max(1);
        }
        let mut a = lock(&self.adapt);
        a.tick(Instant::now());
        a.limit()
    }

    /// The executor could use `wanted` parts in flight.
    pub(super) fn on_demand(&self, wanted: usize) {
        let mut a = lock(&self.adapt);
        let before = a.limit();
        let now = Instant::now();
        a.tick(now);
        a.on_demand(wanted, now);
        if a.limit() > before {
            tracing::debug!(parts = a.limit(), "more parts in flight");
            self.adapt_raised.notify_one();
        } else if a.limit() < before {
            tracing::debug!(parts = a.limit(), "fewer parts in flight");
        }
    }

    pub(super) fn on_throttled(&self) {
        if self.config.adaptive {
            lock(&self.adapt).on_throttled(Instant::now());
        }
    }

    /// Bytes of a lease went out (`total` so far, `delta` new).
    pub(super) fn on_bytes_sent(&self, lease: &str, asset: i64, total: u64, delta: u64) {
        if self.config.adaptive {
            lock(&self.adapt).on_bytes(delta, Instant::now());
        }
        lock(&self.progress).insert(lease.to_string(), (asset, total));
    }

    pub(super) fn forget_progress(&self, lease: &str) {
        lock(&self.progress).remove(lease);
    }

    /// Parts leasable right now (the executor's unmet demand).
    pub(super) async fn leasable_now(&self) -> usize {
        let (session, life) = (self.session.clone(), self.min_url_life_ms());
        self.db(move |j| j.leasable_count(now_ms(), life, &session))
            .await
            .unwrap_or(0) as usize
    }

    /// Parts became leasable (registered, cleared, given back).
    pub(super) fn parts_ready(&self) {
        self.exec_wake.notify_one();
        self.lease_ready.notify_waiters();
    }

    /// A URL must stay valid this long to be leased.
    pub(super) fn min_url_life_ms(&self) -> i64 {
        (self.config.response_timeout + self.config.stall_timeout).as_millis() as i64 * 2
    }

    pub(super) fn plan_config(&self) -> PlanConfig {
        PlanConfig {
            part_size: self.config.part_size,
            register_ahead: (self.config.max_parallel_parts * 2).max(8),
            register_batch: 32,
            // The same margin the leases use: a URL is registered again exactly when it is too
            // close to its expiry to be leased (never in a loop when the server's URLs are short).
            min_url_life_ms: self.min_url_life_ms(),
            max_restarts: 3,
        }
    }

    pub(super) fn writer_closed(&self, id: i64) -> bool {
        lock(&self.closed_files).contains(&id)
    }

    pub(super) fn wake_asset(&self, id: i64) {
        if let Some(r) = lock(&self.running).get(&id) {
            r.wake.notify_one();
        }
    }

    pub(super) fn auth_lost(&self) {
        self.auth_lost.store(true, Ordering::SeqCst);
        self.holds_changed();
    }

    /// Requests failed as if there were no network (or no trustworthy one): hold and probe.
    pub(super) fn network_down(&self, insecure: bool) {
        if insecure {
            self.inferred_insecure.store(true, Ordering::SeqCst);
        } else {
            self.inferred_offline.store(true, Ordering::SeqCst);
        }
        self.holds_changed();
    }

    /// The backoff of an API step that failed on the network (per asset, in a row).
    pub(super) fn network_backoff(&self, asset: i64) -> Duration {
        let mut m = lock(&self.net_failures);
        let n = m.entry(asset).or_default();
        *n = n.saturating_add(1);
        super::classify::backoff(*n, self.config.backoff_base, self.config.backoff_max, None)
    }

    pub(super) async fn part_failures(&self, asset: i64, number: u32) -> u32 {
        self.db(move |j| {
            Ok(j.parts(asset)?
                .iter()
                .find(|p| p.number == number)
                .map(|p| p.failures)
                .unwrap_or(0))
        })
        .await
        .unwrap_or(0)
    }

    /// After a report: wake the asset's driver and the executors; the status changes.
    pub(super) fn after_report(&self, r: LeaseReport) -> TransferAck {
        match r {
            LeaseReport::Acked { asset_id, .. } => {
                lock(&self.net_failures).remove(&asset_id);
                self.wake_asset(asset_id);
                self.parts_ready();
                TransferAck::Applied
            }
            LeaseReport::Failed { asset_id, .. } => {
                self.wake_asset(asset_id);
                self.parts_ready();
                self.kick();
                TransferAck::Applied
            }
            LeaseReport::Stale { asset_id, .. } => {
                self.wake_asset(asset_id);
                TransferAck::Stale
            }
            LeaseReport::Unknown => TransferAck::Unknown,
        }
    }

    /// What a failed send means for the asset and the queue beyond the part's retry.
    pub(super) async fn after_part_failure(
        &self,
        lease: &LeaseRow,
        verdict: &Verdict,
    ) -> Result<(), QueueError> {
        let (asset, number) = (lease.asset_id, lease.number);
        match verdict.effect {
            Effect::Retry => {}
            Effect::Offline => self.network_down(false),
            Effect::Insecure => self.network_down(true),
            Effect::Replan => {
                let row = self.db(move |j| j.asset(asset)).await?;
                if row.standard {
                    // A standard asset's URLs cannot be re-issued: when nothing of it was
                    // acknowledged, start over with a new asset (the API's only way).
                    let reason = format!("{}; the upload links expired", verdict.reason);
                    let reset = self
                        .db(move |j| j.reset_unstarted_server_asset(asset))
                        .await?;
                    if !reset {
                        self.db(move |j| j.park(asset, AssetState::Failed, &reason))
                            .await?;
                    }
                    self.drop_transfers(asset).await;
                } else {
                    self.db(move |j| j.clear_part_url(asset, number)).await?;
                }
            }
            Effect::FileChanged => {
                // The file is not as it was hashed: whatever was sent is verified again before
                // the final part (and the planner looks at the file anew).
                self.db(move |j| j.clear_verified(asset)).await?;
            }
            Effect::Restart => {
                // The driver starts the file on a new server asset at its next turn.
                let reason = verdict.reason.clone();
                let row = self.db(move |j| j.asset(asset)).await?;
                if row.state.is_open() {
                    let facts = file::facts(&row.path).ok();
                    let growing = !row.closed;
                    let r = super::journal::Restart {
                        reason,
                        size: if growing { None } else { row.size },
                        mtime_ns: facts.map(|f| f.mtime_ns).unwrap_or(row.mtime_ns),
                        fingerprint: row.fingerprint.clone(),
                        growing,
                        version_of: None,
                    };
                    self.db(move |j| j.restart(asset, &r)).await?;
                    self.drop_transfers(asset).await;
                }
            }
            Effect::Park => {
                let reason = verdict.reason.clone();
                let row = self.db(move |j| j.asset(asset)).await?;
                if row.state.is_open() {
                    self.db(move |j| j.park(asset, AssetState::Failed, &reason))
                        .await?;
                }
                self.drop_transfers(asset).await;
            }
        }
        self.wake_asset(asset);
        Ok(())
    }

    /// Take back platform leases past their expiry (their parts go again).
    async fn reclaim_expired(&self) {
        if let Ok(back) = self
            .db(|j| j.reclaim_leases(Reclaim::Expired(now_ms())))
            .await
            && !back.is_empty()
        {
            tracing::info!(leases = back.len(), "expired leases taken back");
            for l in &back {
                self.wake_asset(l.asset_id);
            }
            self.parts_ready();
        }
    }

    pub(super) fn hold(&self) -> Option<Hold> {
        if self.paused_by_user.load(Ordering::SeqCst) {
            return Some(Hold::PausedByUser);
        }
        if self.suspended.load(Ordering::SeqCst) {
            return Some(Hold::Suspended);
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
        if self.inferred_insecure.load(Ordering::SeqCst) {
            return Some(Hold::Insecure);
        }
        None
    }

    /// Rebuild the status snapshot from the journal and the live progress, and publish it.
    fn publish(&self) {
        let in_flight = executor::in_flight_by_asset(&lock(&self.progress));
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
    let mut next_reclaim = Instant::now();
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
            sh.holds_changed();
        }
        if Instant::now() >= next_reclaim {
            sh.reclaim_expired().await;
            next_reclaim = Instant::now() + Duration::from_secs(30);
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
                            start_driver(&sh, row).await;
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "cannot read the upload queue"),
                }
            }
        } else if matches!(hold, Some(Hold::Offline | Hold::Insecure))
            && (sh.inferred_offline.load(Ordering::SeqCst)
                || sh.inferred_insecure.load(Ordering::SeqCst))
            && !sh.host_offline.load(Ordering::SeqCst)
            && Instant::now() >= next_probe
        {
            // Inferred outage: a cheap authorized call tells when the link is back.
            match sh.api.post_empty("/v2/devices/heartbeat").await {
                Ok(_) => {
                    tracing::info!("network is back");
                    sh.inferred_offline.store(false, Ordering::SeqCst);
                    sh.inferred_insecure.store(false, Ordering::SeqCst);
                    sh.holds_changed();
                    continue;
                }
                Err(Error::Network {
                    kind: crate::error::NetworkErrorKind::Tls,
                }) => {
                    sh.inferred_offline.store(false, Ordering::SeqCst);
                    sh.inferred_insecure.store(true, Ordering::SeqCst);
                }
                Err(_) => {}
            }
            probe_delay = (probe_delay * 2).min(Duration::from_secs(30));
            next_probe = Instant::now() + probe_delay;
        }
        sh.publish();
        let active = !lock(&sh.running).is_empty() || !lock(&sh.progress).is_empty();
        let next_retry = sh.db(|j| j.next_retry_at()).await.ok().flatten();
        let mut wait = if active {
            Duration::from_millis(250)
        } else {
            Duration::from_secs(5)
        };
        if let Some(at) = next_retry {
            wait = wait.min(Duration::from_millis((at - now_ms()).max(0) as u64));
        }
        if matches!(hold, Some(Hold::Offline | Hold::Insecure)) {
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

async fn start_driver(sh: &Arc<Shared>, row: AssetRow) {
    let id = row.id;
    if let Err(e) = sh.db(move |j| j.start(id)).await {
        tracing::debug!(id, error = %e, "not started");
        return;
    }
    let cancel = sh.shutdown.child_token();
    let wake = Arc::new(Notify::new());
    lock(&sh.running).insert(
        id,
        Running {
            cancel: cancel.clone(),
            wake: wake.clone(),
        },
    );
    let sh = sh.clone();
    tokio::spawn(async move {
        tracing::info!(id, name = %row.name, "upload started");
        let end = driver::drive(sh.clone(), id, cancel, wake).await;
        if end == driver::End::Interrupted {
            // A pause, a suspension or the shutdown: back in the queue without a failure (the
            // journal says cancelled when the user cancelled).
            let _ = sh.db(move |j| j.end_attempt(id, None)).await;
        }
        if end == driver::End::Done {
            lock(&sh.closed_files).remove(&id);
            lock(&sh.net_failures).remove(&id);
        }
        lock(&sh.running).remove(&id);
        sh.publish();
        sh.kick();
    });
}
