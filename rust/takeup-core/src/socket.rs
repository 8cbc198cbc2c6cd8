//! The device socket (C2C "socket status", API reference §5.2): a WebSocket speaking Phoenix
//! Channels (v1 JSON frames `{topic, event, payload, ref}`) that keeps the device shown online and
//! lets Frame.io push pause/resume (`status_updated`). The engine holds one open while paired and
//! connected to a project; it re-opens it with the new token after every refresh and backs off on
//! failures. REST heartbeats stay on as the fallback.
//!
//! The access token travels in the URL's query (the API's choice), so the URL is never logged and
//! errors are stripped of it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::header::{CONNECTION, HeaderValue, UPGRADE};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::config::EngineConfig;
use crate::error::{Error, NetworkErrorKind, Result};

/// Keep-alive period (the server drops a socket after ~60 s of silence).
pub const HEARTBEAT: Duration = Duration::from_secs(25);
/// Close code of the emulator (and, as observed, Frame.io) when the device is forgotten.
pub const CLOSE_FORGOTTEN: u16 = 4001;

/// A Phoenix v1 frame.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub topic: String,
    pub event: String,
    #[serde(default)]
    pub payload: Value,
    #[serde(rename = "ref", default)]
    pub reference: Option<String>,
}

impl Frame {
    fn new(topic: &str, event: &str, reference: u64) -> Self {
        Self {
            topic: topic.into(),
            event: event.into(),
            payload: json!({}),
            reference: Some(reference.to_string()),
        }
    }
}

/// What the server told us.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A reply to our frame `reference`: `ok` or not.
    Reply { reference: String, ok: bool },
    /// The device status changed (`online`, `paused`...).
    DeviceStatus(String),
    /// The server closed the channel (`phx_close`/`phx_error`).
    ChannelClosed,
    /// Anything else (ignored).
    Other,
}

/// Interpret a text frame; `None` for text that is not a Phoenix frame.
pub fn parse(text: &str) -> Option<Event> {
    let f: Frame = serde_json::from_str(text).ok()?;
    Some(match f.event.as_str() {
        "phx_reply" => Event::Reply {
            reference: f.reference.unwrap_or_default(),
            ok: f.payload.get("status").and_then(Value::as_str) == Some("ok"),
        },
        "status_updated" => match f.payload.get("status").and_then(Value::as_str) {
            Some(s) if !s.is_empty() && s.len() <= 32 => {
                Event::DeviceStatus(s.to_ascii_lowercase())
            }
            _ => Event::Other,
        },
        "phx_close" | "phx_error" => Event::ChannelClosed,
        _ => Event::Other,
    })
}

/// The client for the upgrade: the engine's TLS trust and version header, HTTP/1.1 only (the
/// WebSocket upgrade), no read timeout (the socket idles between heartbeats).
pub fn client(config: &EngineConfig) -> Result<reqwest::Client> {
    crate::http::client_builder(config)?
        .http1_only()
        .build()
        .map_err(|e| Error::InvalidConfig(format!("cannot build the socket client: {e}")))
}

/// The socket URL for `base` (the API base) with the token in the query.
fn url(base: &url::Url, token: &str) -> Result<url::Url> {
    let mut u = base
        .join("/devices/websocket")
        .map_err(|e| Error::InvalidConfig(format!("bad socket URL: {e}")))?;
    let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    u.set_query(Some(&format!("Authorization=Bearer%20{encoded}")));
    Ok(u)
}

/// An open socket.
pub type Socket = WebSocketStream<reqwest::Upgraded>;

/// Open the socket (HTTP/1.1 upgrade through `client`). A refused token is `NotAuthorized`.
pub async fn open(
    client: &reqwest::Client,
    base: &url::Url,
    token: &str,
    timeout: Duration,
) -> Result<Socket> {
    let key = generate_key();
    let request = client
        .get(url(base, token)?)
        .header(CONNECTION, HeaderValue::from_static("upgrade"))
        .header(UPGRADE, HeaderValue::from_static("websocket"))
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", &key)
        .timeout(timeout)
        .send();
    let response = tokio::time::timeout(timeout, request)
        .await
        .map_err(|_| Error::Network {
            kind: NetworkErrorKind::Timeout,
        })?
        .map_err(|e| Error::from_reqwest(&e.without_url()))?;
    match response.status().as_u16() {
        101 => {}
        401 | 403 => return Err(Error::NotAuthorized),
        s if s >= 500 => return Err(Error::Server { status: s }),
        s => {
            return Err(Error::UnexpectedResponse(format!(
                "the device socket answered HTTP {s}"
            )));
        }
    }
    let accept = response
        .headers()
        .get("sec-websocket-accept")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if accept != derive_accept_key(key.as_bytes()) {
        return Err(Error::UnexpectedResponse(
            "the device socket's handshake does not match".into(),
        ));
    }
    let upgraded = response
        .upgrade()
        .await
        .map_err(|e| Error::from_reqwest(&e.without_url()))?;
    Ok(WebSocketStream::from_raw_socket(upgraded, Role::Client, None).await)
}

/// Why a session ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The caller asked (new token, shutdown, no longer connected).
    Stopped,
    /// The server closed with this code (or the connection dropped: `None`).
    Closed(Option<u16>),
    /// The join was refused.
    JoinRefused,
}

/// Join `devices:<device_id>`, then keep the channel alive until `stop` resolves or the server
/// ends it, reporting device statuses to `on_status`.
pub async fn session(
    socket: &mut Socket,
    device_id: &str,
    stop: impl std::future::Future<Output = ()>,
    mut on_joined: impl FnMut(),
    mut on_status: impl FnMut(&str),
) -> Ended {
    let topic = format!("devices:{device_id}");
    let mut next_ref = 1u64;
    let join_ref = next_ref.to_string();
    let join = Frame::new(&topic, "phx_join", next_ref);
    if send(socket, &join).await.is_err() {
        return Ended::Closed(None);
    }
    let mut joined = false;
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.tick().await;
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => {
                let _ = socket.close(None).await;
                return Ended::Stopped;
            }
            _ = beat.tick() => {
                next_ref += 1;
                if send(socket, &Frame::new("phoenix", "heartbeat", next_ref)).await.is_err() {
                    return Ended::Closed(None);
                }
            }
            msg = socket.next() => match msg {
                Some(Ok(Message::Text(t))) => match parse(t.as_str()) {
                    Some(Event::Reply { reference, ok }) if reference == join_ref => {
                        if !ok {
                            return Ended::JoinRefused;
                        }
                        joined = true;
                        on_joined();
                    }
                    Some(Event::DeviceStatus(s)) if joined => on_status(&s),
                    Some(Event::ChannelClosed) => return Ended::Closed(None),
                    _ => {}
                },
                Some(Ok(Message::Close(frame))) => {
                    return Ended::Closed(frame.map(|f| f.code.into()));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ended::Closed(None),
            }
        }
    }
}

async fn send(socket: &mut Socket, frame: &Frame) -> Result<(), ()> {
    let text = serde_json::to_string(frame).map_err(|_| ())?;
    socket.send(Message::text(text)).await.map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_defensively() {
        assert_eq!(
            parse(
                r#"{"topic":"devices:1","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":"1"}"#
            ),
            Some(Event::Reply {
                reference: "1".into(),
                ok: true
            })
        );
        assert_eq!(
            parse(
                r#"{"topic":"devices:1","event":"phx_reply","payload":{"status":"error"},"ref":"1"}"#
            ),
            Some(Event::Reply {
                reference: "1".into(),
                ok: false
            })
        );
        assert_eq!(
            parse(
                r#"{"topic":"devices:1","event":"status_updated","payload":{"status":"PAUSED"},"ref":null}"#
            ),
            Some(Event::DeviceStatus("paused".into()))
        );
        assert_eq!(
            parse(r#"{"topic":"devices:1","event":"status_updated","payload":{"status":7}}"#),
            Some(Event::Other)
        );
        assert_eq!(
            parse(r#"{"topic":"x","event":"phx_error"}"#),
            Some(Event::ChannelClosed)
        );
        assert_eq!(parse("not json"), None);
        assert_eq!(parse(r#"{"event":"phx_reply"}"#), None);
    }

    #[test]
    fn the_token_is_encoded_in_the_query() {
        let base = url::Url::parse("https://api.example.com/v2/").unwrap();
        let u = url(&base, "a+b/c=").unwrap();
        assert_eq!(u.path(), "/devices/websocket");
        assert_eq!(u.query(), Some("Authorization=Bearer%20a%2Bb%2Fc%3D"));
    }
}
