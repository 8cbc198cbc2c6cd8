//! State shared by the handlers and small request helpers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use futures_util::StreamExt;

use crate::respond;
use crate::state::World;

#[derive(Clone)]
pub struct AppState {
    pub world: Arc<Mutex<World>>,
    pub data_dir: Arc<PathBuf>,
    /// `https://127.0.0.1:PORT` of the API listener.
    pub api_base: Arc<String>,
    /// `https://127.0.0.1:PORT` of the S3 stand-in.
    pub s3_base: Arc<String>,
    /// Pushes to connected device sockets (pause/resume, forget).
    pub events: tokio::sync::broadcast::Sender<crate::socket::DeviceEvent>,
    /// Request body bytes read by the S3 listener, whatever became of the request (stored,
    /// refused, faulted or cut): what clients actually sent, re-sends included.
    pub s3_body_bytes: Arc<AtomicU64>,
    /// S3 requests that arrived over HTTP/2 (offered only with `EmulatorConfig::s3_http2`).
    pub s3_http2_requests: Arc<AtomicU64>,
    /// Requests by route and outcome (`GET /_emulator/stats`).
    pub counts: Arc<Mutex<crate::stats::RequestCounts>>,
}

impl AppState {
    pub fn world(&self) -> MutexGuard<'_, World> {
        // A panic while holding the lock would be a bug in the emulator; keep serving anyway.
        self.world.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Count a request by route and outcome.
    pub fn count(&self, method: &str, path: &str, outcome: crate::stats::Outcome) {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(method, path, outcome);
    }

    pub fn part_path(&self, asset: uuid::Uuid, number: u32) -> PathBuf {
        self.data_dir
            .join("parts")
            .join(asset.to_string())
            .join(format!("{number:05}.part"))
    }
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn content_type(headers: &HeaderMap) -> String {
    header_str(headers, header::CONTENT_TYPE.as_str())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

pub enum FormError {
    /// JSON or some other non-form body: the auth endpoints reject it.
    NotAForm,
    Malformed,
}

/// Read a form body, urlencoded or multipart, as the auth endpoints take. JSON is refused.
pub async fn read_form(req: Request) -> Result<HashMap<String, String>, FormError> {
    let ct = content_type(req.headers());
    match ct.as_str() {
        "application/x-www-form-urlencoded" => {
            let bytes = axum::body::to_bytes(req.into_body(), 64 * 1024)
                .await
                .map_err(|_| FormError::Malformed)?;
            Ok(url::form_urlencoded::parse(&bytes).into_owned().collect())
        }
        "multipart/form-data" => {
            let mut mp = Multipart::from_request(req, &())
                .await
                .map_err(|_| FormError::Malformed)?;
            let mut out = HashMap::new();
            while let Some(field) = mp.next_field().await.map_err(|_| FormError::Malformed)? {
                let name = field.name().unwrap_or("").to_string();
                let value = field.text().await.map_err(|_| FormError::Malformed)?;
                if out.len() > 64 {
                    return Err(FormError::Malformed);
                }
                out.insert(name, value);
            }
            Ok(out)
        }
        _ => Err(FormError::NotAForm),
    }
}

/// Read a small JSON or urlencoded body into a JSON value (urlencoded values that parse as numbers or
/// booleans become those). `allow_form` is false where the API takes JSON only.
pub async fn read_json_or_form(
    req: Request,
    allow_form: bool,
) -> Result<(serde_json::Value, bool), Response> {
    let ct = content_type(req.headers());
    let bytes = axum::body::to_bytes(req.into_body(), 1024 * 1024)
        .await
        .map_err(|_| {
            respond::detailed(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Payload Too Large",
                "request body over 1 MiB",
            )
        })?;
    match ct.as_str() {
        "application/json" | "" => serde_json::from_slice(&bytes)
            .map(|v| (v, false))
            .map_err(|e| respond::bad_request(&format!("invalid JSON body: {e}"))),
        "application/x-www-form-urlencoded" if allow_form => {
            let mut map = serde_json::Map::new();
            for (k, v) in url::form_urlencoded::parse(&bytes) {
                let value = if let Ok(n) = v.parse::<i64>() {
                    serde_json::Value::from(n)
                } else if let Ok(f) = v.parse::<f64>() {
                    serde_json::Value::from(f)
                } else if v == "true" || v == "false" {
                    serde_json::Value::Bool(v == "true")
                } else {
                    serde_json::Value::String(v.into_owned())
                };
                map.insert(k.into_owned(), value);
            }
            Ok((serde_json::Value::Object(map), true))
        }
        other => Err(respond::detailed(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type",
            &format!("content type {other:?} is not accepted here"),
        )),
    }
}

/// Read and discard a request body (so an early error answer is read by the client rather than
/// racing a connection reset).
pub async fn drain(body: Body) {
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        if chunk.is_err() {
            break;
        }
    }
}
