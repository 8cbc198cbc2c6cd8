//! The token pair: secure storage (one secret value, one write), proactive and on-401 refresh
//! with rotation, single-flight, detection of lost authorization, and the [`AuthGate`] that
//! bounds what a server refusing every token can cost.
//!
//! Refresh is single-flight: callers pass the access token they used; under the refresh lock the
//! manager first re-reads the store (another instance or process may have rotated already) and only
//! refreshes if the token they used is still the current one. The rotated pair is written to the
//! store before it is handed out.
//!
//! The pair remembers how it was obtained ([`SignInMethod`]): device-code pairs refresh at
//! `/v2/auth/token` with the client secret, pairs from a sign-in with a Frame.io account at the
//! applications token endpoint without one.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};
use tokio::time::Instant;

use crate::auth::app::AppAuthApi;
use crate::auth::{AuthApi, TokenGrant, debug_tokens_redacted};
use crate::error::{Error, Result, SignInError};
use crate::secrets::SecretStore;

/// How this install got its authorization; it decides the refresh endpoint and what the tokens
/// may reach (device-code tokens only the device endpoints, account tokens the connection manager
/// too).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    /// Paired with a code (the device-code flow): the project is chosen on Frame.io while pairing.
    #[default]
    DeviceCode,
    /// Signed in with a Frame.io account (the OAuth application flow): accounts and projects are
    /// chosen in the app.
    Account,
}

impl SignInMethod {
    /// Whether the tokens can use the connection manager (`/v2/me`, accounts, projects, connect,
    /// disconnect).
    pub fn can_manage_connection(self) -> bool {
        self == SignInMethod::Account
    }
}

/// An access/refresh token pair with its expiry. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    access_token: String,
    refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// How it was obtained (pairs stored before sign-in existed are device-code pairs).
    #[serde(default)]
    pub method: SignInMethod,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_tokens_redacted(f, "TokenPair")
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .field("method", &self.method)
            .finish()
    }
}

impl TokenPair {
    /// A pair from a token answer received now.
    pub fn from_grant(g: &TokenGrant, method: SignInMethod) -> Self {
        let now = Utc::now();
        let lifetime =
            chrono::Duration::from_std(g.expires_in).unwrap_or_else(|_| chrono::Duration::hours(8));
        Self {
            access_token: g.access_token.clone(),
            refresh_token: g.refresh_token.clone(),
            expires_at: now + lifetime,
            issued_at: now,
            method,
        }
    }

    /// The bearer token (for the `Authorization` header only).
    pub fn access_token(&self) -> &str {
        &self.access_token
    }

    pub(crate) fn refresh_token(&self) -> &str {
        &self.refresh_token
    }

    /// When to refresh: at 80 % of the lifetime, and at least 60 s before expiry for long-lived
    /// tokens.
    pub fn refresh_due_at(&self) -> DateTime<Utc> {
        let lifetime = self.expires_at - self.issued_at;
        let mut lead = lifetime / 5;
        if lifetime >= chrono::Duration::minutes(10) {
            lead = lead.max(chrono::Duration::seconds(60));
        }
        self.expires_at - lead
    }

    /// Whether the token should be refreshed now.
    pub fn needs_refresh(&self) -> bool {
        Utc::now() >= self.refresh_due_at()
    }
}

#[derive(Serialize, Deserialize)]
struct Stored {
    v: u32,
    #[serde(flatten)]
    pair: TokenPair,
}

/// Why authorization was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LostReason {
    /// The refresh answered 401 (device forgotten, refresh token expired).
    Revoked,
    /// The refresh token was refused as spent/unknown and no newer pair exists.
    RefreshRejected,
    /// Frame.io keeps refusing tokens it has just renewed: the tokens are kept and tried again
    /// with growing pauses ([`AuthGate`]); the user may pair or sign in again meanwhile.
    Refused,
}

/// Where the [`AuthGate`] stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GateMode {
    /// Requests go.
    Open,
    /// One request is checking a renewed token (after a 401, or a probe after a pause); the
    /// others wait for its verdict instead of sending with a token that may be refused.
    Verifying,
    /// A renewed token was refused: nothing is sent until `until` (then one probe goes).
    Blocked {
        /// When the next probe may go.
        until: Instant,
    },
}

/// The gate's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GateState {
    /// Open, verifying or blocked.
    pub mode: GateMode,
    /// Renewed tokens refused in a row (0 after any answer that is not 401).
    pub failures: u32,
    /// The token generation that was refused (a probe renews it first instead of resending it).
    blocked_generation: u64,
}

/// Bounds what a server that refuses every token costs (issue: one `takeup run` against an
/// all-401 server sent ~200 refreshes a second). A 401 makes one caller the verifier: it renews
/// the token (single-flight) and resends; the others wait for its verdict. If the renewed token
/// is refused too, the refresh "did not cure" the 401: nothing is sent by anyone (every caller
/// gets [`Error::AuthRefused`] at once, without touching the network) for `base`, then one probe
/// goes; each further refusal doubles the pause up to `max`. Any answer that is not a 401 opens
/// the gate again. Shared by every user of the token manager (API client, uploader, engine loops).
pub struct AuthGate {
    tx: watch::Sender<GateState>,
    base: Duration,
    max: Duration,
}

impl std::fmt::Debug for AuthGate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthGate")
            .field("state", &*self.tx.borrow())
            .finish()
    }
}

/// The right (and duty) to deliver a verdict on a renewed token. Dropped without one (the request
/// failed on the network, was cancelled), the gate goes back to where it was: open after a 401,
/// blocked for another `base` after a probe.
pub struct Verifier<'a> {
    gate: &'a AuthGate,
    probe: bool,
    done: bool,
}

impl Verifier<'_> {
    /// Whether this is a probe after a pause (else: the first 401 on an open gate).
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// The renewed token was accepted: open the gate.
    pub fn accepted(mut self) {
        self.done = true;
        self.gate.tx.send_modify(|s| {
            s.mode = GateMode::Open;
            s.failures = 0;
        });
    }

    /// The renewed token was refused too: block, and the error for the caller.
    pub fn refused(mut self, generation: u64) -> Error {
        self.done = true;
        let mut wait = Duration::ZERO;
        self.gate.tx.send_modify(|s| {
            s.failures = s.failures.saturating_add(1);
            wait = self.gate.backoff(s.failures);
            s.mode = GateMode::Blocked {
                until: Instant::now() + wait,
            };
            s.blocked_generation = generation;
        });
        tracing::warn!(
            wait_secs = wait.as_secs(),
            "a renewed token was refused too; pausing every API call"
        );
        Error::AuthRefused { retry_after: wait }
    }
}

impl Drop for Verifier<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let probe = self.probe;
        let base = self.gate.base;
        self.gate.tx.send_if_modified(|s| {
            if s.mode != GateMode::Verifying {
                return false;
            }
            s.mode = if probe {
                GateMode::Blocked {
                    until: Instant::now() + base,
                }
            } else {
                GateMode::Open
            };
            true
        });
    }
}

impl AuthGate {
    /// A gate whose first pause is `base`, doubling up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Self {
            tx: watch::channel(GateState {
                mode: GateMode::Open,
                failures: 0,
                blocked_generation: 0,
            })
            .0,
            base: base.max(Duration::from_millis(1)),
            max: max.max(base),
        }
    }

    fn backoff(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// The state now.
    pub fn state(&self) -> GateState {
        *self.tx.borrow()
    }

    /// Sees every change of the state.
    pub fn watch(&self) -> watch::Receiver<GateState> {
        self.tx.subscribe()
    }

    /// New tokens (paired, signed in): open, no failures.
    pub fn reset(&self) {
        self.tx.send_if_modified(|s| {
            let changed = s.mode != GateMode::Open || s.failures != 0;
            s.mode = GateMode::Open;
            s.failures = 0;
            changed
        });
    }

    /// The token generation the gate blocked on.
    pub fn blocked_generation(&self) -> u64 {
        self.tx.borrow().blocked_generation
    }

    /// Wait for the right to send: `Ok(None)` go; `Ok(Some(probe))` go as the probe after a pause
    /// (deliver a verdict); [`Error::AuthRefused`] while paused. While another request verifies a
    /// renewed token, this waits for its verdict.
    pub async fn admit(&self) -> Result<Option<Verifier<'_>>> {
        let mut rx = self.tx.subscribe();
        loop {
            rx.borrow_and_update();
            let mut outcome: Option<std::result::Result<bool, Duration>> = None;
            self.tx.send_if_modified(|s| match s.mode {
                GateMode::Open => {
                    outcome = Some(Ok(false));
                    false
                }
                GateMode::Verifying => false,
                GateMode::Blocked { until } => {
                    let now = Instant::now();
                    if now < until {
                        outcome = Some(Err(until - now));
                        false
                    } else {
                        s.mode = GateMode::Verifying;
                        outcome = Some(Ok(true));
                        true
                    }
                }
            });
            match outcome {
                Some(Ok(false)) => return Ok(None),
                Some(Ok(true)) => {
                    return Ok(Some(Verifier {
                        gate: self,
                        probe: true,
                        done: false,
                    }));
                }
                Some(Err(retry_after)) => return Err(Error::AuthRefused { retry_after }),
                None => {
                    if rx.changed().await.is_err() {
                        return Err(Error::Cancelled);
                    }
                }
            }
        }
    }

    /// After a 401 on an open gate: become the verifier (`None`: another request verifies
    /// already, or the gate closed meanwhile: ask [`admit`](Self::admit) again).
    pub fn start_verifying(&self) -> Option<Verifier<'_>> {
        let mut mine = false;
        self.tx.send_if_modified(|s| {
            if s.mode == GateMode::Open {
                s.mode = GateMode::Verifying;
                mine = true;
                true
            } else {
                false
            }
        });
        mine.then_some(Verifier {
            gate: self,
            probe: false,
            done: false,
        })
    }

    /// Fail fast while paused (for calls that do not go through [`admit`](Self::admit), such
    /// as a refresh asked for by the app or the refresh timer).
    pub fn check(&self) -> Result<()> {
        match self.tx.borrow().mode {
            GateMode::Blocked { until } if Instant::now() < until => Err(Error::AuthRefused {
                retry_after: until - Instant::now(),
            }),
            _ => Ok(()),
        }
    }
}

/// Owns the token pair.
pub struct TokenManager {
    auth: AuthApi,
    app: Option<AppAuthApi>,
    gate: AuthGate,
    store: Arc<dyn SecretStore>,
    key: String,
    current: RwLock<Option<TokenPair>>,
    refresh_lock: Mutex<()>,
    /// Bumped on every change of the pair (install, refresh, clear).
    generation: watch::Sender<u64>,
    lost: watch::Sender<Option<LostReason>>,
    /// Bumped after each successful refresh on the server.
    refreshes: watch::Sender<u64>,
}

impl std::fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenManager")
            .field("key", &self.key)
            .field("has_tokens", &self.has_tokens())
            .finish_non_exhaustive()
    }
}

/// A secret store failure as the engine reports it.
pub(crate) fn storage(e: crate::secrets::SecretStoreError) -> Error {
    Error::Storage(e.to_string())
}

impl TokenManager {
    pub(crate) fn new(
        auth: AuthApi,
        app: Option<AppAuthApi>,
        gate: AuthGate,
        store: Arc<dyn SecretStore>,
        key: String,
    ) -> Result<Self> {
        let me = Self {
            auth,
            app,
            gate,
            store,
            key,
            current: RwLock::new(None),
            refresh_lock: Mutex::new(()),
            generation: watch::channel(0).0,
            lost: watch::channel(None).0,
            refreshes: watch::channel(0).0,
        };
        let loaded = me.load()?;
        *me.write() = loaded;
        Ok(me)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<TokenPair>> {
        self.current.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The current pair (cached), if any.
    pub fn current(&self) -> Option<TokenPair> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Whether a pair is held.
    pub fn has_tokens(&self) -> bool {
        self.current().is_some()
    }

    /// The secret-store key of the pair.
    pub fn secret_key(&self) -> &str {
        &self.key
    }

    /// How the current pair was obtained (`None`: no pair).
    pub fn method(&self) -> Option<SignInMethod> {
        self.current().map(|p| p.method)
    }

    /// The gate that pauses API calls while Frame.io refuses renewed tokens.
    pub fn gate(&self) -> &AuthGate {
        &self.gate
    }

    /// The current generation of the pair (bumped on every change).
    pub fn generation_now(&self) -> u64 {
        *self.generation.borrow()
    }

    /// The sign-in with a Frame.io account, when the app has it configured.
    pub fn app(&self) -> Option<&AppAuthApi> {
        self.app.as_ref()
    }

    /// Changes whenever the pair changes.
    pub fn generation(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Changes after each successful refresh (the engine re-reads the identity then).
    pub fn refreshes(&self) -> watch::Receiver<u64> {
        self.refreshes.subscribe()
    }

    /// Set when authorization is lost.
    pub fn lost(&self) -> watch::Receiver<Option<LostReason>> {
        self.lost.subscribe()
    }

    fn load(&self) -> Result<Option<TokenPair>> {
        let Some(raw) = self.store.get(&self.key).map_err(storage)? else {
            return Ok(None);
        };
        match serde_json::from_str::<Stored>(&raw) {
            Ok(s) => Ok(Some(s.pair)),
            Err(_) => {
                tracing::warn!("the stored token pair is unreadable; ignoring it");
                Ok(None)
            }
        }
    }

    /// Store a new authorization (paired, signed in): one write, then current; the gate opens
    /// and a past loss is forgotten.
    pub(crate) fn install(&self, pair: TokenPair) -> Result<()> {
        self.store_pair(&pair)?;
        *self.write() = Some(pair);
        self.gate.reset();
        self.lost.send_replace(None);
        self.generation.send_modify(|g| *g += 1);
        Ok(())
    }

    /// Store a rotated pair (one write) and make it current. Unlike a new authorization, this
    /// leaves the gate alone: a renewed token has yet to prove itself.
    fn install_rotated(&self, pair: TokenPair) -> Result<()> {
        self.store_pair(&pair)?;
        *self.write() = Some(pair);
        self.generation.send_modify(|g| *g += 1);
        Ok(())
    }

    fn store_pair(&self, pair: &TokenPair) -> Result<()> {
        let raw = serde_json::to_string(&Stored {
            v: 1,
            pair: pair.clone(),
        })
        .map_err(|e| Error::Storage(format!("cannot encode tokens: {e}")))?;
        self.store.set(&self.key, &raw).map_err(storage)
    }

    /// Tell the engine that Frame.io refuses renewed tokens (or no longer does): the state shows
    /// it while the tokens are kept.
    pub(crate) fn set_refused(&self, refused: bool) {
        self.lost.send_if_modified(|l| match (refused, *l) {
            (true, None) => {
                *l = Some(LostReason::Refused);
                true
            }
            (false, Some(LostReason::Refused)) => {
                *l = None;
                true
            }
            _ => false,
        });
    }

    /// Forget the pair locally (store and memory).
    pub(crate) fn clear(&self) -> Result<()> {
        let had = self.write().take().is_some();
        let res = self.store.delete(&self.key).map_err(storage);
        if had {
            self.generation.send_modify(|g| *g += 1);
        }
        res
    }

    fn lose(&self, reason: LostReason) -> Error {
        tracing::warn!(?reason, "authorization lost; dropping the tokens");
        if let Err(e) = self.clear() {
            tracing::error!(error = %e, "could not delete the tokens");
        }
        self.lost.send_replace(Some(reason));
        Error::NotAuthorized
    }

    /// A valid access token, refreshing first when it is due.
    pub async fn access_token(&self) -> Result<String> {
        let pair = self.current().ok_or(Error::NotAuthorized)?;
        if pair.needs_refresh() {
            match self.refresh_if_current(pair.access_token()).await {
                Ok(p) => return Ok(p.access_token),
                // Still valid: use it despite a failed early refresh (offline for a moment).
                Err(e) if e.is_transient() && pair.expires_at > Utc::now() => {
                    tracing::debug!(error = %e, "early refresh failed; using the current token");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(pair.access_token)
    }

    /// Refresh unless the pair already moved on from `used_access` (single-flight). Refused at
    /// once while the [`AuthGate`] pauses API calls.
    pub async fn refresh_if_current(&self, used_access: &str) -> Result<TokenPair> {
        self.gate.check()?;
        self.refresh_after_401(used_access).await
    }

    async fn call_refresh(&self, pair: &TokenPair) -> Result<TokenGrant> {
        match pair.method {
            SignInMethod::DeviceCode => self.auth.refresh(pair.refresh_token()).await,
            SignInMethod::Account => match &self.app {
                Some(app) => app.refresh(pair.refresh_token()).await,
                // The app no longer has sign-in configured: these tokens cannot be renewed.
                None => Err(Error::SignIn(SignInError::NotAvailable)),
            },
        }
    }

    /// [`refresh_if_current`](Self::refresh_if_current) for the verifier of the [`AuthGate`]
    /// (which holds the gate itself).
    pub(crate) async fn refresh_after_401(&self, used_access: &str) -> Result<TokenPair> {
        let _guard = self.refresh_lock.lock().await;
        // Another caller, instance or process may have rotated already.
        let stored = self.load()?;
        if let Some(s) = &stored
            && Some(s) != self.current().as_ref()
        {
            *self.write() = Some(s.clone());
            self.generation.send_modify(|g| *g += 1);
        }
        let pair = self.current().ok_or(Error::NotAuthorized)?;
        if pair.access_token() != used_access {
            return Ok(pair);
        }
        tracing::debug!(method = ?pair.method, "refreshing the access token");
        match self.call_refresh(&pair).await {
            Ok(grant) => {
                let new = TokenPair::from_grant(&grant, pair.method);
                if let Err(e) = self.install_rotated(new.clone()) {
                    // The old pair is dead on the server: keep the new one in memory anyway.
                    tracing::error!(error = %e, "could not store the rotated tokens");
                    *self.write() = Some(new);
                    self.generation.send_modify(|g| *g += 1);
                    return Err(e);
                }
                tracing::info!("access token refreshed");
                self.refreshes.send_modify(|n| *n += 1);
                Ok(new)
            }
            Err(Error::NotAuthorized) => Err(self.lose(LostReason::Revoked)),
            Err(Error::SignIn(SignInError::NotAvailable)) => {
                Err(self.lose(LostReason::RefreshRejected))
            }
            Err(Error::BadRequest { .. }) | Err(Error::AuthorizationRejected) => {
                // A spent refresh token: fine if someone stored a newer pair meanwhile.
                match self.load()? {
                    Some(s) if s.refresh_token() != pair.refresh_token() => {
                        *self.write() = Some(s.clone());
                        self.generation.send_modify(|g| *g += 1);
                        Ok(s)
                    }
                    _ => Err(self.lose(LostReason::RefreshRejected)),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Revoke on the server (best effort, short timeout) and delete locally.
    pub(crate) async fn revoke_and_clear(&self) -> bool {
        let _guard = self.refresh_lock.lock().await;
        let revoked = match self.current() {
            Some(p) => match tokio::time::timeout(Duration::from_secs(10), async {
                match (p.method, &self.app) {
                    (SignInMethod::Account, Some(app)) => app.revoke(p.refresh_token()).await,
                    (SignInMethod::Account, None) => Err(Error::SignIn(SignInError::NotAvailable)),
                    (SignInMethod::DeviceCode, _) => self.auth.revoke(p.refresh_token()).await,
                }
            })
            .await
            {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "revoke failed; deleting the tokens anyway");
                    false
                }
                Err(_) => {
                    tracing::warn!("revoke timed out; deleting the tokens anyway");
                    false
                }
            },
            None => false,
        };
        if let Err(e) = self.clear() {
            tracing::error!(error = %e, "could not delete the tokens");
        }
        self.gate.reset();
        self.lost.send_replace(None);
        revoked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_and_its_pair_print_without_their_tokens() {
        let grant = TokenGrant {
            access_token: "acc-secret-1".into(),
            refresh_token: "ref-secret-2".into(),
            expires_in: Duration::from_secs(3600),
        };
        let pair = TokenPair::from_grant(&grant, SignInMethod::Account);
        for shown in [format!("{grant:?}"), format!("{pair:?}")] {
            assert!(!shown.contains("secret"), "{shown}");
            assert_eq!(shown.matches("<redacted>").count(), 2, "{shown}");
            assert!(shown.contains("expires_"), "{shown}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_renewal_pauses_with_doubling_waits_and_an_answer_opens() {
        let gate = AuthGate::new(Duration::from_secs(10), Duration::from_secs(35));
        assert!(gate.admit().await.unwrap().is_none(), "open");
        let v = gate.start_verifying().expect("first 401 verifies");
        assert!(gate.start_verifying().is_none(), "one verifier at a time");
        let err = v.refused(1);
        assert!(
            matches!(err, Error::AuthRefused { retry_after } if retry_after == Duration::from_secs(10))
        );
        // Paused: everyone is refused at once.
        tokio::time::advance(Duration::from_secs(9)).await;
        assert!(matches!(
            gate.admit().await,
            Err(Error::AuthRefused { retry_after }) if retry_after == Duration::from_secs(1)
        ));
        assert!(gate.check().is_err());
        // Then one probe; refused again: 20 s, then 35 s (capped).
        tokio::time::advance(Duration::from_secs(1)).await;
        let probe = gate.admit().await.unwrap().expect("a probe");
        assert!(probe.is_probe());
        let _ = probe.refused(1);
        assert_eq!(gate.state().failures, 2);
        tokio::time::advance(Duration::from_secs(20)).await;
        let _ = gate.admit().await.unwrap().expect("a probe").refused(1);
        let GateMode::Blocked { until } = gate.state().mode else {
            panic!("blocked")
        };
        assert_eq!(until - Instant::now(), Duration::from_secs(35));
        tokio::time::advance(Duration::from_secs(35)).await;
        gate.admit().await.unwrap().expect("a probe").accepted();
        assert_eq!(gate.state().mode, GateMode::Open);
        assert_eq!(gate.state().failures, 0);
        assert!(gate.check().is_ok());
    }

    #[tokio::test(start_paused = true)]
    async fn callers_wait_for_the_verdict_and_a_lost_verifier_does_not_wedge_the_gate() {
        let gate = Arc::new(AuthGate::new(
            Duration::from_secs(10),
            Duration::from_secs(60),
        ));
        let v = gate.start_verifying().unwrap();
        let g2 = gate.clone();
        let waiter = tokio::spawn(async move { g2.admit().await.map(|p| p.is_some()) });
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(
            !waiter.is_finished(),
            "waits while a renewed token is checked"
        );
        v.accepted();
        assert!(!waiter.await.unwrap().unwrap(), "then goes, not as a probe");

        // A verifier dropped without a verdict (network error): open again.
        drop(gate.start_verifying().unwrap());
        assert_eq!(gate.state().mode, GateMode::Open);
        // A probe dropped without a verdict: paused again for `base`, not open.
        let _ = gate.start_verifying().unwrap().refused(1);
        tokio::time::advance(Duration::from_secs(10)).await;
        drop(gate.admit().await.unwrap().unwrap());
        assert!(matches!(gate.state().mode, GateMode::Blocked { .. }));
        assert_eq!(gate.state().failures, 1);
        // New tokens open it.
        gate.reset();
        assert_eq!(gate.state().mode, GateMode::Open);
    }
}
