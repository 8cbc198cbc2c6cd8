//! Every failure of an upload step, classified into what the queue does next.
//!
//! | class | examples | queue action |
//! |---|---|---|
//! | retry later | timeouts, cut connections, 5xx, S3 SlowDown/RequestTimeout, 429 | back off with jitter, counts as an attempt |
//! | wait for network | offline (host report or failed probe) | hold, no attempt burnt |
//! | re-auth | 401 | refreshed inside the API client; if refresh fails: authorization lost, hold |
//! | re-plan | S3 403 "Request has expired" | fetch a fresh URL for that part (real-time), or a new asset when nothing was acknowledged (standard) |
//! | fatal | 400 validation, 403/404, S3 SignatureDoesNotMatch, file gone or changed | park as failed with the reason |
//! | skipped | 409 Channel Paused | park as skipped: recorded while the device was paused |

use std::time::Duration;

use crate::error::{Error, NetworkErrorKind};

use super::file::FileError;

/// What to do after a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Retry after a backoff (at least `after` when the server said so).
    RetryLater {
        reason: String,
        after: Option<Duration>,
    },
    /// The link is down: hold without burning an attempt.
    WaitForNetwork { reason: String },
    /// Authorization is gone (device forgotten): hold until paired again.
    AuthLost,
    /// The part URL expired: get a fresh one.
    RePlan { reason: String },
    /// Will never work: park as failed.
    Fatal { reason: String },
    /// Recorded while the device was paused: park as skipped.
    Skipped { reason: String },
    /// The user cancelled.
    Cancelled,
}

impl Disposition {
    pub fn reason(&self) -> String {
        match self {
            Disposition::RetryLater { reason, .. }
            | Disposition::WaitForNetwork { reason }
            | Disposition::RePlan { reason }
            | Disposition::Fatal { reason }
            | Disposition::Skipped { reason } => reason.clone(),
            Disposition::AuthLost => "not authorized: pair the device again".into(),
            Disposition::Cancelled => "cancelled".into(),
        }
    }
}

/// A failure of an API call (asset creation, part registration).
pub fn api_error(e: &Error) -> Disposition {
    match e {
        Error::Network { kind } => match kind {
            NetworkErrorKind::Connect => Disposition::WaitForNetwork {
                reason: e.to_string(),
            },
            NetworkErrorKind::Tls => Disposition::Fatal {
                reason: e.to_string(),
            },
            _ => Disposition::RetryLater {
                reason: e.to_string(),
                after: None,
            },
        },
        Error::RateLimited { retry_after } => Disposition::RetryLater {
            reason: e.to_string(),
            after: *retry_after,
        },
        Error::Server { .. } => Disposition::RetryLater {
            reason: e.to_string(),
            after: None,
        },
        Error::NotAuthorized | Error::AuthorizationRejected => Disposition::AuthLost,
        // The API client pauses every call while Frame.io refuses renewed tokens (and the engine
        // probes, then reports not authorized): hold and probe like an outage, without spending
        // an attempt or parking anything. The probe (a heartbeat) goes through the same pause, so
        // it sends nothing until the pause ends, and it is what resumes the queue once the tokens
        // are accepted again.
        Error::AuthRefused { .. } => Disposition::WaitForNetwork {
            reason: e.to_string(),
        },
        Error::Conflict { detail } if detail.to_ascii_lowercase().contains("paused") => {
            Disposition::Skipped {
                reason: "recorded while the device was paused".into(),
            }
        }
        Error::Cancelled => Disposition::Cancelled,
        Error::Storage(_) => Disposition::RetryLater {
            reason: e.to_string(),
            after: None,
        },
        Error::UnexpectedResponse(_) => Disposition::RetryLater {
            reason: e.to_string(),
            after: None,
        },
        _ => Disposition::Fatal {
            reason: e.to_string(),
        },
    }
}

/// The `<Code>` of an S3 XML error body.
pub fn s3_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = text[start..].find("</Code>")? + start;
    Some(text[start..end].trim().chars().take(64).collect())
}

/// A non-2xx answer to a part PUT.
pub fn s3_status(status: u16, body: &[u8], retry_after: Option<Duration>) -> Disposition {
    let code = s3_code(body).unwrap_or_default();
    let text = String::from_utf8_lossy(body);
    let reason = if code.is_empty() {
        format!("upload server answered HTTP {status}")
    } else {
        format!("upload server answered HTTP {status} {code}")
    };
    match (status, code.as_str()) {
        (403, "AccessDenied") if text.contains("expired") => Disposition::RePlan { reason },
        (400, "RequestTimeout") | (400, "IncompleteBody") => Disposition::RetryLater {
            reason,
            after: None,
        },
        (429, _) | (503, _) => Disposition::RetryLater {
            reason,
            after: retry_after.or(Some(Duration::from_secs(2))),
        },
        (408, _) | (500..=599, _) => Disposition::RetryLater {
            reason,
            after: retry_after,
        },
        (404, _) => Disposition::Fatal {
            reason: format!("{reason}: the upload no longer exists"),
        },
        _ => Disposition::Fatal { reason },
    }
}

/// A transport failure of a part PUT.
pub fn transport(e: &Error) -> Disposition {
    api_error(e)
}

/// A file problem: never retried automatically (the user can retry once the file is back).
pub fn file_error(e: &FileError) -> Disposition {
    Disposition::Fatal {
        reason: e.to_string(),
    }
}

/// Exponential backoff with full jitter: a random delay in [base, min(max, base * 2^attempt)].
pub fn backoff(
    attempt: u32,
    base: Duration,
    max: Duration,
    server_min: Option<Duration>,
) -> Duration {
    use rand::Rng;
    let cap = base
        .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX))
        .min(max)
        .max(base);
    let jittered = rand::rng().random_range(base.as_millis() as u64..=cap.as_millis() as u64);
    Duration::from_millis(jittered).max(server_min.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_answers() {
        let xml =
            |c: &str, m: &str| format!("<Error><Code>{c}</Code><Message>{m}</Message></Error>");
        assert!(matches!(
            s3_status(500, xml("InternalError", "x").as_bytes(), None),
            Disposition::RetryLater { .. }
        ));
        assert!(matches!(
            s3_status(503, xml("SlowDown", "x").as_bytes(), None),
            Disposition::RetryLater { after: Some(_), .. }
        ));
        assert!(matches!(
            s3_status(400, xml("RequestTimeout", "x").as_bytes(), None),
            Disposition::RetryLater { .. }
        ));
        assert!(matches!(
            s3_status(
                403,
                xml("AccessDenied", "Request has expired").as_bytes(),
                None
            ),
            Disposition::RePlan { .. }
        ));
        assert!(matches!(
            s3_status(403, xml("SignatureDoesNotMatch", "x").as_bytes(), None),
            Disposition::Fatal { .. }
        ));
        assert!(matches!(
            s3_status(400, xml("EntityTooSmall", "x").as_bytes(), None),
            Disposition::Fatal { .. }
        ));
        assert!(matches!(
            s3_status(404, xml("NoSuchUpload", "x").as_bytes(), None),
            Disposition::Fatal { .. }
        ));
        assert!(matches!(
            s3_status(502, b"<html>bad gateway</html>", None),
            Disposition::RetryLater { .. }
        ));
    }

    #[test]
    fn api_answers() {
        let paused = Error::Conflict {
            detail: "The channel you're uploading from is currently paused.".into(),
        };
        assert!(matches!(api_error(&paused), Disposition::Skipped { .. }));
        assert_eq!(api_error(&Error::NotAuthorized), Disposition::AuthLost);
        assert!(matches!(
            api_error(&Error::AuthRefused {
                retry_after: Duration::from_secs(10)
            }),
            Disposition::WaitForNetwork { .. }
        ));
        assert!(matches!(
            api_error(&Error::Server { status: 503 }),
            Disposition::RetryLater { .. }
        ));
        assert!(matches!(
            api_error(&Error::BadRequest { detail: "x".into() }),
            Disposition::Fatal { .. }
        ));
        assert!(matches!(
            api_error(&Error::Network {
                kind: NetworkErrorKind::Connect
            }),
            Disposition::WaitForNetwork { .. }
        ));
        let rl = api_error(&Error::RateLimited {
            retry_after: Some(Duration::from_secs(3)),
        });
        assert_eq!(
            rl,
            Disposition::RetryLater {
                reason: rl.reason(),
                after: Some(Duration::from_secs(3))
            }
        );
    }

    #[test]
    fn backoff_grows_within_bounds() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(2);
        for attempt in 0..30 {
            let d = backoff(attempt, base, max, None);
            assert!(d >= base && d <= max, "{d:?}");
        }
        assert!(backoff(0, base, max, Some(Duration::from_secs(5))) >= Duration::from_secs(5));
    }
}
