//! Take logging and channels (API reference §8): comments on assets, real-time logging triggers,
//! and the channels of a device (create, disconnect one, disconnect all). Every call needs a
//! device-scope token (device-code tokens reach these), goes through the same middleware as the
//! rest of the API (rate limit, request log, fault injection) and is stored for the control API
//! (`GET /_emulator/comments`, `/_emulator/triggers`, `/_emulator/channels`).
//!
//! Emulator choices where the reference is silent (docs/emulator.md lists them):
//! - `Idempotency-Key` (a request header Frame.io does not document) is honoured on these three
//!   writes: a repeat from the same device with the same key gets the first answer again and
//!   stores nothing. Without the header every call stores a new record, as Frame.io would.
//! - Channel creation takes `client_id` (required, unique per device: a repeat is 409) and
//!   `device_model_id` (optional, the device's own model by default); the server gives the
//!   lowest free `external_index` in 1..=100.
//! - Channel 0 is the device itself and cannot be disconnected alone (400).
//! - A trigger's `start` / `duration` are SMPTE objects (`smpte_timecode` `HH:MM:SS:FF`, `;`
//!   before the frames for drop-frame, and an optional `rate` `{playback: [num, den] | "num/den",
//!   ntsc: null | "non_drop" | "drop_frame"}`); frames must be below the rate's whole frames.

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::{Need, authorize};
use crate::common::{AppState, header_str, read_json_or_form};
use crate::respond::{bad_request, detailed, not_authorized, not_found};
use crate::state::{Channel, Comment, Device, DeviceStatus, TriggerEvent, World, pause_open};

/// The highest `external_index` (§8: 0–100).
pub const MAX_CHANNEL_INDEX: u32 = 100;
/// The highest input index of a trigger (emulator choice).
pub const MAX_INPUT_INDEX: u32 = 99;
/// The longest comment text in characters (emulator choice).
pub const MAX_COMMENT_CHARS: usize = 10_000;
const IDEMPOTENCY_KEY: &str = "idempotency-key";

fn channel_status(d: &Device) -> &'static str {
    if d.status() == DeviceStatus::Online {
        "online"
    } else {
        "offline"
    }
}

fn channel_json(d: &Device, c: &Channel) -> Value {
    json!({
        "_type": "project_device_channel",
        "id": c.id,
        "external_index": c.external_index,
        "name": c.name,
        "asset_type": "audio",
        "status": channel_status(d),
        "real_time_logging_capable": true,
        "device_id": d.device_id,
        "project_device_id": d.id,
        "project_id": d.project_id,
        "inserted_at": c.inserted_at,
    })
}

/// The `channels` of `GET /v2/devices/me`: channel 0 (the device itself), then the created ones.
pub fn channels_json(d: &Device) -> Value {
    let mut list = vec![json!({
        "_type": "project_device_channel",
        "id": d.channel_id,
        "external_index": 0,
        "name": "Channel 0",
        "asset_type": "video",
        "status": channel_status(d),
        "real_time_logging_capable": true,
    })];
    list.extend(d.channels.values().map(|c| channel_json(d, c)));
    Value::Array(list)
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Response> {
    match header_str(headers, IDEMPOTENCY_KEY) {
        None => Ok(None),
        Some(k) if !k.trim().is_empty() && k.len() <= 255 => Ok(Some(k.trim().to_string())),
        Some(_) => Err(bad_request("Idempotency-Key must be 1 to 255 characters")),
    }
}

/// `Err(the answer already given)` when this device sent `key` for `route` before.
fn replay(w: &World, client_id: &str, route: &str, key: &Option<String>) -> Result<(), Response> {
    let Some(key) = key else {
        return Ok(());
    };
    match w
        .idempotent
        .get(&(client_id.to_string(), route.to_string(), key.clone()))
    {
        None => Ok(()),
        Some(Value::Null) => Err(StatusCode::NO_CONTENT.into_response()),
        Some(v) => Err(Json(v.clone()).into_response()),
    }
}

fn remember(w: &mut World, client_id: &str, route: &str, key: &Option<String>, answer: &Value) {
    if let Some(k) = key {
        w.idempotent.insert(
            (client_id.to_string(), route.to_string(), k.clone()),
            answer.clone(),
        );
    }
}

/// Read a JSON object body (JSON only: §0). An empty body is an empty object.
/// What every device write here starts with: the device (a device-scoped token), the optional
/// `Idempotency-Key` and the JSON object body; or the answer to give.
async fn device_write(
    st: &AppState,
    req: Request,
) -> Result<(String, Option<String>, serde_json::Map<String, Value>), Response> {
    let client_id = authorize(st, req.headers(), Need::Device)?;
    let key = idempotency_key(req.headers())?;
    let body = json_object(req).await?;
    Ok((client_id, key, body))
}

async fn json_object(req: Request) -> Result<serde_json::Map<String, Value>, Response> {
    let empty = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v == "0");
    if empty {
        return Ok(serde_json::Map::new());
    }
    match read_json_or_form(req, false).await? {
        (Value::Object(m), _) => Ok(m),
        _ => Err(bad_request("body must be a JSON object")),
    }
}

fn only_fields(m: &serde_json::Map<String, Value>, allowed: &[&str]) -> Result<(), Response> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(bad_request(&format!("unknown field {k:?}"))),
        None => Ok(()),
    }
}

fn connected_device<'a>(w: &'a World, client_id: &str) -> Result<&'a Device, Response> {
    let d = w.devices.get(client_id).ok_or_else(not_authorized)?;
    if d.project_id.is_none() {
        return Err(detailed(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "This device is not connected to a project",
        ));
    }
    Ok(d)
}

/// This device, to change it (a token whose device is gone is not authorized).
fn device_mut<'a>(w: &'a mut World, client_id: &str) -> Result<&'a mut Device, Response> {
    w.devices.get_mut(client_id).ok_or_else(not_authorized)
}

/// `POST /v2/devices/assets/{asset_id}/comments`: `{"text": "...", "timestamp": <frame>,
/// "duration": <frames>}` → 200 comment.
pub async fn create_comment(
    State(st): State<AppState>,
    Path(asset_id): Path<String>,
    req: Request,
) -> Result<Response, Response> {
    let (client_id, key, body) = device_write(&st, req).await?;
    only_fields(&body, &["text", "timestamp", "duration"])?;
    let text = match body.get("text") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        Some(Value::String(_)) => return Err(bad_request("text must not be empty")),
        None | Some(Value::Null) => return Err(bad_request("text is required")),
        Some(_) => return Err(bad_request("text must be a string")),
    };
    if text.chars().count() > MAX_COMMENT_CHARS {
        return Err(bad_request(&format!(
            "text is longer than {MAX_COMMENT_CHARS} characters"
        )));
    }
    let timestamp = match body.get("timestamp") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(f) if f.is_finite() && f >= 0.0 => Some(f),
            _ => return Err(bad_request("timestamp must be a frame number (>= 0)")),
        },
        Some(_) => return Err(bad_request("timestamp must be a number")),
    };
    let duration = match body.get("duration") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(
            n.as_u64()
                .ok_or_else(|| bad_request("duration must be a whole number of frames"))?,
        ),
        Some(_) => return Err(bad_request("duration must be a number")),
    };
    if duration.is_some() && timestamp.is_none() {
        return Err(bad_request("duration needs a timestamp"));
    }
    let route = format!("comment:{asset_id}");
    let mut w = st.world();
    replay(&w, &client_id, &route, &key)?;
    let project_id = connected_device(&w, &client_id)?.project_id;
    let Some(asset) = Uuid::parse_str(&asset_id)
        .ok()
        .and_then(|id| w.assets.get(&id))
        .filter(|a| Some(a.project_id) == project_id)
    else {
        return Err(not_found("No asset with that id in this project"));
    };
    let comment = Comment {
        id: Uuid::new_v4(),
        asset_id: asset.id,
        client_id: client_id.clone(),
        text,
        timestamp,
        duration,
        inserted_at: Utc::now(),
        idempotency_key: key.clone(),
    };
    let answer = json!({
        "_type": "comment",
        "id": comment.id,
        "asset_id": comment.asset_id,
        "text": comment.text,
        "timestamp": comment.timestamp,
        "duration": comment.duration,
        "owner_id": w.user.id,
        "inserted_at": comment.inserted_at,
    });
    w.comments.push(comment);
    remember(&mut w, &client_id, &route, &key, &answer);
    Ok(Json(answer).into_response())
}

/// `POST /v2/devices/channels`: `{"client_id": "...", "device_model_id": "<uuid>"}` → 200 channel.
pub async fn create_channel(
    State(st): State<AppState>,
    req: Request,
) -> Result<Response, Response> {
    let (client_id, key, body) = device_write(&st, req).await?;
    only_fields(&body, &["client_id", "device_model_id"])?;
    let channel_client = match body.get("client_id") {
        Some(Value::String(c)) if !c.trim().is_empty() && c.len() <= 128 => c.trim().to_string(),
        None | Some(Value::Null) => return Err(bad_request("client_id is required")),
        Some(_) => return Err(bad_request("client_id must be 1 to 128 characters")),
    };
    let model = match body.get("device_model_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => {
            Some(Uuid::parse_str(m).map_err(|_| bad_request("device_model_id must be a UUID"))?)
        }
        Some(_) => return Err(bad_request("device_model_id must be a string")),
    };
    let mut w = st.world();
    replay(&w, &client_id, "channel", &key)?;
    let device = connected_device(&w, &client_id)?;
    let model_id = model.unwrap_or(device.model_id);
    if model.is_some() && !w.models.iter().any(|m| m.id == model_id) {
        return Err(not_found("No device model with that id"));
    }
    if channel_client == device.client_id
        || device
            .channels
            .values()
            .any(|c| c.client_id == channel_client)
    {
        return Err(detailed(
            StatusCode::CONFLICT,
            "Conflict",
            "A channel with this client_id is already connected to this device",
        ));
    }
    let Some(index) = (1..=MAX_CHANNEL_INDEX).find(|i| !device.channels.contains_key(i)) else {
        return Err(detailed(
            StatusCode::CONFLICT,
            "Conflict",
            "This device has no free channel index (1..=100)",
        ));
    };
    let channel = Channel {
        id: Uuid::new_v4(),
        external_index: index,
        client_id: channel_client,
        device_model_id: model_id,
        name: format!("{} - Channel {index}", device.name),
        inserted_at: Utc::now(),
        pause_windows: Vec::new(),
    };
    let answer = channel_json(device, &channel);
    if let Some(d) = w.devices.get_mut(&client_id) {
        d.channels.insert(index, channel);
    }
    remember(&mut w, &client_id, "channel", &key, &answer);
    Ok(Json(answer).into_response())
}

/// `POST /v2/devices/channels/{channel_id}/disconnect` → 204.
pub async fn disconnect_channel(
    State(st): State<AppState>,
    Path(channel_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let client_id = authorize(&st, &headers, Need::Device)?;
    let mut w = st.world();
    let d = device_mut(&mut w, &client_id)?;
    let Ok(id) = Uuid::parse_str(&channel_id) else {
        return Err(not_found("No channel with that id"));
    };
    if id == d.channel_id {
        return Err(bad_request(
            "channel 0 is the device itself: disconnect the device instead (POST /v2/devices/disconnect)",
        ));
    }
    let Some(index) = d
        .channels
        .values()
        .find(|c| c.id == id)
        .map(|c| c.external_index)
    else {
        return Err(not_found("No channel with that id"));
    };
    d.channels.remove(&index);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /v2/devices/channels/disconnect`: every channel but channel 0 → 204.
pub async fn disconnect_all_channels(
    State(st): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Response> {
    let client_id = authorize(&st, &headers, Need::Device)?;
    device_mut(&mut st.world(), &client_id)?.channels.clear();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Parse a SMPTE object (see the module docs) or explain why not.
fn check_smpte(field: &str, v: &Value) -> Result<(), Response> {
    let bad = |why: &str| bad_request(&format!("{field}: {why}"));
    let Value::Object(m) = v else {
        return Err(bad("must be an object with smpte_timecode"));
    };
    if let Some(k) = m.keys().find(|k| *k != "smpte_timecode" && *k != "rate") {
        return Err(bad(&format!("unknown field {k:?}")));
    }
    let mut whole_fps: Option<u64> = None;
    match m.get("rate") {
        None | Some(Value::Null) => {}
        Some(Value::Object(r)) => {
            if let Some(k) = r.keys().find(|k| *k != "playback" && *k != "ntsc") {
                return Err(bad(&format!("rate: unknown field {k:?}")));
            }
            let (num, den) = match r.get("playback") {
                Some(Value::Array(a)) if a.len() == 2 => match (a[0].as_u64(), a[1].as_u64()) {
                    (Some(n), Some(d)) => (n, d),
                    _ => return Err(bad("rate.playback must be [numerator, denominator]")),
                },
                Some(Value::String(s)) => match s.split_once('/') {
                    Some((n, d)) => match (n.trim().parse::<u64>(), d.trim().parse::<u64>()) {
                        (Ok(n), Ok(d)) => (n, d),
                        _ => return Err(bad("rate.playback must be \"numerator/denominator\"")),
                    },
                    None => return Err(bad("rate.playback must be \"numerator/denominator\"")),
                },
                _ => return Err(bad("rate.playback is required")),
            };
            if num == 0 || den == 0 || num / den > 1000 {
                return Err(bad("rate.playback must be a positive frame rate"));
            }
            let ntsc = match r.get("ntsc") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s == "non_drop" || s == "drop_frame" => Some(s.as_str()),
                _ => {
                    return Err(bad(
                        "rate.ntsc must be null, \"non_drop\" or \"drop_frame\"",
                    ));
                }
            };
            match ntsc {
                None if !num.is_multiple_of(den) => {
                    return Err(bad("a non-NTSC rate must be a whole number of frames"));
                }
                Some(_) if den != 1001 => {
                    return Err(bad("an NTSC rate must be n/1001 (e.g. [24000, 1001])"));
                }
                _ => {}
            }
            whole_fps = Some(num.div_ceil(den));
        }
        Some(_) => return Err(bad("rate must be an object")),
    }
    let tc = match m.get("smpte_timecode") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err(bad("smpte_timecode is required")),
    };
    let fields: Vec<&str> = tc.split([':', ';']).collect();
    let parse: Vec<Option<u64>> = fields
        .iter()
        .map(|f| {
            (f.len() == 2 && f.chars().all(|c| c.is_ascii_digit()))
                .then(|| f.parse().ok())
                .flatten()
        })
        .collect();
    let [Some(h), Some(mi), Some(s), Some(fr)] = parse[..] else {
        return Err(bad("smpte_timecode must look like HH:MM:SS:FF"));
    };
    if h > 23 || mi > 59 || s > 59 || fr >= whole_fps.unwrap_or(120) {
        return Err(bad("smpte_timecode is out of range"));
    }
    Ok(())
}

/// `POST /v2/devices/channels/{channel_id}/inputs/{input_index}/trigger` → 204.
pub async fn trigger(
    State(st): State<AppState>,
    Path((channel_id, input)): Path<(String, String)>,
    req: Request,
) -> Result<Response, Response> {
    let (client_id, key, body) = device_write(&st, req).await?;
    let input: u32 = input
        .parse()
        .ok()
        .filter(|i| *i <= MAX_INPUT_INDEX)
        .ok_or_else(|| {
            bad_request(&format!(
                "input_index must be an integer in 0..={MAX_INPUT_INDEX}"
            ))
        })?;
    only_fields(&body, &["action_type", "offset", "start", "duration"])?;
    let action = match body.get("action_type") {
        None | Some(Value::Null) => "single_press".to_string(),
        Some(Value::String(a)) if a == "single_press" => a.clone(),
        Some(_) => return Err(bad_request("action_type must be \"single_press\"")),
    };
    let offset = match body.get("offset") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|o| o.unsigned_abs() <= 10 * 365 * 86_400)
            .ok_or_else(|| bad_request("offset must be a whole number of seconds"))?,
        Some(_) => return Err(bad_request("offset must be an integer")),
    };
    let smpte = |f: &str| -> Result<Option<Value>, Response> {
        match body.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => check_smpte(f, v).map(|()| Some(v.clone())),
        }
    };
    let start = smpte("start")?;
    let duration = smpte("duration")?;
    let route = format!("trigger:{channel_id}:{input}");
    let mut w = st.world();
    replay(&w, &client_id, &route, &key)?;
    let device = connected_device(&w, &client_id)?;
    let index = match Uuid::parse_str(&channel_id) {
        Ok(id) if id == device.channel_id => Some(0),
        Ok(id) => device
            .channels
            .values()
            .find(|c| c.id == id)
            .map(|c| c.external_index),
        Err(_) => None,
    };
    let Some(index) = index else {
        return Err(not_found("No channel with that id on this device"));
    };
    let Ok(channel_uuid) = Uuid::parse_str(&channel_id) else {
        return Err(not_found("No channel with that id on this device"));
    };
    w.triggers.push(TriggerEvent {
        id: Uuid::new_v4(),
        client_id: client_id.clone(),
        channel_id: channel_uuid,
        external_index: index,
        input_index: input,
        action_type: action,
        offset,
        start,
        duration,
        received_at: Utc::now(),
        idempotency_key: key.clone(),
    });
    remember(&mut w, &client_id, &route, &key, &Value::Null);
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct CommentQuery {
    #[serde(default)]
    asset_id: Option<Uuid>,
}

/// `GET /_emulator/comments[?asset_id=]`: the stored comments, oldest first.
pub async fn list_comments(State(st): State<AppState>, Query(q): Query<CommentQuery>) -> Response {
    let w = st.world();
    let list: Vec<&Comment> = w
        .comments
        .iter()
        .filter(|c| q.asset_id.is_none_or(|a| a == c.asset_id))
        .collect();
    Json(json!(list)).into_response()
}

/// `GET /_emulator/triggers`: the stored triggers, oldest first.
pub async fn list_triggers(State(st): State<AppState>) -> Response {
    Json(json!(st.world().triggers)).into_response()
}

/// `GET /_emulator/channels`: every device's channels with their pause state.
pub async fn list_channels(State(st): State<AppState>) -> Response {
    let w = st.world();
    let list: Vec<Value> = w
        .devices
        .values()
        .map(|d| {
            let mut chans = vec![json!({
                "external_index": 0,
                "id": d.channel_id,
                "paused": d.paused || pause_open(&d.channel0_pause_windows),
                "pause_windows": d.channel0_pause_windows,
            })];
            chans.extend(d.channels.values().map(|c| {
                json!({
                    "external_index": c.external_index,
                    "id": c.id,
                    "client_id": c.client_id,
                    "name": c.name,
                    "paused": d.paused || pause_open(&c.pause_windows),
                    "pause_windows": c.pause_windows,
                })
            }));
            json!({ "client_id": d.client_id, "channels": chans })
        })
        .collect();
    Json(list).into_response()
}
