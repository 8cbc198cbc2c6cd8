//! The application flow (§3): the authorization page and its control call, the token endpoint
//! with PKCE, code rules, redirect URI rules, refresh rotation and revocation.

mod common;

use std::time::Duration;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn code_form<'a>(code: &'a str, device: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", LOOPBACK),
        ("client_id", APP),
        ("code_verifier", VERIFIER),
        ("device_id", device),
    ]
}

fn with<'a>(
    mut form: Vec<(&'a str, &'a str)>,
    key: &'a str,
    value: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    form.retain(|(k, _)| *k != key);
    if let Some(v) = value {
        form.push((key, v));
    }
    form
}

async fn fresh_code(env: &Env) -> String {
    let redirect = env.decide(&env.authorize_url(&[]), false).await;
    assert!(redirect.starts_with(LOOPBACK), "{redirect}");
    assert_eq!(query(&redirect, "state").as_deref(), Some("st-1"));
    query(&redirect, "code").unwrap()
}

#[tokio::test]
async fn a_browser_signs_in_through_the_page_and_the_app_gets_tokens() {
    let env = start().await;
    // The page, as a browser would open it.
    let no_redirects = env.client_without_redirects();
    let page = no_redirects
        .get(env.authorize_url(&[]))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Dana Reyes") && html.contains("Allow"),
        "{html}"
    );
    let pending = env.control_get("/_emulator/oauth/pending").await;
    let id = pending[0]["id"].as_str().unwrap().to_string();
    assert_eq!(pending[0]["device_id"], "dev-1");
    assert_eq!(pending[0]["state"], "st-1");
    // The user allows: back to the app's loopback redirect with code and state.
    let r = no_redirects
        .post(env.url("/oauth2/auth/decision"))
        .form(&[("request_id", id.as_str()), ("decision", "approve")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http://127.0.0.1:8765/callback?code="));
    let code = query(&location, "code").unwrap();
    let r = env.app_token(&code_form(&code, "dev-1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["expires_in"], 3600);
    let access = t["access_token"].as_str().unwrap();
    // An app install starts without a project; it reads the user and picks one.
    let me = env.me(access).await;
    assert!(me["project"].is_null());
    let user: Value = env.get_auth("/v2/me", access).await.json().await.unwrap();
    assert_eq!(user["email"], "dana.reyes@example.com");
    // The token call is an auth call in the request log.
    let log = env.requests().await;
    assert!(
        log.iter()
            .any(|e| e["path"] == "/oauth2/token" && e["status"] == 200)
    );
}

#[tokio::test]
async fn denied_and_malformed_requests_go_back_with_an_error_or_stop_at_the_page() {
    let env = start().await;
    let r = env.decide(&env.authorize_url(&[]), true).await;
    assert_eq!(query(&r, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&r, "state").as_deref(), Some("st-1"));
    assert!(query(&r, "code").is_none());
    for (changes, error) in [
        (vec![("code_challenge", None)], "invalid_request"),
        (
            vec![
                ("code_challenge_method", Some("plain")),
                ("code_challenge", Some(VERIFIER)),
            ],
            "invalid_request",
        ),
        (vec![("code_challenge_method", None)], "invalid_request"),
        (vec![("code_challenge", Some("short"))], "invalid_request"),
        (vec![("device_id", None)], "invalid_request"),
        (
            vec![("response_type", Some("token"))],
            "unsupported_response_type",
        ),
        (vec![("scope", Some("offline admin"))], "invalid_scope"),
    ] {
        let url = env.authorize_url(&changes);
        let r = env.decide(&url, false).await;
        assert_eq!(query(&r, "error").as_deref(), Some(error), "{changes:?}");
        assert!(r.starts_with(LOOPBACK));
    }
    // An unknown client or an unregistered redirect never goes back to the client.
    for changes in [
        vec![("client_id", Some("someone-else"))],
        vec![("client_id", None)],
        vec![("redirect_uri", Some("https://attacker.example/cb"))],
        vec![("redirect_uri", Some("http://127.0.0.1:8765/other"))],
        vec![("redirect_uri", None)],
    ] {
        let r = env
            .post_json(
                "/_emulator/oauth/approve",
                &json!({"url": env.authorize_url(&changes)}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{changes:?}");
        let page = env
            .http
            .get(env.authorize_url(&changes))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST, "{changes:?}");
    }
    // Any loopback port is fine (RFC 8252 §7.3); the app scheme too.
    for redirect in [
        "http://127.0.0.1:1/callback",
        "io.takeup.app:/oauth2redirect",
    ] {
        let r = env
            .decide(
                &env.authorize_url(&[("redirect_uri", Some(redirect))]),
                false,
            )
            .await;
        assert!(r.starts_with(redirect), "{r}");
        assert!(query(&r, "code").is_some());
    }
}

#[tokio::test]
async fn the_token_endpoint_checks_pkce_redirect_client_and_device() {
    let env = start().await;
    let cases: Vec<(&str, Option<&str>, &str)> = vec![
        (
            "code_verifier",
            Some("wrongwrongwrongwrongwrongwrongwrongwrongwrong"),
            "invalid_grant",
        ),
        ("code_verifier", Some("short"), "invalid_request"),
        ("code_verifier", None, "invalid_request"),
        (
            "redirect_uri",
            Some("http://127.0.0.1:9999/callback"),
            "invalid_grant",
        ),
        ("redirect_uri", None, "invalid_request"),
        ("device_id", Some("dev-2"), "invalid_grant"),
        ("device_id", None, "invalid_request"),
        ("client_id", Some("someone-else"), "invalid_client"),
        ("client_secret", Some("anything"), "invalid_client"),
    ];
    for (key, value, want) in cases {
        let code = fresh_code(&env).await;
        let r = env
            .app_token(&with(code_form(&code, "dev-1"), key, value))
            .await;
        let (status, error) = error_code(r).await;
        assert_eq!(error, want, "{key}={value:?}");
        let expected = if want == "invalid_client" {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::BAD_REQUEST
        };
        assert_eq!(status, expected, "{key}={value:?}");
    }
    // JSON is refused like on /v2/auth.
    let r = env
        .post_json(
            "/oauth2/token",
            &json!({"grant_type": "authorization_code"}),
        )
        .await;
    assert_eq!(error_code(r).await.1, "invalid_request");
}

#[tokio::test]
async fn codes_are_single_use_and_short_lived() {
    let env = start().await;
    let code = fresh_code(&env).await;
    let r = env.app_token(&code_form(&code, "dev-1")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    let access = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(
        env.get_auth("/v2/devices/me", &access).await.status(),
        StatusCode::OK
    );
    // A second use is refused and revokes what the first one issued.
    let r = env.app_token(&code_form(&code, "dev-1")).await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    assert_eq!(
        env.get_auth("/v2/devices/me", &access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // An expired code.
    env.settings(json!({"auth_code_ttl_secs": 1})).await;
    let code = fresh_code(&env).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let r = env.app_token(&code_form(&code, "dev-1")).await;
    assert_eq!(error_code(r).await.1, "invalid_grant");
    // An unknown one.
    let r = env.app_token(&code_form("nope", "dev-1")).await;
    assert_eq!(error_code(r).await.1, "invalid_grant");
}

#[tokio::test]
async fn app_refresh_rotates_and_the_flows_do_not_mix() {
    let env = start().await;
    let app = env.sign_in("dev-r", true).await;
    let refresh = |rt: String, client: &'static str| {
        let env = &env;
        async move {
            env.app_token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", rt.as_str()),
                ("client_id", client),
            ])
            .await
        }
    };
    let r = refresh(app.refresh.clone(), APP).await;
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    let new_access = t["access_token"].as_str().unwrap().to_string();
    assert_ne!(t["refresh_token"], app.refresh.as_str());
    // Rotated: the old pair is dead; a spent refresh token is invalid_grant.
    assert_eq!(
        env.get_auth("/v2/devices/me", &app.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        env.get_auth("/v2/devices/me", &new_access).await.status(),
        StatusCode::OK
    );
    let r = refresh(app.refresh.clone(), APP).await;
    assert_eq!(
        error_code(r).await,
        (StatusCode::BAD_REQUEST, "invalid_grant".into())
    );
    // A device-code refresh token is not an app's, and the reverse.
    let hw = env.pair("hw-r").await;
    let r = refresh(hw.refresh.clone(), APP).await;
    assert_eq!(error_code(r).await.1, "invalid_grant");
    let r = env
        .refresh(&app.client_id, t["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(error_code(r).await.1, "invalid_grant");
    // The application tokens reach the connection manager; the device-code ones do not.
    assert_eq!(
        env.get_auth("/v2/devices/accounts", &new_access)
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        env.get_auth("/v2/devices/accounts", &hw.access)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // A forgotten install: refresh is invalid_grant.
    env.control_post("/_emulator/device/forget", json!({"client_id": "dev-r"}))
        .await;
    let r = refresh(t["refresh_token"].as_str().unwrap().to_string(), APP).await;
    assert_eq!(error_code(r).await.1, "invalid_grant");
}

#[tokio::test]
async fn revoke_kills_an_install_s_tokens() {
    let env = start().await;
    let app = env.sign_in("dev-x", false).await;
    let r = env
        .post_form(
            "/oauth2/revoke",
            &[("token", app.refresh.as_str()), ("client_id", APP)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        env.get_auth("/v2/devices/me", &app.access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Unknown tokens are fine too (RFC 7009).
    let r = env
        .post_form("/oauth2/revoke", &[("token", "nope"), ("client_id", APP)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}
