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
    for chunk in data.chunks(3) {
        let (op, a, b) = (
            chunk[0] % 14,
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
                            url: None,
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
