//! The asset driver: carries out the planner's steps for one active asset — the steps that need
//! the file or the API (create the asset, register parts for URLs, verify, check the file) — and
//! makes parts leasable. It never sends part bytes: executors lease them ([`super::lease`]).
//! One driver runs per active asset; it ends when the asset is done, parked, interrupted, or has
//! nothing to do but wait for a retry time (the slot goes to another file meanwhile).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::connection::{ConnectionState, EngineStatus};
use crate::error::{Error, NetworkErrorKind};

use super::classify::{self, Disposition};
use super::config::QueueError;
use super::file::{self, DigestKind, FileError};
use super::journal::{AssetRow, AssetState, PartRow, PartState, PlannedPart, Restart};
use super::naming;
use super::plan::{plan_closed, plan_growth, spread_part_size};
use super::planner::{self, PlanInput, Step};
use super::shared::{Shared, now_ms};
use super::wire;

/// How a driver run ended (the journal already says what it means for the asset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    Done,
    /// Parked, cancelled, failed by a report, or back in the queue for a retry.
    Left,
    /// Stopped by a pause, a suspension or the shutdown.
    Interrupted,
}

/// What a verification found.
enum Verified {
    Ok,
    /// The file's bytes under this part differ from what was sent.
    Mismatch(u32),
    /// The file could not be read (the planner sees why at its next look).
    Unreadable,
}

struct Driver {
    sh: Arc<Shared>,
    id: i64,
    cancel: CancellationToken,
    wake: Arc<tokio::sync::Notify>,
    verifying: Option<JoinHandle<Verified>>,
    /// The growing file's last size and when it changed.
    growth: (u64, Instant),
    /// This driver's own view of the engine status: it wakes on a change of the connection
    /// (a hold may have begun or ended), not on the network samples every transfer adds.
    status: watch::Receiver<EngineStatus>,
    /// The connection as this turn saw it (read before the turn's hold check).
    seen_connection: ConnectionState,
}

/// Drive one asset until it is done, leaves the active state, or the token is cancelled.
pub(super) async fn drive(
    sh: Arc<Shared>,
    id: i64,
    cancel: CancellationToken,
    wake: Arc<tokio::sync::Notify>,
) -> End {
    let mut status = sh.engine_status.clone();
    let seen_connection = status.borrow_and_update().connection.clone();
    let mut d = Driver {
        sh,
        id,
        cancel,
        wake,
        verifying: None,
        growth: (0, Instant::now()),
        status,
        seen_connection,
    };
    let end = d.run().await;
    if let Some(v) = d.verifying.take() {
        v.abort();
    }
    end
}

enum Flow {
    Continue,
    Stop(End),
}

impl Driver {
    async fn run(&mut self) -> End {
        loop {
            if self.cancel.is_cancelled() {
                return End::Interrupted;
            }
            match self.turn().await {
                Ok(Flow::Continue) => {}
                Ok(Flow::Stop(end)) => return end,
                Err(e) => {
                    // The journal refused a write (full disk, I/O): try again shortly; the asset
                    // stays active meanwhile, its acknowledged parts kept.
                    tracing::warn!(id = self.id, error = %e, "the upload journal failed; retrying");
                    if self.pause(Duration::from_millis(500)).await {
                        return End::Interrupted;
                    }
                }
            }
        }
    }

    /// Sleep, or stop early when cancelled (true).
    async fn pause(&self, d: Duration) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => false,
            _ = self.cancel.cancelled() => true,
        }
    }

    async fn turn(&mut self) -> Result<Flow, QueueError> {
        let sh = self.sh.clone();
        let id = self.id;
        self.seen_connection = self.status.borrow_and_update().connection.clone();
        let (row, parts) = sh.db(move |j| Ok((j.asset(id)?, j.parts(id)?))).await?;
        if row.state != AssetState::Active {
            return Ok(Flow::Stop(End::Left));
        }
        if let Some(hold) = sh.hold() {
            tracing::trace!(id, ?hold, "held");
            return Ok(self.wait(None, true).await);
        }
        let verifying = match &self.verifying {
            Some(h) if h.is_finished() => {
                let h = self.verifying.take().expect("checked");
                match h.await.unwrap_or(Verified::Unreadable) {
                    Verified::Mismatch(n) => {
                        // Every part acknowledged: the server holds a complete asset with the
                        // earlier bytes, and the file goes again as its next version; otherwise
                        // the incomplete asset is abandoned.
                        let complete = row.closed
                            && !parts.is_empty()
                            && parts.iter().all(|p| p.state == PartState::Acked);
                        let (reason, version_of) = if complete {
                            (
                                format!(
                                    "part {n} of the file changed after it was sent; uploading it again as a new version"
                                ),
                                row.server_id.clone(),
                            )
                        } else {
                            (
                                format!(
                                    "part {n} of the file changed after it was sent; uploading the file again as a new asset"
                                ),
                                None,
                            )
                        };
                        return self.restart(&row, reason, !row.closed, version_of).await;
                    }
                    Verified::Ok | Verified::Unreadable => false,
                }
            }
            Some(_) => true,
            None => false,
        };
        let facts = file::facts(&row.path);
        if let Ok(f) = &facts
            && f.size != self.growth.0
        {
            self.growth = (f.size, Instant::now());
        }
        let config = sh.plan_config();
        let step = planner::decide(&PlanInput {
            row: &row,
            parts: &parts,
            file: &facts,
            session: &sh.session,
            now_ms: now_ms(),
            writer_closed: facts
                .as_ref()
                .is_ok_and(|f| sh.writer_closed(id, f.mtime_ns)),
            // Not grown for the idle time: as this driver saw it, or as the file's mtime says
            // (an app killed more often than the idle time must still finish a file whose
            // writer stopped).
            growth_idle: self.growth.1.elapsed() >= sh.config.growth_idle
                || facts.as_ref().is_ok_and(|f| {
                    now_ms() - f.mtime_ns / 1_000_000 >= sh.config.growth_idle.as_millis() as i64
                }),
            verifying,
            config: &config,
        });
        tracing::trace!(id, ?step, "planned");
        match step {
            Step::Park { state, reason } => self.park(state, reason).await,
            Step::Restart {
                reason,
                growing,
                version_of,
            } => self.restart(&row, reason, growing, version_of).await,
            Step::ReopenGrowing => {
                tracing::info!(
                    id,
                    "the file is still being written; uploading it as it grows"
                );
                sh.db(move |j| j.reopen_growing(id)).await?;
                self.growth = (0, Instant::now());
                Ok(Flow::Continue)
            }
            Step::CheckContent => self.check_content(&row).await,
            Step::Create { standard } => self.create(&row, standard).await,
            Step::Extend(new) => {
                sh.db(move |j| j.add_parts(id, &new)).await?;
                Ok(Flow::Continue)
            }
            Step::Close => self.close(&row, &parts).await,
            Step::Register(numbers) => self.register(&row, &parts, &numbers).await,
            Step::Verify(numbers) => {
                self.start_verify(&row, &parts, numbers);
                Ok(Flow::Continue)
            }
            Step::ClearFinal => self.clear_final(&row).await,
            Step::Complete => self.complete(&row).await,
            Step::Wait {
                next_retry_ms,
                in_flight,
            } => {
                if in_flight == 0
                    && let Some(at) = next_retry_ms
                    && at - now_ms() > 2_000
                {
                    // Every part left waits for its retry time: give the slot away meanwhile.
                    sh.db(move |j| j.end_attempt(id, Some(at))).await?;
                    return Ok(Flow::Stop(End::Left));
                }
                let until =
                    next_retry_ms.map(|at| Duration::from_millis((at - now_ms()).max(0) as u64));
                Ok(self.wait(until, !row.closed).await)
            }
        }
    }

    /// Wait for a report about this asset, a hold change, a timer or the file to grow.
    async fn wait(&mut self, until: Option<Duration>, poll: bool) -> Flow {
        let mut d = until.unwrap_or(Duration::from_secs(5));
        if poll || self.verifying.is_some() {
            d = d.min(Duration::from_millis(500));
        }
        // The receiver is kept across turns, so a change is seen once. (A clone of the shared
        // receiver made per wait saw every change since the queue started as new, and the
        // driver turned, reading the journal, thousands of times a second.)
        let (status, seen) = (&mut self.status, &self.seen_connection);
        let connection_changed = async move {
            while status.borrow_and_update().connection == *seen {
                if status.changed().await.is_err() {
                    // The engine is going away: the cancellation ends this driver.
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            _ = self.wake.notified() => {}
            _ = tokio::time::sleep(d) => {}
            _ = connection_changed => {}
            _ = self.sh.hold_changed.notified() => {}
            _ = self.cancel.cancelled() => return Flow::Stop(End::Interrupted),
        }
        Flow::Continue
    }

    async fn park(&self, state: AssetState, reason: String) -> Result<Flow, QueueError> {
        let id = self.id;
        tracing::info!(id, %reason, state = state.as_str(), "upload parked");
        let r = reason.clone();
        self.sh.db(move |j| j.park(id, state, &r)).await?;
        self.sh.drop_transfers(id).await;
        Ok(Flow::Stop(End::Left))
    }

    async fn restart(
        &mut self,
        row: &AssetRow,
        reason: String,
        growing: bool,
        version_of: Option<String>,
    ) -> Result<Flow, QueueError> {
        let id = self.id;
        tracing::info!(id, %reason, "starting the upload again on a new server asset");
        let facts = match file::facts(&row.path) {
            Ok(f) => f,
            Err(e) => return self.park(AssetState::Failed, e.to_string()).await,
        };
        let fingerprint = if growing {
            None
        } else {
            match file::fingerprint(&row.path, facts.size).await {
                Ok(fp) => Some(fp),
                Err(e) => return self.park(AssetState::Failed, e.to_string()).await,
            }
        };
        let r = Restart {
            reason,
            size: (!growing).then_some(facts.size),
            mtime_ns: facts.mtime_ns,
            fingerprint,
            growing,
            version_of,
        };
        self.sh.db(move |j| j.restart(id, &r)).await?;
        self.sh.drop_transfers(id).await;
        if let Some(v) = self.verifying.take() {
            v.abort();
        }
        self.growth = (0, Instant::now());
        Ok(Flow::Continue)
    }

    /// The file could not be read for a check: shorter than a moment ago (the planner looks
    /// again), or unreadable (parked with the reason).
    async fn unreadable(&self, e: FileError) -> Result<Flow, QueueError> {
        if e == FileError::Changed {
            return Ok(Flow::Continue);
        }
        self.park(AssetState::Failed, e.to_string()).await
    }

    /// The mtime moved at the same size: the same bytes (a touch, a copy with times) or others.
    async fn check_content(&self, row: &AssetRow) -> Result<Flow, QueueError> {
        let id = self.id;
        let facts = match file::facts(&row.path) {
            Ok(f) => f,
            Err(_) => return Ok(Flow::Continue),
        };
        let fp = match file::fingerprint(&row.path, facts.size).await {
            Ok(fp) => fp,
            Err(e) => return self.unreadable(e).await,
        };
        if Some(&fp) == row.fingerprint.as_ref() {
            self.sh
                .db(move |j| j.update_file_facts(id, facts.mtime_ns, None))
                .await?;
        } else if row.server_id.is_none() {
            return self
                .park(AssetState::Failed, FileError::Changed.to_string())
                .await;
        } else {
            self.verify_again(facts.mtime_ns, fp).await?;
        }
        Ok(Flow::Continue)
    }

    /// The file has other bytes than recorded: whatever was sent must be verified again before
    /// the final part; the new facts are recorded.
    async fn verify_again(&self, mtime_ns: i64, fp: String) -> Result<(), QueueError> {
        let id = self.id;
        tracing::info!(
            id,
            "the file changed during its upload; verifying what was sent"
        );
        self.sh
            .db(move |j| {
                j.clear_verified(id)?;
                j.update_file_facts(id, mtime_ns, Some(&fp))
            })
            .await
    }

    /// An API step failed: what the queue does with the asset.
    async fn api_failed(&self, row: &AssetRow, e: &Error) -> Result<Flow, QueueError> {
        if let Error::RateLimited { retry_after } = e {
            // Frame.io asks everyone to slow down (the client already paused its calls): wait,
            // without spending one of this file's attempts.
            let (id, max) = (self.id, self.sh.config.max_attempts);
            let delay = classify::backoff(
                1,
                self.sh.config.backoff_base,
                self.sh.config.backoff_max,
                *retry_after,
            );
            let at = now_ms() + delay.as_millis() as i64;
            let reason = e.to_string();
            self.sh
                .db(move |j| j.attempt_failed(id, &reason, at, max, false).map(|_| ()))
                .await?;
            return Ok(Flow::Stop(End::Left));
        }
        if let Error::Network { kind } = e {
            // The network's fault: hold or back off, never spend the file's attempts.
            match kind {
                NetworkErrorKind::Connect => self.sh.network_down(false),
                NetworkErrorKind::Tls => self.sh.network_down(true),
                NetworkErrorKind::Timeout | NetworkErrorKind::Interrupted => {}
            }
            let delay = self.sh.network_backoff(self.id);
            let reason = e.to_string();
            let (id, max) = (self.id, self.sh.config.max_attempts);
            let at = now_ms() + delay.as_millis() as i64;
            self.sh
                .db(move |j| j.attempt_failed(id, &reason, at, max, false).map(|_| ()))
                .await?;
            return Ok(Flow::Stop(End::Left));
        }
        self.disposed(row, classify::api_error(e)).await
    }

    /// Act on a failure's disposition.
    async fn disposed(&self, row: &AssetRow, d: Disposition) -> Result<Flow, QueueError> {
        let (id, max) = (self.id, self.sh.config.max_attempts);
        let reason = d.reason();
        tracing::info!(id, %reason, "upload step failed");
        match d.clone() {
            Disposition::Skipped { reason } => self.park(AssetState::Skipped, reason).await,
            Disposition::Fatal { reason } => self.park(AssetState::Failed, reason).await,
            Disposition::AuthLost | Disposition::WaitForNetwork { .. } => {
                // The queue holds (not authorized / offline); the attempt is recorded without
                // counting towards parking the file.
                if matches!(d, Disposition::AuthLost) {
                    self.sh.auth_lost();
                } else {
                    self.sh.network_down(false);
                }
                self.sh
                    .db(move |j| {
                        j.attempt_failed(id, &reason, now_ms(), max, false)
                            .map(|_| ())
                    })
                    .await?;
                Ok(Flow::Stop(End::Left))
            }
            Disposition::RetryLater { .. } | Disposition::RePlan { .. } => {
                let after = match &d {
                    Disposition::RetryLater { after, .. } => *after,
                    _ => None,
                };
                let delay = classify::backoff(
                    row.attempts + 1,
                    self.sh.config.backoff_base,
                    self.sh.config.backoff_max,
                    after,
                );
                let at = now_ms() + delay.as_millis() as i64;
                self.sh
                    .db(move |j| j.attempt_failed(id, &reason, at, max, true).map(|_| ()))
                    .await?;
                Ok(Flow::Stop(End::Left))
            }
            Disposition::Cancelled => Ok(Flow::Stop(End::Interrupted)),
        }
    }

    /// Create the server asset: only once the file reads as queued (an unreadable file must not
    /// leave an empty asset behind). Its id is committed with the part plan at once.
    async fn create(&self, row: &AssetRow, standard: bool) -> Result<Flow, QueueError> {
        let id = self.id;
        let sh = &self.sh;
        let facts = match file::facts(&row.path) {
            Ok(f) => f,
            Err(e) => return self.park(AssetState::Failed, e.to_string()).await,
        };
        if row.closed {
            match file::fingerprint(&row.path, facts.size).await {
                Ok(fp) if Some(&fp) == row.fingerprint.as_ref() => {}
                Ok(_) => {
                    return self
                        .park(AssetState::Failed, FileError::Changed.to_string())
                        .await;
                }
                Err(e) => return self.park(AssetState::Failed, e.to_string()).await,
            }
        } else if let Err(e) = file::readable(&row.path).await {
            return self.park(AssetState::Failed, e.to_string()).await;
        }
        // The channel's offset (a source whose media reaches the engine late) adds to the age;
        // clients send non-negative offsets (§8).
        let channel = row.channel;
        let channel_offset = self
            .sh
            .db(move |j| j.channel_setting(channel))
            .await
            .map(|c| c.offset_secs)
            .unwrap_or(0);
        let offset_secs =
            ((now_ms() - row.media_created_ms).max(0) / 1000 + channel_offset).max(0) as u64;
        let mut body = json!({
            "name": row.name,
            "filetype": row.filetype,
            "offset": offset_secs,
            "channel": row.channel,
        });
        if standard {
            body["filesize"] = json!(row.size.unwrap_or(0));
        } else {
            // A real-time asset's name needs an extension; without one the type gives it, and
            // the real name follows with the final part (`asset_name`).
            body["is_realtime_upload"] = json!(true);
            let naming = naming::realtime_naming(&row.name, &row.filetype);
            match naming.name {
                Some(n) => body["name"] = json!(n),
                None => {
                    if let Some(map) = body.as_object_mut() {
                        map.remove("name");
                    }
                    body["extension"] = json!(naming.extension);
                }
            }
        }
        if let Some(v) = &row.version_of {
            body["auto_version_id"] = json!(v);
        }
        let resp = tokio::select! {
            r = sh.api.post_json("/v2/devices/assets", &body) => r,
            _ = self.cancel.cancelled() => return Ok(Flow::Stop(End::Interrupted)),
        };
        let resp = match resp {
            Ok(r) => r,
            Err(Error::NotFound { .. }) if row.version_of.is_some() => {
                // The asset to version is gone (deleted on the server): a new asset, then.
                tracing::info!(id, "the earlier version is gone; uploading as a new asset");
                sh.db(move |j| j.clear_version_of(id)).await?;
                return Ok(Flow::Continue);
            }
            Err(e) => return self.api_failed(row, &e).await,
        };
        let (server_id, answer) = match wire::created_asset_id(&resp.body) {
            Ok(x) => x,
            Err(d) => return self.disposed(row, d).await,
        };
        let parts = if standard {
            match wire::standard_plan(&answer, row.size.unwrap_or(0), &sh.config.upload_hosts) {
                Ok(p) => p,
                Err(d) => {
                    tracing::warn!(
                        id,
                        server_id,
                        "the new asset's part plan is unusable; it is left behind"
                    );
                    return self.disposed(row, d).await;
                }
            }
        } else if let Some(size) = row.size.filter(|_| row.closed) {
            plan_closed(
                size,
                spread_part_size(
                    sh.config.part_size,
                    sh.config.adaptive,
                    sh.config.max_parallel_parts,
                    size,
                ),
                1,
                0,
            )
        } else {
            Vec::new()
        };
        let sid = server_id.clone();
        sh.db(move |j| j.record_created(id, &sid, standard, &parts))
            .await?;
        tracing::info!(id, server_id, standard, "asset created");
        sh.parts_ready();
        Ok(Flow::Continue)
    }

    /// The writer finished: plan the rest of the file and its final part.
    async fn close(&self, row: &AssetRow, parts: &[PartRow]) -> Result<Flow, QueueError> {
        let id = self.id;
        let facts = match file::facts(&row.path) {
            Ok(f) => f,
            Err(e) => return self.park(AssetState::Failed, e.to_string()).await,
        };
        if facts.size == 0 {
            return self
                .park(AssetState::Failed, "the recording is empty".into())
                .await;
        }
        let planned_end: u64 = parts.iter().map(|p| p.size).sum();
        if facts.size < planned_end {
            return Ok(Flow::Continue);
        }
        let fp = match file::fingerprint(&row.path, facts.size).await {
            Ok(fp) => fp,
            Err(e) => return self.unreadable(e).await,
        };
        let next = parts.last().map(|p| p.number + 1).unwrap_or(1);
        let mut new = plan_growth(facts.size, next, planned_end);
        let end = new.last().map(|p| p.offset + p.size).unwrap_or(planned_end);
        new.push(PlannedPart {
            number: new.last().map(|p| p.number + 1).unwrap_or(next),
            offset: end,
            size: facts.size - end,
            is_final: true,
            url: None,
            url_expires_ms: None,
        });
        let (size, mtime) = (facts.size, facts.mtime_ns);
        let session = self.sh.session.clone();
        self.sh
            .db(move |j| {
                j.add_parts(id, &new)?;
                j.close_file(id, size, mtime, &fp)?;
                // Just fingerprinted with every byte planned: the final part may go.
                j.set_final_cleared(id, Some(&session))
            })
            .await?;
        tracing::info!(id, size, "growing file finished");
        Ok(Flow::Continue)
    }

    /// Ask for URLs of the next parts (real-time API), in one request.
    async fn register(
        &mut self,
        row: &AssetRow,
        parts: &[PartRow],
        numbers: &[u32],
    ) -> Result<Flow, QueueError> {
        let id = self.id;
        let sh = self.sh.clone();
        let Some(server_id) = row.server_id.clone() else {
            return Ok(Flow::Continue);
        };
        let wanted: Vec<&PartRow> = parts
            .iter()
            .filter(|p| numbers.contains(&p.number))
            .collect();
        let mut body_parts = Vec::new();
        let mut has_final = false;
        for p in &wanted {
            has_final |= p.is_final;
            body_parts.push(json!({ "number": p.number, "size": p.size, "is_final": p.is_final }));
        }
        let mut body = json!({ "parts": body_parts });
        if has_final {
            body["asset_filesize"] = json!(row.size.unwrap_or(0));
            body["asset_name"] = json!(row.name);
        }
        let path = format!("/v2/devices/assets/{server_id}/realtime_upload/parts");
        let resp = tokio::select! {
            r = sh.api.post_json(&path, &body) => r,
            _ = self.cancel.cancelled() => return Ok(Flow::Stop(End::Interrupted)),
        };
        let resp = match resp {
            Ok(r) => r,
            Err(Error::NotFound { .. }) => {
                // The server no longer knows the asset (deleted, or never finished being made):
                // start the file again on a new one.
                return self
                    .restart(
                        row,
                        "the server no longer has this upload; starting it again".into(),
                        !row.closed,
                        None,
                    )
                    .await;
            }
            Err(e) => return self.api_failed(row, &e).await,
        };
        let urls = match wire::part_urls(&resp.body, wanted.len(), &sh.config.upload_hosts) {
            Ok(u) => u,
            Err(d) => return self.disposed(row, d).await,
        };
        let updates: Vec<(u32, String, Option<i64>)> = wanted
            .iter()
            .zip(urls)
            .map(|(p, (url, exp))| (p.number, url, exp))
            .collect();
        sh.db(move |j| {
            for (n, url, exp) in &updates {
                j.set_part_url(id, *n, url, *exp)?;
            }
            Ok(())
        })
        .await?;
        sh.parts_ready();
        Ok(Flow::Continue)
    }

    /// Hash acknowledged parts from the file in the background and compare them with what was
    /// sent; the remaining parts go on meanwhile, the final part waits.
    fn start_verify(&mut self, row: &AssetRow, parts: &[PartRow], numbers: Vec<u32>) {
        let todo: Vec<PartRow> = parts
            .iter()
            .filter(|p| numbers.contains(&p.number))
            .cloned()
            .collect();
        let (sh, id, path) = (self.sh.clone(), self.id, row.path.clone());
        let wake = self.wake.clone();
        tracing::info!(
            id,
            parts = todo.len(),
            "verifying the parts sent before this session"
        );
        self.verifying = Some(tokio::spawn(async move {
            let session = sh.session.clone();
            let mut verdict = Verified::Ok;
            for p in todo {
                let (kind, want) = match (&p.md5, &p.sha256) {
                    (Some(m), _) => (DigestKind::Md5, m.clone()),
                    (None, Some(s)) => (DigestKind::Sha256, s.clone()),
                    // Nothing to compare with: the bytes cannot be vouched for.
                    (None, None) => {
                        verdict = Verified::Mismatch(p.number);
                        break;
                    }
                };
                let path2 = path.clone();
                let got =
                    file::hashing(move || file::hash_range(&path2, p.offset, p.size, kind)).await;
                match got {
                    Ok(Ok(h)) if h == want => {
                        let s = session.clone();
                        let n = p.number;
                        if sh.db(move |j| j.mark_verified(id, n, &s)).await.is_err() {
                            verdict = Verified::Unreadable;
                            break;
                        }
                    }
                    Ok(Ok(_)) => {
                        verdict = Verified::Mismatch(p.number);
                        break;
                    }
                    _ => {
                        verdict = Verified::Unreadable;
                        break;
                    }
                }
            }
            wake.notify_one();
            verdict
        }));
    }

    /// Check the file once more before its final part goes: unchanged, the final part is
    /// cleared for this session.
    async fn clear_final(&self, row: &AssetRow) -> Result<Flow, QueueError> {
        let id = self.id;
        let facts = match file::facts(&row.path) {
            Ok(f) => f,
            Err(_) => return Ok(Flow::Continue),
        };
        if Some(facts.size) != row.size || facts.mtime_ns != row.mtime_ns {
            return Ok(Flow::Continue);
        }
        let fp = match file::fingerprint(&row.path, facts.size).await {
            Ok(fp) => fp,
            Err(e) => return self.unreadable(e).await,
        };
        if Some(&fp) != row.fingerprint.as_ref() {
            self.verify_again(facts.mtime_ns, fp).await?;
            return Ok(Flow::Continue);
        }
        let session = self.sh.session.clone();
        self.sh
            .db(move |j| j.set_final_cleared(id, Some(&session)))
            .await?;
        self.sh.parts_ready();
        Ok(Flow::Continue)
    }

    /// Every part is acknowledged: the file must still be what was sent.
    async fn complete(&mut self, row: &AssetRow) -> Result<Flow, QueueError> {
        let id = self.id;
        let facts = match file::facts(&row.path) {
            Ok(f) => f,
            Err(_) => return Ok(Flow::Continue),
        };
        if Some(facts.size) != row.size {
            return Ok(Flow::Continue);
        }
        if facts.mtime_ns != row.mtime_ns {
            let fp = match file::fingerprint(&row.path, facts.size).await {
                Ok(fp) => fp,
                Err(e) => return self.unreadable(e).await,
            };
            if Some(&fp) != row.fingerprint.as_ref() {
                return self
                    .restart(
                        row,
                        "the file changed while its upload completed; uploading it again as a new version".into(),
                        false,
                        row.server_id.clone(),
                    )
                    .await;
            }
        }
        self.sh.db(move |j| j.complete(id)).await?;
        tracing::info!(id, name = %row.name, "upload complete");
        Ok(Flow::Stop(End::Done))
    }
}
