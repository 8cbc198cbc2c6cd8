//! Records and enums crossing the FFI, and their conversions from the engine's types. Pure data:
//! Kotlin data classes / enum classes / sealed classes, Swift structs / enums. Times are
//! `SystemTime` (Kotlin `java.time.Instant`, Swift `Date`), intervals `Duration` (Kotlin
//! `java.time.Duration`, Swift `TimeInterval`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chrono::{DateTime, Utc};
use takeup_core as tc;
/// Engine enums exposed as they are (UniFFI remote types, no copies).
pub use takeup_core::{AssetKind, ConnectionType, Health, QueueMode};

fn time(t: DateTime<Utc>) -> SystemTime {
    SystemTime::from(t)
}

fn time_ms(ms: i64) -> SystemTime {
    if ms >= 0 {
        UNIX_EPOCH + Duration::from_millis(ms.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_millis(ms.unsigned_abs())
    }
}

/// Optional tuning of the upload queue; `None` keeps the engine's default.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct QueueTuning {
    /// Files uploaded at once (default 2).
    #[uniffi(default = None)]
    pub max_files: Option<u32>,
    /// Parts of one file in flight at once (default 4).
    #[uniffi(default = None)]
    pub max_parts_per_file: Option<u32>,
    /// Failed attempts in a row before a file is parked as failed (default 10).
    #[uniffi(default = None)]
    pub max_attempts: Option<u32>,
    /// The largest part of a closed file, at least 5 MiB (default 16 MiB); files still being
    /// written use 5 MiB parts.
    #[uniffi(default = None)]
    pub part_size: Option<u64>,
    /// A growing file that has not grown for this long is taken as finished (default 10 s).
    #[uniffi(default = None)]
    pub growth_idle: Option<Duration>,
    /// A part whose bytes stop moving for this long is retried (default 30 s).
    #[uniffi(default = None)]
    pub stall_timeout: Option<Duration>,
    /// Longest wait between retries of a failing file (default 60 s).
    #[uniffi(default = None)]
    pub backoff_max: Option<Duration>,
    /// Tune the parts in flight from measured throughput (default true).
    #[uniffi(default = None)]
    pub adaptive: Option<bool>,
    /// The most part uploads in flight over all files when adaptive (default 32).
    #[uniffi(default = None)]
    pub max_parallel_parts: Option<u32>,
}

/// How to start the engine.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EngineConfig {
    /// App-private directory for non-secret state (client id, identity, upload journal).
    pub state_dir: String,
    /// Base URL of the C2C API (`https://api.frame.io` in production); must be https.
    pub api_base: String,
    /// The device model's client secret issued by Frame.io.
    pub client_secret: String,
    /// The app's version (semver), sent as `x-client-version`.
    pub client_version: String,
    /// Extra trusted root certificates (PEM), added to the platform's (tests, emulators).
    #[uniffi(default = None)]
    pub extra_root_ca_pem: Option<String>,
    /// Hosts upload URLs may point at (`host[:port]` or `*.suffix`); empty keeps the engine's
    /// default (`*.amazonaws.com`).
    #[uniffi(default = [])]
    pub upload_hosts: Vec<String>,
    /// Queue tuning; `None` for the defaults.
    #[uniffi(default = None)]
    pub queue: Option<QueueTuning>,
    /// Sign-in with a Frame.io account (no secret); `None`: only pairing with a code.
    #[uniffi(default = None)]
    pub app_sign_in: Option<crate::sign_in::AppSignIn>,
}

impl EngineConfig {
    pub(crate) fn into_core(self) -> tc::EngineConfig {
        let mut c = tc::EngineConfig::new(
            self.state_dir,
            self.api_base,
            self.client_secret,
            self.client_version,
        );
        c.extra_root_ca_pem = self.extra_root_ca_pem;
        c.app_sign_in = self.app_sign_in.map(crate::sign_in::AppSignIn::into_core);
        if !self.upload_hosts.is_empty() {
            c.queue.upload_hosts = self.upload_hosts;
        }
        if let Some(t) = self.queue {
            let q = &mut c.queue;
            if let Some(v) = t.max_files {
                q.max_files = v as usize;
            }
            if let Some(v) = t.max_parts_per_file {
                q.max_parts_per_file = v as usize;
            }
            if let Some(v) = t.max_attempts {
                q.max_attempts = v;
            }
            if let Some(v) = t.part_size {
                q.part_size = v;
            }
            if let Some(v) = t.growth_idle {
                q.growth_idle = v;
            }
            if let Some(v) = t.stall_timeout {
                q.stall_timeout = v;
            }
            if let Some(v) = t.backoff_max {
                q.backoff_max = v;
            }
            if let Some(v) = t.adaptive {
                q.adaptive = v;
            }
            if let Some(v) = t.max_parallel_parts {
                q.max_parallel_parts = (v as usize).max(1);
            }
        }
        c
    }
}

// ---- identity ----------------------------------------------------------------------------------

/// The signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct UserInfo {
    pub id: String,
    pub name: String,
    pub email: String,
    pub image_url: Option<String>,
}

impl From<tc::UserInfo> for UserInfo {
    fn from(u: tc::UserInfo) -> Self {
        Self {
            id: u.id,
            name: u.name,
            email: u.email,
            image_url: u.image_url,
        }
    }
}

/// A project reference (always addressed by id; the name is for display).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
}

impl From<tc::ProjectRef> for ProjectRef {
    fn from(p: tc::ProjectRef) -> Self {
        Self {
            id: p.id,
            name: p.name,
        }
    }
}

/// This device as Frame.io knows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DeviceInfo {
    pub id: String,
    pub name: String,
    /// `online`, `offline` or `paused`.
    pub status: String,
}

/// Who is signed in and where uploads go.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Identity {
    pub user: UserInfo,
    pub device: DeviceInfo,
    /// The connected project, if any.
    pub project: Option<ProjectRef>,
    /// When this was read from Frame.io.
    pub fetched_at: SystemTime,
}

impl From<tc::Identity> for Identity {
    fn from(i: tc::Identity) -> Self {
        Self {
            user: i.user.into(),
            device: DeviceInfo {
                id: i.device.id,
                name: i.device.name,
                status: i.device.status,
            },
            project: i.project.map(Into::into),
            fetched_at: time(i.fetched_at),
        }
    }
}

/// An account the user can pick.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Account {
    pub id: String,
    pub display_name: String,
}

/// A project the user can connect to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Project {
    pub id: String,
    pub name: String,
}

/// The account listing.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AccountList {
    /// Accounts where Camera to Cloud is usable.
    Accounts { accounts: Vec<Account> },
    /// The user has no C2C-enabled account: show a message linking to `help_url`.
    NoC2cAccounts { help_url: String },
}

impl From<tc::AccountList> for AccountList {
    fn from(l: tc::AccountList) -> Self {
        match l {
            tc::AccountList::Accounts(a) => Self::Accounts {
                accounts: a
                    .into_iter()
                    .map(|a| Account {
                        id: a.id,
                        display_name: a.display_name,
                    })
                    .collect(),
            },
            tc::AccountList::NoC2cAccounts { help_url } => Self::NoC2cAccounts { help_url },
        }
    }
}

impl From<tc::Project> for Project {
    fn from(p: tc::Project) -> Self {
        Self {
            id: p.id,
            name: p.name,
        }
    }
}

/// The result of signing out.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignOutOutcome {
    /// Whether Frame.io confirmed the revocation (false offline; local tokens are gone anyway).
    pub revoked_on_server: bool,
}

// ---- pairing and connection --------------------------------------------------------------------

/// Where pairing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum PairingPhase {
    RequestingCode,
    WaitingForUser,
    Authorizing,
}

/// A code to show.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PairingCode {
    /// The code the user types in Frame.io.
    pub user_code: String,
    /// Where to type it (fallback when the QR code cannot be scanned).
    pub verification_uri: Option<String>,
    /// The URL with the code filled in: the QR code's content / a tappable link.
    pub verification_uri_complete: Option<String>,
    /// When the code expires (a new one is requested automatically).
    pub expires_at: SystemTime,
    /// The name the device will get in Frame.io.
    pub device_name: Option<String>,
}

/// Pairing progress.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PairingProgress {
    pub phase: PairingPhase,
    /// The code being shown (absent while the first one is requested).
    pub code: Option<PairingCode>,
    /// 1 for the first code, +1 per code requested after an expiry.
    pub attempt: u32,
    pub poll_interval: Duration,
}

impl From<tc::PairingProgress> for PairingProgress {
    fn from(p: tc::PairingProgress) -> Self {
        Self {
            phase: match p.phase {
                tc::PairingPhase::RequestingCode => PairingPhase::RequestingCode,
                tc::PairingPhase::WaitingForUser => PairingPhase::WaitingForUser,
                tc::PairingPhase::Authorizing => PairingPhase::Authorizing,
            },
            code: p.code.map(|c| PairingCode {
                user_code: c.user_code,
                verification_uri: c.verification_uri,
                verification_uri_complete: c.verification_uri_complete,
                expires_at: time(c.expires_at),
                device_name: c.device_name,
            }),
            attempt: p.attempt,
            poll_interval: p.poll_interval,
        }
    }
}

/// Where the engine stands with Frame.io.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum ConnectionState {
    /// Not paired (or removed): offer "Connect to Frame.io".
    NotAuthorized,
    /// Pairing: show the code, the URL and the QR code.
    Pairing { progress: PairingProgress },
    /// Paired without a project: offer account and project selection.
    NotConnected { user: UserInfo },
    /// Paired and connected to a project.
    Connected { project: ProjectRef, user: UserInfo },
}

impl From<tc::ConnectionState> for ConnectionState {
    fn from(s: tc::ConnectionState) -> Self {
        match s {
            tc::ConnectionState::NotAuthorized => Self::NotAuthorized,
            tc::ConnectionState::Pairing(p) => Self::Pairing { progress: p.into() },
            tc::ConnectionState::NotConnected { user } => Self::NotConnected { user: user.into() },
            tc::ConnectionState::Connected { project, user } => Self::Connected {
                project: project.into(),
                user: user.into(),
            },
        }
    }
}

/// How the device reaches the network (reported by the app). The engine's own type, exposed as is.
#[uniffi::remote(Enum)]
pub enum ConnectionType {
    Wifi,
    Cellular,
    Ethernet,
    Unknown,
}

/// Link quality derived from recent requests (the engine's type).
#[uniffi::remote(Enum)]
pub enum Health {
    Unknown,
    Good,
    Fair,
    Poor,
}

/// The network as the engine sees it.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct NetworkStatus {
    pub online: bool,
    pub connection_type: ConnectionType,
    pub health: Health,
    /// Recent upload throughput, bits per second.
    pub throughput_bps: Option<f64>,
    /// Median latency of recent requests.
    pub latency: Option<Duration>,
    pub last_success_at: Option<SystemTime>,
}

impl From<tc::NetworkStatus> for NetworkStatus {
    fn from(n: tc::NetworkStatus) -> Self {
        Self {
            online: n.online,
            connection_type: n.connection_type,
            health: n.health,
            throughput_bps: n.throughput_bps,
            latency: n.latency,
            last_success_at: n.last_success_at.map(time),
        }
    }
}

/// Everything a connection-manager screen shows.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct EngineStatus {
    pub connection: ConnectionState,
    pub network: NetworkStatus,
}

impl From<tc::EngineStatus> for EngineStatus {
    fn from(s: tc::EngineStatus) -> Self {
        Self {
            connection: s.connection.into(),
            network: s.network.into(),
        }
    }
}

// ---- upload queue ------------------------------------------------------------------------------

/// What a file is (guessed from the file when not given); the engine's type.
#[uniffi::remote(Enum)]
pub enum AssetKind {
    Proxy,
    Hero,
    Audio,
    Other,
}

/// Where a file stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AssetState {
    /// Manual mode: waiting for the user's selection.
    Held,
    Queued,
    /// Uploading now.
    Active,
    Done,
    /// Failed (the reason says why); can be retried.
    Failed,
    /// Recorded while the device was paused in Frame.io: never uploaded.
    Skipped,
    Cancelled,
}

impl From<tc::AssetState> for AssetState {
    fn from(s: tc::AssetState) -> Self {
        match s {
            tc::AssetState::Held => Self::Held,
            tc::AssetState::Queued => Self::Queued,
            tc::AssetState::Active => Self::Active,
            tc::AssetState::Done => Self::Done,
            tc::AssetState::Failed => Self::Failed,
            tc::AssetState::Skipped => Self::Skipped,
            tc::AssetState::Cancelled => Self::Cancelled,
        }
    }
}

/// Auto: new files are queued. Manual: they wait for [`select`](crate::TakeupEngine::select).
/// The engine's type.
#[uniffi::remote(Enum)]
pub enum QueueMode {
    Auto,
    Manual,
}

/// Why the queue is not uploading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Hold {
    PausedByUser,
    Offline,
    NotAuthorized,
    NotConnected,
    /// The OS suspended the app's work (not the user's pause).
    Suspended,
    /// Frame.io cannot be reached securely (TLS failed).
    Insecure,
}

impl From<tc::Hold> for Hold {
    fn from(h: tc::Hold) -> Self {
        match h {
            tc::Hold::PausedByUser => Self::PausedByUser,
            tc::Hold::Offline => Self::Offline,
            tc::Hold::NotAuthorized => Self::NotAuthorized,
            tc::Hold::NotConnected => Self::NotConnected,
            tc::Hold::Suspended => Self::Suspended,
            tc::Hold::Insecure => Self::Insecure,
        }
    }
}

/// How to add a file.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct EnqueueOptions {
    /// Proxy, hero, audio or other; guessed from the file when `None`.
    #[uniffi(default = None)]
    pub kind: Option<AssetKind>,
    /// Priority: put the file at the top of the queue.
    #[uniffi(default = false)]
    pub top: bool,
    /// The file is still being written: upload it as it grows; call `file_closed` when done.
    #[uniffi(default = false)]
    pub growing: bool,
    /// Name on Frame.io (default: the file name).
    #[uniffi(default = None)]
    pub name: Option<String>,
    /// Channel index (0 = the device).
    #[uniffi(default = 0)]
    pub channel: u32,
}

impl From<EnqueueOptions> for tc::EnqueueOptions {
    fn from(o: EnqueueOptions) -> Self {
        Self {
            kind: o.kind,
            top: o.top,
            growing: o.growing,
            name: o.name,
            channel: o.channel,
        }
    }
}

/// What `enqueue` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Enqueued {
    /// Added with this id.
    Added { id: i64 },
    /// Already in the queue (not finished): nothing added.
    AlreadyQueued { id: i64 },
    /// The same file was already uploaded: nothing added.
    AlreadyUploaded { id: i64 },
}

impl From<tc::Enqueued> for Enqueued {
    fn from(e: tc::Enqueued) -> Self {
        match e {
            tc::Enqueued::Added(id) => Self::Added { id },
            tc::Enqueued::AlreadyQueued(id) => Self::AlreadyQueued { id },
            tc::Enqueued::AlreadyUploaded(id) => Self::AlreadyUploaded { id },
        }
    }
}

/// One file in a queue list.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FileEntry {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub kind: AssetKind,
    pub state: AssetState,
    /// `None` while a growing file is still being written.
    pub size: Option<u64>,
    /// Acknowledged by the server.
    pub uploaded_bytes: u64,
    /// Acknowledged plus in flight (what a progress bar shows).
    pub sent_bytes: u64,
    /// Bytes per second over the last seconds (uploading files).
    pub rate_bps: f64,
    pub attempts: u32,
    /// Why it failed or was skipped; the last error while it retries.
    pub reason: Option<String>,
    /// Uploading in real time as it grows.
    pub realtime: bool,
    /// When it will be tried again (waiting after a failure).
    pub retry_at: Option<SystemTime>,
}

impl From<tc::FileEntry> for FileEntry {
    fn from(f: tc::FileEntry) -> Self {
        Self {
            id: f.id,
            name: f.name,
            path: f.path,
            kind: f.kind,
            state: f.state.into(),
            size: f.size,
            uploaded_bytes: f.uploaded_bytes,
            sent_bytes: f.sent_bytes,
            rate_bps: f.rate_bps,
            attempts: f.attempts,
            reason: f.reason,
            realtime: f.realtime,
            retry_at: f.retry_at_ms.map(time_ms),
        }
    }
}

/// Counts over the whole queue.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Totals {
    pub files_remaining: u64,
    /// Bytes not yet acknowledged of files still to upload.
    pub bytes_remaining: u64,
    pub queued: u64,
    pub active: u64,
    pub held: u64,
    pub done: u64,
    pub failed: u64,
    pub skipped: u64,
    pub cancelled: u64,
}

impl From<tc::queue::Totals> for Totals {
    fn from(t: tc::queue::Totals) -> Self {
        Self {
            files_remaining: t.files_remaining,
            bytes_remaining: t.bytes_remaining,
            queued: t.queued,
            active: t.active,
            held: t.held,
            done: t.done,
            failed: t.failed,
            skipped: t.skipped,
            cancelled: t.cancelled,
        }
    }
}

/// Everything a queue screen shows.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct QueueStatus {
    pub mode: QueueMode,
    /// Why nothing uploads right now, if so.
    pub hold: Option<Hold>,
    pub totals: Totals,
    /// Aggregate upload rate, bytes per second.
    pub rate_bps: f64,
    pub uploading: Vec<FileEntry>,
    /// In upload order.
    pub queued: Vec<FileEntry>,
    /// Manual mode: waiting for selection.
    pub held: Vec<FileEntry>,
    /// Most recent first.
    pub completed: Vec<FileEntry>,
    /// Failed and skipped, most recent first, with reasons.
    pub failed: Vec<FileEntry>,
    pub cancelled: Vec<FileEntry>,
}

fn entries(v: Vec<tc::FileEntry>) -> Vec<FileEntry> {
    v.into_iter().map(Into::into).collect()
}

impl From<tc::QueueStatus> for QueueStatus {
    fn from(s: tc::QueueStatus) -> Self {
        Self {
            mode: s.mode,
            hold: s.hold.map(Into::into),
            totals: s.totals.into(),
            rate_bps: s.rate_bps,
            uploading: entries(s.uploading),
            queued: entries(s.queued),
            held: entries(s.held),
            completed: entries(s.completed),
            failed: entries(s.failed),
            cancelled: entries(s.cancelled),
        }
    }
}

/// What a background-work slot achieved.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BackgroundResult {
    /// Files that finished uploading during the run.
    pub uploaded: u64,
    /// Files still queued or uploading.
    pub remaining: u64,
    /// Schedule another run (WorkManager: `Result.retry()`; iOS: submit a new request).
    pub more_work: bool,
    /// The run used its whole time budget.
    pub timed_out: bool,
    /// Why the queue is held, if it is (not paired, no project, paused, offline).
    pub hold: Option<Hold>,
}

impl From<tc::BackgroundRun> for BackgroundResult {
    fn from(r: tc::BackgroundRun) -> Self {
        Self {
            uploaded: r.uploaded,
            remaining: r.remaining,
            more_work: r.more_work,
            timed_out: r.timed_out,
            hold: r.hold.map(Into::into),
        }
    }
}
