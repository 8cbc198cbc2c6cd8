//! Layers in front of every API and S3 route: `x-client-version` validation, fault injection and
//! the request log.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;
use futures_util::StreamExt;

use crate::common::{AppState, drain, header_str};
use crate::faults::{FaultAction, Target};
use crate::respond::{self, detailed, s3_error, simple};
use crate::server::{ConnKill, LoseAnswer};
use crate::state::LoggedRequest;
use crate::stats::Outcome;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Api,
    S3,
}

impl Listener {
    fn name(self) -> &'static str {
        match self {
            Listener::Api => "api",
            Listener::S3 => "s3",
        }
    }
}

pub async fn api_layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    layer(st, Listener::Api, req, next).await
}

pub async fn s3_layer(State(st): State<AppState>, req: Request, next: Next) -> Response {
    layer(st, Listener::S3, req, next).await
}

async fn layer(st: AppState, listener: Listener, req: Request, next: Next) -> Response {
    let req = if listener == Listener::S3 {
        if req.version() == axum::http::Version::HTTP_2 {
            st.s3_http2_requests
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        count_body(&st, req)
    } else {
        req
    };
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
    // The application flow's token and revoke endpoints are auth calls like `/v2/auth/*`.
    let app_auth = path == "/oauth2/token" || path == "/oauth2/revoke";
    if listener == Listener::Api && !path.starts_with("/v2/") && !app_auth {
        // The pairing and authorization pages, health, avatars and the control API: no faults,
        // no log.
        return next.run(req).await;
    }
    let target = match listener {
        Listener::S3 => Target::S3,
        Listener::Api if path.starts_with("/v2/auth/") || app_auth => Target::Auth,
        Listener::Api => Target::Api,
    };
    let client_version = header_str(req.headers(), "x-client-version").map(str::to_string);
    let authorization = req.headers().contains_key("authorization");

    let mut fault_label = None;
    let response = if listener == Listener::Api
        && client_version
            .as_deref()
            .is_some_and(|v| semver::Version::parse(v).is_err())
    {
        if target == Target::Auth {
            simple(StatusCode::BAD_REQUEST, "invalid_request")
        } else {
            respond::bad_request("x-client-version must be a semantic version")
        }
    } else {
        let action = {
            let mut w = st.world();
            let crate::state::World { faults, rng, .. } = &mut *w;
            let mut chosen = None;
            for rule in faults.iter_mut() {
                if rule.matches(target, &method, &path) {
                    let fired = rule.decide(|| rand::Rng::random::<f64>(rng));
                    if fired && chosen.is_none() {
                        chosen = Some(rule.spec.action.clone());
                    }
                }
            }
            chosen
        };
        match action {
            None => next.run(req).await,
            Some(action) => {
                fault_label = Some(action.label());
                tracing::info!(%path, fault = action.label(), "injecting a fault");
                if matches!(action, FaultAction::DropAfterBytes { .. }) {
                    // This request never gets an answer: log it now, with status 0.
                    st.count(&method, &path, Outcome::Cut);
                    st.world().log_request(LoggedRequest {
                        seq: 0,
                        at: Utc::now(),
                        listener: listener.name(),
                        method: method.clone(),
                        path: path.clone(),
                        status: 0,
                        client_version: client_version.clone(),
                        authorization,
                        fault: fault_label.clone(),
                    });
                }
                apply(action, listener, req, next).await
            }
        }
    };
    // A lost answer: the handler's status in the label, 0 (no answer) as the status.
    let lost = response.extensions().get::<LoseAnswer>().is_some();
    let status = response.status().as_u16();
    st.count(
        &method,
        &path,
        if lost {
            Outcome::AnswerLost(status)
        } else {
            Outcome::Answered(status)
        },
    );
    st.world().log_request(LoggedRequest {
        seq: 0,
        at: Utc::now(),
        listener: listener.name(),
        method,
        path,
        status: if lost { 0 } else { status },
        client_version,
        authorization,
        fault: if lost {
            Some(format!("lose_answer({status})"))
        } else {
            fault_label
        },
    });
    response
}

/// Count the body bytes of an S3 request as they are read (by the handler or by a fault).
fn count_body(st: &AppState, req: Request) -> Request {
    let counter = st.s3_body_bytes.clone();
    req.map(|body| {
        axum::body::Body::from_stream(body.into_data_stream().inspect(move |chunk| {
            if let Ok(bytes) = chunk {
                counter.fetch_add(bytes.len() as u64, std::sync::atomic::Ordering::Relaxed);
            }
        }))
    })
}

fn generic(listener: Listener, status: StatusCode, s3_code: &str, title: &str) -> Response {
    match listener {
        Listener::S3 => s3_error(status, s3_code, title),
        Listener::Api => detailed(status, title, title),
    }
}

async fn apply(action: FaultAction, listener: Listener, req: Request, next: Next) -> Response {
    match action {
        FaultAction::DropAfterBytes { bytes } => {
            let kill = req.extensions().get::<ConnKill>().cloned();
            let mut stream = req.into_body().into_data_stream();
            let mut read = 0u64;
            while read < bytes {
                match stream.next().await {
                    Some(Ok(chunk)) => read += chunk.len() as u64,
                    _ => break,
                }
            }
            if let Some(kill) = kill {
                kill.kill();
            }
            // Never answer: the connection task drops the stream.
            std::future::pending::<()>().await;
            unreachable!()
        }
        FaultAction::Stall { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        FaultAction::LoseAnswer => {
            // HTTP/1.1 has no way to drop one answer but cutting the connection; HTTP/2 resets
            // only this request's stream (the connection task sees the marker).
            let kill = (req.version() < axum::http::Version::HTTP_2)
                .then(|| req.extensions().get::<ConnKill>().cloned())
                .flatten();
            let handled = next.run(req).await;
            let mut lost = Response::new(axum::body::Body::empty());
            *lost.status_mut() = handled.status();
            lost.extensions_mut().insert(LoseAnswer);
            if let Some(kill) = kill {
                kill.kill();
            }
            lost
        }
        other => {
            drain(req.into_body()).await;
            match other {
                FaultAction::InternalError => generic(
                    listener,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalError",
                    "Internal Server Error",
                ),
                FaultAction::SlowDown => generic(
                    listener,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SlowDown",
                    "Please reduce your request rate.",
                ),
                FaultAction::ServiceUnavailable => generic(
                    listener,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "Service Unavailable",
                ),
                FaultAction::RequestTimeout => match listener {
                    Listener::S3 => s3_error(
                        StatusCode::BAD_REQUEST,
                        "RequestTimeout",
                        "Your socket connection to the server was not read from or written to within the timeout period.",
                    ),
                    Listener::Api => detailed(
                        StatusCode::GATEWAY_TIMEOUT,
                        "Gateway Timeout",
                        "The upstream did not answer in time",
                    ),
                },
                FaultAction::TooManyRequests { retry_after } => match listener {
                    Listener::Api => respond::too_many_requests(retry_after),
                    Listener::S3 => {
                        let r = s3_error(
                            StatusCode::TOO_MANY_REQUESTS,
                            "SlowDown",
                            "Please reduce your request rate.",
                        );
                        respond::with_retry_after(r, retry_after)
                    }
                },
                FaultAction::ExpiredToken => respond::not_authorized(),
                FaultAction::ExpiredUrl => {
                    s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired")
                }
                FaultAction::Status { status } => {
                    let status =
                        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    generic(
                        listener,
                        status,
                        "InjectedFault",
                        status.canonical_reason().unwrap_or("Injected fault"),
                    )
                }
                FaultAction::Respond {
                    status,
                    body,
                    content_type,
                    headers,
                    repeat,
                } => {
                    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                    let times = repeat.unwrap_or(1).clamp(1, 1 << 24) as usize;
                    // Group small repeats into ~64 KiB frames (HTTP/2 clients refuse floods of
                    // tiny frames).
                    let per = (65_536 / body.len().max(1)).clamp(1, times);
                    let chunk = bytes::Bytes::from(body.repeat(per));
                    let last = bytes::Bytes::from(body.repeat(times % per));
                    let full = times / per;
                    let stream = futures_util::stream::iter(
                        (0..full)
                            .map(move |_| chunk.clone())
                            .chain((!last.is_empty()).then_some(last))
                            .map(Ok::<_, std::io::Error>),
                    );
                    let mut r = Response::new(axum::body::Body::from_stream(stream));
                    *r.status_mut() = status;
                    let ct = content_type.unwrap_or_else(|| "application/json".into());
                    if let Ok(v) = HeaderValue::from_str(&ct) {
                        r.headers_mut().insert(header::CONTENT_TYPE, v);
                    }
                    for (k, v) in headers {
                        if let (Ok(k), Ok(v)) = (
                            axum::http::HeaderName::from_bytes(k.as_bytes()),
                            HeaderValue::from_str(&v),
                        ) {
                            r.headers_mut().insert(k, v);
                        }
                    }
                    r
                }
                FaultAction::Redirect { location, status } => {
                    let mut r = Response::new(axum::body::Body::empty());
                    *r.status_mut() =
                        StatusCode::from_u16(status.unwrap_or(302)).unwrap_or(StatusCode::FOUND);
                    if let Ok(v) = HeaderValue::from_str(&location) {
                        r.headers_mut().insert(header::LOCATION, v);
                    }
                    r
                }
                FaultAction::StallBody {
                    status,
                    body,
                    prefix_bytes,
                    ms,
                } => {
                    let body = bytes::Bytes::from(body);
                    let cut = prefix_bytes.min(body.len());
                    let (head, tail) = (body.slice(..cut), body.slice(cut..));
                    let stream = futures_util::stream::unfold(0u8, move |step| {
                        let (head, tail) = (head.clone(), tail.clone());
                        async move {
                            match step {
                                0 => Some((Ok::<_, std::io::Error>(head), 1)),
                                1 => {
                                    tokio::time::sleep(Duration::from_millis(ms)).await;
                                    Some((Ok(tail), 2))
                                }
                                _ => None,
                            }
                        }
                    });
                    let mut r = Response::new(axum::body::Body::from_stream(stream));
                    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    r
                }
                FaultAction::DropAfterBytes { .. }
                | FaultAction::Stall { .. }
                | FaultAction::LoseAnswer => {
                    unreachable!("handled above")
                }
            }
        }
    }
}
