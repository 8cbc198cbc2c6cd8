//! Part leases: the journal's half of "the engine decides what to send, an executor moves the
//! bytes". A lease hands one part (URL, byte range, the MD5 its bytes must have) to one executor
//! until it reports or the lease expires; every report is applied here in one transaction, once.
//!
//! - A part is `sent` exactly while one lease of it is `out`.
//! - A success acknowledges the part with the lease's MD5. A report for a lease that is no longer
//!   out (a duplicate, or a late one after the part was re-issued) changes nothing, except that a
//!   late success for the asset's current server asset still acknowledges a part that is not
//!   acknowledged yet: those bytes are stored and S3 checked them against the lease's MD5.
//! - Reclaiming puts the part back to pending; the lease stays as history for late reports.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row, params};

use super::{AssetState, JResult, Journal, JournalError, bad_value, now_ms, state_of};

/// Who moves a lease's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Executor {
    /// The engine's own executor (HTTP PUTs in this process): its leases die with the process.
    Engine,
    /// The platform's (an iOS background `URLSession`, an Android worker): its transfers may
    /// outlive the process.
    Platform,
}

impl Executor {
    fn as_str(self) -> &'static str {
        match self {
            Executor::Engine => "engine",
            Executor::Platform => "platform",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "engine" => Some(Executor::Engine),
            "platform" => Some(Executor::Platform),
            _ => None,
        }
    }
}

/// Where a lease is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaseState {
    Out,
    Succeeded,
    Failed,
    Reclaimed,
}

impl LeaseState {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "out" => LeaseState::Out,
            "succeeded" => LeaseState::Succeeded,
            "failed" => LeaseState::Failed,
            "reclaimed" => LeaseState::Reclaimed,
            _ => return None,
        })
    }
}

/// One lease with what its executor needs from the asset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeaseRow {
    pub id: String,
    pub asset_id: i64,
    pub number: u32,
    pub executor: Executor,
    /// The server asset the part belongs to.
    pub server_id: String,
    /// The engine session that issued it.
    pub session: String,
    pub url: String,
    pub offset: u64,
    pub size: u64,
    /// Base64 MD5 of the bytes to send, set before the lease is handed out.
    pub md5: Option<String>,
    pub issued_ms: i64,
    pub expires_ms: i64,
    pub state: LeaseState,
    pub path: PathBuf,
    pub filetype: String,
    pub is_final: bool,
}

/// What to lease.
#[derive(Clone, Debug)]
pub struct LeaseGrant<'a> {
    pub executor: Executor,
    pub limit: usize,
    pub now_ms: i64,
    /// Only parts whose URL stays valid at least this long.
    pub min_url_life_ms: i64,
    /// How long the lease lasts (capped by the URL's expiry).
    pub ttl_ms: i64,
    /// This engine session: final parts go out only once this session's checks cleared them.
    pub session: &'a str,
    /// Leave out these assets (being cancelled or restarted).
    pub exclude: &'a [i64],
}

/// What a report did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LeaseReport {
    /// The part was acknowledged by this report.
    Acked { asset_id: i64, number: u32 },
    /// The part went back to pending; the asset is now in `asset_state` (failed when this was
    /// one failure too many).
    Failed {
        asset_id: i64,
        number: u32,
        asset_state: AssetState,
    },
    /// A duplicate or late report: nothing changed.
    Stale { asset_id: i64, number: u32 },
    /// No such lease (never issued, or forgotten long ago).
    Unknown,
}

/// Which outstanding leases to take back.
#[derive(Clone, Debug)]
pub enum Reclaim<'a> {
    /// Every lease of one executor (the engine's stopped).
    Executor(Executor),
    /// Leases past their expiry.
    Expired(i64),
    /// The platform's leases except those it still runs (said at relaunch).
    PlatformExcept(&'a [String]),
    /// One asset's (cancelled, paused, restarted).
    Asset(i64),
    /// One lease (its executor gave it back unsent).
    Lease(&'a str),
}

/// An abandoned server asset: the file is uploaded again from the start.
#[derive(Clone, Debug)]
pub struct Restart {
    pub reason: String,
    /// The file's facts now (what the new asset will hold); `None` for a growing file.
    pub size: Option<u64>,
    pub mtime_ns: i64,
    pub fingerprint: Option<String>,
    /// The new upload is still being written (real-time, finalised when it stops growing).
    pub growing: bool,
    /// Make the new asset the next version of this server asset (an earlier upload of the
    /// file completed with bytes it no longer has).
    pub version_of: Option<String>,
}

/// What a vanished upload (S3 `NoSuchUpload`) means, from the record of every send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completion {
    /// It completed with the bytes sent: the open parts are acknowledged (unverified).
    Confirmed,
    /// It may have completed, but the file changed between sends that may have stored a part:
    /// which version the server holds is unknown.
    Ambiguous,
    /// It cannot have completed (expired or aborted).
    NotComplete,
}

/// A failed send, as the journal records it.
#[derive(Clone, Debug)]
pub struct LeaseFailure {
    pub reason: String,
    /// Not to be sent again before this time.
    pub retry_at_ms: i64,
    /// The file's or the server's fault (spends one of the attempts that park a file).
    pub counts: bool,
    pub max_attempts: u32,
    /// The part may have been stored anyway (no answer came: a cut, a timeout); false when the
    /// server answered with an error.
    pub maybe_stored: bool,
}

/// Leasable parts in send order: pending, with a usable URL, due, of active assets, final parts
/// only once cleared in this session.
pub(super) const LEASABLE: &str =
    "SELECT p.asset_id, p.number FROM parts p INDEXED BY parts_sendable
    JOIN assets a ON a.id = p.asset_id
    WHERE p.state = 'pending' AND a.state = 'active' AND a.server_id IS NOT NULL
      AND p.url IS NOT NULL AND (p.url_expires_ms IS NULL OR p.url_expires_ms > ?1)
      AND (p.retry_at_ms IS NULL OR p.retry_at_ms <= ?2)
      AND (p.is_final = 0 OR a.final_cleared = ?3)
    ORDER BY a.priority, a.seq, a.id, p.number";
pub(super) const OUT_EXPIRED: &str =
    "SELECT id FROM leases INDEXED BY leases_out WHERE state = 'out' AND expires_ms <= ?1";

const LEASE_SELECT: &str = "SELECT l.id, l.asset_id, l.number, l.executor, l.server_id, l.session,
    l.url, l.offset, l.size, l.md5, l.issued_ms, l.expires_ms, l.state, a.path, a.filetype,
    p.is_final
    FROM leases l JOIN assets a ON a.id = l.asset_id
    LEFT JOIN parts p ON p.asset_id = l.asset_id AND p.number = l.number";

fn lease_from_row(r: &Row) -> rusqlite::Result<LeaseRow> {
    let executor: String = r.get(3)?;
    let state: String = r.get(12)?;
    Ok(LeaseRow {
        id: r.get(0)?,
        asset_id: r.get(1)?,
        number: r.get(2)?,
        executor: Executor::parse(&executor).ok_or_else(|| bad_value(3, "executor"))?,
        server_id: r.get(4)?,
        session: r.get(5)?,
        url: r.get(6)?,
        offset: r.get::<_, i64>(7)? as u64,
        size: r.get::<_, i64>(8)? as u64,
        md5: r.get(9)?,
        issued_ms: r.get(10)?,
        expires_ms: r.get(11)?,
        state: LeaseState::parse(&state).ok_or_else(|| bad_value(12, "lease state"))?,
        path: PathBuf::from(r.get::<_, String>(13)?),
        filetype: r.get(14)?,
        is_final: r.get::<_, Option<bool>>(15)?.unwrap_or(false),
    })
}

impl Journal {
    /// Lease up to `grant.limit` parts to an executor, in send order (priority, queue order,
    /// part number). Each part becomes `sent`; the lease's MD5 is set by the caller
    /// ([`Journal::set_lease_md5`]) before it is handed out.
    pub fn lease_parts(&mut self, grant: &LeaseGrant) -> JResult<Vec<LeaseRow>> {
        if grant.limit == 0 {
            return Ok(Vec::new());
        }
        let tx = self.conn.transaction()?;
        let picked: Vec<(i64, u32)> = {
            let mut stmt = tx.prepare_cached(LEASABLE)?;
            let rows = stmt.query_map(
                params![
                    grant.now_ms + grant.min_url_life_ms,
                    grant.now_ms,
                    grant.session
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            let mut out = Vec::new();
            for row in rows {
                let (asset, number) = row?;
                if !grant.exclude.contains(&asset) {
                    out.push((asset, number));
                    if out.len() >= grant.limit {
                        break;
                    }
                }
            }
            out
        };
        let mut ids = Vec::with_capacity(picked.len());
        for (asset, number) in picked {
            let id = uuid::Uuid::new_v4().to_string();
            tx.execute(
                "INSERT INTO leases (id, asset_id, number, executor, server_id, session, url,
                    offset, size, issued_ms, expires_ms, state)
                 SELECT ?1, p.asset_id, p.number, ?2, a.server_id, ?3, p.url, p.offset, p.size, ?4,
                    min(?5, coalesce(p.url_expires_ms, ?5)), 'out'
                 FROM parts p JOIN assets a ON a.id = p.asset_id
                 WHERE p.asset_id = ?6 AND p.number = ?7",
                params![
                    id,
                    grant.executor.as_str(),
                    grant.session,
                    grant.now_ms,
                    grant.now_ms + grant.ttl_ms,
                    asset,
                    number
                ],
            )?;
            tx.execute(
                "UPDATE parts SET state = 'sent', attempts = attempts + 1
                 WHERE asset_id = ?1 AND number = ?2",
                params![asset, number],
            )?;
            ids.push(id);
        }
        tx.commit()?;
        ids.iter()
            .map(|id| {
                self.lease(id)?
                    .ok_or_else(|| JournalError::Invalid(format!("lease {id} vanished")))
            })
            .collect()
    }

    /// How many parts could be leased now (the executor's demand).
    pub fn leasable_count(&self, now_ms: i64, min_url_life_ms: i64, session: &str) -> JResult<u64> {
        let sql = format!("SELECT count(*) FROM ({LEASABLE})");
        Ok(self.conn.query_row(
            &sql,
            params![now_ms + min_url_life_ms, now_ms, session],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    /// Record the MD5 of a lease's bytes (computed from the file after leasing).
    pub fn set_lease_md5(&mut self, id: &str, md5: &str) -> JResult<()> {
        self.conn.execute(
            "UPDATE leases SET md5 = ?2 WHERE id = ?1 AND state = 'out'",
            params![id, md5],
        )?;
        Ok(())
    }

    pub fn lease(&self, id: &str) -> JResult<Option<LeaseRow>> {
        Ok(self
            .conn
            .query_row(
                &format!("{LEASE_SELECT} WHERE l.id = ?1"),
                [id],
                lease_from_row,
            )
            .optional()?)
    }

    /// Leases that are out, oldest first (of one executor, or all).
    pub fn leases_out(&self, executor: Option<Executor>) -> JResult<Vec<LeaseRow>> {
        let mut stmt = self.conn.prepare(&format!(
            "{LEASE_SELECT} WHERE l.state = 'out' AND (?1 IS NULL OR l.executor = ?1)
             ORDER BY l.issued_ms, l.id"
        ))?;
        let rows = stmt.query_map([executor.map(Executor::as_str)], lease_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every lease of one part of one server asset with its MD5 (history included).
    pub fn lease_md5s(&self, asset_id: i64, number: u32, server_id: &str) -> JResult<Vec<String>> {
        let mut stmt = self.conn.prepare(
            "SELECT md5 FROM leases INDEXED BY leases_by_part
             WHERE asset_id = ?1 AND number = ?2 AND server_id = ?3 AND md5 IS NOT NULL",
        )?;
        let rows = stmt.query_map(params![asset_id, number, server_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The executor stored the part: acknowledge it with the lease's MD5 (once). Progress resets
    /// the asset's failure count. `session` is the reporting engine's: bytes hashed in this
    /// session count as verified.
    pub fn lease_succeeded(&mut self, id: &str, session: &str) -> JResult<LeaseReport> {
        let Some(lease) = self.lease(id)? else {
            return Ok(LeaseReport::Unknown);
        };
        let now = now_ms();
        let tx = self.conn.transaction()?;
        type Current = (Option<String>, String, i64, i64, Option<i64>);
        let current: Option<Current> = tx
            .query_row(
                "SELECT a.server_id, p.state, p.offset, p.size, a.verify_from_ms FROM parts p
                 JOIN assets a ON a.id = p.asset_id WHERE p.asset_id = ?1 AND p.number = ?2",
                params![lease.asset_id, lease.number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let verify_from = current.as_ref().and_then(|c| c.4).unwrap_or(0);
        let same_part = current
            .as_ref()
            .is_some_and(|(sid, state, offset, size, _)| {
                sid.as_deref() == Some(lease.server_id.as_str())
                    && state != "acked"
                    && *offset as u64 == lease.offset
                    && *size as u64 == lease.size
            });
        if lease.state == LeaseState::Out {
            tx.execute(
                "UPDATE leases SET state = 'succeeded', reported_ms = ?2 WHERE id = ?1",
                params![id, now],
            )?;
        }
        // A success for a lease that is no longer out still proves its bytes are stored, as long
        // as the part belongs to the same server asset and is not acknowledged yet.
        let applies = same_part && lease.md5.is_some();
        if applies {
            // Hashed from the file in this session, and not before a change of the file was
            // noticed: verified. Otherwise it is verified again before the final part.
            let verified =
                (lease.session == session && lease.issued_ms >= verify_from).then_some(session);
            tx.execute(
                "UPDATE parts SET state = 'acked', md5 = ?3, verified = ?4, acked_ms = ?5,
                    retry_at_ms = NULL WHERE asset_id = ?1 AND number = ?2",
                params![lease.asset_id, lease.number, lease.md5, verified, now],
            )?;
            // Any other lease of this part that is still out finishes on its own; its report
            // will be stale.
            tx.execute(
                "UPDATE parts SET failures = 0 WHERE asset_id = ?1",
                [lease.asset_id],
            )?;
            Self::progressed_tx(&tx, lease.asset_id)?;
        }
        tx.commit()?;
        Ok(if applies {
            LeaseReport::Acked {
                asset_id: lease.asset_id,
                number: lease.number,
            }
        } else {
            LeaseReport::Stale {
                asset_id: lease.asset_id,
                number: lease.number,
            }
        })
    }

    /// The executor could not store the part. The part goes back to pending, not to be sent
    /// before `retry_at_ms`. When the failure `counts` (the file's or the server's fault, not the
    /// network's) it is one more failure in a row; one too many (`max_attempts`) parks the asset
    /// as failed with `reason`.
    pub fn lease_failed(&mut self, id: &str, f: &LeaseFailure) -> JResult<LeaseReport> {
        let Some(lease) = self.lease(id)? else {
            return Ok(LeaseReport::Unknown);
        };
        if lease.state != LeaseState::Out {
            return Ok(LeaseReport::Stale {
                asset_id: lease.asset_id,
                number: lease.number,
            });
        }
        let now = now_ms();
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE leases SET state = 'failed', outcome = ?2, reported_ms = ?3, maybe_stored = ?4
             WHERE id = ?1",
            params![id, f.reason, now, f.maybe_stored],
        )?;
        tx.execute(
            "UPDATE parts SET state = 'pending', retry_at_ms = ?3,
                failures = failures + ?4
             WHERE asset_id = ?1 AND number = ?2 AND state = 'sent'",
            params![
                lease.asset_id,
                lease.number,
                f.retry_at_ms,
                i64::from(f.counts)
            ],
        )?;
        let mut asset_state = state_of(&tx, lease.asset_id)?;
        if asset_state.is_open() {
            let failures: u32 = tx.query_row(
                "SELECT coalesce(max(failures), 0) FROM parts WHERE asset_id = ?1",
                [lease.asset_id],
                |r| r.get(0),
            )?;
            tx.execute(
                "UPDATE assets SET attempts = max(attempts, ?2), last_error = ?3 WHERE id = ?1",
                params![lease.asset_id, failures, f.reason],
            )?;
            if f.counts && failures >= f.max_attempts {
                tx.execute(
                    "UPDATE assets SET retry_at_ms = NULL WHERE id = ?1",
                    [lease.asset_id],
                )?;
                Self::set_state_tx(&tx, lease.asset_id, AssetState::Failed)?;
                asset_state = AssetState::Failed;
            }
        }
        tx.commit()?;
        Ok(LeaseReport::Failed {
            asset_id: lease.asset_id,
            number: lease.number,
            asset_state,
        })
    }

    /// The server says the upload is gone (S3 `NoSuchUpload`): did it complete with what was
    /// sent? Each part not acknowledged must have been sent at least once in a way that may have
    /// stored it (the process stopped, or no answer came: a cut, a timeout); a part only ever
    /// refused by the server (an HTTP error) was never stored, so the upload cannot have
    /// completed ([`Completion::NotComplete`]). When every such part's possibly stored sends all
    /// carried the same bytes, the upload completed with them ([`Completion::Confirmed`]): those
    /// parts are acknowledged with that MD5, not verified (they are hashed from the file again
    /// before the asset counts as done). When the file changed between such sends, the server
    /// holds one of the versions and nothing tells which ([`Completion::Ambiguous`]).
    pub fn confirm_completed(&mut self, asset_id: i64, server_id: &str) -> JResult<Completion> {
        let tx = self.conn.transaction()?;
        let (sid, closed): (Option<String>, bool) = tx.query_row(
            "SELECT server_id, closed FROM assets WHERE id = ?1",
            [asset_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if sid.as_deref() != Some(server_id) || !closed {
            return Ok(Completion::NotComplete);
        }
        let open: Vec<u32> = {
            let mut stmt = tx.prepare(
                "SELECT number FROM parts WHERE asset_id = ?1 AND state != 'acked' ORDER BY number",
            )?;
            stmt.query_map([asset_id], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        let has_final: bool = tx.query_row(
            "SELECT count(*) > 0 FROM parts WHERE asset_id = ?1 AND is_final = 1",
            [asset_id],
            |r| r.get(0),
        )?;
        if !has_final {
            return Ok(Completion::NotComplete);
        }
        let mut acks = Vec::new();
        let mut ambiguous = false;
        for number in open {
            let mut stored: Vec<String> = {
                let mut stmt = tx.prepare(
                    "SELECT md5 FROM leases INDEXED BY leases_by_part
                     WHERE asset_id = ?1 AND number = ?2 AND server_id = ?3 AND md5 IS NOT NULL
                        AND maybe_stored = 1",
                )?;
                stmt.query_map(params![asset_id, number, server_id], |r| r.get(0))?
                    .collect::<Result<_, _>>()?
            };
            stored.sort();
            stored.dedup();
            match stored.len() {
                0 => return Ok(Completion::NotComplete),
                1 => acks.push((number, stored.remove(0))),
                _ => ambiguous = true,
            }
        }
        if ambiguous {
            return Ok(Completion::Ambiguous);
        }
        let now = now_ms();
        for (number, md5) in &acks {
            tx.execute(
                "UPDATE leases SET state = 'reclaimed', outcome = 'the upload completed',
                    reported_ms = ?3 WHERE asset_id = ?1 AND number = ?2 AND state = 'out'",
                params![asset_id, number, now],
            )?;
            tx.execute(
                "UPDATE parts SET state = 'acked', md5 = ?3, verified = NULL, acked_ms = ?4,
                    retry_at_ms = NULL WHERE asset_id = ?1 AND number = ?2",
                params![asset_id, number, md5, now],
            )?;
        }
        tx.execute(
            "UPDATE parts SET failures = 0 WHERE asset_id = ?1",
            [asset_id],
        )?;
        Self::progressed_tx(&tx, asset_id)?;
        tx.commit()?;
        Ok(Completion::Confirmed)
    }

    /// Take outstanding leases back: their parts go back to pending (without a failure). Returns
    /// the leases reclaimed.
    pub fn reclaim_leases(&mut self, which: Reclaim) -> JResult<Vec<LeaseRow>> {
        let now = now_ms();
        let candidates: Vec<LeaseRow> = match which {
            Reclaim::Executor(e) => self.leases_out(Some(e))?,
            Reclaim::Expired(at) => {
                let ids: Vec<String> = {
                    let mut stmt = self.conn.prepare_cached(OUT_EXPIRED)?;
                    stmt.query_map([at], |r| r.get(0))?
                        .collect::<Result<_, _>>()?
                };
                let mut out = Vec::new();
                for id in ids {
                    out.extend(self.lease(&id)?);
                }
                out
            }
            Reclaim::PlatformExcept(keep) => self
                .leases_out(Some(Executor::Platform))?
                .into_iter()
                .filter(|l| !keep.contains(&l.id))
                .collect(),
            Reclaim::Asset(asset) => self
                .leases_out(None)?
                .into_iter()
                .filter(|l| l.asset_id == asset)
                .collect(),
            Reclaim::Lease(id) => self
                .lease(id)?
                .into_iter()
                .filter(|l| l.state == LeaseState::Out)
                .collect(),
        };
        if candidates.is_empty() {
            return Ok(candidates);
        }
        let tx = self.conn.transaction()?;
        for l in &candidates {
            tx.execute(
                "UPDATE leases SET state = 'reclaimed', outcome = 'reclaimed', reported_ms = ?2,
                    maybe_stored = (md5 IS NOT NULL) WHERE id = ?1 AND state = 'out'",
                params![l.id, now],
            )?;
            tx.execute(
                "UPDATE parts SET state = 'pending' WHERE asset_id = ?1 AND number = ?2
                    AND state = 'sent' AND NOT EXISTS (SELECT 1 FROM leases o
                        WHERE o.asset_id = ?1 AND o.number = ?2 AND o.state = 'out')",
                params![l.asset_id, l.number],
            )?;
        }
        tx.commit()?;
        Ok(candidates)
    }

    /// This session hashed a part's acknowledged bytes from the file and they match.
    pub fn mark_verified(&mut self, asset_id: i64, number: u32, session: &str) -> JResult<()> {
        self.conn.execute(
            "UPDATE parts SET verified = ?3 WHERE asset_id = ?1 AND number = ?2 AND state = 'acked'",
            params![asset_id, number, session],
        )?;
        Ok(())
    }

    /// The file's facts changed: every acknowledged part must be verified again before the final
    /// part, and the final part's clearance is withdrawn.
    pub fn clear_verified(&mut self, asset_id: i64) -> JResult<()> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "UPDATE parts SET verified = NULL WHERE asset_id = ?1",
            [asset_id],
        )?;
        // Parts in flight now were hashed before the change was noticed: when they are
        // acknowledged they are not taken as verified.
        tx.execute(
            "UPDATE assets SET final_cleared = NULL, verify_from_ms = ?2 WHERE id = ?1",
            params![asset_id, now_ms() + 1],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The final part may be sent: this session checked the file (unchanged) and verified every
    /// earlier part. `None` withdraws it.
    pub fn set_final_cleared(&mut self, asset_id: i64, session: Option<&str>) -> JResult<()> {
        self.conn.execute(
            "UPDATE assets SET final_cleared = ?2 WHERE id = ?1",
            params![asset_id, session],
        )?;
        Ok(())
    }

    /// The file's facts as they are now, after a check found them unchanged in content (the
    /// mtime moved, the fingerprint did not).
    pub fn update_file_facts(
        &mut self,
        asset_id: i64,
        mtime_ns: i64,
        fingerprint: Option<&str>,
    ) -> JResult<()> {
        self.conn.execute(
            "UPDATE assets SET mtime_ns = ?2, fingerprint = coalesce(?3, fingerprint) WHERE id = ?1",
            params![asset_id, mtime_ns, fingerprint],
        )?;
        Ok(())
    }

    /// Abandon the asset's server asset (stale, or holding bytes the file no longer has) and
    /// plan the file again from the start; it stays in the queue with the reason shown. The old
    /// server asset is never completed by this entry again: reports for its leases are stale.
    pub fn restart(&mut self, asset_id: i64, r: &Restart) -> JResult<()> {
        let tx = self.conn.transaction()?;
        let state = state_of(&tx, asset_id)?;
        if !state.is_open() {
            return Err(JournalError::Invalid(format!(
                "cannot restart an asset that is {}",
                state.as_str()
            )));
        }
        tx.execute(
            "UPDATE leases SET state = 'reclaimed', outcome = 'restarted', reported_ms = ?2
             WHERE asset_id = ?1 AND state = 'out'",
            params![asset_id, now_ms()],
        )?;
        tx.execute("DELETE FROM parts WHERE asset_id = ?1", [asset_id])?;
        tx.execute(
            "UPDATE assets SET server_id = NULL, standard = 0, final_cleared = NULL,
                restarts = restarts + 1, last_error = ?2, size = ?3, mtime_ns = ?4,
                fingerprint = ?5, closed = ?6, realtime = (realtime OR ?7),
                version_of = coalesce(?8, version_of)
             WHERE id = ?1",
            params![
                asset_id,
                r.reason,
                r.size.map(|s| s as i64),
                r.mtime_ns,
                r.fingerprint,
                !r.growing,
                r.growing,
                r.version_of,
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// A file taken as closed grew before its final part was registered: it is still being
    /// written. The unregistered final part is dropped and the file continues as a growing one
    /// (real-time parts extend the plan; finalised when it stops growing).
    pub fn reopen_growing(&mut self, asset_id: i64) -> JResult<()> {
        let tx = self.conn.transaction()?;
        let registered: Option<bool> = tx
            .query_row(
                "SELECT url IS NOT NULL OR state != 'pending' FROM parts
                 WHERE asset_id = ?1 AND is_final = 1",
                [asset_id],
                |r| r.get(0),
            )
            .optional()?;
        if registered == Some(true) {
            return Err(JournalError::Invalid(format!(
                "asset {asset_id}: its final part is registered already"
            )));
        }
        tx.execute(
            "DELETE FROM parts WHERE asset_id = ?1 AND is_final = 1",
            [asset_id],
        )?;
        tx.execute(
            "UPDATE assets SET size = NULL, closed = 0, realtime = 1, final_cleared = NULL
             WHERE id = ?1",
            [asset_id],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// End an upload attempt without a failure: back to the queue until `retry_at_ms` (every
    /// part left is waiting for its retry time, so the slot goes to another file meanwhile).
    pub fn end_attempt(&mut self, asset_id: i64, retry_at_ms: Option<i64>) -> JResult<()> {
        let tx = self.conn.transaction()?;
        if state_of(&tx, asset_id)? == AssetState::Active {
            tx.execute(
                "UPDATE assets SET retry_at_ms = ?2 WHERE id = ?1",
                params![asset_id, retry_at_ms],
            )?;
            Self::set_state_tx(&tx, asset_id, AssetState::Queued)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forget the server asset a new upload was to version (it no longer exists).
    pub fn clear_version_of(&mut self, asset_id: i64) -> JResult<()> {
        self.conn.execute(
            "UPDATE assets SET version_of = NULL WHERE id = ?1",
            [asset_id],
        )?;
        Ok(())
    }

    /// Set (or clear) the time before which a part is not sent again.
    pub fn set_part_retry(
        &mut self,
        asset_id: i64,
        number: u32,
        at_ms: Option<i64>,
    ) -> JResult<()> {
        self.conn.execute(
            "UPDATE parts SET retry_at_ms = ?3 WHERE asset_id = ?1 AND number = ?2",
            params![asset_id, number, at_ms],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{AssetKind, NewAsset, PlannedPart};
    use super::*;

    fn asset(j: &mut Journal, name: &str, sizes: &[u64]) -> i64 {
        let total: u64 = sizes.iter().sum();
        let id = j
            .enqueue(&NewAsset {
                path: PathBuf::from(format!("/m/{name}")),
                name: name.into(),
                kind: AssetKind::Hero,
                filetype: "video/mp4".into(),
                channel: 0,
                size: Some(total),
                mtime_ns: 1,
                media_created_ms: 1,
                fingerprint: Some("fp".into()),
                realtime: false,
                held: false,
                file_id: None,
            })
            .unwrap()
            .id();
        j.start(id).unwrap();
        let parts = PlannedPart::consecutive(sizes, false, |n| {
            Some(format!("https://s3.example/{name}/{n}"))
        });
        j.record_created(id, &format!("srv-{name}"), false, &parts)
            .unwrap();
        id
    }

    /// An in-memory journal holding `a.mov`, created on the server with parts of `sizes`.
    fn journal_with_a(sizes: &[u64]) -> (Journal, i64) {
        let mut j = Journal::open_in_memory().unwrap();
        let a = asset(&mut j, "a.mov", sizes);
        (j, a)
    }

    fn fail(reason: &str, counts: bool) -> LeaseFailure {
        LeaseFailure {
            reason: reason.into(),
            retry_at_ms: 0,
            counts,
            max_attempts: 3,
            maybe_stored: true,
        }
    }

    fn grant<'a>(executor: Executor, limit: usize, session: &'a str) -> LeaseGrant<'a> {
        LeaseGrant {
            executor,
            limit,
            now_ms: now_ms(),
            min_url_life_ms: 0,
            ttl_ms: 60_000,
            session,
            exclude: &[],
        }
    }

    fn lease_all(j: &mut Journal, e: Executor, limit: usize, s: &str) -> Vec<LeaseRow> {
        let leases = j.lease_parts(&grant(e, limit, s)).unwrap();
        for l in &leases {
            j.set_lease_md5(&l.id, &format!("md5-{}", l.number))
                .unwrap();
        }
        leases
            .iter()
            .map(|l| j.lease(&l.id).unwrap().unwrap())
            .collect()
    }

    #[test]
    fn leases_go_out_in_order_and_the_final_part_waits_for_clearance() {
        let (mut j, a) = journal_with_a(&[10, 10, 5]);
        let leases = lease_all(&mut j, Executor::Engine, 10, "s1");
        assert_eq!(
            leases.iter().map(|l| l.number).collect::<Vec<_>>(),
            vec![1, 2],
            "the final part is not cleared yet"
        );
        assert!(
            j.parts(a).unwrap()[..2]
                .iter()
                .all(|p| p.state == super::super::PartState::Sent)
        );
        j.set_final_cleared(a, Some("s0")).unwrap();
        assert!(
            lease_all(&mut j, Executor::Engine, 10, "s1").is_empty(),
            "cleared by another session"
        );
        j.set_final_cleared(a, Some("s1")).unwrap();
        let last = lease_all(&mut j, Executor::Platform, 10, "s1");
        assert_eq!(last.len(), 1);
        assert!(last[0].is_final);
        j.check_invariants().unwrap();
    }

    #[test]
    fn a_duplicate_or_late_report_is_never_counted_twice() {
        let (mut j, a) = journal_with_a(&[10, 10, 5]);
        let first = lease_all(&mut j, Executor::Platform, 1, "s1").remove(0);
        // The platform lost track of it: reclaimed and leased again.
        j.reclaim_leases(Reclaim::Lease(&first.id)).unwrap();
        let second = lease_all(&mut j, Executor::Platform, 1, "s1").remove(0);
        assert_eq!((first.number, second.number), (1, 1));
        assert_ne!(first.id, second.id);
        // The first one's late success still acknowledges the part (the bytes are stored)...
        assert_eq!(
            j.lease_succeeded(&first.id, "s1").unwrap(),
            LeaseReport::Acked {
                asset_id: a,
                number: 1
            }
        );
        let acked = j.asset(a).unwrap().acked_bytes;
        // ...and the second one's success, a duplicate report and a failure after it change
        // nothing.
        assert!(matches!(
            j.lease_succeeded(&second.id, "s1").unwrap(),
            LeaseReport::Stale { .. }
        ));
        assert!(matches!(
            j.lease_succeeded(&first.id, "s1").unwrap(),
            LeaseReport::Stale { .. }
        ));
        assert!(matches!(
            j.lease_failed(&second.id, &fail("late", true)).unwrap(),
            LeaseReport::Stale { .. }
        ));
        assert_eq!(j.asset(a).unwrap().acked_bytes, acked);
        assert_eq!(acked, 10);
        assert_eq!(
            j.lease_succeeded("no-such-lease", "s1").unwrap(),
            LeaseReport::Unknown
        );
        j.check_invariants().unwrap();
    }

    #[test]
    fn failures_in_a_row_park_the_asset_and_progress_resets_them() {
        let (mut j, a) = journal_with_a(&[10, 10, 5]);
        // The engine leases the next part and reports its send failed.
        let fail_next = |j: &mut Journal, reason: &str, counts: bool| {
            let l = lease_all(j, Executor::Engine, 1, "s1").remove(0);
            j.lease_failed(&l.id, &fail(reason, counts)).unwrap()
        };
        let failed = |asset_state| LeaseReport::Failed {
            asset_id: a,
            number: 1,
            asset_state,
        };
        for round in 0..2 {
            let r = fail_next(&mut j, "500", true);
            assert_eq!(r, failed(AssetState::Active), "round {round}");
        }
        // Network failures do not count.
        fail_next(&mut j, "offline", false);
        assert_eq!(j.asset(a).unwrap().attempts, 2);
        // Progress on part 2 resets the count.
        let ls = lease_all(&mut j, Executor::Engine, 2, "s1");
        j.lease_succeeded(&ls[1].id, "s1").unwrap();
        assert_eq!(j.asset(a).unwrap().attempts, 0);
        j.reclaim_leases(Reclaim::Lease(&ls[0].id)).unwrap();
        for _ in 0..2 {
            fail_next(&mut j, "500", true);
        }
        let r = fail_next(&mut j, "500 again", true);
        assert_eq!(r, failed(AssetState::Failed));
        let row = j.asset(a).unwrap();
        assert_eq!(row.last_error.as_deref(), Some("500 again"));
        j.check_invariants().unwrap();
    }

    #[test]
    fn a_restart_drops_the_plan_and_makes_old_reports_stale() {
        let (mut j, a) = journal_with_a(&[10, 10, 5]);
        let ls = lease_all(&mut j, Executor::Platform, 2, "s1");
        j.lease_succeeded(&ls[0].id, "s1").unwrap();
        j.restart(
            a,
            &Restart {
                reason: "changed".into(),
                size: Some(25),
                mtime_ns: 2,
                fingerprint: Some("fp2".into()),
                growing: false,
                version_of: None,
            },
        )
        .unwrap();
        let row = j.asset(a).unwrap();
        assert_eq!((row.server_id, row.acked_bytes, row.restarts), (None, 0, 1));
        assert!(j.parts(a).unwrap().is_empty());
        assert!(matches!(
            j.lease_succeeded(&ls[1].id, "s1").unwrap(),
            LeaseReport::Stale { .. }
        ));
        assert_eq!(j.asset(a).unwrap().acked_bytes, 0);
        j.check_invariants().unwrap();
    }

    #[test]
    fn reconcile_keeps_the_platforms_leases_and_reclaims_the_engines() {
        let (mut j, a) = journal_with_a(&[10, 10, 5]);
        let e = lease_all(&mut j, Executor::Engine, 1, "s1").remove(0);
        let p = lease_all(&mut j, Executor::Platform, 1, "s1").remove(0);
        j.reconcile().unwrap();
        assert_eq!(
            j.lease(&e.id).unwrap().unwrap().state,
            LeaseState::Reclaimed
        );
        assert_eq!(j.lease(&p.id).unwrap().unwrap().state, LeaseState::Out);
        let parts = j.parts(a).unwrap();
        assert_eq!(parts[0].state, super::super::PartState::Pending);
        assert_eq!(parts[1].state, super::super::PartState::Sent);
        // At relaunch the platform says what it still runs: nothing.
        let gone = j.reclaim_leases(Reclaim::PlatformExcept(&[])).unwrap();
        assert_eq!(gone.len(), 1);
        assert_eq!(
            j.parts(a).unwrap()[1].state,
            super::super::PartState::Pending
        );
        // The transfer did finish in the OS after all: its late success still counts once.
        assert!(matches!(
            j.lease_succeeded(&p.id, "s2").unwrap(),
            LeaseReport::Acked { .. }
        ));
        let part = &j.parts(a).unwrap()[1];
        assert_eq!(
            part.verified, None,
            "hashed in another session: verify before the final part"
        );
        j.check_invariants().unwrap();
    }

    #[test]
    fn a_vanished_upload_is_complete_only_when_every_open_part_may_have_been_stored() {
        // Two parts, both sent; the process stopped (leases reclaimed: maybe stored).
        let (mut j, a) = journal_with_a(&[10, 5]);
        j.set_final_cleared(a, Some("s1")).unwrap();
        let sent = lease_all(&mut j, Executor::Engine, 2, "s1");
        j.reconcile().unwrap();
        assert_eq!(
            j.confirm_completed(a, "srv-other").unwrap(),
            Completion::NotComplete
        );
        assert_eq!(
            j.confirm_completed(a, "srv-a.mov").unwrap(),
            Completion::Confirmed
        );
        let parts = j.parts(a).unwrap();
        assert!(
            parts
                .iter()
                .all(|p| p.state == super::super::PartState::Acked)
        );
        assert!(
            parts.iter().all(|p| p.verified.is_none()),
            "verified before done"
        );
        assert_eq!(parts[0].md5, sent[0].md5);
        j.check_invariants().unwrap();

        // A part the server only ever refused (an HTTP error) was never stored.
        let b = asset(&mut j, "b.mov", &[10, 5]);
        j.set_final_cleared(b, Some("s1")).unwrap();
        let sent = lease_all(&mut j, Executor::Engine, 2, "s1");
        let mut refused = fail("500", true);
        refused.maybe_stored = false;
        j.lease_failed(&sent[1].id, &refused).unwrap();
        j.lease_succeeded(&sent[0].id, "s1").unwrap();
        assert_eq!(
            j.confirm_completed(b, "srv-b.mov").unwrap(),
            Completion::NotComplete
        );

        j.cancel(b).unwrap();
        // The file changed between sends that may both have stored part 1: which bytes the
        // server kept is unknown.
        let c = asset(&mut j, "c.mov", &[10]);
        j.set_final_cleared(c, Some("s1")).unwrap();
        let first = lease_all(&mut j, Executor::Engine, 1, "s1").remove(0);
        j.reclaim_leases(Reclaim::Lease(&first.id)).unwrap();
        let second = j
            .lease_parts(&grant(Executor::Engine, 1, "s1"))
            .unwrap()
            .remove(0);
        j.set_lease_md5(&second.id, "other-bytes").unwrap();
        j.reclaim_leases(Reclaim::Lease(&second.id)).unwrap();
        assert_eq!(
            j.confirm_completed(c, "srv-c.mov").unwrap(),
            Completion::Ambiguous
        );
        assert_eq!(
            j.parts(c).unwrap()[0].state,
            super::super::PartState::Pending
        );
        j.check_invariants().unwrap();
    }

    #[test]
    fn expired_leases_are_reclaimed() {
        let (mut j, a) = journal_with_a(&[10, 10, 5]);
        let mut g = grant(Executor::Platform, 1, "s1");
        g.ttl_ms = -1;
        let l = j.lease_parts(&g).unwrap().remove(0);
        let back = j.reclaim_leases(Reclaim::Expired(now_ms())).unwrap();
        assert_eq!(back.len(), 1);
        assert_eq!(back[0].id, l.id);
        assert_eq!(
            j.parts(a).unwrap()[0].state,
            super::super::PartState::Pending
        );
    }
}
