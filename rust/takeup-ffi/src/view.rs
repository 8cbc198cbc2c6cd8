//! The view model over FFI: the engine's `ui` types exposed as they are (UniFFI remote types:
//! these definitions mirror `takeup_core::ui::view` field for field and generate no Rust code of
//! their own; a mismatch fails to compile), the [`ViewModel`] object and its listener.
//! The states are documented in `shared-ui-spec/spec.json`.

use std::sync::Arc;

use takeup_core::ui as tu;
pub use takeup_core::ui::{
    AccountItem, ActionKind, AppView, ConnectionView, FileRow, HoldReason, NetworkView, Notice,
    ProjectItem, QueueBanner, QueueSection, QueueView, RowState, SectionKind, UiAction, UserView,
};
use tokio_util::sync::CancellationToken;

use crate::engine::Subscription;
use crate::runtime::{forward_watch, runtime};
use crate::sign_in::SignInMethod;
use crate::types::{AssetKind, ConnectionType, Health, QueueMode};

#[uniffi::remote(Record)]
pub struct AppView {
    pub connection: ConnectionView,
    pub connection_actions: Vec<ActionKind>,
    pub network: NetworkView,
    pub queue: QueueView,
    pub notices: Vec<Notice>,
    pub alert: Option<String>,
}

#[uniffi::remote(Record)]
pub struct UserView {
    pub name: String,
    pub email: String,
    pub avatar_url: Option<String>,
    pub initials: String,
}

#[uniffi::remote(Record)]
pub struct AccountItem {
    pub id: String,
    pub name: String,
}

#[uniffi::remote(Record)]
pub struct ProjectItem {
    pub id: String,
    pub name: String,
}

#[uniffi::remote(Enum)]
pub enum ConnectionView {
    NotAuthorized {
        message: Option<String>,
    },
    SigningIn {
        authorization_url: String,
    },
    RequestingCode,
    ShowingCode {
        user_code: String,
        verification_uri: Option<String>,
        verification_uri_complete: Option<String>,
        qr_content: String,
        expires_at_ms: i64,
        expires_in_secs: u64,
        device_name: Option<String>,
        attempt: u32,
    },
    Authorizing,
    NotConnected {
        user: UserView,
        method: SignInMethod,
    },
    LoadingAccounts {
        user: UserView,
    },
    ChoosingAccount {
        user: UserView,
        accounts: Vec<AccountItem>,
    },
    NoC2cAccounts {
        user: UserView,
        help_url: String,
    },
    LoadingProjects {
        user: UserView,
        account: AccountItem,
    },
    ChoosingProject {
        user: UserView,
        account: AccountItem,
        query: String,
        projects: Vec<ProjectItem>,
        total: u64,
    },
    Connecting {
        user: UserView,
        project_name: String,
    },
    Connected {
        user: UserView,
        project: ProjectItem,
        device_name: String,
        method: SignInMethod,
    },
    Failed {
        user: Option<UserView>,
        message: String,
    },
}

#[uniffi::remote(Enum)]
pub enum NetworkView {
    Offline {
        connection_type: ConnectionType,
        label: String,
    },
    Online {
        connection_type: ConnectionType,
        health: Health,
        label: String,
        throughput_bps: Option<f64>,
        latency_ms: Option<u64>,
    },
}

#[uniffi::remote(Enum)]
pub enum HoldReason {
    PausedByUser,
    Offline,
    NotAuthorized,
    NotConnected,
    Suspended,
    Insecure,
}

#[uniffi::remote(Enum)]
pub enum QueueBanner {
    Empty,
    Uploading {
        files_remaining: u64,
        bytes_remaining: u64,
        rate: String,
    },
    Waiting {
        reason: HoldReason,
        message: String,
        files_remaining: u64,
    },
    AwaitingSelection {
        count: u64,
    },
    AllDone {
        completed: u64,
        failed: u64,
    },
}

#[uniffi::remote(Enum)]
pub enum RowState {
    AwaitingSelection,
    Queued,
    WaitingToRetry,
    Uploading,
    Recording,
    Completed,
    Failed,
    Skipped,
    Cancelled,
}

#[uniffi::remote(Record)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub kind: AssetKind,
    pub state: RowState,
    pub detail: String,
    pub progress: Option<f64>,
    pub size: Option<u64>,
    pub uploaded_bytes: u64,
    pub reason: Option<String>,
    pub selected: bool,
    pub actions: Vec<ActionKind>,
}

#[uniffi::remote(Enum)]
pub enum SectionKind {
    Uploading,
    Queued,
    AwaitingSelection,
    Failed,
    Completed,
    Cancelled,
}

#[uniffi::remote(Record)]
pub struct QueueSection {
    pub kind: SectionKind,
    pub title: String,
    pub rows: Vec<FileRow>,
}

#[uniffi::remote(Record)]
pub struct QueueView {
    pub mode: QueueMode,
    pub paused_by_user: bool,
    pub banner: QueueBanner,
    pub summary: String,
    pub files_remaining: u64,
    pub bytes_remaining: u64,
    pub current: Option<FileRow>,
    pub sections: Vec<QueueSection>,
    pub selected_ids: Vec<i64>,
    pub actions: Vec<ActionKind>,
}

#[uniffi::remote(Enum)]
pub enum Notice {
    DevicePaused { message: String },
}

#[uniffi::remote(Enum)]
pub enum ActionKind {
    Pair,
    CancelPairing,
    OpenVerificationLink,
    SignIn,
    OpenSignIn,
    CompleteSignIn,
    CancelSignIn,
    ReloadAccounts,
    ChooseAccount,
    OpenHelp,
    BackToAccounts,
    SearchProjects,
    ChooseProject,
    CancelChange,
    Disconnect,
    ChangeProject,
    SignOut,
    Refresh,
    Retry,
    DismissError,
    SetAuto,
    SetManual,
    Pause,
    Resume,
    CancelAll,
    UploadSelected,
    SelectAll,
    ClearSelection,
    ToggleSelect,
    MoveToTop,
    CancelFile,
    RetryFile,
}

#[uniffi::remote(Enum)]
pub enum UiAction {
    Pair,
    CancelPairing,
    SignIn,
    CompleteSignIn { redirect_url: String },
    CancelSignIn,
    ReloadAccounts,
    ChooseAccount { account_id: String },
    BackToAccounts,
    SearchProjects { query: String },
    ChooseProject { project_id: String },
    CancelChange,
    Disconnect,
    ChangeProject,
    SignOut,
    Refresh,
    Retry,
    DismissError,
    SetMode { mode: QueueMode },
    Pause,
    Resume,
    CancelAll,
    UploadSelected,
    SelectAll,
    ClearSelection,
    ToggleSelect { id: i64 },
    MoveToTop { id: i64 },
    CancelFile { id: i64 },
    RetryFile { id: i64 },
}

/// Receives every new view.
#[uniffi::export(callback_interface)]
pub trait ViewListener: Send + Sync {
    /// Called with the current view when subscribing, then after each change (at most a few
    /// times a second while uploading, once a second while a pairing code counts down), on an
    /// engine thread: hop to the UI thread to render.
    fn on_view(&self, view: AppView);
}

/// The view model both apps render (`shared-ui-spec/`): draw `current()` / the listener's views,
/// send the user's actions with `dispatch`. Get it from `TakeupEngine::view_model()`.
#[derive(uniffi::Object)]
pub struct ViewModel {
    inner: tu::ViewModel,
}

impl ViewModel {
    pub(crate) fn new(engine: Arc<takeup_core::Engine>) -> Arc<Self> {
        let _rt = runtime().enter();
        Arc::new(Self {
            inner: tu::ViewModel::new(engine),
        })
    }
}

#[uniffi::export]
impl ViewModel {
    /// The view now.
    pub fn current(&self) -> AppView {
        self.inner.current()
    }

    /// Run a user action; returns at once, the outcome shows in the next views.
    pub fn dispatch(&self, action: UiAction) {
        let _rt = runtime().enter();
        self.inner.dispatch(action);
    }

    /// Call `listener` with the current view and every change until the subscription is
    /// cancelled or released.
    pub fn subscribe(&self, listener: Box<dyn ViewListener>) -> Arc<Subscription> {
        let token = CancellationToken::new();
        forward_watch(self.inner.watch(), token.clone(), move |view| {
            listener.on_view(view)
        });
        Subscription::new(token, None)
    }
}
