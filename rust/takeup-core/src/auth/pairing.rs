//! Hardware pairing (OAuth device-code flow) as an explicit state machine.
//!
//! ```text
//!             start / code expired (attempt += 1, up to max codes)
//!                  ┌──────────────────────────────────────────────┐
//!                  ▼                                              │
//!   ┌────────────────────────┐  code   ┌──────────────────────────┴───┐
//!   │ RequestingCode{attempt}│────────▶│ WaitingForUser{code, QR URI, │
//!   └───────────┬────────────┘         │   expires_at, interval}      │◀─┐ pending: sleep interval
//!               │                      └──┬───────────┬───────────────┘  │ slow_down: interval += 5 s
//!               │                         │ granted   └──────────────────┘ network blip: keep polling
//!               │                         ▼
//!               │                ┌──────────────────┐ engine: store tokens (one write),
//!               │                │   Authorizing    │ GET /v2/devices/me + /v2/me
//!               │                └────────┬─────────┘
//!               │                         ▼
//!               │                   Authorized (NotConnected / Connected)
//!               │
//!   cancel (any state, also mid-request) ──▶ Cancelled: nothing stored (rolled back if needed)
//!   invalid_client / invalid_request / invalid_grant ──▶ typed error, pairing ends
//! ```
//!
//! The machine is independent of HTTP: it drives a [`PairingTransport`] (the real one is
//! [`AuthApi`]) and reports each step to an observer, so the UI sees every code (also the new ones
//! after expiry) through the connection state.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{AuthApi, DeviceCode, DeviceCodeGrant, PollOutcome, TokenGrant};
use crate::error::{Error, Result};

/// Where pairing stands.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PairingPhase {
    /// Asking the server for a code.
    RequestingCode,
    /// Showing the code; polling until the user approves it.
    WaitingForUser,
    /// Approved: storing the tokens and reading the identity.
    Authorizing,
}

/// A code to show: the six digits, the URL and the QR content.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingCode {
    /// The code the user types in Frame.io.
    pub user_code: String,
    /// Where to type it (fallback when no QR pairing).
    pub verification_uri: Option<String>,
    /// URL with the code pre-filled: render as a QR code / tappable link.
    pub verification_uri_complete: Option<String>,
    /// When the code expires.
    pub expires_at: DateTime<Utc>,
    /// The name the device will get in Frame.io.
    pub device_name: Option<String>,
}

/// Pairing progress, as published in [`ConnectionState::Pairing`](crate::ConnectionState).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingProgress {
    /// The current step.
    pub phase: PairingPhase,
    /// The code being shown (absent while the first one is requested).
    pub code: Option<PairingCode>,
    /// 1 for the first code, +1 for each code requested after an expiry.
    pub attempt: u32,
    /// The current poll interval.
    pub poll_interval: Duration,
}

/// Tunables of the state machine.
#[derive(Clone, Debug)]
pub struct PairingOptions {
    /// Codes to request before giving up with [`Error::CodeExpired`].
    pub max_codes: u32,
    /// Added to the interval on each `slow_down` (RFC 8628: 5 s).
    pub slow_down_increment: Duration,
}

impl Default for PairingOptions {
    fn default() -> Self {
        Self {
            max_codes: 10,
            slow_down_increment: Duration::from_secs(5),
        }
    }
}

/// The two calls pairing needs; [`AuthApi`] is the real implementation.
#[async_trait]
pub trait PairingTransport: Send + Sync {
    /// Ask for a new code.
    async fn request_code(&self) -> Result<DeviceCodeGrant>;
    /// Poll once.
    async fn poll(&self, device_code: &DeviceCode) -> Result<PollOutcome>;
}

#[async_trait]
impl PairingTransport for AuthApi {
    async fn request_code(&self) -> Result<DeviceCodeGrant> {
        self.request_device_code().await
    }
    async fn poll(&self, device_code: &DeviceCode) -> Result<PollOutcome> {
        self.poll_token(device_code).await
    }
}

/// Await `f` unless `cancel` fires first.
pub(crate) async fn cancellable<F: Future>(cancel: &CancellationToken, f: F) -> Result<F::Output> {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => Err(Error::Cancelled),
        v = f => Ok(v),
    }
}

fn code_of(g: &DeviceCodeGrant) -> PairingCode {
    PairingCode {
        user_code: g.user_code.clone(),
        verification_uri: g.verification_uri.clone(),
        verification_uri_complete: g.verification_uri_complete.clone(),
        expires_at: g.expires_at,
        device_name: g.device_name.clone(),
    }
}

/// Run pairing until the user approves a code (tokens returned, not stored), `cancel` fires, the
/// codes run out or a fatal error happens. `observe` sees every step.
pub async fn run(
    transport: &dyn PairingTransport,
    options: &PairingOptions,
    cancel: &CancellationToken,
    observe: &(dyn Fn(PairingProgress) + Send + Sync),
) -> Result<TokenGrant> {
    for attempt in 1..=options.max_codes.max(1) {
        observe(PairingProgress {
            phase: PairingPhase::RequestingCode,
            code: None,
            attempt,
            poll_interval: Duration::ZERO,
        });
        let grant = cancellable(cancel, transport.request_code()).await??;
        let deadline = Instant::now() + grant.expires_in;
        let mut interval = grant.interval;
        let show = |interval: Duration| {
            observe(PairingProgress {
                phase: PairingPhase::WaitingForUser,
                code: Some(code_of(&grant)),
                attempt,
                poll_interval: interval,
            })
        };
        show(interval);
        let mut transient = 0u32;
        loop {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            let wait = interval.min(deadline - now);
            cancellable(cancel, tokio::time::sleep(wait)).await?;
            if Instant::now() >= deadline {
                break;
            }
            match cancellable(cancel, transport.poll(&grant.device_code)).await? {
                Ok(PollOutcome::Granted(tokens)) => {
                    observe(PairingProgress {
                        phase: PairingPhase::Authorizing,
                        code: Some(code_of(&grant)),
                        attempt,
                        poll_interval: interval,
                    });
                    return Ok(tokens);
                }
                Ok(PollOutcome::Pending) => transient = 0,
                Ok(PollOutcome::SlowDown) => {
                    interval += options.slow_down_increment;
                    tracing::debug!(
                        interval_secs = interval.as_secs(),
                        "slow_down: polling less often"
                    );
                    show(interval);
                }
                Ok(PollOutcome::Expired) => break,
                Err(e) if e.is_transient() => {
                    transient += 1;
                    tracing::warn!(error = %e, "pairing poll failed; will keep polling");
                    let extra = match e {
                        Error::RateLimited { retry_after } => retry_after.unwrap_or(interval),
                        _ => Duration::from_secs(u64::from(transient.min(5))),
                    };
                    let left = deadline.saturating_duration_since(Instant::now());
                    cancellable(cancel, tokio::time::sleep(extra.min(left))).await?;
                }
                Err(e) => return Err(e),
            }
        }
        tracing::info!(attempt, "pairing code expired; requesting a new one");
    }
    Err(Error::CodeExpired)
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;

    struct Scripted {
        code_ttl: Duration,
        polls: Mutex<VecDeque<Result<PollOutcome>>>,
        poll_times: Mutex<Vec<Instant>>,
        codes: Mutex<u32>,
    }

    impl Scripted {
        fn new(code_ttl: u64, polls: Vec<Result<PollOutcome>>) -> Self {
            Self {
                code_ttl: Duration::from_secs(code_ttl),
                polls: Mutex::new(polls.into()),
                poll_times: Mutex::new(Vec::new()),
                codes: Mutex::new(0),
            }
        }
        /// Polls that all answer (no transport error), in order.
        fn answering(code_ttl: u64, polls: impl IntoIterator<Item = PollOutcome>) -> Self {
            Self::new(code_ttl, polls.into_iter().map(Ok).collect())
        }
        fn gaps(&self, start: Instant) -> Vec<u64> {
            let t = self.poll_times.lock().unwrap();
            let mut prev = start;
            t.iter()
                .map(|x| {
                    let g = (*x - prev).as_secs();
                    prev = *x;
                    g
                })
                .collect()
        }
    }

    fn tokens() -> TokenGrant {
        TokenGrant {
            access_token: "a".into(),
            refresh_token: "r".into(),
            expires_in: Duration::from_secs(60),
        }
    }

    #[async_trait]
    impl PairingTransport for Scripted {
        async fn request_code(&self) -> Result<DeviceCodeGrant> {
            let mut n = self.codes.lock().unwrap();
            *n += 1;
            Ok(DeviceCodeGrant {
                device_code: DeviceCode::new(format!("dc{n}")),
                user_code: format!("00000{n}"),
                verification_uri: Some("https://x/pair".into()),
                verification_uri_complete: Some(format!("https://x/pair?code=00000{n}")),
                expires_at: Utc::now(),
                expires_in: self.code_ttl,
                interval: Duration::from_secs(5),
                device_name: None,
            })
        }
        async fn poll(&self, _c: &DeviceCode) -> Result<PollOutcome> {
            self.poll_times.lock().unwrap().push(Instant::now());
            self.polls
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or(Ok(PollOutcome::Pending))
        }
    }

    /// Pairing with the default options, never cancelled.
    async fn run_to_end(
        t: &Scripted,
        observe: &(dyn Fn(PairingProgress) + Send + Sync),
    ) -> Result<TokenGrant> {
        run(
            t,
            &PairingOptions::default(),
            &CancellationToken::new(),
            observe,
        )
        .await
    }

    fn recorder() -> (
        std::sync::Arc<Mutex<Vec<PairingProgress>>>,
        impl Fn(PairingProgress) + Send + Sync,
    ) {
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        (seen, move |p| s.lock().unwrap().push(p))
    }

    #[tokio::test(start_paused = true)]
    async fn slow_down_adds_five_seconds() {
        use PollOutcome::*;
        let t = Scripted::answering(
            120,
            [Pending, SlowDown, Pending, SlowDown, Granted(tokens())],
        );
        let (seen, obs) = recorder();
        let start = Instant::now();
        let got = run_to_end(&t, &obs).await.unwrap();
        assert_eq!(got.access_token, "a");
        assert_eq!(t.gaps(start), vec![5, 5, 10, 10, 15]);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.last().unwrap().phase, PairingPhase::Authorizing);
        assert!(
            seen.iter()
                .any(|p| p.poll_interval == Duration::from_secs(15))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn expiry_requests_a_new_code_and_shows_it() {
        // Code lives 12 s: polls at 5 and 10, then the local deadline passes; the server's
        // expired_token is handled too.
        use PollOutcome::*;
        let t = Scripted::answering(12, [Pending, Pending, Expired, Granted(tokens())]);
        let (seen, obs) = recorder();
        run_to_end(&t, &obs).await.unwrap();
        assert_eq!(*t.codes.lock().unwrap(), 3);
        let seen = seen.lock().unwrap();
        let shown: Vec<String> = seen
            .iter()
            .filter(|p| p.phase == PairingPhase::WaitingForUser)
            .filter_map(|p| p.code.as_ref().map(|c| c.user_code.clone()))
            .collect();
        assert_eq!(shown, vec!["000001", "000002", "000003"]);
        assert_eq!(seen.last().unwrap().attempt, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_codes() {
        let t = Scripted::new(6, vec![]);
        let opts = PairingOptions {
            max_codes: 2,
            ..Default::default()
        };
        let err = run(&t, &opts, &CancellationToken::new(), &|_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, Error::CodeExpired));
        assert_eq!(*t.codes.lock().unwrap(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn fatal_errors_end_pairing_and_blips_do_not() {
        let t = Scripted::new(
            120,
            vec![
                Err(Error::Network {
                    kind: crate::error::NetworkErrorKind::Connect,
                }),
                Ok(PollOutcome::Pending),
                Err(Error::InvalidClient),
            ],
        );
        let err = run_to_end(&t, &|_| {}).await.unwrap_err();
        assert!(matches!(err, Error::InvalidClient));
        assert_eq!(t.poll_times.lock().unwrap().len(), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn cancel_while_waiting() {
        let t = Scripted::new(120, vec![]);
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(12)).await;
            c.cancel();
        });
        let err = run(&t, &PairingOptions::default(), &cancel, &|_| {})
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Cancelled));
        assert_eq!(t.poll_times.lock().unwrap().len(), 2);
    }
}
