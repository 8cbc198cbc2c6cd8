//! A standard asset is split as the server says (§6.2: `n = len(upload_urls)`, chunk =
//! ceil(size / n)), not as the client would: here the emulator hands out more URLs than the
//! engine's one part for a file under its part size, and the upload still lands intact, part by
//! part.

mod common;

use common::*;
use serde_json::json;

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
