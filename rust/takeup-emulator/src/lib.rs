//! A local stand-in for the Frame.io Camera to Cloud API and for S3 presigned part uploads, with
//! deterministic fault injection, served over HTTPS on loopback.
//!
//! Two listeners: the API (`/v2/...`, the pairing page at `/pair`, the control API under
//! `/_emulator/`) and the S3 stand-in (`PUT /parts/{asset}/{n}?X-Amz-...`), each with its own port
//! so part URLs point at another host than the API, as in production. A test CA and a leaf
//! certificate are minted at start; the CA PEM is written to `<data>/ca.pem`.
//!
//! See `docs/emulator.md` for the endpoints, the control API and the fault kinds.

// Handlers return `Result<_, Response>` so an error is the HTTP answer itself; boxing every
// response to please this lint would only add noise to a test server.
#![allow(clippy::result_large_err)]

mod api;
mod common;
mod control;
pub mod faults;
mod middleware;
mod notes;
mod oauth;
mod pair_page;
mod respond;
mod s3;
mod server;
mod socket;
pub mod state;
mod stats;
pub mod tls;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use axum::Router;
use axum::routing::{get, post, put};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use oauth::s256 as pkce_s256;
pub use state::{
    DEFAULT_APP_CLIENT_ID, DEFAULT_APP_REDIRECT_URIS, DEFAULT_CLIENT_SECRET, Settings,
};

use common::AppState;
use state::World;

/// How to start an emulator.
#[derive(Clone, Debug)]
pub struct EmulatorConfig {
    /// API listener (port 0 picks a free one).
    pub listen: SocketAddr,
    /// S3 listener; `None` means the API's IP with a free port.
    pub s3_listen: Option<SocketAddr>,
    /// Where parts and `ca.pem` go; `None` uses a temporary directory removed on drop.
    pub data_dir: Option<PathBuf>,
    /// Seed of the fault RNG and of the generated ids.
    pub seed: u64,
    pub settings: Settings,
    /// The `client_secret` of the one device model.
    pub client_secret: String,
    /// The S3 listener offers HTTP/2 as well as HTTP/1.1 (ALPN), as a storage behind a CDN
    /// might. S3 itself speaks HTTP/1.1 only, so by default only that is offered.
    pub s3_http2: bool,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            s3_listen: None,
            data_dir: None,
            seed: 1,
            settings: Settings::default(),
            client_secret: DEFAULT_CLIENT_SECRET.to_string(),
            s3_http2: false,
        }
    }
}

/// A running emulator. Dropping it stops both listeners.
pub struct Emulator {
    /// `https://127.0.0.1:PORT`, the API base URL.
    pub base_url: String,
    /// `https://127.0.0.1:PORT` of the S3 stand-in.
    pub s3_base_url: String,
    /// The test CA, PEM.
    pub ca_pem: String,
    /// Where the CA PEM was written.
    pub ca_path: PathBuf,
    pub data_dir: PathBuf,
    pub client_secret: String,
    /// The registered public client of the application flow (§3).
    pub app_client_id: String,
    /// The base URL of the application flow's endpoints (`/oauth2/auth`, `/oauth2/token`): the
    /// API listener (`https://applications.frame.io` in production).
    pub applications_base_url: String,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

fn loopback_only(addr: &SocketAddr) -> anyhow::Result<()> {
    anyhow::ensure!(
        addr.ip().is_loopback(),
        "the emulator only listens on loopback addresses, not {addr}"
    );
    Ok(())
}

fn url_for(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("https://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("https://[{}]:{}", a.ip(), a.port()),
    }
}

impl Emulator {
    /// Mint certificates, bind both listeners and start serving.
    pub async fn start(config: EmulatorConfig) -> anyhow::Result<Self> {
        loopback_only(&config.listen)?;
        let s3_listen = config
            .s3_listen
            .unwrap_or_else(|| SocketAddr::new(config.listen.ip(), 0));
        loopback_only(&s3_listen)?;
        let (data_dir, tmp) = match config.data_dir {
            Some(d) => (d, None),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("takeup-emulator-")
                    .tempdir()
                    .context("creating a temporary data directory")?;
                (t.path().to_path_buf(), Some(t))
            }
        };
        std::fs::create_dir_all(data_dir.join("parts"))
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let pki = tls::TestPki::mint()?;
        let ca_path = data_dir.join("ca.pem");
        write_atomically(&ca_path, pki.ca_pem.as_bytes())?;

        let api_listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("binding the API listener on {}", config.listen))?;
        let s3_listener = TcpListener::bind(s3_listen)
            .await
            .with_context(|| format!("binding the S3 listener on {s3_listen}"))?;
        let base_url = url_for(api_listener.local_addr()?);
        let s3_base_url = url_for(s3_listener.local_addr()?);

        let state = AppState {
            world: Arc::new(Mutex::new(World::new(
                config.seed,
                config.settings,
                &config.client_secret,
            ))),
            data_dir: Arc::new(data_dir.clone()),
            api_base: Arc::new(base_url.clone()),
            s3_base: Arc::new(s3_base_url.clone()),
            events: tokio::sync::broadcast::channel(64).0,
            s3_body_bytes: Arc::default(),
            s3_http2_requests: Arc::default(),
            counts: Arc::default(),
        };
        let (shutdown, rx) = watch::channel(false);
        let api_tls = pki.server_config(&[b"h2", b"http/1.1"])?;
        // S3 speaks HTTP/1.1 only, so part uploads run on parallel connections as in production.
        let s3_tls = if config.s3_http2 {
            pki.server_config(&[b"h2", b"http/1.1"])?
        } else {
            pki.server_config(&[b"http/1.1"])?
        };
        let tasks = vec![
            tokio::spawn(server::serve(
                api_listener,
                api_tls,
                api_router(state.clone()),
                rx.clone(),
            )),
            tokio::spawn(server::serve(s3_listener, s3_tls, s3_router(state), rx)),
        ];
        tracing::info!(%base_url, %s3_base_url, ca = %ca_path.display(), "emulator listening");
        Ok(Self {
            base_url: base_url.clone(),
            s3_base_url,
            ca_pem: pki.ca_pem,
            ca_path,
            data_dir,
            client_secret: config.client_secret,
            app_client_id: state::DEFAULT_APP_CLIENT_ID.to_string(),
            applications_base_url: base_url.clone(),
            shutdown,
            tasks,
            _tmp: tmp,
        })
    }

    /// Stop serving and wait for the listeners to close.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks.drain(..) {
            let _ = t.await;
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn api_router(state: AppState) -> Router {
    let v2 = Router::new()
        .route("/v2/auth/device/code", post(api::device_code))
        .route("/v2/auth/token", post(api::token))
        .route("/v2/auth/revoke", post(api::revoke))
        .route("/v2/devices/me", get(api::devices_me))
        .route("/v2/me", get(api::me))
        .route("/v2/devices/accounts", get(api::accounts))
        .route(
            "/v2/devices/accounts/{account_id}/projects",
            get(api::projects),
        )
        .route("/v2/devices/connect", post(api::connect))
        .route("/v2/devices/disconnect", post(api::disconnect))
        .route("/v2/devices/heartbeat", post(api::heartbeat))
        .route("/v2/devices/assets", post(api::create_asset))
        .route("/v2/assets", post(api::create_asset))
        .route(
            "/v2/devices/assets/{asset_id}/realtime_upload/parts",
            post(api::realtime_parts),
        )
        .route(
            "/v2/devices/assets/{asset_id}/comments",
            post(notes::create_comment),
        )
        .route("/v2/devices/channels", post(notes::create_channel))
        .route(
            "/v2/devices/channels/disconnect",
            post(notes::disconnect_all_channels),
        )
        .route(
            "/v2/devices/channels/{channel_id}/disconnect",
            post(notes::disconnect_channel),
        )
        .route(
            "/v2/devices/channels/{channel_id}/inputs/{input_index}/trigger",
            post(notes::trigger),
        )
        .route("/v2/health", get(api::health))
        .route("/health", get(api::health))
        .route("/avatars/{user}/{size}", get(api::avatar))
        .route("/pair", get(pair_page::show).post(pair_page::submit))
        .route("/oauth2/auth", get(oauth::authorize_page))
        .route("/oauth2/auth/decision", post(oauth::decision))
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/revoke", post(oauth::revoke))
        .route("/devices/websocket", get(socket::upgrade));
    let control = Router::new()
        .route("/_emulator/approve", post(control::approve))
        .route("/_emulator/pending", get(control::pending))
        .route(
            "/_emulator/settings",
            get(control::get_settings).post(control::set_settings),
        )
        .route("/_emulator/device/pause", post(control::pause))
        .route("/_emulator/device/resume", post(control::resume))
        .route("/_emulator/device/forget", post(control::forget))
        .route("/_emulator/devices", get(control::devices))
        .route("/_emulator/world", get(control::world))
        .route(
            "/_emulator/projects/{id}/rename",
            post(control::rename_project),
        )
        .route("/_emulator/accounts/c2c", post(control::set_c2c))
        .route("/_emulator/poison", post(control::poison))
        .route(
            "/_emulator/faults",
            post(control::add_fault)
                .get(control::list_faults)
                .delete(control::clear_faults),
        )
        .route("/_emulator/seed", post(control::seed))
        .route("/_emulator/assets", get(control::assets))
        .route(
            "/_emulator/assets/{id}",
            get(control::asset).delete(control::delete_asset),
        )
        .route("/_emulator/requests", get(control::requests))
        .route("/_emulator/comments", get(notes::list_comments))
        .route("/_emulator/triggers", get(notes::list_triggers))
        .route("/_emulator/channels", get(notes::list_channels))
        .route("/_emulator/oauth/pending", get(oauth::pending))
        .route("/_emulator/oauth/approve", post(oauth::approve))
        .route("/_emulator/oauth/apps", get(oauth::apps))
        .route("/_emulator/stats", get(control::stats));
    v2.merge(control)
        .fallback(|| async { respond::not_found("No such endpoint") })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::api_layer,
        ))
        .with_state(state)
}

fn s3_router(state: AppState) -> Router {
    Router::new()
        .route("/parts/{asset_id}/{number}", put(s3::put_part))
        .fallback(|| async {
            respond::s3_error(
                axum::http::StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::s3_layer,
        ))
        .with_state(state)
}
