//! The engine's one error type, with variants a UI can act on.
//!
//! Every message is meant for users and never contains a token, a device code or the client secret:
//! the variants only carry server-provided descriptions (`detail`/`message`), HTTP statuses and
//! classified network causes, never request bodies or headers.

use std::time::Duration;

use serde_json::Value;

/// Result alias of the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of network failure happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum NetworkErrorKind {
    /// No connection could be made (offline, DNS failure, refused, unreachable).
    Connect,
    /// The connection or the server took too long.
    Timeout,
    /// The TLS handshake or certificate check failed.
    Tls,
    /// The connection broke in the middle of a request.
    Interrupted,
}

impl std::fmt::Display for NetworkErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NetworkErrorKind::Connect => "cannot reach Frame.io (offline or no route)",
            NetworkErrorKind::Timeout => "the connection timed out",
            NetworkErrorKind::Tls => "the secure connection could not be established",
            NetworkErrorKind::Interrupted => "the connection was interrupted",
        })
    }
}

/// Errors of the Takeup engine.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Error {
    /// The engine configuration is invalid (bad version string, empty secret, bad CA...).
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A URL that is not `https://` was given; nothing was sent.
    #[error("refusing to use {0}: only https:// URLs are allowed")]
    InsecureUrl(String),
    /// The network failed; retry when the link is back.
    #[error("network problem: {kind}")]
    Network {
        /// The classified cause.
        kind: NetworkErrorKind,
    },
    /// The client id or client secret was refused: a configuration error, not recoverable by retry.
    #[error("this app is not recognised by Frame.io (wrong client secret); contact support")]
    InvalidClient,
    /// The server rejected the request as malformed.
    #[error("the request was rejected as invalid: {detail}")]
    BadRequest {
        /// Server-provided description.
        detail: String,
    },
    /// The pairing code was refused or already used; pairing must start again.
    #[error("the pairing code was refused or already used; start pairing again")]
    AuthorizationRejected,
    /// The pairing code expired (and no new one could be obtained).
    #[error("the pairing code expired; start pairing again")]
    CodeExpired,
    /// No valid authorization: the device was forgotten or never paired. Pair again.
    #[error("this device is not paired with Frame.io (or was removed); pair it again")]
    NotAuthorized,
    /// No access to the account or project.
    #[error("access denied: {detail}")]
    Forbidden {
        /// Server-provided description.
        detail: String,
    },
    /// The account, project or resource does not exist.
    #[error("not found: {detail}")]
    NotFound {
        /// Server-provided description.
        detail: String,
    },
    /// The request conflicts with the server state (e.g. channel paused).
    #[error("conflict: {detail}")]
    Conflict {
        /// Server-provided description.
        detail: String,
    },
    /// Too many requests; retry after the given delay when known.
    #[error("Frame.io asks to slow down; try again shortly")]
    RateLimited {
        /// The server's `Retry-After`, when given.
        retry_after: Option<Duration>,
    },
    /// Frame.io or an intermediary failed (5xx); retry later.
    #[error("Frame.io is having trouble (HTTP {status}); try again later")]
    Server {
        /// The HTTP status.
        status: u16,
    },
    /// The operation was cancelled by the user.
    #[error("cancelled")]
    Cancelled,
    /// The operation cannot run now (e.g. a pairing is already in progress).
    #[error("busy: {0}")]
    Busy(String),
    /// The secure token storage or the state directory failed.
    #[error("storage problem: {0}")]
    Storage(String),
    /// Another uploader (another process, or another running engine of this one) holds this
    /// queue's uploader lock: one uploader per queue. The text names the holder.
    #[error("{0}")]
    QueueInUse(crate::statedir::UploaderHolder),
    /// The server answered something the engine does not understand.
    #[error("unexpected answer from Frame.io: {0}")]
    UnexpectedResponse(String),
    /// The sign-in with a Frame.io account (the OAuth application flow) did not complete.
    #[error("{0}")]
    SignIn(SignInError),
    /// Frame.io refused a token it had just renewed: API calls wait (nothing is sent, nothing in
    /// the queue is lost) and are tried again after `retry_after`.
    #[error(
        "Frame.io keeps refusing this device's sign-in; trying again in {} s (nothing in the queue is lost)",
        retry_after.as_secs().max(1)
    )]
    AuthRefused {
        /// When the next attempt is allowed.
        retry_after: Duration,
    },
    /// The connection manager (accounts, projects, connect, disconnect, the user's profile) needs
    /// a sign-in with a Frame.io account; a device paired with a code cannot use it.
    #[error(
        "choosing an account or project needs a sign-in with a Frame.io account; a device paired with a code uploads to the project picked when it was paired"
    )]
    NeedsAccountSignIn,
}

/// Why a sign-in with a Frame.io account (authorization code + PKCE) did not complete.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The app has no application client id configured.
    #[error("sign-in with a Frame.io account is not set up in this app; pair with a code instead")]
    NotAvailable,
    /// `complete` was called with no sign-in in progress.
    #[error("no sign-in is in progress; start it again")]
    NotStarted,
    /// The sign-in was started too long ago.
    #[error("the sign-in took too long; start it again")]
    Expired,
    /// The answer's `state` is not the one this sign-in sent (a stale or forged answer); the
    /// sign-in in progress is kept.
    #[error("the sign-in answer does not belong to this sign-in; start it again")]
    StateMismatch,
    /// The user declined in the browser (`error=access_denied`).
    #[error("the sign-in was declined")]
    Denied,
    /// The redirect URL is unusable (not a URL, another redirect URI, no code).
    #[error("the sign-in answer is not usable: {0}")]
    BadRedirect(String),
    /// Frame.io refused the authorization code (used, expired, or not ours).
    #[error("Frame.io refused the sign-in (the code was used or expired); start it again")]
    CodeRejected,
    /// Frame.io answered the authorization with another error.
    #[error("Frame.io refused the sign-in: {code}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Failed {
        /// The OAuth `error` code.
        code: String,
        /// The `error_description`, when given (at most 200 characters).
        description: Option<String>,
    },
}

impl Error {
    /// Whether retrying later may succeed without user action.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Error::Network { .. } | Error::RateLimited { .. } | Error::Server { .. }
        )
    }

    pub(crate) fn from_reqwest(e: &reqwest::Error) -> Self {
        let kind = if e.is_timeout() {
            NetworkErrorKind::Timeout
        } else if e.is_connect() {
            if is_tls(e) {
                NetworkErrorKind::Tls
            } else {
                NetworkErrorKind::Connect
            }
        } else {
            NetworkErrorKind::Interrupted
        };
        Error::Network { kind }
    }
}

fn is_tls(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if err.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        // An io::Error's `source()` skips the error it wraps: look inside it too.
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && let Some(inner) = io.get_ref()
            && (inner.downcast_ref::<rustls::Error>().is_some() || is_tls(inner))
        {
            return true;
        }
        cur = err.source();
    }
    false
}

/// A parsed error body, of either shape the API uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiErrorBody {
    /// The simple shape's `error` code (`invalid_client`, `slow_down`...).
    pub code: Option<String>,
    /// The detailed shape's first `errors[].detail`, else its `message`.
    pub detail: Option<String>,
}

impl ApiErrorBody {
    /// Parse `{"error":"..."}` or `{"code":N,"errors":[{"detail":..}],"message":..}`; anything else
    /// (HTML from a proxy, malformed JSON) gives an empty body, never a panic.
    pub fn parse(bytes: &[u8]) -> Self {
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            return Self::default();
        };
        let code = v.get("error").and_then(Value::as_str).map(str::to_string);
        let first = v
            .get("errors")
            .and_then(Value::as_array)
            .and_then(|a| a.first());
        let detail = first
            .and_then(|e| e.get("detail").or_else(|| e.get("title")))
            .and_then(Value::as_str)
            .or_else(|| v.get("message").and_then(Value::as_str))
            .or_else(|| v.get("error_description").and_then(Value::as_str))
            .map(|s| s.chars().take(300).collect());
        Self { code, detail }
    }
}

/// Map a non-success HTTP answer to an [`Error`].
pub(crate) fn error_for_status(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let parsed = ApiErrorBody::parse(body);
    let detail = parsed
        .detail
        .clone()
        .or_else(|| parsed.code.clone())
        .unwrap_or_else(|| format!("HTTP {status}"));
    match (status, parsed.code.as_deref()) {
        (_, Some("invalid_client")) => Error::InvalidClient,
        (_, Some("invalid_grant")) => Error::AuthorizationRejected,
        (_, Some("expired_token")) => Error::CodeExpired,
        (401, _) => Error::NotAuthorized,
        (403, _) => Error::Forbidden { detail },
        (404, _) => Error::NotFound { detail },
        (409, _) => Error::Conflict { detail },
        (429, _) => Error::RateLimited { retry_after },
        (500..=599, _) => Error::Server { status },
        (400..=499, _) => Error::BadRequest { detail },
        (300..=399, _) => Error::UnexpectedResponse(format!(
            "HTTP {status}: the server redirected elsewhere, which the C2C API never does"
        )),
        _ => Error::UnexpectedResponse(format!("HTTP {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_shapes_and_garbage() {
        let s = ApiErrorBody::parse(br#"{"error":"slow_down","extra":1}"#);
        assert_eq!(s.code.as_deref(), Some("slow_down"));
        let d = ApiErrorBody::parse(
            br#"{"code":401,"errors":[{"code":401,"detail":"You are not allowed","status":401,"title":"Not Authorized"}],"message":"Not Authorized"}"#,
        );
        assert_eq!(d.detail.as_deref(), Some("You are not allowed"));
        assert_eq!(d.code, None);
        let m = ApiErrorBody::parse(br#"{"message":"only a message"}"#);
        assert_eq!(m.detail.as_deref(), Some("only a message"));
        assert_eq!(ApiErrorBody::parse(b"<html>"), ApiErrorBody::default());
        assert_eq!(
            ApiErrorBody::parse(br#"{"errors":"x"}"#),
            ApiErrorBody::default()
        );
    }

    #[test]
    fn maps_statuses() {
        assert!(matches!(
            error_for_status(400, None, br#"{"error":"invalid_client"}"#),
            Error::InvalidClient
        ));
        assert!(matches!(
            error_for_status(401, None, b"not json"),
            Error::NotAuthorized
        ));
        assert!(matches!(
            error_for_status(429, Some(Duration::from_secs(1)), b""),
            Error::RateLimited {
                retry_after: Some(_)
            }
        ));
        assert!(matches!(
            error_for_status(503, None, b""),
            Error::Server { status: 503 }
        ));
        assert!(matches!(
            error_for_status(400, None, br#"{"error":"bad_request"}"#),
            Error::BadRequest { .. }
        ));
        assert!(matches!(
            error_for_status(302, None, b""),
            Error::UnexpectedResponse(_)
        ));
    }
}
