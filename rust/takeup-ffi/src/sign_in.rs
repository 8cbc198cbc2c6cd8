//! Sign-in with a Frame.io account (the OAuth application flow) over FFI: its settings, the
//! request the app opens in the browser, and the `TakeupEngine` calls that begin, complete and
//! cancel it, plus `app_foreground` (the app came to the foreground: re-read the device).
//!
//! The app opens `SignInRequest.authorization_url` with Custom Tabs (Android) or
//! `ASWebAuthenticationSession` (iOS) and hands the URL the browser returns to (its redirect URI
//! with `code` and `state`) to `complete_sign_in`. The state and the PKCE verifier stay in the
//! app's `SecretStore` meanwhile, so a completion after the app was killed still works. No client
//! secret is involved.

use std::sync::Arc;
use std::time::SystemTime;

use takeup_core as tc;
/// How the install is authorized (the engine's type, with its UniFFI derive).
pub use takeup_core::SignInMethod;

use crate::engine::TakeupEngine;
use crate::error::TakeupError;
use crate::runtime::on_runtime;
use takeup_core::Identity;

/// The app's sign-in settings (a public OAuth client: no secret).
#[derive(Debug, Clone, uniffi::Record)]
pub struct AppSignIn {
    /// The app's client id issued by Frame.io.
    pub client_id: String,
    /// The registered redirect URIs the app receives, first = default: the app's own scheme
    /// (e.g. `io.takeup.app:/oauth2redirect`); a loopback `http://127.0.0.1/callback` stands for
    /// any port.
    pub redirect_uris: Vec<String>,
    /// The authorize/token endpoints' base URL; `None`: `https://applications.frame.io`.
    #[uniffi(default = None)]
    pub applications_base: Option<String>,
    /// Scopes to ask for; `None`: the engine's default.
    #[uniffi(default = None)]
    pub scope: Option<String>,
}

impl AppSignIn {
    pub(crate) fn into_core(self) -> tc::AppSignInConfig {
        let mut c = tc::AppSignInConfig::new(self.client_id, self.redirect_uris);
        if let Some(b) = self.applications_base {
            c.applications_base = b;
        }
        if let Some(s) = self.scope {
            c.scope = s;
        }
        c
    }
}

/// A sign-in waiting for the browser.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignInRequest {
    /// Open this in the browser.
    pub authorization_url: String,
    /// Where the browser comes back (hand that whole URL to `complete_sign_in`).
    pub redirect_uri: String,
    /// After this, `complete_sign_in` fails: start again.
    pub expires_at: SystemTime,
}

impl From<tc::SignInRequest> for SignInRequest {
    fn from(r: tc::SignInRequest) -> Self {
        Self {
            authorization_url: r.authorization_url,
            redirect_uri: r.redirect_uri,
            expires_at: SystemTime::from(r.expires_at),
        }
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl TakeupEngine {
    /// Whether sign-in with a Frame.io account is set up (`EngineConfig.app_sign_in`).
    pub fn sign_in_available(&self) -> bool {
        self.core().app_sign_in_available()
    }

    /// Start a sign-in with a Frame.io account: the URL to open in the browser. `redirect_uri`
    /// picks one of the configured ones (`None`: the first). Replaces a sign-in in progress.
    pub fn begin_sign_in(
        &self,
        redirect_uri: Option<String>,
    ) -> Result<SignInRequest, TakeupError> {
        Ok(self
            .core()
            .begin_app_sign_in(redirect_uri.as_deref())?
            .into())
    }

    /// The sign-in in progress (also after a restart), if it can still be completed.
    pub fn pending_sign_in(&self) -> Option<SignInRequest> {
        self.core().pending_app_sign_in().map(Into::into)
    }

    /// Complete the sign-in from the URL the browser came back to; returns who is signed in.
    /// A declined sign-in is `TakeupError.Cancelled`; a stale answer (another sign-in's state)
    /// is `NotAuthorized` and the sign-in in progress is kept.
    pub async fn complete_sign_in(
        self: Arc<Self>,
        redirect_url: String,
    ) -> Result<Identity, TakeupError> {
        let e = self.core();
        Ok(on_runtime(async move { e.complete_app_sign_in(&redirect_url).await }).await??)
    }

    /// Drop the sign-in in progress.
    pub fn cancel_sign_in(&self) -> Result<(), TakeupError> {
        Ok(self.core().cancel_app_sign_in()?)
    }

    /// How this install is authorized (`None`: not at all). Only `Account` can list accounts and
    /// projects, connect and disconnect.
    pub fn sign_in_method(&self) -> Option<SignInMethod> {
        self.core().sign_in_method()
    }

    /// The app came to the foreground: re-read the device now (a project renamed or a pause made
    /// in Frame.io shows at once). Cheap; at most one request every few seconds.
    pub async fn app_foreground(self: Arc<Self>) {
        let e = self.core();
        let _ = on_runtime(async move { e.app_foreground().await }).await;
    }
}
