//! Pairing, polling outcomes, refresh with rotation, revoke, forget: over real HTTPS.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn untrusted_clients_and_plain_http_are_refused() {
    let env = start().await;
    install_provider();
    let stranger = reqwest::Client::builder().build().unwrap();
    assert!(stranger.get(env.url("/health")).send().await.is_err());
    let plain = env.emu.base_url.replace("https://", "http://");
    let r = stranger.get(format!("{plain}/health")).send().await;
    assert!(r.is_err() || !r.unwrap().status().is_success());
    let ok: Value = env.get("/health").await.json().await.unwrap();
    assert_eq!(ok, json!({"ok": true}));
    let ok2 = env.get("/v2/health").await;
    assert_eq!(ok2.status(), StatusCode::OK);
    // The CA was written where a client can point SSL_CERT_FILE.
    assert_eq!(
        std::fs::read_to_string(&env.emu.ca_path).unwrap(),
        env.emu.ca_pem
    );
}

#[tokio::test]
async fn device_code_with_and_without_qr_pairing() {
    let env = start().await;
    let r = env.device_code("unit-1", true).await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    let user_code = v["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 6);
    assert!(user_code.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(v["expires_in"], 120);
    assert_eq!(v["interval"], 1);
    assert!(v["device_code"].as_str().unwrap().len() >= 32);
    assert!(v["name"].as_str().unwrap().starts_with("Takeup-"));
    assert_eq!(v["verification_uri"], format!("{}/pair", env.emu.base_url));
    assert_eq!(
        v["verification_uri_complete"],
        format!("{}/pair?code={user_code}", env.emu.base_url)
    );

    let v: Value = env.code("unit-1", false).await;
    assert!(v.get("verification_uri").is_none());
    assert!(v.get("verification_uri_complete").is_none());

    // The account flag off: no URI fields even with the header.
    env.settings(json!({"qr_pairing_enabled": false})).await;
    let v: Value = env.code("unit-1", true).await;
    assert!(v.get("verification_uri_complete").is_none());
}

#[tokio::test]
async fn auth_endpoints_take_forms_only_and_check_the_client() {
    let env = start().await;
    let json_body = env
        .post_json(
            "/v2/auth/device/code",
            &json!({"client_id": "x", "client_secret": SECRET, "scope": "asset_create offline"}),
        )
        .await;
    assert_eq!(
        error_code(json_body).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );

    // Multipart forms work as the docs' examples use them.
    let form = reqwest::multipart::Form::new()
        .text("client_id", "unit-2")
        .text("client_secret", SECRET)
        .text("scope", "asset_create offline");
    let r = env
        .http
        .post(env.url("/v2/auth/device/code"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let wrong = env
        .post_form(
            "/v2/auth/device/code",
            &[
                ("client_id", "unit-2"),
                ("client_secret", "nope"),
                ("scope", "asset_create offline"),
            ],
        )
        .await;
    assert_eq!(
        error_code(wrong).await,
        (StatusCode::BAD_REQUEST, "invalid_client".into())
    );

    let missing = env
        .post_form("/v2/auth/device/code", &[("client_secret", SECRET)])
        .await;
    assert_eq!(
        error_code(missing).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );

    let req = env.http.post(env.url("/v2/auth/device/code"));
    let req = req.header("x-client-version", "not-a-version");
    let bad_version = send(req.form(&[("client_id", "unit-2"), ("client_secret", SECRET)])).await;
    assert_eq!(
        error_code(bad_version).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );

    let bad_grant = env
        .post_form(
            "/v2/auth/token",
            &[
                ("client_id", "unit-2"),
                ("client_secret", SECRET),
                ("grant_type", "password"),
            ],
        )
        .await;
    assert_eq!(error_code(bad_grant).await.0, StatusCode::BAD_REQUEST);

    let poll_wrong_secret = env
        .post_form(
            "/v2/auth/token",
            &[
                ("client_id", "unit-2"),
                ("client_secret", "nope"),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", "whatever"),
            ],
        )
        .await;
    assert_eq!(error_code(poll_wrong_secret).await.1, "invalid_client");
}

#[tokio::test]
async fn polling_outcomes_pending_slow_down_approval() {
    let env = start().await;
    let code: Value = env.code("unit-3", true).await;
    let dc = code["device_code"].as_str().unwrap();
    assert_eq!(
        error_code(env.poll("unit-3", dc).await).await.1,
        "authorization_pending"
    );
    // Polling again at once is too fast.
    assert_eq!(
        error_code(env.poll("unit-3", dc).await).await.1,
        "slow_down"
    );
    // The interval grew by 5 s: polling after the old 1 s interval is still too fast.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        error_code(env.poll("unit-3", dc).await).await.1,
        "slow_down"
    );
    let pending = env.control_get("/_emulator/pending").await;
    assert_eq!(pending[0]["interval"], 11);

    // Unknown code and a code used by another client id.
    assert_eq!(
        error_code(env.poll("unit-3", "unknown").await).await.1,
        "invalid_grant"
    );
    assert_eq!(
        error_code(env.poll("unit-other", dc).await).await.1,
        "invalid_grant"
    );

    // Approval through the control API, then the poll answers tokens.
    let code2: Value = env.code("unit-4", true).await;
    let approved = env
        .control_post(
            "/_emulator/approve",
            json!({"user_code": code2["user_code"]}),
        )
        .await;
    assert_eq!(approved["client_id"], "unit-4");
    let r = env
        .poll("unit-4", code2["device_code"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 28_800);
    assert!(
        t["refresh_token"]
            .as_str()
            .unwrap()
            .parse::<uuid::Uuid>()
            .is_ok()
    );
    // A consumed code is gone.
    let again = env
        .poll("unit-4", code2["device_code"].as_str().unwrap())
        .await;
    assert_eq!(error_code(again).await.1, "invalid_grant");
    // Unknown user code in the control API is a 404.
    let r = env
        .post_json("/_emulator/approve", &json!({"user_code": "000000x"}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn codes_expire() {
    let env = start().await;
    env.settings(json!({"code_ttl_secs": 1})).await;
    let code: Value = env.code("unit-5", true).await;
    assert_eq!(code["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = env
        .poll("unit-5", code["device_code"].as_str().unwrap())
        .await;
    assert_eq!(error_code(r).await.1, "expired_token");
    // Approving an expired code is refused too.
    let r = env
        .post_json(
            "/_emulator/approve",
            &json!({"user_code": code["user_code"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::GONE);
}

#[tokio::test]
async fn refresh_rotates_and_rejects_the_old_pair() {
    let (env, t) = paired("unit-6").await;
    let r = env.refresh("unit-6", &t.refresh).await;
    assert_eq!(r.status(), StatusCode::OK);
    let n: Value = r.json().await.unwrap();
    let new_access = n["access_token"].as_str().unwrap();
    assert_ne!(new_access, t.access);
    assert_ne!(n["refresh_token"].as_str().unwrap(), t.refresh);
    // The old access token is dead, the new one works.
    assert_eq!(env.me_status(&t.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(env.me_status(new_access).await, StatusCode::OK);
    // Re-using the spent refresh token: invalid_request.
    let reuse = env.refresh("unit-6", &t.refresh).await;
    assert_eq!(
        error_code(reuse).await,
        (StatusCode::BAD_REQUEST, "invalid_request".into())
    );
    // Unknown refresh token, and one presented by another client id.
    assert_eq!(
        error_code(env.refresh("unit-6", "nope").await).await.1,
        "invalid_grant"
    );
    let other = env
        .refresh("unit-x", n["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(error_code(other).await.1, "invalid_grant");
}

#[tokio::test]
async fn previous_refresh_token_grace_is_a_knob() {
    let env = start().await;
    env.settings(json!({"previous_refresh_grace_secs": 60}))
        .await;
    let t = env.pair("unit-7").await;
    assert_eq!(
        env.refresh_status("unit-7", &t.refresh).await,
        StatusCode::OK
    );
    // The response was "lost": the previous token is accepted once within the grace period...
    assert_eq!(
        env.refresh_status("unit-7", &t.refresh).await,
        StatusCode::OK
    );
    // ...and only once.
    assert_eq!(
        error_code(env.refresh("unit-7", &t.refresh).await).await.1,
        "invalid_request"
    );
}

#[tokio::test]
async fn access_tokens_expire_with_the_configured_lifetime() {
    let env = start().await;
    env.settings(json!({"access_token_ttl_secs": 1})).await;
    let t = env.pair("unit-8").await;
    assert_eq!(env.me_status(&t.access).await, StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = env.get_auth("/v2/devices/me", &t.access).await;
    assert_eq!(
        detailed_title(r).await,
        (StatusCode::UNAUTHORIZED, "Not Authorized".into())
    );
    let r = env.refresh("unit-8", &t.refresh).await;
    let n: Value = r.json().await.unwrap();
    assert_eq!(n["expires_in"], 1);
}

#[tokio::test]
async fn revoke_kills_the_pair() {
    let (env, t) = paired("unit-9").await;
    let r = env
        .post_form(
            "/v2/auth/revoke",
            &[
                ("client_id", "unit-9"),
                ("client_secret", SECRET),
                ("token", &t.refresh),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"success": true}));
    assert_eq!(env.me_status(&t.access).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        env.refresh_status("unit-9", &t.refresh).await,
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_forgotten_device_gets_401_everywhere() {
    let (env, t) = paired("unit-10").await;
    env.control_post("/_emulator/device/forget", json!({"client_id": "unit-10"}))
        .await;
    for path in ["/v2/devices/me", "/v2/me", "/v2/devices/accounts"] {
        assert_eq!(
            env.get_auth(path, &t.access).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for path in ["/v2/devices/heartbeat", "/v2/devices/disconnect"] {
        assert_eq!(
            env.post_auth(path, &t.access, None).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    let r = env
        .create_asset(&t.access, file_body("a.mov", "video/quicktime", 10))
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // Refresh answers 401: credentials revoked.
    let r = env.refresh("unit-10", &t.refresh).await;
    assert_eq!(
        detailed_title(r).await,
        (StatusCode::UNAUTHORIZED, "Not Authorized".into())
    );
    // Pairing again works and the device comes back.
    let t2 = env.pair("unit-10").await;
    assert_eq!(env.me_status(&t2.access).await, StatusCode::OK);
}

#[tokio::test]
async fn the_pairing_page_approves_a_code() {
    let env = start().await;
    let code: Value = env.code("unit-11", true).await;
    let uc = code["user_code"].as_str().unwrap();
    let page = page_text(
        &env.http,
        code["verification_uri_complete"].as_str().unwrap(),
    )
    .await;
    assert!(page.contains(&format!("value=\"{uc}\"")));
    assert!(page.contains("Testbed"));
    let world = env.control_get("/_emulator/world").await;
    let project = world["accounts"][0]["projects"][2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = env
        .post_form("/pair", &[("user_code", uc), ("project_id", &project)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("now connected"));
    let t = env
        .poll("unit-11", code["device_code"].as_str().unwrap())
        .await;
    let t: Value = t.json().await.unwrap();
    let me: Value = env
        .get_json("/v2/devices/me", t["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["project_id"], project.as_str());
    // A wrong code on the page is refused with a message.
    let r = env
        .post_form(
            "/pair",
            &[("user_code", "999999"), ("project_id", &project)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
