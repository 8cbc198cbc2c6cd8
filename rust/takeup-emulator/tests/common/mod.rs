//! Helpers for the emulator's own tests: a running emulator and a reqwest client trusting its CA.
#![allow(dead_code)]

use std::time::Duration;

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use takeup_emulator::{Emulator, EmulatorConfig, Settings};

pub const SECRET: &str = takeup_emulator::DEFAULT_CLIENT_SECRET;
pub const VERSION: &str = "1.2.3";
pub const APP: &str = takeup_emulator::DEFAULT_APP_CLIENT_ID;
/// The loopback redirect registered for [`APP`] (any port).
pub const LOOPBACK: &str = "http://127.0.0.1:8765/callback";
/// A PKCE verifier and its S256 challenge (RFC 7636 appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub struct Env {
    pub emu: Emulator,
    pub http: Client,
}

pub fn install_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client_trusting(ca_pem: &str) -> Client {
    install_provider();
    Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap()])
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub async fn start() -> Env {
    start_with(Settings {
        poll_interval_secs: 1,
        rate_limit_per_sec: None,
        ..Settings::default()
    })
    .await
}

pub async fn start_with(settings: Settings) -> Env {
    let emu = Emulator::start(EmulatorConfig {
        settings,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts");
    let http = client_trusting(&emu.ca_pem);
    Env { emu, http }
}

/// A started emulator and `client_id` paired with it (to the default project).
pub async fn paired(client_id: &str) -> (Env, Tokens) {
    let env = start().await;
    let tokens = env.pair(client_id).await;
    (env, tokens)
}

pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub client_id: String,
}

/// Send a request; a transport failure fails the test.
pub async fn send(req: RequestBuilder) -> Response {
    req.send().await.unwrap()
}

impl Env {
    /// A client trusting the emulator's CA that does not follow redirects (to see them).
    pub fn client_without_redirects(&self) -> Client {
        Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.emu.ca_pem.as_bytes()).unwrap()])
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url, path)
    }

    /// `GET path` without a token or a version header.
    pub async fn get(&self, path: &str) -> Response {
        send(self.http.get(self.url(path))).await
    }

    /// `POST path` with a JSON body, without a token.
    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        send(self.http.post(self.url(path)).json(body)).await
    }

    /// `POST path` with a form body, without a token or a version header.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Response {
        send(self.http.post(self.url(path)).form(form)).await
    }

    /// `DELETE path`.
    pub async fn delete(&self, path: &str) -> Response {
        send(self.http.delete(self.url(path))).await
    }

    pub async fn control_post(&self, path: &str, body: Value) -> Value {
        success_json(path, self.post_json(path, &body).await).await
    }

    pub async fn control_get(&self, path: &str) -> Value {
        success_json(path, self.get(path).await).await
    }

    pub async fn fault(&self, spec: Value) {
        self.control_post("/_emulator/faults", spec).await;
    }

    pub async fn settings(&self, patch: Value) {
        self.control_post("/_emulator/settings", patch).await;
    }

    pub async fn device_code(&self, client_id: &str, platypus: bool) -> Response {
        let mut req = self
            .http
            .post(self.url("/v2/auth/device/code"))
            .header("x-client-version", VERSION)
            .form(&[
                ("client_id", client_id),
                ("client_secret", SECRET),
                ("scope", "asset_create offline"),
            ]);
        if platypus {
            req = req.header("x-client-platypus-enabled", "true");
        }
        req.send().await.unwrap()
    }

    /// The device code's answer as JSON.
    pub async fn code(&self, client_id: &str, platypus: bool) -> Value {
        self.device_code(client_id, platypus)
            .await
            .json()
            .await
            .unwrap()
    }

    /// `POST /v2/auth/token` for `client_id` with the right secret and this grant, not sent yet.
    pub fn token_request(
        &self,
        client_id: &str,
        grant: &str,
        key: &str,
        value: &str,
    ) -> RequestBuilder {
        let form = [
            ("client_id", client_id),
            ("client_secret", SECRET),
            ("grant_type", grant),
            (key, value),
        ];
        let req = self.http.post(self.url("/v2/auth/token"));
        req.header("x-client-version", VERSION).form(&form)
    }

    async fn token(&self, client_id: &str, grant: &str, key: &str, value: &str) -> Response {
        send(self.token_request(client_id, grant, key, value)).await
    }

    pub async fn poll(&self, client_id: &str, device_code: &str) -> Response {
        let grant = "urn:ietf:params:oauth:grant-type:device_code";
        self.token(client_id, grant, "device_code", device_code)
            .await
    }

    pub async fn refresh(&self, client_id: &str, refresh: &str) -> Response {
        self.token(client_id, "refresh_token", "refresh_token", refresh)
            .await
    }

    /// The status a refresh with this token answers.
    pub async fn refresh_status(&self, client_id: &str, refresh: &str) -> StatusCode {
        self.refresh(client_id, refresh).await.status()
    }

    /// Pair `client_id` (approved to the default project unless `no_project`).
    pub async fn pair_with(&self, client_id: &str, approve: Value) -> Tokens {
        let code = self.code(client_id, true).await;
        let mut approve = approve;
        approve["user_code"] = code["user_code"].clone();
        self.control_post("/_emulator/approve", approve).await;
        let r = self
            .poll(client_id, code["device_code"].as_str().unwrap())
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let t: Value = r.json().await.unwrap();
        Tokens {
            access: t["access_token"].as_str().unwrap().to_string(),
            refresh: t["refresh_token"].as_str().unwrap().to_string(),
            client_id: client_id.to_string(),
        }
    }

    pub async fn pair(&self, client_id: &str) -> Tokens {
        self.pair_with(client_id, json!({})).await
    }

    /// An authorization URL of the application flow, with these query parameters replaced or
    /// (value `None`) removed.
    pub fn authorize_url(&self, changes: &[(&str, Option<&str>)]) -> String {
        let mut params: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", APP),
            ("redirect_uri", LOOPBACK),
            ("scope", "offline asset_create device_connect"),
            ("state", "st-1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("device_id", "dev-1"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in changes {
            params.retain(|(n, _)| n != k);
            if let Some(v) = v {
                params.push((k.to_string(), v.to_string()));
            }
        }
        let mut u = url::Url::parse(&self.url("/oauth2/auth")).unwrap();
        u.query_pairs_mut().extend_pairs(params);
        u.to_string()
    }

    /// Approve (or deny) an authorization URL through the control API: where the browser goes.
    pub async fn decide(&self, url: &str, deny: bool) -> String {
        let v = self
            .control_post(
                "/_emulator/oauth/approve",
                json!({"url": url, "deny": deny}),
            )
            .await;
        v["redirect"].as_str().unwrap().to_string()
    }

    pub async fn app_token(&self, form: &[(&str, &str)]) -> Response {
        self.http
            .post(self.url("/oauth2/token"))
            .header("x-client-version", VERSION)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Sign in the app install `device_id` (application flow, PKCE), optionally connecting it to
    /// the first project.
    pub async fn sign_in(&self, device_id: &str, connect: bool) -> Tokens {
        let url = self.authorize_url(&[("device_id", Some(device_id))]);
        let redirect = self.decide(&url, false).await;
        let code = query(&redirect, "code").expect("a code");
        let r = self
            .app_token(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", LOOPBACK),
                ("client_id", APP),
                ("code_verifier", VERIFIER),
                ("device_id", device_id),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let t: Value = r.json().await.unwrap();
        let tokens = Tokens {
            access: t["access_token"].as_str().unwrap().to_string(),
            refresh: t["refresh_token"].as_str().unwrap().to_string(),
            client_id: device_id.to_string(),
        };
        if connect {
            let world = self.control_get("/_emulator/world").await;
            let project = world["accounts"][0]["projects"][0]["id"].as_str().unwrap();
            let r = self.connect(&tokens.access, project).await;
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
        }
        tokens
    }

    pub async fn get_auth(&self, path: &str, access: &str) -> Response {
        let req = self.http.get(self.url(path)).bearer_auth(access);
        send(req.header("x-client-version", VERSION)).await
    }

    /// The JSON answer of an authorized `GET path`.
    pub async fn get_json(&self, path: &str, access: &str) -> Value {
        self.get_auth(path, access).await.json().await.unwrap()
    }

    /// The status `GET /v2/devices/me` answers with this token.
    pub async fn me_status(&self, access: &str) -> StatusCode {
        self.get_auth("/v2/devices/me", access).await.status()
    }

    /// An authorized `POST path` without a version header or a body, not sent yet.
    pub fn post_request(&self, path: &str, access: &str) -> RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(access)
    }

    /// An authorized `POST path` with a form body.
    pub async fn post_form_auth(
        &self,
        path: &str,
        access: &str,
        form: &[(&str, &str)],
    ) -> Response {
        send(self.post_request(path, access).form(form)).await
    }

    /// This device as `GET /v2/devices/me` shows it.
    pub async fn me(&self, access: &str) -> Value {
        self.get_json("/v2/devices/me", access).await
    }

    pub async fn post_auth(&self, path: &str, access: &str, body: Option<Value>) -> Response {
        let mut req = self
            .post_request(path, access)
            .header("x-client-version", VERSION);
        if let Some(b) = body {
            req = req.json(&b);
        }
        send(req).await
    }

    /// `POST /v2/devices/connect?project_id=...` with this token.
    pub async fn connect(&self, access: &str, project: &str) -> Response {
        let path = format!("/v2/devices/connect?project_id={project}");
        self.post_auth(&path, access, None).await
    }

    /// POST with this token; only the answer's status.
    pub async fn post_status(&self, path: &str, access: &str, body: Option<Value>) -> StatusCode {
        self.post_auth(path, access, body).await.status()
    }

    pub async fn create_asset(&self, access: &str, body: Value) -> Response {
        self.post_auth("/v2/devices/assets", access, Some(body))
            .await
    }

    /// Create a real-time asset named `name` (video/mp4); its id.
    pub async fn create_realtime(&self, access: &str, name: &str) -> String {
        let body = json!({"name": name, "filetype": "video/mp4", "is_realtime_upload": true});
        let r = self.create_asset(access, body).await;
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        v["id"].as_str().unwrap().to_string()
    }

    /// Register real-time part 1 (5 MiB, not final) of asset `id`.
    pub async fn register_first_part(&self, access: &str, id: &str) -> Response {
        let path = format!("/v2/devices/assets/{id}/realtime_upload/parts");
        let parts = json!({"parts": [{"number": 1, "size": 5 * 1024 * 1024, "is_final": false}]});
        self.post_auth(&path, access, Some(parts)).await
    }

    /// A part PUT as the engine sends it (Content-Type and the private ACL signed in the URL).
    pub fn part_request(&self, url: &str, content_type: &str, bytes: Vec<u8>) -> RequestBuilder {
        let req = self.http.put(url).header("content-type", content_type);
        req.header("x-amz-acl", "private").body(bytes)
    }

    pub async fn put_part(
        &self,
        url: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Result<Response> {
        self.part_request(url, content_type, bytes).send().await
    }

    /// The status a `video/mp4` part PUT answers; a transport failure fails the test.
    pub async fn put_status(&self, url: &str, bytes: Vec<u8>) -> StatusCode {
        self.put_part(url, "video/mp4", bytes)
            .await
            .unwrap()
            .status()
    }

    pub async fn asset(&self, id: &str) -> Value {
        self.control_get(&format!("/_emulator/assets/{id}")).await
    }

    pub async fn requests(&self) -> Vec<Value> {
        self.control_get("/_emulator/requests")
            .await
            .as_array()
            .unwrap()
            .clone()
    }
}

/// A query parameter of a URL.
pub fn query(url: &str, key: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// A successful answer's JSON; anything else fails the test.
async fn success_json(what: &str, r: Response) -> Value {
    assert!(r.status().is_success(), "control {what}: {}", r.status());
    r.json().await.unwrap()
}

/// The body creating a standard asset.
pub fn file_body(name: &str, filetype: &str, filesize: usize) -> Value {
    json!({"name": name, "filetype": filetype, "filesize": filesize})
}

/// The part URLs of an answer (`upload_urls`).
pub fn upload_urls(answer: &Value) -> Vec<String> {
    answer["upload_urls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect()
}

/// The `key` field of each element of a JSON array, in order.
pub fn each_field(list: &Value, key: &str) -> Vec<Value> {
    let items = list.as_array().expect("a JSON array");
    items.iter().map(|v| v[key].clone()).collect()
}

/// Deterministic test bytes.
pub fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(2_654_435_761).to_le_bytes()[i % 4] ^ seed)
        .collect()
}

pub fn sha256(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

pub async fn error_code(r: Response) -> (StatusCode, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    (status, v["error"].as_str().unwrap_or("").to_string())
}

pub async fn detailed_title(r: Response) -> (StatusCode, String) {
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    (
        status,
        v["errors"][0]["title"].as_str().unwrap_or("").to_string(),
    )
}

/// What S3 answers a part PUT to a multipart upload that no longer exists (completed or aborted).
pub fn no_such_upload() -> (StatusCode, String) {
    (StatusCode::NOT_FOUND, "NoSuchUpload".into())
}

/// GET an absolute URL (a page the emulator serves) as text.
pub async fn page_text(http: &Client, url: &str) -> String {
    http.get(url).send().await.unwrap().text().await.unwrap()
}

pub async fn s3_code(r: Response) -> (StatusCode, String) {
    let status = r.status();
    let body = r.text().await.unwrap();
    let code = body
        .split("<Code>")
        .nth(1)
        .and_then(|s| s.split("</Code>").next())
        .unwrap_or("")
        .to_string();
    (status, code)
}
