//! The OAuth 2.0 application flow of §3 (apps on phones and desktops): the authorization page
//! (`GET /oauth2/auth`, where the user approves or denies), the token endpoint
//! (`POST /oauth2/token`: authorization code with PKCE, refresh) and revocation
//! (`POST /oauth2/revoke`), plus the control calls a test uses instead of a browser.
//!
//! In production these live on `https://applications.frame.io`; the emulator serves them on its
//! API listener (the paths do not collide), so a client's "applications base URL" is the
//! emulator's base URL.
//!
//! What is checked (RFC 6749, RFC 7636, RFC 8252): the client id is registered and public (a
//! client secret is refused); the redirect URI is registered (a loopback `http://127.0.0.1/...`
//! registration accepts any port) and the token request repeats exactly the one the code was
//! issued for; PKCE is required with `S256` only; codes are single use (a second use also revokes
//! what the first one issued) and live `auth_code_ttl_secs`; each install sends its `device_id`
//! on both steps (the emulator's reading of an unconfirmed rule). `state` is returned untouched:
//! checking it is the client's job.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::api::{RefreshRefused, required, rotate, token_body};
use crate::common::AppState;
use crate::respond::{bad_request, not_found, simple};
use crate::state::{
    APP_SCOPES, AuthCode, Device, DeviceKind, PendingAuthorization, TokenKind, World,
};

use crate::pair_page::esc;

/// How long an opened authorization page waits for the user's decision.
const PENDING_TTL: Duration = Duration::from_secs(600);

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    (
        status,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;color:#1d1d24}}button{{font-size:1.1rem;padding:.5rem 1rem;margin:.3rem .3rem .3rem 0;border:0;border-radius:.3rem}}.ok{{background:#5b53ff;color:#fff}}.err{{color:#b00020}}</style></head><body><h1>{t}</h1>{body}<p><small>Takeup C2C emulator (test service, not Frame.io)</small></p></body></html>",
            t = esc(title)
        )),
    )
        .into_response()
}

/// Whether `given` is `registered`: exactly, or for a loopback registration, the same scheme,
/// host and path with any port (RFC 8252 §7.3).
pub fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let (Ok(r), Ok(g)) = (url::Url::parse(registered), url::Url::parse(given)) else {
        return false;
    };
    let loopback = |u: &url::Url| {
        u.scheme() == "http"
            && matches!(
                u.host_str(),
                Some("127.0.0.1") | Some("[::1]") | Some("localhost")
            )
    };
    loopback(&r)
        && loopback(&g)
        && r.host_str() == g.host_str()
        && r.path() == g.path()
        && r.query() == g.query()
        && g.fragment().is_none()
}

fn registered_redirect(w: &World, client_id: &str, redirect_uri: &str) -> bool {
    w.app(client_id).is_some_and(|a| {
        a.redirect_uris
            .iter()
            .any(|r| redirect_matches(r, redirect_uri))
    })
}

/// `redirect_uri` with `params` added to its query.
fn redirect_with(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let mut out = redirect_uri.to_string();
    let mut sep = if redirect_uri.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        let enc: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        out.push(sep);
        out.push_str(k);
        out.push('=');
        out.push_str(&enc);
        sep = '&';
    }
    out
}

fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> String {
    let mut p = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        p.push(("state", s));
    }
    redirect_with(redirect_uri, &p)
}

/// A verifier (RFC 7636 §4.1): 43–128 characters of `[A-Za-z0-9-._~]`.
fn valid_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
}

/// `BASE64URL(SHA256(verifier))` without padding (RFC 7636 §4.2, S256).
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// What an authorization request leads to.
enum Outcome {
    /// Show the page: the request waits for the user.
    Pending(PendingAuthorization),
    /// Back to the client with an error (RFC 6749 §4.1.2.1).
    Redirect(String),
    /// Cannot go back to the client (unknown client or redirect URI): an error for the user.
    Refuse(String),
}

/// Check an authorization request (the query of `GET /oauth2/auth`).
fn check_request(w: &mut World, q: &HashMap<String, String>) -> Outcome {
    let get = |k: &str| q.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let Some(client_id) = get("client_id") else {
        return Outcome::Refuse("client_id is missing".into());
    };
    if w.app(client_id).is_none() {
        return Outcome::Refuse(format!("no application with client id {client_id:?}"));
    }
    let Some(redirect_uri) = get("redirect_uri") else {
        return Outcome::Refuse("redirect_uri is missing".into());
    };
    if !registered_redirect(w, client_id, redirect_uri) {
        return Outcome::Refuse(format!(
            "{redirect_uri:?} is not a registered redirect URI of this application"
        ));
    }
    let state = get("state").map(str::to_string);
    let fail = |error: &str, description: &str| {
        Outcome::Redirect(error_redirect(
            redirect_uri,
            error,
            description,
            state.as_deref(),
        ))
    };
    if get("response_type") != Some("code") {
        return fail(
            "unsupported_response_type",
            "only response_type=code is supported",
        );
    }
    let Some(challenge) = get("code_challenge") else {
        return fail(
            "invalid_request",
            "PKCE is required: send code_challenge with code_challenge_method=S256",
        );
    };
    if get("code_challenge_method") != Some("S256") {
        return fail("invalid_request", "code_challenge_method must be S256");
    }
    if challenge.len() != 43
        || !challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return fail(
            "invalid_request",
            "code_challenge must be BASE64URL(SHA256(verifier))",
        );
    }
    let Some(device_id) = get("device_id") else {
        return fail("invalid_request", "device_id is required");
    };
    if device_id.len() > 200 {
        return fail("invalid_request", "device_id is too long");
    }
    let scope = get("scope").unwrap_or("offline asset_create device_connect");
    if scope.split_whitespace().any(|s| !APP_SCOPES.contains(&s)) {
        return fail("invalid_scope", "unknown scope");
    }
    let now = Instant::now();
    w.authorizations.retain(|_, a| a.expires_at > now);
    let id = w.secret(12);
    let pending = PendingAuthorization {
        id: id.clone(),
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        scope: scope.to_string(),
        state,
        code_challenge: challenge.to_string(),
        device_id: device_id.to_string(),
        expires_at: now + PENDING_TTL,
    };
    w.authorizations.insert(id, pending.clone());
    Outcome::Pending(pending)
}

/// The user's decision on a pending request: where the browser goes next.
fn decide(w: &mut World, request_id: &str, approve: bool) -> Result<String, String> {
    let Some(p) = w.authorizations.remove(request_id) else {
        return Err("no pending authorization with that id (expired or decided)".into());
    };
    if p.expires_at <= Instant::now() {
        return Err("the authorization request expired".into());
    }
    if !approve {
        return Ok(error_redirect(
            &p.redirect_uri,
            "access_denied",
            "The user denied the request",
            p.state.as_deref(),
        ));
    }
    let code = w.secret(24);
    let ttl = Duration::from_secs(w.settings.auth_code_ttl_secs.max(1));
    w.auth_codes
        .retain(|_, c| c.expires_at + ttl > Instant::now());
    w.auth_codes.insert(
        code.clone(),
        AuthCode {
            client_id: p.client_id,
            redirect_uri: p.redirect_uri.clone(),
            code_challenge: p.code_challenge,
            device_id: p.device_id,
            scope: p.scope,
            expires_at: Instant::now() + ttl,
            used: false,
        },
    );
    let mut params = vec![("code", code.as_str())];
    if let Some(s) = &p.state {
        params.push(("state", s));
    }
    Ok(redirect_with(&p.redirect_uri, &params))
}

/// `GET /oauth2/auth?response_type=code&client_id=…&redirect_uri=…&scope=…&state=…
/// &code_challenge=…&code_challenge_method=S256&device_id=…`: the page where the user (already
/// signed in to Frame.io as the emulator's user) approves or denies.
pub async fn authorize_page(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut w = st.world();
    match check_request(&mut w, &q) {
        Outcome::Refuse(why) => page(
            StatusCode::BAD_REQUEST,
            "Sign-in request refused",
            &format!("<p class=\"err\">{}</p>", esc(&why)),
        ),
        Outcome::Redirect(to) => found(&to),
        Outcome::Pending(p) => {
            let app = w
                .app(&p.client_id)
                .map(|a| a.name.clone())
                .unwrap_or_default();
            let body = format!(
                "<p><b>{app}</b> wants to connect to your Frame.io account <b>{user}</b> ({email}) to upload media to Camera to Cloud projects.</p><form method=\"post\" action=\"/oauth2/auth/decision\"><input type=\"hidden\" name=\"request_id\" value=\"{id}\"><button class=\"ok\" name=\"decision\" value=\"approve\" type=\"submit\">Allow</button><button name=\"decision\" value=\"deny\" type=\"submit\">Deny</button></form>",
                app = esc(&app),
                user = esc(&w.user.name),
                email = esc(&w.user.email),
                id = esc(&p.id),
            );
            page(StatusCode::OK, "Sign in to Frame.io", &body)
        }
    }
}

fn found(location: &str) -> Response {
    match axum::http::HeaderValue::from_str(location) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => bad_request("the redirect is not a valid header value"),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    request_id: String,
    decision: String,
}

/// `POST /oauth2/auth/decision` (the page's form): redirect the browser back to the client.
pub async fn decision(
    State(st): State<AppState>,
    axum::Form(f): axum::Form<DecisionForm>,
) -> Response {
    let approve = f.decision == "approve";
    match decide(&mut st.world(), &f.request_id, approve) {
        Ok(to) => found(&to),
        Err(why) => page(
            StatusCode::NOT_FOUND,
            "Sign-in request not found",
            &format!("<p class=\"err\">{}</p>", esc(&why)),
        ),
    }
}

fn invalid_client() -> Response {
    simple(StatusCode::UNAUTHORIZED, "invalid_client")
}

fn invalid_grant() -> Response {
    simple(StatusCode::BAD_REQUEST, "invalid_grant")
}

/// `POST /oauth2/token` (form): `authorization_code` (+ PKCE) and `refresh_token` grants of a
/// public client.
pub async fn token(State(st): State<AppState>, req: Request) -> Response {
    let version = crate::common::header_str(req.headers(), "x-client-version")
        .unwrap_or("0.0.0")
        .to_string();
    let (form, [client_id, grant]) =
        match crate::api::form_with(req, ["client_id", "grant_type"]).await {
            Ok(f) => f,
            Err(r) => return r,
        };
    let mut w = st.world();
    if w.app(&client_id).is_none() {
        return invalid_client();
    }
    if form.contains_key("client_secret") {
        // A public client has no secret; one that sends a secret has one it should not ship.
        return invalid_client();
    }
    match grant.as_str() {
        "authorization_code" => exchange(&mut w, &form, &client_id, &version),
        "refresh_token" => {
            let rt = match required(&form, "refresh_token") {
                Ok(c) => c.to_string(),
                Err(r) => return r,
            };
            let owner = w.refresh.get(&rt).map(|t| t.client_id.clone());
            let Some(key) = owner else {
                return invalid_grant();
            };
            let same_app = w.devices.get(&key).is_some_and(
                |d| matches!(&d.kind, DeviceKind::App { app_client_id } if *app_client_id == client_id),
            );
            if !same_app {
                return invalid_grant();
            }
            if let Some(d) = form.get("device_id")
                && d.trim() != key
            {
                return invalid_grant();
            }
            match rotate(&mut w, &key, &rt, TokenKind::App) {
                Ok((a, r, ttl)) => token_body(a, r, ttl),
                // RFC 6749 §5.2: an invalid, expired, revoked or spent grant is invalid_grant.
                Err(RefreshRefused::Unknown | RefreshRefused::Revoked | RefreshRefused::Spent) => {
                    invalid_grant()
                }
            }
        }
        _ => simple(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

fn exchange(
    w: &mut World,
    form: &HashMap<String, String>,
    client_id: &str,
    version: &str,
) -> Response {
    let (code, redirect_uri, verifier, device_id) = match (
        required(form, "code"),
        required(form, "redirect_uri"),
        required(form, "code_verifier"),
        required(form, "device_id"),
    ) {
        (Ok(a), Ok(b), Ok(c), Ok(d)) => (a.to_string(), b.to_string(), c, d.to_string()),
        (Err(r), ..) | (_, Err(r), ..) | (_, _, Err(r), _) | (.., Err(r)) => return r,
    };
    if !valid_verifier(verifier) {
        return simple(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let now = Instant::now();
    let Some(c) = w.auth_codes.get(&code).cloned() else {
        return invalid_grant();
    };
    if c.used {
        // RFC 6749 §4.1.2: a code used twice revokes what it issued.
        tracing::warn!("authorization code used twice: revoking its tokens");
        w.revoke_device_tokens(&c.device_id);
        return invalid_grant();
    }
    if now >= c.expires_at
        || c.client_id != client_id
        || c.redirect_uri != redirect_uri
        || c.device_id != device_id
        || s256(verifier) != c.code_challenge
    {
        return invalid_grant();
    }
    if let Some(entry) = w.auth_codes.get_mut(&code) {
        entry.used = true;
    }
    let short: String = device_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(6)
        .collect();
    if w.devices
        .get(&device_id)
        .is_some_and(|d| d.kind == DeviceKind::Hardware)
    {
        return simple(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let device = w.devices.entry(device_id.clone()).or_insert_with(|| {
        let id = Uuid::new_v5(&Uuid::NAMESPACE_OID, device_id.as_bytes());
        let name = format!("Takeup app {}", short.to_uppercase());
        let kind = DeviceKind::App {
            app_client_id: client_id.to_string(),
        };
        Device::new(
            id,
            &device_id,
            name,
            Uuid::nil(),
            version,
            Uuid::new_v4(),
            kind,
        )
    });
    if device.forgotten {
        device.forgotten = false;
        device.project_id = None;
    }
    device.kind = DeviceKind::App {
        app_client_id: client_id.to_string(),
    };
    device.last_seen_at = Some(Utc::now());
    device.firmware_version = version.to_string();
    tracing::info!(client_id, device_id, scope = %c.scope, "application signed in");
    w.revoke_device_tokens(&device_id);
    let (a, r, ttl) = w.issue_tokens(&device_id, TokenKind::App);
    let mut resp = token_body(a, r, ttl);
    if let Ok(v) = axum::http::HeaderValue::from_str("no-store") {
        resp.headers_mut().insert(header::CACHE_CONTROL, v);
    }
    resp
}

/// `POST /oauth2/revoke` (RFC 7009): `token`, `client_id`. Any token of an app install kills all
/// of them; 200 also for unknown tokens.
pub async fn revoke(State(st): State<AppState>, req: Request) -> Response {
    let (_, [client_id, token]) = match crate::api::form_with(req, ["client_id", "token"]).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let mut w = st.world();
    if w.app(&client_id).is_none() {
        return invalid_client();
    }
    let owner = w
        .access
        .get(&token)
        .map(|t| t.client_id.clone())
        .or_else(|| w.refresh.get(&token).map(|t| t.client_id.clone()));
    if let Some(key) = owner {
        let ours = w.devices.get(&key).is_some_and(
            |d| matches!(&d.kind, DeviceKind::App { app_client_id } if *app_client_id == client_id),
        );
        if ours {
            w.revoke_device_tokens(&key);
        }
    }
    StatusCode::OK.into_response()
}

// ---- control API -------------------------------------------------------------------------------

/// `GET /_emulator/oauth/pending`: authorization pages opened and not decided yet.
pub async fn pending(State(st): State<AppState>) -> Response {
    let w = st.world();
    let now = Instant::now();
    let mut list: Vec<&PendingAuthorization> = w
        .authorizations
        .values()
        .filter(|a| a.expires_at > now)
        .collect();
    list.sort_by_key(|a| a.expires_at);
    Json(json!(list)).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DecideBody {
    /// An authorization URL as the client built it: checked as if a browser opened it.
    #[serde(default)]
    url: Option<String>,
    /// A pending request (from `GET /_emulator/oauth/pending`).
    #[serde(default)]
    request_id: Option<String>,
    /// Deny instead of approving (the client gets `error=access_denied`).
    #[serde(default)]
    deny: bool,
}

/// `POST /_emulator/oauth/approve {"url"? | "request_id"?, "deny"?}`: decide as the user would
/// on the page (neither given: the newest pending request). Answers `{"redirect": URL}`, where a
/// browser would go next (the client's redirect URI with `code` and `state`, or an error).
pub async fn approve(State(st): State<AppState>, body: Option<Json<DecideBody>>) -> Response {
    let b = body.map(|b| b.0).unwrap_or_default();
    let mut w = st.world();
    let id = if let Some(url) = &b.url {
        let Ok(u) = url::Url::parse(url) else {
            return bad_request("url is not a URL");
        };
        if u.path() != "/oauth2/auth" {
            return bad_request("url is not an authorization URL (/oauth2/auth)");
        }
        let q: HashMap<String, String> = u.query_pairs().into_owned().collect();
        match check_request(&mut w, &q) {
            Outcome::Pending(p) => p.id,
            Outcome::Redirect(to) => return Json(json!({ "redirect": to })).into_response(),
            Outcome::Refuse(why) => return bad_request(&why),
        }
    } else if let Some(id) = &b.request_id {
        id.clone()
    } else {
        let now = Instant::now();
        match w
            .authorizations
            .values()
            .filter(|a| a.expires_at > now)
            .max_by_key(|a| a.expires_at)
        {
            Some(a) => a.id.clone(),
            None => return not_found("No pending authorization"),
        }
    };
    match decide(&mut w, &id, !b.deny) {
        Ok(to) => Json(json!({ "redirect": to })).into_response(),
        Err(why) => not_found(&why),
    }
}

/// `GET /_emulator/oauth/apps`: the registered applications.
pub async fn apps(State(st): State<AppState>) -> Response {
    let w = st.world();
    let v: Value = json!(w.apps);
    Json(v).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_any_port_others_exactly() {
        let lo = "http://127.0.0.1/callback";
        assert!(redirect_matches(lo, "http://127.0.0.1:53123/callback"));
        assert!(redirect_matches(lo, "http://127.0.0.1/callback"));
        assert!(!redirect_matches(lo, "http://127.0.0.1:53123/other"));
        assert!(!redirect_matches(lo, "https://127.0.0.1:53123/callback"));
        assert!(!redirect_matches(lo, "http://localhost:53123/callback"));
        assert!(!redirect_matches(lo, "http://evil.example:53123/callback"));
        let app = "io.takeup.app:/oauth2redirect";
        assert!(redirect_matches(app, app));
        assert!(!redirect_matches(app, "io.takeup.app:/oauth2redirect/x"));
    }

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(valid_verifier(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!valid_verifier("short"));
        assert!(!valid_verifier(&"a".repeat(129)));
        assert!(!valid_verifier(&format!("{}!", "a".repeat(43))));
    }

    #[test]
    fn redirects_keep_an_existing_query_and_encode_values() {
        assert_eq!(
            redirect_with(
                "http://127.0.0.1:9/cb",
                &[("code", "a b"), ("state", "x&y")]
            ),
            "http://127.0.0.1:9/cb?code=a+b&state=x%26y"
        );
        assert_eq!(
            redirect_with("io.takeup.app:/r?k=1", &[("code", "c")]),
            "io.takeup.app:/r?k=1&code=c"
        );
    }
}
