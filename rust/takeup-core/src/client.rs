//! The authorized API client: bearer token from the [`TokenManager`], refresh + one retry on 401
//! under the token manager's [`AuthGate`](crate::tokens::AuthGate), and a shared pause on 429.
//! The uploader and the engine's loops build on this, so whatever calls the API is bounded the
//! same way:
//!
//! - **401**: the first caller to see one renews the token (single-flight) and resends; callers
//!   arriving meanwhile wait for its verdict. A renewed token that is refused too pauses every
//!   call ([`Error::AuthRefused`], nothing sent) for a doubling wait, then one probe goes.
//! - **429**: the wait (`Retry-After` in seconds or as an HTTP date; else 1 s, doubling) applies
//!   to every caller: nobody sends before it ends. Waits up to [`INLINE_RETRY_AFTER`] are absorbed
//!   here (at most [`MAX_INLINE_429`] times per call); longer ones are
//!   [`Error::RateLimited`] for the caller, without a request while the pause lasts.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Result};
use crate::http::{HttpClient, HttpResponse};
use crate::tokens::TokenManager;

/// Longest 429 pause absorbed inline before giving the error to the caller.
pub const INLINE_RETRY_AFTER: Duration = Duration::from_secs(5);
/// 429 answers absorbed inline per call.
pub const MAX_INLINE_429: u32 = 3;
/// The pause after a 429 without `Retry-After` (doubling for each one in a row).
const DEFAULT_429_PAUSE: Duration = Duration::from_secs(1);

/// Sends authorized requests to the C2C API; cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthorizedClient {
    http: HttpClient,
    tokens: Arc<TokenManager>,
    /// No request before this (a 429's pause).
    not_before: Arc<Mutex<Option<Instant>>>,
}

type Builder<'a> = &'a (dyn Fn(&HttpClient) -> Result<reqwest::RequestBuilder> + Send + Sync);

impl AuthorizedClient {
    pub(crate) fn new(http: HttpClient, tokens: Arc<TokenManager>) -> Self {
        Self {
            http,
            tokens,
            not_before: Arc::default(),
        }
    }

    /// The plain HTTP client (for S3 PUTs, which carry no token).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The token manager behind the client.
    pub fn tokens(&self) -> &Arc<TokenManager> {
        &self.tokens
    }

    fn pause_until(&self) -> Option<Instant> {
        *self.not_before.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push_pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut nb = self.not_before.lock().unwrap_or_else(|p| p.into_inner());
        if nb.is_none_or(|t| t < until) {
            *nb = Some(until);
        }
    }

    /// Wait out a short 429 pause; a long one is the caller's ([`Error::RateLimited`]).
    async fn rate_gate(&self) -> Result<()> {
        if let Some(until) = self.pause_until() {
            let now = Instant::now();
            if until > now {
                let left = until - now;
                if left > INLINE_RETRY_AFTER {
                    return Err(Error::RateLimited {
                        retry_after: Some(left),
                    });
                }
                tokio::time::sleep_until(until).await;
            }
        }
        Ok(())
    }

    async fn send(&self, build: Builder<'_>, token: &str) -> Result<HttpResponse> {
        self.http.send(build(&self.http)?.bearer_auth(token)).await
    }

    /// Send a request built by `build` with the bearer token (see the module docs for 401 and
    /// 429). Non-2xx answers become typed errors.
    pub async fn execute(&self, build: Builder<'_>) -> Result<HttpResponse> {
        let mut limited = 0u32;
        loop {
            self.rate_gate().await?;
            let resp = self.authorized(build).await?;
            if resp.status != 429 {
                return resp.success();
            }
            limited += 1;
            let given = resp.retry_after();
            let wait = given.unwrap_or(DEFAULT_429_PAUSE * (1 << (limited - 1).min(6)));
            self.push_pause(wait);
            tracing::debug!(wait_ms = wait.as_millis() as u64, "429: pausing API calls");
            if wait > INLINE_RETRY_AFTER || limited > MAX_INLINE_429 {
                return Err(Error::RateLimited { retry_after: given });
            }
        }
    }

    /// One request through the auth gate: a 401 is renewed and resent once (by one caller at a
    /// time); answers other than 401 are returned as they are.
    async fn authorized(&self, build: Builder<'_>) -> Result<HttpResponse> {
        loop {
            let gate = self.tokens.gate();
            let probe = gate.admit().await?;
            let mut token = self.tokens.access_token().await?;
            let mut renewed = false;
            if probe.is_some() && self.tokens.generation_now() == gate.blocked_generation() {
                // The token the gate paused on is still current: renew it before the probe
                // rather than resending a token known to be refused.
                token = self
                    .tokens
                    .refresh_after_401(&token)
                    .await?
                    .access_token()
                    .to_string();
                renewed = true;
            }
            let resp = self.send(build, &token).await?;
            if resp.status != 401 {
                if let Some(p) = probe
                    && resp.status != 429
                {
                    p.accepted();
                }
                return Ok(resp);
            }
            let verifier = match probe {
                Some(p) if renewed => return Err(p.refused(self.tokens.generation_now())),
                Some(p) => p,
                None => match gate.start_verifying() {
                    Some(v) => v,
                    // Someone else is checking a renewed token (or the gate just closed): wait
                    // for the verdict, then go again with the newest token.
                    None => continue,
                },
            };
            tracing::debug!("401: renewing the token and retrying once");
            let pair = self.tokens.refresh_after_401(&token).await?;
            let resp = self.send(build, pair.access_token()).await?;
            if resp.status == 401 {
                return Err(verifier.refused(self.tokens.generation_now()));
            }
            if resp.status != 429 {
                verifier.accepted();
            }
            return Ok(resp);
        }
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Result<HttpResponse> {
        self.execute(&|h| h.request(reqwest::Method::GET, path))
            .await
    }

    /// `POST path` with no body.
    pub async fn post_empty(&self, path: &str) -> Result<HttpResponse> {
        self.execute(&|h| h.request(reqwest::Method::POST, path))
            .await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> Result<HttpResponse> {
        self.execute(&|h| Ok(h.request(reqwest::Method::POST, path)?.json(body)))
            .await
    }
}
