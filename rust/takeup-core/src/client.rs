//! The authorized API client: bearer token from the [`TokenManager`], refresh + one retry on 401,
//! one polite retry on a short 429. The uploader builds on this.

use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::http::{HttpClient, HttpResponse};
use crate::tokens::TokenManager;

/// Longest `Retry-After` honoured inline before giving the error to the caller.
const INLINE_RETRY_AFTER: Duration = Duration::from_secs(5);

/// Sends authorized requests to the C2C API; cheap to clone.
#[derive(Clone, Debug)]
pub struct AuthorizedClient {
    http: HttpClient,
    tokens: Arc<TokenManager>,
}

type Builder<'a> = &'a (dyn Fn(&HttpClient) -> Result<reqwest::RequestBuilder> + Send + Sync);

impl AuthorizedClient {
    pub(crate) fn new(http: HttpClient, tokens: Arc<TokenManager>) -> Self {
        Self { http, tokens }
    }

    /// The plain HTTP client (for S3 PUTs, which carry no token).
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// Send a request built by `build` with the bearer token; on 401 refresh once (single-flight)
    /// and retry once. Non-2xx answers become typed errors.
    pub async fn execute(&self, build: Builder<'_>) -> Result<HttpResponse> {
        let mut token = self.tokens.access_token().await?;
        let mut refreshed = false;
        let mut waited = false;
        loop {
            let resp = self
                .http
                .send(build(&self.http)?.bearer_auth(&token))
                .await?;
            match resp.status {
                401 if !refreshed => {
                    tracing::debug!("401: refreshing the token and retrying once");
                    refreshed = true;
                    token = self
                        .tokens
                        .refresh_if_current(&token)
                        .await?
                        .access_token()
                        .to_string();
                }
                429 if !waited && resp.retry_after().is_some_and(|d| d <= INLINE_RETRY_AFTER) => {
                    waited = true;
                    tokio::time::sleep(resp.retry_after().unwrap_or_default()).await;
                }
                _ => return resp.success(),
            }
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
