//! A hostile or broken server: malformed and truncated JSON, wrong types, missing fields, huge
//! bodies, wrong or insecure upload URLs, redirects, 429s, slowloris stalls and an untrusted TLS
//! certificate. Each gets a typed error or a retry, nothing crashes, and the journal stays
//! consistent.

mod common;

use std::path::Path;
use std::time::Duration;

use common::*;
use serde_json::json;
use takeup_core::queue::Journal;
use takeup_core::queue::uploader::MIN_PART;
use takeup_core::{
    CancellationToken, ConnectionState, Engine, Error, NetworkErrorKind, QueueConfig, QueueStatus,
};

fn queue_config(env: &Env) -> QueueConfig {
    QueueConfig {
        max_attempts: 12,
        ..common::queue_config(env)
    }
}

async fn paired(env: &Env) -> Engine {
    let mut c = env.config();
    c.queue = queue_config(env);
    c.request_timeout = Duration::from_secs(3);
    let e = Engine::start(c, env.store.clone()).await.unwrap();
    env.pair(&e, true).await.unwrap();
    e
}

fn file(dir: &Path, name: &str, len: usize) -> (std::path::PathBuf, String) {
    media_file(dir, name, len, 0)
}

async fn wait(e: &Engine, what: &str, pred: impl Fn(&QueueStatus) -> bool) -> QueueStatus {
    wait_queue(e, 40, what, pred).await
}

fn journal_ok(env: &Env) {
    let j = Journal::open(&env.dir.path().join("state").join("journal.sqlite")).unwrap();
    j.check_invariants().unwrap();
}

#[tokio::test]
async fn an_untrusted_certificate_is_a_typed_tls_error() {
    let env = env().await;
    let mut c = env.config();
    c.extra_root_ca_pem = None;
    let e = Engine::start(c, env.store.clone()).await.unwrap();
    let err = e.pair(CancellationToken::new()).await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Network {
                kind: NetworkErrorKind::Tls
            }
        ),
        "{err:?}"
    );
    assert!(env.stored_tokens().is_none());
}

#[tokio::test]
async fn malformed_wrong_huge_and_redirected_api_answers_are_typed_errors() {
    let env = env().await;
    let e = paired(&env).await;
    let before = e.identity().unwrap();
    let cases = [
        json!({"kind": "respond", "status": 200, "body": "{\"_type\": \"project_device\", \"id\": "}),
        json!({"kind": "respond", "status": 200, "body": "<html>gateway</html>", "content_type": "text/html"}),
        json!({"kind": "respond", "status": 200, "body": "{\"project\": 5, \"name\": []}"}),
        json!({"kind": "respond", "status": 200, "body": "[]"}),
        json!({"kind": "respond", "status": 200, "body": "0123456789abcdef", "repeat": 200000}),
        json!({"kind": "redirect", "location": format!("{}/v2/devices/me", env.emu.base_url)}),
        json!({"kind": "respond", "status": 500, "body": "{\"code\": \"five hundred\"}"}),
    ];
    for action in cases {
        env.fault(
            json!({"target": "api", "path_contains": "/devices/me", "action": action.clone()}),
        )
        .await;
        let err = e.refresh_identity().await.unwrap_err();
        assert!(
            matches!(err, Error::UnexpectedResponse(_) | Error::Server { .. }),
            "{action}: {err:?}"
        );
        // Nothing changed: still connected, same cached identity.
        assert!(matches!(
            e.connection_state(),
            ConnectionState::Connected { .. }
        ));
        assert_eq!(e.identity().unwrap(), before);
    }
    // A 429 with a long Retry-After: typed at once, and nothing is sent while it lasts.
    env.fault(json!({"target": "api", "path_contains": "/heartbeat", "action": {"kind": "too_many_requests", "retry_after": 6}})).await;
    assert!(
        matches!(e.heartbeat().await.unwrap_err(), Error::RateLimited { retry_after: Some(d) } if d == Duration::from_secs(6))
    );
    let since = env.last_seq().await;
    let err = e.heartbeat().await.unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d) } if d > Duration::from_secs(4) && d <= Duration::from_secs(6)),
        "{err:?}"
    );
    assert!(
        env.requests(since).await.is_empty(),
        "no request while the pause lasts"
    );
    tokio::time::sleep(Duration::from_secs(6)).await;
    // Short pauses are absorbed: without Retry-After (1 s), and as an HTTP date 2 s after the
    // answer's Date (RFC 9110), whatever the local clock says.
    env.fault(json!({"target": "api", "path_contains": "/heartbeat", "action": {"kind": "too_many_requests"}})).await;
    let started = std::time::Instant::now();
    e.heartbeat().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(900));
    let date = httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_secs(3));
    env.fault(json!({"target": "api", "path_contains": "/heartbeat", "action": {"kind": "respond", "status": 429, "body": "{}", "headers": {"retry-after": date}}})).await;
    let started = std::time::Instant::now();
    e.heartbeat().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(1500),
        "{:?}",
        started.elapsed()
    );
    // A slowloris answer past the request timeout: a timeout, not a hang.
    env.fault(json!({"target": "api", "path_contains": "/devices/me", "action": {"kind": "stall_body", "status": 200, "body": "{\"id\": \"x\"}", "prefix_bytes": 2, "ms": 10000}})).await;
    let started = std::time::Instant::now();
    let err = e.refresh_identity().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Network {
                kind: NetworkErrorKind::Timeout
            }
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(8));
    e.refresh_identity().await.unwrap();
}

#[tokio::test]
async fn insecure_or_foreign_upload_urls_park_the_file_and_nothing_is_sent() {
    let env = env().await;
    let e = paired(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let (a, _) = file(dir.path(), "insecure.jpg", 1000);
    let (b, _) = file(dir.path(), "foreign.jpg", 1000);
    env.fault(json!({"target": "api", "method": "POST", "path_contains": "/devices/assets", "nth": 1, "action": {"kind": "respond", "status": 200,
        "body": "{\"id\": \"11111111-1111-1111-1111-111111111111\", \"upload_urls\": [\"http://s3.amazonaws.com/parts/x/1\"]}"}})).await;
    enqueue(&e, &a).await;
    let s = wait(&e, "insecure parked", |s| s.totals.failed == 1).await;
    assert_failed_with(&s, "non-HTTPS");
    env.post("/_emulator/faults", json!({"target": "api", "method": "POST", "path_contains": "/devices/assets", "nth": 1, "action": {"kind": "respond", "status": 200,
        "body": "{\"id\": \"22222222-2222-2222-2222-222222222222\", \"upload_urls\": [\"https://evil.example/parts/x/1\"]}"}})).await;
    enqueue(&e, &b).await;
    let s = wait(&e, "foreign parked", |s| s.totals.failed == 2).await;
    assert!(
        s.failed
            .iter()
            .any(|f| f.reason.as_deref().unwrap().contains("unexpected host"))
    );
    let puts = env
        .requests(0)
        .await
        .into_iter()
        .filter(|r| r["listener"] == "s3")
        .count();
    assert_eq!(puts, 0, "no byte went anywhere");
    journal_ok(&env);
}

#[tokio::test]
async fn broken_answers_during_uploads_are_retried_and_the_bytes_arrive() {
    let env = env().await;
    let e = paired(&env).await;
    // (The creation rules also count the registration requests: their paths contain
    // "/devices/assets" too. Seven broken answers in a row need more than the default budget.)
    let faults = [
        // Asset creation: truncated JSON, a wrong type, a missing id, a 429 without Retry-After,
        // a slowloris answer.
        json!({"target": "api", "method": "POST", "path_contains": "/devices/assets", "nth": 1, "action": {"kind": "respond", "status": 200, "body": "{\"id\": \"abc"}}),
        json!({"target": "api", "method": "POST", "path_contains": "/devices/assets", "nth": 2, "action": {"kind": "respond", "status": 200, "body": "{\"id\": 42}"}}),
        json!({"target": "api", "method": "POST", "path_contains": "/devices/assets", "nth": 3, "action": {"kind": "respond", "status": 200, "body": "{}"}}),
        json!({"target": "api", "method": "POST", "path_contains": "/devices/assets", "nth": 4, "action": {"kind": "too_many_requests"}}),
        json!({"target": "api", "method": "POST", "path_contains": "/devices/assets", "nth": 5, "action": {"kind": "stall_body", "status": 200, "body": "{}", "prefix_bytes": 1, "ms": 8000}}),
        // Part registration: the wrong number of URLs, then URLs that are not strings.
        json!({"target": "api", "path_contains": "/realtime_upload/parts", "nth": 1, "action": {"kind": "respond", "status": 200, "body": "{\"upload_urls\": [\"https://a/1\", \"https://a/2\", \"https://a/3\", \"https://a/4\", \"https://a/5\", \"https://a/6\", \"https://a/7\"]}"}}),
        json!({"target": "api", "path_contains": "/realtime_upload/parts", "nth": 2, "action": {"kind": "respond", "status": 200, "body": "{\"upload_urls\": [1, 2]}"}}),
        // A part PUT answered with garbage 200? No: S3 answers a redirect once (not followed).
    ];
    for f in faults {
        env.fault(f).await;
    }
    let dir = tempfile::tempdir().unwrap();
    let (p, sha) = file(dir.path(), "survivor.mov", 2 * MIN_PART as usize + 99);
    enqueue(&e, &p).await;
    wait(&e, "uploaded", |s| s.totals.done == 1).await;
    let list = env.assets_named("survivor.mov").await;
    assert_eq!(list.len(), 1, "faked creations made no asset; one real one");
    let one = env.asset_report(&list[0]).await;
    assert_eq!(one["sha256"], sha.as_str());
    journal_ok(&env);
}

#[tokio::test]
async fn a_redirected_part_upload_is_not_followed() {
    let env = env().await;
    let e = paired(&env).await;
    env.fault(json!({"target": "s3", "action": {"kind": "redirect", "location": "https://evil.example/steal", "status": 307}})).await;
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = file(dir.path(), "redirected.mov", 1000);
    enqueue(&e, &p).await;
    let s = wait(&e, "parked", |s| s.totals.failed == 1).await;
    assert_failed_with(&s, "307");
    // The user retries once the server behaves: it completes on the same asset.
    e.queue().retry(s.failed[0].id).await.unwrap();
    wait(&e, "done on retry", |s| s.totals.done == 1).await;
    journal_ok(&env);
}
