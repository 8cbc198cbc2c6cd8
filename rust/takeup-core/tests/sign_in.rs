//! Sign-in with a Frame.io account (OAuth authorization code + PKCE, no secret) against the
//! emulator: to an upload, the browser's answers that must not sign in (declined, stale, reused),
//! a completion after a restart, refresh and sign-out at the applications endpoints, and an app
//! that ships no client secret.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use takeup_core::{ConnectionState, Engine, Error, SecretStore, SignInError, SignInMethod};

fn pending_key(env: &Env) -> Option<String> {
    env.store
        .keys()
        .into_iter()
        .find(|k| k.starts_with("c2c-app-sign-in."))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_choose_a_project_and_upload() {
    let env = env().await;
    let e = engine_with_queue(&env, queue_config(&env)).await;
    assert!(e.app_sign_in_available());
    let request = e
        .begin_app_sign_in(Some("http://127.0.0.1:41234/callback"))
        .unwrap();
    let url = url::Url::parse(&request.authorization_url).unwrap();
    let q: std::collections::HashMap<String, String> = url.query_pairs().into_owned().collect();
    assert_eq!(url.path(), "/oauth2/auth");
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], env.emu.app_client_id);
    assert_eq!(q["redirect_uri"], "http://127.0.0.1:41234/callback");
    assert_eq!(q["code_challenge_method"], "S256");
    assert_eq!(q["code_challenge"].len(), 43);
    assert!(q["state"].len() >= 16);
    assert!(!q.contains_key("client_secret"));
    // Kept in the secret store (verifier and state), nowhere in the state directory.
    let key = pending_key(&env).expect("pending in the store");
    let raw = env.store.get(&key).unwrap().unwrap();
    assert!(raw.contains(&q["state"]));
    for f in std::fs::read_dir(env.dir.path().join("state")).unwrap() {
        let bytes = std::fs::read(f.unwrap().path()).unwrap_or_default();
        assert!(!String::from_utf8_lossy(&bytes).contains(&q["state"]));
    }
    let redirect = env
        .approve_authorization(&request.authorization_url, false)
        .await;
    let id = e.complete_app_sign_in(&redirect).await.unwrap();
    assert_eq!(id.user.email, "dana.reyes@example.com");
    assert!(id.user.image_url.is_some());
    assert!(id.project.is_none(), "an app install starts unconnected");
    assert_eq!(e.sign_in_method(), Some(SignInMethod::Account));
    assert!(matches!(
        e.connection_state(),
        ConnectionState::NotConnected { .. }
    ));
    assert_eq!(pending_key(&env), None, "the sign-in in progress is gone");
    assert_eq!(env.stored_tokens().unwrap()["method"], "account");
    // The token call carried no secret and the install's device id.
    let log = env.requests(0).await;
    assert!(log.iter().any(|r| r["path"] == "/oauth2/token"));

    let project = env.get("/_emulator/world").await["accounts"][0]["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    e.connect(&project).await.unwrap();
    let media = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(media.path(), "S001.mov", 7 << 20, 4);
    enqueue(&e, &p).await;
    wait_queue(&e, 60, "uploaded", |s| s.totals.done == 1).await;
    assert_eq!(env.complete_asset("S001.mov").await["sha256"], sha);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn declined_stale_reused_and_foreign_answers_sign_nothing_in() {
    let env = env().await;
    let e = env.engine().await;
    // Nothing started.
    let err = e
        .complete_app_sign_in("http://127.0.0.1:45678/callback?code=x&state=y")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::SignIn(SignInError::NotStarted)),
        "{err:?}"
    );
    // Declined in the browser.
    let denied = env.approve_sign_in(&e, true).await;
    let err = e.complete_app_sign_in(&denied).await.unwrap_err();
    assert!(matches!(err, Error::SignIn(SignInError::Denied)), "{err:?}");
    assert!(env.store.keys().is_empty(), "nothing kept");
    assert_eq!(e.connection_state(), ConnectionState::NotAuthorized);
    // An answer for an older sign-in: refused, and the current one still completes.
    let stale = env.approve_sign_in(&e, false).await;
    let current = env.approve_sign_in(&e, false).await;
    let err = e.complete_app_sign_in(&stale).await.unwrap_err();
    assert!(
        matches!(err, Error::SignIn(SignInError::StateMismatch)),
        "{err:?}"
    );
    // Another redirect address, or no code.
    let other = current.replace("/callback", "/elsewhere");
    assert!(matches!(
        e.complete_app_sign_in(&other).await.unwrap_err(),
        Error::SignIn(SignInError::BadRedirect(_))
    ));
    assert!(matches!(
        e.complete_app_sign_in("not a url").await.unwrap_err(),
        Error::SignIn(SignInError::BadRedirect(_))
    ));
    e.complete_app_sign_in(&current).await.unwrap();
    assert!(e.is_paired());
    // A used code cannot sign in again, even with the right state.
    e.sign_out().await.unwrap();
    let again = env.approve_sign_in(&e, false).await;
    let reused = format!(
        "http://127.0.0.1:45678/callback?code={}&state={}",
        query(&current, "code"),
        query(&again, "state")
    );
    let err = e.complete_app_sign_in(&reused).await.unwrap_err();
    assert!(
        matches!(err, Error::SignIn(SignInError::CodeRejected)),
        "{err:?}"
    );
    assert!(!e.is_paired());
    assert_eq!(pending_key(&env), None, "a refused code ends the sign-in");
}

fn query(url: &str, key: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {key} in {url}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_started_before_a_restart_completes_after_it() {
    let env = env().await;
    let e = env.engine().await;
    let redirect = env.approve_sign_in(&e, false).await;
    drop(e);
    let e = env.engine().await;
    assert!(e.pending_app_sign_in().is_some());
    e.complete_app_sign_in(&redirect).await.unwrap();
    assert_eq!(e.sign_in_method(), Some(SignInMethod::Account));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_tokens_refresh_and_sign_out_at_the_applications_endpoints() {
    let env = env().await;
    env.settings(json!({ "app_access_token_ttl_secs": 2 }))
        .await;
    let e = env.engine().await;
    env.sign_in(&e, true).await.unwrap();
    let first = env.stored_tokens().unwrap();
    let since = env.last_seq().await;
    for _ in 0..6 {
        e.heartbeat().await.expect("no user-visible failure");
        e.list_accounts().await.expect("no user-visible failure");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let log = env.requests(since).await;
    let app_refreshes = log.iter().filter(|r| r["path"] == "/oauth2/token").count();
    assert!(app_refreshes >= 1, "{log:?}");
    assert!(log.iter().all(|r| r["path"] != "/v2/auth/token"));
    let now = env.stored_tokens().unwrap();
    assert_ne!(first["refresh_token"], now["refresh_token"], "rotated");
    assert_eq!(now["method"], "account");
    let out = e.sign_out().await.unwrap();
    assert!(out.revoked_on_server);
    assert!(env.store.keys().is_empty());
    let log = env.requests(since).await;
    assert!(
        log.iter()
            .any(|r| r["path"] == "/oauth2/revoke" && r["status"] == 200)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_without_a_client_secret_only_signs_in() {
    let env = env().await;
    let mut c = env.config();
    c.client_secret = String::new();
    let e = Engine::start(c, env.store.clone()).await.unwrap();
    assert!(!e.pairing_available());
    let err = e
        .pair(takeup_core::CancellationToken::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidConfig(_)), "{err:?}");
    env.sign_in(&e, true).await.unwrap();
    assert!(matches!(
        e.connection_state(),
        ConnectionState::Connected { .. }
    ));
    // Without sign-in configured either, the engine does not start.
    let mut c = env.config();
    c.client_secret = String::new();
    c.app_sign_in = None;
    c.state_dir = env.dir.path().join("other");
    assert!(matches!(
        Engine::start(c, env.store.clone()).await.unwrap_err(),
        Error::InvalidConfig(_)
    ));
}
