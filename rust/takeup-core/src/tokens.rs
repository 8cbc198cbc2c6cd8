//! The token pair: secure storage (one secret value, one write), proactive and on-401 refresh
//! with rotation, single-flight, and detection of lost authorization.
//!
//! Refresh is single-flight: callers pass the access token they used; under the refresh lock the
//! manager first re-reads the store (another instance or process may have rotated already) and only
//! refreshes if the token they used is still the current one. The rotated pair is written to the
//! store before it is handed out.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, watch};

use crate::auth::{AuthApi, TokenGrant};
use crate::error::{Error, Result};
use crate::secrets::SecretStore;

/// An access/refresh token pair with its expiry. `Debug` is redacted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenPair {
    access_token: String,
    refresh_token: String,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

impl std::fmt::Debug for TokenPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenPair")
            .field("access_token", &"<redacted>")
            .field("refresh_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("issued_at", &self.issued_at)
            .finish()
    }
}

impl TokenPair {
    /// A pair from a token answer received now.
    pub fn from_grant(g: &TokenGrant) -> Self {
        let now = Utc::now();
        let lifetime =
            chrono::Duration::from_std(g.expires_in).unwrap_or_else(|_| chrono::Duration::hours(8));
        Self {
            access_token: g.access_token.clone(),
            refresh_token: g.refresh_token.clone(),
            expires_at: now + lifetime,
            issued_at: now,
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
}

/// Owns the token pair.
pub struct TokenManager {
    auth: AuthApi,
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

fn storage(e: crate::secrets::SecretStoreError) -> Error {
    Error::Storage(e.to_string())
}

impl TokenManager {
    pub(crate) fn new(auth: AuthApi, store: Arc<dyn SecretStore>, key: String) -> Result<Self> {
        let me = Self {
            auth,
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

    /// Store a pair (one write) and make it current.
    pub(crate) fn install(&self, pair: TokenPair) -> Result<()> {
        let raw = serde_json::to_string(&Stored {
            v: 1,
            pair: pair.clone(),
        })
        .map_err(|e| Error::Storage(format!("cannot encode tokens: {e}")))?;
        self.store.set(&self.key, &raw).map_err(storage)?;
        *self.write() = Some(pair);
        self.lost.send_replace(None);
        self.generation.send_modify(|g| *g += 1);
        Ok(())
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

    /// Refresh unless the pair already moved on from `used_access` (single-flight).
    pub async fn refresh_if_current(&self, used_access: &str) -> Result<TokenPair> {
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
        tracing::debug!("refreshing the access token");
        match self.auth.refresh(pair.refresh_token()).await {
            Ok(grant) => {
                let new = TokenPair::from_grant(&grant);
                if let Err(e) = self.install(new.clone()) {
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
            Some(p) => match tokio::time::timeout(
                Duration::from_secs(10),
                self.auth.revoke(p.refresh_token()),
            )
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
        revoked
    }
}
