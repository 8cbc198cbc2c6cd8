//! The emulator's control API under `/_emulator/` (not part of Frame.io's API): approve codes,
//! turn knobs, pause/resume/forget the device, rename projects, poison names, inject faults and
//! inspect what was received.

use std::io::Read;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::api;
use crate::common::AppState;
use crate::faults::{FaultRule, FaultSpec};
use crate::respond::{bad_request, not_found};
use crate::socket::DeviceEvent;
use crate::state::{Approval, Asset, PauseWindow, PoisonMode, SettingsPatch, World, pause_open};

fn ok() -> Response {
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {
    user_code: String,
    #[serde(default)]
    project_id: Option<Uuid>,
    /// Leave the device authorized but not connected to any project.
    #[serde(default)]
    no_project: bool,
}

/// `POST /_emulator/approve`
pub async fn approve(State(st): State<AppState>, Json(b): Json<ApproveBody>) -> Response {
    let mut w = st.world();
    let project_id = if b.no_project {
        None
    } else {
        match b.project_id.or_else(|| w.first_project()) {
            Some(id) if w.project(id).is_some() => Some(id),
            Some(_) => return not_found("No project with that id"),
            None => return bad_request("No C2C-enabled project to connect to"),
        }
    };
    match api::approve(&mut w, b.user_code.trim(), Approval { project_id }) {
        Ok(client_id) => {
            Json(json!({ "client_id": client_id, "project_id": project_id })).into_response()
        }
        Err(r) => r,
    }
}

/// `GET /_emulator/pending`: pairing codes waiting for approval.
pub async fn pending(State(st): State<AppState>) -> Response {
    let w = st.world();
    let now = std::time::Instant::now();
    let list: Vec<Value> = w
        .codes
        .values()
        .filter(|c| c.expires_at > now)
        .map(|c| {
            json!({
                "user_code": c.user_code,
                "client_id": c.client_id,
                "expires_in_secs": c.expires_at.duration_since(now).as_secs(),
                "interval": c.interval,
                "approved": c.approval.is_some(),
            })
        })
        .collect();
    Json(list).into_response()
}

/// `GET /_emulator/settings`
pub async fn get_settings(State(st): State<AppState>) -> Response {
    Json(st.world().settings.clone()).into_response()
}

/// `POST /_emulator/settings` with a partial settings object.
pub async fn set_settings(State(st): State<AppState>, Json(p): Json<SettingsPatch>) -> Response {
    if let Err(e) = crate::state::Settings::check(&p) {
        return bad_request(&e);
    }
    let mut w = st.world();
    w.settings.apply(p);
    Json(w.settings.clone()).into_response()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DeviceSel {
    #[serde(default)]
    client_id: Option<String>,
    /// Pause or resume one channel (its `external_index`) instead of the whole device.
    #[serde(default)]
    channel: Option<u32>,
}

/// Pause (`true`) or resume one channel of the selected devices.
fn channel_pause(st: &AppState, sel: &DeviceSel, index: u32, pause: bool) -> Response {
    let now = Utc::now();
    let mut w = st.world();
    let mut n = 0;
    for d in w.devices.values_mut() {
        if sel.client_id.as_deref().is_some_and(|c| c != d.client_id) {
            continue;
        }
        let Some(windows) = d.channel_windows_mut(index) else {
            continue;
        };
        pause_window(windows, pause, now);
        n += 1;
    }
    if n == 0 {
        return not_found("No such device or channel");
    }
    let what = if pause { "paused" } else { "resumed" };
    Json(json!({ what: n, "channel": index, "at": now })).into_response()
}

fn for_devices(
    w: &mut World,
    sel: &DeviceSel,
    mut f: impl FnMut(&mut crate::state::Device),
) -> Result<usize, Response> {
    let mut n = 0;
    for d in w.devices.values_mut() {
        if sel.client_id.as_deref().is_none_or(|c| c == d.client_id) {
            f(d);
            n += 1;
        }
    }
    if n == 0 {
        return Err(not_found("No such device"));
    }
    Ok(n)
}

/// Open a pause window at `now` (unless one is open) or close the open one; whether anything
/// changed.
fn pause_window(windows: &mut Vec<PauseWindow>, pause: bool, now: DateTime<Utc>) -> bool {
    if pause == pause_open(windows) {
        return false;
    }
    if pause {
        windows.push(PauseWindow {
            start: now,
            end: None,
        });
    } else {
        for w in windows.iter_mut().filter(|w| w.end.is_none()) {
            w.end = Some(now);
        }
    }
    true
}

/// Pause (`true`) or resume the selected devices, or one channel of them; a device whose state
/// changed tells its socket.
fn device_pause(st: &AppState, body: Option<Json<DeviceSel>>, pause: bool) -> Response {
    let sel = body.map(|b| b.0).unwrap_or_default();
    if let Some(index) = sel.channel {
        return channel_pause(st, &sel, index, pause);
    }
    let now = Utc::now();
    let mut changed = Vec::new();
    let n = match for_devices(&mut st.world(), &sel, |d| {
        d.paused = pause;
        if pause_window(&mut d.pause_windows, pause, now) {
            changed.push(d.client_id.clone());
        }
    }) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let status = if pause { "paused" } else { "online" };
    for client_id in changed {
        let _ = st.events.send(DeviceEvent::Status { client_id, status });
    }
    let what = if pause { "paused" } else { "resumed" };
    Json(json!({ what: n, "at": now })).into_response()
}

/// `POST /_emulator/device/pause`: media created from now on is refused with 409 Channel Paused.
pub async fn pause(State(st): State<AppState>, body: Option<Json<DeviceSel>>) -> Response {
    device_pause(&st, body, true)
}

/// `POST /_emulator/device/resume`
pub async fn resume(State(st): State<AppState>, body: Option<Json<DeviceSel>>) -> Response {
    device_pause(&st, body, false)
}

/// `POST /_emulator/device/forget`: as "Forget device" in the C2C Connections tab.
pub async fn forget(State(st): State<AppState>, body: Option<Json<DeviceSel>>) -> Response {
    let sel = body.map(|b| b.0).unwrap_or_default();
    let mut w = st.world();
    let mut forgotten = Vec::new();
    if let Err(r) = for_devices(&mut w, &sel, |d| {
        d.forgotten = true;
        d.project_id = None;
        forgotten.push(d.client_id.clone());
    }) {
        return r;
    }
    for c in &forgotten {
        // Access tokens die; refresh tokens stay known so a refresh answers 401, not 400.
        w.access.retain(|_, t| &t.client_id != c);
        let _ = st.events.send(DeviceEvent::Forgotten {
            client_id: c.clone(),
        });
    }
    Json(json!({ "forgotten": forgotten.len() })).into_response()
}

/// `GET /_emulator/devices`
pub async fn devices(State(st): State<AppState>) -> Response {
    let w = st.world();
    let list: Vec<Value> = w
        .devices
        .values()
        .map(|d| {
            json!({
                "client_id": d.client_id,
                "id": d.id,
                "name": d.name,
                "status": d.status(),
                "project_id": d.project_id,
                "forgotten": d.forgotten,
                "firmware_version": d.firmware_version,
                "last_seen_at": d.last_seen_at,
                "pause_windows": d.pause_windows,
            })
        })
        .collect();
    Json(list).into_response()
}

/// `GET /_emulator/world`: accounts, projects, the user and the device models.
pub async fn world(State(st): State<AppState>) -> Response {
    let w = st.world();
    Json(json!({
        "accounts": w.accounts,
        "user": w.user,
        "device_models": w.models,
        "seed": w.seed,
        "api_base": *st.api_base,
        "s3_base": *st.s3_base,
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameBody {
    name: String,
}

/// `POST /_emulator/projects/{id}/rename`
pub async fn rename_project(
    State(st): State<AppState>,
    Path(id): Path<Uuid>,
    Json(b): Json<RenameBody>,
) -> Response {
    if b.name.trim().is_empty() {
        return bad_request("name must not be empty");
    }
    let mut w = st.world();
    for a in w.accounts.iter_mut() {
        if let Some(p) = a.projects.iter_mut().find(|p| p.id == id) {
            p.name = b.name;
            return ok();
        }
    }
    not_found("No project with that id")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct C2cBody {
    enabled: bool,
    #[serde(default)]
    account_id: Option<Uuid>,
}

/// `POST /_emulator/accounts/c2c`: turn C2C on/off for one or all accounts.
pub async fn set_c2c(State(st): State<AppState>, Json(b): Json<C2cBody>) -> Response {
    let mut w = st.world();
    let mut n = 0;
    for a in w.accounts.iter_mut() {
        if b.account_id.is_none_or(|id| id == a.id) {
            a.c2c_enabled = b.enabled;
            n += 1;
        }
    }
    if n == 0 {
        return not_found("No account with that id");
    }
    ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoisonBody {
    name: String,
    #[serde(default = "default_poison")]
    mode: PoisonMode,
}

fn default_poison() -> PoisonMode {
    PoisonMode::FailParts
}

/// `POST /_emulator/poison`: every asset with this name always fails.
pub async fn poison(State(st): State<AppState>, Json(b): Json<PoisonBody>) -> Response {
    let mut w = st.world();
    for a in w.assets.values_mut().filter(|a| a.name == b.name) {
        a.poison = Some(b.mode);
    }
    w.poisoned.insert(b.name, b.mode);
    ok()
}

/// `POST /_emulator/faults`: add a rule; answers its id.
pub async fn add_fault(State(st): State<AppState>, Json(spec): Json<FaultSpec>) -> Response {
    let mut w = st.world();
    let id = w.next_fault_id;
    match FaultRule::from_spec(id, spec) {
        Ok(rule) => {
            w.next_fault_id += 1;
            w.faults.push(rule);
            Json(json!({ "id": id })).into_response()
        }
        Err(e) => bad_request(&e),
    }
}

/// `GET /_emulator/faults`: the rules with how often each matched and fired.
pub async fn list_faults(State(st): State<AppState>) -> Response {
    Json(st.world().faults.clone()).into_response()
}

/// `DELETE /_emulator/faults`
pub async fn clear_faults(State(st): State<AppState>) -> Response {
    st.world().faults.clear();
    ok()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedBody {
    seed: u64,
}

/// `POST /_emulator/seed`: restart the fault RNG from this seed.
pub async fn seed(State(st): State<AppState>, Json(b): Json<SeedBody>) -> Response {
    st.world().reseed(b.seed);
    ok()
}

#[derive(Serialize)]
struct AssetReport {
    #[serde(flatten)]
    asset: Asset,
    complete: bool,
    received_bytes: u64,
    /// sha256 of the assembled bytes, when complete.
    sha256: Option<String>,
    /// Total PUTs that stored a part (a part sent twice counts twice).
    stored_puts: u64,
}

fn report(asset: &Asset) -> AssetReport {
    AssetReport {
        complete: asset.is_complete(),
        received_bytes: asset.received_bytes(),
        sha256: None,
        stored_puts: asset
            .parts
            .values()
            .map(|p| u64::from(p.received_count))
            .sum(),
        asset: asset.clone(),
    }
}

/// `GET /_emulator/assets`
pub async fn assets(State(st): State<AppState>) -> Response {
    let w = st.world();
    let mut list: Vec<AssetReport> = w.assets.values().map(report).collect();
    list.sort_by_key(|r| r.asset.created_at);
    Json(list).into_response()
}

/// `GET /_emulator/assets/{id}`: one asset with the sha256 of its assembled bytes when complete.
pub async fn asset(State(st): State<AppState>, Path(id): Path<Uuid>) -> Response {
    let Some(mut rep) = st.world().assets.get(&id).map(report) else {
        return not_found("No asset with that id");
    };
    if rep.complete {
        let files: Vec<_> = rep
            .asset
            .parts
            .keys()
            .map(|n| st.part_path(id, *n))
            .collect();
        let empty = rep.asset.parts.values().all(|p| p.size == 0);
        let digest = tokio::task::spawn_blocking(move || -> std::io::Result<String> {
            let mut h = Sha256::new();
            let mut buf = vec![0u8; 1 << 20];
            for f in files {
                if empty && !f.exists() {
                    continue;
                }
                let mut file = std::fs::File::open(f)?;
                loop {
                    let n = file.read(&mut buf)?;
                    if n == 0 {
                        break;
                    }
                    h.update(&buf[..n]);
                }
            }
            Ok(hex::encode(h.finalize()))
        })
        .await;
        match digest {
            Ok(Ok(d)) => rep.sha256 = Some(d),
            _ => {
                return (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot read the stored parts",
                )
                    .into_response();
            }
        }
    }
    Json(rep).into_response()
}

#[derive(Deserialize)]
pub struct SinceQuery {
    #[serde(default)]
    since: u64,
}

/// `GET /_emulator/requests?since=SEQ`: the request log (API and S3), oldest first.
pub async fn requests(State(st): State<AppState>, Query(q): Query<SinceQuery>) -> Response {
    let w = st.world();
    let list: Vec<_> = w.log.iter().filter(|e| e.seq > q.since).cloned().collect();
    Json(list).into_response()
}

/// `GET /_emulator/stats`: read-only traffic counters since the start. `s3_body_bytes` counts
/// every request body byte the S3 listener read, whether the part was stored, refused, faulted or
/// cut mid-body (a soak run's re-sent bytes are this minus the files' sizes).
/// `s3_http2_requests` counts the S3 requests that came over HTTP/2 (offered only when the
/// emulator was started with `s3_http2`). `requests` counts
/// the API and S3 requests by route (`POST /v2/devices/assets/{id}/realtime_upload/parts`): how
/// many, the statuses the server produced (lost answers included), answers lost, connections
/// cut. `token_requests` and `assets_created` (2xx creations, answered or not) sum them up.
pub async fn stats(State(st): State<AppState>) -> Response {
    let counts = st.counts.lock().unwrap_or_else(|p| p.into_inner());
    Json(json!({
        "s3_body_bytes": st.s3_body_bytes.load(std::sync::atomic::Ordering::Relaxed),
        "s3_http2_requests": st.s3_http2_requests.load(std::sync::atomic::Ordering::Relaxed),
        "token_requests": counts.requests("POST /v2/auth/token"),
        "assets_created": counts.successes("POST /v2/devices/assets")
            + counts.successes("POST /v2/assets"),
        "requests": counts.routes(),
    }))
    .into_response()
}

/// `DELETE /_emulator/assets/{id}`: the asset is deleted on the server, as a user deletes it in
/// Frame.io: its real-time parts endpoint answers 404 and its part URLs `NoSuchUpload`; the bytes
/// received are removed.
pub async fn delete_asset(State(st): State<AppState>, Path(id): Path<Uuid>) -> Response {
    if st.world().assets.remove(&id).is_none() {
        return not_found("No asset with that id");
    }
    let dir = st.data_dir.join("parts").join(id.to_string());
    if let Err(e) = tokio::fs::remove_dir_all(&dir).await
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(%e, "cannot remove the parts of a deleted asset");
    }
    Json(json!({ "deleted": id })).into_response()
}
