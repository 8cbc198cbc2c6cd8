//! Property test: any sequence of queue operations and crashes keeps the journal's invariants:
//! one open asset per file, no part acknowledged twice, no byte range lost or doubled, and an
//! acknowledged part or a server asset id is never forgotten.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use proptest::prelude::*;
use takeup_core::queue::journal::{
    AssetKind, AssetState, Journal, NewAsset, PartState, PlannedPart,
};

#[derive(Clone, Debug)]
enum Op {
    Enqueue { file: u8, size: u16, held: bool },
    Start { pick: u8 },
    Create { pick: u8, parts: u8 },
    Send { pick: u8, part: u8 },
    Ack { pick: u8, part: u8 },
    PartFailed { pick: u8, part: u8 },
    AttemptFailed { pick: u8, counts: bool },
    Park { pick: u8, skipped: bool },
    Cancel { pick: u8 },
    CancelAll,
    Retry { pick: u8 },
    Select { pick: u8 },
    Top { pick: u8 },
    Complete { pick: u8 },
    Crash,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..6, 0u16..500, any::<bool>()).prop_map(|(file, size, held)| Op::Enqueue { file, size, held }),
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
        2 => Just(Op::Crash),
    ]
}

fn ids(j: &Journal) -> Vec<i64> {
    j.assets_in(&[
        AssetState::Held,
        AssetState::Queued,
        AssetState::Active,
        AssetState::Done,
        AssetState::Failed,
        AssetState::Skipped,
        AssetState::Cancelled,
    ])
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
                Op::Enqueue { file, size, held } => {
                    let _ = j.enqueue(&NewAsset {
                        path: PathBuf::from(format!("/media/f{file}.mov")),
                        name: format!("f{file}.mov"),
                        kind: AssetKind::Hero,
                        filetype: "video/quicktime".into(),
                        channel: 0,
                        size: Some(size as u64),
                        mtime_ns: 1,
                        media_created_ms: 1,
                        fingerprint: Some(format!("{file}-{size}")),
                        realtime: false,
                        held,
                    });
                }
                Op::Start { pick: p } => { if let Some(id) = pick(&j, p) { let _ = j.start(id); } }
                Op::Create { pick: p, parts } => {
                    if let Some(id) = pick(&j, p) {
                        let a = j.asset(id).unwrap();
                        let size = a.size.unwrap();
                        let n = (parts as u64).min(size.max(1));
                        let chunk = size.div_ceil(n);
                        let plan: Vec<PlannedPart> = (0..n).map(|i| PlannedPart {
                            number: i as u32 + 1,
                            offset: i * chunk,
                            size: chunk.min(size.saturating_sub(i * chunk)),
                            is_final: i + 1 == n,
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
                        let all_acked = !parts.is_empty() && parts.iter().all(|x| x.state == PartState::Acked);
                        let r = j.complete(id);
                        prop_assert_eq!(r.is_ok(), all_acked, "complete {} with parts {:?}", id, parts);
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
