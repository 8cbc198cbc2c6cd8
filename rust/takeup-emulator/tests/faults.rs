//! Every fault kind, through real HTTPS, and the determinism of seeded faults.

mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn one_part_asset(env: &Env, access: &str, name: &str, size: usize) -> (String, String) {
    let r = env
        .create_asset(access, file_body(name, "video/mp4", size))
        .await;
    let v: Value = r.json().await.unwrap();
    (
        v["id"].as_str().unwrap().to_string(),
        v["upload_urls"][0].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn drop_after_bytes_cuts_the_connection_mid_body() {
    let (env, t) = paired("f-1").await;
    let size = 4 * 1024 * 1024;
    let (id, url) = one_part_asset(&env, &t.access, "drop.mov", size).await;
    env.fault(json!({"target": "s3", "action": {"kind": "drop_after_bytes", "bytes": 65536}}))
        .await;
    let data = bytes(size, 5);
    let r = env.put_part(&url, "video/mp4", data.clone()).await;
    assert!(
        r.is_err(),
        "the client must see a broken connection, got {r:?}"
    );
    assert_eq!(env.asset(&id).await["stored_puts"], 0);
    // The rule fired once; the retry goes through.
    assert_eq!(env.put_status(&url, data.clone()).await, StatusCode::OK);
    assert_eq!(env.asset(&id).await["sha256"], sha256(&data));
    // On the API, dropping after 0 bytes gives the client no answer at all.
    env.fault(json!({"target": "api", "path_contains": "/devices/me", "action": {"kind": "drop_after_bytes", "bytes": 0}})).await;
    assert!(
        env.http
            .get(env.url("/v2/devices/me"))
            .bearer_auth(&t.access)
            .send()
            .await
            .is_err()
    );
    let log = env.requests().await;
    assert!(log.iter().any(|e| e["fault"] == "drop_after_bytes(65536)"));
}

#[tokio::test]
async fn stats_count_every_s3_body_byte_received() {
    let (env, t) = paired("f-stats").await;
    let s3_bytes = |v: Value| v["s3_body_bytes"].as_u64().unwrap();
    assert_eq!(s3_bytes(env.control_get("/_emulator/stats").await), 0);
    let size = 1024 * 1024;
    let data = bytes(size, 9);
    let (id, url) = one_part_asset(&env, &t.access, "stats.mov", size).await;
    // A refused PUT (its body is read before the answer) counts, as what the client sent.
    env.fault(json!({"target": "s3", "action": {"kind": "internal_error"}}))
        .await;
    assert_eq!(
        env.put_status(&url, data.clone()).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(
        s3_bytes(env.control_get("/_emulator/stats").await),
        size as u64
    );
    // A PUT cut after 64 KiB counts what was read before the cut, not the whole part.
    env.fault(json!({"target": "s3", "action": {"kind": "drop_after_bytes", "bytes": 65536}}))
        .await;
    assert!(env.put_part(&url, "video/mp4", data.clone()).await.is_err());
    let after_cut = s3_bytes(env.control_get("/_emulator/stats").await);
    assert!(
        (size as u64 + 65536..2 * size as u64).contains(&after_cut),
        "{after_cut}"
    );
    // A stored PUT counts its body; API calls count nothing.
    assert_eq!(env.put_status(&url, data.clone()).await, StatusCode::OK);
    assert_eq!(env.asset(&id).await["stored_puts"], 1);
    assert_eq!(
        s3_bytes(env.control_get("/_emulator/stats").await),
        after_cut + size as u64
    );
}

#[tokio::test]
async fn stalls_hold_requests() {
    let (env, t) = paired("f-2").await;
    env.fault(json!({"target": "api", "action": {"kind": "stall", "ms": 400}}))
        .await;
    let start = Instant::now();
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(start.elapsed() >= Duration::from_millis(400));
    // A stalled part PUT runs into the client's timeout.
    let (_, url) = one_part_asset(&env, &t.access, "stall.mov", 10).await;
    env.fault(json!({"target": "s3", "action": {"kind": "stall", "ms": 5000}}))
        .await;
    let r = env
        .http
        .put(&url)
        .header("content-type", "video/mp4")
        .header("x-amz-acl", "private")
        .timeout(Duration::from_millis(300))
        .body(bytes(10, 0))
        .send()
        .await;
    assert!(r.unwrap_err().is_timeout());
}

#[tokio::test]
async fn s3_error_faults_have_s3_shapes() {
    let (env, t) = paired("f-3").await;
    let (id, url) = one_part_asset(&env, &t.access, "s3.mov", 100).await;
    let cases = [
        (json!({"kind": "internal_error"}), 500, "InternalError"),
        (json!({"kind": "slow_down"}), 503, "SlowDown"),
        (
            json!({"kind": "service_unavailable"}),
            503,
            "ServiceUnavailable",
        ),
        (json!({"kind": "request_timeout"}), 400, "RequestTimeout"),
        (json!({"kind": "expired_url"}), 403, "AccessDenied"),
        (
            json!({"kind": "status", "status": 502}),
            502,
            "InjectedFault",
        ),
    ];
    for (action, status, code) in cases {
        env.fault(json!({"target": "s3", "method": "put", "action": action}))
            .await;
        let r = env
            .put_part(&url, "video/mp4", bytes(100, 1))
            .await
            .unwrap();
        assert_eq!(
            s3_code(r).await,
            (StatusCode::from_u16(status).unwrap(), code.to_string())
        );
    }
    assert_eq!(env.asset(&id).await["stored_puts"], 0);
    assert_eq!(env.put_status(&url, bytes(100, 1)).await, StatusCode::OK);
}

#[tokio::test]
async fn api_error_faults_have_detailed_shapes() {
    let (env, t) = paired("f-4").await;
    let cases = [
        (json!({"kind": "internal_error"}), 500),
        (json!({"kind": "slow_down"}), 503),
        (json!({"kind": "service_unavailable"}), 503),
        (json!({"kind": "request_timeout"}), 504),
        (json!({"kind": "expired_token"}), 401),
        (json!({"kind": "status", "status": 502}), 502),
    ];
    for (action, status) in cases {
        env.fault(json!({"target": "api", "action": action})).await;
        let r = env.get_auth("/v2/devices/me", &t.access).await;
        assert_eq!(r.status().as_u16(), status);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["code"], status);
        assert_eq!(v["errors"][0]["status"], status);
    }
    env.fault(json!({"target": "api", "action": {"kind": "too_many_requests", "retry_after": 3}}))
        .await;
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "3");
    env.fault(json!({"target": "api", "action": {"kind": "too_many_requests"}}))
        .await;
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(!r.headers().contains_key("retry-after"));
    // The injected 401 did not really kill the token.
    assert_eq!(env.me_status(&t.access).await, StatusCode::OK);
    // Auth endpoints are their own target.
    env.fault(json!({"target": "auth", "action": {"kind": "service_unavailable"}}))
        .await;
    assert_eq!(
        env.refresh_status("f-4", &t.refresh).await,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(env.refresh_status("f-4", &t.refresh).await, StatusCode::OK);
}

#[tokio::test]
async fn nth_times_and_filters() {
    let (env, t) = paired("f-5").await;
    let (_, url) = one_part_asset(&env, &t.access, "nth.mov", 10).await;
    env.fault(json!({"target": "s3", "nth": 2, "times": 2, "action": {"kind": "internal_error"}}))
        .await;
    // A rule for another path never fires here.
    env.fault(json!({"target": "s3", "path_contains": "/parts/not-this", "action": {"kind": "slow_down"}})).await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(
            env.put_part(&url, "video/mp4", bytes(10, 2))
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    // The rule fires on the 2nd and 3rd PUT; the others reach the handler (which, once the
    // first PUT completed the one-part upload, answers 404 NoSuchUpload as S3 does).
    assert_eq!(statuses, [200, 500, 500, 404, 404]);
    let rules = env.control_get("/_emulator/faults").await;
    assert_eq!(rules[0]["seen"], 5);
    assert_eq!(rules[0]["fired"], 2);
    assert_eq!(rules[1]["seen"], 0);
    // The control API is never faulted, and rules can be cleared.
    env.fault(json!({"target": "any", "action": {"kind": "internal_error"}}))
        .await;
    let r = env.delete("/_emulator/faults").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(env.control_get("/_emulator/faults").await, json!([]));
    // Bad specs are refused.
    for spec in [
        json!({"target": "s3", "nth": 0, "action": {"kind": "internal_error"}}),
        json!({"target": "s3", "probability": 1.5, "action": {"kind": "internal_error"}}),
        json!({"target": "nowhere", "action": {"kind": "internal_error"}}),
        json!({"target": "s3", "action": {"kind": "explode"}}),
    ] {
        let r = env.post_json("/_emulator/faults", &spec).await;
        assert!(r.status().is_client_error(), "{spec}");
    }
}

async fn pattern(env: &Env, seed: u64) -> Vec<u16> {
    env.control_post("/_emulator/seed", json!({"seed": seed}))
        .await;
    env.delete("/_emulator/faults").await;
    env.fault(json!({"target": "api", "path_contains": "/health", "probability": 0.5, "action": {"kind": "internal_error"}})).await;
    let mut out = Vec::new();
    for _ in 0..32 {
        out.push(env.get("/v2/health").await.status().as_u16());
    }
    out
}

#[tokio::test]
async fn probabilistic_faults_replay_with_the_same_seed() {
    let env = start().await;
    let a = pattern(&env, 42).await;
    let b = pattern(&env, 42).await;
    let c = pattern(&env, 7).await;
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(a.contains(&500) && a.contains(&200));
}

#[tokio::test]
async fn hostile_answers_respond_redirect_and_stall_body() {
    let (env, t) = paired("f-6").await;
    env.fault(json!({"target": "api", "action": {"kind": "respond", "status": 200, "body": "{\"id\": 12, \"upload_urls\": \"nope\"", "headers": {"x-test": "1"}}})).await;
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-test"], "1");
    assert_eq!(
        r.text().await.unwrap(),
        "{\"id\": 12, \"upload_urls\": \"nope\""
    );

    env.fault(json!({"target": "api", "action": {"kind": "respond", "status": 200, "body": "0123456789", "repeat": 100000}})).await;
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(r.bytes().await.unwrap().len(), 1_000_000);

    env.fault(json!({"target": "api", "action": {"kind": "redirect", "location": "https://elsewhere.example/v2/devices/me", "status": 307}})).await;
    let no_follow = env.client_without_redirects();
    let r = no_follow
        .get(env.url("/v2/devices/me"))
        .bearer_auth(&t.access)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        r.headers()["location"],
        "https://elsewhere.example/v2/devices/me"
    );

    env.fault(json!({"target": "api", "action": {"kind": "stall_body", "status": 200, "body": "{\"ok\": true}", "prefix_bytes": 3, "ms": 600}})).await;
    let start = Instant::now();
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    let headers_at = start.elapsed();
    assert_eq!(r.text().await.unwrap(), "{\"ok\": true}");
    assert!(
        headers_at < Duration::from_millis(500),
        "headers come at once"
    );
    assert!(
        start.elapsed() >= Duration::from_millis(600),
        "the body stalls"
    );
}
