//! The Frame.io C2C API: auth (device code, token, refresh, revoke), identity, the connection
//! manager endpoints, heartbeat, asset creation (standard and real-time) and real-time parts.

use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use crate::common::{AppState, FormError, header_str, read_form, read_json_or_form};
use crate::respond::{self, bad_request, detailed, not_authorized, not_found, simple};
use crate::state::{
    Approval, Asset, Device, DeviceKind, MAX_OBJECT, MAX_PART, MAX_PARTS, MIN_PART, Part,
    PendingCode, PoisonMode, TokenKind, World, plan_parts,
};

const CLIENT_VERSION: &str = "x-client-version";

pub(crate) fn form_error(e: FormError) -> Response {
    match e {
        FormError::NotAForm | FormError::Malformed => {
            simple(StatusCode::BAD_REQUEST, "invalid_request")
        }
    }
}

pub(crate) fn required<'a>(
    form: &'a std::collections::HashMap<String, String>,
    key: &str,
) -> Result<&'a str, Response> {
    match form.get(key).map(|s| s.trim()) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(simple(StatusCode::BAD_REQUEST, "invalid_request")),
    }
}

/// Read a form body and the fields every request of its kind must have (non-empty): the form
/// and those fields in order, or the answer to give (400 `invalid_request`, or the form's error).
pub(crate) async fn form_with<const N: usize>(
    req: Request,
    keys: [&str; N],
) -> Result<(std::collections::HashMap<String, String>, [String; N]), Response> {
    let form = read_form(req).await.map_err(form_error)?;
    let mut values: [String; N] = std::array::from_fn(|_| String::new());
    for (v, k) in values.iter_mut().zip(keys) {
        *v = required(&form, k)?.to_string();
    }
    Ok((form, values))
}

pub(crate) fn token_body(access: String, refresh: String, ttl: u64) -> Response {
    (
        StatusCode::OK,
        Json(json!({
            "access_token": access,
            "expires_in": ttl,
            "refresh_token": refresh,
            "token_type": "bearer",
        })),
    )
        .into_response()
}

/// `POST /v2/auth/device/code`
pub async fn device_code(State(st): State<AppState>, req: Request) -> Result<Response, Response> {
    let platypus = header_str(req.headers(), "x-client-platypus-enabled")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let (form, [client_id, secret]) = form_with(req, ["client_id", "client_secret"]).await?;
    if client_id.contains('@') || client_id.len() > 200 {
        return Err(simple(StatusCode::BAD_REQUEST, "invalid_request"));
    }
    if let Some(scope) = form.get("scope")
        && scope
            .split_whitespace()
            .any(|s| s != "asset_create" && s != "offline")
    {
        return Err(simple(StatusCode::BAD_REQUEST, "invalid_scope"));
    }
    let mut w = st.world();
    let Some(model) = w.model_by_secret(&secret).cloned() else {
        return Err(simple(StatusCode::BAD_REQUEST, "invalid_client"));
    };
    let now = Instant::now();
    w.codes
        .retain(|_, c| c.expires_at + Duration::from_secs(600) > now);
    let device_code = w.secret(24);
    let user_code = w.new_user_code();
    let ttl = w.settings.code_ttl_secs;
    let interval = w.settings.poll_interval_secs;
    let qr = platypus && w.settings.qr_pairing_enabled;
    w.codes.insert(
        device_code.clone(),
        PendingCode {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            client_id: client_id.clone(),
            model_id: model.id,
            expires_at: now + Duration::from_secs(ttl),
            interval,
            last_poll: None,
            approval: None,
        },
    );
    let short: String = client_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(6)
        .collect();
    let mut body = json!({
        "device_code": device_code,
        "user_code": user_code,
        "expires_in": ttl,
        "interval": interval,
        "name": format!("Takeup-{}", short.to_uppercase()),
    });
    if qr {
        body["verification_uri"] = json!(format!("{}/pair", st.api_base));
        body["verification_uri_complete"] =
            json!(format!("{}/pair?code={}", st.api_base, user_code));
    }
    Ok(Json(body).into_response())
}

/// `POST /v2/auth/token`: device-code polling and refresh.
pub async fn token(State(st): State<AppState>, req: Request) -> Result<Response, Response> {
    let version = header_str(req.headers(), CLIENT_VERSION)
        .unwrap_or("0.0.0")
        .to_string();
    let (form, [client_id, secret, grant]) =
        form_with(req, ["client_id", "client_secret", "grant_type"]).await?;
    let mut w = st.world();
    let Some(model) = w.model_by_secret(&secret).cloned() else {
        return Err(simple(StatusCode::BAD_REQUEST, "invalid_client"));
    };
    Ok(match grant.as_str() {
        "urn:ietf:params:oauth:grant-type:device_code" => {
            let device_code = required(&form, "device_code")?.to_string();
            poll_device_code(&mut w, &client_id, model.id, &device_code, &version)
        }
        "refresh_token" => {
            let rt = required(&form, "refresh_token")?.to_string();
            refresh(&mut w, &client_id, &rt)
        }
        _ => simple(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    })
}

fn poll_device_code(
    w: &mut World,
    client_id: &str,
    model_id: uuid::Uuid,
    device_code: &str,
    version: &str,
) -> Response {
    let now = Instant::now();
    let Some(code) = w.codes.get_mut(device_code) else {
        return simple(StatusCode::BAD_REQUEST, "invalid_grant");
    };
    if code.client_id != client_id || code.model_id != model_id {
        return simple(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    if now >= code.expires_at {
        return simple(StatusCode::BAD_REQUEST, "expired_token");
    }
    if let Some(last) = code.last_poll {
        // 250 ms of slack for scheduling jitter on the client side.
        let min = Duration::from_secs(code.interval).saturating_sub(Duration::from_millis(250));
        if now.duration_since(last) < min {
            code.interval += 5;
            code.last_poll = Some(now);
            return simple(StatusCode::BAD_REQUEST, "slow_down");
        }
    }
    code.last_poll = Some(now);
    let Some(approval) = code.approval.clone() else {
        return simple(StatusCode::BAD_REQUEST, "authorization_pending");
    };
    let user_code = code.user_code.clone();
    w.codes.remove(device_code);
    let channel_id = Uuid::new_v4();
    let short: String = client_id
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(6)
        .collect();
    let device = w.devices.entry(client_id.to_string()).or_insert_with(|| {
        let name = format!("Takeup-{}", short.to_uppercase());
        let (id, kind) = (Uuid::new_v4(), DeviceKind::Hardware);
        Device::new(id, client_id, name, model_id, version, channel_id, kind)
    });
    device.forgotten = false;
    device.project_id = approval.project_id;
    device.last_seen_at = Some(Utc::now());
    device.firmware_version = version.to_string();
    tracing::info!(client_id, user_code, "device paired");
    w.revoke_device_tokens(client_id);
    let (a, r, ttl) = w.issue_tokens(client_id, TokenKind::Device);
    token_body(a, r, ttl)
}

/// Why a refresh token was refused.
pub(crate) enum RefreshRefused {
    /// Unknown, another client's, or another flow's token.
    Unknown,
    /// The device was forgotten or the refresh token expired.
    Revoked,
    /// Rotated away already (and outside the optional grace).
    Spent,
}

/// Rotate `rt` of device `client_id` (kind `kind`): every live token of the device dies, a new
/// pair is issued. The spent refresh tokens stay known so a re-use is recognised as such.
pub(crate) fn rotate(
    w: &mut World,
    client_id: &str,
    rt: &str,
    kind: TokenKind,
) -> Result<(String, String, u64), RefreshRefused> {
    let now = Instant::now();
    let grace = w.settings.previous_refresh_grace_secs;
    let Some(entry) = w.refresh.get(rt).cloned() else {
        return Err(RefreshRefused::Unknown);
    };
    if entry.client_id != client_id || entry.kind != kind {
        return Err(RefreshRefused::Unknown);
    }
    let forgotten = w.devices.get(client_id).is_none_or(|d| d.forgotten);
    if forgotten || now >= entry.expires_at {
        return Err(RefreshRefused::Revoked);
    }
    if let Some(spent) = entry.spent_at {
        let within_grace =
            grace.is_some_and(|g| now.duration_since(spent) < Duration::from_secs(g));
        if !within_grace || entry.successor_used_grace {
            return Err(RefreshRefused::Spent);
        }
        if let Some(e) = w.refresh.get_mut(rt) {
            e.successor_used_grace = true;
        }
    }
    w.access.retain(|_, t| t.client_id != client_id);
    for t in w.refresh.values_mut() {
        if t.client_id == client_id && t.spent_at.is_none() {
            t.spent_at = Some(now);
        }
    }
    if let Some(e) = w.refresh.get_mut(rt)
        && e.spent_at.is_none()
    {
        e.spent_at = Some(now);
    }
    Ok(w.issue_tokens(client_id, kind))
}

fn refresh(w: &mut World, client_id: &str, rt: &str) -> Response {
    match rotate(w, client_id, rt, TokenKind::Device) {
        Ok((a, r, ttl)) => token_body(a, r, ttl),
        Err(RefreshRefused::Unknown) => simple(StatusCode::BAD_REQUEST, "invalid_grant"),
        Err(RefreshRefused::Revoked) => not_authorized(),
        Err(RefreshRefused::Spent) => simple(StatusCode::BAD_REQUEST, "invalid_request"),
    }
}

/// `POST /v2/auth/revoke`
pub async fn revoke(State(st): State<AppState>, req: Request) -> Result<Response, Response> {
    let (_, [client_id, secret, token]) =
        form_with(req, ["client_id", "client_secret", "token"]).await?;
    let mut w = st.world();
    if w.model_by_secret(&secret).is_none() {
        return Err(simple(StatusCode::BAD_REQUEST, "invalid_client"));
    }
    let owner = w
        .access
        .get(&token)
        .map(|t| t.client_id.clone())
        .or_else(|| w.refresh.get(&token).map(|t| t.client_id.clone()));
    if owner.as_deref() == Some(client_id.as_str()) {
        w.revoke_device_tokens(&client_id);
    }
    Ok(Json(json!({ "success": true })).into_response())
}

/// What an endpoint needs from a token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// The device endpoints (`/v2/devices/me`, assets, real-time parts, heartbeat, socket):
    /// every token.
    Device,
    /// The connection manager (`/v2/me`, accounts, projects, connect, disconnect): application
    /// tokens only, unless scopes are lenient.
    Manager,
}

/// The answer to a call its token may not make (`scope_refusal_status`: 401 or 403).
fn out_of_scope(status: u16) -> Response {
    if status == 403 {
        detailed(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This authorization does not allow access to that resource",
        )
    } else {
        not_authorized()
    }
}

/// Resolve the bearer token to a device (not forgotten), check the token's scope for `need`,
/// apply the rate limit and note the call.
pub fn authorize(st: &AppState, headers: &HeaderMap, need: Need) -> Result<String, Response> {
    let token = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .ok_or_else(not_authorized)?;
    let version = header_str(headers, CLIENT_VERSION).unwrap_or("0.0.0");
    let mut w = st.world();
    let (client_id, kind) = match w.access.get(token) {
        Some(t) if Instant::now() < t.expires_at => (t.client_id.clone(), t.kind),
        _ => return Err(not_authorized()),
    };
    match w.devices.get_mut(&client_id) {
        Some(d) if !d.forgotten => {
            d.last_seen_at = Some(Utc::now());
            d.firmware_version = version.to_string();
        }
        _ => return Err(not_authorized()),
    }
    if need == Need::Manager && kind == TokenKind::Device && w.settings.strict_scopes {
        return Err(out_of_scope(w.settings.scope_refusal_status));
    }
    if !w.rate_limit_ok(token) {
        return Err(respond::too_many_requests(Some(1)));
    }
    Ok(client_id)
}

fn device_json(w: &World, d: &Device) -> Value {
    let project = d
        .project_id
        .and_then(|id| w.project(id))
        .map(|(_, p)| json!({ "_type": "project", "id": p.id, "name": p.name }));
    json!({
        "_type": "project_device",
        "id": d.id,
        "device_id": d.device_id,
        "name": d.name,
        "asset_type": "video",
        "status": d.status(),
        "timezone": "UTC",
        "last_seen_at": d.last_seen_at,
        "last_known_firmware_version": d.firmware_version,
        "project_id": d.project_id,
        "project": project,
        "authorization": {
            "_type": "project_device_authorization",
            "id": d.id,
            "expires_at": null,
            "creator": { "_type": "user", "id": w.user.id, "name": w.user.name },
            "scopes": { "asset_create": true, "offline": true },
        },
        "channels": crate::notes::channels_json(d),
    })
}

/// `GET /v2/devices/me`
pub async fn devices_me(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let client_id = authorize(&st, &headers, Need::Device)?;
    let w = st.world();
    let Some(d) = w.devices.get(&client_id) else {
        return Err(not_authorized());
    };
    Ok(Json(device_json(&w, d)).into_response())
}

/// `GET /v2/me`
pub async fn me(State(st): State<AppState>, headers: HeaderMap) -> Result<Response, Response> {
    authorize(&st, &headers, Need::Manager)?;
    let w = st.world();
    let u = &w.user;
    let image = |size: u32| format!("{}/avatars/{}/{size}.svg", st.api_base, u.id);
    Ok(Json(json!({
        "_type": "user",
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "account_id": u.account_id,
        "image_32": image(32),
        "image_64": image(64),
        "image_128": image(128),
        "image_256": image(256),
        "profile_image": image(256),
        "timezone_value": "UTC",
    }))
    .into_response())
}

/// `GET /avatars/{user}/{size}.svg`: a small generated avatar so the apps have an image to load.
pub async fn avatar(State(st): State<AppState>) -> Response {
    let initials: String = st
        .world()
        .user
        .name
        .split_whitespace()
        .filter_map(|p| p.chars().next())
        .take(2)
        .collect();
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 64 64\"><circle cx=\"32\" cy=\"32\" r=\"32\" fill=\"#5b53ff\"/><text x=\"32\" y=\"41\" font-size=\"26\" text-anchor=\"middle\" fill=\"#fff\" font-family=\"sans-serif\">{initials}</text></svg>"
    );
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

/// `GET /v2/devices/accounts`: accounts where C2C is usable (empty: "no C2C-enabled accounts").
pub async fn accounts(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    authorize(&st, &headers, Need::Manager)?;
    let w = st.world();
    let list: Vec<Value> = w
        .accounts
        .iter()
        .filter(|a| a.c2c_enabled)
        .map(|a| json!({ "_type": "account", "id": a.id, "display_name": a.display_name }))
        .collect();
    Ok(Json(list).into_response())
}

/// `GET /v2/devices/accounts/{account_id}/projects`
pub async fn projects(
    State(st): State<AppState>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    authorize(&st, &headers, Need::Manager)?;
    let Ok(account_id) = account_id.parse::<Uuid>() else {
        return Err(not_found("No account with that id"));
    };
    let w = st.world();
    let Some(account) = w.accounts.iter().find(|a| a.id == account_id) else {
        return Err(not_found("No account with that id"));
    };
    if !account.c2c_enabled {
        return Err(detailed(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Camera to Cloud is not enabled for this account",
        ));
    }
    let list: Vec<Value> = account
        .projects
        .iter()
        .map(|p| json!({ "_type": "project", "id": p.id, "name": p.name }))
        .collect();
    Ok(Json(list).into_response())
}

#[derive(Deserialize)]
pub struct ConnectQuery {
    project_id: Option<String>,
}

/// `POST /v2/devices/connect?project_id=...`
pub async fn connect(
    State(st): State<AppState>,
    Query(q): Query<ConnectQuery>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let client_id = authorize(&st, &headers, Need::Manager)?;
    let Some(Ok(project_id)) = q.project_id.as_deref().map(str::parse::<Uuid>) else {
        return Err(bad_request("project_id must be a UUID"));
    };
    let mut w = st.world();
    match w.project(project_id) {
        None => return Err(not_found("No project with that id")),
        Some((a, _)) if !a.c2c_enabled => {
            return Err(detailed(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "Camera to Cloud is not enabled for this account",
            ));
        }
        Some(_) => {}
    }
    if let Some(d) = w.devices.get_mut(&client_id) {
        d.project_id = Some(project_id);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v2/devices/disconnect`
pub async fn disconnect(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let client_id = authorize(&st, &headers, Need::Manager)?;
    if let Some(d) = st.world().devices.get_mut(&client_id) {
        d.project_id = None;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v2/devices/heartbeat`
pub async fn heartbeat(State(st): State<AppState>, headers: HeaderMap) -> Response {
    match authorize(&st, &headers, Need::Device) {
        Ok(_) => StatusCode::NO_CONTENT.into_response(),
        Err(r) => r,
    }
}

pub async fn health() -> Response {
    Json(json!({ "ok": true })).into_response()
}

/// Build a presigned-style URL for a part. The signature covers the path, the signing time, the
/// lifetime, the Content-Type, the ACL and the host, like a SigV4 presigned PUT.
pub fn part_url(
    w: &World,
    s3_base: &str,
    asset: &Asset,
    number: u32,
    part_count: Option<usize>,
) -> String {
    let now = Utc::now();
    let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
    let ttl = w.settings.url_ttl_secs;
    let host = s3_base.trim_start_matches("https://");
    let path = format!("/parts/{}/{}", asset.id, number);
    let sig = sign(
        &w.url_key,
        &path,
        &amz_date,
        ttl,
        &asset.filetype,
        "private",
        host,
    );
    let mut url = format!(
        "{s3_base}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=TAKEUPEMULATOR%2F{}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={amz_date}&X-Amz-Expires={ttl}&X-Amz-SignedHeaders=content-type%3Bhost%3Bx-amz-acl&x-amz-meta-asset_id={}&x-amz-meta-part_number={number}",
        now.format("%Y%m%d"),
        asset.id
    );
    if let Some(n) = part_count {
        url.push_str(&format!("&x-amz-meta-part_count={n}"));
    }
    url.push_str(&format!("&X-Amz-Signature={sig}"));
    url
}

pub fn sign(
    key: &[u8],
    path: &str,
    amz_date: &str,
    ttl: u64,
    content_type: &str,
    acl: &str,
    host: &str,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(format!("PUT\n{path}\n{amz_date}\n{ttl}\n{content_type}\n{acl}\n{host}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn field_u64(v: &Value, key: &str) -> Result<Option<u64>, Response> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_u64()
            .map(Some)
            .ok_or_else(|| bad_request(&format!("{key} must be a non-negative integer"))),
        Some(_) => Err(bad_request(&format!("{key} must be an integer"))),
    }
}

fn field_str<'a>(v: &'a Value, key: &str) -> Result<Option<&'a str>, Response> {
    match v.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(bad_request(&format!("{key} must be a string"))),
    }
}

/// The top-level media types of RFC 6838 §4.2 (plus `haptics`, registered later).
const TOP_LEVEL_TYPES: [&str; 10] = [
    "application",
    "audio",
    "font",
    "haptics",
    "image",
    "message",
    "model",
    "multipart",
    "text",
    "video",
];

/// Emulator choice (§6.1 says "MIME type"; §8 "any file type can be an asset"): a well-formed
/// `type/subtype` (RFC 6838 restricted names, no parameters) with a registered top-level type is
/// accepted whether or not the subtype is known (`application/octet-stream`,
/// `video/x-unknown`); anything else is 400.
pub fn valid_mime(s: &str) -> bool {
    let Some((a, b)) = s.split_once('/') else {
        return false;
    };
    let ok = |p: &str| {
        (1..=127).contains(&p.len())
            && p.starts_with(|c: char| c.is_ascii_alphanumeric())
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
    };
    ok(a) && ok(b) && TOP_LEVEL_TYPES.contains(&a.to_ascii_lowercase().as_str())
}

/// Emulator choice for "a name with an extension" (§7, unconfirmed): a non-empty stem, a dot,
/// then 1–16 ASCII letters or digits (`A001.mov` yes; `CLIP`, `CLIP.`, `.hidden`, `a.b c` no).
pub fn has_extension(name: &str) -> bool {
    match name.trim().rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.trim().is_empty()
                && (1..=16).contains(&ext.len())
                && ext.chars().all(|c| c.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// The `extension` field of a real-time asset: `.` and 1–16 ASCII letters or digits.
fn valid_extension(ext: &str) -> bool {
    ext.strip_prefix('.').is_some_and(|e| {
        (1..=16).contains(&e.len()) && e.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// `POST /v2/devices/assets` (and the legacy `POST /v2/assets`).
pub async fn create_asset(State(st): State<AppState>, req: Request) -> Result<Response, Response> {
    let client_id = authorize(&st, req.headers(), Need::Device)?;
    let (body, was_form) = read_json_or_form(req, true).await?;
    if !body.is_object() {
        return Err(bad_request("body must be an object"));
    }
    let realtime = match body.get("is_realtime_upload") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad_request("is_realtime_upload must be a boolean")),
    };
    if realtime && was_form {
        return Err(bad_request("real-time assets take JSON only"));
    }
    let parsed = (|| {
        let filetype = field_str(&body, "filetype")?
            .ok_or_else(|| bad_request("filetype is required"))?
            .to_string();
        if !valid_mime(&filetype) {
            return Err(bad_request("filetype must be a MIME type"));
        }
        let name = field_str(&body, "name")?.map(str::to_string);
        let extension = field_str(&body, "extension")?.map(str::to_string);
        let filesize = field_u64(&body, "filesize")?;
        let offset = match body.get("offset") {
            None | Some(Value::Null) => 0.0,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
            Some(_) => return Err(bad_request("offset must be a number")),
        };
        let channel = field_u64(&body, "channel")?.unwrap_or(0);
        let parts = field_u64(&body, "parts")?;
        let version_of = match field_str(&body, "auto_version_id")? {
            None => None,
            Some(v) => Some(
                Uuid::parse_str(v)
                    .map_err(|_| bad_request("auto_version_id must be an asset id (UUID)"))?,
            ),
        };
        Ok((
            filetype, name, extension, filesize, offset, channel, parts, version_of,
        ))
    })();
    let (filetype, name, extension, filesize, offset, channel, parts, version_of) = parsed?;
    if channel > 100 {
        return Err(bad_request("channel must be within 0..=100"));
    }
    if !offset.is_finite() || offset.abs() > 10.0 * 365.0 * 86400.0 {
        return Err(bad_request("offset is out of range"));
    }
    if extension.is_some() && !realtime {
        return Err(bad_request(
            "extension is only accepted for real-time assets",
        ));
    }
    if let Some(ext) = &extension
        && !valid_extension(ext)
    {
        return Err(bad_request("extension must look like .xxx"));
    }
    let name = match (realtime, name, extension) {
        (_, Some(n), _) if !n.trim().is_empty() && n.len() <= 1024 => n,
        (_, Some(n), _) if n.len() > 1024 => return Err(bad_request("name is too long")),
        (true, _, Some(ext)) => format!("[new file]{ext}"),
        _ => return Err(bad_request("name is required")),
    };
    // §7: "name needs an extension, or send extension" (the name wins when both are sent).
    if realtime && !has_extension(&name) {
        return Err(bad_request(
            "a real-time asset name needs an extension (or send only extension)",
        ));
    }
    let part_bytes = st.world().settings.standard_part_bytes;
    let sizes = if realtime {
        if filesize.is_some() {
            return Err(bad_request("filesize is not accepted for real-time assets"));
        }
        None
    } else {
        let Some(size) = filesize else {
            return Err(bad_request("filesize is required"));
        };
        if size > MAX_OBJECT {
            return Err(bad_request("filesize exceeds 5 TiB"));
        }
        match plan_parts(size, parts, part_bytes) {
            Ok(s) => Some(s),
            Err(e) => return Err(bad_request(&e)),
        }
    };

    let mut w = st.world();
    let Some(device) = w.devices.get(&client_id) else {
        return Err(not_authorized());
    };
    let Some(project_id) = device.project_id else {
        return Err(detailed(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This device is not connected to a project",
        ));
    };
    let now = Utc::now();
    let media_created_at =
        now - chrono::Duration::milliseconds((offset.abs() * 1000.0).round() as i64);
    // §8 (partly unconfirmed): a channel is known by its `external_index`; an index the device
    // has no channel for is refused rather than uploaded into a lane nobody declared.
    if channel != 0 && !device.channels.contains_key(&(channel as u32)) {
        return Err(bad_request(&format!(
            "channel {channel} is not connected to this device"
        )));
    }
    if device.channel_paused_at(channel as u32, media_created_at) {
        return Err(detailed(
            StatusCode::CONFLICT,
            "Channel Paused",
            "The channel you're uploading from is currently paused.",
        ));
    }
    if let Some(v) = version_of
        && w.assets.get(&v).is_none_or(|a| a.project_id != project_id)
    {
        return Err(detailed(
            StatusCode::NOT_FOUND,
            "Not Found",
            "The asset to version (auto_version_id) does not exist in this project",
        ));
    }
    let poison = w.poisoned.get(&name).copied();
    if poison == Some(PoisonMode::RejectCreate) {
        return Err(bad_request(
            "This media cannot be processed (poisoned by the emulator)",
        ));
    }
    let mut asset = Asset {
        id: Uuid::new_v4(),
        name: name.clone(),
        filetype: filetype.clone(),
        filesize,
        offset,
        channel: channel as u32,
        realtime,
        client_id,
        project_id,
        created_at: now,
        media_created_at,
        parts: Default::default(),
        asset_filesize: None,
        poison,
        completed_at: None,
        version_of,
    };
    if realtime {
        let body = json!({ "id": asset.id, "name": asset.name });
        w.assets.insert(asset.id, asset);
        return Err(Json(body).into_response());
    }
    let sizes = sizes.unwrap_or_default();
    let count = sizes.len();
    for (i, size) in sizes.into_iter().enumerate() {
        let number = i as u32 + 1;
        asset.parts.insert(
            number,
            Part {
                number,
                size,
                is_final: number as usize == count,
                received_count: 0,
                sha256: None,
            },
        );
    }
    let urls: Vec<String> = (1..=count as u32)
        .map(|n| part_url(&w, &st.s3_base, &asset, n, Some(count)))
        .collect();
    let body = json!({
        "_type": "file",
        "id": asset.id,
        "name": asset.name,
        "filetype": asset.filetype,
        "filesize": asset.filesize,
        "project_id": project_id,
        "parent_id": Uuid::new_v5(&Uuid::NAMESPACE_OID, project_id.as_bytes()),
        "status": "created",
        "upload_completed_at": null,
        "inserted_at": now,
        "upload_urls": urls,
    });
    w.assets.insert(asset.id, asset);
    Ok(Json(body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RtPart {
    number: u64,
    size: u64,
    #[serde(default)]
    is_final: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RtParts {
    parts: Vec<RtPart>,
    #[serde(default)]
    asset_filesize: Option<u64>,
    #[serde(default)]
    asset_name: Option<String>,
}

/// `POST /v2/devices/assets/{asset_id}/realtime_upload/parts`
pub async fn realtime_parts(
    State(st): State<AppState>,
    Path(asset_id): Path<String>,
    req: Request,
) -> Result<Response, Response> {
    let client_id = authorize(&st, req.headers(), Need::Device)?;
    let (body, _) = read_json_or_form(req, false).await?;
    let body: RtParts = match serde_json::from_value(body) {
        Ok(b) => b,
        Err(e) => return Err(bad_request(&format!("invalid parts request: {e}"))),
    };
    let Ok(asset_id) = asset_id.parse::<Uuid>() else {
        return Err(not_found("No asset with that id"));
    };
    if body.parts.is_empty() || body.parts.len() > 1000 {
        return Err(bad_request("parts must list 1 to 1000 parts"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut finals = 0;
    for p in &body.parts {
        if p.number == 0 || p.number > MAX_PARTS {
            return Err(bad_request("part number must be within 1..=10000"));
        }
        if !seen.insert(p.number) {
            return Err(bad_request("a part number is listed twice"));
        }
        if p.size > MAX_PART {
            return Err(bad_request("a part may not exceed 5 GiB"));
        }
        if !p.is_final && p.size < MIN_PART {
            return Err(bad_request("a non-final part must be at least 5 MiB"));
        }
        if p.is_final {
            finals += 1;
        }
    }
    if finals > 1 {
        return Err(bad_request("only one part can be final"));
    }
    if finals == 1 {
        match body.asset_filesize {
            Some(s) if (1..=MAX_OBJECT).contains(&s) => {}
            Some(_) => return Err(bad_request("asset_filesize must be within 1..=5 TiB")),
            None => {
                return Err(bad_request(
                    "asset_filesize is required with the final part",
                ));
            }
        }
    }
    let s3_base = st.s3_base.clone();
    let mut w = st.world();
    let Some(asset) = w.assets.get(&asset_id) else {
        return Err(not_found("No asset with that id"));
    };
    if asset.client_id != client_id || !asset.realtime {
        return Err(not_found("No real-time asset with that id"));
    }
    if asset.completed_at.is_some() {
        return Err(bad_request("the asset is already complete"));
    }
    let existing_final = asset.parts.values().find(|p| p.is_final).map(|p| p.number);
    for p in &body.parts {
        let n = p.number as u32;
        if p.is_final && existing_final.is_some_and(|f| f != n) {
            return Err(bad_request("the asset already has a final part"));
        }
        if let Some(old) = asset.parts.get(&n)
            && old.received_count > 0
            && (old.size != p.size || old.is_final != p.is_final)
        {
            return Err(bad_request("a received part cannot change its size"));
        }
        if let Some(f) = existing_final
            && !p.is_final
            && n > f
        {
            return Err(bad_request("no part can follow the final part"));
        }
    }
    let asset = w.assets.get_mut(&asset_id).expect("checked above");
    for p in &body.parts {
        let n = p.number as u32;
        let received = asset
            .parts
            .get(&n)
            .map(|o| (o.received_count, o.sha256.clone()));
        let (received_count, sha256) = received.unwrap_or((0, None));
        asset.parts.insert(
            n,
            Part {
                number: n,
                size: p.size,
                is_final: p.is_final,
                received_count,
                sha256,
            },
        );
    }
    if finals == 1 {
        asset.asset_filesize = body.asset_filesize;
        if let Some(name) = body.asset_name.filter(|n| !n.trim().is_empty())
            && asset.name.starts_with("[new file]")
        {
            asset.name = name;
        }
    }
    if asset.is_complete() && asset.completed_at.is_none() {
        asset.completed_at = Some(Utc::now());
    }
    let asset = w.assets.get(&asset_id).expect("checked above");
    let urls: Vec<String> = body
        .parts
        .iter()
        .map(|p| part_url(&w, &s3_base, asset, p.number as u32, None))
        .collect();
    Ok(Json(json!({ "upload_urls": urls })).into_response())
}

/// Approve a pending user code: bind the device to `project_id`, or leave it unconnected.
pub fn approve(w: &mut World, user_code: &str, approval: Approval) -> Result<String, Response> {
    let now = Instant::now();
    let code = w
        .codes
        .values_mut()
        .find(|c| c.user_code == user_code)
        .ok_or_else(|| not_found("No pending pairing with that code"))?;
    if now >= code.expires_at {
        return Err(detailed(
            StatusCode::GONE,
            "Gone",
            "That code has expired; request a new one on the device",
        ));
    }
    code.approval = Some(approval);
    Ok(code.client_id.clone())
}
