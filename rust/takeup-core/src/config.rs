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
    /// The device model's client secret issued by Frame.io.
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
    /// Heartbeat period while authorized (`None` turns heartbeats off).
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
            heartbeat_interval: Some(Duration::from_secs(120)),
            background_refresh: true,
            max_pairing_codes: 10,
            device_socket: true,
            queue: crate::queue::QueueConfig::default(),
            holder_name: None,
        }
    }
}

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
    if config.client_secret.trim().is_empty() {
        return Err(Error::InvalidConfig("the client secret is empty".into()));
    }
    if config.max_pairing_codes == 0 {
        return Err(Error::InvalidConfig(
            "max_pairing_codes must be at least 1".into(),
        ));
    }
    if config.state_dir.as_os_str().is_empty() {
        return Err(Error::InvalidConfig("the state directory is empty".into()));
    }
    Ok(url)
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
}
