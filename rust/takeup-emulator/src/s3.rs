//! The S3 stand-in: presigned-style part PUTs, verified like S3 verifies them (signature, expiry,
//! length, `Content-MD5`), stored on disk. Once every part of an asset is in, its multipart upload
//! is completed and gone: a part PUT again gets 404 `NoSuchUpload`, as on S3.

use std::collections::HashMap;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{NaiveDateTime, Utc};
use futures_util::StreamExt;
use md5::Md5;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

use crate::api::sign;
use crate::common::{AppState, drain, header_str};
use crate::respond::s3_error;
use crate::state::{MIN_PART, PoisonMode};

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `PUT /parts/{asset_id}/{number}?X-Amz-...`
pub async fn put_part(
    State(st): State<AppState>,
    Path((asset_id, number)): Path<(String, String)>,
    req: Request,
) -> Response {
    let query: HashMap<String, String> = req
        .uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let headers = req.headers().clone();
    let (Some(amz_date), Some(expires), Some(signature)) = (
        query.get("X-Amz-Date"),
        query.get("X-Amz-Expires"),
        query.get("X-Amz-Signature"),
    ) else {
        return s3_error(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "Query-string authentication requires the Signature, Date and Expires parameters",
        );
    };
    if headers.contains_key(header::AUTHORIZATION) {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "InvalidArgument",
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified",
        );
    }
    let Ok(ttl) = expires.parse::<u64>() else {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            "X-Amz-Expires must be a number of seconds",
        );
    };
    let content_type = header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or("");
    let acl = header_str(&headers, "x-amz-acl").unwrap_or("");
    let host = header_str(&headers, header::HOST.as_str())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_default();
    let path = format!("/parts/{asset_id}/{number}");
    let key = st.world().url_key;
    let expected = sign(&key, &path, amz_date, ttl, content_type, acl, &host);
    if !constant_time_eq(&expected, signature) {
        return s3_error(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and signing method.",
        );
    }
    let Ok(signed_at) = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ") else {
        return s3_error(
            StatusCode::BAD_REQUEST,
            "AuthorizationQueryParametersError",
            "X-Amz-Date must be in the ISO8601 basic format",
        );
    };
    let signed_at = signed_at.and_utc();
    if Utc::now() > signed_at + chrono::Duration::seconds(ttl.min(i64::MAX as u64) as i64) {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired");
    }
    let (Ok(asset_id), Ok(number)) = (asset_id.parse::<Uuid>(), number.parse::<u32>()) else {
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified upload does not exist.",
        );
    };
    let (expected_size, is_final, poison, completed) = {
        let w = st.world();
        let Some(asset) = w.assets.get(&asset_id) else {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchUpload",
                "The specified upload does not exist.",
            );
        };
        let Some(part) = asset.parts.get(&number) else {
            return s3_error(
                StatusCode::NOT_FOUND,
                "NoSuchUpload",
                "The specified part is not registered for this upload.",
            );
        };
        (
            part.size,
            part.is_final,
            asset.poison,
            asset.completed_at.is_some(),
        )
    };
    if completed {
        // Once every part is in, the multipart upload is completed and gone, as on S3: a part
        // sent again (its first answer was lost) finds no upload. The body is read first, as S3
        // does, so the client reads the answer.
        drain(req.into_body()).await;
        return s3_error(
            StatusCode::NOT_FOUND,
            "NoSuchUpload",
            "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
        );
    }
    if poison == Some(PoisonMode::FailParts) {
        drain(req.into_body()).await;
        return s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "We encountered an internal error. Please try again.",
        );
    }
    // No Content-Length and no chunked body means an empty body (HTTP/1.1 message framing).
    let chunked = headers.contains_key(header::TRANSFER_ENCODING);
    let length = match header_str(&headers, header::CONTENT_LENGTH.as_str()) {
        Some(v) => v.parse::<u64>().ok(),
        None if !chunked => Some(0),
        None => None,
    };
    let Some(length) = length else {
        return s3_error(
            StatusCode::LENGTH_REQUIRED,
            "MissingContentLength",
            "You must provide the Content-Length HTTP header.",
        );
    };
    if length != expected_size {
        let (code, msg) = if !is_final && length < MIN_PART {
            (
                "EntityTooSmall",
                format!(
                    "Your proposed upload is smaller than the minimum allowed size (part {number} expects {expected_size} bytes, got {length})"
                ),
            )
        } else {
            (
                "InvalidArgument",
                format!("Part {number} expects exactly {expected_size} bytes, got {length}"),
            )
        };
        return s3_error(StatusCode::BAD_REQUEST, code, &msg);
    }
    // Content-MD5 (optional, as on S3): the base64 of the body's 16-byte MD5.
    let content_md5 = match headers.get("content-md5") {
        None => None,
        Some(v) => match v
            .to_str()
            .ok()
            .and_then(|v| {
                base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .ok()
            })
            .filter(|d| d.len() == 16)
        {
            Some(d) => Some(d),
            None => {
                drain(req.into_body()).await;
                return s3_error(
                    StatusCode::BAD_REQUEST,
                    "InvalidDigest",
                    "The Content-MD5 you specified was invalid.",
                );
            }
        },
    };

    let final_path = st.part_path(asset_id, number);
    let dir = final_path
        .parent()
        .expect("part paths have a parent")
        .to_path_buf();
    if let Err(e) = tokio::fs::create_dir_all(&dir).await {
        tracing::error!(%e, "cannot create the part directory");
        return s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "storage error",
        );
    }
    let tmp_path = dir.join(format!("{number:05}.{}.tmp", Uuid::new_v4().simple()));
    let file = match tokio::fs::File::create(&tmp_path).await {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(%e, "cannot create a part file");
            return s3_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalError",
                "storage error",
            );
        }
    };
    let mut out = tokio::io::BufWriter::with_capacity(1 << 20, file);
    let mut hasher = Sha256::new();
    let mut md5 = content_md5.as_ref().map(|_| Md5::new());
    let mut received: u64 = 0;
    let mut stream = req.into_body().into_data_stream();
    let mut failed = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(bytes) => {
                received += bytes.len() as u64;
                if received > expected_size {
                    failed = Some("body longer than Content-Length");
                    break;
                }
                hasher.update(&bytes);
                if let Some(m) = md5.as_mut() {
                    m.update(&bytes);
                }
                if out.write_all(&bytes).await.is_err() {
                    failed = Some("storage error");
                    break;
                }
            }
            Err(_) => {
                failed = Some("connection lost mid-body");
                break;
            }
        }
    }
    if failed.is_none() && out.flush().await.is_err() {
        failed = Some("storage error");
    }
    drop(out);
    if failed.is_none() && received != expected_size {
        failed = Some("incomplete body");
    }
    if let Some(reason) = failed {
        let _ = tokio::fs::remove_file(&tmp_path).await;
        tracing::debug!(%asset_id, number, received, reason, "part not stored");
        return s3_error(
            StatusCode::BAD_REQUEST,
            "IncompleteBody",
            "You did not provide the number of bytes specified by the Content-Length HTTP header",
        );
    }
    if let (Some(expected), Some(m)) = (content_md5, md5)
        && m.finalize().as_slice() != expected.as_slice()
    {
        let _ = tokio::fs::remove_file(&tmp_path).await;
        tracing::debug!(%asset_id, number, "part not stored: Content-MD5 mismatch");
        return s3_error(
            StatusCode::BAD_REQUEST,
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
        );
    }
    if let Err(e) = tokio::fs::rename(&tmp_path, &final_path).await {
        tracing::error!(%e, "cannot store a part");
        let _ = tokio::fs::remove_file(&tmp_path).await;
        return s3_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "storage error",
        );
    }
    let digest = hex::encode(hasher.finalize());
    {
        let mut w = st.world();
        if let Some(asset) = w.assets.get_mut(&asset_id) {
            if let Some(part) = asset.parts.get_mut(&number) {
                part.received_count += 1;
                part.sha256 = Some(digest.clone());
            }
            if asset.completed_at.is_none() && asset.is_complete() {
                asset.completed_at = Some(Utc::now());
            }
        }
    }
    let mut resp = StatusCode::OK.into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}\"", &digest[..32])) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    resp
}
