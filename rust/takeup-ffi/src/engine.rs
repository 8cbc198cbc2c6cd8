//! The engine object, the foreign traits the apps implement (secret store, listeners) and the
//! subscription handle. Every method forwards to `takeup_core::Engine` on the library's runtime;
//! arguments and results are the engine's own types (see `types.rs`).

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use takeup_core as tc;
use tokio_util::sync::CancellationToken;

use crate::error::{SecretStoreError, TakeupError};
use crate::runtime::{forward_watch, on_runtime, runtime};
use crate::types::*;

type Result<T, E = TakeupError> = std::result::Result<T, E>;

/// Secure storage for the token pair, implemented by the app: Android Keystore-backed storage
/// (e.g. EncryptedSharedPreferences), the iOS Keychain. Called from engine threads; must be
/// thread-safe and quick. Values are secrets: never log them.
#[uniffi::export(with_foreign)]
pub trait SecretStore: Send + Sync {
    /// The value, or `None` when absent.
    fn get(&self, key: String) -> Result<Option<String>, SecretStoreError>;
    /// Store (replace) the value.
    fn set(&self, key: String, value: String) -> Result<(), SecretStoreError>;
    /// Remove the value; an absent key is not an error.
    fn delete(&self, key: String) -> Result<(), SecretStoreError>;
}

/// Adapts the app's store to the engine's trait.
pub(crate) struct ForeignStore(pub(crate) Arc<dyn SecretStore>);

impl tc::SecretStore for ForeignStore {
    fn get(&self, key: &str) -> Result<Option<String>, tc::SecretStoreError> {
        self.0.get(key.to_string()).map_err(Into::into)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), tc::SecretStoreError> {
        self.0
            .set(key.to_string(), value.to_string())
            .map_err(Into::into)
    }
    fn delete(&self, key: &str) -> Result<(), tc::SecretStoreError> {
        self.0.delete(key.to_string()).map_err(Into::into)
    }
}

/// Receives the engine status (connection state + network) on every change.
#[uniffi::export(callback_interface)]
pub trait StatusListener: Send + Sync {
    /// Called with the current status when subscribing, then after each change.
    fn on_status(&self, status: EngineStatus);
}

/// Receives pairing progress (every new code, also after an expiry) while `pair` runs.
#[uniffi::export(callback_interface)]
pub trait PairingListener: Send + Sync {
    fn on_progress(&self, progress: PairingProgress);
}

/// Receives the upload queue status, and each file that fails.
#[uniffi::export(callback_interface)]
pub trait UploadListener: Send + Sync {
    /// Called with the current status when subscribing, then on every change (a few times a
    /// second while uploading).
    fn on_queue_status(&self, status: QueueStatus);
    /// A file moved to the failed list (its `reason` says why) after subscribing.
    fn on_upload_failed(&self, file: FileEntry);
}

/// A listener registration. `cancel()` or dropping it (Kotlin `close()`, Swift release)
/// unsubscribes; a delivery already running on another thread may still complete.
#[derive(uniffi::Object)]
pub struct Subscription {
    token: CancellationToken,
    core: Mutex<Option<tc::Subscription>>,
}

impl Subscription {
    pub(crate) fn new(token: CancellationToken, core: Option<tc::Subscription>) -> Arc<Self> {
        Arc::new(Self {
            token,
            core: Mutex::new(core),
        })
    }
}

#[uniffi::export]
impl Subscription {
    /// Stop deliveries. Idempotent.
    pub fn cancel(&self) {
        self.token.cancel();
        let core = self.core.lock().unwrap_or_else(|p| p.into_inner()).take();
        drop(core);
    }

    /// Whether `cancel()` has not been called.
    pub fn is_active(&self) -> bool {
        !self.token.is_cancelled()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

/// Forwards engine status to a foreign listener.
struct StatusForwarder(Box<dyn StatusListener>, CancellationToken);

impl tc::StatusListener for StatusForwarder {
    fn on_status(&self, status: EngineStatus) {
        if !self.1.is_cancelled() {
            self.0.on_status(status);
        }
    }
}

/// Start the engine: validate the configuration (https base URL, semver client version, CA),
/// open the state directory and the upload journal, load the tokens from `secret_store`, and
/// start the background tasks and the upload scheduler on the library's tokio runtime.
#[uniffi::export(async_runtime = "tokio")]
pub async fn start_engine(
    config: EngineConfig,
    secret_store: Arc<dyn SecretStore>,
) -> Result<Arc<TakeupEngine>> {
    let config = config.into_core();
    let store: Arc<dyn tc::SecretStore> = Arc::new(ForeignStore(secret_store));
    let engine = on_runtime(async move { tc::Engine::start(config, store).await }).await??;
    Ok(Arc::new(TakeupEngine {
        engine: Arc::new(engine),
        view_model: std::sync::OnceLock::new(),
    }))
}

/// The running engine. Releasing the last reference (Kotlin `close()`, Swift release) stops its
/// background tasks and uploads (acknowledged parts are kept for the next start).
#[derive(uniffi::Object)]
pub struct TakeupEngine {
    engine: Arc<tc::Engine>,
    view_model: std::sync::OnceLock<Arc<crate::view::ViewModel>>,
}

impl TakeupEngine {
    pub(crate) fn core(&self) -> Arc<tc::Engine> {
        self.engine.clone()
    }

    /// Run `f` with the engine on the library's runtime; its error becomes a [`TakeupError`].
    async fn run<T, E, F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce(Arc<tc::Engine>) -> Fut,
        Fut: Future<Output = std::result::Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send + 'static,
        TakeupError: From<E>,
    {
        Ok(on_runtime(f(self.core())).await??)
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl TakeupEngine {
    // ---- view model ----

    /// The view model the app renders (one per engine: every call returns the same object).
    pub fn view_model(&self) -> Arc<crate::view::ViewModel> {
        self.view_model
            .get_or_init(|| crate::view::ViewModel::new(self.engine.clone()))
            .clone()
    }

    // ---- status ----

    /// This install's client id (not a secret).
    pub fn client_id(&self) -> String {
        self.engine.client_id().to_string()
    }

    /// The current status.
    pub fn status(&self) -> EngineStatus {
        self.engine.status()
    }

    /// The current connection state.
    pub fn connection_state(&self) -> ConnectionState {
        self.engine.connection_state()
    }

    /// The cached identity (available offline).
    pub fn identity(&self) -> Option<Identity> {
        self.engine.identity()
    }

    /// Whether a token pair is held.
    pub fn is_paired(&self) -> bool {
        self.engine.is_paired()
    }

    /// Call `listener` with the current status (before this returns) and every change, on an
    /// engine thread, until the subscription is cancelled or released.
    pub fn subscribe_status(&self, listener: Box<dyn StatusListener>) -> Arc<Subscription> {
        let _rt = runtime().enter();
        let token = CancellationToken::new();
        let core = self
            .engine
            .subscribe(Arc::new(StatusForwarder(listener, token.clone())));
        Subscription::new(token, Some(core))
    }

    // ---- network monitor input ----

    /// The app's network monitor reports whether the device has a network at all.
    pub fn set_network_available(&self, online: bool) {
        self.engine.set_network_available(online);
    }

    /// The app's network monitor reports how the device is connected.
    pub fn set_connection_type(&self, connection_type: ConnectionType) {
        self.engine.set_connection_type(connection_type);
    }

    /// Both at once (Android `NetworkCallback`, iOS `NWPathMonitor` updates).
    pub fn network_changed(&self, online: bool, connection_type: ConnectionType) {
        self.engine.network_changed(online, connection_type);
    }

    // ---- pairing and account ----

    /// Pair this device (device-code flow) and return who is signed in. `listener` sees every
    /// code to show (`verification_uri_complete` is the QR content), also new ones after an
    /// expiry; the same progress appears as `ConnectionState.Pairing` in the status.
    /// `cancel_pairing()` ends it with `TakeupError.Cancelled`, leaving nothing stored.
    pub async fn pair(
        self: Arc<Self>,
        listener: Option<Box<dyn PairingListener>>,
    ) -> Result<Identity> {
        // The engine keeps the one running pairing: a second is refused as busy while it runs,
        // and replaces it once cancelled (`cancel_pairing` then `pair` always shows a new code).
        let cancel = CancellationToken::new();
        let engine = self.core();
        let result = on_runtime(async move {
            let forward = listener.map(|l| {
                let mut rx = engine.watch_status();
                tokio::spawn(async move {
                    let mut last = None;
                    loop {
                        let progress = match &rx.borrow_and_update().connection {
                            tc::ConnectionState::Pairing(p) => Some(p.clone()),
                            _ => None,
                        };
                        if let Some(p) = progress
                            && last.as_ref() != Some(&p)
                        {
                            last = Some(p.clone());
                            l.on_progress(p);
                        }
                        if rx.changed().await.is_err() {
                            break;
                        }
                    }
                })
            });
            let r = engine.pair(cancel).await;
            if let Some(f) = forward {
                f.abort();
            }
            r
        })
        .await;
        Ok(result??)
    }

    /// Cancel a running `pair` (returns whether one was running). `pair` may be called again at
    /// once: it waits for the cancelled one to wind down, then shows a new code.
    pub fn cancel_pairing(&self) -> bool {
        self.engine.cancel_pairing()
    }

    /// Re-read the identity from Frame.io.
    pub async fn refresh_identity(&self) -> Result<Identity> {
        self.run(|e| async move { e.refresh_identity().await })
            .await
    }

    /// Accounts where C2C is usable, or `AccountList.NoC2cAccounts` with a help URL.
    pub async fn list_accounts(&self) -> Result<AccountList> {
        self.run(|e| async move { e.list_accounts().await }).await
    }

    /// Projects of an account whose name contains `search` (case-insensitive; `None`: all).
    pub async fn list_projects(
        &self,
        account_id: String,
        search: Option<String>,
    ) -> Result<Vec<Project>> {
        self.run(|e| async move { e.list_projects(&account_id, search.as_deref()).await })
            .await
    }

    /// Connect this device to a project (by id); returns the new identity.
    pub async fn connect(&self, project_id: String) -> Result<Identity> {
        self.run(|e| async move { e.connect(&project_id).await })
            .await
    }

    /// Disconnect from the project; returns the new identity.
    pub async fn disconnect(&self) -> Result<Identity> {
        self.run(|e| async move { e.disconnect().await }).await
    }

    /// Sign out: revoke on Frame.io (best effort) and delete the local tokens and identity.
    pub async fn sign_out(&self) -> Result<SignOutOutcome> {
        self.run(|e| async move { e.sign_out().await }).await
    }

    // ---- upload queue ----

    /// Add a file to the durable upload queue (or report it is queued / uploaded already).
    /// A missing or unreadable file is `TakeupError.BadInput`.
    pub async fn enqueue(&self, path: String, options: EnqueueOptions) -> Result<Enqueued> {
        let path = std::path::PathBuf::from(path);
        self.run(|e| async move { e.queue().enqueue(&path, options).await })
            .await
    }

    /// The writer of a growing file finished: finalise its upload with the true size.
    pub fn file_closed(&self, id: i64) {
        self.engine.queue().file_closed(id);
    }

    /// Manual mode: queue the selected files; returns how many were queued.
    pub async fn select(&self, ids: Vec<i64>) -> Result<u64> {
        self.run(|e| async move { e.queue().select(ids).await })
            .await
    }

    /// Cancel one file (it stops at once); returns whether it was cancellable.
    pub async fn cancel_upload(&self, id: i64) -> Result<bool> {
        self.run(|e| async move { e.queue().cancel(id).await })
            .await
    }

    /// Cancel everything queued or uploading; returns how many files were cancelled.
    pub async fn cancel_all_uploads(&self) -> Result<u64> {
        let n = self.run(|e| async move { e.queue().cancel_all().await });
        Ok(n.await? as u64)
    }

    /// Retry a failed, skipped or cancelled file.
    pub async fn retry_upload(&self, id: i64) -> Result<()> {
        self.run(|e| async move { e.queue().retry(id).await }).await
    }

    /// Move a file to the top of the queue.
    pub async fn move_to_top(&self, id: i64) -> Result<()> {
        self.run(|e| async move { e.queue().move_to_top(id).await })
            .await
    }

    /// Auto or manual mode (persisted).
    pub async fn set_queue_mode(&self, mode: QueueMode) -> Result<()> {
        self.run(|e| async move { e.queue().set_mode(mode).await })
            .await
    }

    /// Pause uploads (running files stop; acknowledged parts are kept).
    pub fn pause_uploads(&self) {
        self.engine.queue().pause();
    }

    /// Resume uploads after `pause_uploads`.
    pub fn resume_uploads(&self) {
        self.engine.queue().resume();
    }

    /// The current queue status.
    pub fn queue_status(&self) -> QueueStatus {
        self.engine.queue().status()
    }

    /// Call `listener` with the queue status (on an engine thread, right away) and on every
    /// change, and with each file that fails, until the subscription is cancelled or released.
    pub fn subscribe_uploads(&self, listener: Box<dyn UploadListener>) -> Arc<Subscription> {
        let token = CancellationToken::new();
        let stop = token.clone();
        let rx = self.engine.queue().watch();
        let mut failed: HashSet<i64> = rx.borrow().failed.iter().map(|f| f.id).collect();
        forward_watch(rx, stop, move |status: QueueStatus| {
            // Retried files may fail again later.
            failed.retain(|id| status.failed.iter().any(|f| f.id == *id));
            let new_failures: Vec<FileEntry> = status
                .failed
                .iter()
                .filter(|f| f.state == AssetState::Failed && failed.insert(f.id))
                .cloned()
                .collect();
            listener.on_queue_status(status);
            for f in new_failures {
                listener.on_upload_failed(f);
            }
        });
        Subscription::new(token, None)
    }

    /// Background-work hook (Android WorkManager worker, iOS BGProcessingTask): let pending
    /// uploads run for at most `max_seconds`, then report. Returns early when the queue is empty
    /// or held for a reason time cannot fix (paused, not paired, no project).
    pub async fn run_background_work(&self, max_seconds: u32) -> BackgroundRun {
        let e = self.core();
        let max = Duration::from_secs(max_seconds.into());
        match on_runtime(async move { e.queue().run_for(max).await }).await {
            Ok(r) => r,
            Err(_) => {
                let s = self.engine.queue().status();
                let remaining = s.totals.queued + s.totals.active;
                BackgroundRun {
                    uploaded: 0,
                    remaining,
                    more_work: remaining > 0,
                    timed_out: false,
                    hold: s.hold,
                }
            }
        }
    }

    /// Stop the background tasks and uploads now (also done when the object is released).
    pub fn shutdown(&self) {
        self.engine.shutdown();
    }
}
