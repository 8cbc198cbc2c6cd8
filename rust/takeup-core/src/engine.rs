//! The engine: owns the HTTP client, the token manager, the identity cache and the status hub, and
//! runs the background tasks (proactive refresh, identity after refresh, heartbeat).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::auth::AuthApi;
use crate::auth::pairing::{self, PairingOptions, PairingTransport, cancellable};
use crate::client::AuthorizedClient;
use crate::config::{self, EngineConfig};
use crate::connection::{
    ConnectionState, ConnectionType, EngineStatus, StatusHub, StatusListener, Subscription,
};
use crate::error::{Error, Result};
use crate::http::HttpClient;
use crate::identity::{self, AccountList, Identity, Project, UserInfo};
use crate::queue::UploadQueue;
use crate::secrets::SecretStore;
use crate::statedir::StateDir;
use crate::tokens::{TokenManager, TokenPair};

const IDENTITY_FILE: &str = "identity.json";
/// The upload journal (SQLite) in the state directory.
pub const JOURNAL_FILE: &str = "journal.sqlite";

/// The result of [`Engine::sign_out`].
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignOutOutcome {
    /// Whether Frame.io confirmed the revocation (false when offline; local tokens are gone anyway).
    pub revoked_on_server: bool,
}

struct Inner {
    config: EngineConfig,
    state_dir: StateDir,
    client_id: String,
    auth: AuthApi,
    tokens: Arc<TokenManager>,
    client: AuthorizedClient,
    hub: Arc<StatusHub>,
    identity: Mutex<Option<Identity>>,
    /// Bumped whenever the identity changes (fetched, pushed by the socket, cleared).
    identity_rev: watch::Sender<u64>,
    socket_client: reqwest::Client,
    /// Whether the device socket is joined (pushes arrive).
    socket_live: watch::Sender<bool>,
    pairing: tokio::sync::Mutex<()>,
    shutdown: CancellationToken,
    queue: UploadQueue,
}

/// The Takeup engine. Dropping it stops its background tasks.
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("config", &self.inner.config)
            .field("client_id", &self.inner.client_id)
            .field("tokens", &self.inner.tokens)
            .field("state", &self.inner.hub.status().connection)
            .finish()
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.inner.shutdown.cancel();
        self.inner.queue.shutdown();
    }
}

fn state_for(identity: Option<&Identity>) -> ConnectionState {
    match identity {
        Some(Identity {
            user,
            project: Some(project),
            ..
        }) => ConnectionState::Connected {
            project: project.clone(),
            user: user.clone(),
        },
        Some(id) => ConnectionState::NotConnected {
            user: id.user.clone(),
        },
        None => ConnectionState::NotConnected {
            user: UserInfo::default(),
        },
    }
}

impl Engine {
    /// Validate the configuration (HTTPS base URL, semver version, CA), open the state directory,
    /// load the client id, the tokens and the cached identity, and start the background tasks.
    /// Must be called inside a tokio runtime.
    pub async fn start(config: EngineConfig, store: Arc<dyn SecretStore>) -> Result<Engine> {
        let base = config::validate(&config)?;
        let state_dir = StateDir::open(&config.state_dir)?;
        let client_id = state_dir.client_id()?;
        let hub = StatusHub::new(ConnectionState::NotAuthorized);
        let http = HttpClient::new(&config, base, hub.clone())?;
        let auth = AuthApi::new(
            http.clone(),
            client_id.clone(),
            config.client_secret.clone(),
        );
        let key = format!("c2c-tokens.{client_id}");
        let tokens = Arc::new(TokenManager::new(auth.clone(), store, key)?);
        let client = AuthorizedClient::new(http, tokens.clone());
        let cached: Option<Identity> = state_dir.read(IDENTITY_FILE)?;
        let socket_client = crate::socket::client(&config)?;
        let queue = UploadQueue::start(
            &state_dir.path().join(JOURNAL_FILE),
            client.clone(),
            crate::queue::uploader::s3_client(&config)?,
            config.queue.clone(),
            hub.receiver(),
        )?;
        let inner = Arc::new(Inner {
            config,
            state_dir,
            client_id,
            auth,
            tokens,
            client,
            hub,
            identity: Mutex::new(None),
            identity_rev: watch::channel(0).0,
            socket_client,
            socket_live: watch::channel(false).0,
            pairing: tokio::sync::Mutex::new(()),
            shutdown: CancellationToken::new(),
            queue,
        });
        if inner.tokens.has_tokens() {
            inner.hub.set_connection(state_for(cached.as_ref()));
            *inner.lock_identity() = cached;
        } else if cached.is_some() {
            let _ = inner.state_dir.remove(IDENTITY_FILE);
        }
        tracing::info!(client_id = %inner.client_id, paired = inner.tokens.has_tokens(), "engine started");
        Inner::spawn_tasks(&inner);
        Ok(Engine { inner })
    }

    /// This install's persisted client id (not a secret).
    pub fn client_id(&self) -> &str {
        &self.inner.client_id
    }

    /// The state directory.
    pub fn state_dir(&self) -> &std::path::Path {
        self.inner.state_dir.path()
    }

    /// The current status.
    pub fn status(&self) -> EngineStatus {
        self.inner.hub.status()
    }

    /// The current connection state.
    pub fn connection_state(&self) -> ConnectionState {
        self.inner.hub.status().connection
    }

    /// A receiver that sees every status change.
    pub fn watch_status(&self) -> watch::Receiver<EngineStatus> {
        self.inner.hub.receiver()
    }

    /// Call `listener` with the current status and every change until the handle is dropped.
    pub fn subscribe(&self, listener: Arc<dyn StatusListener>) -> Subscription {
        self.inner.hub.subscribe(listener)
    }

    /// The host reports how it is connected.
    pub fn set_connection_type(&self, connection_type: ConnectionType) {
        self.inner.hub.set_connection_type(connection_type);
    }

    /// The host reports whether it has a network at all.
    pub fn set_network_available(&self, online: bool) {
        self.inner.hub.set_host_online(online);
        self.inner.queue.set_online(online);
    }

    /// The durable upload queue (kept across pairings: forgetting the device holds it, never
    /// clears it).
    pub fn queue(&self) -> &UploadQueue {
        &self.inner.queue
    }

    /// Why authorization was last lost (device forgotten, refresh refused); `None` once paired
    /// again. The view model words the not-authorized state from it.
    pub fn authorization_lost(&self) -> watch::Receiver<Option<crate::tokens::LostReason>> {
        self.inner.tokens.lost()
    }

    /// Ticks whenever the cached identity changes (re-read, device paused/resumed by the socket,
    /// cleared); read it with [`identity`](Self::identity).
    pub fn watch_identity(&self) -> watch::Receiver<u64> {
        self.inner.identity_rev.subscribe()
    }

    /// Whether the device socket is open and joined, so Frame.io's pushes (pause, resume) arrive
    /// at once.
    pub fn watch_device_socket(&self) -> watch::Receiver<bool> {
        self.inner.socket_live.subscribe()
    }

    /// The cached identity (available offline).
    pub fn identity(&self) -> Option<Identity> {
        self.inner.lock_identity().clone()
    }

    /// Whether a token pair is held.
    pub fn is_paired(&self) -> bool {
        self.inner.tokens.has_tokens()
    }

    /// The authorized client (for the uploader).
    pub fn authorized_client(&self) -> AuthorizedClient {
        self.inner.client.clone()
    }

    /// The real pairing transport (the auth endpoints), e.g. to wrap it.
    pub fn pairing_transport(&self) -> Arc<dyn PairingTransport> {
        Arc::new(self.inner.auth.clone())
    }

    /// Pair this device (device-code flow). Progress appears as [`ConnectionState::Pairing`]; new
    /// codes after an expiry too. `cancel` stops it in any state and leaves nothing stored.
    pub async fn pair(&self, cancel: CancellationToken) -> Result<Identity> {
        let transport = self.inner.auth.clone();
        self.pair_with(&transport, cancel).await
    }

    /// [`pair`](Self::pair) through a given transport (a host-provided one, or a wrapper).
    pub async fn pair_with(
        &self,
        transport: &dyn PairingTransport,
        cancel: CancellationToken,
    ) -> Result<Identity> {
        let inner = &self.inner;
        let _guard = inner
            .pairing
            .try_lock()
            .map_err(|_| Error::Busy("pairing is already in progress".into()))?;
        let hub = inner.hub.clone();
        let observe = move |p| hub.set_connection(ConnectionState::Pairing(p));
        let options = PairingOptions {
            max_codes: inner.config.max_pairing_codes,
            ..PairingOptions::default()
        };
        let result = async {
            let grant = pairing::run(transport, &options, &cancel, &observe).await?;
            if cancel.is_cancelled() {
                return Err(Error::Cancelled);
            }
            inner.tokens.install(TokenPair::from_grant(&grant))?;
            tracing::info!("paired; reading the identity");
            let mut attempt = 0u32;
            loop {
                match cancellable(&cancel, inner.fetch_identity()).await {
                    Ok(Ok(id)) => return Ok(id),
                    Ok(Err(e)) if e.is_transient() && attempt < 3 => {
                        attempt += 1;
                        cancellable(
                            &cancel,
                            tokio::time::sleep(Duration::from_secs(attempt.into())),
                        )
                        .await?;
                    }
                    Ok(Err(e)) | Err(e) => {
                        // Leave nothing half-done: undo the pairing.
                        inner.tokens.revoke_and_clear().await;
                        return Err(e);
                    }
                }
            }
        }
        .await;
        match result {
            Ok(id) => Ok(id),
            Err(e) => {
                tracing::info!(error = %e, "pairing ended without success");
                inner.restore_state();
                Err(e)
            }
        }
    }

    /// Re-read the identity from the server (user, device, project name).
    pub async fn refresh_identity(&self) -> Result<Identity> {
        self.inner.fetch_identity().await
    }

    /// Accounts where C2C is usable, or [`AccountList::NoC2cAccounts`].
    pub async fn list_accounts(&self) -> Result<AccountList> {
        let r = identity::accounts(&self.inner.client).await;
        self.inner.check(r)
    }

    /// Projects of an account, filtered by a case-insensitive search text.
    pub async fn list_projects(
        &self,
        account_id: &str,
        search: Option<&str>,
    ) -> Result<Vec<Project>> {
        let r = identity::projects(&self.inner.client, account_id, search).await;
        self.inner.check(r)
    }

    /// Connect this device to a project (by id), then re-read the identity.
    pub async fn connect(&self, project_id: &str) -> Result<Identity> {
        let id = uuid::Uuid::parse_str(project_id.trim()).map_err(|_| Error::NotFound {
            detail: format!("{project_id:?} is not a project id"),
        })?;
        let path = format!("/v2/devices/connect?project_id={id}");
        let r = self.inner.client.post_empty(&path).await;
        self.inner.check(r)?;
        tracing::info!(project_id = %id, "connected to a project");
        self.inner.fetch_identity().await
    }

    /// Disconnect from the project, then re-read the identity.
    pub async fn disconnect(&self) -> Result<Identity> {
        let r = self.inner.client.post_empty("/v2/devices/disconnect").await;
        self.inner.check(r)?;
        tracing::info!("disconnected from the project");
        self.inner.fetch_identity().await
    }

    /// Send one heartbeat.
    pub async fn heartbeat(&self) -> Result<()> {
        let r = self.inner.client.post_empty("/v2/devices/heartbeat").await;
        self.inner.check(r).map(|_| ())
    }

    /// Refresh the access token now (normally automatic).
    pub async fn refresh_tokens(&self) -> Result<()> {
        let current = self.inner.tokens.current().ok_or(Error::NotAuthorized)?;
        let r = self
            .inner
            .tokens
            .refresh_if_current(current.access_token())
            .await;
        self.inner.check(r).map(|_| ())
    }

    /// Sign out: revoke on the server (best effort) and delete the local tokens and identity.
    pub async fn sign_out(&self) -> Result<SignOutOutcome> {
        let revoked = self.inner.tokens.revoke_and_clear().await;
        self.inner.mark_unauthorized();
        Ok(SignOutOutcome {
            revoked_on_server: revoked,
        })
    }

    /// Stop the background tasks (also done on drop).
    pub fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.inner.queue.shutdown();
    }
}

impl Inner {
    fn lock_identity(&self) -> std::sync::MutexGuard<'_, Option<Identity>> {
        self.identity.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Pass a result through, turning lost authorization into the NotAuthorized state.
    fn check<T>(&self, r: Result<T>) -> Result<T> {
        if matches!(r, Err(Error::NotAuthorized)) && !self.tokens.has_tokens() {
            self.mark_unauthorized();
        }
        r
    }

    fn set_identity(&self, id: Option<Identity>) {
        *self.lock_identity() = id;
        self.identity_rev.send_modify(|r| *r += 1);
    }

    fn mark_unauthorized(&self) {
        self.set_identity(None);
        if let Err(e) = self.state_dir.remove(IDENTITY_FILE) {
            tracing::warn!(error = %e, "could not delete the cached identity");
        }
        self.hub.set_connection(ConnectionState::NotAuthorized);
    }

    fn restore_state(&self) {
        if self.tokens.has_tokens() {
            let id = self.lock_identity().clone();
            self.hub.set_connection(state_for(id.as_ref()));
        } else {
            self.mark_unauthorized();
        }
    }

    async fn fetch_identity(&self) -> Result<Identity> {
        let id = self.check(identity::fetch(&self.client).await)?;
        if let Err(e) = self.state_dir.write(IDENTITY_FILE, &id) {
            tracing::warn!(error = %e, "could not cache the identity");
        }
        self.set_identity(Some(id.clone()));
        if self.tokens.has_tokens() {
            self.hub.set_connection(state_for(Some(&id)));
        }
        Ok(id)
    }

    fn spawn_tasks(me: &Arc<Self>) {
        if me.config.background_refresh {
            tokio::spawn(Self::refresh_loop(me.clone()));
        }
        tokio::spawn(Self::identity_loop(me.clone()));
        tokio::spawn(Self::lost_loop(me.clone()));
        if me.config.device_socket {
            tokio::spawn(Self::socket_loop(me.clone()));
        }
        if let Some(every) = me.config.heartbeat_interval {
            tokio::spawn(Self::heartbeat_loop(me.clone(), every));
        }
    }

    async fn refresh_loop(me: Arc<Self>) {
        let mut generation = me.tokens.generation();
        loop {
            generation.borrow_and_update();
            let wait = me.tokens.current().map(|p| {
                (p.refresh_due_at() - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
            });
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                r = generation.changed() => if r.is_err() { return },
                _ = async {
                    match wait {
                        Some(w) => tokio::time::sleep(w).await,
                        None => std::future::pending().await,
                    }
                } => {
                    let Some(pair) = me.tokens.current() else { continue };
                    match me.check(me.tokens.refresh_if_current(pair.access_token()).await) {
                        Ok(_) | Err(Error::NotAuthorized) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "background refresh failed; retrying");
                            tokio::select! {
                                _ = me.shutdown.cancelled() => return,
                                _ = tokio::time::sleep(Duration::from_secs(15)) => {}
                            }
                        }
                    }
                }
            }
        }
    }

    async fn identity_loop(me: Arc<Self>) {
        let mut refreshes = me.tokens.refreshes();
        loop {
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                r = refreshes.changed() => {
                    if r.is_err() { return }
                    refreshes.borrow_and_update();
                    if let Err(e) = me.fetch_identity().await {
                        tracing::debug!(error = %e, "identity after refresh failed");
                    }
                }
            }
        }
    }

    async fn lost_loop(me: Arc<Self>) {
        let mut lost = me.tokens.lost();
        loop {
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                r = lost.changed() => {
                    if r.is_err() { return }
                    let reason = *lost.borrow_and_update();
                    if reason.is_some() && !me.tokens.has_tokens() {
                        me.mark_unauthorized();
                    }
                }
            }
        }
    }

    /// A status pushed by the socket: update the cached identity (and its file).
    fn set_device_status(&self, status: &str) {
        let updated = {
            let mut id = self.lock_identity();
            match id.as_mut() {
                Some(i) if i.device.status != status => {
                    i.device.status = status.to_string();
                    Some(i.clone())
                }
                _ => None,
            }
        };
        if let Some(id) = updated {
            tracing::info!(status, "device status pushed by Frame.io");
            if let Err(e) = self.state_dir.write(IDENTITY_FILE, &id) {
                tracing::warn!(error = %e, "could not cache the identity");
            }
            self.identity_rev.send_modify(|r| *r += 1);
        }
    }

    /// Hold the device socket open while paired and connected to a project (§5.2): re-open it
    /// with the new token after each refresh, back off on failures (1 s doubling to 60 s), and on
    /// a "forgotten" close (or a refused token, at most every 30 s) re-read the identity so a lost
    /// authorization shows at once. Otherwise the socket causes one API call per join (re-reading
    /// the device).
    async fn socket_loop(me: Arc<Self>) {
        let mut generation = me.tokens.generation();
        let mut identity = me.identity_rev.subscribe();
        let mut backoff = Duration::from_secs(1);
        let mut last_check: Option<std::time::Instant> = None;
        loop {
            generation.borrow_and_update();
            identity.borrow_and_update();
            let target = match (me.tokens.current(), me.lock_identity().clone()) {
                (Some(pair), Some(id)) if id.project.is_some() => {
                    Some((pair.access_token().to_string(), id.device.id))
                }
                _ => None,
            };
            let Some((token, device_id)) = target else {
                // Not paired or no project: wait for that to change.
                tokio::select! {
                    _ = me.shutdown.cancelled() => return,
                    r = generation.changed() => if r.is_err() { return },
                    r = identity.changed() => if r.is_err() { return },
                }
                continue;
            };
            let base = me.client.http().base().clone();
            let opened = tokio::select! {
                _ = me.shutdown.cancelled() => return,
                r = crate::socket::open(&me.socket_client, &base, &token, me.config.request_timeout) => r,
            };
            let started = std::time::Instant::now();
            let ended = match opened {
                Ok(mut socket) => {
                    tracing::debug!("device socket open");
                    // Stop when the token rotates or the device leaves its project.
                    let mut gen2 = me.tokens.generation();
                    let mut id2 = me.identity_rev.subscribe();
                    gen2.borrow_and_update();
                    id2.borrow_and_update();
                    let me2 = me.clone();
                    let stop = async move {
                        loop {
                            tokio::select! {
                                _ = me2.shutdown.cancelled() => return,
                                _ = gen2.changed() => return,
                                r = id2.changed() => {
                                    if r.is_err() { return }
                                    let still = me2.lock_identity().as_ref().is_some_and(|i| i.project.is_some());
                                    if !still { return }
                                }
                            }
                        }
                    };
                    // Once joined, re-read the device once: a pause made while the socket was
                    // down would otherwise only show at the next identity refresh.
                    let me3 = me.clone();
                    let ended = crate::socket::session(
                        &mut socket,
                        &device_id,
                        stop,
                        || {
                            tracing::debug!("device socket joined");
                            me3.socket_live.send_replace(true);
                            let me4 = me3.clone();
                            tokio::spawn(async move {
                                if let Err(e) = me4.fetch_identity().await {
                                    tracing::debug!(error = %e, "identity after the socket joined");
                                }
                            });
                        },
                        |s| me.set_device_status(s),
                    )
                    .await;
                    me.socket_live.send_replace(false);
                    tracing::debug!(?ended, "device socket ended");
                    Some(ended)
                }
                Err(Error::NotAuthorized) => {
                    // The token was refused: expired (the refresh loop renews it), or the device
                    // was removed while the socket was down. Ask the API, at most every 30 s, so
                    // a removal shows without hammering anything.
                    tracing::debug!("device socket refused the token");
                    if last_check
                        .is_none_or(|t: std::time::Instant| t.elapsed() > Duration::from_secs(30))
                    {
                        last_check = Some(std::time::Instant::now());
                        let _ = me.fetch_identity().await;
                    }
                    None
                }
                Err(e) => {
                    tracing::debug!(error = %e, "device socket failed to open");
                    None
                }
            };
            if me.shutdown.is_cancelled() {
                return;
            }
            match ended {
                Some(crate::socket::Ended::Stopped) => {
                    backoff = Duration::from_secs(1);
                    continue;
                }
                Some(crate::socket::Ended::Closed(Some(crate::socket::CLOSE_FORGOTTEN))) => {
                    let _ = me.fetch_identity().await;
                }
                _ => {}
            }
            if started.elapsed() > Duration::from_secs(60) {
                backoff = Duration::from_secs(1);
            }
            let jitter = Duration::from_millis(rand::random::<u64>() % 500);
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                _ = generation.changed() => {}
                _ = tokio::time::sleep(backoff + jitter) => {}
            }
            backoff = (backoff * 2).min(Duration::from_secs(60));
        }
    }

    async fn heartbeat_loop(me: Arc<Self>, every: Duration) {
        loop {
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
            if !me.tokens.has_tokens() {
                continue;
            }
            let r = me.client.post_empty("/v2/devices/heartbeat").await;
            if let Err(e) = me.check(r) {
                tracing::debug!(error = %e, "heartbeat failed");
            }
        }
    }
}
