//! The planner: what one asset needs next, from its journal rows, the file's facts on disk and
//! the host's facts. Plain data in, one [`Step`] out; no I/O, no clock (time is an argument), so
//! the rules are tested directly and the driver ([`super::driver`]) only carries steps out.
//!
//! The rules that keep "never done with other bytes":
//! - a file that shrank, or whose bytes under acknowledged parts changed, never completes: parked
//!   (before anything was sent) or abandoned for a new server asset;
//! - a file taken as closed that grew continues as a growing file (its unregistered final part
//!   is dropped) or, when the server already knows its size, starts again as a new asset; one
//!   that grew after its upload completed is uploaded again as the next version;
//! - the final part goes out only after this session cleared it: every earlier part whose bytes
//!   were hashed in another session (a resume) verified against the file, the file's size, mtime
//!   and fingerprint re-checked, and every other part acknowledged or in flight;
//! - a completed upload is checked once more before it is reported done.

use super::file::{FileError, FileFacts};
use super::journal::{AssetRow, AssetState, PartRow, PartState, PlannedPart};
use super::naming::check_size;
use super::plan::{part_size_for, plan_growth};

/// Tuning the planner reads.
#[derive(Clone, Debug)]
pub struct PlanConfig {
    /// Part size of real-time uploads.
    pub part_size: u64,
    /// Register URLs for at most this many unacknowledged parts ahead of the executors.
    pub register_ahead: usize,
    /// Parts per registration request.
    pub register_batch: usize,
    /// A URL expiring sooner than this is registered again before it is leased.
    pub min_url_life_ms: i64,
    /// Server assets abandoned for one file before it is parked.
    pub max_restarts: u32,
}

/// Everything the planner looks at.
#[derive(Clone, Debug)]
pub struct PlanInput<'a> {
    pub row: &'a AssetRow,
    pub parts: &'a [PartRow],
    /// The file on disk now.
    pub file: &'a Result<FileFacts, FileError>,
    /// This engine session (see the journal's `verified` and `final_cleared`).
    pub session: &'a str,
    pub now_ms: i64,
    /// The host said the writer of this growing file finished.
    pub writer_closed: bool,
    /// This growing file has not grown for the configured idle time.
    pub growth_idle: bool,
    /// A verification of this asset's parts is running.
    pub verifying: bool,
    pub config: &'a PlanConfig,
}

/// What to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Stop: failed (the file's fault) or skipped; never sent again until the user retries.
    Park { state: AssetState, reason: String },
    /// Abandon the server asset and upload the file again from the start.
    Restart {
        reason: String,
        /// The new upload is of a file still being written.
        growing: bool,
        /// Make the new asset the next version of this one (it completed with older bytes).
        version_of: Option<String>,
    },
    /// A file taken as closed grew before its final part was registered: continue it as a
    /// growing file.
    ReopenGrowing,
    /// The mtime moved at the same size: compare the fingerprint (same: note the new mtime;
    /// different: verify every acknowledged part again).
    CheckContent,
    /// Read the file's head (it must be readable before an asset exists), then create the server
    /// asset: standard (one call with the size; the server plans the parts) or real-time.
    Create { standard: bool },
    /// A growing file has bytes for these new (non-final) parts.
    Extend(Vec<PlannedPart>),
    /// The writer finished: fingerprint the file and plan its final part.
    Close,
    /// Ask the server for URLs of these parts (real-time API).
    Register(Vec<u32>),
    /// Hash these acknowledged parts from the file and compare them with what was sent.
    Verify(Vec<u32>),
    /// Check the file once more (size, mtime, fingerprint); unchanged, the final part may go.
    ClearFinal,
    /// Every part acknowledged: check the file once more and report the asset done.
    Complete,
    /// Nothing to do until a report, a timer or the file changes. `next_retry_ms` is the
    /// earliest time a part waiting after a failure may go again; `in_flight` the parts out.
    Wait {
        next_retry_ms: Option<i64>,
        in_flight: usize,
    },
}

fn park_failed(reason: impl Into<String>) -> Step {
    Step::Park {
        state: AssetState::Failed,
        reason: reason.into(),
    }
}

/// Decide the next step for one asset.
pub fn decide(input: &PlanInput) -> Step {
    let row = input.row;
    let parts = input.parts;
    let facts = match input.file {
        Ok(f) => *f,
        Err(e) => return park_failed(e.to_string()),
    };
    let planned_end: u64 = parts.iter().map(|p| p.size).sum();
    let all_acked = !parts.is_empty() && parts.iter().all(|p| p.state == PartState::Acked);
    let has_final = parts.iter().any(|p| p.is_final);
    let final_part = parts.iter().find(|p| p.is_final);
    let final_registered =
        final_part.is_some_and(|p| p.url.is_some() || p.state != PartState::Pending);

    if row.restarts > input.config.max_restarts {
        return park_failed(format!(
            "{}; the file kept changing while it was uploaded",
            row.last_error
                .as_deref()
                .unwrap_or("the upload was started again too often")
        ));
    }
    if facts.size < planned_end {
        return park_failed(FileError::Changed.to_string());
    }
    if row.closed
        && let Some(size) = row.size
    {
        if facts.size < size {
            return park_failed(FileError::Changed.to_string());
        }
        if facts.size > size {
            // Still being written after all.
            if all_acked && row.server_id.is_some() {
                return Step::Restart {
                    reason: "the file grew after its upload completed; uploading it again as a new version".into(),
                    growing: true,
                    version_of: row.server_id.clone(),
                };
            }
            if row.server_id.is_none() || (!row.standard && !final_registered) {
                return Step::ReopenGrowing;
            }
            return Step::Restart {
                reason: "the file grew while it was uploaded; uploading it again as it is written"
                    .into(),
                growing: true,
                version_of: None,
            };
        }
        if facts.mtime_ns != row.mtime_ns {
            return Step::CheckContent;
        }
    }
    if row.server_id.is_none() {
        // An empty file, or one over 5 TiB, cannot become an asset: say so, create nothing.
        if row.closed
            && let Some(size) = row.size
            && let Err(e) = check_size(size)
        {
            return park_failed(e.to_string());
        }
        let standard = row.closed
            && row
                .size
                .is_some_and(|s| s < part_size_for(input.config.part_size, Some(s)));
        return Step::Create { standard };
    }
    if !row.closed {
        if input.writer_closed || input.growth_idle {
            return Step::Close;
        }
        let next_number = parts.last().map(|p| p.number + 1).unwrap_or(1);
        let new = plan_growth(facts.size, next_number, planned_end);
        if !new.is_empty() {
            return Step::Extend(new);
        }
    }
    // Resume verification: acknowledged bytes not hashed from the file in this session.
    let unverified: Vec<u32> = parts
        .iter()
        .filter(|p| p.state == PartState::Acked && p.verified.as_deref() != Some(input.session))
        .map(|p| p.number)
        .collect();
    if !unverified.is_empty() && !input.verifying {
        return Step::Verify(unverified);
    }
    let cleared = row.final_cleared.as_deref() == Some(input.session);
    if !row.standard {
        let soon = input.now_ms + input.config.min_url_life_ms;
        let wanted: Vec<u32> = parts
            .iter()
            .filter(|p| p.state != PartState::Acked)
            .take(input.config.register_ahead)
            .filter(|p| p.state == PartState::Pending)
            .filter(|p| !p.is_final || cleared)
            .filter(|p| p.url.is_none() || p.url_expires_ms.is_some_and(|e| e < soon))
            .take(input.config.register_batch)
            .map(|p| p.number)
            .collect();
        if !wanted.is_empty() {
            return Step::Register(wanted);
        }
    }
    if row.closed
        && has_final
        && !cleared
        && final_part.is_some_and(|p| p.state != PartState::Acked)
        && unverified.is_empty()
        && !input.verifying
        && parts
            .iter()
            .filter(|p| !p.is_final)
            .all(|p| p.state != PartState::Pending)
    {
        return Step::ClearFinal;
    }
    if row.closed && all_acked && unverified.is_empty() && !input.verifying {
        return Step::Complete;
    }
    Step::Wait {
        next_retry_ms: parts
            .iter()
            .filter(|p| p.state == PartState::Pending)
            .filter_map(|p| p.retry_at_ms)
            .filter(|t| *t > input.now_ms)
            .min(),
        in_flight: parts.iter().filter(|p| p.state == PartState::Sent).count(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::queue::journal::AssetKind;

    const MIB: u64 = 1024 * 1024;

    fn config() -> PlanConfig {
        PlanConfig {
            part_size: 5 * MIB,
            register_ahead: 8,
            register_batch: 4,
            min_url_life_ms: 600_000,
            max_restarts: 3,
        }
    }

    fn row(size: Option<u64>, closed: bool) -> AssetRow {
        AssetRow {
            id: 1,
            path: PathBuf::from("/m/a.mov"),
            name: "a.mov".into(),
            kind: AssetKind::Hero,
            filetype: "video/quicktime".into(),
            channel: 0,
            size,
            mtime_ns: 100,
            media_created_ms: 0,
            fingerprint: Some("fp".into()),
            realtime: !closed,
            state: AssetState::Active,
            priority: 30,
            seq: 1,
            server_id: None,
            standard: false,
            attempts: 0,
            last_error: None,
            retry_at_ms: None,
            enqueued_ms: 0,
            finished_ms: None,
            acked_bytes: 0,
            closed,
            file_id: None,
            version_of: None,
            final_cleared: None,
            restarts: 0,
        }
    }

    fn part(number: u32, offset: u64, size: u64, is_final: bool, state: PartState) -> PartRow {
        PartRow {
            asset_id: 1,
            number,
            offset,
            size,
            is_final,
            url: None,
            url_expires_ms: None,
            state,
            sha256: None,
            attempts: 0,
            md5: None,
            verified: None,
            retry_at_ms: None,
            failures: 0,
        }
    }

    fn with_url(mut p: PartRow) -> PartRow {
        p.url = Some(format!("https://s3.example/{}", p.number));
        p
    }

    fn acked_in(mut p: PartRow, session: &str) -> PartRow {
        p.url = Some("https://s3.example/x".into());
        p.state = PartState::Acked;
        p.verified = Some(session.into());
        p
    }

    fn facts(size: u64, mtime: i64) -> Result<FileFacts, FileError> {
        Ok(FileFacts {
            size,
            mtime_ns: mtime,
            created_ms: 0,
        })
    }

    fn decide_with(row: &AssetRow, parts: &[PartRow], file: Result<FileFacts, FileError>) -> Step {
        let c = config();
        decide(&PlanInput {
            row,
            parts,
            file: &file,
            session: "s1",
            now_ms: 1_000,
            writer_closed: false,
            growth_idle: false,
            verifying: false,
            config: &c,
        })
    }

    /// A closed real-time file of 3 parts (5 + 5 + 2 MiB), created.
    fn closed3() -> (AssetRow, Vec<PartRow>) {
        let mut r = row(Some(12 * MIB), true);
        r.server_id = Some("srv".into());
        let parts = vec![
            part(1, 0, 5 * MIB, false, PartState::Pending),
            part(2, 5 * MIB, 5 * MIB, false, PartState::Pending),
            part(3, 10 * MIB, 2 * MIB, true, PartState::Pending),
        ];
        (r, parts)
    }

    #[test]
    fn a_new_file_is_created_standard_when_small_and_real_time_otherwise() {
        // (queued size, closed, size on disk, standard): a small closed file, a large one, a
        // growing one.
        for (size, closed, on_disk, standard) in [
            (Some(MIB), true, MIB, true),
            (Some(12 * MIB), true, 12 * MIB, false),
            (None, false, 0, false),
        ] {
            assert_eq!(
                decide_with(&row(size, closed), &[], facts(on_disk, 100)),
                Step::Create { standard },
                "{size:?}"
            );
        }
    }

    #[test]
    fn an_empty_closed_file_is_parked_before_anything_is_created() {
        let r = row(Some(0), true);
        match decide_with(&r, &[], facts(0, 100)) {
            Step::Park {
                state: AssetState::Failed,
                reason,
            } => assert!(reason.contains("empty"), "{reason}"),
            other => panic!("{other:?}"),
        }
        // A growing file that is empty so far just waits for bytes.
        let g = row(None, false);
        assert_eq!(
            decide_with(&g, &[], facts(0, 100)),
            Step::Create { standard: false }
        );
    }

    #[test]
    fn an_unreadable_or_vanished_file_is_parked_before_anything_is_created() {
        let r = row(Some(MIB), true);
        for e in [FileError::Missing, FileError::PermissionDenied] {
            assert!(matches!(
                decide_with(&r, &[], Err(e)),
                Step::Park {
                    state: AssetState::Failed,
                    ..
                }
            ));
        }
    }

    #[test]
    fn non_final_parts_register_first_and_the_final_waits_for_clearance() {
        let (r, parts) = closed3();
        assert_eq!(
            decide_with(&r, &parts, facts(12 * MIB, 100)),
            Step::Register(vec![1, 2])
        );
        // With URLs and in flight, nothing to clear yet while part 2 waits.
        let mut p = parts.clone();
        p[0] = with_url(p[0].clone());
        p[0].state = PartState::Sent;
        p[1] = with_url(p[1].clone());
        assert!(matches!(
            decide_with(&r, &p, facts(12 * MIB, 100)),
            Step::Wait { in_flight: 1, .. }
        ));
        // Both out: clear the final part, then register it.
        p[1].state = PartState::Sent;
        assert_eq!(decide_with(&r, &p, facts(12 * MIB, 100)), Step::ClearFinal);
        let mut cleared = r.clone();
        cleared.final_cleared = Some("s1".into());
        assert_eq!(
            decide_with(&cleared, &p, facts(12 * MIB, 100)),
            Step::Register(vec![3])
        );
        // Cleared in an earlier session does not count.
        cleared.final_cleared = Some("s0".into());
        assert_eq!(
            decide_with(&cleared, &p, facts(12 * MIB, 100)),
            Step::ClearFinal
        );
    }

    #[test]
    fn a_closed_file_that_grows_continues_as_a_growing_file_or_starts_again() {
        let (r, mut parts) = closed3();
        // Before the final part is registered: reopened as growing.
        assert_eq!(
            decide_with(&r, &parts, facts(20 * MIB, 200)),
            Step::ReopenGrowing
        );
        // Not created yet: the same.
        let fresh = row(Some(3 * MIB), true);
        assert_eq!(
            decide_with(&fresh, &[], facts(8 * MIB, 200)),
            Step::ReopenGrowing
        );
        // The server knows the final size: a new asset, written as it grows.
        parts[2] = with_url(parts[2].clone());
        assert!(matches!(
            decide_with(&r, &parts, facts(20 * MIB, 200)),
            Step::Restart {
                growing: true,
                version_of: None,
                ..
            }
        ));
        // A standard asset declared its size at creation: the same.
        let mut std_row = row(Some(3 * MIB), true);
        std_row.server_id = Some("srv".into());
        std_row.standard = true;
        let std_parts = vec![with_url(part(1, 0, 3 * MIB, true, PartState::Pending))];
        assert!(matches!(
            decide_with(&std_row, &std_parts, facts(8 * MIB, 200)),
            Step::Restart { growing: true, .. }
        ));
        // Completed with the old size: the next version.
        let done: Vec<PartRow> = closed3().1.into_iter().map(|p| acked_in(p, "s1")).collect();
        assert_eq!(
            decide_with(&r, &done, facts(20 * MIB, 200)),
            Step::Restart {
                reason:
                    "the file grew after its upload completed; uploading it again as a new version"
                        .into(),
                growing: true,
                version_of: Some("srv".into()),
            }
        );
    }

    #[test]
    fn a_file_that_shrank_is_parked_as_changed() {
        let (r, parts) = closed3();
        assert!(matches!(
            decide_with(&r, &parts, facts(11 * MIB, 100)),
            Step::Park {
                state: AssetState::Failed,
                ..
            }
        ));
        let mut g = row(None, false);
        g.server_id = Some("srv".into());
        let gp = vec![acked_in(
            part(1, 0, 5 * MIB, false, PartState::Pending),
            "s1",
        )];
        assert!(matches!(
            decide_with(&g, &gp, facts(4 * MIB, 100)),
            Step::Park { .. }
        ));
    }

    #[test]
    fn a_moved_mtime_is_checked_against_the_content() {
        let (r, parts) = closed3();
        assert_eq!(
            decide_with(&r, &parts, facts(12 * MIB, 999)),
            Step::CheckContent
        );
    }

    #[test]
    fn parts_sent_in_another_session_are_verified_before_the_final_part() {
        let (mut r, parts) = closed3();
        let mut p: Vec<PartRow> = parts.clone();
        p[0] = acked_in(p[0].clone(), "s0");
        p[1] = acked_in(p[1].clone(), "s1");
        assert_eq!(
            decide_with(&r, &p, facts(12 * MIB, 100)),
            Step::Verify(vec![1])
        );
        // While the verification runs, the final part is not cleared.
        let c = config();
        let input = PlanInput {
            row: &r,
            parts: &p,
            file: &facts(12 * MIB, 100),
            session: "s1",
            now_ms: 1_000,
            writer_closed: false,
            growth_idle: false,
            verifying: true,
            config: &c,
        };
        assert!(matches!(decide(&input), Step::Wait { .. }));
        p[0].verified = Some("s1".into());
        assert_eq!(decide_with(&r, &p, facts(12 * MIB, 100)), Step::ClearFinal);
        r.final_cleared = Some("s1".into());
        p[2] = acked_in(p[2].clone(), "s1");
        assert_eq!(decide_with(&r, &p, facts(12 * MIB, 100)), Step::Complete);
        // Acknowledged in another session and not verified: no completion before verifying.
        p[2].verified = None;
        assert_eq!(
            decide_with(&r, &p, facts(12 * MIB, 100)),
            Step::Verify(vec![3])
        );
    }

    #[test]
    fn a_growing_file_extends_its_plan_and_closes_when_the_writer_finishes() {
        let mut r = row(None, false);
        r.server_id = Some("srv".into());
        assert_eq!(
            decide_with(&r, &[], facts(4 * MIB, 1)),
            Step::Wait {
                next_retry_ms: None,
                in_flight: 0
            }
        );
        match decide_with(&r, &[], facts(11 * MIB, 1)) {
            Step::Extend(p) => {
                assert_eq!(p.len(), 2);
                assert_eq!((p[1].number, p[1].offset), (2, 5 * MIB));
            }
            other => panic!("{other:?}"),
        }
        let c = config();
        let input = PlanInput {
            row: &r,
            parts: &[],
            file: &facts(11 * MIB, 1),
            session: "s1",
            now_ms: 1_000,
            writer_closed: true,
            growth_idle: false,
            verifying: false,
            config: &c,
        };
        assert_eq!(decide(&input), Step::Close);
    }

    #[test]
    fn expiring_urls_are_registered_again_and_backoff_is_reported() {
        let (r, mut parts) = closed3();
        for p in parts.iter_mut().take(2) {
            *p = with_url(p.clone());
        }
        parts[0].url_expires_ms = Some(1_000 + 60_000);
        assert_eq!(
            decide_with(&r, &parts, facts(12 * MIB, 100)),
            Step::Register(vec![1])
        );
        parts[0].url_expires_ms = None;
        parts[0].retry_at_ms = Some(5_000);
        parts[1].state = PartState::Sent;
        assert_eq!(
            decide_with(&r, &parts, facts(12 * MIB, 100)),
            Step::Wait {
                next_retry_ms: Some(5_000),
                in_flight: 1
            }
        );
    }

    #[test]
    fn too_many_restarts_park_the_file() {
        let (mut r, parts) = closed3();
        r.restarts = 4;
        assert!(matches!(
            decide_with(&r, &parts, facts(12 * MIB, 100)),
            Step::Park {
                state: AssetState::Failed,
                ..
            }
        ));
    }
}
