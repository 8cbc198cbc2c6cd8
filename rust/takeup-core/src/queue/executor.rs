//! The engine's own executor: leases parts and PUTs them from this process with reqwest, as many
//! at once as the adaptive limit allows ([`super::adapt`]), streaming each from disk in bounded
//! chunks. It takes the same leases and reports through the same function as a platform's
//! executor ([`super::lease`]); nothing here decides what a failure means.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderName, HeaderValue};
use tokio::task::JoinSet;

use crate::error::{Error, NetworkErrorKind};

use super::file::{self, FileError};
use super::journal::Executor;
use super::lease::{self, PartTransfer, TransferError};
use super::shared::{InFlight, Shared, lock};

/// Run until the queue shuts down: keep up to the limit of parts in flight while the queue is
/// not held and in-process transfers are on.
pub(super) async fn run(sh: Arc<Shared>) {
    let mut tasks: JoinSet<(String, Result<Option<String>, TransferError>)> = JoinSet::new();
    // Outcomes the journal could not take yet (a full disk, an I/O error): reports are
    // idempotent, so they are tried again until they land; the part stays leased meanwhile.
    let mut unrecorded: Vec<(String, Result<Option<String>, TransferError>)> = Vec::new();
    let mut retry_delay = Duration::from_millis(250);
    loop {
        if sh.shutdown.is_cancelled() {
            break;
        }
        if !unrecorded.is_empty() {
            let mut still = Vec::new();
            for (id, outcome) in unrecorded.drain(..) {
                if lease::report(&sh, &id, outcome.clone()).await.is_err() {
                    still.push((id, outcome));
                }
            }
            unrecorded = still;
            retry_delay = if unrecorded.is_empty() {
                Duration::from_millis(250)
            } else {
                (retry_delay * 2).min(Duration::from_secs(5))
            };
        }
        if sh.engine_transfers_on() && sh.hold().is_none() {
            let limit = sh.transfer_limit();
            let room = limit.saturating_sub(tasks.len());
            match lease::reserve(&sh, Executor::Engine, room).await {
                Ok(leases) => {
                    let got = leases.len();
                    for l in leases {
                        sh.on_part_leased(l.size);
                        let sh2 = sh.clone();
                        let id = l.id.clone();
                        let asset = l.asset_id;
                        let handle = tasks.spawn(async move {
                            let id = l.id.clone();
                            match lease::seal(&sh2, l).await {
                                Some(t) => (id, put(&sh2, &t).await),
                                // Sealing failed: already reported.
                                None => (id, Err(TransferError::Abandoned)),
                            }
                        });
                        lock(&sh.in_flight).insert(
                            id,
                            InFlight {
                                asset_id: asset,
                                abort: handle,
                            },
                        );
                    }
                    if sh.config.adaptive {
                        // Saturated: parts were waiting that the limit kept back (asked when
                        // every free slot was filled; remembered while the slots stay taken).
                        let waiting = if got == room && room > 0 {
                            Some(sh.leasable_now().await)
                        } else {
                            None
                        };
                        sh.on_round(tasks.len(), room, got, waiting);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot lease parts"),
            }
        }
        let mut tick = if sh.config.adaptive {
            super::adapt::WINDOW / 2
        } else {
            Duration::from_secs(1)
        };
        if !unrecorded.is_empty() {
            tick = tick.min(retry_delay);
        }
        tokio::select! {
            joined = tasks.join_next(), if !tasks.is_empty() => {
                // An aborted transfer (cancel, pause, suspension) had its lease taken back.
                if let Some(Ok((id, outcome))) = joined {
                    lock(&sh.in_flight).remove(&id);
                    if let Err(e) = lease::report(&sh, &id, outcome.clone()).await {
                        tracing::warn!(error = %e, lease = %id, "cannot record a part's outcome yet; trying again");
                        unrecorded.push((id, outcome));
                    }
                }
            }
            _ = sh.exec_wake.notified() => {}
            _ = sh.adapt_raised.notified() => {}
            _ = tokio::time::sleep(tick) => {}
            _ = sh.shutdown.cancelled() => break,
        }
    }
    tasks.abort_all();
}

/// What the HTTP stack holds of a part's body before the socket takes it: hyper queues up to 16
/// slices ([`file::SLICE`]) of a body, rustls up to 64 KiB of records. A part stream counts
/// bytes as it hands them over, so a part that starts counts this much at once, before any of
/// it left, and one that ends counted its last bytes as long before they were carried.
pub(super) const STACK_AHEAD: u64 = 16 * file::SLICE as u64 + 64 * 1024;

/// The bytes of a part the adaptive limit takes as carried when the part stream has handed
/// out `handed`: what went past the HTTP stack's buffer, and all of it once the storage
/// answered (`done`). Counted by what was handed out, a raise's new parts showed up at once
/// and parts that ended looked slow, a scatter as large as the gain a raise is judged by.
fn carried(handed: u64, length: u64, done: bool) -> u64 {
    if done {
        length
    } else {
        handed.saturating_sub(STACK_AHEAD)
    }
}

/// PUT one leased part from disk; `Ok(etag)` on 2xx.
async fn put(sh: &Arc<Shared>, t: &PartTransfer) -> Result<Option<String>, TransferError> {
    let counter = Arc::new(AtomicU64::new(0));
    let stream = file::part_stream(&t.path, t.offset, t.length, counter.clone())
        .await
        .map_err(|e| TransferError::File {
            detail: e.to_string(),
        })?;
    let client = lock(&sh.s3).clone();
    let mut req = client.put(&t.url).body(reqwest::Body::wrap_stream(stream));
    for h in &t.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(h.name.as_bytes()),
            HeaderValue::from_str(&h.value),
        ) else {
            continue;
        };
        req = req.header(name, value);
    }
    let started = Instant::now();
    let send = req.send();
    tokio::pin!(send);
    let mut last_bytes = 0u64;
    let mut last_carried = 0u64;
    let mut last_move = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let response = loop {
        tokio::select! {
            r = &mut send => break r,
            _ = tick.tick() => {
                let now_bytes = counter.load(Ordering::Relaxed);
                if now_bytes != last_bytes {
                    let c = carried(now_bytes, t.length, false);
                    sh.on_bytes_sent(&t.lease_id, t.asset_id, now_bytes, c - last_carried);
                    last_carried = c;
                    last_bytes = now_bytes;
                    last_move = Instant::now();
                }
                let limit = if now_bytes >= t.length {
                    sh.config.response_timeout
                } else {
                    sh.config.stall_timeout
                };
                if last_move.elapsed() >= limit {
                    tracing::debug!(lease = %t.lease_id, "the part upload stalled");
                    return Err(TransferError::Network { kind: NetworkErrorKind::Timeout });
                }
            }
        }
    };
    let now_bytes = counter.load(Ordering::Relaxed);
    let stored = response
        .as_ref()
        .is_ok_and(|r| r.status().is_success() && now_bytes >= t.length);
    let c = carried(now_bytes, t.length, stored).max(last_carried);
    if now_bytes > last_bytes || c > last_carried {
        sh.on_bytes_sent(&t.lease_id, t.asset_id, now_bytes, c - last_carried);
    }
    match response {
        Ok(resp) => {
            let status = resp.status().as_u16();
            if (200..300).contains(&status) {
                sh.api.http().record_transfer(t.length, started.elapsed());
                let etag = resp
                    .headers()
                    .get(reqwest::header::ETAG)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                return Ok(etag);
            }
            let header = |name| resp.headers().get(name).and_then(|v| v.to_str().ok());
            let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|raw| {
                crate::http::parse_retry_after(
                    raw,
                    header(reqwest::header::DATE),
                    std::time::SystemTime::now(),
                )
            });
            if status == 503 || status == 429 {
                // The storage asks to slow down: fewer parts at once.
                sh.on_throttled();
            }
            let body = read_limited(resp, 16 * 1024).await;
            Err(TransferError::Http {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
                retry_after,
            })
        }
        Err(e) => {
            // A body error from a file that shrank is the file's fault, not the network's.
            if shorter_than(&t.path, t.offset + t.length) {
                return Err(TransferError::File {
                    detail: FileError::Changed.to_string(),
                });
            }
            let kind = match Error::from_reqwest(&e) {
                Error::Network { kind } => kind,
                _ => NetworkErrorKind::Interrupted,
            };
            Err(TransferError::Network { kind })
        }
    }
}

fn shorter_than(path: &Path, end: u64) -> bool {
    file::facts(path).is_ok_and(|f| f.size < end)
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
    fn a_part_counts_as_carried_what_went_past_the_http_stack_and_all_once_stored() {
        let len = 5 * 1024 * 1024;
        // A part that starts fills the stack's buffer at once: nothing carried yet.
        assert_eq!(carried(STACK_AHEAD, len, false), 0);
        assert_eq!(carried(STACK_AHEAD + 1000, len, false), 1000);
        // Handed out in full, the stack still holds its tail until the storage answers.
        assert_eq!(carried(len, len, false), len - STACK_AHEAD);
        assert_eq!(carried(len, len, true), len);
    }
}
