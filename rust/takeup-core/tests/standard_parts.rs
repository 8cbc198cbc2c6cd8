//! A standard asset is split as the server says (§6.2: `n = len(upload_urls)`, chunk =
//! ceil(size / n)), not as the client would: here the emulator hands out more URLs than the
//! engine's one part for a file under its part size, and the upload still lands intact, part by
//! part.

mod common;

use common::*;
use serde_json::json;
use takeup_emulator::EmulatorConfig;

const MIB: u64 = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_chooses_how_many_parts_a_standard_asset_has() {
    let env = env().await;
    // The server aims at 5 MiB parts; the engine would send closed files under 16 MiB as one.
    env.settings(json!({ "standard_part_bytes": 5 * MIB }))
        .await;
    let q = takeup_core::QueueConfig {
        part_size: 16 * MIB,
        ..queue_config(&env)
    };
    let e = paired_with_queue(&env, q).await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("fifteen.mov", 15 * MIB, 3usize),
        ("twelve.mov", 12 * MIB + 7, 2),
        ("small.mov", 4 * MIB, 1),
    ];
    let mut expected = Vec::new();
    for (i, (name, size, parts)) in cases.iter().enumerate() {
        let (p, sha) = media_file(dir.path(), name, *size as usize, i as u8 + 1);
        enqueue(&e, &p).await;
        expected.push((*name, *size, *parts, sha));
    }
    wait_queue(&e, 60, "all uploaded", |s| {
        s.totals.done == cases.len() as u64
    })
    .await;
    let assets = env.get("/_emulator/assets").await;
    for (name, size, parts, sha) in expected {
        let a = assets
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap_or_else(|| panic!("{name} on the server"));
        assert_eq!(a["realtime"], false, "{name}: a standard asset");
        assert_eq!(a["filesize"], size, "{name}");
        let planned = a["parts"].as_object().unwrap();
        assert_eq!(planned.len(), parts, "{name}: the server's count");
        // §6.2: every part but the last is ceil(size / n) bytes.
        let chunk = size.div_ceil(parts as u64);
        for (n, p) in planned {
            let n: u64 = n.parse().unwrap();
            let want = if n < parts as u64 {
                chunk
            } else {
                size - chunk * (parts as u64 - 1)
            };
            assert_eq!(p["size"], want, "{name} part {n}");
            assert_eq!(p["received_count"], 1, "{name} part {n} sent once");
        }
        let one = env
            .get(&format!("/_emulator/assets/{}", a["id"].as_str().unwrap()))
            .await;
        assert_eq!(one["complete"], true, "{name}");
        assert_eq!(one["sha256"], sha, "{name}");
    }
}

/// One part, one connection: the engine's parallelism, stall detection and per-part cancel all
/// rest on it. S3 speaks HTTP/1.1 only; a storage that offered HTTP/2 (a CDN in front of it)
/// would otherwise get every part multiplexed over one TCP connection, which a lossy link caps
/// at one connection's rate, and a connection lost would fail every part at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_go_over_http1_where_the_storage_offers_http2() {
    let env = env_from(EmulatorConfig {
        s3_http2: true,
        ..Default::default()
    })
    .await;
    env.settings(json!({ "standard_part_bytes": 5 * MIB }))
        .await;
    let e = paired_with_queue(&env, queue_config(&env)).await;
    let dir = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(dir.path(), "three.mov", (15 * MIB) as usize, 9);
    enqueue(&e, &p).await;
    wait_queue(&e, 60, "uploaded", |s| s.totals.done == 1).await;
    let stats = env.get("/_emulator/stats").await;
    let puts = stats["requests"]["PUT /parts/{id}/{n}"]["requests"].clone();
    assert_eq!(stats["s3_http2_requests"], 0, "{stats}");
    assert!(
        puts.as_u64().is_some_and(|n| n >= 3),
        "the parts went to S3: {stats}"
    );
    assert_uploaded_once(&env, "three.mov", &sha, 1).await;
}
