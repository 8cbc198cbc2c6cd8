//! The device "socket status" (§5.2): a Phoenix Channels (v1 JSON serializer) WebSocket at
//! `/devices/websocket?Authorization=Bearer%20<token>`.
//!
//! The device joins `devices:<id>` (the project device's `id` or its `device_id`), sends
//! `phoenix`/`heartbeat` every 15–30 s, and gets `status_updated` pushes on pause/resume. The
//! server closes the socket after `socket_idle_timeout_secs` of silence, when the device is
//! forgotten, and when the access token it connected with stops being valid (after a refresh the
//! client reconnects with the new token).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use crate::common::AppState;
use crate::respond::detailed;

/// What the control API tells connected sockets.
#[derive(Clone, Debug)]
pub enum DeviceEvent {
    Status {
        client_id: String,
        status: &'static str,
    },
    Forgotten {
        client_id: String,
    },
}

fn token_from(q: &HashMap<String, String>) -> Option<String> {
    let v = q.get("Authorization").or_else(|| q.get("authorization"))?;
    let t = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))?;
    Some(t.trim().to_string())
}

/// Whether `token` is a live access token of a device that is not forgotten; its client id.
fn token_owner(st: &AppState, token: &str) -> Option<String> {
    let w = st.world();
    let t = w.access.get(token)?;
    if Instant::now() >= t.expires_at {
        return None;
    }
    let d = w.devices.get(&t.client_id)?;
    (!d.forgotten).then(|| t.client_id.clone())
}

/// `GET /devices/websocket` (upgrade).
pub async fn upgrade(
    State(st): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(token) = token_from(&q) else {
        return detailed(StatusCode::FORBIDDEN, "Forbidden", "missing Authorization");
    };
    let Some(client_id) = token_owner(&st, &token) else {
        return detailed(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "invalid or expired token",
        );
    };
    ws.on_upgrade(move |socket| run(st, socket, token, client_id))
        .into_response()
}

fn frame(topic: &str, event: &str, payload: Value, reference: Value) -> Message {
    Message::Text(
        json!({ "topic": topic, "event": event, "payload": payload, "ref": reference })
            .to_string()
            .into(),
    )
}

async fn close(mut socket: WebSocket, code: u16, reason: &'static str) {
    let _ = socket
        .send(Message::Close(Some(CloseFrame {
            code,
            reason: reason.into(),
        })))
        .await;
}

async fn run(st: AppState, mut socket: WebSocket, token: String, client_id: String) {
    let mut events = st.events.subscribe();
    let idle = Duration::from_secs(st.world().settings.socket_idle_timeout_secs.max(1));
    let mut joined: Option<String> = None;
    let mut last_heard = Instant::now();
    let mut check = tokio::time::interval(Duration::from_millis(250));
    loop {
        tokio::select! {
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { return };
                let text = match msg {
                    Message::Text(t) => t.to_string(),
                    Message::Close(_) => return,
                    _ => continue,
                };
                last_heard = Instant::now();
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    close(socket, 1003, "frames are JSON objects").await;
                    return;
                };
                let topic = v["topic"].as_str().unwrap_or("").to_string();
                let event = v["event"].as_str().unwrap_or("");
                let reference = v.get("ref").cloned().unwrap_or(Value::Null);
                let reply = match (topic.as_str(), event) {
                    ("phoenix", "heartbeat") => {
                        if let Some(d) = st.world().devices.get_mut(&client_id) {
                            d.last_seen_at = Some(Utc::now());
                        }
                        json!({ "status": "ok", "response": {} })
                    }
                    (t, "phx_join") if t.starts_with("devices:") => {
                        let id = &t["devices:".len()..];
                        let ok = st.world().devices.get(&client_id).is_some_and(|d| {
                            d.id.to_string() == id || d.device_id.to_string() == id
                        });
                        if ok {
                            joined = Some(topic.clone());
                            json!({ "status": "ok", "response": {} })
                        } else {
                            json!({ "status": "error", "response": { "reason": "unauthorized" } })
                        }
                    }
                    (_, "phx_leave") => {
                        joined = None;
                        json!({ "status": "ok", "response": {} })
                    }
                    _ => json!({ "status": "error", "response": { "reason": "unmatched topic" } }),
                };
                if socket.send(frame(&topic, "phx_reply", reply, reference)).await.is_err() {
                    return;
                }
            }
            ev = events.recv() => {
                match ev {
                    Ok(DeviceEvent::Status { client_id: c, status }) if c == client_id => {
                        if let Some(topic) = &joined
                            && socket
                                .send(frame(topic, "status_updated", json!({ "status": status }), Value::Null))
                                .await
                                .is_err()
                        {
                            return;
                        }
                    }
                    Ok(DeviceEvent::Forgotten { client_id: c }) if c == client_id => {
                        close(socket, 4001, "device forgotten").await;
                        return;
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                }
            }
            _ = check.tick() => {
                if last_heard.elapsed() >= idle {
                    close(socket, 1000, "heartbeat timeout").await;
                    return;
                }
                if token_owner(&st, &token).is_none() {
                    close(socket, 4003, "token no longer valid").await;
                    return;
                }
            }
        }
    }
}
