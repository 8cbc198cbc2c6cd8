//! Entry points for the fuzz targets in `rust/takeup-core/fuzz` (cargo-fuzz, libFuzzer) and for
//! their stable-toolchain smoke test. Each takes arbitrary bytes and must never panic; the journal
//! target also checks the journal's invariants after every operation.

use std::path::PathBuf;

use bytes::Bytes;
use reqwest::header::HeaderMap;

use crate::http::HttpResponse;
use crate::queue::journal::{AssetKind, AssetState, Journal, NewAsset, PartState, PlannedPart};
use crate::queue::{classify, wire};

/// Every parser of server answers on one input: the first two bytes pick the HTTP status.
pub fn api_response(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + (u16::from_le_bytes([*a, *b]) % 500), rest),
        _ => (200, data),
    };
    let resp = HttpResponse {
        status,
        headers: HeaderMap::new(),
        body: Bytes::copy_from_slice(body),
    };
    let _ = resp.error().to_string();
    let _ = crate::error::ApiErrorBody::parse(body);
    if let Ok(v) = crate::identity::object(&resp, "answer") {
        let _ = crate::identity::parse_user(&v);
        let _ = crate::identity::parse_device(&v);
    }
    let _ = crate::identity::list(&resp, "answer");
    let _ = crate::auth::grant_from(&resp);
    let _ = resp.json::<crate::auth::CodeBody>();
    let hosts = vec!["*.amazonaws.com".to_string(), "127.0.0.1:9".to_string()];
    if let Ok((_, answer)) = wire::created_asset_id(body) {
        let size = u64::from(status) * 1_000_003;
        if let Ok(parts) = wire::standard_plan(&answer, size, &hosts) {
            let sum: u64 = parts.iter().map(|p| p.size).sum();
            assert_eq!(sum, size, "a standard plan must cover the file exactly");
        }
    }
    let _ = wire::part_urls(body, usize::from(status % 7), &hosts);
    let _ = classify::s3_status(status, body, None).reason();
    if let Ok(text) = std::str::from_utf8(body) {
        let _ = crate::queue::uploader::check_upload_url(text, &hosts);
        if let Ok(u) = url::Url::parse(text) {
            let _ = crate::queue::uploader::url_expiry_ms(&u);
        }
    }
}

/// Journal operations decoded from bytes, on an in-memory journal; invariants after each.
pub fn journal_ops(data: &[u8]) {
    let mut j = Journal::open_in_memory().expect("in-memory journal");
    let mut acked = std::collections::HashSet::new();
    let mut leases: Vec<String> = Vec::new();
    for chunk in data.chunks(3) {
        let (op, a, b) = (
            chunk[0] % 20,
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        );
        let ids: Vec<i64> = j
            .assets_in(&AssetState::ALL)
            .map(|v| v.iter().map(|r| r.id).collect())
            .unwrap_or_default();
        let pick = (!ids.is_empty()).then(|| ids[a as usize % ids.len()]);
        match (op, pick) {
            (0, _) => {
                let _ = j.enqueue(&NewAsset {
                    path: PathBuf::from(format!("/m/{}", a % 8)),
                    name: format!("{}.mov", a % 8),
                    kind: AssetKind::Hero,
                    filetype: "video/mp4".into(),
                    channel: 0,
                    size: Some(u64::from(b) * 3),
                    mtime_ns: 0,
                    media_created_ms: 0,
                    fingerprint: Some(format!("{a}{b}")),
                    realtime: false,
                    held: b % 5 == 0,
                    // Sometimes the same file under another path, sometimes a new one.
                    file_id: (b % 3 != 0).then(|| (1, u64::from(a % 6))),
                });
            }
            (1, Some(id)) => {
                let _ = j.start(id);
            }
            (2, Some(id)) => {
                if let Ok(row) = j.asset(id) {
                    let size = row.size.unwrap_or(0);
                    let n = u64::from(b % 4 + 1).min(size.max(1));
                    let chunk = size.div_ceil(n);
                    let plan: Vec<PlannedPart> = (0..n)
                        .map(|i| PlannedPart {
                            number: i as u32 + 1,
                            offset: i * chunk,
                            size: chunk.min(size.saturating_sub(i * chunk)),
                            is_final: i + 1 == n,
                            url: (b % 2 == 0).then(|| format!("https://s3.example/{id}/{i}")),
                            url_expires_ms: None,
                        })
                        .collect();
                    let _ = j.record_created(id, "srv", false, &plan);
                }
            }
            (3, Some(id)) => {
                let _ = j.mark_sent(id, u32::from(b % 5));
            }
            (4, Some(id)) => {
                let known = j
                    .parts(id)
                    .map(|p| p.iter().any(|x| x.number == u32::from(b % 5)))
                    .unwrap_or(false);
                if let Ok(newly) = j.ack_part(id, u32::from(b % 5), "h") {
                    let first = known && acked.insert((id, b % 5));
                    assert_eq!(newly, first, "a part acknowledged twice");
                }
            }
            (5, Some(id)) => {
                let _ = j.attempt_failed(id, "e", 0, 3, b % 2 == 0);
            }
            (6, Some(id)) => {
                let _ = j.park(id, AssetState::Failed, "r");
            }
            (7, Some(id)) => {
                let _ = j.cancel(id);
            }
            (8, _) => {
                let _ = j.cancel_all();
            }
            (9, Some(id)) => {
                let _ = j.retry(id);
            }
            (10, Some(id)) => {
                let _ = j.select(&[id]);
            }
            (11, Some(id)) => {
                let _ = j.move_to_top(id);
            }
            (12, Some(id)) => {
                let _ = j.complete(id);
            }
            (13, _) => {
                let _ = j.reconcile();
            }
            (14, _) => {
                let grant = crate::queue::journal::LeaseGrant {
                    executor: if b % 2 == 0 {
                        crate::queue::journal::Executor::Engine
                    } else {
                        crate::queue::journal::Executor::Platform
                    },
                    limit: usize::from(b % 4 + 1),
                    now_ms: 0,
                    min_url_life_ms: 0,
                    ttl_ms: i64::from(b % 3) - 1,
                    session: "s",
                    exclude: &[],
                };
                if let Ok(got) = j.lease_parts(&grant) {
                    for l in got {
                        let _ = j.set_lease_md5(&l.id, "m");
                        leases.push(l.id);
                    }
                }
            }
            (15, _) if !leases.is_empty() => {
                let id = leases[a as usize % leases.len()].clone();
                if let Ok(crate::queue::journal::LeaseReport::Acked { asset_id, number }) =
                    j.lease_succeeded(&id, if b % 2 == 0 { "s" } else { "t" })
                {
                    assert!(
                        acked.insert((asset_id, number as u8)),
                        "a part acknowledged twice"
                    );
                }
            }
            (16, _) if !leases.is_empty() => {
                let id = leases[a as usize % leases.len()].clone();
                let _ = j.lease_failed(
                    &id,
                    &crate::queue::journal::LeaseFailure {
                        reason: "e".into(),
                        retry_at_ms: 0,
                        counts: b % 2 == 0,
                        max_attempts: 3,
                        maybe_stored: b % 3 == 0,
                    },
                );
            }
            (17, pick) => {
                use crate::queue::journal::{Executor, Reclaim};
                let id = leases.get(a as usize % leases.len().max(1)).cloned();
                let _ = match (b % 5, pick, id) {
                    (0, _, _) => j.reclaim_leases(Reclaim::Executor(Executor::Engine)),
                    (1, _, _) => j.reclaim_leases(Reclaim::Expired(1)),
                    (2, _, _) => {
                        j.reclaim_leases(Reclaim::PlatformExcept(&leases[..leases.len() / 2]))
                    }
                    (3, Some(asset), _) => j.reclaim_leases(Reclaim::Asset(asset)),
                    (_, _, Some(id)) => j.reclaim_leases(Reclaim::Lease(&id)),
                    _ => Ok(Vec::new()),
                };
            }
            (18, Some(id)) => {
                let r = crate::queue::journal::Restart {
                    reason: "r".into(),
                    size: Some(u64::from(b)),
                    mtime_ns: 1,
                    fingerprint: Some("f".into()),
                    growing: b % 4 == 0,
                    version_of: None,
                };
                if j.restart(id, &r).is_ok() {
                    acked.retain(|(asset, _)| *asset != id);
                }
            }
            (19, Some(id)) if b % 2 == 0 => {
                let _ = j.set_final_cleared(id, Some("s"));
            }
            (19, Some(id)) => {
                let before: Vec<u32> = j
                    .parts(id)
                    .map(|p| {
                        p.iter()
                            .filter(|x| x.state == PartState::Acked)
                            .map(|x| x.number)
                            .collect()
                    })
                    .unwrap_or_default();
                if j.confirm_completed(id, "srv").ok()
                    == Some(crate::queue::journal::Completion::Confirmed)
                {
                    for p in j.parts(id).expect("parts") {
                        assert_eq!(p.state, PartState::Acked, "confirmed: every part acked");
                        if !before.contains(&p.number) {
                            assert!(
                                acked.insert((id, p.number as u8)),
                                "a part acknowledged twice"
                            );
                        }
                    }
                }
            }
            _ => {}
        }
        j.check_invariants().expect("journal invariants");
        for (id, n) in &acked {
            let parts = j.parts(*id).expect("parts");
            let part = parts
                .iter()
                .find(|p| p.number == u32::from(*n))
                .expect("part kept");
            assert_eq!(
                part.state,
                PartState::Acked,
                "an acknowledged part was lost"
            );
        }
    }
}
