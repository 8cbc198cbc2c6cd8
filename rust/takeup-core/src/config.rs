//! Engine configuration and its validation (HTTPS-only base URL, semver client version, PEM CA).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};

/// The production C2C API.
pub const DEFAULT_API_BASE: &str = "https://api.frame.io";

/// How to start an [`Engine`](crate::Engine).
#[derive(Clone)]
pub struct EngineConfig {
    /// Where non-secret state lives (`device.json`, `identity.json`). Tokens never go here.
    pub state_dir: PathBuf,
    /// Base URL of the C2C API; must be `https://`.
    pub api_base: String,
    /// The device model's client secret issued by Frame.io, for pairing with a code. May be
    /// empty when `app_sign_in` is set: an app that only signs in with Frame.io accounts ships
    /// no secret (pairing is then not offered).
    pub client_secret: String,
    /// Sent as `x-client-version` on every request; must be a semantic version.
    pub client_version: String,
    /// Extra trusted root certificates (PEM), added to the platform roots.
    pub extra_root_ca_pem: Option<String>,
    /// TCP + TLS connect timeout.
    pub connect_timeout: Duration,
    /// Longest wait for any read on a connection.
    pub read_timeout: Duration,
    /// Total time limit for one API request.
    pub request_timeout: Duration,
    /// Heartbeat period while authorized (`None` turns heartbeats off). Each heartbeat also
    /// re-reads the device (`GET /v2/devices/me`), so a renamed project or a pause made in
    /// Frame.io shows within one period without user action: keep it under 2 minutes.
    pub heartbeat_interval: Option<Duration>,
    /// Refresh the access token in the background before it expires.
    pub background_refresh: bool,
    /// Stop pairing after this many codes expired without approval.
    pub max_pairing_codes: u32,
    /// Hold the device socket open while connected (§5.2: shows the device online, receives
    /// pause/resume at once). REST heartbeats run either way.
    pub device_socket: bool,
    /// The upload queue's tuning (concurrency, retries, part size, allowed upload hosts).
    pub queue: crate::queue::QueueConfig,
    /// How this host is named to a second uploader refused by the uploader lock (`takeup run`,
    /// the app's name); `None`: the program name.
    pub holder_name: Option<String>,
    /// Sign-in with a Frame.io account (the OAuth application flow, no secret); `None`: only
    /// pairing with a code is offered.
    pub app_sign_in: Option<crate::auth::app::AppSignInConfig>,
    /// The first pause of every API call after Frame.io refused a token it had just renewed
    /// (doubling for each further refusal, up to `auth_backoff_max`).
    pub auth_backoff: Duration,
    /// The longest such pause.
    pub auth_backoff_max: Duration,
}

impl EngineConfig {
    /// A configuration with sensible defaults for the timeouts and background tasks.
    pub fn new(
        state_dir: impl Into<PathBuf>,
        api_base: impl Into<String>,
        client_secret: impl Into<String>,
        client_version: impl Into<String>,
    ) -> Self {
        Self {
            state_dir: state_dir.into(),
            api_base: api_base.into(),
            client_secret: client_secret.into(),
            client_version: client_version.into(),
            extra_root_ca_pem: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            heartbeat_interval: Some(DEFAULT_HEARTBEAT),
            background_refresh: true,
            max_pairing_codes: 10,
            device_socket: true,
            queue: crate::queue::QueueConfig::default(),
            holder_name: None,
            app_sign_in: None,
            auth_backoff: Duration::from_secs(10),
            auth_backoff_max: Duration::from_secs(600),
        }
    }
}

/// The default heartbeat (and device re-read) period: within the API's 60–300 s and short enough
/// that a project renamed in Frame.io shows within 2 minutes.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(100);

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("state_dir", &self.state_dir)
            .field("api_base", &self.api_base)
            .field("client_secret", &"<redacted>")
            .field("client_version", &self.client_version)
            .field("extra_root_ca_pem", &self.extra_root_ca_pem.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .field("read_timeout", &self.read_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("heartbeat_interval", &self.heartbeat_interval)
            .field("background_refresh", &self.background_refresh)
            .field("max_pairing_codes", &self.max_pairing_codes)
            .field("device_socket", &self.device_socket)
            .field("queue", &self.queue)
            .field("holder_name", &self.holder_name)
            .field("app_sign_in", &self.app_sign_in)
            .field("auth_backoff", &self.auth_backoff)
            .field("auth_backoff_max", &self.auth_backoff_max)
            .finish()
    }
}

/// Check that a URL is `https://` with a host; anything else is [`Error::InsecureUrl`].
pub fn require_https(raw: &str) -> Result<url::Url> {
    let url = url::Url::parse(raw.trim())
        .map_err(|e| Error::InvalidConfig(format!("API base URL {raw:?} is not a URL: {e}")))?;
    if url.scheme() != "https" || url.host_str().is_none() {
        return Err(Error::InsecureUrl(raw.to_string()));
    }
    Ok(url)
}

pub(crate) fn validate(config: &EngineConfig) -> Result<url::Url> {
    let url = require_https(&config.api_base)?;
    semver::Version::parse(&config.client_version).map_err(|e| {
        Error::InvalidConfig(format!(
            "client version {:?} is not a semantic version: {e}",
            config.client_version
        ))
    })?;
    if config.client_secret.trim().is_empty() && config.app_sign_in.is_none() {
        return Err(Error::InvalidConfig(
            "the client secret is empty (and no app sign-in is configured)".into(),
        ));
    }
    if config.max_pairing_codes == 0 {
        return Err(Error::InvalidConfig(
            "max_pairing_codes must be at least 1".into(),
        ));
    }
    if config.state_dir.as_os_str().is_empty() {
        return Err(Error::InvalidConfig("the state directory is empty".into()));
    }
    if let Some(app) = &config.app_sign_in {
        validate_app(app)?;
    }
    Ok(url)
}

/// The applications base URL of a valid sign-in configuration.
pub(crate) fn validate_app(app: &crate::auth::app::AppSignInConfig) -> Result<url::Url> {
    let base = require_https(&app.applications_base)?;
    if app.client_id.trim().is_empty() {
        return Err(Error::InvalidConfig("the app client id is empty".into()));
    }
    if app.redirect_uris.is_empty() {
        return Err(Error::InvalidConfig(
            "app sign-in needs at least one redirect URI".into(),
        ));
    }
    for r in &app.redirect_uris {
        let u = url::Url::parse(r)
            .map_err(|_| Error::InvalidConfig(format!("redirect URI {r:?} is not a URL")))?;
        if u.scheme() == "http" && !crate::auth::app::is_loopback(&u) {
            return Err(Error::InvalidConfig(format!(
                "redirect URI {r:?}: plain http is only for loopback (127.0.0.1)"
            )));
        }
        if u.fragment().is_some() {
            return Err(Error::InvalidConfig(format!(
                "redirect URI {r:?} may not have a fragment"
            )));
        }
    }
    if app.scope.trim().is_empty() {
        return Err(Error::InvalidConfig("the app scope is empty".into()));
    }
    Ok(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_insecure_and_bad_versions() {
        let mut c = EngineConfig::new("/tmp/x", "http://127.0.0.1:1", "s", "1.0.0");
        assert!(matches!(validate(&c), Err(Error::InsecureUrl(_))));
        c.api_base = "ftp://x".into();
        assert!(matches!(validate(&c), Err(Error::InsecureUrl(_))));
        c.api_base = "https://api.frame.io".into();
        assert!(validate(&c).is_ok());
        c.client_version = "1.0".into();
        assert!(matches!(validate(&c), Err(Error::InvalidConfig(_))));
        c.client_version = "2.0.0-beta.1".into();
        c.client_secret = "very-secret".into();
        assert!(!format!("{c:?}").contains("very-secret"));
    }

    #[test]
    fn app_sign_in_settings_are_checked() {
        use crate::auth::app::AppSignInConfig;
        let mut c = EngineConfig::new("/tmp/x", "https://api.frame.io", "s", "1.0.0");
        assert!(c.heartbeat_interval.unwrap() < Duration::from_secs(120));
        let ok = AppSignInConfig::new(
            "app",
            vec![
                "io.takeup.app:/oauth2redirect".into(),
                "http://127.0.0.1/callback".into(),
            ],
        );
        c.app_sign_in = Some(ok.clone());
        assert!(validate(&c).is_ok());
        // An app that only signs in with accounts ships no secret.
        c.client_secret = String::new();
        assert!(validate(&c).is_ok());
        for bad in [
            AppSignInConfig {
                applications_base: "http://applications.frame.io".into(),
                ..ok.clone()
            },
            AppSignInConfig {
                client_id: " ".into(),
                ..ok.clone()
            },
            AppSignInConfig::new("app", vec![]),
            AppSignInConfig::new("app", vec!["http://example.com/cb".into()]),
            AppSignInConfig::new("app", vec!["not a url".into()]),
        ] {
            c.app_sign_in = Some(bad.clone());
            assert!(validate(&c).is_err(), "{bad:?}");
        }
    }
}
