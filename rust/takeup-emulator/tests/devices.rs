//! Identity, the connection-manager endpoints, heartbeat, rate limiting and the request log.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn identity_and_rename() {
    let (env, t) = paired("id-1").await;
    let me: Value = env.me(&t.access).await;
    assert_eq!(me["_type"], "project_device");
    assert_eq!(me["status"], "online");
    assert_eq!(me["last_known_firmware_version"], VERSION);
    assert_eq!(me["project"]["name"], "Testbed");
    assert_eq!(me["channels"][0]["external_index"], 0);
    assert_eq!(me["authorization"]["scopes"]["asset_create"], true);
    let project = me["project_id"].as_str().unwrap().to_string();

    // A paired device learns who authorized it from the authorization (it cannot read /v2/me).
    assert_eq!(me["authorization"]["creator"]["name"], "Dana Reyes");
    let app = env.sign_in("id-app", false).await;
    let user = env.get_json("/v2/me", &app.access).await;
    assert_eq!(user["name"], "Dana Reyes");
    assert_eq!(user["email"], "dana.reyes@example.com");
    let avatar = env
        .http
        .get(user["image_128"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(avatar.headers()["content-type"], "image/svg+xml");

    env.control_post(
        &format!("/_emulator/projects/{project}/rename"),
        json!({"name": "Testbed (renamed)"}),
    )
    .await;
    let me: Value = env.me(&t.access).await;
    assert_eq!(me["project_id"], project.as_str());
    assert_eq!(me["project"]["name"], "Testbed (renamed)");
}

#[tokio::test]
async fn accounts_projects_connect_disconnect() {
    let env = start().await;
    // The connection manager is the application flow's (an app install starts unconnected).
    let t = env.sign_in("cm-1", false).await;
    let me = env.me(&t.access).await;
    assert!(me["project_id"].is_null());
    assert!(me["project"].is_null());
    // Not connected: no uploads.
    let r = env
        .create_asset(&t.access, file_body("a.mov", "video/quicktime", 1))
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let accounts: Value = env.get_json("/v2/devices/accounts", &t.access).await;
    let accounts = accounts.as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["_type"], "account");
    let account = accounts[1]["id"].as_str().unwrap();
    let projects: Value = env
        .get_json(
            &format!("/v2/devices/accounts/{account}/projects"),
            &t.access,
        )
        .await;
    assert_eq!(projects[0]["_type"], "project");
    let project = projects[1]["id"].as_str().unwrap();
    assert_eq!(projects[1]["name"], "ADR Sessions");

    let r = env.connect(&t.access, project).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let me: Value = env.me(&t.access).await;
    assert_eq!(me["project"]["name"], "ADR Sessions");

    // Bad and unknown ids.
    let connect = |id: String| format!("/v2/devices/connect?project_id={id}");
    let r = env
        .post_auth(&connect("nope".into()), &t.access, None)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let unknown = connect(uuid::Uuid::new_v4().to_string());
    let r = env.post_auth(&unknown, &t.access, None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = env
        .get_auth(
            &format!("/v2/devices/accounts/{}/projects", uuid::Uuid::new_v4()),
            &t.access,
        )
        .await;
    assert_eq!(
        detailed_title(r).await,
        (StatusCode::NOT_FOUND, "Not Found".into())
    );

    let r = env
        .post_auth("/v2/devices/disconnect", &t.access, None)
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let me: Value = env.me(&t.access).await;
    assert!(me["project"].is_null());

    // No C2C-enabled accounts: an empty list, and projects of a disabled account are forbidden.
    env.control_post("/_emulator/accounts/c2c", json!({"enabled": false}))
        .await;
    let accounts: Value = env.get_json("/v2/devices/accounts", &t.access).await;
    assert_eq!(accounts, json!([]));
    let r = env
        .get_auth(
            &format!("/v2/devices/accounts/{account}/projects"),
            &t.access,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn heartbeat_and_missing_auth() {
    let (env, t) = paired("hb-1").await;
    let r = env
        .post_auth("/v2/devices/heartbeat", &t.access, None)
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = send(env.http.post(env.url("/v2/devices/heartbeat"))).await;
    assert_eq!(
        detailed_title(r).await,
        (StatusCode::UNAUTHORIZED, "Not Authorized".into())
    );
    let r = env.get_auth("/v2/devices/me", "garbage").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let devices = env.control_get("/_emulator/devices").await;
    assert_eq!(devices[0]["status"], "online");
    assert_eq!(devices[0]["firmware_version"], VERSION);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let env = start().await;
    env.settings(json!({"rate_limit_per_sec": 0.5, "rate_limit_burst": 3}))
        .await;
    let t = env.pair("rl-1").await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = env.get_auth("/v2/devices/me", &t.access).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(r.headers()["retry-after"], "1");
            let (_, title) = detailed_title(r).await;
            assert_eq!(title, "Too Many Requests");
            statuses.push(429);
        } else {
            statuses.push(r.status().as_u16());
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
    env.settings(json!({"rate_limit_per_sec": null})).await;
    assert_eq!(env.me_status(&t.access).await, StatusCode::OK);
}

#[tokio::test]
async fn the_request_log_records_client_versions() {
    let (env, t) = paired("log-1").await;
    env.http
        .get(env.url("/v2/devices/me"))
        .bearer_auth(&t.access)
        .send()
        .await
        .unwrap();
    let bad = env
        .http
        .get(env.url("/v2/devices/me"))
        .bearer_auth(&t.access)
        .header("x-client-version", "1.x")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let log = env.requests().await;
    let paths: Vec<&str> = log.iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert_eq!(
        paths,
        [
            "/v2/auth/device/code",
            "/v2/auth/token",
            "/v2/devices/me",
            "/v2/devices/me"
        ]
    );
    assert_eq!(log[0]["client_version"], VERSION);
    assert_eq!(log[1]["client_version"], VERSION);
    assert!(log[2]["client_version"].is_null());
    assert_eq!(log[2]["authorization"], true);
    assert_eq!(log[3]["status"], 400);
    let since = log[1]["seq"].as_u64().unwrap();
    let later = env
        .control_get(&format!("/_emulator/requests?since={since}"))
        .await;
    assert_eq!(later.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn unknown_endpoints_are_404() {
    let env = start().await;
    let r = env.get("/v2/nothing-here").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn scopes_are_strict_by_default_refusal_status_is_a_setting_and_lenient_lets_all_through() {
    let env = start().await;
    let device = env.pair("scope-hw").await;
    let app = env.sign_in("scope-app", true).await;
    let manager = [
        ("GET", "/v2/me".to_string()),
        ("GET", "/v2/devices/accounts".to_string()),
        ("POST", "/v2/devices/disconnect".to_string()),
    ];
    async fn call(env: &Env, method: &str, path: &str, token: &str) -> StatusCode {
        match method {
            "GET" => env.get_auth(path, token).await.status(),
            _ => env.post_auth(path, token, None).await.status(),
        }
    }
    // Strict (default), refused with 401 (default), and the token stays valid.
    for (m, p) in &manager {
        let r = if *m == "GET" {
            env.get_auth(p, &device.access).await
        } else {
            env.post_auth(p, &device.access, None).await
        };
        assert_eq!(
            detailed_title(r).await,
            (StatusCode::UNAUTHORIZED, "Not Authorized".into()),
            "{p}"
        );
    }
    for path in ["/v2/devices/me"] {
        assert_eq!(
            call(&env, "GET", path, &device.access).await,
            StatusCode::OK
        );
        assert_eq!(call(&env, "GET", path, &app.access).await, StatusCode::OK);
    }
    assert_eq!(
        call(&env, "POST", "/v2/devices/heartbeat", &device.access).await,
        StatusCode::NO_CONTENT
    );
    let asset = json!({"name": "a.mov", "filetype": "video/quicktime", "filesize": 10});
    assert_eq!(
        env.create_asset(&device.access, asset.clone())
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        env.create_asset(&app.access, asset).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        call(&env, "GET", "/v2/me", &app.access).await,
        StatusCode::OK
    );
    assert_eq!(
        call(&env, "GET", "/v2/devices/accounts", &app.access).await,
        StatusCode::OK
    );
    // 403 when told so.
    env.settings(json!({"scope_refusal_status": 403})).await;
    let r = env.get_auth("/v2/me", &device.access).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = env
        .post_json("/_emulator/settings", &json!({"scope_refusal_status": 500}))
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // Lenient: a device token reaches everything.
    env.settings(json!({"strict_scopes": false})).await;
    for (m, p) in &manager {
        let s = call(&env, m, p, &device.access).await;
        assert!(s.is_success(), "{p}: {s}");
    }
}
