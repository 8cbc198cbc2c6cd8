//! The view model both apps render: [`ViewModel`] turns the engine's status, identity and queue
//! into one [`AppView`] (the screens and states listed in `shared-ui-spec/spec.json`) and runs the
//! user's [`UiAction`]s (pairing, sign-in with a Frame.io account, account and project pickers,
//! queue controls). The apps stay thin: they draw the current view, send actions, and open URLs
//! (the verification link, the sign-in page, whose answer they hand back as `complete_sign_in`).
//!
//! Async work (network calls) runs on the engine's tokio runtime; a step's answer only lands if the
//! user has not moved on meanwhile (each step has a generation number).

pub mod format;
pub mod take_log;
pub mod texts;
pub mod view;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

use crate::connection::ConnectionState;
use crate::engine::Engine;
use crate::error::{Error, SignInError};
use crate::identity::AccountList;
use crate::queue::QueueMode;
pub use take_log::{NoteRow, TakeClip, TakeLogView};
pub use view::{
    AccountItem, ActionKind, AppView, ConnectionHeader, ConnectionView, FileRow, Flow, HoldReason,
    NetworkView, Notice, ProjectItem, QueueBanner, QueueSection, QueueView, RowState, SectionKind,
    SignInMethod, UiAction, UserView, ViewInputs, build,
};

/// What `retry` repeats.
#[derive(Clone, Debug)]
enum RetryTarget {
    Pair,
    SignIn,
    LoadAccounts,
    LoadProjects(AccountItem),
    Connect(ProjectItem),
}

#[derive(Default)]
struct VmState {
    flow: Flow,
    generation: u64,
    retry: Option<RetryTarget>,
    accounts: Option<Vec<AccountItem>>,
    selection: BTreeSet<i64>,
    alert: Option<String>,
    /// The pairing this view model started (a number telling it from its successors).
    pairing: Option<(u64, CancellationToken)>,
    pairings_started: u64,
    /// The journal's take marks and notes, re-read when they change.
    take_log: crate::notes::TakeLogData,
    /// Which read `take_log` came from (a read started earlier never replaces a later one).
    take_log_read: u64,
    take_log_reads: u64,
}

/// The most notes (and marks) the take-log screen reads.
const TAKE_LOG_LIMIT: u32 = 500;

struct Shared {
    engine: Arc<Engine>,
    state: Mutex<VmState>,
    changed: Notify,
    tx: watch::Sender<AppView>,
    runtime: tokio::runtime::Handle,
    stop: CancellationToken,
    /// Take-log writes, run one at a time in the order the user made them (a take logged then
    /// circled reaches Frame.io in that order).
    log_writes: tokio::sync::mpsc::UnboundedSender<LogWrite>,
}

/// A take-log write: what it is (for the alert) and the work.
type LogWrite = (
    &'static str,
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), Error>> + Send>>,
);

/// The view model. Dropping it stops its background task (the engine keeps running).
pub struct ViewModel {
    shared: Arc<Shared>,
}

impl Drop for ViewModel {
    fn drop(&mut self) {
        self.shared.stop.cancel();
        if let Some((_, p)) = self.shared.lock().pairing.take() {
            p.cancel();
        }
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn kind(c: &ConnectionState) -> u8 {
    match c {
        ConnectionState::NotAuthorized => 0,
        ConnectionState::Pairing(_) => 1,
        ConnectionState::NotConnected { .. } => 2,
        ConnectionState::Connected { .. } => 3,
    }
}

impl ViewModel {
    /// Start the view model for `engine` on the current tokio runtime. A sign-in started before
    /// the app was restarted is picked up (`signing_in`, ready for the browser's answer).
    pub fn new(engine: Arc<Engine>) -> Self {
        let runtime = tokio::runtime::Handle::current();
        let mut state = VmState::default();
        if !engine.is_paired()
            && let Some(pending) = engine.pending_app_sign_in()
        {
            state.flow = Flow::SigningIn {
                authorization_url: pending.authorization_url,
            };
        }
        let initial = Self::compute(&engine, &state);
        let (log_writes, log_rx) = tokio::sync::mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            engine,
            state: Mutex::new(state),
            changed: Notify::new(),
            tx: watch::channel(initial).0,
            runtime,
            stop: CancellationToken::new(),
            log_writes,
        });
        shared.runtime.spawn(Shared::run(shared.clone()));
        shared
            .runtime
            .spawn(Shared::run_log_writes(Arc::downgrade(&shared), log_rx));
        Self { shared }
    }

    /// The view now.
    pub fn current(&self) -> AppView {
        self.shared.rebuild();
        self.shared.tx.borrow().clone()
    }

    /// Every new view (the receiver starts at the current one).
    pub fn watch(&self) -> watch::Receiver<AppView> {
        self.shared.tx.subscribe()
    }

    /// Run a user action. Returns at once; the outcome shows in the next views (a failed step as
    /// [`ConnectionView::Failed`], a failed queue command as the view's `alert`).
    pub fn dispatch(&self, action: UiAction) {
        tracing::debug!(?action, "ui action");
        self.shared.clone().dispatch(action);
        self.shared.changed.notify_one();
    }

    fn compute(engine: &Engine, st: &VmState) -> AppView {
        let status = engine.status();
        let identity = engine.identity();
        let queue = engine.queue().status();
        let lost = *engine.authorization_lost().borrow();
        build(&ViewInputs {
            status: &status,
            identity: identity.as_ref(),
            queue: &queue,
            flow: &st.flow,
            removed: lost.is_some(),
            refused: lost == Some(crate::tokens::LostReason::Refused),
            method: engine.sign_in_method(),
            sign_in_available: engine.app_sign_in_available(),
            pairing_available: engine.pairing_available(),
            selection: &st.selection,
            alert: st.alert.as_deref(),
            take_log: &st.take_log,
            now_ms: now_ms(),
        })
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, VmState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn rebuild(&self) {
        let view = {
            let st = self.lock();
            ViewModel::compute(&self.engine, &st)
        };
        self.tx.send_if_modified(|v| {
            if *v == view {
                false
            } else {
                *v = view;
                true
            }
        });
    }

    /// Follow the engine and the queue; rebuild on every change (and every second while a
    /// pairing code counts down).
    async fn run(me: Arc<Self>) {
        let mut status = me.engine.watch_status();
        let mut queue = me.engine.queue().watch();
        let mut lost = me.engine.authorization_lost();
        let mut identity = me.engine.watch_identity();
        let mut notes = me.engine.watch_notes();
        me.clone().reload_take_log();
        let mut last_kind: Option<u8> = None;
        let mut skipped = queue.borrow().totals.skipped;
        loop {
            let connection = status.borrow_and_update().connection.clone();
            let k = kind(&connection);
            if last_kind != Some(k) {
                me.on_connection_change(&connection, last_kind);
                last_kind = Some(k);
            }
            // A file refused because the device is paused: re-read the device status so the
            // paused notice shows without waiting for the next identity refresh.
            let now_skipped = queue.borrow_and_update().totals.skipped;
            if now_skipped > skipped && k == 3 {
                let engine = me.engine.clone();
                me.runtime.spawn(async move {
                    if let Err(e) = engine.refresh_identity().await {
                        tracing::debug!(error = %e, "identity after a skipped file");
                    }
                });
            }
            skipped = now_skipped;
            me.rebuild();
            let counting = matches!(
                me.tx.borrow().connection,
                ConnectionView::ShowingCode { .. }
            );
            tokio::select! {
                _ = me.stop.cancelled() => return,
                r = status.changed() => if r.is_err() { return },
                r = queue.changed() => if r.is_err() { return },
                r = lost.changed() => if r.is_err() { return },
                r = identity.changed() => if r.is_err() { return },
                r = notes.changed() => {
                    if r.is_err() { return }
                    notes.borrow_and_update();
                    me.clone().reload_take_log();
                }
                _ = me.changed.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)), if counting => {}
            }
        }
    }

    fn on_connection_change(self: &Arc<Self>, c: &ConnectionState, before: Option<u8>) {
        match c {
            ConnectionState::NotAuthorized => {
                // Close the pickers (a step still running is dropped); keep a failure on screen,
                // a sign-in in progress, and an idle flow alone, so a pairing that just failed
                // still lands.
                let mut st = self.lock();
                if !matches!(
                    st.flow,
                    Flow::Failed { .. }
                        | Flow::Idle
                        | Flow::SigningIn { .. }
                        | Flow::CompletingSignIn
                ) {
                    st.flow = Flow::Idle;
                    st.generation += 1;
                }
                st.accounts = None;
            }
            ConnectionState::Pairing(_) => {}
            // Signed in without a project (just signed in, disconnected, or the project went
            // away): open the account picker once. A paired device cannot list them.
            ConnectionState::NotConnected { .. } => {
                if before != Some(2)
                    && matches!(self.lock().flow, Flow::Idle | Flow::CompletingSignIn)
                    && self.engine.can_manage_connection()
                {
                    self.clone().load_accounts();
                }
            }
            ConnectionState::Connected { .. } => {}
        }
    }

    /// Move to a new flow step; returns its generation.
    fn set_flow(&self, flow: Flow) -> u64 {
        let mut st = self.lock();
        st.flow = flow;
        st.generation += 1;
        st.generation
    }

    /// Apply the answer of step `generation`, unless the user has moved on.
    fn land(&self, generation: u64, flow: Flow, retry: Option<RetryTarget>) {
        {
            let mut st = self.lock();
            if st.generation != generation {
                return;
            }
            st.flow = flow;
            if retry.is_some() {
                st.retry = retry;
            }
        }
        self.changed.notify_one();
    }

    fn fail(&self, generation: u64, e: Error, retry: RetryTarget) {
        // Lost authorization shows as the not-authorized state itself.
        let flow = if matches!(e, Error::NotAuthorized) {
            Flow::Idle
        } else {
            Flow::Failed {
                message: e.to_string(),
            }
        };
        self.land(generation, flow, Some(retry));
    }

    fn alert(&self, message: String) {
        self.lock().alert = Some(message);
        self.changed.notify_one();
    }

    /// Run an engine command in the background; a failure becomes the alert `Could not {what}`.
    fn spawn_command<F, T, E>(self: Arc<Self>, what: &'static str, fut: F)
    where
        F: std::future::Future<Output = Result<T, E>> + Send + 'static,
        E: std::fmt::Display,
    {
        let rt = self.runtime.clone();
        rt.spawn(async move {
            if let Err(e) = fut.await {
                tracing::info!(error = %e, "{what} failed");
                self.alert(format!("Could not {what}: {e}"));
            }
            self.changed.notify_one();
        });
    }

    /// Re-read the take marks and notes (in the background); the view follows.
    fn reload_take_log(self: Arc<Self>) {
        let read = {
            let mut st = self.lock();
            st.take_log_reads += 1;
            st.take_log_reads
        };
        let rt = self.runtime.clone();
        rt.spawn(async move {
            match self.engine.take_log(TAKE_LOG_LIMIT).await {
                Ok(data) => {
                    {
                        // Reads run concurrently: one that started before the one shown is
                        // older than it and must not replace it.
                        let mut st = self.lock();
                        if read < st.take_log_read {
                            return;
                        }
                        st.take_log_read = read;
                        st.take_log = data;
                    }
                    self.changed.notify_one();
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the take log"),
            }
        });
    }

    /// Queue a take-log write behind the earlier ones; a failure becomes the alert.
    fn log_write<T: Send + 'static>(
        &self,
        what: &'static str,
        fut: impl std::future::Future<Output = Result<T, Error>> + Send + 'static,
    ) {
        let work = Box::pin(async move { fut.await.map(|_| ()) });
        if self.log_writes.send((what, work)).is_err() {
            self.alert(format!("Could not {what}: the app is closing"));
        }
    }

    async fn run_log_writes(
        me: std::sync::Weak<Self>,
        mut rx: tokio::sync::mpsc::UnboundedReceiver<LogWrite>,
    ) {
        while let Some((what, work)) = rx.recv().await {
            let r = work.await;
            let Some(me) = me.upgrade() else { return };
            if let Err(e) = r {
                tracing::info!(error = %e, "{what} failed");
                me.alert(format!("Could not {what}: {e}"));
            }
            me.changed.notify_one();
        }
    }

    fn load_accounts(self: Arc<Self>) {
        let generation = self.set_flow(Flow::LoadingAccounts);
        let rt = self.runtime.clone();
        rt.spawn(async move {
            match self.engine.list_accounts().await {
                Ok(AccountList::Accounts(a)) => {
                    let items: Vec<AccountItem> = a
                        .into_iter()
                        .map(|a| AccountItem {
                            id: a.id,
                            name: a.display_name,
                        })
                        .collect();
                    self.lock().accounts = Some(items.clone());
                    self.land(generation, Flow::Accounts(items), None);
                }
                Ok(AccountList::NoC2cAccounts { help_url }) => {
                    self.land(generation, Flow::NoC2c { help_url }, None)
                }
                Err(e) => self.fail(generation, e, RetryTarget::LoadAccounts),
            }
        });
    }

    fn load_projects(self: Arc<Self>, account: AccountItem) {
        let generation = self.set_flow(Flow::LoadingProjects {
            account: account.clone(),
        });
        let rt = self.runtime.clone();
        rt.spawn(async move {
            match self.engine.list_projects(&account.id, None).await {
                Ok(p) => {
                    let all = p
                        .into_iter()
                        .map(|p| ProjectItem {
                            id: p.id,
                            name: p.name,
                        })
                        .collect();
                    self.land(
                        generation,
                        Flow::Projects {
                            account,
                            all,
                            query: String::new(),
                        },
                        None,
                    );
                }
                Err(e) => self.fail(generation, e, RetryTarget::LoadProjects(account)),
            }
        });
    }

    fn connect(self: Arc<Self>, project: ProjectItem) {
        let generation = self.set_flow(Flow::Connecting {
            project_name: project.name.clone(),
        });
        let rt = self.runtime.clone();
        rt.spawn(async move {
            match self.engine.connect(&project.id).await {
                Ok(_) => self.land(generation, Flow::Idle, None),
                Err(e) => self.fail(generation, e, RetryTarget::Connect(project)),
            }
        });
    }

    fn pair(self: Arc<Self>) {
        let token = CancellationToken::new();
        let (me, generation) = {
            let mut st = self.lock();
            // Already pairing (a second tap, or a pairing the app started): nothing to do. A
            // cancelled pairing still winding down does not count: the engine starts the new one
            // as soon as it has ended.
            if st.pairing.as_ref().is_some_and(|(_, t)| !t.is_cancelled())
                || self.engine.is_pairing()
            {
                return;
            }
            st.pairings_started += 1;
            let me = st.pairings_started;
            st.pairing = Some((me, token.clone()));
            st.flow = Flow::Idle;
            st.generation += 1;
            (me, st.generation)
        };
        let rt = self.runtime.clone();
        rt.spawn(async move {
            let r = self.engine.pair(token).await;
            {
                let mut st = self.lock();
                if st.pairing.as_ref().is_some_and(|(n, _)| *n == me) {
                    st.pairing = None;
                }
            }
            match r {
                // The connection state moves on by itself (the account picker opens).
                Ok(_) => {}
                Err(Error::Cancelled) => {}
                Err(e) => self.fail(generation, e, RetryTarget::Pair),
            }
            self.changed.notify_one();
        });
    }

    fn sign_in(self: Arc<Self>) {
        match self.engine.begin_app_sign_in(None) {
            Ok(request) => {
                self.set_flow(Flow::SigningIn {
                    authorization_url: request.authorization_url,
                });
            }
            Err(e) => {
                let generation = self.set_flow(Flow::Idle);
                self.fail(generation, e, RetryTarget::SignIn);
            }
        }
    }

    fn complete_sign_in(self: Arc<Self>, redirect_url: String) {
        let generation = self.set_flow(Flow::CompletingSignIn);
        let rt = self.runtime.clone();
        rt.spawn(async move {
            match self.engine.complete_app_sign_in(&redirect_url).await {
                // The connection state moves on; the account picker opens (by the state change
                // from not authorized, or here when the install was already paired with a code).
                Ok(_) => {
                    let current = self.lock().generation == generation;
                    let unconnected = matches!(
                        self.engine.connection_state(),
                        ConnectionState::NotConnected { .. }
                    );
                    if current && unconnected && self.engine.can_manage_connection() {
                        self.clone().load_accounts();
                    } else {
                        self.land(generation, Flow::Idle, None);
                    }
                }
                // Declined in the browser: back to the choice, no error.
                Err(Error::SignIn(SignInError::Denied)) => self.land(generation, Flow::Idle, None),
                // Not this sign-in's answer (stale, or forged): keep waiting for the right one.
                Err(e @ Error::SignIn(SignInError::StateMismatch)) => {
                    match self.engine.pending_app_sign_in() {
                        Some(p) => {
                            self.land(
                                generation,
                                Flow::SigningIn {
                                    authorization_url: p.authorization_url,
                                },
                                None,
                            );
                            self.alert(e.to_string());
                        }
                        None => self.fail(generation, e, RetryTarget::SignIn),
                    }
                }
                Err(e) => self.fail(generation, e, RetryTarget::SignIn),
            }
        });
    }

    fn retry(self: Arc<Self>) {
        let target = self.lock().retry.clone();
        match target {
            Some(RetryTarget::Pair) => self.pair(),
            Some(RetryTarget::SignIn) => self.sign_in(),
            Some(RetryTarget::LoadAccounts) | None => self.load_accounts(),
            Some(RetryTarget::LoadProjects(a)) => self.load_projects(a),
            Some(RetryTarget::Connect(p)) => self.connect(p),
        }
    }

    fn dispatch(self: Arc<Self>, action: UiAction) {
        let engine = self.engine.clone();
        match action {
            UiAction::Pair => self.pair(),
            UiAction::CancelPairing => {
                if let Some((_, t)) = self.lock().pairing.take() {
                    t.cancel();
                }
                // Also a pairing the app started through the engine directly: the view shows it.
                engine.cancel_pairing();
            }
            UiAction::SignIn => self.sign_in(),
            UiAction::CompleteSignIn { redirect_url } => self.complete_sign_in(redirect_url),
            UiAction::CancelSignIn => {
                if let Err(e) = engine.cancel_app_sign_in() {
                    tracing::debug!(error = %e, "cancel sign-in");
                }
                if matches!(self.lock().flow, Flow::SigningIn { .. }) {
                    self.set_flow(Flow::Idle);
                }
            }
            UiAction::ReloadAccounts | UiAction::ChangeProject => self.load_accounts(),
            UiAction::ChooseAccount { account_id } => {
                let account = self
                    .lock()
                    .accounts
                    .as_ref()
                    .and_then(|a| a.iter().find(|a| a.id == account_id).cloned());
                match account {
                    Some(a) => self.load_projects(a),
                    None => self.alert("That account is no longer listed.".into()),
                }
            }
            UiAction::BackToAccounts => {
                let cached = self.lock().accounts.clone();
                match cached {
                    Some(a) => {
                        self.set_flow(Flow::Accounts(a));
                    }
                    None => self.load_accounts(),
                }
            }
            UiAction::SearchProjects { query } => {
                if let Flow::Projects { query: q, .. } = &mut self.lock().flow {
                    *q = query;
                }
            }
            UiAction::ChooseProject { project_id } => {
                let project = match &self.lock().flow {
                    Flow::Projects { all, .. } => all.iter().find(|p| p.id == project_id).cloned(),
                    _ => None,
                };
                match project {
                    Some(p) => self.connect(p),
                    None => self.alert("That project is no longer listed.".into()),
                }
            }
            UiAction::CancelChange => {
                if matches!(
                    self.engine.status().connection,
                    ConnectionState::Connected { .. }
                ) {
                    self.set_flow(Flow::Idle);
                }
            }
            UiAction::Disconnect => {
                self.spawn_command("disconnect", async move { engine.disconnect().await })
            }
            UiAction::SignOut => {
                {
                    let mut st = self.lock();
                    st.flow = Flow::Idle;
                    st.generation += 1;
                    st.selection.clear();
                }
                self.spawn_command("sign out", async move { engine.sign_out().await })
            }
            UiAction::Refresh => self.spawn_command("refresh", async move {
                match engine.refresh_identity().await {
                    Ok(_) | Err(Error::NotAuthorized) => Ok(()),
                    Err(e) => Err(e),
                }
            }),
            UiAction::Retry => self.retry(),
            UiAction::DismissError => {
                let mut st = self.lock();
                st.alert = None;
                if matches!(st.flow, Flow::Failed { .. }) {
                    st.flow = Flow::Idle;
                    st.generation += 1;
                }
            }
            UiAction::SetMode { mode } => self
                .spawn_command("change the upload mode", async move {
                    engine.queue().set_mode(mode).await
                }),
            UiAction::Pause => engine.queue().pause(),
            UiAction::Resume => engine.queue().resume(),
            UiAction::CancelAll => self.spawn_command("cancel the uploads", async move {
                engine.queue().cancel_all().await
            }),
            UiAction::UploadSelected => {
                let held: BTreeSet<i64> =
                    engine.queue().status().held.iter().map(|f| f.id).collect();
                let ids: Vec<i64> = {
                    let mut st = self.lock();
                    let ids = st.selection.intersection(&held).copied().collect();
                    st.selection.clear();
                    ids
                };
                if !ids.is_empty() {
                    self.spawn_command("queue the selected files", async move {
                        engine.queue().select(ids).await
                    })
                }
            }
            UiAction::SelectAll => {
                let held = engine.queue().status().held;
                self.lock().selection.extend(held.iter().map(|f| f.id));
            }
            UiAction::ClearSelection => self.lock().selection.clear(),
            UiAction::ToggleSelect { id } => {
                let mut st = self.lock();
                if !st.selection.remove(&id) {
                    st.selection.insert(id);
                }
            }
            UiAction::MoveToTop { id } => self
                .spawn_command("move the file to the top", async move {
                    engine.queue().move_to_top(id).await
                }),
            UiAction::CancelFile { id } => {
                self.spawn_command(
                    "cancel the file",
                    async move { engine.queue().cancel(id).await },
                )
            }
            UiAction::RetryFile { id } => {
                self.spawn_command(
                    "retry the file",
                    async move { engine.queue().retry(id).await },
                )
            }
            UiAction::LogTake {
                file_id,
                scene,
                take,
                circled,
            } => self.log_write("log the take", async move {
                let mark = crate::notes::TakeMark {
                    scene,
                    take,
                    circled,
                };
                engine.log_take(file_id, mark).await
            }),
            UiAction::ToggleCircle { file_id } => self.log_write("circle the take", async move {
                engine.toggle_circle(file_id).await
            }),
            UiAction::AddNote {
                file_id,
                text,
                frame,
            } => self.log_write("add the note", async move {
                engine.add_comment(file_id, text, frame).await
            }),
            UiAction::RetryNote { id } => {
                self.log_write(
                    "send the note again",
                    async move { engine.retry_note(id).await },
                )
            }
            UiAction::AddTrigger { channel, input } => {
                self.log_write("mark the moment", async move {
                    engine
                        .add_trigger(channel, input, None, None, Default::default())
                        .await
                })
            }
        }
    }
}

impl QueueMode {
    /// The other mode (what the auto/manual toggle switches to).
    pub fn toggled(self) -> Self {
        match self {
            QueueMode::Auto => QueueMode::Manual,
            QueueMode::Manual => QueueMode::Auto,
        }
    }
}
