//! Property test: any sequence of queue operations and crashes keeps the journal's invariants:
//! one open asset per file, no part acknowledged twice, no byte range lost or doubled, and an
//! acknowledged part or a server asset id is never forgotten. `check_invariants` also recomputes
//! the aggregates schema v2 maintains (acknowledged bytes per asset, totals per state).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use proptest::prelude::*;
use takeup_core::queue::journal::{
    AssetKind, AssetState, Journal, NewAsset, PartState, PlannedPart,
};

#[derive(Clone, Debug)]
enum Op {
    Enqueue {
        file: u8,
        size: u16,
        held: bool,
        growing: bool,
    },
    Start {
        pick: u8,
    },
    Create {
        pick: u8,
        parts: u8,
    },
    Send {
        pick: u8,
        part: u8,
    },
    Ack {
        pick: u8,
        part: u8,
    },
    PartFailed {
        pick: u8,
        part: u8,
    },
    AttemptFailed {
        pick: u8,
        counts: bool,
    },
    Park {
        pick: u8,
        skipped: bool,
    },
    Cancel {
        pick: u8,
    },
    CancelAll,
    Retry {
        pick: u8,
    },
    Select {
        pick: u8,
    },
    Top {
        pick: u8,
    },
    Complete {
        pick: u8,
    },
    /// The writer of a growing file finishes: a final part of `extra` bytes, then the true size.
    Close {
        pick: u8,
        extra: u16,
    },
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, 0u16..500, any::<bool>(), prop::bool::weighted(0.2)).prop_map(|(file, size, held, growing)| Op::Enqueue { file, size, held, growing }),
        3 => any::<u8>().prop_map(|pick| Op::Start { pick }),
        3 => (any::<u8>(), 1u8..5).prop_map(|(pick, parts)| Op::Create { pick, parts }),
        4 => (any::<u8>(), 1u8..6).prop_map(|(pick, part)| Op::Send { pick, part }),
        5 => (any::<u8>(), 1u8..6).prop_map(|(pick, part)| Op::Ack { pick, part }),
        1 => (any::<u8>(), 1u8..6).prop_map(|(pick, part)| Op::PartFailed { pick, part }),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(pick, counts)| Op::AttemptFailed { pick, counts }),
        1 => (any::<u8>(), any::<bool>()).prop_map(|(pick, skipped)| Op::Park { pick, skipped }),
        1 => any::<u8>().prop_map(|pick| Op::Cancel { pick }),
        1 => Just(Op::CancelAll),
        1 => any::<u8>().prop_map(|pick| Op::Retry { pick }),
        1 => any::<u8>().prop_map(|pick| Op::Select { pick }),
        1 => any::<u8>().prop_map(|pick| Op::Top { pick }),
        2 => any::<u8>().prop_map(|pick| Op::Complete { pick }),
        1 => (any::<u8>(), 1u16..300).prop_map(|(pick, extra)| Op::Close { pick, extra }),
        2 => Just(Op::Crash),
    ]
}

fn ids(j: &Journal) -> Vec<i64> {
    j.assets_in(&AssetState::ALL)
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect()
}

fn pick(j: &Journal, p: u8) -> Option<i64> {
    let mut all = ids(j);
    all.sort();
    (!all.is_empty()).then(|| all[p as usize % all.len()])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn journal_invariants_hold_under_any_operations_and_crashes(ops in proptest::collection::vec(op(), 1..80)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.sqlite");
        let mut j = Journal::open(&path).unwrap();
        // What must never be lost: acknowledged parts and server ids.
        let mut acked: HashSet<(i64, u32)> = HashSet::new();
        let mut server_ids: HashMap<i64, String> = HashMap::new();
        for op in ops {
            match op {
                Op::Enqueue { file, size, held, growing } => {
                    let _ = j.enqueue(&NewAsset {
                        path: PathBuf::from(format!("/media/f{file}.mov")),
                        name: format!("f{file}.mov"),
                        kind: AssetKind::Hero,
                        filetype: "video/quicktime".into(),
                        channel: 0,
                        size: (!growing).then_some(size as u64),
                        mtime_ns: 1,
                        media_created_ms: 1,
                        fingerprint: (!growing).then(|| format!("{file}-{size}")),
                        realtime: growing,
                        held,
                        file_id: None,
                    });
                }
                Op::Start { pick: p } => { if let Some(id) = pick(&j, p) { let _ = j.start(id); } }
                Op::Create { pick: p, parts } => {
                    if let Some(id) = pick(&j, p) {
                        let a = j.asset(id).unwrap();
                        // A growing file: parts of 10 bytes as it is written, none final yet.
                        let open_ended = a.size.is_none();
                        let size = a.size.unwrap_or(10 * parts as u64);
                        let n = (parts as u64).min(size.max(1));
                        let chunk = size.div_ceil(n);
                        let plan: Vec<PlannedPart> = (0..n).map(|i| PlannedPart {
                            number: i as u32 + 1,
                            offset: i * chunk,
                            size: chunk.min(size.saturating_sub(i * chunk)),
                            is_final: !open_ended && i + 1 == n,
                            url: Some(format!("https://s3.example/{id}/{i}")),
                            url_expires_ms: None,
                        }).collect();
                        let sid = format!("srv-{id}");
                        if j.record_created(id, &sid, false, &plan).is_ok() {
                            server_ids.insert(id, sid);
                        }
                    }
                }
                Op::Send { pick: p, part } => { if let Some(id) = pick(&j, p) { let _ = j.mark_sent(id, part as u32); } }
                Op::Ack { pick: p, part } => {
                    if let Some(id) = pick(&j, p) {
                        let known = j.parts(id).unwrap().iter().any(|x| x.number == part as u32);
                        if let Ok(newly) = j.ack_part(id, part as u32, "h") {
                            let first = acked.insert((id, part as u32));
                            // Acknowledged once: the second time is reported as a repeat.
                            prop_assert_eq!(newly, first && known, "ack of {}/{}", id, part);
                            if !known { acked.remove(&(id, part as u32)); }
                        }
                    }
                }
                Op::PartFailed { pick: p, part } => { if let Some(id) = pick(&j, p) { let _ = j.part_failed(id, part as u32); } }
                Op::AttemptFailed { pick: p, counts } => { if let Some(id) = pick(&j, p) { let _ = j.attempt_failed(id, "x", 0, 3, counts); } }
                Op::Park { pick: p, skipped } => {
                    if let Some(id) = pick(&j, p) {
                        let _ = j.park(id, if skipped { AssetState::Skipped } else { AssetState::Failed }, "r");
                    }
                }
                Op::Cancel { pick: p } => { if let Some(id) = pick(&j, p) { let _ = j.cancel(id); } }
                Op::CancelAll => { let _ = j.cancel_all(); }
                Op::Retry { pick: p } => { if let Some(id) = pick(&j, p) { let _ = j.retry(id); } }
                Op::Select { pick: p } => { if let Some(id) = pick(&j, p) { let _ = j.select(&[id]); } }
                Op::Top { pick: p } => { if let Some(id) = pick(&j, p) { let _ = j.move_to_top(id); } }
                Op::Complete { pick: p } => {
                    if let Some(id) = pick(&j, p) {
                        let parts = j.parts(id).unwrap();
                        let closed = j.asset(id).unwrap().closed;
                        let all_acked = !parts.is_empty() && parts.iter().all(|x| x.state == PartState::Acked);
                        let r = j.complete(id);
                        prop_assert_eq!(r.is_ok(), all_acked && closed, "complete {} with parts {:?}", id, parts);
                    }
                }
                Op::Close { pick: p, extra } => {
                    if let Some(id) = pick(&j, p) {
                        let a = j.asset(id).unwrap();
                        if a.realtime && !a.closed && a.server_id.is_some() {
                            let parts = j.parts(id).unwrap();
                            let end: u64 = parts.iter().map(|x| x.size).sum();
                            let last = PlannedPart {
                                number: parts.len() as u32 + 1,
                                offset: end,
                                size: extra as u64,
                                is_final: true,
                                url: None,
                                url_expires_ms: None,
                            };
                            if j.add_parts(id, &[last]).is_ok() {
                                j.close_file(id, end + extra as u64, 2, "fp").unwrap();
                            }
                        }
                    }
                }
                Op::Crash => {
                    drop(j);
                    j = Journal::open(&path).unwrap();
                    j.reconcile().unwrap();
                    prop_assert!(j.assets_in(&[AssetState::Active]).unwrap().is_empty());
                }
            }
            j.check_invariants().map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (id, n) in &acked {
                let parts = j.parts(*id).unwrap();
                let p = parts.iter().find(|x| x.number == *n).unwrap();
                prop_assert_eq!(p.state, PartState::Acked, "an acknowledged part was lost");
            }
            for (id, sid) in &server_ids {
                let kept = j.asset(*id).unwrap().server_id;
                prop_assert_eq!(kept.as_deref(), Some(sid.as_str()), "a server id was lost");
            }
        }
    }
}
