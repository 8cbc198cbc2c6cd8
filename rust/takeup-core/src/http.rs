//! The HTTPS client: rustls (ring) with platform roots plus optional extra roots, HTTPS only,
//! `x-client-version` on every request, timeouts, and response helpers that turn answers into
//! typed errors and feed the network status.

use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderValue};
use serde::de::DeserializeOwned;

use crate::config::EngineConfig;
use crate::error::{Error, Result, error_for_status};

/// The largest API answer body read (bigger ones are refused as unexpected).
pub const MAX_API_BODY: usize = 1024 * 1024;

/// An answer with its body read.
#[derive(Debug)]
pub struct HttpResponse {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl HttpResponse {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// `Retry-After`, when present and readable: delay-seconds, or an HTTP date (RFC 9110
    /// §10.2.3), counted from the answer's `Date` when it has one (so a phone clock that is off
    /// does not stretch or cancel the wait), else from now. A date in the past is no wait.
    pub fn retry_after(&self) -> Option<Duration> {
        let raw = self
            .headers
            .get(reqwest::header::RETRY_AFTER)?
            .to_str()
            .ok()?;
        let date = self
            .headers
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok());
        parse_retry_after(raw, date, std::time::SystemTime::now())
    }

    /// The typed error for a non-2xx answer.
    pub fn error(&self) -> Error {
        error_for_status(self.status, self.retry_after(), &self.body)
    }

    /// `Ok(self)` for 2xx, else the typed error.
    pub fn success(self) -> Result<Self> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(self.error())
        }
    }

    /// Decode a JSON body; malformed JSON is [`Error::UnexpectedResponse`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::UnexpectedResponse(format!(
                "malformed JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })
    }
}

/// The longest `Retry-After` taken as given (a day); longer values are capped to it.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Read a `Retry-After` value (seconds or an HTTP date) against the answer's `Date` (if any)
/// or `now`.
pub fn parse_retry_after(
    raw: &str,
    date: Option<&str>,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let raw = raw.trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER));
    }
    let at = httpdate::parse_http_date(raw).ok()?;
    let base = date
        .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .unwrap_or(now);
    Some(
        at.duration_since(base)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

/// Install ring as the process-wide rustls provider (idempotent).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// What the client saw of the network: every request's outcome and every measured transfer. The
/// engine's status hub listens (link health, throughput); observations flow up through this
/// trait so the client depends on nothing above it.
pub trait NetworkObserver: Send + Sync {
    /// A request finished (`answered` = any HTTP answer came back) after `latency`.
    fn request(&self, answered: bool, latency: Duration);
    /// `bytes` were sent in `elapsed` (part uploads).
    fn transfer(&self, bytes: u64, elapsed: Duration);
}

/// The engine's HTTP client; cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    base: url::Url,
    request_timeout: Duration,
    observer: Arc<dyn NetworkObserver>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

/// The engine's HTTPS client settings: HTTPS only, never follow redirects (the bearer token must
/// not travel to another host, and the C2C API does not redirect), `x-client-version` on every
/// call, the connect timeout, and the platform roots plus the configured extra root.
pub(crate) fn client_builder(config: &EngineConfig) -> Result<reqwest::ClientBuilder> {
    install_crypto_provider();
    let mut headers = HeaderMap::new();
    let version = HeaderValue::from_str(&config.client_version)
        .map_err(|_| Error::InvalidConfig("client version is not a valid header".into()))?;
    headers.insert("x-client-version", version);
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .connect_timeout(config.connect_timeout)
        .user_agent(concat!("takeup/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &config.extra_root_ca_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|_| Error::InvalidConfig("the extra root CA is not valid PEM".into()))?;
        if certs.is_empty() {
            return Err(Error::InvalidConfig(
                "the extra root CA PEM holds no certificate".into(),
            ));
        }
        builder = builder.tls_certs_merge(certs);
    }
    Ok(builder)
}

impl HttpClient {
    pub(crate) fn new(
        config: &EngineConfig,
        base: url::Url,
        observer: Arc<dyn NetworkObserver>,
    ) -> Result<Self> {
        let builder = client_builder(config)?.read_timeout(config.read_timeout);
        let client = builder
            .build()
            .map_err(|e| Error::InvalidConfig(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            client,
            base,
            request_timeout: config.request_timeout,
            observer,
        })
    }

    /// The API base URL.
    pub fn base(&self) -> &url::Url {
        &self.base
    }

    /// The same client (connection pool, TLS settings, timeouts) for another base URL, e.g. the
    /// OAuth application endpoints on `applications.frame.io`.
    pub fn with_base(&self, base: url::Url) -> Self {
        Self {
            client: self.client.clone(),
            base,
            request_timeout: self.request_timeout,
            observer: self.observer.clone(),
        }
    }

    /// The absolute URL of an API path such as `/v2/me`.
    pub fn url(&self, path: &str) -> Result<url::Url> {
        self.base
            .join(path)
            .map_err(|e| Error::InvalidConfig(format!("bad API path {path}: {e}")))
    }

    /// A request builder for an API path (the version header is added by the client).
    pub fn request(&self, method: reqwest::Method, path: &str) -> Result<reqwest::RequestBuilder> {
        Ok(self
            .client
            .request(method, self.url(path)?)
            .timeout(self.request_timeout))
    }

    /// `POST path` with a form body (the token and revoke endpoints); `timeout` replaces the
    /// request timeout where one is given.
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        timeout: Option<Duration>,
    ) -> Result<HttpResponse> {
        let mut req = self.request(reqwest::Method::POST, path)?.form(form);
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        self.send(req).await
    }

    /// The underlying client (for the uploader's S3 PUTs, which share pools and TLS settings).
    pub fn raw(&self) -> &reqwest::Client {
        &self.client
    }

    /// Report bytes sent to the network status (throughput).
    pub fn record_transfer(&self, bytes: u64, elapsed: Duration) {
        self.observer.transfer(bytes, elapsed);
    }

    /// Send and read the whole body. Network failures become [`Error::Network`]; every outcome
    /// feeds the network health.
    pub async fn send(&self, req: reqwest::RequestBuilder) -> Result<HttpResponse> {
        let started = Instant::now();
        let result = async {
            let mut resp = req.send().await?;
            let status = resp.status().as_u16();
            let headers = resp.headers().clone();
            // API answers are small: a body past the cap is a hostile or broken server, and is
            // not read further (memory stays bounded).
            let mut body = bytes::BytesMut::new();
            while let Some(chunk) = resp.chunk().await? {
                if body.len() + chunk.len() > MAX_API_BODY {
                    return Ok(Err(Error::UnexpectedResponse(format!(
                        "the answer is larger than {} KiB",
                        MAX_API_BODY / 1024
                    ))));
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>(Ok(HttpResponse {
                status,
                headers,
                body: body.freeze(),
            }))
        }
        .await;
        let result = match result {
            Ok(Err(e)) => {
                self.observer.request(true, started.elapsed());
                return Err(e);
            }
            Ok(Ok(r)) => Ok(r),
            Err(e) => Err(e),
        };
        match result {
            Ok(r) => {
                self.observer.request(r.status < 500, started.elapsed());
                tracing::trace!(
                    status = r.status,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "HTTP answer"
                );
                Ok(r)
            }
            Err(e) => {
                self.observer.request(false, started.elapsed());
                let err = Error::from_reqwest(&e);
                tracing::debug!(error = %err, "HTTP request failed");
                Err(err)
            }
        }
    }
}

/// Build the client for part PUTs: the engine's TLS trust and version header, HTTPS only, but no
/// overall read timeout (a large part on a slow link takes long); stalls are detected per part.
/// HTTP/1.1 only: each part in flight has a TCP connection of its own, which is what the
/// adaptive limit tunes (a lossy path carries a share per connection) and what keeps a lost
/// connection to one part. S3 offers nothing else, but a storage behind a CDN might offer
/// HTTP/2, and every part would then share one connection.
pub fn upload_client(config: &EngineConfig) -> Result<reqwest::Client> {
    client_builder(config)?
        .http1_only()
        .tcp_nodelay(true)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| Error::InvalidConfig(format!("cannot build the upload client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{SystemTime, UNIX_EPOCH};

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn retry_after_in_seconds_and_as_an_http_date() {
        let now = at(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after(" 7 ", None, now),
            Some(Duration::from_secs(7))
        );
        // IMF-fixdate, RFC 850 and asctime forms, 60 s after `now`.
        for form in [
            "Sun, 06 Nov 1994 08:50:37 GMT",
            "Sunday, 06-Nov-94 08:50:37 GMT",
            "Sun Nov  6 08:50:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(form, None, now),
                Some(Duration::from_secs(60)),
                "{form}"
            );
        }
        // Counted from the answer's Date, not from a local clock that is an hour off.
        assert_eq!(
            parse_retry_after(
                "Sun, 06 Nov 1994 08:50:37 GMT",
                Some("Sun, 06 Nov 1994 08:50:07 GMT"),
                at(784_111_777 + 3600)
            ),
            Some(Duration::from_secs(30))
        );
        // In the past: no wait. Garbage: unreadable. Huge: capped.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", None, now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", None, now), None);
        assert_eq!(parse_retry_after("-5", None, now), None);
        assert_eq!(
            parse_retry_after("99999999999", None, now),
            Some(MAX_RETRY_AFTER)
        );
    }
}
