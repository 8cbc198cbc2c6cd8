//! Response shapes: the API's two error bodies (simple and detailed) and S3's XML errors.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// `{"error":"<code>"}` as the auth endpoints answer.
pub fn simple(status: StatusCode, code: &str) -> Response {
    (status, Json(json!({ "error": code }))).into_response()
}

/// The detailed error shape of every non-auth endpoint.
pub fn detailed(status: StatusCode, title: &str, detail: &str) -> Response {
    let code = status.as_u16();
    (
        status,
        Json(json!({
            "code": code,
            "errors": [{ "code": code, "detail": detail, "status": code, "title": title }],
            "message": title,
        })),
    )
        .into_response()
}

pub fn not_authorized() -> Response {
    detailed(
        StatusCode::UNAUTHORIZED,
        "Not Authorized",
        "You are not allowed to access that resource",
    )
}

pub fn bad_request(detail: &str) -> Response {
    detailed(StatusCode::BAD_REQUEST, "Bad Request", detail)
}

pub fn not_found(detail: &str) -> Response {
    detailed(StatusCode::NOT_FOUND, "Not Found", detail)
}

pub fn too_many_requests(retry_after: Option<u64>) -> Response {
    let r = detailed(
        StatusCode::TOO_MANY_REQUESTS,
        "Too Many Requests",
        "Rate limit exceeded, retry later",
    );
    with_retry_after(r, retry_after)
}

/// `r` with a `Retry-After: <secs>` header when there is a wait to say.
pub fn with_retry_after(mut r: Response, retry_after: Option<u64>) -> Response {
    if let Some(secs) = retry_after {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    r
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An S3-style XML error.
pub fn s3_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>EMULATOR</RequestId></Error>",
        xml_escape(code),
        xml_escape(message)
    );
    (status, [(header::CONTENT_TYPE, "application/xml")], body).into_response()
}
