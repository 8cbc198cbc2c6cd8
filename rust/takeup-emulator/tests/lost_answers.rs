//! "The server did it, the answer was lost": the `lose_answer` fault on asset creation, real-time
//! part registration, part PUTs and token refresh; S3's answer to a part sent again once the
//! upload is complete; `Content-MD5`; deleting an asset on the server; the request counters.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

fn md5_b64(data: &[u8]) -> String {
    use base64::Engine as _;
    use md5::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(data))
}

async fn stats(env: &Env) -> Value {
    env.control_get("/_emulator/stats").await
}

async fn put_with_md5(env: &Env, url: &str, data: Vec<u8>, md5: &str) -> reqwest::Response {
    env.http
        .put(url)
        .header("content-type", "video/mp4")
        .header("x-amz-acl", "private")
        .header("content-md5", md5)
        .body(data)
        .send()
        .await
        .unwrap()
}

/// A real-time asset with one final part of `size` test bytes (of `seed`): its id, the part's URL
/// and the bytes.
async fn realtime_one_part(
    env: &Env,
    access: &str,
    name: &str,
    size: usize,
    seed: u8,
) -> (String, String, Vec<u8>) {
    let id = env.create_realtime(access, name).await;
    let r = env
        .post_auth(
            &format!("/v2/devices/assets/{id}/realtime_upload/parts"),
            access,
            Some(json!({"parts": [{"number": 1, "size": size, "is_final": true}], "asset_filesize": size})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let url = first_upload_url(r).await;
    (id, url, bytes(size, seed))
}

/// The first part URL of a successful answer.
async fn first_upload_url(r: reqwest::Response) -> String {
    upload_urls(&r.json().await.unwrap()).remove(0)
}

#[tokio::test]
async fn a_lost_creation_answer_leaves_the_asset_created() {
    let (env, t) = paired("lost-create").await;
    env.fault(json!({
        "target": "api", "method": "POST", "path_ends_with": "/v2/devices/assets",
        "action": {"kind": "lose_answer"}
    }))
    .await;
    let r = env
        .post_request("/v2/devices/assets", &t.access)
        .json(&file_body("lost.mov", "video/mp4", 1000))
        .send()
        .await;
    assert!(r.is_err(), "the client got an answer: {r:?}");
    // The server acted: the asset exists.
    let assets = env.control_get("/_emulator/assets").await;
    let list = assets.as_array().unwrap();
    assert_eq!(list.len(), 1, "{assets:#}");
    assert_eq!(list[0]["name"], "lost.mov");
    // Only that answer was lost: the same client goes on (HTTP/2: only the stream was reset).
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(r.status(), StatusCode::OK);
    let log = env.requests().await;
    let e = log
        .iter()
        .find(|e| e["path"] == "/v2/devices/assets")
        .unwrap();
    assert_eq!(e["status"], 0);
    assert_eq!(e["fault"], "lose_answer(200)");
    let s = stats(&env).await;
    assert_eq!(s["assets_created"], 1, "{s:#}");
    let c = &s["requests"]["POST /v2/devices/assets"];
    assert_eq!(c["requests"], 1);
    assert_eq!(c["answers_lost"], 1);
    assert_eq!(c["statuses"]["200"], 1);
    // The rule fired once: the next creation answers.
    let r = env
        .create_asset(&t.access, file_body("next.mov", "video/mp4", 10))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(stats(&env).await["assets_created"], 2);
}

#[tokio::test]
async fn a_lost_part_registration_answer_leaves_the_parts_registered() {
    let (env, t) = paired("lost-parts").await;
    let id = env.create_realtime(&t.access, "rt.mov").await;
    env.fault(json!({
        "target": "api", "path_contains": "/realtime_upload/parts",
        "action": {"kind": "drop_answer"}
    }))
    .await;
    let path = format!("/v2/devices/assets/{id}/realtime_upload/parts");
    let r = env
        .post_request(&path, &t.access)
        .json(&json!({"parts": [{"number": 1, "size": 5 * MIB, "is_final": false}]}))
        .send()
        .await;
    assert!(r.is_err(), "the client got an answer: {r:?}");
    let rep = env.asset(&id).await;
    assert_eq!(rep["parts"]["1"]["size"], 5 * MIB, "{rep:#}");
    // Asking again gives a fresh URL for the same part.
    let r = env.register_first_part(&t.access, &id).await;
    assert_eq!(r.status(), StatusCode::OK);
    let s = stats(&env).await;
    assert_eq!(
        s["requests"]["POST /v2/devices/assets/{id}/realtime_upload/parts"]["answers_lost"], 1,
        "{s:#}"
    );
}

#[tokio::test]
async fn a_lost_part_answer_leaves_the_part_stored_and_a_resend_finds_the_upload_complete() {
    let (env, t) = paired("lost-put").await;
    let (id, url, data) = realtime_one_part(&env, &t.access, "put.mov", 3 * MIB + 7, 4).await;
    env.fault(json!({"target": "s3", "action": {"kind": "lose_answer"}}))
        .await;
    let r = env.put_part(&url, "video/mp4", data.clone()).await;
    assert!(r.is_err(), "the client got an answer: {r:?}");
    let rep = env.asset(&id).await;
    assert_eq!(rep["complete"], true, "{rep:#}");
    assert_eq!(rep["sha256"], sha256(&data));
    assert_eq!(rep["parts"]["1"]["received_count"], 1);
    // Sent again: the multipart upload was completed and is gone, as on S3.
    let r = env.put_part(&url, "video/mp4", data.clone()).await.unwrap();
    assert_eq!(s3_code(r).await, no_such_upload());
    let rep = env.asset(&id).await;
    assert_eq!(rep["parts"]["1"]["received_count"], 1);
    assert_eq!(rep["sha256"], sha256(&data));
    let log = env.requests().await;
    assert!(
        log.iter()
            .any(|e| e["listener"] == "s3" && e["status"] == 0 && e["fault"] == "lose_answer(200)"),
        "{log:#?}"
    );
}

#[tokio::test]
async fn parts_of_a_completed_standard_upload_are_refused_and_earlier_resends_overwrite() {
    let (env, t) = paired("complete-std").await;
    let size = 12 * MIB;
    let data = bytes(size, 6);
    let r = env
        .create_asset(
            &t.access,
            json!({"name": "two.mov", "filetype": "video/mp4", "filesize": size, "parts": 2}),
        )
        .await;
    let asset: Value = r.json().await.unwrap();
    let id = asset["id"].as_str().unwrap();
    let urls = upload_urls(&asset);
    let half = size / 2;
    // Before completion a part may be sent again (it replaces the first copy).
    for _ in 0..2 {
        assert_eq!(
            env.put_status(&urls[0], data[..half].to_vec()).await,
            StatusCode::OK
        );
    }
    assert_eq!(
        env.put_status(&urls[1], data[half..].to_vec()).await,
        StatusCode::OK
    );
    assert_eq!(env.asset(id).await["sha256"], sha256(&data));
    for (i, url) in urls.iter().enumerate() {
        let part = data[i * half..(i + 1) * half].to_vec();
        let r = env.put_part(url, "video/mp4", part).await.unwrap();
        assert_eq!(s3_code(r).await, no_such_upload());
    }
    let rep = env.asset(id).await;
    assert_eq!(rep["parts"]["1"]["received_count"], 2);
    assert_eq!(rep["parts"]["2"]["received_count"], 1);
    assert_eq!(rep["stored_puts"], 3);
}

#[tokio::test]
async fn a_lost_refresh_answer_still_rotates_the_tokens() {
    let (env, t) = paired("lost-refresh").await;
    env.fault(json!({
        "target": "auth", "path_contains": "/v2/auth/token",
        "action": {"kind": "lose_answer"}
    }))
    .await;
    let r = env
        .token_request(&t.client_id, "refresh_token", "refresh_token", &t.refresh)
        .send()
        .await;
    assert!(r.is_err(), "the client got an answer: {r:?}");
    // The server rotated: the old pair is dead, the refresh token spent.
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = env.refresh(&t.client_id, &t.refresh).await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
    let s = stats(&env).await;
    // The device-code poll of the pairing, the lost refresh, the spent one.
    assert_eq!(s["token_requests"], 3, "{s:#}");
    assert_eq!(s["requests"]["POST /v2/auth/token"]["answers_lost"], 1);
}

#[tokio::test]
async fn content_md5_is_checked_as_s3_does() {
    let (env, t) = paired("md5").await;
    let size = 2 * MIB + 3;
    let (id, url, data) = realtime_one_part(&env, &t.access, "md5.mov", size, 8).await;
    // Malformed: not base64, or not 16 bytes.
    for bad in ["not base64!", "AAAA", ""] {
        let r = put_with_md5(&env, &url, data.clone(), bad).await;
        assert_eq!(
            s3_code(r).await,
            (StatusCode::BAD_REQUEST, "InvalidDigest".into()),
            "{bad:?}"
        );
    }
    // Well-formed but not the body's: refused, nothing stored.
    let mut other = data.clone();
    other[size / 2] ^= 1;
    let r = put_with_md5(&env, &url, data.clone(), &md5_b64(&other)).await;
    assert_eq!(
        s3_code(r).await,
        (StatusCode::BAD_REQUEST, "BadDigest".into())
    );
    let rep = env.asset(&id).await;
    assert_eq!(rep["parts"]["1"]["received_count"], 0, "{rep:#}");
    assert_eq!(rep["stored_puts"], 0);
    // The right digest: stored.
    let r = put_with_md5(&env, &url, data.clone(), &md5_b64(&data)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rep = env.asset(&id).await;
    assert_eq!(rep["complete"], true);
    assert_eq!(rep["sha256"], sha256(&data));
}

#[tokio::test]
async fn an_asset_deleted_on_the_server_is_gone_for_the_device() {
    let (env, t) = paired("deleted").await;
    let id = env.create_realtime(&t.access, "del.mov").await;
    let path = format!("/v2/devices/assets/{id}/realtime_upload/parts");
    let url = first_upload_url(env.register_first_part(&t.access, &id).await).await;
    let data = bytes(5 * MIB, 2);
    assert_eq!(env.put_status(&url, data.clone()).await, StatusCode::OK);
    assert!(env.emu.data_dir.join("parts").join(&id).exists());

    let r = env.delete(&format!("/_emulator/assets/{id}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!env.emu.data_dir.join("parts").join(&id).exists());
    let r = env
        .post_auth(
            &path,
            &t.access,
            Some(json!({"parts": [{"number": 2, "size": 5, "is_final": true}], "asset_filesize": 5 * MIB + 5})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = env.put_part(&url, "video/mp4", data).await.unwrap();
    assert_eq!(s3_code(r).await, no_such_upload());
    let r = env.get(&format!("/_emulator/assets/{id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = env.delete(&format!("/_emulator/assets/{id}")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Creations are counted for the run, deleted assets included.
    assert_eq!(stats(&env).await["assets_created"], 1);
}
