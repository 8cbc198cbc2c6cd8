//! The `/v2/auth/*` endpoints (form data only): device code, token polling, refresh and revoke,
//! plus the pairing state machine in [`pairing`] and the sign-in with a Frame.io account (the
//! OAuth application flow) in [`app`].

pub mod app;
pub mod pairing;

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::error::{ApiErrorBody, Error, Result};
use crate::http::{HttpClient, HttpResponse};

/// Scopes a hardware device asks for.
pub const SCOPE: &str = "asset_create offline";
const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The secret polling handle of a pairing code. Never displayed, logged or formatted.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCode(String);

impl DeviceCode {
    /// Wrap a device code.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }
    /// The raw value (only for sending it to the token endpoint).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceCode(<redacted>)")
    }
}

/// A pairing code as the server issued it.
#[derive(Clone, Debug)]
pub struct DeviceCodeGrant {
    /// Secret polling handle.
    pub device_code: DeviceCode,
    /// The code the user enters.
    pub user_code: String,
    /// Where to enter it.
    pub verification_uri: Option<String>,
    /// Page with the code pre-filled (QR code / tappable link).
    pub verification_uri_complete: Option<String>,
    /// When the code dies (wall clock, for display).
    pub expires_at: DateTime<Utc>,
    /// Lifetime of the code from when it was received.
    pub expires_in: Duration,
    /// Seconds between polls.
    pub interval: Duration,
    /// The name the device will get.
    pub device_name: Option<String>,
}

/// A successful token answer. `Debug` is redacted.
#[derive(Clone)]
pub struct TokenGrant {
    /// The bearer token.
    pub access_token: String,
    /// The (rotating) refresh token.
    pub refresh_token: String,
    /// Lifetime of the access token.
    pub expires_in: Duration,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_tokens_redacted(f, "TokenGrant")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

/// The `Debug` of a type holding an access and a refresh token: its name and both tokens
/// redacted (a log never holds a token); the caller adds its other fields.
pub(crate) fn debug_tokens_redacted<'a, 'b>(
    f: &'a mut std::fmt::Formatter<'b>,
    name: &str,
) -> std::fmt::DebugStruct<'a, 'b> {
    let mut d = f.debug_struct(name);
    d.field("access_token", &"<redacted>")
        .field("refresh_token", &"<redacted>");
    d
}

/// What a poll of the token endpoint said.
#[derive(Clone, Debug)]
pub enum PollOutcome {
    /// Approved: the tokens.
    Granted(TokenGrant),
    /// Not approved yet.
    Pending,
    /// Polling too fast: add 5 s to the interval.
    SlowDown,
    /// The code expired: request a new one.
    Expired,
}

#[derive(Deserialize)]
pub(crate) struct CodeBody {
    device_code: String,
    user_code: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    verification_uri: Option<String>,
    #[serde(default)]
    verification_uri_complete: Option<String>,
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    expires_in: Option<u64>,
}

pub(crate) fn grant_from(resp: &HttpResponse) -> Result<TokenGrant> {
    let b: TokenBody = resp.json()?;
    let refresh_token = b
        .refresh_token
        .filter(|r| !r.is_empty())
        .ok_or_else(|| Error::UnexpectedResponse("no refresh token in the answer".into()))?;
    if b.access_token.is_empty() {
        return Err(Error::UnexpectedResponse("empty access token".into()));
    }
    Ok(TokenGrant {
        access_token: b.access_token,
        refresh_token,
        expires_in: Duration::from_secs(b.expires_in.unwrap_or(28_800).max(1)),
    })
}

/// A refresh answer: a server that does not rotate refresh tokens answers without one, and the
/// one used stays valid.
pub(crate) fn grant_or_keep(resp: &HttpResponse, used_refresh: &str) -> Result<TokenGrant> {
    let b: TokenBody = resp.json()?;
    if b.access_token.is_empty() {
        return Err(Error::UnexpectedResponse("empty access token".into()));
    }
    Ok(TokenGrant {
        access_token: b.access_token,
        refresh_token: b
            .refresh_token
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| used_refresh.to_string()),
        expires_in: Duration::from_secs(b.expires_in.unwrap_or(28_800).max(1)),
    })
}

/// Client of the auth endpoints.
#[derive(Clone)]
pub struct AuthApi {
    http: HttpClient,
    client_id: String,
    client_secret: String,
}

impl std::fmt::Debug for AuthApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthApi")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

impl AuthApi {
    pub(crate) fn new(http: HttpClient, client_id: String, client_secret: String) -> Self {
        Self {
            http,
            client_id,
            client_secret,
        }
    }

    /// `POST /v2/auth/device/code` with URL/QR pairing requested.
    pub async fn request_device_code(&self) -> Result<DeviceCodeGrant> {
        let req = self
            .http
            .request(reqwest::Method::POST, "/v2/auth/device/code")?
            .header("x-client-platypus-enabled", "true")
            .form(&[
                ("client_id", self.client_id.as_str()),
                ("client_secret", self.client_secret.as_str()),
                ("scope", SCOPE),
            ]);
        let resp = self.http.send(req).await?.success()?;
        let b: CodeBody = resp.json()?;
        let expires_in = b.expires_in.unwrap_or(120).clamp(1, 3600);
        let ttl = chrono::Duration::seconds(expires_in as i64);
        tracing::info!(user_code = %b.user_code, expires_in, "pairing code issued");
        Ok(DeviceCodeGrant {
            device_code: DeviceCode(b.device_code),
            user_code: b.user_code,
            verification_uri: b.verification_uri.filter(|s| !s.is_empty()),
            verification_uri_complete: b.verification_uri_complete.filter(|s| !s.is_empty()),
            expires_at: Utc::now() + ttl,
            expires_in: Duration::from_secs(expires_in),
            interval: Duration::from_secs(b.interval.unwrap_or(5).clamp(1, 60)),
            device_name: b.name,
        })
    }

    /// One poll of `POST /v2/auth/token` with the device-code grant.
    pub async fn poll_token(&self, device_code: &DeviceCode) -> Result<PollOutcome> {
        let grant = [
            ("grant_type", DEVICE_CODE_GRANT),
            ("device_code", device_code.expose()),
        ];
        let resp = self.token_request(&grant).await?;
        if resp.is_success() {
            return grant_from(&resp).map(PollOutcome::Granted);
        }
        match ApiErrorBody::parse(&resp.body).code.as_deref() {
            Some("authorization_pending") => Ok(PollOutcome::Pending),
            Some("slow_down") => Ok(PollOutcome::SlowDown),
            Some("expired_token") => Ok(PollOutcome::Expired),
            _ => Err(resp.error()),
        }
    }

    /// `POST /v2/auth/token` with the refresh grant. A spent refresh token answers
    /// [`Error::BadRequest`] (`invalid_request`) or [`Error::AuthorizationRejected`]
    /// (`invalid_grant`); a revoked device answers [`Error::NotAuthorized`].
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant> {
        let grant = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        let resp = self.token_request(&grant).await?.success()?;
        grant_or_keep(&resp, refresh_token)
    }

    /// `POST /v2/auth/token` with the client's credentials and `grant`.
    async fn token_request(&self, grant: &[(&str, &str)]) -> Result<crate::http::HttpResponse> {
        let mut form = vec![
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        form.extend_from_slice(grant);
        self.http.post_form("/v2/auth/token", &form, None).await
    }

    /// `POST /v2/auth/revoke` of a token (access or refresh).
    pub async fn revoke(&self, token: &str) -> Result<()> {
        let form = [
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
            ("token", token),
        ];
        let revoke_timeout = Some(Duration::from_secs(10));
        let resp = self
            .http
            .post_form("/v2/auth/revoke", &form, revoke_timeout);
        resp.await?.success().map(|_| ())
    }
}
