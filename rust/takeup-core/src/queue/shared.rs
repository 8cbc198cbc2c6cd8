//! The queue's shared state: the journal handle, the holds, the running drivers, the engine
//! executor's transfers in flight and every lease's progress, and the status they make up.
//! The scheduler, the drivers, the lease entry points and the executor all work through it;
//! it calls none of them.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::client::AuthorizedClient;
use crate::connection::{ConnectionState, EngineStatus};

use super::config::{QueueConfig, QueueError};
use super::journal::{AssetRow, AssetState, Executor, Journal, JournalError, Reclaim};
use super::planner::PlanConfig;
use super::status::{FileEntry, Hold, QueueMode, QueueStatus};

/// One running driver.
/// One transfer of the engine's executor in flight.
pub(super) struct InFlight {
    pub asset_id: i64,
    pub abort: tokio::task::AbortHandle,
}

pub(super) struct Running {
    pub cancel: CancellationToken,
    pub wake: Arc<Notify>,
}

/// The queue's shared state: the journal, the holds, the drivers and the executors' bookkeeping.
pub(super) struct Shared {
    /// The runtime the queue started on (its blocking journal writes run there, also when a
    /// host calls from a thread of its own).
    pub rt: tokio::runtime::Handle,
    /// This engine session: parts hashed and final parts cleared in it are trusted in it only.
    pub session: String,
    /// How many parts the engine's executor keeps in flight (tuned when `config.adaptive`).
    pub adapt: Mutex<super::adapt::Adaptive>,
    /// Told when the adaptive limit rises, so the executor leases more.
    pub adapt_raised: Notify,
    pub journal: Arc<Mutex<Journal>>,
    pub api: AuthorizedClient,
    /// The part uploads' HTTP client (replaced, with its pooled connections, when the network
    /// changes) and how to build a new one.
    pub s3: Mutex<reqwest::Client>,
    pub new_s3: super::uploader::UploadClients,
    pub config: QueueConfig,
    pub mode: Mutex<QueueMode>,
    pub paused_by_user: AtomicBool,
    /// The OS suspended background work (not the user's pause).
    pub suspended: AtomicBool,
    /// The engine's own executor may take leases.
    pub engine_transfers: AtomicBool,
    /// The host reported the network down (authoritative until it reports it back).
    pub host_offline: AtomicBool,
    /// Requests failed as if offline: hold, and probe until a request succeeds.
    pub inferred_offline: AtomicBool,
    /// TLS failed (a captive portal, a clock far off): hold and probe the same way.
    pub inferred_insecure: AtomicBool,
    /// Authorization was lost during an upload; cleared when the engine is connected again.
    pub auth_lost: AtomicBool,
    pub engine_status: watch::Receiver<EngineStatus>,
    pub running: Mutex<HashMap<i64, Running>>,
    /// Growing files whose writer the host said has finished, with when it said so (ns since
    /// the epoch): a write after that (the writer reopened the file) makes the report stale.
    pub closed_files: Mutex<HashMap<i64, i64>>,
    /// The scheduler.
    pub wake: Notify,
    /// The engine's executor: parts became leasable.
    pub exec_wake: Notify,
    /// Platform executors waiting in `next_transfers`.
    pub lease_ready: Notify,
    /// Drivers waiting out a hold.
    pub hold_changed: Notify,
    pub shutdown: CancellationToken,
    pub status_tx: watch::Sender<QueueStatus>,
    pub rates: Mutex<RateTracker>,
    /// The engine executor's transfers in flight, by lease.
    pub in_flight: Mutex<HashMap<String, InFlight>>,
    /// Bytes sent of every lease in flight (both executors): lease → (asset, bytes).
    pub progress: Mutex<HashMap<String, (i64, u64)>>,
    /// API steps that failed on the network in a row, per asset (their backoff).
    pub net_failures: Mutex<HashMap<i64, u32>>,
}

#[derive(Default)]
pub(super) struct RateTracker {
    last: Option<(Instant, HashMap<i64, u64>)>,
    rates: HashMap<i64, f64>,
}

pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

pub(super) const PAUSED_SETTING: &str = "paused_by_user";

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

    pub(super) fn kick(&self) {
        if self.config.run {
            self.wake.notify_one();
        } else {
            self.publish();
        }
    }

    pub(super) fn set_paused(self: &Arc<Self>, paused: bool) {
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
    pub(super) fn interrupt_all(&self) {
        for r in lock(&self.running).values() {
            r.cancel.cancel();
        }
        self.abort_transfers(None);
        let j = self.journal.clone();
        drop(
            self.rt.spawn_blocking(move || {
                lock(&j).reclaim_leases(Reclaim::Executor(Executor::Engine))
            }),
        );
    }

    pub(super) fn holds_changed(&self) {
        self.hold_changed.notify_waiters();
        self.exec_wake.notify_one();
        self.lease_ready.notify_waiters();
        self.kick();
    }

    /// Stop moving one asset's bytes (cancelled, parked, restarted): the engine executor's
    /// transfers are aborted and every lease of it taken back (a platform transfer still running
    /// reports late and changes nothing).
    pub(super) async fn drop_transfers(&self, asset: i64) {
        self.abort_transfers(Some(asset));
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

    /// Abort the engine executor's transfers of one asset (or all), returning how many.
    pub(super) fn abort_transfers(&self, asset: Option<i64>) -> usize {
        let mut map = lock(&self.in_flight);
        let ids: Vec<String> = map
            .iter()
            .filter(|(_, f)| asset.is_none_or(|a| f.asset_id == a))
            .map(|(id, _)| id.clone())
            .collect();
        for id in &ids {
            if let Some(f) = map.remove(id) {
                f.abort.abort();
            }
        }
        ids.len()
    }

    pub(super) fn engine_transfers_on(&self) -> bool {
        self.engine_transfers.load(Ordering::SeqCst)
    }

    /// How many parts the engine's executor keeps in flight.
    pub(super) fn transfer_limit(&self) -> usize {
        if !self.config.adaptive {
            return self.config.max_parts_per_file * self.config.max_files.max(1);
        }
        self.adapt_move(|a, now| {
            a.tick(now);
        })
    }

    /// The executor's lease round (see [`super::adapt::Adaptive::on_round`]).
    pub(super) fn on_round(
        &self,
        in_flight: usize,
        room: usize,
        got: usize,
        waiting: Option<usize>,
    ) {
        self.adapt_move(|a, now| {
            a.tick(now);
            a.on_round(in_flight, room, got, waiting, now);
        });
    }

    /// A part of `bytes` was leased to the engine's executor.
    pub(super) fn on_part_leased(&self, bytes: u64) {
        if self.config.adaptive {
            lock(&self.adapt).on_part(bytes);
        }
    }

    /// Apply `f` to the adaptive limit; log a move (and wake the executor on a raise). The limit.
    fn adapt_move(&self, f: impl FnOnce(&mut super::adapt::Adaptive, Instant)) -> usize {
        let mut a = lock(&self.adapt);
        let before = a.limit();
        f(&mut a, Instant::now());
        let after = a.limit();
        if after > before {
            tracing::debug!(parts = after, "more parts in flight");
            self.adapt_raised.notify_one();
        } else if after < before {
            tracing::debug!(parts = after, "fewer parts in flight");
        }
        after
    }

    pub(super) fn on_throttled(&self) {
        if self.config.adaptive {
            lock(&self.adapt).on_throttled(Instant::now());
        }
    }

    /// Bytes of a lease went out (`total` so far, `delta` new).
    pub(super) fn on_bytes_sent(&self, lease: &str, asset: i64, total: u64, delta: u64) {
        if self.config.adaptive {
            // Close a window that is over here too, not only at the executor's next round
            // (every half window): a window's end stays within a byte report of its length.
            self.adapt_move(|a, now| {
                a.tick(now);
                a.on_bytes(delta, now);
            });
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

    /// The host said the writer finished, and the file (last modified at `mtime_ns`) was not
    /// written after that.
    pub(super) fn writer_closed(&self, id: i64, mtime_ns: i64) -> bool {
        lock(&self.closed_files)
            .get(&id)
            .is_some_and(|&said| mtime_ns <= said)
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

    /// Take back platform leases past their expiry (their parts go again).
    pub(super) async fn reclaim_expired(&self) {
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
    pub(super) fn publish(&self) {
        let in_flight: HashMap<i64, u64> = {
            let mut by_asset: HashMap<i64, u64> = HashMap::new();
            for (asset, bytes) in lock(&self.progress).values() {
                *by_asset.entry(*asset).or_default() += bytes;
            }
            by_asset
        };
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
pub(super) const STATUS_LIST_CAP: u32 = 500;
