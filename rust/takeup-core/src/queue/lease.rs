//! Part leases, the one path every executor takes: the engine hands out a part to send (URL,
//! exact headers, file range, the MD5 S3 will check) and the executor reports how it went. The
//! engine's own executor ([`super::executor`]) and a platform's (an iOS background `URLSession`,
//! an Android worker, the binding tests' executors) lease and report through the same functions,
//! so every rule (what is sent, what a failure means, what a late report may change) is here
//! once. The journal applies each report in one transaction ([`super::journal`] `leases`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::error::NetworkErrorKind;

use super::classify::{self, Disposition};
use super::config::QueueError;
use super::file::{self, DigestKind, FileError};
use super::journal::{
    AssetState, Completion, Executor, LeaseFailure, LeaseGrant, LeaseReport, LeaseRow, Reclaim,
};
use super::shared::{Shared, lock, now_ms};

/// The engine's own executor reports within seconds or dies with the process.
const ENGINE_LEASE_TTL: Duration = Duration::from_secs(3600);

/// One header of a part request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransferHeader {
    pub name: String,
    pub value: String,
}

/// A part to send, leased to one executor until it reports or [`PartTransfer::expires_at_ms`].
/// Send exactly this: `method` to `url` with `headers` (and no others that S3 signs, no
/// Authorization), the body being `length` bytes of the file at `path` from `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PartTransfer {
    pub lease_id: String,
    /// The queue entry (file) it belongs to.
    pub asset_id: i64,
    pub part_number: u32,
    pub method: String,
    pub url: String,
    /// Content-Type (the asset's filetype, byte for byte), x-amz-acl, Content-Length and
    /// Content-MD5.
    pub headers: Vec<TransferHeader>,
    pub path: PathBuf,
    pub offset: u64,
    pub length: u64,
    /// Base64 MD5 of the bytes (S3 refuses other bytes with 400 BadDigest).
    pub content_md5: String,
    /// Report before this (Unix ms); afterwards the part may be leased again.
    pub expires_at_ms: i64,
}

/// Why a transfer failed, as the executor saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TransferError {
    /// The upload server answered with a non-2xx status.
    Http {
        status: u16,
        /// The start of the answer's body (S3's XML error), at most a few KiB.
        body: String,
        retry_after: Option<Duration>,
    },
    /// No answer: the connection failed, timed out or broke.
    Network { kind: NetworkErrorKind },
    /// The file could not be read as leased (gone, shorter, other bytes than the lease's MD5).
    File { detail: String },
    /// The executor gives the lease back unsent (its task was cancelled, it ran out of time):
    /// not a failure of the part.
    Abandoned,
}

/// What a report changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum TransferAck {
    /// Applied: the part is acknowledged, or back in line after the failure.
    Applied,
    /// A duplicate, or a lease that was taken back and handed out again: nothing changed.
    Stale,
    /// Never issued (or forgotten long ago).
    Unknown,
}

impl PartTransfer {
    pub(super) fn from_lease(l: &LeaseRow, filetype: &str) -> Option<Self> {
        let md5 = l.md5.clone()?;
        let headers = [
            ("Content-Type", filetype.to_string()),
            ("x-amz-acl", "private".to_string()),
            ("Content-Length", l.size.to_string()),
            ("Content-MD5", md5.clone()),
        ]
        .into_iter()
        .map(|(name, value)| TransferHeader {
            name: name.to_string(),
            value,
        })
        .collect();
        Some(Self {
            lease_id: l.id.clone(),
            asset_id: l.asset_id,
            part_number: l.number,
            method: "PUT".into(),
            url: l.url.clone(),
            headers,
            path: l.path.clone(),
            offset: l.offset,
            length: l.size,
            content_md5: md5,
            expires_at_ms: l.expires_ms,
        })
    }
}

/// Lease up to `limit` parts to `executor` (journal only; the MD5s are computed by the caller
/// with [`seal`]).
pub(super) async fn reserve(
    sh: &Arc<Shared>,
    executor: Executor,
    limit: usize,
) -> Result<Vec<LeaseRow>, QueueError> {
    if limit == 0 {
        return Ok(Vec::new());
    }
    let ttl = match executor {
        Executor::Engine => ENGINE_LEASE_TTL,
        Executor::Platform => sh.config.platform_lease_ttl,
    };
    let session = sh.session.clone();
    let min_life = sh.min_url_life_ms();
    let leased = sh
        .db(move |j| {
            j.lease_parts(&LeaseGrant {
                executor,
                limit,
                now_ms: now_ms(),
                min_url_life_ms: min_life,
                ttl_ms: ttl.as_millis() as i64,
                session: &session,
                exclude: &[],
            })
        })
        .await?;
    // A leased part is no longer pending, which its driver waits for: the final part is
    // cleared only once every other part is out or acknowledged. (Wakes of one driver
    // coalesce.)
    for l in &leased {
        sh.wake_asset(l.asset_id);
    }
    Ok(leased)
}

/// Hash a reserved lease's bytes from the file and record the MD5: the lease may go out. A file
/// that cannot be read as planned fails the lease (the planner then sees why).
pub(super) async fn seal(sh: &Arc<Shared>, lease: LeaseRow) -> Option<PartTransfer> {
    let (path, offset, size) = (lease.path.clone(), lease.offset, lease.size);
    let hashed = file::hashing(move || file::hash_range(&path, offset, size, DigestKind::Md5))
        .await
        .unwrap_or_else(|e| Err(FileError::Io(e.to_string())));
    match hashed {
        Ok(md5) => {
            let id = lease.id.clone();
            let m = md5.clone();
            if sh.db(move |j| j.set_lease_md5(&id, &m)).await.is_err() {
                let _ = report(sh, &lease.id, Err(TransferError::Abandoned)).await;
                return None;
            }
            let sealed = LeaseRow {
                md5: Some(md5),
                ..lease
            };
            PartTransfer::from_lease(&sealed, &sealed.filetype)
        }
        Err(e) => {
            let _ = report(
                sh,
                &lease.id,
                Err(TransferError::File {
                    detail: e.to_string(),
                }),
            )
            .await;
            None
        }
    }
}

/// Apply an executor's report: `Ok(etag)` for a 2xx, or the failure. Idempotent: a duplicate or
/// late report changes nothing it should not (see the journal's lease rules).
pub(super) async fn report(
    sh: &Arc<Shared>,
    lease_id: &str,
    outcome: Result<Option<String>, TransferError>,
) -> Result<TransferAck, QueueError> {
    sh.forget_progress(lease_id);
    let id = lease_id.to_string();
    let failure = match outcome {
        Ok(_etag) => {
            let session = sh.session.clone();
            let r = sh.db(move |j| j.lease_succeeded(&id, &session)).await?;
            return Ok(after_report(sh, r));
        }
        Err(e) => e,
    };
    if failure == TransferError::Abandoned {
        let back = sh
            .db(move |j| j.reclaim_leases(Reclaim::Lease(&id)))
            .await?;
        if let Some(l) = back.first() {
            sh.wake_asset(l.asset_id);
        }
        return Ok(if back.is_empty() {
            TransferAck::Stale
        } else {
            TransferAck::Applied
        });
    }
    let Some(lease) = sh.db(move |j| j.lease(&id)).await? else {
        return Ok(TransferAck::Unknown);
    };
    let verdict = judge(&failure);
    let failures = sh.part_failures(lease.asset_id, lease.number).await + u32::from(verdict.counts);
    let delay = classify::backoff(
        failures.max(1),
        sh.config.backoff_base,
        sh.config.backoff_max,
        verdict.after,
    );
    let f = LeaseFailure {
        reason: verdict.reason.clone(),
        retry_at_ms: now_ms() + delay.as_millis() as i64,
        counts: verdict.counts,
        max_attempts: sh.config.max_attempts,
        // An answer with a status means the server did not store the part; no answer (a cut,
        // a timeout) leaves it open.
        maybe_stored: !matches!(failure, TransferError::Http { .. }),
    };
    let id = lease.id.clone();
    let r = sh.db(move |j| j.lease_failed(&id, &f)).await?;
    if matches!(r, LeaseReport::Failed { .. }) {
        tracing::info!(asset = lease.asset_id, part = lease.number, reason = %verdict.reason, "part send failed");
        after_part_failure(sh, &lease, &verdict).await?;
    }
    Ok(after_report(sh, r))
}

/// What a failed send means beyond the part going back in line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Effect {
    /// Nothing more: the part is sent again after its backoff.
    Retry,
    /// No route to the servers: hold the queue and probe until the link is back.
    Offline,
    /// TLS failed (a captive portal, a clock far off): hold the queue the same way.
    Insecure,
    /// The part's URL expired: get a new one (real-time) or a new asset (standard).
    Replan,
    /// The file is not as the lease hashed it: check it and verify what was sent.
    FileChanged,
    /// The upload is gone on the server: it completed with what was sent (confirmed from the
    /// journal's record of every send), or the file starts again on a new server asset.
    Gone,
    /// Will never work: park the file as failed.
    Park,
}

/// A failed send, judged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Verdict {
    pub reason: String,
    /// Spends one of the attempts that decide poisoned media (never for the network's faults).
    pub counts: bool,
    /// The server's `Retry-After`.
    pub after: Option<Duration>,
    pub effect: Effect,
}

/// Judge a failed send: the network's faults never count against the file; the file's and the
/// server's refusals do.
pub(super) fn judge(f: &TransferError) -> Verdict {
    let verdict = |reason: String, counts, after, effect| Verdict {
        reason,
        counts,
        after,
        effect,
    };
    match f {
        TransferError::Network { kind } => {
            let effect = match kind {
                NetworkErrorKind::Connect => Effect::Offline,
                NetworkErrorKind::Tls => Effect::Insecure,
                NetworkErrorKind::Timeout | NetworkErrorKind::Interrupted => Effect::Retry,
            };
            verdict(kind.to_string(), false, None, effect)
        }
        TransferError::File { detail } => verdict(detail.clone(), true, None, Effect::FileChanged),
        TransferError::Abandoned => verdict("given back unsent".into(), false, None, Effect::Retry),
        TransferError::Http {
            status,
            body,
            retry_after,
        } => {
            let code = classify::s3_code(body.as_bytes()).unwrap_or_default();
            if *status == 400 && (code == "BadDigest" || code == "InvalidDigest") {
                // The bytes sent were not the bytes the lease hashed: the file changed.
                return verdict(
                    format!(
                        "{} (upload server answered HTTP 400 {code})",
                        FileError::Changed
                    ),
                    true,
                    None,
                    Effect::FileChanged,
                );
            }
            if *status == 404 && code == "NoSuchUpload" {
                // The multipart upload is gone: completed by earlier sends whose answers were
                // lost, or expired / aborted (then only a new server asset can take the file).
                return verdict(
                    "the upload server no longer has this upload (404 NoSuchUpload)".into(),
                    false,
                    None,
                    Effect::Gone,
                );
            }
            match classify::s3_status(*status, body.as_bytes(), *retry_after) {
                Disposition::RetryLater { reason, after } => {
                    verdict(reason, true, after, Effect::Retry)
                }
                Disposition::RePlan { reason } => verdict(reason, true, None, Effect::Replan),
                other => verdict(other.reason(), true, None, Effect::Park),
            }
        }
    }
}

/// What a failed send means for the asset and the queue beyond the part's retry.
pub(super) async fn after_part_failure(
    sh: &Shared,
    lease: &LeaseRow,
    verdict: &Verdict,
) -> Result<(), QueueError> {
    let (asset, number) = (lease.asset_id, lease.number);
    match verdict.effect {
        Effect::Retry => {}
        Effect::Offline => sh.network_down(false),
        Effect::Insecure => sh.network_down(true),
        Effect::Replan => {
            let row = sh.db(move |j| j.asset(asset)).await?;
            if row.standard {
                // A standard asset's URLs cannot be re-issued: when nothing of it was
                // acknowledged, start over with a new asset (the API's only way).
                let reason = format!("{}; the upload links expired", verdict.reason);
                let reset = sh
                    .db(move |j| j.reset_unstarted_server_asset(asset))
                    .await?;
                if !reset {
                    sh.db(move |j| j.park(asset, AssetState::Failed, &reason))
                        .await?;
                }
                sh.drop_transfers(asset).await;
            } else {
                sh.db(move |j| j.clear_part_url(asset, number)).await?;
            }
        }
        Effect::FileChanged => {
            // The file is not as it was hashed: whatever was sent is verified again before
            // the final part (and the planner looks at the file anew).
            sh.db(move |j| j.clear_verified(asset)).await?;
        }
        Effect::Gone => {
            let server = lease.server_id.clone();
            let completion = sh.db(move |j| j.confirm_completed(asset, &server)).await?;
            if completion == Completion::Confirmed {
                tracing::info!(
                    asset,
                    "the upload completed with parts whose answers were lost; verifying them"
                );
            } else {
                let row = sh.db(move |j| j.asset(asset)).await?;
                if row.state.is_open() && row.server_id.as_deref() == Some(&lease.server_id) {
                    // Ambiguous: the server may hold a complete asset with an earlier version of
                    // the file; the file goes again as its next version, never as a second
                    // asset beside it.
                    let (reason, version_of) = if completion == Completion::Ambiguous {
                        (
                            "the file changed while its upload completed; uploading it again as a new version".to_string(),
                            Some(lease.server_id.clone()),
                        )
                    } else {
                        (verdict.reason.clone(), None)
                    };
                    let facts = file::facts(&row.path).ok();
                    let growing = !row.closed;
                    let fingerprint = match facts {
                        Some(f) if !growing => file::fingerprint(&row.path, f.size).await.ok(),
                        _ => None,
                    };
                    let r = super::journal::Restart {
                        reason,
                        size: facts.map(|f| f.size).filter(|_| !growing),
                        mtime_ns: facts.map(|f| f.mtime_ns).unwrap_or(row.mtime_ns),
                        fingerprint: fingerprint.or(row.fingerprint.clone()),
                        growing,
                        version_of,
                    };
                    sh.db(move |j| j.restart(asset, &r)).await?;
                    sh.drop_transfers(asset).await;
                }
            }
        }
        Effect::Park => {
            let reason = verdict.reason.clone();
            let row = sh.db(move |j| j.asset(asset)).await?;
            if row.state.is_open() {
                sh.db(move |j| j.park(asset, AssetState::Failed, &reason))
                    .await?;
            }
            sh.drop_transfers(asset).await;
        }
    }
    sh.wake_asset(asset);
    Ok(())
}

/// After a report: wake the asset's driver and the executors; the status changes.
pub(super) fn after_report(sh: &Shared, r: LeaseReport) -> TransferAck {
    match r {
        LeaseReport::Acked { asset_id, .. } => {
            lock(&sh.net_failures).remove(&asset_id);
            sh.wake_asset(asset_id);
            sh.parts_ready();
            TransferAck::Applied
        }
        LeaseReport::Failed { asset_id, .. } => {
            sh.wake_asset(asset_id);
            sh.parts_ready();
            sh.kick();
            TransferAck::Applied
        }
        LeaseReport::Stale { asset_id, .. } => {
            sh.wake_asset(asset_id);
            TransferAck::Stale
        }
        LeaseReport::Unknown => TransferAck::Unknown,
    }
}
