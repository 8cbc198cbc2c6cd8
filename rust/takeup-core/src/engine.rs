//! The engine: owns the HTTP client, the token manager, the identity cache and the status hub, and
//! runs the background tasks (proactive refresh, identity after refresh, heartbeat with a device
//! re-read, the device socket, and the probe that ends a pause of the auth gate).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::auth::AuthApi;
use crate::auth::app::{AppAuthApi, SignInRequest};
use crate::auth::pairing::{self, PairingOptions, PairingTransport, cancellable};
use crate::client::AuthorizedClient;
use crate::config::{self, EngineConfig};
use crate::connection::{
    ConnectionState, ConnectionType, EngineStatus, StatusHub, StatusListener, Subscription,
};
use crate::error::{Error, Result, SignInError};
use crate::http::HttpClient;
use crate::identity::{self, AccountList, Identity, Project, UserInfo};
use crate::queue::UploadQueue;
use crate::secrets::SecretStore;
use crate::statedir::StateDir;
use crate::tokens::{AuthGate, GateMode, LostReason, SignInMethod, TokenManager, TokenPair};

const IDENTITY_FILE: &str = "identity.json";
/// Renewed tokens refused in a row before the state says "not authorized" (the tokens are kept
/// and probed; the queue holds either way).
const REPORT_REFUSED_AFTER: u32 = 3;
/// `app_foreground` re-reads the device at most this often.
const FOREGROUND_REREAD: Duration = Duration::from_secs(5);
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
    /// Held by the running pairing for its whole run (its end state published included).
    pairing: tokio::sync::Mutex<()>,
    /// The latest pairing asked for (its number and cancel token): a new one is refused while
    /// this one is live, and replaces it once cancelled (then waits for it to wind down).
    pairing_current: Mutex<Option<(u64, CancellationToken)>>,
    pairing_seq: std::sync::atomic::AtomicU64,
    /// One sign-in completion at a time.
    signing_in: tokio::sync::Mutex<()>,
    /// When the device was last re-read (for `app_foreground`).
    last_device_read: Mutex<Option<std::time::Instant>>,
    shutdown: CancellationToken,
    queue: UploadQueue,
    /// Wakes the take-log sender (a note was written).
    notes_wake: Arc<tokio::sync::Notify>,
    /// Bumped whenever a note or a take mark is written or a note's state changes.
    notes_rev: Arc<watch::Sender<u64>>,
    /// Set while this engine holds the queue's uploader lock (`config.queue.run`).
    uploader_lock: Option<crate::statedir::StoppingHandle>,
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
        self.shutdown();
    }
}

/// Sleep until `deadline`; without one, never wake (a `select!` arm that waits for nothing).
async fn sleep_until_or_forever(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(t) => tokio::time::sleep_until(t).await,
        None => std::future::pending().await,
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
        // One uploader per queue: taken before anything else, released when this engine's
        // uploader has stopped (or the process has ended, however it ended).
        let uploader_lock = if config.queue.run {
            Some(
                state_dir
                    .lock_uploader(config.holder_name.as_deref())
                    .await?,
            )
        } else {
            None
        };
        let client_id = state_dir.client_id()?;
        let hub = StatusHub::new(ConnectionState::NotAuthorized);
        let http = HttpClient::new(&config, base, hub.clone())?;
        let auth = AuthApi::new(
            http.clone(),
            client_id.clone(),
            config.client_secret.clone(),
        );
        let key = format!("c2c-tokens.{client_id}");
        let app = match &config.app_sign_in {
            Some(app_config) => {
                let app_base = config::validate_app(app_config)?;
                Some(AppAuthApi::new(
                    http.with_base(app_base),
                    app_config.clone(),
                    state_dir.app_device_id()?,
                    store.clone(),
                    format!("c2c-app-sign-in.{client_id}"),
                ))
            }
            None => None,
        };
        let gate = AuthGate::new(config.auth_backoff, config.auth_backoff_max);
        let tokens = Arc::new(TokenManager::new(auth.clone(), app, gate, store, key)?);
        let client = AuthorizedClient::new(http, tokens.clone());
        let mut cached: Option<Identity> = state_dir.read(IDENTITY_FILE)?;
        if tokens.has_tokens() {
            // Known before the queue starts, so its first status is not "on hold: not paired"
            // (a `status` command publishes only that one).
            hub.set_connection(state_for(cached.as_ref()));
        } else if cached.take().is_some() {
            let _ = state_dir.remove(IDENTITY_FILE);
        }
        let socket_client = crate::socket::client(&config)?;
        let queue = UploadQueue::start(
            &state_dir.path().join(JOURNAL_FILE),
            client.clone(),
            {
                let c = config.clone();
                Arc::new(move || crate::http::upload_client(&c))
            },
            config.queue.clone(),
            hub.receiver(),
        )?;
        let shutdown = CancellationToken::new();
        let stopping = uploader_lock.as_ref().map(|l| l.stopping_handle());
        if let Some(lock) = uploader_lock {
            tokio::spawn(keep_uploader_lock(lock, queue.watch(), shutdown.clone()));
        }
        let inner = Arc::new(Inner {
            config,
            state_dir,
            client_id,
            auth,
            tokens,
            client,
            hub,
            identity: Mutex::new(cached),
            identity_rev: watch::channel(0).0,
            socket_client,
            socket_live: watch::channel(false).0,
            pairing: tokio::sync::Mutex::new(()),
            pairing_current: Mutex::new(None),
            pairing_seq: std::sync::atomic::AtomicU64::new(0),
            signing_in: tokio::sync::Mutex::new(()),
            last_device_read: Mutex::new(None),
            shutdown,
            queue,
            notes_wake: Arc::new(tokio::sync::Notify::new()),
            notes_rev: Arc::new(watch::channel(0).0),
            uploader_lock: stopping,
        });
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

    /// The host reports that the device moved to another network (or lost / regained one):
    /// the status shows it, and part uploads in flight restart at once on new connections.
    pub fn network_changed(&self, online: bool, connection_type: ConnectionType) {
        self.set_connection_type(connection_type);
        self.set_network_available(online);
        if online {
            self.inner.queue.network_changed();
        }
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

    /// Whether pairing with a code is set up (a client secret is configured).
    pub fn pairing_available(&self) -> bool {
        !self.inner.config.client_secret.trim().is_empty()
    }

    /// Pair this device (device-code flow). Progress appears as [`ConnectionState::Pairing`]; new
    /// codes after an expiry too. `cancel` stops it in any state and leaves nothing stored.
    pub async fn pair(&self, cancel: CancellationToken) -> Result<Identity> {
        if !self.pairing_available() {
            return Err(Error::InvalidConfig(
                "pairing with a code is not set up in this app (no client secret); sign in with a Frame.io account".into(),
            ));
        }
        let transport = self.inner.auth.clone();
        self.pair_with(&transport, cancel).await
    }

    /// Cancel the running pairing, whoever started it (returns whether one was running). A new
    /// [`pair`](Self::pair) may follow at once: it waits for the cancelled one to wind down.
    pub fn cancel_pairing(&self) -> bool {
        match self.inner.lock_pairing_current().as_ref() {
            Some((_, t)) if !t.is_cancelled() => {
                t.cancel();
                true
            }
            _ => false,
        }
    }

    /// Whether a pairing is running and not cancelled.
    pub fn is_pairing(&self) -> bool {
        self.inner
            .lock_pairing_current()
            .as_ref()
            .is_some_and(|(_, t)| !t.is_cancelled())
    }

    /// [`pair`](Self::pair) through a given transport (a host-provided one, or a wrapper).
    ///
    /// One pairing at a time: while one runs (not cancelled) another is refused with
    /// [`Error::Busy`]; once it is cancelled a new one replaces it and starts as soon as the old
    /// one has wound down (its end state is published first), so "cancel, then pair again" always
    /// shows a new code.
    pub async fn pair_with(
        &self,
        transport: &dyn PairingTransport,
        cancel: CancellationToken,
    ) -> Result<Identity> {
        let inner = &self.inner;
        let me = {
            let mut current = inner.lock_pairing_current();
            if current.as_ref().is_some_and(|(_, t)| !t.is_cancelled()) {
                return Err(Error::Busy("pairing is already in progress".into()));
            }
            let me = inner
                .pairing_seq
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            *current = Some((me, cancel.clone()));
            me
        };
        // A cancelled pairing may still be winding down (a poll in flight, its end state not
        // published yet): wait for it, or stop waiting if this one is cancelled meanwhile.
        let guard = tokio::select! {
            g = inner.pairing.lock() => Some(g),
            _ = cancel.cancelled() => None,
        };
        let Some(_guard) = guard else {
            inner.end_pairing(me);
            return Err(Error::Cancelled);
        };
        if cancel.is_cancelled() {
            inner.end_pairing(me);
            return Err(Error::Cancelled);
        }
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
            inner
                .tokens
                .install(TokenPair::from_grant(&grant, SignInMethod::DeviceCode))?;
            tracing::info!("paired; reading the identity");
            inner.first_identity(&cancel).await
        }
        .await;
        // No longer the live pairing before its end state shows: a Pair tapped on that state
        // must not be refused as busy.
        inner.end_pairing(me);
        match result {
            Ok(id) => Ok(id),
            Err(e) => {
                tracing::info!(error = %e, "pairing ended without success");
                inner.restore_state();
                Err(e)
            }
        }
    }

    /// Whether sign-in with a Frame.io account is set up (an app client id is configured).
    pub fn app_sign_in_available(&self) -> bool {
        self.inner.tokens.app().is_some()
    }

    fn app(&self) -> Result<&AppAuthApi> {
        self.inner
            .tokens
            .app()
            .ok_or(Error::SignIn(SignInError::NotAvailable))
    }

    /// Start a sign-in with a Frame.io account (OAuth authorization code + PKCE): a new `state`
    /// and verifier are kept in the secret store (replacing a sign-in in progress) and the
    /// authorization URL is returned for the browser. `redirect_uri` picks one of the configured
    /// redirect URIs (a loopback one with any port, for desktop hosts that listen on a free
    /// port); `None` takes the first. Nothing is sent to Frame.io yet.
    pub fn begin_app_sign_in(&self, redirect_uri: Option<&str>) -> Result<SignInRequest> {
        self.app()?.begin(redirect_uri)
    }

    /// The sign-in in progress, if one can still be completed (also after a restart of the app).
    pub fn pending_app_sign_in(&self) -> Option<SignInRequest> {
        let app = self.inner.tokens.app()?;
        match app.pending() {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the sign-in in progress");
                None
            }
        }
    }

    /// Drop the sign-in in progress (the browser may still show the page; its answer will be
    /// refused as [`SignInError::NotStarted`]).
    pub fn cancel_app_sign_in(&self) -> Result<()> {
        self.app()?.cancel()
    }

    /// Complete the sign-in from the URL the browser was sent back to (the redirect URI with
    /// `code` and `state`, or an `error`): checks the state, trades the code for tokens, stores
    /// them and reads the identity. A declined sign-in is [`SignInError::Denied`]; other failures
    /// are typed [`Error::SignIn`] errors. Nothing is stored unless it succeeds.
    pub async fn complete_app_sign_in(&self, redirect_url: &str) -> Result<Identity> {
        let inner = &self.inner;
        let _guard = inner
            .signing_in
            .try_lock()
            .map_err(|_| Error::Busy("a sign-in is already being completed".into()))?;
        let grant = self.app()?.complete(redirect_url).await?;
        inner
            .tokens
            .install(TokenPair::from_grant(&grant, SignInMethod::Account))?;
        tracing::info!("signed in; reading the identity");
        // Never cancelled: a sign-in whose code was traded runs to its end.
        let id = inner.first_identity(&CancellationToken::new()).await;
        if id.is_err() {
            inner.restore_state();
        }
        id
    }

    /// How this install is authorized (`None`: not at all). Device-code pairs cannot use the
    /// connection manager ([`Error::NeedsAccountSignIn`]).
    pub fn sign_in_method(&self) -> Option<SignInMethod> {
        self.inner.tokens.method()
    }

    /// Whether accounts and projects can be listed and chosen with the current authorization.
    pub fn can_manage_connection(&self) -> bool {
        self.sign_in_method()
            .is_some_and(SignInMethod::can_manage_connection)
    }

    fn require_account(&self) -> Result<()> {
        match self.inner.tokens.method() {
            None => Err(Error::NotAuthorized),
            Some(m) if m.can_manage_connection() => Ok(()),
            Some(_) => Err(Error::NeedsAccountSignIn),
        }
    }

    /// The app came to the foreground: re-read the device (project name, paused) at once, unless
    /// it was read in the last few seconds. Errors are only logged (the state shows them).
    pub async fn app_foreground(&self) {
        let recent = self
            .inner
            .last_device_read
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some_and(|t| t.elapsed() < FOREGROUND_REREAD);
        if recent || !self.inner.tokens.has_tokens() {
            return;
        }
        if let Err(e) = self.inner.reread_device().await {
            tracing::debug!(error = %e, "device re-read on foreground failed");
        }
    }

    /// Re-read the identity from the server (user, device, project name).
    pub async fn refresh_identity(&self) -> Result<Identity> {
        self.inner.fetch_identity().await
    }

    /// Accounts where C2C is usable, or [`AccountList::NoC2cAccounts`]. Needs a sign-in with a
    /// Frame.io account ([`Error::NeedsAccountSignIn`] for a device paired with a code, without
    /// a request).
    pub async fn list_accounts(&self) -> Result<AccountList> {
        self.require_account()?;
        let r = identity::accounts(&self.inner.client).await;
        self.inner.check(r)
    }

    /// Projects of an account, filtered by a case-insensitive search text (account sign-in only).
    pub async fn list_projects(
        &self,
        account_id: &str,
        search: Option<&str>,
    ) -> Result<Vec<Project>> {
        self.require_account()?;
        let r = identity::projects(&self.inner.client, account_id, search).await;
        self.inner.check(r)
    }

    /// Connect this device to a project (by id), then re-read the identity (account sign-in
    /// only).
    pub async fn connect(&self, project_id: &str) -> Result<Identity> {
        self.require_account()?;
        let id = uuid::Uuid::parse_str(project_id.trim()).map_err(|_| Error::NotFound {
            detail: format!("{project_id:?} is not a project id"),
        })?;
        let path = format!("/v2/devices/connect?project_id={id}");
        let r = self.inner.client.post_empty(&path).await;
        self.inner.check(r)?;
        tracing::info!(project_id = %id, "connected to a project");
        self.inner.fetch_identity().await
    }

    /// Disconnect from the project, then re-read the identity (account sign-in only).
    pub async fn disconnect(&self) -> Result<Identity> {
        self.require_account()?;
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

    /// Write a comment on the queued file `file_id` (text and an optional frame). It is kept in
    /// the journal and sent once the file's asset exists, retried until Frame.io has it.
    pub async fn add_comment(
        &self,
        file_id: i64,
        text: String,
        frame: Option<u64>,
    ) -> Result<crate::notes::Note> {
        let note =
            crate::notes::add_comment(&self.inner.queue.journal(), file_id, text, frame).await?;
        self.inner.notes_written();
        Ok(note)
    }

    /// Write a real-time logging trigger (input `input` of channel `channel`, optional SMPTE
    /// start and duration at `rate`); kept and sent like a comment.
    pub async fn add_trigger(
        &self,
        channel: u32,
        input: u32,
        start: Option<String>,
        duration: Option<String>,
        rate: crate::notes::FrameRate,
    ) -> Result<crate::notes::Note> {
        let note = crate::notes::add_trigger(
            &self.inner.queue.journal(),
            channel,
            input,
            start,
            duration,
            rate,
        )
        .await?;
        self.inner.notes_written();
        Ok(note)
    }

    /// Give the queued file `file_id` its take mark (scene, take, circle take). Unless the file
    /// has that mark already, the mark and its slate comment (returned) are written together;
    /// the comment is sent like any other.
    pub async fn log_take(
        &self,
        file_id: i64,
        mark: crate::notes::TakeMark,
    ) -> Result<Option<crate::notes::Note>> {
        let note = crate::notes::db(&self.inner.queue.journal(), move |j| {
            j.log_take(file_id, &mark)
        })
        .await?;
        self.inner.notes_written();
        Ok(note)
    }

    /// The take mark of file `file_id` (blank when it has none).
    pub async fn take_mark(&self, file_id: i64) -> Result<crate::notes::TakeMark> {
        crate::notes::db(&self.inner.queue.journal(), move |j| j.take(file_id)).await
    }

    /// Circle the take of file `file_id`, or remove the circle (the scene and take stay).
    pub async fn toggle_circle(&self, file_id: i64) -> Result<Option<crate::notes::Note>> {
        let note = crate::notes::db(&self.inner.queue.journal(), move |j| {
            let mut mark = j.take(file_id)?;
            mark.circled = !mark.circled;
            j.log_take(file_id, &mark)
        })
        .await?;
        self.inner.notes_written();
        Ok(note)
    }

    /// What the take-log screen shows besides the queue: every take mark and the newest notes.
    pub async fn take_log(&self, limit: u32) -> Result<crate::notes::TakeLogData> {
        crate::notes::db(&self.inner.queue.journal(), move |j| {
            Ok(crate::notes::TakeLogData {
                takes: j.takes(limit)?,
                notes: j.notes(None, limit)?,
            })
        })
        .await
    }

    /// Bumped whenever a note or a take mark is written, or a note is sent, refused or put back.
    pub fn watch_notes(&self) -> watch::Receiver<u64> {
        self.inner.notes_rev.subscribe()
    }

    /// The take-log notes, newest first (of one file when `file_id` is given).
    pub async fn notes(&self, file_id: Option<i64>, limit: u32) -> Result<Vec<crate::notes::Note>> {
        crate::notes::db(&self.inner.queue.journal(), move |j| {
            j.notes(file_id, limit)
        })
        .await
    }

    /// Send a failed note again.
    pub async fn retry_note(&self, id: i64) -> Result<()> {
        crate::notes::db(&self.inner.queue.journal(), move |j| j.retry_note(id)).await?;
        self.inner.notes_written();
        Ok(())
    }

    /// Notes still waiting that can go now (triggers, and comments whose file has an asset).
    pub async fn notes_sendable(&self) -> Result<u64> {
        crate::notes::db(&self.inner.queue.journal(), |j| {
            Ok(j.due_notes(i64::MAX, 10_000)?.len() as u64)
        })
        .await
    }

    /// This device's channels (Frame.io's list, with the local pause and offset).
    pub async fn channels(&self) -> Result<Vec<crate::notes::DeviceChannel>> {
        let r = crate::notes::list_channels(&self.inner.client, &self.inner.queue.journal()).await;
        self.inner.check(r)
    }

    /// Create a channel (`client_id` identifies its source; a new one when `None`).
    pub async fn create_channel(
        &self,
        client_id: Option<String>,
    ) -> Result<crate::notes::DeviceChannel> {
        let r = crate::notes::create_channel(
            &self.inner.client,
            &self.inner.queue.journal(),
            client_id,
        )
        .await;
        self.inner.check(r)
    }

    /// Disconnect channel `index` (channel 0 is the device: use `disconnect`).
    pub async fn disconnect_channel(&self, index: u32) -> Result<()> {
        let r = crate::notes::disconnect_channel(&self.inner.client, index).await;
        self.inner.check(r)
    }

    /// Disconnect every channel but channel 0.
    pub async fn disconnect_all_channels(&self) -> Result<()> {
        let r = crate::notes::disconnect_all_channels(&self.inner.client).await;
        self.inner.check(r)
    }

    /// Pause or resume uploads of one channel (local: the planner skips its files).
    pub async fn set_channel_paused(&self, channel: u32, paused: bool) -> Result<()> {
        self.inner
            .queue
            .set_channel_paused(channel, paused)
            .await
            .map_err(|e| Error::Storage(e.to_string()))
    }

    /// Seconds added to the offset of one channel's uploads and triggers.
    pub async fn set_channel_offset(&self, channel: u32, offset_secs: i64) -> Result<()> {
        self.inner
            .queue
            .set_channel_offset(channel, offset_secs)
            .await
            .map_err(|e| Error::Storage(e.to_string()))
    }

    /// Stop the background tasks and uploads (also done on drop). The uploader lock is
    /// released once the uploads have stopped (at the latest 2 s later).
    pub fn shutdown(&self) {
        if let Some(l) = &self.inner.uploader_lock {
            l.mark_stopping();
        }
        self.inner.shutdown.cancel();
        self.inner.queue.shutdown();
    }
}

/// Hold the uploader lock while this engine's uploader runs: until the queue's last task has
/// ended (its status sender is gone), or at most 2 s after a shutdown (a part in flight stops at
/// its next await; the engine object may stay referenced long after). A start in this process
/// waits for the release; the OS releases it when the process dies.
async fn keep_uploader_lock(
    lock: crate::statedir::UploaderLock,
    mut status: watch::Receiver<crate::queue::QueueStatus>,
    shutdown: CancellationToken,
) {
    let closed = async { while status.changed().await.is_ok() {} };
    tokio::pin!(closed);
    tokio::select! {
        _ = &mut closed => {}
        _ = shutdown.cancelled() => {
            let _ = tokio::time::timeout(Duration::from_secs(2), &mut closed).await;
        }
    }
    drop(lock);
}

impl Inner {
    fn lock_pairing_current(&self) -> std::sync::MutexGuard<'_, Option<(u64, CancellationToken)>> {
        self.pairing_current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Pairing `me` is over: forget it unless a newer one has replaced it.
    fn end_pairing(&self, me: u64) {
        let mut current = self.lock_pairing_current();
        if current.as_ref().is_some_and(|(n, _)| *n == me) {
            *current = None;
        }
    }

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

    /// Read the identity of a just-installed authorization (pairing, sign-in), retrying a
    /// transient failure up to three times, 1, 2 and 3 s apart. Any other failure revokes and
    /// clears the tokens: nothing is left half-done. `cancel` ends the reads and the waits.
    async fn first_identity(&self, cancel: &CancellationToken) -> Result<Identity> {
        let mut attempt = 0u32;
        let failure = loop {
            match cancellable(cancel, self.fetch_identity()).await {
                Ok(Ok(id)) => return Ok(id),
                Ok(Err(e)) if e.is_transient() && attempt < 3 => {
                    attempt += 1;
                    let pause = tokio::time::sleep(Duration::from_secs(attempt.into()));
                    // Cancelled while waiting: rolled back like any other ending.
                    if let Err(e) = cancellable(cancel, pause).await {
                        break e;
                    }
                }
                Ok(Err(e)) | Err(e) => break e,
            }
        };
        self.tokens.revoke_and_clear().await;
        Err(failure)
    }

    async fn fetch_identity(&self) -> Result<Identity> {
        let method = self.tokens.method().ok_or(Error::NotAuthorized)?;
        let id = self.check(identity::fetch(&self.client, method).await)?;
        self.store_identity(id.clone());
        Ok(id)
    }

    fn store_identity(&self, id: Identity) {
        *self
            .last_device_read
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(std::time::Instant::now());
        if let Err(e) = self.state_dir.write(IDENTITY_FILE, &id) {
            tracing::warn!(error = %e, "could not cache the identity");
        }
        if self.tokens.has_tokens() {
            // An answered identity read proves the tokens are accepted: clear a refusal before
            // the state says connected, so both change together for observers.
            self.tokens.set_refused(false);
            self.hub.set_connection(state_for(Some(&id)));
        }
        self.set_identity(Some(id));
    }

    /// Re-read only the device (`GET /v2/devices/me`: project, name, status): one request, what
    /// the heartbeat and the app coming to the foreground do. The user shown stays the one read
    /// at sign-in for an account sign-in; for a paired device it is the authorization's creator.
    async fn reread_device(&self) -> Result<Identity> {
        let method = self.tokens.method().ok_or(Error::NotAuthorized)?;
        let cached = self.lock_identity().clone();
        let Some(cached) = cached else {
            return self.fetch_identity().await;
        };
        let (device, project, creator) = self.check(identity::fetch_device(&self.client).await)?;
        let user = if method.can_manage_connection() {
            cached.user
        } else {
            creator
        };
        let id = Identity {
            user,
            device,
            project,
            fetched_at: chrono::Utc::now(),
        };
        self.store_identity(id.clone());
        Ok(id)
    }

    fn spawn_tasks(me: &Arc<Self>) {
        if me.config.background_refresh {
            tokio::spawn(Self::refresh_loop(me.clone()));
        }
        tokio::spawn(Self::identity_loop(me.clone()));
        tokio::spawn(Self::lost_loop(me.clone()));
        tokio::spawn(Self::gate_loop(me.clone()));
        if me.config.device_socket {
            tokio::spawn(Self::socket_loop(me.clone()));
        }
        if let Some(every) = me.config.heartbeat_interval {
            tokio::spawn(Self::heartbeat_loop(me.clone(), every));
        }
        // One sender per queue: the process that runs the uploader (it holds the lock).
        if me.config.queue.run {
            let sender = crate::notes::Sender {
                journal: me.queue.journal(),
                api: me.client.clone(),
                wake: me.notes_wake.clone(),
                changed: me.notes_rev.clone(),
                queue: me.queue.watch(),
                shutdown: me.shutdown.clone(),
                channels: Default::default(),
            };
            tokio::spawn(sender.run());
        }
    }

    /// A note or mark was written: wake the sender, tell the watchers.
    fn notes_written(&self) {
        self.notes_wake.notify_one();
        self.notes_rev.send_modify(|r| *r += 1);
    }

    async fn refresh_loop(me: Arc<Self>) {
        let mut generation = me.tokens.generation();
        let mut retry = Duration::from_secs(15);
        loop {
            generation.borrow_and_update();
            let due = me.tokens.current().and_then(|p| {
                let wait = (p.refresh_due_at() - chrono::Utc::now()).to_std();
                tokio::time::Instant::now().checked_add(wait.unwrap_or(Duration::ZERO))
            });
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                r = generation.changed() => if r.is_err() { return },
                _ = sleep_until_or_forever(due) => {
                    let Some(pair) = me.tokens.current() else { continue };
                    match me.check(me.tokens.refresh_if_current(pair.access_token()).await) {
                        Ok(_) | Err(Error::NotAuthorized) => retry = Duration::from_secs(15),
                        Err(e) => {
                            // Failing refreshes back off (15 s doubling to 10 min); while the
                            // auth gate pauses API calls, wait for it.
                            let wait = match e {
                                Error::AuthRefused { retry_after } => retry_after.max(retry),
                                _ => retry,
                            };
                            retry = (retry * 2).min(Duration::from_secs(600));
                            tracing::warn!(error = %e, wait_secs = wait.as_secs(), "background refresh failed; retrying");
                            tokio::select! {
                                _ = me.shutdown.cancelled() => return,
                                _ = tokio::time::sleep(wait) => {}
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
        let mut before = *lost.borrow_and_update();
        loop {
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                r = lost.changed() => {
                    if r.is_err() { return }
                    let reason = *lost.borrow_and_update();
                    match reason {
                        // Refused renewals: say so, keep the tokens and the cached identity.
                        Some(LostReason::Refused) if me.tokens.has_tokens() => {
                            me.hub.set_connection(ConnectionState::NotAuthorized);
                        }
                        Some(_) if !me.tokens.has_tokens() => me.mark_unauthorized(),
                        // Accepted again (not a new pairing, which sets its own state).
                        None if before == Some(LostReason::Refused)
                            && me.tokens.has_tokens()
                            && !matches!(me.hub.status().connection, ConnectionState::Pairing(_)) =>
                        {
                            me.restore_state()
                        }
                        _ => {}
                    }
                    before = reason;
                }
            }
        }
    }

    /// Follow the auth gate: after [`REPORT_REFUSED_AFTER`] refused renewals in a row the state
    /// says not authorized (tokens and queue kept); when a pause ends, send the probe (a device
    /// re-read) so the engine recovers by itself once Frame.io accepts the tokens again.
    async fn gate_loop(me: Arc<Self>) {
        let mut gate = me.tokens.gate().watch();
        loop {
            let state = *gate.borrow_and_update();
            me.tokens
                .set_refused(state.failures >= REPORT_REFUSED_AFTER && me.tokens.has_tokens());
            let until = match state.mode {
                GateMode::Blocked { until } => Some(until),
                _ => None,
            };
            tokio::select! {
                _ = me.shutdown.cancelled() => return,
                r = gate.changed() => if r.is_err() { return },
                _ = sleep_until_or_forever(until) => {
                    if me.tokens.has_tokens() {
                        tracing::debug!("auth pause over: probing");
                        if let Err(e) = me.reread_device().await {
                            tracing::debug!(error = %e, "auth probe failed");
                        }
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
                continue;
            }
            // One device read per heartbeat: renames and pauses made in Frame.io show without
            // user action.
            if let Err(e) = me.reread_device().await {
                tracing::debug!(error = %e, "device re-read failed");
            }
        }
    }
}
