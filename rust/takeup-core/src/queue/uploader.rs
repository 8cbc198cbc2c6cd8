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

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::client::AuthorizedClient;
use crate::connection::{ConnectionState, EngineStatus};
use crate::error::Error;

use super::driver;
use super::executor;
use super::file;
use super::journal::{
    AssetRow, AssetState, Enqueued, Executor, Journal, JournalError, LeaseRow, NewAsset, PartRow,
    Reclaim,
};
use super::lease::{self, PartTransfer, TransferAck, TransferError};
use super::shared::{PAUSED_SETTING, RateTracker, Running, Shared, lock, now_ms};
use super::status::{Hold, QueueMode, QueueStatus};

pub use super::config::{BackgroundRun, EnqueueOptions, QueueConfig, QueueError};

/// Builds the HTTP client of the part uploads (see [`crate::http::upload_client`]).
pub type UploadClients =
    Arc<dyn Fn() -> Result<reqwest::Client, crate::error::Error> + Send + Sync>;
pub use super::plan::{MAX_PARTS, MIN_PART, check_upload_url, part_size_for, url_expiry_ms};

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

impl UploadQueue {
    /// Open the journal, repair what a crash left, and start the scheduler and the engine's
    /// executor. `uploads` builds the HTTP clients of the part uploads (a new one, with no pooled
    /// connections, after the network changed).
    pub fn start(
        journal_path: &Path,
        api: AuthorizedClient,
        uploads: UploadClients,
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
        let engine_transfers = config.engine_transfers;
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
            s3: Mutex::new((uploads)().map_err(|e| QueueError::Setup(e.to_string()))?),
            new_s3: uploads,
            config,
            mode: Mutex::new(mode),
            paused_by_user: AtomicBool::new(paused),
            suspended: AtomicBool::new(false),
            engine_transfers: AtomicBool::new(engine_transfers),
            host_offline: AtomicBool::new(false),
            inferred_offline: AtomicBool::new(false),
            inferred_insecure: AtomicBool::new(false),
            auth_lost: AtomicBool::new(false),
            engine_status,
            running: Mutex::new(HashMap::new()),
            closed_files: Mutex::new(HashMap::new()),
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
        let mut r = self.enqueue_many(&[path.to_path_buf()], opts).await?;
        r.pop().unwrap_or(Err(QueueError::Stopped))
    }

    /// Add many files at once (a card dump): each is inspected as [`UploadQueue::enqueue`] does
    /// (in parallel), then all are recorded in one transaction and the status changes once.
    /// Each file has its own outcome, in order; the outer error is the journal's (a full disk).
    /// `opts.name` applies only when one file is given.
    pub async fn enqueue_many(
        &self,
        paths: &[PathBuf],
        opts: EnqueueOptions,
    ) -> Result<Vec<Result<Enqueued, QueueError>>, QueueError> {
        use futures_util::StreamExt;
        let held = *lock(&self.shared.mode) == QueueMode::Manual;
        let name = opts.name.clone().filter(|_| paths.len() == 1);
        let prepared: Vec<Result<NewAsset, QueueError>> =
            futures_util::stream::iter(paths.iter().cloned())
                .map(|p| inspect(p, opts.clone(), name.clone(), held))
                .buffered(16)
                .collect()
                .await;
        let assets: Vec<NewAsset> = prepared
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .cloned()
            .collect();
        let top = opts.top;
        let recorded = self
            .shared
            .db(move |j| j.enqueue_many(&assets, top))
            .await?;
        let mut recorded = recorded.into_iter();
        let out = prepared
            .into_iter()
            .map(|p| match p {
                Ok(_) => recorded
                    .next()
                    .unwrap_or(Err(JournalError::Invalid("not recorded".into())))
                    .map_err(QueueError::from),
                Err(e) => Err(e),
            })
            .collect();
        self.shared.kick();
        Ok(out)
    }

    /// The writer of a growing file finished: finalise it with its true size. A write after this
    /// call (the writer reopened the file to append) makes it stale: the file keeps growing until
    /// the next report or its growth idle time.
    pub fn file_closed(&self, id: i64) {
        let now_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(i64::MAX);
        lock(&self.shared.closed_files).insert(id, now_ns);
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

    /// Pause (or resume) one channel: the planner starts none of its files while paused, and
    /// its running files stop (their acknowledged parts are kept). Persisted in the journal.
    pub async fn set_channel_paused(&self, channel: u32, paused: bool) -> Result<(), QueueError> {
        self.shared
            .db(move |j| j.set_channel_paused(channel, paused))
            .await?;
        if paused {
            let running: Vec<i64> = lock(&self.shared.running).keys().copied().collect();
            let rows = self
                .shared
                .db(move |j| {
                    running
                        .into_iter()
                        .map(|id| j.asset(id))
                        .collect::<Result<Vec<_>, _>>()
                })
                .await?;
            for row in rows.into_iter().filter(|r| r.channel == channel) {
                if let Some(r) = lock(&self.shared.running).get(&row.id) {
                    r.cancel.cancel();
                }
                self.shared.drop_transfers(row.id).await;
            }
        }
        self.shared.kick();
        Ok(())
    }

    /// Set the seconds added to the `offset` of one channel's uploads and triggers.
    pub async fn set_channel_offset(
        &self,
        channel: u32,
        offset_secs: i64,
    ) -> Result<(), QueueError> {
        self.shared
            .db(move |j| j.set_channel_offset(channel, offset_secs))
            .await
    }

    /// Local settings of every channel that has any.
    pub async fn channel_settings(
        &self,
    ) -> Result<Vec<super::journal::ChannelSettings>, QueueError> {
        self.shared.db(|j| j.channel_settings()).await
    }

    /// The journal, for the take-log notes (`crate::notes`), which share its database.
    pub(crate) fn journal(&self) -> Arc<Mutex<Journal>> {
        self.shared.journal.clone()
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

    /// The host reports that the device moved to another network (Wi-Fi to cellular, a new
    /// access point): parts in flight on the old path are stopped at once and sent again on new
    /// connections (their leases go back without a failure), instead of waiting for their
    /// connections to stall.
    pub fn network_changed(&self) {
        let sh = &self.shared;
        match (sh.new_s3)() {
            Ok(client) => *lock(&sh.s3) = client,
            Err(e) => tracing::warn!(error = %e, "cannot build a new upload client"),
        }
        let stopped = sh.abort_transfers(None);
        if stopped > 0 {
            tracing::info!(
                parts = stopped,
                "network changed: resending the parts in flight"
            );
        }
        let j = sh.journal.clone();
        drop(
            sh.rt.spawn_blocking(move || {
                lock(&j).reclaim_leases(Reclaim::Executor(Executor::Engine))
            }),
        );
        sh.holds_changed();
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
        file::hashing(move || file::write_slice(&path, lease.offset, lease.size, &md5, &dest))
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
    /// time cannot fix (paused by the user, not paired, no project) or suspended by the OS (the
    /// slot's time was taken back), or `max` has passed.
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
                        Some(
                            Hold::PausedByUser
                                | Hold::NotAuthorized
                                | Hold::NotConnected
                                | Hold::Suspended
                        )
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

/// What the journal needs to know of a file being queued: its facts, canonical path, identity
/// and (closed files) fingerprint.
async fn inspect(
    path: PathBuf,
    opts: EnqueueOptions,
    name: Option<String>,
    held: bool,
) -> Result<NewAsset, QueueError> {
    let given = std::path::absolute(&path).unwrap_or(path);
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
    Ok(NewAsset {
        name: name
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
    })
}
