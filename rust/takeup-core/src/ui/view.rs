//! The view: what both apps render, as plain data. `build` is a pure function of the engine's
//! status, the identity, the queue snapshot and the view model's own flow state, so every state
//! can be produced (and checked against `shared-ui-spec/spec.json`) without a server.
//!
//! Enums serialize with a `state` tag in snake_case: these names are the spec's state ids.

use std::collections::BTreeSet;

use serde::Serialize;

use super::format;
use super::take_log::{TakeLogView, take_log};
use super::texts;
use crate::connection::{ConnectionState, ConnectionType, EngineStatus, Health};
use crate::identity::{Identity, UserInfo};
use crate::notes::TakeLogData;
use crate::queue::{AssetKind, AssetState, FileEntry, Hold, QueueMode, QueueStatus};
pub use crate::tokens::SignInMethod;

/// Everything on screen.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AppView {
    /// The connection manager.
    pub connection: ConnectionView,
    /// Its heading and sentence.
    pub connection_header: ConnectionHeader,
    /// What the connection manager offers now.
    pub connection_actions: Vec<ActionKind>,
    /// The network badge.
    pub network: NetworkView,
    /// The upload queue screen.
    pub queue: QueueView,
    /// Banners shown above everything (device paused...).
    pub notices: Vec<Notice>,
    /// A one-off problem with the last action (a toast/snackbar), until dismissed.
    pub alert: Option<String>,
    /// The take-log screen.
    pub take_log: TakeLogView,
}

/// The connection manager's heading.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionHeader {
    pub title: String,
    pub message: Option<String>,
    /// A step is running: show progress.
    pub busy: bool,
    /// Show the message as a problem.
    pub is_error: bool,
}

/// The signed-in user as shown.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub name: String,
    pub email: String,
    /// Profile image, when Frame.io has one.
    pub avatar_url: Option<String>,
    /// Placeholder text for the avatar.
    pub initials: String,
}

impl From<&UserInfo> for UserView {
    fn from(u: &UserInfo) -> Self {
        Self {
            name: u.name.clone(),
            email: u.email.clone(),
            avatar_url: u.image_url.clone(),
            initials: format::initials(&u.name, &u.email),
        }
    }
}

/// An account in the picker.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccountItem {
    pub id: String,
    pub name: String,
}

/// A project in the picker or the connected card.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProjectItem {
    pub id: String,
    pub name: String,
}

/// The connection manager's state.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionView {
    /// Not paired: a call to action to connect (pair with a code, or sign in with a Frame.io
    /// account when the app has it). `message` says why when the device was removed.
    NotAuthorized {
        message: Option<String>,
    },
    /// Sign-in with a Frame.io account in progress: the app opens `authorization_url` in the
    /// browser (Custom Tabs / `ASWebAuthenticationSession`) and hands the URL the browser comes
    /// back to in `complete_sign_in`.
    SigningIn {
        authorization_url: String,
    },
    /// Asking Frame.io for a code.
    RequestingCode,
    /// Show the QR code (`qr_content`), the tappable link, the user code and the countdown.
    ShowingCode {
        user_code: String,
        verification_uri: Option<String>,
        verification_uri_complete: Option<String>,
        /// What the QR code encodes (the complete URI, else the plain one).
        qr_content: String,
        /// When the code expires, Unix ms (the UI counts down from it; a new code follows).
        expires_at_ms: i64,
        /// Seconds left when this view was built.
        expires_in_secs: u64,
        device_name: Option<String>,
        /// 1 for the first code, +1 per replacement after an expiry.
        attempt: u32,
        /// The link as shown (`frame.io/device`).
        link_text: Option<String>,
        /// `Expires in 4 min 05 s`.
        countdown_text: String,
        /// From the second code on: the previous one expired.
        attempt_note: Option<String>,
    },
    /// The user approved; finishing.
    Authorizing,
    /// Paired, no project, no picker open. With `device_code` the project is chosen on
    /// Frame.io while pairing: pair again (or sign in with the account) to pick one.
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
    /// No account with Camera to Cloud: explain and link to Frame.io's help.
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
        /// The projects matching `query`.
        projects: Vec<ProjectItem>,
        /// How many projects the account has in all.
        total: u64,
        /// `12 projects`, `3 of 12 projects`.
        count_text: String,
        /// What to show when `projects` is empty.
        empty_text: Option<String>,
    },
    Connecting {
        user: UserView,
        project_name: String,
    },
    Connected {
        user: UserView,
        project: ProjectItem,
        device_name: String,
        /// How this install is authorized: only `account` can change project or disconnect.
        method: SignInMethod,
    },
    /// A step failed: the message, and `retry` / `dismiss_error` in the actions.
    Failed {
        user: Option<UserView>,
        message: String,
    },
}

/// The network badge.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum NetworkView {
    Offline {
        connection_type: ConnectionType,
        label: String,
        /// `Offline`.
        type_text: String,
    },
    Online {
        connection_type: ConnectionType,
        /// `Wi-Fi`, `Cellular`...
        type_text: String,
        health: Health,
        /// E.g. `Wi-Fi · good · 48 Mbit/s · 35 ms`.
        label: String,
        throughput_bps: Option<f64>,
        latency_ms: Option<u64>,
    },
}

/// Why nothing uploads.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldReason {
    PausedByUser,
    Offline,
    NotAuthorized,
    NotConnected,
    Suspended,
    Insecure,
}

impl From<Hold> for HoldReason {
    fn from(h: Hold) -> Self {
        match h {
            Hold::PausedByUser => Self::PausedByUser,
            Hold::Offline => Self::Offline,
            Hold::NotAuthorized => Self::NotAuthorized,
            Hold::NotConnected => Self::NotConnected,
            Hold::Suspended => Self::Suspended,
            Hold::Insecure => Self::Insecure,
        }
    }
}

/// The queue's headline.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum QueueBanner {
    /// Nothing was ever added (or everything was cleared).
    Empty { title: String, detail: String },
    Uploading {
        files_remaining: u64,
        bytes_remaining: u64,
        /// Aggregate rate, e.g. `48 Mbit/s`.
        rate: String,
        title: String,
        detail: String,
    },
    /// Files wait: `reason`, and `detail`, a sentence for the user.
    Waiting {
        reason: HoldReason,
        files_remaining: u64,
        title: String,
        detail: String,
    },
    /// Manual mode: files wait for the user's selection.
    AwaitingSelection {
        count: u64,
        title: String,
        detail: String,
    },
    /// Nothing left to do.
    AllDone {
        completed: u64,
        failed: u64,
        title: String,
        detail: String,
    },
}

/// Where a file stands, as shown on its row.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowState {
    AwaitingSelection,
    Queued,
    WaitingToRetry,
    Uploading,
    /// Still being recorded: uploaded as it grows.
    Recording,
    Completed,
    Failed,
    /// Recorded while the device was paused: never uploaded.
    Skipped,
    Cancelled,
}

/// One file.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub kind: AssetKind,
    /// `Hero`, `Proxy`...
    pub kind_text: String,
    pub state: RowState,
    /// `Queued`, `Uploaded`...
    pub state_text: String,
    /// The second line: sizes, progress, rate, reason.
    pub detail: String,
    /// 0..=1 while uploading a file of known size.
    pub progress: Option<f64>,
    pub size: Option<u64>,
    pub uploaded_bytes: u64,
    /// Why it failed or was skipped (also the last error while waiting to retry).
    pub reason: Option<String>,
    /// Part of the multi-selection.
    pub selected: bool,
    pub actions: Vec<ActionKind>,
}

/// A group of rows.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SectionKind {
    Uploading,
    Queued,
    AwaitingSelection,
    Failed,
    Completed,
    Cancelled,
}

/// A titled list of rows (only non-empty sections are listed, in display order).
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueSection {
    pub kind: SectionKind,
    /// E.g. `Uploading (2)`.
    pub title: String,
    pub rows: Vec<FileRow>,
}

/// The upload queue screen.
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QueueView {
    pub mode: QueueMode,
    /// What the mode means, next to its switch.
    pub mode_text: String,
    pub paused_by_user: bool,
    pub banner: QueueBanner,
    /// E.g. `3 files · 1.20 GB remaining`.
    pub summary: String,
    pub files_remaining: u64,
    pub bytes_remaining: u64,
    /// The file uploading first (current progress), if any.
    pub current: Option<FileRow>,
    pub sections: Vec<QueueSection>,
    pub selected_ids: Vec<i64>,
    /// `2 files selected`, when any are.
    pub selection_text: Option<String>,
    pub actions: Vec<ActionKind>,
}

/// A banner above everything.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Notice {
    /// The device is paused in Frame.io: what is recorded now will not upload.
    DevicePaused { message: String },
}

/// The actions a view offers (the app shows a control for each). `open_verification_link` and
/// `open_help` are handled by the app (open a URL); the others are dispatched as `UiAction`s.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
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
    /// Set a clip's scene and take (a form on the clip).
    LogTake,
    /// Circle the take, or remove the circle.
    ToggleCircle,
    /// Write a note on the clip (a text field).
    AddNote,
    /// Send a refused note again.
    RetryNote,
    /// A real-time logging trigger (a button per channel input).
    AddTrigger,
}

/// What the user did.
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum UiAction {
    Pair,
    CancelPairing,
    /// Start a sign-in with a Frame.io account (the view moves to `signing_in`).
    SignIn,
    /// The browser came back: the whole URL it was sent to (the app's redirect URI with `code`
    /// and `state`, or an `error`).
    CompleteSignIn {
        redirect_url: String,
    },
    /// Drop the sign-in in progress.
    CancelSignIn,
    ReloadAccounts,
    ChooseAccount {
        account_id: String,
    },
    BackToAccounts,
    SearchProjects {
        query: String,
    },
    ChooseProject {
        project_id: String,
    },
    /// Close the pickers opened by `change_project` and go back to the connected card.
    CancelChange,
    Disconnect,
    ChangeProject,
    SignOut,
    /// Re-read who and where (user, project name by id, device status).
    Refresh,
    /// Repeat the step that failed.
    Retry,
    /// Close the failure or the alert.
    DismissError,
    SetMode {
        mode: QueueMode,
    },
    Pause,
    Resume,
    CancelAll,
    /// Manual mode: queue the selected files.
    UploadSelected,
    SelectAll,
    ClearSelection,
    ToggleSelect {
        id: i64,
    },
    MoveToTop {
        id: i64,
    },
    CancelFile {
        id: i64,
    },
    RetryFile {
        id: i64,
    },
    /// Give a clip its scene, take and circle (empty texts: not given). Written with a slate
    /// comment that is sent once the clip's asset exists.
    LogTake {
        file_id: i64,
        scene: String,
        take: String,
        circled: bool,
    },
    /// Circle the take, or remove the circle (keeps the scene and take).
    ToggleCircle {
        file_id: i64,
    },
    /// Write a note on a clip (`frame`: the frame it points at).
    AddNote {
        file_id: i64,
        text: String,
        frame: Option<u64>,
    },
    RetryNote {
        id: i64,
    },
    /// A real-time logging trigger on input `input` of channel `channel`, now.
    AddTrigger {
        channel: u32,
        input: u32,
    },
}

/// The view model's own state: which step of the connection flow is open.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Flow {
    /// Nothing open: the view follows the engine's connection state.
    #[default]
    Idle,
    /// The browser is open for a sign-in with a Frame.io account.
    SigningIn {
        authorization_url: String,
    },
    /// The browser came back; trading the code for tokens and reading the identity.
    CompletingSignIn,
    LoadingAccounts,
    Accounts(Vec<AccountItem>),
    NoC2c {
        help_url: String,
    },
    LoadingProjects {
        account: AccountItem,
    },
    Projects {
        account: AccountItem,
        all: Vec<ProjectItem>,
        query: String,
    },
    Connecting {
        project_name: String,
    },
    Failed {
        message: String,
    },
}

/// The inputs of one view.
pub struct ViewInputs<'a> {
    pub status: &'a EngineStatus,
    pub identity: Option<&'a Identity>,
    pub queue: &'a QueueStatus,
    pub flow: &'a Flow,
    /// Why the last loss of authorization happened, for the not-authorized message.
    pub removed: bool,
    /// Frame.io keeps refusing the (kept) tokens: the not-authorized message says so.
    pub refused: bool,
    /// How the install is authorized (`None`: not at all).
    pub method: Option<SignInMethod>,
    /// Whether the app has sign-in with a Frame.io account set up.
    pub sign_in_available: bool,
    /// Whether the app can pair with a code (it has a client secret).
    pub pairing_available: bool,
    pub selection: &'a BTreeSet<i64>,
    pub alert: Option<&'a str>,
    /// Take marks and notes from the journal.
    pub take_log: &'a TakeLogData,
    pub now_ms: i64,
}

/// Build the view.
pub fn build(i: &ViewInputs<'_>) -> AppView {
    let (connection, connection_actions) = connection(i);
    let connected = matches!(i.status.connection, ConnectionState::Connected { .. });
    AppView {
        connection_header: texts::connection_header(&connection),
        connection,
        connection_actions,
        network: network(i.status),
        queue: queue(i.queue, i.selection),
        notices: notices(i),
        alert: i.alert.map(str::to_string),
        take_log: take_log(i.queue, i.take_log, connected),
    }
}

/// Projects whose name contains the query (case-insensitive), in the server's order.
pub fn filter_projects(all: &[ProjectItem], query: &str) -> Vec<ProjectItem> {
    let q = query.trim().to_lowercase();
    all.iter()
        .filter(|p| q.is_empty() || p.name.to_lowercase().contains(&q))
        .cloned()
        .collect()
}

fn connection(i: &ViewInputs<'_>) -> (ConnectionView, Vec<ActionKind>) {
    use ActionKind as A;
    use ConnectionView as V;
    let user = match &i.status.connection {
        ConnectionState::NotConnected { user } | ConnectionState::Connected { user, .. } => {
            Some(UserView::from(user))
        }
        _ => None,
    };
    if let ConnectionState::Pairing(p) = &i.status.connection {
        use crate::auth::pairing::PairingPhase as P;
        return match (p.phase, &p.code) {
            (P::Authorizing, _) => (V::Authorizing, vec![A::CancelPairing]),
            (P::WaitingForUser, Some(c)) => {
                let expires_at_ms = c.expires_at.timestamp_millis();
                let qr = c
                    .verification_uri_complete
                    .clone()
                    .or_else(|| c.verification_uri.clone())
                    .unwrap_or_default();
                let mut actions = vec![A::CancelPairing];
                if !qr.is_empty() {
                    actions.insert(0, A::OpenVerificationLink);
                }
                let expires_in_secs = ((expires_at_ms - i.now_ms).max(0) / 1000) as u64;
                (
                    V::ShowingCode {
                        user_code: c.user_code.clone(),
                        verification_uri: c.verification_uri.clone(),
                        verification_uri_complete: c.verification_uri_complete.clone(),
                        qr_content: qr,
                        expires_at_ms,
                        expires_in_secs,
                        device_name: c.device_name.clone(),
                        attempt: p.attempt,
                        link_text: c
                            .verification_uri
                            .as_deref()
                            .or(c.verification_uri_complete.as_deref())
                            .map(texts::display_url),
                        countdown_text: texts::countdown(expires_in_secs),
                        attempt_note: (p.attempt > 1)
                            .then(|| "New code: the previous one expired.".into()),
                    },
                    actions,
                )
            }
            _ => (V::RequestingCode, vec![A::CancelPairing]),
        };
    }
    match i.flow {
        Flow::SigningIn { authorization_url } => {
            return (
                V::SigningIn {
                    authorization_url: authorization_url.clone(),
                },
                vec![A::OpenSignIn, A::CompleteSignIn, A::CancelSignIn],
            );
        }
        Flow::CompletingSignIn => return (V::Authorizing, vec![]),
        Flow::Failed { message } => {
            return (
                V::Failed {
                    user,
                    message: message.clone(),
                },
                vec![A::Retry, A::DismissError],
            );
        }
        _ => {}
    }
    // The ways to connect this app offers.
    let mut connect = Vec::new();
    if i.pairing_available {
        connect.push(A::Pair);
    }
    if i.sign_in_available {
        connect.push(A::SignIn);
    }
    let Some(user) = user else {
        let message = if i.refused {
            Some("Frame.io keeps refusing this device's sign-in. Uploads wait and it is tried again by itself; connect again if this lasts. Nothing in the queue was lost.".to_string())
        } else {
            i.removed.then(|| "This device was removed from Frame.io or its sign-in expired. Connect it again to keep uploading; nothing in the queue was lost.".to_string())
        };
        return (V::NotAuthorized { message }, connect);
    };
    let method = i.method.unwrap_or_default();
    let connected_to = |user, project: &crate::identity::ProjectRef| V::Connected {
        user,
        project: ProjectItem {
            id: project.id.clone(),
            name: project.name.clone(),
        },
        device_name: i
            .identity
            .map(|d| d.device.name.clone())
            .unwrap_or_default(),
        method,
    };
    let connected = matches!(i.status.connection, ConnectionState::Connected { .. });
    // A paired device cannot use the connection manager: no pickers, no disconnect.
    if !method.can_manage_connection() {
        return match &i.status.connection {
            ConnectionState::Connected { project, .. } => {
                (connected_to(user, project), vec![A::Refresh, A::SignOut])
            }
            _ => {
                connect.extend([A::Refresh, A::SignOut]);
                (V::NotConnected { user, method }, connect)
            }
        };
    }
    // While connected, the pickers are a "change project" flow that can be closed.
    let close = if connected {
        Some(A::CancelChange)
    } else {
        None
    };
    let with_close = |mut v: Vec<ActionKind>| {
        v.extend(close);
        v.push(A::SignOut);
        v
    };
    match i.flow {
        Flow::LoadingAccounts => (V::LoadingAccounts { user }, with_close(vec![])),
        Flow::Accounts(accounts) => (
            V::ChoosingAccount {
                user,
                accounts: accounts.clone(),
            },
            with_close(vec![A::ChooseAccount, A::ReloadAccounts]),
        ),
        Flow::NoC2c { help_url } => (
            V::NoC2cAccounts {
                user,
                help_url: help_url.clone(),
            },
            with_close(vec![A::OpenHelp, A::ReloadAccounts]),
        ),
        Flow::LoadingProjects { account } => (
            V::LoadingProjects {
                user,
                account: account.clone(),
            },
            with_close(vec![A::BackToAccounts]),
        ),
        Flow::Projects {
            account,
            all,
            query,
        } => {
            let projects = filter_projects(all, query);
            (
                V::ChoosingProject {
                    user,
                    account: account.clone(),
                    query: query.clone(),
                    count_text: texts::project_count(projects.len(), all.len() as u64, query),
                    empty_text: texts::projects_empty(projects.len(), query),
                    projects,
                    total: all.len() as u64,
                },
                with_close(vec![A::SearchProjects, A::ChooseProject, A::BackToAccounts]),
            )
        }
        Flow::Connecting { project_name } => (
            V::Connecting {
                user,
                project_name: project_name.clone(),
            },
            vec![],
        ),
        // (SigningIn, CompletingSignIn and Failed returned above.)
        Flow::Idle | Flow::Failed { .. } | Flow::SigningIn { .. } | Flow::CompletingSignIn => {
            match &i.status.connection {
                ConnectionState::Connected { project, .. } => (
                    connected_to(user, project),
                    vec![A::ChangeProject, A::Disconnect, A::Refresh, A::SignOut],
                ),
                _ => (
                    V::NotConnected { user, method },
                    vec![A::ReloadAccounts, A::Refresh, A::SignOut],
                ),
            }
        }
    }
}

fn network(s: &EngineStatus) -> NetworkView {
    let n = &s.network;
    if !n.online {
        return NetworkView::Offline {
            connection_type: n.connection_type,
            label: "Offline: uploads resume when the network is back".into(),
            type_text: "Offline".into(),
        };
    }
    let health = match n.health {
        Health::Unknown => "checking",
        Health::Good => "good",
        Health::Fair => "fair",
        Health::Poor => "poor",
    };
    let type_text = texts::connection_type(n.connection_type);
    let mut label = format!("{type_text} · {health}");
    if let Some(t) = n.throughput_bps.filter(|t| *t > 0.0) {
        label.push_str(&format!(" · {}", format::bits_per_second(t)));
    }
    let latency_ms = n.latency.map(|l| l.as_millis() as u64);
    if let Some(l) = latency_ms {
        label.push_str(&format!(" · {l} ms"));
    }
    NetworkView::Online {
        connection_type: n.connection_type,
        type_text: type_text.into(),
        health: n.health,
        label,
        throughput_bps: n.throughput_bps,
        latency_ms,
    }
}

fn row(f: &FileEntry, selection: &BTreeSet<i64>) -> FileRow {
    use ActionKind as A;
    let size_text = |done: u64| match f.size {
        Some(s) => format!("{} of {}", format::bytes(done), format::bytes(s)),
        None => format!("{} sent", format::bytes(done)),
    };
    let (state, detail, actions) = match f.state {
        AssetState::Held => (
            RowState::AwaitingSelection,
            f.size.map(format::bytes).unwrap_or_default(),
            vec![A::ToggleSelect, A::CancelFile],
        ),
        AssetState::Queued if f.retry_at.is_some() => (
            RowState::WaitingToRetry,
            format!(
                "Will retry (attempt {}){}",
                f.attempts + 1,
                f.reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
            vec![A::MoveToTop, A::CancelFile],
        ),
        AssetState::Queued => (
            RowState::Queued,
            if f.uploaded_bytes > 0 {
                format!("Resumes at {}", size_text(f.uploaded_bytes))
            } else {
                f.size.map(format::bytes).unwrap_or_default()
            },
            vec![A::MoveToTop, A::CancelFile],
        ),
        AssetState::Active => {
            let sending = format!(
                "{} · {}",
                size_text(f.sent_bytes),
                format::byte_rate(f.rate_bps)
            );
            match f.size {
                None => (
                    RowState::Recording,
                    format!("Recording · {sending}"),
                    vec![A::CancelFile],
                ),
                Some(_) => (RowState::Uploading, sending, vec![A::CancelFile]),
            }
        }
        AssetState::Done => (
            RowState::Completed,
            format!("Uploaded · {}", format::bytes(f.size.unwrap_or(0))),
            vec![],
        ),
        AssetState::Failed => (
            RowState::Failed,
            format!("Failed: {}", f.reason.as_deref().unwrap_or("unknown error")),
            vec![A::RetryFile],
        ),
        AssetState::Skipped => (
            RowState::Skipped,
            format!(
                "Not uploaded: {}",
                f.reason
                    .as_deref()
                    .unwrap_or("recorded while the device was paused")
            ),
            vec![],
        ),
        AssetState::Cancelled => (RowState::Cancelled, "Cancelled".into(), vec![A::RetryFile]),
    };
    let progress = match (f.state, f.size) {
        (AssetState::Active | AssetState::Queued, Some(s)) if s > 0 => {
            Some((f.sent_bytes.max(f.uploaded_bytes) as f64 / s as f64).clamp(0.0, 1.0))
        }
        (AssetState::Active, Some(_)) => Some(0.0),
        _ => None,
    };
    FileRow {
        id: f.id,
        name: f.name.clone(),
        kind: f.kind,
        kind_text: texts::asset_kind(f.kind).into(),
        state,
        state_text: texts::row_state(state).into(),
        detail,
        progress,
        size: f.size,
        uploaded_bytes: f.uploaded_bytes,
        reason: f.reason.clone(),
        selected: selection.contains(&f.id),
        actions,
    }
}

fn queue(q: &QueueStatus, selection: &BTreeSet<i64>) -> QueueView {
    use ActionKind as A;
    let t = &q.totals;
    let rows = |v: &[FileEntry]| v.iter().map(|f| row(f, selection)).collect::<Vec<_>>();
    let mut sections = Vec::new();
    let mut add = |kind: SectionKind, label: &str, v: &[FileEntry]| {
        if !v.is_empty() {
            sections.push(QueueSection {
                kind,
                title: format!("{label} ({})", v.len()),
                rows: rows(v),
            });
        }
    };
    add(SectionKind::Uploading, "Uploading", &q.uploading);
    add(SectionKind::Queued, "Queued", &q.queued);
    add(
        SectionKind::AwaitingSelection,
        "Waiting for selection",
        &q.held,
    );
    add(SectionKind::Failed, "Failed", &q.failed);
    add(SectionKind::Completed, "Completed", &q.completed);
    add(SectionKind::Cancelled, "Cancelled", &q.cancelled);

    let pending = !q.uploading.is_empty() || !q.queued.is_empty();
    let banner = match q.hold.clone().map(HoldReason::from) {
        Some(reason) if pending => QueueBanner::Waiting {
            reason,
            files_remaining: t.files_remaining,
            title: format!(
                "{} · {} waiting",
                texts::hold_title(reason),
                format::files(t.files_remaining)
            ),
            detail: texts::hold_message(reason).into(),
        },
        _ if pending => {
            let rate = format::byte_rate(q.rate_bps);
            QueueBanner::Uploading {
                files_remaining: t.files_remaining,
                bytes_remaining: t.bytes_remaining,
                title: format!("Uploading {}", format::files(t.files_remaining)),
                detail: format!("{} remaining · {rate}", format::bytes(t.bytes_remaining)),
                rate,
            }
        }
        _ if !q.held.is_empty() => QueueBanner::AwaitingSelection {
            count: q.held.len() as u64,
            title: format!("{} to choose from", format::files(q.held.len() as u64)),
            detail: "Manual mode: select files to upload.".into(),
        },
        _ if q.completed.is_empty() && q.failed.is_empty() && q.cancelled.is_empty() => {
            QueueBanner::Empty {
                title: "No uploads yet".into(),
                detail: "Recorded media appears here.".into(),
            }
        }
        _ => {
            let failed = t.failed + t.skipped;
            QueueBanner::AllDone {
                completed: t.done,
                failed,
                title: "All done".into(),
                detail: if failed == 0 {
                    format!("{} uploaded", format::files(t.done))
                } else {
                    format!("{} uploaded, {failed} not uploaded", format::files(t.done))
                },
            }
        }
    };
    let summary = if t.files_remaining == 0 {
        "Nothing left to upload".to_string()
    } else {
        format!(
            "{} · {} remaining",
            format::files(t.files_remaining),
            format::bytes(t.bytes_remaining)
        )
    };
    // The selection only holds files that can still be selected.
    let selected_ids: Vec<i64> = q
        .held
        .iter()
        .map(|f| f.id)
        .filter(|id| selection.contains(id))
        .collect();
    let paused_by_user = q.hold == Some(Hold::PausedByUser);
    let mut actions = vec![match q.mode {
        QueueMode::Auto => A::SetManual,
        QueueMode::Manual => A::SetAuto,
    }];
    actions.push(if paused_by_user { A::Resume } else { A::Pause });
    if pending || !q.held.is_empty() {
        actions.push(A::CancelAll);
    }
    if !q.held.is_empty() {
        actions.push(A::SelectAll);
    }
    if !selected_ids.is_empty() {
        actions.push(A::UploadSelected);
        actions.push(A::ClearSelection);
    }
    QueueView {
        mode: q.mode,
        mode_text: match q.mode {
            QueueMode::Auto => "Auto upload: new media uploads as it is recorded",
            QueueMode::Manual => "Manual: choose the files to upload",
        }
        .into(),
        paused_by_user,
        banner,
        summary,
        files_remaining: t.files_remaining,
        bytes_remaining: t.bytes_remaining,
        current: q.uploading.first().map(|f| row(f, selection)),
        sections,
        selection_text: (!selected_ids.is_empty())
            .then(|| format!("{} selected", format::files(selected_ids.len() as u64))),
        selected_ids,
        actions,
    }
}

fn notices(i: &ViewInputs<'_>) -> Vec<Notice> {
    let mut v = Vec::new();
    let connected = matches!(i.status.connection, ConnectionState::Connected { .. });
    if connected
        && i.identity
            .is_some_and(|id| id.device.status.eq_ignore_ascii_case("paused"))
    {
        v.push(Notice::DevicePaused {
            message: "This device is paused in Frame.io: media recorded now will not upload. Resume it in Frame.io to upload again.".into(),
        });
    }
    v
}
