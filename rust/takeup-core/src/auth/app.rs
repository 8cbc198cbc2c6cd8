//! Sign-in with a Frame.io account: the OAuth 2.0 application flow of phone and desktop apps
//! (authorization code with PKCE `S256`, a public client without a secret, a stable per-install
//! `device_id`), and the refresh and revoke calls of application tokens.
//!
//! ```text
//!   begin(redirect_uri) ── state + verifier kept in the SecretStore ──▶ authorization URL
//!        │                                                               (the app opens it)
//!        ▼ the browser returns to the redirect URI
//!   complete(redirect URL): same redirect URI? same state? error=…? code ──▶ POST /oauth2/token
//!        (code, redirect_uri, client_id, code_verifier, device_id) ──▶ token pair (1 h / 30 days)
//! ```
//!
//! The pending sign-in (state, verifier, redirect URI) lives in the [`SecretStore`], never in
//! the state directory, so an app killed while the browser is open can still complete after a
//! restart. It is dropped when the sign-in completes, fails for good, is cancelled or is older
//! than [`PENDING_TTL`].

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::auth::TokenGrant;
use crate::error::{ApiErrorBody, Error, Result, SignInError};
use crate::http::HttpClient;
use crate::secrets::SecretStore;

/// Frame.io's application (OAuth) endpoints.
pub const DEFAULT_APPLICATIONS_BASE: &str = "https://applications.frame.io";
/// Scopes an app asks for (the exact string is unconfirmed in Frame.io's documentation).
pub const APP_SCOPE: &str = "offline asset_create device_connect";
/// How long a started sign-in can be completed (the user may need to log in, pass 2FA...).
pub const PENDING_TTL: Duration = Duration::from_secs(30 * 60);

/// The sign-in settings of an app (no secret: the app is a public client).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppSignInConfig {
    /// Base URL of the authorize and token endpoints (`https://applications.frame.io`).
    pub applications_base: String,
    /// The app's client id issued by Frame.io.
    pub client_id: String,
    /// The registered redirect URIs this app can receive, first = default. A loopback entry
    /// (`http://127.0.0.1/callback`) stands for any port on that host and path (RFC 8252 §7.3):
    /// desktop hosts listen on a free port.
    pub redirect_uris: Vec<String>,
    /// The scopes asked for.
    pub scope: String,
}

impl AppSignInConfig {
    /// Settings for `client_id` with Frame.io's endpoints and the default scopes.
    pub fn new(client_id: impl Into<String>, redirect_uris: Vec<String>) -> Self {
        Self {
            applications_base: DEFAULT_APPLICATIONS_BASE.to_string(),
            client_id: client_id.into(),
            redirect_uris,
            scope: APP_SCOPE.to_string(),
        }
    }

    /// The redirect URI to use: the default, or `requested` when it is one of the registered
    /// ones (a loopback one with any port).
    pub fn redirect_uri(&self, requested: Option<&str>) -> Result<String> {
        let Some(req) = requested else {
            return self.redirect_uris.first().cloned().ok_or_else(|| {
                Error::InvalidConfig("app sign-in has no redirect URI configured".into())
            });
        };
        if self.redirect_uris.iter().any(|r| redirect_matches(r, req)) {
            Ok(req.to_string())
        } else {
            Err(Error::InvalidConfig(format!(
                "{req:?} is not one of the app's redirect URIs"
            )))
        }
    }
}

/// Whether `given` is `registered`: equal, or a loopback registration with another port.
pub fn redirect_matches(registered: &str, given: &str) -> bool {
    if registered == given {
        return true;
    }
    let (Ok(r), Ok(g)) = (url::Url::parse(registered), url::Url::parse(given)) else {
        return false;
    };
    is_loopback(&r)
        && r.scheme() == g.scheme()
        && r.host_str() == g.host_str()
        && r.path() == g.path()
        && r.query() == g.query()
        && g.fragment().is_none()
}

/// `http://127.0.0.1`, `http://[::1]` or `http://localhost`.
pub fn is_loopback(u: &url::Url) -> bool {
    u.scheme() == "http"
        && matches!(
            u.host_str(),
            Some("127.0.0.1") | Some("[::1]") | Some("localhost")
        )
}

/// A sign-in waiting for the browser to come back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignInRequest {
    /// Open this in the browser (Custom Tabs, `ASWebAuthenticationSession`, a desktop browser).
    pub authorization_url: String,
    /// Where the browser returns; hand the whole URL it returns to to `complete`.
    pub redirect_uri: String,
    /// After this, completing it fails with [`SignInError::Expired`].
    pub expires_at: DateTime<Utc>,
}

/// What the secret store keeps between `begin` and `complete` (the verifier is a secret).
#[derive(Clone, Serialize, Deserialize)]
struct Pending {
    v: u32,
    state: String,
    verifier: String,
    redirect_uri: String,
    authorization_url: String,
    created_at: DateTime<Utc>,
}

impl Pending {
    fn expires_at(&self) -> DateTime<Utc> {
        self.created_at + chrono::Duration::from_std(PENDING_TTL).unwrap_or_default()
    }

    fn request(&self) -> SignInRequest {
        SignInRequest {
            authorization_url: self.authorization_url.clone(),
            redirect_uri: self.redirect_uri.clone(),
            expires_at: self.expires_at(),
        }
    }
}

/// A random URL-safe string of `bytes` random bytes (base64url, no padding).
fn random_token(bytes: usize) -> String {
    let buf: Vec<u8> = (0..bytes).map(|_| rand::random::<u8>()).collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// The PKCE challenge of a verifier: `BASE64URL(SHA256(verifier))` (RFC 7636, `S256`).
pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The OAuth application endpoints, the pending sign-in, refresh and revoke of app tokens.
#[derive(Clone)]
pub struct AppAuthApi {
    http: HttpClient,
    config: AppSignInConfig,
    device_id: String,
    store: Arc<dyn SecretStore>,
    pending_key: String,
}

impl std::fmt::Debug for AppAuthApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppAuthApi")
            .field("client_id", &self.config.client_id)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

use crate::tokens::storage;

impl AppAuthApi {
    pub(crate) fn new(
        http: HttpClient,
        config: AppSignInConfig,
        device_id: String,
        store: Arc<dyn SecretStore>,
        pending_key: String,
    ) -> Self {
        Self {
            http,
            config,
            device_id,
            store,
            pending_key,
        }
    }

    /// The settings.
    pub fn config(&self) -> &AppSignInConfig {
        &self.config
    }

    /// This install's `device_id`.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    fn load(&self) -> Result<Option<Pending>> {
        let Some(raw) = self.store.get(&self.pending_key).map_err(storage)? else {
            return Ok(None);
        };
        match serde_json::from_str::<Pending>(&raw) {
            Ok(p) if p.v == 1 => Ok(Some(p)),
            _ => {
                tracing::warn!("the stored sign-in in progress is unreadable; dropping it");
                let _ = self.store.delete(&self.pending_key);
                Ok(None)
            }
        }
    }

    /// Forget the sign-in in progress (if any).
    pub fn cancel(&self) -> Result<()> {
        self.store.delete(&self.pending_key).map_err(storage)
    }

    /// The sign-in in progress, if one can still be completed.
    pub fn pending(&self) -> Result<Option<SignInRequest>> {
        Ok(self
            .load()?
            .filter(|p| p.expires_at() > Utc::now())
            .map(|p| p.request()))
    }

    /// Start a sign-in: a new state and verifier (replacing any sign-in in progress), kept in
    /// the secret store, and the authorization URL to open.
    pub fn begin(&self, redirect_uri: Option<&str>) -> Result<SignInRequest> {
        let redirect_uri = self.config.redirect_uri(redirect_uri)?;
        let state = random_token(16);
        let verifier = random_token(32);
        let mut url = self
            .http
            .url("/oauth2/auth")
            .map_err(|e| Error::InvalidConfig(format!("bad applications URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.config.client_id)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("scope", &self.config.scope)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge(&verifier))
            .append_pair("code_challenge_method", "S256")
            .append_pair("device_id", &self.device_id);
        let pending = Pending {
            v: 1,
            state,
            verifier,
            redirect_uri,
            authorization_url: url.to_string(),
            created_at: Utc::now(),
        };
        let raw = serde_json::to_string(&pending)
            .map_err(|e| Error::Storage(format!("cannot encode the sign-in: {e}")))?;
        self.store.set(&self.pending_key, &raw).map_err(storage)?;
        tracing::info!("sign-in started");
        Ok(pending.request())
    }

    /// Check the URL the browser returned to against the sign-in in progress and trade its code
    /// for tokens. The pending sign-in is dropped once it can no longer complete (success, denial,
    /// refused code); it is kept after a network failure (try again with the same URL) and after
    /// an answer whose `state` is not ours (the right one may still come).
    pub async fn complete(&self, redirect_url: &str) -> Result<TokenGrant> {
        let pending = self.load()?.ok_or(Error::SignIn(SignInError::NotStarted))?;
        if pending.expires_at() <= Utc::now() {
            let _ = self.cancel();
            return Err(Error::SignIn(SignInError::Expired));
        }
        let got = url::Url::parse(redirect_url.trim())
            .map_err(|_| Error::SignIn(SignInError::BadRedirect("not a URL".into())))?;
        let want = url::Url::parse(&pending.redirect_uri)
            .map_err(|_| Error::InvalidConfig("the redirect URI is not a URL".into()))?;
        let same = got.scheme() == want.scheme()
            && got.host_str() == want.host_str()
            && got.port_or_known_default() == want.port_or_known_default()
            && got.path() == want.path();
        if !same {
            return Err(Error::SignIn(SignInError::BadRedirect(
                "it is not this app's redirect address".into(),
            )));
        }
        let q = |k: &str| {
            got.query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        if q("state").as_deref() != Some(pending.state.as_str()) {
            return Err(Error::SignIn(SignInError::StateMismatch));
        }
        if let Some(code) = q("error") {
            let _ = self.cancel();
            if code == "access_denied" {
                return Err(Error::SignIn(SignInError::Denied));
            }
            let description = q("error_description").map(|d| d.chars().take(200).collect());
            return Err(Error::SignIn(SignInError::Failed {
                code: code.chars().take(64).collect(),
                description,
            }));
        }
        let code = q("code")
            .filter(|c| !c.is_empty())
            .ok_or_else(|| Error::SignIn(SignInError::BadRedirect("it carries no code".into())))?;
        match self
            .exchange(&code, &pending.redirect_uri, &pending.verifier)
            .await
        {
            Ok(grant) => {
                let _ = self.cancel();
                tracing::info!("signed in with a Frame.io account");
                Ok(grant)
            }
            Err(e) if e.is_transient() => Err(e),
            Err(e) => {
                let _ = self.cancel();
                Err(e)
            }
        }
    }

    /// `POST /oauth2/token` with the authorization code grant.
    async fn exchange(&self, code: &str, redirect_uri: &str, verifier: &str) -> Result<TokenGrant> {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", self.config.client_id.as_str()),
            ("code_verifier", verifier),
            ("device_id", self.device_id.as_str()),
        ];
        let resp = self.http.post_form("/oauth2/token", &form, None).await?;
        if resp.is_success() {
            return crate::auth::grant_from(&resp);
        }
        match ApiErrorBody::parse(&resp.body).code.as_deref() {
            Some("invalid_grant") => Err(Error::SignIn(SignInError::CodeRejected)),
            _ => Err(resp.error()),
        }
    }

    /// `POST /oauth2/token` with the refresh grant. A server that does not rotate refresh tokens
    /// (answers without one) keeps the old one in use.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant> {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", self.config.client_id.as_str()),
            ("device_id", self.device_id.as_str()),
        ];
        let resp = self.http.post_form("/oauth2/token", &form, None).await?;
        let resp = resp.success()?;
        crate::auth::grant_or_keep(&resp, refresh_token)
    }

    /// `POST /oauth2/revoke` (RFC 7009) of a token.
    pub async fn revoke(&self, token: &str) -> Result<()> {
        let form = [
            ("token", token),
            ("client_id", self.config.client_id.as_str()),
        ];
        let revoke_timeout = Some(Duration::from_secs(10));
        let resp = self.http.post_form("/oauth2/revoke", &form, revoke_timeout);
        resp.await?.success().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc_7636_s256() {
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let v = random_token(32);
        assert_eq!(v.len(), 43, "{v}");
        assert!(
            v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(random_token(32), v);
    }

    #[test]
    fn redirect_uri_is_a_registered_one_loopback_any_port() {
        let c = AppSignInConfig::new(
            "app",
            vec![
                "io.takeup.app:/oauth2redirect".into(),
                "http://127.0.0.1/callback".into(),
            ],
        );
        assert_eq!(
            c.redirect_uri(None).unwrap(),
            "io.takeup.app:/oauth2redirect"
        );
        assert_eq!(
            c.redirect_uri(Some("http://127.0.0.1:4321/callback"))
                .unwrap(),
            "http://127.0.0.1:4321/callback"
        );
        assert!(c.redirect_uri(Some("http://127.0.0.1:4321/other")).is_err());
        assert!(
            c.redirect_uri(Some("https://evil.example/callback"))
                .is_err()
        );
        assert!(
            AppSignInConfig::new("app", vec![])
                .redirect_uri(None)
                .is_err()
        );
    }
}
