//! Asset creation, presigned part PUTs and their verification, real-time parts, pause/offset and
//! poisoned media.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

async fn standard(env: &Env, access: &str, name: &str, size: usize, extra: Value) -> Value {
    let mut body = file_body(name, "video/mp4", size);
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = env.create_asset(access, body).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

fn urls(asset: &Value) -> Vec<String> {
    asset["upload_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_standard_upload_is_assembled_and_hashed() {
    let (env, t) = paired("up-1").await;
    // The API reference's example: 21,136,250 bytes -> 2 parts of 10,568,125.
    let size = 21_136_250;
    let data = bytes(size, 7);
    let asset = standard(&env, &t.access, "A001_C002.mp4", size, json!({})).await;
    assert_eq!(asset["_type"], "file");
    assert_eq!(asset["status"], "created");
    assert_eq!(asset["filesize"], size);
    let urls = urls(&asset);
    assert_eq!(urls.len(), 2);
    assert!(urls[0].starts_with(&format!("{}/parts/", env.emu.s3_base_url)));
    assert!(urls[0].contains("X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-acl"));
    assert!(urls[0].contains("X-Amz-Expires=86400"));
    assert!(urls[0].contains("x-amz-meta-part_count=2"));
    let chunk = 10_568_125;
    // Out of order.
    for (i, url) in urls.iter().enumerate().rev() {
        let part = data[i * chunk..((i + 1) * chunk).min(size)].to_vec();
        let r = env.put_part(url, "video/mp4", part).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert!(r.headers().contains_key("etag"));
    }
    let id = asset["id"].as_str().unwrap();
    let partial = env.asset(id).await;
    assert_eq!(partial["complete"], true);
    assert_eq!(partial["sha256"], sha256(&data));
    assert_eq!(partial["received_bytes"], size);
    // Complete: the multipart upload is gone, a part sent again finds none (as on S3).
    let r = env
        .put_part(&urls[1], "video/mp4", data[chunk..].to_vec())
        .await
        .unwrap();
    assert_eq!(s3_code(r).await, no_such_upload());
    let rep = env.asset(id).await;
    assert_eq!(rep["parts"]["1"]["received_count"], 1);
    assert_eq!(rep["parts"]["2"]["received_count"], 1);
    assert_eq!(rep["stored_puts"], 2);
    assert_eq!(rep["sha256"], sha256(&data));
    // The legacy alias creates assets too, and form bodies are accepted for standard assets.
    let form = [
        ("name", "b.wav"),
        ("filetype", "audio/wav"),
        ("filesize", "3"),
    ];
    let r = env.post_form_auth("/v2/assets", &t.access, &form).await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn empty_files_are_refused_tiny_ones_are_one_part_and_requested_part_counts() {
    let (env, t) = paired("up-2").await;
    // Emulator reading: 0 bytes is refused like a real-time asset_filesize of 0 (§7: 1 … 5 TiB).
    let r = env
        .create_asset(&t.access, file_body("empty.txt", "text/plain", 0))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("at least 1 byte"),
        "{v}"
    );
    let asset = standard(&env, &t.access, "one.txt", 1, json!({})).await;
    let u = urls(&asset);
    assert_eq!(u.len(), 1);
    assert_eq!(
        env.put_part(&u[0], "video/mp4", vec![7])
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let rep = env.asset(asset["id"].as_str().unwrap()).await;
    assert_eq!(rep["sha256"], sha256(&[7]));

    let asset = standard(&env, &t.access, "two.mov", 12 * MIB, json!({"parts": 2})).await;
    assert_eq!(urls(&asset).len(), 2);
    let r = env
        .create_asset(
            &t.access,
            json!({"name": "x.mov", "filetype": "video/mp4", "filesize": 6 * MIB, "parts": 2}),
        )
        .await;
    assert_eq!(
        detailed_title(r).await,
        (StatusCode::BAD_REQUEST, "Bad Request".into())
    );
}

#[tokio::test]
async fn asset_validation_errors_are_detailed_400s() {
    let (env, t) = paired("up-3").await;
    let cases = [
        json!({"name": "a.mov", "filesize": 1}),
        json!({"name": "a.mov", "filetype": "not a mime", "filesize": 1}),
        json!({"name": "a.mov", "filetype": "video/mp4"}),
        json!({"name": "a.mov", "filetype": "video/mp4", "filesize": -1}),
        json!({"name": "a.mov", "filetype": "video/mp4", "filesize": "12"}),
        json!({"filetype": "video/mp4", "filesize": 1}),
        json!({"name": "a.mov", "filetype": "video/mp4", "filesize": 6_000_000_000_000u64}),
        json!({"name": "a.mov", "filetype": "video/mp4", "filesize": 1, "channel": 101}),
        json!({"name": "a.mov", "filetype": "video/mp4", "is_realtime_upload": true, "filesize": 1}),
        json!({"name": "noext", "filetype": "video/mp4", "is_realtime_upload": true}),
        json!({"name": "a.mov", "filetype": "video/mp4", "filesize": 0}),
        json!([1, 2]),
    ];
    for body in cases {
        let r = env.create_asset(&t.access, body.clone()).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], 400, "{body}");
        assert!(v["errors"][0]["detail"].as_str().unwrap().len() > 3);
    }
    let r = env
        .http
        .post(env.url("/v2/devices/assets"))
        .bearer_auth(&t.access)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Real-time assets take JSON only.
    let form = [
        ("name", "a.mp4"),
        ("filetype", "video/mp4"),
        ("is_realtime_upload", "true"),
    ];
    let r = env
        .post_form_auth("/v2/devices/assets", &t.access, &form)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn part_puts_are_verified_like_s3() {
    let (env, t) = paired("up-4").await;
    let asset = standard(&env, &t.access, "v.mp4", 1000, json!({})).await;
    let url = urls(&asset).remove(0);
    let data = bytes(1000, 3);

    let mismatch = (StatusCode::FORBIDDEN, "SignatureDoesNotMatch".to_string());
    let invalid = (StatusCode::BAD_REQUEST, "InvalidArgument".to_string());
    // Wrong Content-Type: the signature does not match.
    let r = env.put_part(&url, "video/quicktime", data.clone()).await;
    assert_eq!(s3_code(r.unwrap()).await, mismatch);
    // Missing x-amz-acl.
    let r = send(
        env.http
            .put(&url)
            .header("content-type", "video/mp4")
            .body(data.clone()),
    )
    .await;
    assert_eq!(s3_code(r).await, mismatch);
    // Tampered signature.
    let tampered = format!("{}0", &url[..url.len() - 1]);
    let tampered = if tampered == url {
        format!("{}1", &url[..url.len() - 1])
    } else {
        tampered
    };
    let r = env.put_part(&tampered, "video/mp4", data.clone()).await;
    assert_eq!(s3_code(r.unwrap()).await.1, "SignatureDoesNotMatch");
    // No signature at all.
    let bare = url.split('?').next().unwrap();
    let r = env.put_part(bare, "video/mp4", data.clone()).await.unwrap();
    assert_eq!(
        s3_code(r).await,
        (StatusCode::FORBIDDEN, "AccessDenied".into())
    );
    // An Authorization header is one auth mechanism too many.
    let r = send(
        env.part_request(&url, "video/mp4", data.clone())
            .bearer_auth(&t.access),
    )
    .await;
    assert_eq!(s3_code(r).await, invalid);
    // Wrong length.
    let r = env.put_part(&url, "video/mp4", data[..999].to_vec()).await;
    assert_eq!(s3_code(r.unwrap()).await, invalid);
    // Nothing was stored by any of these.
    let rep = env.asset(asset["id"].as_str().unwrap()).await;
    assert_eq!(rep["stored_puts"], 0);
    // The right request works.
    assert_eq!(env.put_status(&url, data.clone()).await, StatusCode::OK);
    let rep = env.asset(asset["id"].as_str().unwrap()).await;
    assert_eq!(rep["sha256"], sha256(&data));
    // An unknown asset in a validly signed URL cannot be made without the key; an unknown path is 404.
    let r = env
        .http
        .put(format!("{}/nothing", env.emu.s3_base_url))
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(s3_code(r).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn part_urls_expire() {
    let env = start().await;
    env.settings(json!({"url_ttl_secs": 1})).await;
    let t = env.pair("up-5").await;
    let asset = standard(&env, &t.access, "v.mp4", 10, json!({})).await;
    let url = urls(&asset).remove(0);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = env.put_part(&url, "video/mp4", bytes(10, 1)).await.unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("<Code>AccessDenied</Code>") && body.contains("Request has expired"));
}

#[tokio::test]
async fn real_time_upload_of_a_growing_file() {
    let (env, t) = paired("rt-1").await;
    let r = env
        .create_asset(
            &t.access,
            json!({"filetype": "video/mp4", "is_realtime_upload": true, "extension": ".mp4", "offset": 0, "channel": 0}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let asset: Value = r.json().await.unwrap();
    assert_eq!(asset["name"], "[new file].mp4");
    assert!(asset.get("upload_urls").is_none());
    let id = asset["id"].as_str().unwrap();
    let parts_path = format!("/v2/devices/assets/{id}/realtime_upload/parts");
    let data = bytes(5 * MIB + 5 * MIB + 123, 9);

    let r = env.register_first_part(&t.access, id).await;
    assert_eq!(r.status(), StatusCode::OK);
    let u1 = r.json::<Value>().await.unwrap()["upload_urls"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        env.put_part(&u1, "video/mp4", data[..5 * MIB].to_vec())
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(env.asset(id).await["complete"], false);

    // Rule violations.
    for body in [
        json!({"parts": [{"number": 2, "size": 100, "is_final": false}]}),
        json!({"parts": [{"number": 2, "size": 100, "is_final": true}]}),
        json!({"parts": [{"number": 0, "size": 5 * MIB}]}),
        json!({"parts": [{"number": 10001, "size": 5 * MIB}]}),
        json!({"parts": [{"number": 2, "size": 5 * MIB + 123, "is_final": true}, {"number": 3, "size": 1, "is_final": true}], "asset_filesize": 1}),
        json!({"parts": []}),
        json!({"parts": [{"number": 2, "size": 5 * MIB, "bogus": 1}]}),
    ] {
        let r = env
            .post_auth(&parts_path, &t.access, Some(body.clone()))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }

    // Parts 2 and 3 in one request, 3 final, with the true size and the real name.
    let r = env
        .post_auth(
            &parts_path,
            &t.access,
            Some(json!({
                "parts": [
                    {"number": 2, "size": 5 * MIB, "is_final": false},
                    {"number": 3, "size": 123, "is_final": true}
                ],
                "asset_filesize": data.len(),
                "asset_name": "A001_C003.mp4"
            })),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let urls: Vec<String> = r.json::<Value>().await.unwrap()["upload_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 2);
    // Asking again for a registered part gives a fresh URL that works.
    let r = env
        .post_auth(&parts_path, &t.access, Some(json!({"parts": [{"number": 3, "size": 123, "is_final": true}], "asset_filesize": data.len()})))
        .await;
    let fresh = r.json::<Value>().await.unwrap()["upload_urls"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        env.put_part(&fresh, "video/mp4", data[10 * MIB..].to_vec())
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        env.put_part(&urls[0], "video/mp4", data[5 * MIB..10 * MIB].to_vec())
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let rep = env.asset(id).await;
    assert_eq!(rep["complete"], true);
    assert_eq!(rep["name"], "A001_C003.mp4");
    assert_eq!(rep["sha256"], sha256(&data));
    assert_eq!(rep["realtime"], true);

    // Unknown or non-real-time assets are 404.
    let r = env
        .post_auth(
            &format!(
                "/v2/devices/assets/{}/realtime_upload/parts",
                uuid::Uuid::new_v4()
            ),
            &t.access,
            Some(json!({"parts": [{"number": 1, "size": 5 * MIB}]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let std_asset = standard(&env, &t.access, "s.mp4", 10, json!({})).await;
    let r = env
        .post_auth(
            &format!(
                "/v2/devices/assets/{}/realtime_upload/parts",
                std_asset["id"].as_str().unwrap()
            ),
            &t.access,
            Some(json!({"parts": [{"number": 1, "size": 5 * MIB}]})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pause_and_offset_decide_what_may_upload() {
    let (env, t) = paired("pz-1").await;
    // Media from 10 minutes ago, before any pause: fine.
    standard(&env, &t.access, "before.mov", 5, json!({"offset": 600})).await;
    env.control_post("/_emulator/device/pause", json!({})).await;
    let me: Value = env.me(&t.access).await;
    assert_eq!(me["status"], "paused");
    // Media made now, while paused: 409 Channel Paused.
    let r = env
        .create_asset(
            &t.access,
            json!({"name": "during.mov", "filetype": "video/mp4", "filesize": 5, "offset": 0}),
        )
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], 409);
    assert_eq!(v["message"], "Channel Paused");
    assert_eq!(
        v["errors"][0]["detail"],
        "The channel you're uploading from is currently paused."
    );
    // Media made before the pause still uploads while paused.
    standard(&env, &t.access, "older.mov", 5, json!({"offset": 300})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    env.control_post("/_emulator/device/resume", json!({}))
        .await;
    let me: Value = env.me(&t.access).await;
    assert_eq!(me["status"], "online");
    // After resume: new media uploads; media created during the pause window (1 s ago) does not,
    // and the sign of the offset does not matter (abs).
    standard(&env, &t.access, "after.mov", 5, json!({"offset": 0})).await;
    for offset in [1.0, -1.0] {
        let r = env
            .create_asset(&t.access, json!({"name": "late.mov", "filetype": "video/mp4", "filesize": 5, "offset": offset}))
            .await;
        assert_eq!(r.status(), StatusCode::CONFLICT, "offset {offset}");
    }
    let devices = env.control_get("/_emulator/devices").await;
    assert_eq!(devices[0]["pause_windows"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn poisoned_names_always_fail() {
    let (env, t) = paired("po-1").await;
    env.control_post("/_emulator/poison", json!({"name": "bad.mov"}))
        .await;
    env.control_post(
        "/_emulator/poison",
        json!({"name": "reject.mov", "mode": "reject_create"}),
    )
    .await;
    let asset = standard(&env, &t.access, "bad.mov", 10, json!({})).await;
    let url = urls(&asset).remove(0);
    for _ in 0..3 {
        let r = env.put_part(&url, "video/mp4", bytes(10, 0)).await.unwrap();
        assert_eq!(
            s3_code(r).await,
            (StatusCode::INTERNAL_SERVER_ERROR, "InternalError".into())
        );
    }
    let r = env
        .create_asset(&t.access, file_body("reject.mov", "video/mp4", 10))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Other names are unaffected.
    let ok = standard(&env, &t.access, "good.mov", 10, json!({})).await;
    assert_eq!(
        env.put_status(&urls(&ok)[0], bytes(10, 0)).await,
        StatusCode::OK
    );
}

#[tokio::test]
async fn any_well_formed_mime_type_is_accepted_a_malformed_one_is_not() {
    let (env, t) = paired("mime-1").await;
    let created = async |body: Value| env.create_asset(&t.access, body).await.status();
    for ok in [
        "application/octet-stream",
        "video/x-takeup-unknown",
        "image/x-fujifilm-raf",
        "audio/vnd.wave",
    ] {
        let status = created(file_body("a.bin", ok, 10)).await;
        assert_eq!(status, StatusCode::OK, "{ok}");
        let realtime = json!({"name": "a.bin", "filetype": ok, "is_realtime_upload": true});
        assert_eq!(created(realtime).await, StatusCode::OK, "{ok} (real-time)");
    }
    for bad in [
        "",
        "video",
        "video/",
        "/mp4",
        "video/mp4; codecs=avc1",
        "foo/bar",
        "video/mp 4",
        "-video/mp4",
    ] {
        let status = created(file_body("a.mov", bad, 10)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
}

#[tokio::test]
async fn names_without_an_extension() {
    let (env, t) = paired("ext-1").await;
    let create = |body: Value| env.create_asset(&t.access, body);
    // A standard asset needs no extension.
    let r = create(json!({"name": "CLIP", "filetype": "application/octet-stream", "filesize": 3}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "CLIP");
    // A real-time one: the name needs an extension, or send only `extension`.
    for name in [
        "CLIP",
        "CLIP.",
        ".hidden",
        "a.b c",
        "clip.toolongextension1",
    ] {
        let r = create(json!({"name": name, "filetype": "video/mp4", "is_realtime_upload": true, "extension": ".mp4"})).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{name:?}");
    }
    let r = create(json!({"filetype": "application/octet-stream", "is_realtime_upload": true, "extension": ".bin"})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["name"], "[new file].bin");
    let id = v["id"].as_str().unwrap().to_string();
    for ext in ["bin", ".", ".b n", ".waytoolongextension"] {
        let r =
            create(json!({"filetype": "video/mp4", "is_realtime_upload": true, "extension": ext}))
                .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{ext:?}");
    }
    // `extension` belongs to real-time assets.
    let r = create(
        json!({"name": "a.mov", "filetype": "video/mp4", "filesize": 3, "extension": ".mov"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The final part's asset_name replaces the default name, with or without an extension.
    let r = env
        .post_auth(
            &format!("/v2/devices/assets/{id}/realtime_upload/parts"),
            &t.access,
            Some(json!({"parts": [{"number": 1, "size": 3, "is_final": true}], "asset_filesize": 3, "asset_name": "CLIP"})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let u: Value = r.json().await.unwrap();
    let url = u["upload_urls"][0].as_str().unwrap();
    assert_eq!(
        env.put_part(url, "application/octet-stream", vec![1, 2, 3])
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let rep = env.asset(&id).await;
    assert_eq!(rep["name"], "CLIP");
    assert_eq!(rep["complete"], true);
}

#[tokio::test]
async fn the_server_chooses_how_many_urls_a_standard_asset_gets() {
    let (env, t) = paired("n-1").await;
    env.settings(json!({"standard_part_bytes": 5 * MIB})).await;
    let asset = standard(&env, &t.access, "fifteen.mov", 15 * MIB, json!({})).await;
    assert_eq!(urls(&asset).len(), 3);
    let asset = standard(&env, &t.access, "twelve.mov", 12 * MIB, json!({})).await;
    assert_eq!(urls(&asset).len(), 2, "never a part under 5 MiB");
    let r = env
        .post_json("/_emulator/settings", &json!({"standard_part_bytes": 1024}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}
