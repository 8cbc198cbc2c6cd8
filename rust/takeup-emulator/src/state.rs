//! The emulator's world: device models, accounts and projects, pairing codes, tokens, devices,
//! assets and their parts. One mutex guards it; no lock is ever held across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::faults::FaultRule;

/// S3's smallest non-final part.
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// S3's largest part.
pub const MAX_PART: u64 = 5 * 1024 * 1024 * 1024;
/// S3's largest object (5 TiB).
pub const MAX_OBJECT: u64 = 5 * 1024 * 1024 * 1024 * 1024;
/// S3's part count limit.
pub const MAX_PARTS: u64 = 10_000;
/// Emulator choice for the default part size of a standard asset (reproduces the API's 2-part example).
pub const DEFAULT_PART: u64 = 16 * 1024 * 1024;
/// The registered public OAuth client (the Takeup apps) unless told otherwise.
pub const DEFAULT_APP_CLIENT_ID: &str = "takeup-app";
/// The redirect URIs registered for [`DEFAULT_APP_CLIENT_ID`]: the apps' private-use scheme
/// (RFC 8252 §7.1) and a loopback redirect for desktop tools (any port, RFC 8252 §7.3).
pub const DEFAULT_APP_REDIRECT_URIS: [&str; 2] =
    ["io.takeup.app:/oauth2redirect", "http://127.0.0.1/callback"];
/// Scopes the application flow knows (the exact string is unconfirmed).
pub const APP_SCOPES: [&str; 3] = ["offline", "asset_create", "device_connect"];

/// Knobs a test or the demo can turn through the control API.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Settings {
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub code_ttl_secs: u64,
    pub poll_interval_secs: u64,
    pub url_ttl_secs: u64,
    /// Requests per second per access token on API endpoints; `None` turns the limit off.
    pub rate_limit_per_sec: Option<f64>,
    pub rate_limit_burst: u32,
    /// Accept the immediately previous refresh token once within this many seconds of its rotation
    /// (for lost-response recovery tests); `None` means strict rotation.
    pub previous_refresh_grace_secs: Option<u64>,
    /// Whether the account has QR/URL pairing (`v4.c2c_qr_code_activate`).
    pub qr_pairing_enabled: bool,
    /// The device socket is closed after this long without a frame from the device.
    pub socket_idle_timeout_secs: u64,
    /// Token scopes are enforced: device-code tokens reach only the device endpoints, application
    /// tokens reach the connection manager too. `false` lets every token reach everything.
    pub strict_scopes: bool,
    /// What an out-of-scope call is answered (401 or 403; Frame.io's answer is unconfirmed).
    pub scope_refusal_status: u16,
    /// Lifetime of application access tokens (OAuth flow, ~1 h).
    pub app_access_token_ttl_secs: u64,
    /// Lifetime of application refresh tokens (30 days).
    pub app_refresh_token_ttl_secs: u64,
    /// Lifetime of an authorization code (single use).
    pub auth_code_ttl_secs: u64,
    /// Part size the server aims at when it splits a standard asset (§6.2: the server chooses
    /// the number of upload URLs). At least 5 MiB.
    pub standard_part_bytes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_token_ttl_secs: 28_800,
            refresh_token_ttl_secs: 14 * 24 * 3600,
            code_ttl_secs: 120,
            poll_interval_secs: 5,
            url_ttl_secs: 86_400,
            rate_limit_per_sec: Some(10.0),
            rate_limit_burst: 20,
            previous_refresh_grace_secs: None,
            qr_pairing_enabled: true,
            socket_idle_timeout_secs: 60,
            strict_scopes: true,
            scope_refusal_status: 401,
            app_access_token_ttl_secs: 3600,
            app_refresh_token_ttl_secs: 30 * 24 * 3600,
            auth_code_ttl_secs: 60,
            standard_part_bytes: DEFAULT_PART,
        }
    }
}

/// A partial update of [`Settings`]; `rate_limit_per_sec` and `previous_refresh_grace_secs` take
/// `null` to switch the feature off.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    pub access_token_ttl_secs: Option<u64>,
    pub refresh_token_ttl_secs: Option<u64>,
    pub code_ttl_secs: Option<u64>,
    pub poll_interval_secs: Option<u64>,
    pub url_ttl_secs: Option<u64>,
    #[serde(default, deserialize_with = "double_option")]
    pub rate_limit_per_sec: Option<Option<f64>>,
    pub rate_limit_burst: Option<u32>,
    #[serde(default, deserialize_with = "double_option")]
    pub previous_refresh_grace_secs: Option<Option<u64>>,
    pub qr_pairing_enabled: Option<bool>,
    pub socket_idle_timeout_secs: Option<u64>,
    pub strict_scopes: Option<bool>,
    pub scope_refusal_status: Option<u16>,
    pub app_access_token_ttl_secs: Option<u64>,
    pub app_refresh_token_ttl_secs: Option<u64>,
    pub auth_code_ttl_secs: Option<u64>,
    pub standard_part_bytes: Option<u64>,
}

fn double_option<'de, D, T>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

impl Settings {
    /// Refuse values the emulator cannot honour (before anything is changed).
    pub fn check(p: &SettingsPatch) -> Result<(), String> {
        if let Some(s) = p.scope_refusal_status
            && s != 401
            && s != 403
        {
            return Err("scope_refusal_status must be 401 or 403".into());
        }
        if let Some(b) = p.standard_part_bytes
            && !(MIN_PART..=MAX_PART).contains(&b)
        {
            return Err("standard_part_bytes must be within 5 MiB..=5 GiB".into());
        }
        Ok(())
    }

    pub fn apply(&mut self, p: SettingsPatch) {
        if let Some(v) = p.access_token_ttl_secs {
            self.access_token_ttl_secs = v;
        }
        if let Some(v) = p.refresh_token_ttl_secs {
            self.refresh_token_ttl_secs = v;
        }
        if let Some(v) = p.code_ttl_secs {
            self.code_ttl_secs = v;
        }
        if let Some(v) = p.poll_interval_secs {
            self.poll_interval_secs = v;
        }
        if let Some(v) = p.url_ttl_secs {
            self.url_ttl_secs = v;
        }
        if let Some(v) = p.rate_limit_per_sec {
            self.rate_limit_per_sec = v;
        }
        if let Some(v) = p.rate_limit_burst {
            self.rate_limit_burst = v;
        }
        if let Some(v) = p.previous_refresh_grace_secs {
            self.previous_refresh_grace_secs = v;
        }
        if let Some(v) = p.qr_pairing_enabled {
            self.qr_pairing_enabled = v;
        }
        if let Some(v) = p.socket_idle_timeout_secs {
            self.socket_idle_timeout_secs = v;
        }
        if let Some(v) = p.strict_scopes {
            self.strict_scopes = v;
        }
        if let Some(v) = p.scope_refusal_status {
            self.scope_refusal_status = v;
        }
        if let Some(v) = p.app_access_token_ttl_secs {
            self.app_access_token_ttl_secs = v;
        }
        if let Some(v) = p.app_refresh_token_ttl_secs {
            self.app_refresh_token_ttl_secs = v;
        }
        if let Some(v) = p.auth_code_ttl_secs {
            self.auth_code_ttl_secs = v;
        }
        if let Some(v) = p.standard_part_bytes {
            self.standard_part_bytes = v;
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct DeviceModel {
    pub id: Uuid,
    pub name: String,
    pub client_secret: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Project {
    pub id: Uuid,
    pub name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Account {
    pub id: Uuid,
    pub display_name: String,
    pub c2c_enabled: bool,
    pub projects: Vec<Project>,
}

#[derive(Clone, Debug, Serialize)]
pub struct User {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub account_id: Uuid,
}

/// A registered OAuth application (a public client: no secret).
#[derive(Clone, Debug, Serialize)]
pub struct OAuthApp {
    pub client_id: String,
    pub name: String,
    /// Registered redirect URIs; a loopback `http://127.0.0.1/...` (or `[::1]`, `localhost`)
    /// entry accepts any port (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
}

/// An authorization request a browser opened, waiting for the user's decision.
#[derive(Clone, Debug, Serialize)]
pub struct PendingAuthorization {
    pub id: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub state: Option<String>,
    #[serde(skip)]
    pub code_challenge: String,
    pub device_id: String,
    #[serde(skip)]
    pub expires_at: Instant,
}

/// An issued authorization code (single use, short-lived).
#[derive(Clone, Debug)]
pub struct AuthCode {
    pub client_id: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub device_id: String,
    pub scope: String,
    pub expires_at: Instant,
    pub used: bool,
}

/// Where an approved code binds the device.
#[derive(Clone, Debug)]
pub struct Approval {
    pub project_id: Option<Uuid>,
}

#[derive(Clone, Debug)]
pub struct PendingCode {
    pub device_code: String,
    pub user_code: String,
    pub client_id: String,
    pub model_id: Uuid,
    pub expires_at: Instant,
    pub interval: u64,
    pub last_poll: Option<Instant>,
    pub approval: Option<Approval>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceStatus {
    Online,
    Offline,
    Paused,
}

#[derive(Clone, Debug, Serialize)]
pub struct PauseWindow {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// How a project device was authorized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeviceKind {
    /// Hardware pairing (device-code flow): keyed by the device's `client_id`.
    Hardware,
    /// An app install signed in with the OAuth application flow: keyed by its `device_id`.
    App { app_client_id: String },
}

/// Which flow issued a token: it decides what the token may reach.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Device-code (hardware) tokens: device endpoints only.
    Device,
    /// Application (OAuth) tokens: the connection manager too.
    App,
}

#[derive(Clone, Debug, Serialize)]
pub struct Device {
    pub id: Uuid,
    pub device_id: Uuid,
    pub client_id: String,
    pub name: String,
    pub model_id: Uuid,
    pub project_id: Option<Uuid>,
    pub paused: bool,
    pub pause_windows: Vec<PauseWindow>,
    pub forgotten: bool,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub firmware_version: String,
    pub channel_id: Uuid,
    pub kind: DeviceKind,
    /// Channels created with `POST /v2/devices/channels` (external index 1..=100; channel 0 is
    /// the device itself, `channel_id`).
    pub channels: BTreeMap<u32, Channel>,
    /// Pause windows of channel 0 alone (a device-wide pause is `pause_windows`).
    pub channel0_pause_windows: Vec<PauseWindow>,
}

/// A channel of a project device (an audio recorder's track, a proxy or raw lane).
#[derive(Clone, Debug, Serialize)]
pub struct Channel {
    pub id: Uuid,
    pub external_index: u32,
    /// The hardware identifier the channel was created with (unique per device).
    pub client_id: String,
    pub device_model_id: Uuid,
    pub name: String,
    pub inserted_at: DateTime<Utc>,
    /// Pause windows of this channel alone.
    pub pause_windows: Vec<PauseWindow>,
}

fn paused_in(windows: &[PauseWindow], at: DateTime<Utc>) -> bool {
    windows
        .iter()
        .any(|w| w.start <= at && w.end.is_none_or(|end| at < end))
}

/// Whether a pause window is open now.
pub fn pause_open(windows: &[PauseWindow]) -> bool {
    windows.iter().any(|w| w.end.is_none())
}

/// A comment a device posted on an asset (`POST /v2/devices/assets/{id}/comments`).
#[derive(Clone, Debug, Serialize)]
pub struct Comment {
    pub id: Uuid,
    pub asset_id: Uuid,
    pub client_id: String,
    pub text: String,
    /// Frame number (`timestamp`), when given.
    pub timestamp: Option<f64>,
    /// Range length in frames, when given.
    pub duration: Option<u64>,
    pub inserted_at: DateTime<Utc>,
    /// The `Idempotency-Key` it was sent with, if any.
    pub idempotency_key: Option<String>,
}

/// A real-time logging trigger (`POST /v2/devices/channels/{id}/inputs/{n}/trigger`).
#[derive(Clone, Debug, Serialize)]
pub struct TriggerEvent {
    pub id: Uuid,
    pub client_id: String,
    pub channel_id: Uuid,
    pub external_index: u32,
    pub input_index: u32,
    pub action_type: String,
    pub offset: i64,
    pub start: Option<serde_json::Value>,
    pub duration: Option<serde_json::Value>,
    pub received_at: DateTime<Utc>,
    pub idempotency_key: Option<String>,
}

impl Device {
    /// A device as pairing or sign-in first creates it: not connected, not paused.
    pub fn new(
        device_id: Uuid,
        client_id: &str,
        name: String,
        model_id: Uuid,
        firmware_version: &str,
        channel_id: Uuid,
        kind: DeviceKind,
    ) -> Device {
        Device {
            id: Uuid::new_v4(),
            device_id,
            client_id: client_id.to_string(),
            name,
            model_id,
            project_id: None,
            paused: false,
            pause_windows: Vec::new(),
            forgotten: false,
            last_seen_at: None,
            firmware_version: firmware_version.to_string(),
            channel_id,
            kind,
            channels: BTreeMap::new(),
            channel0_pause_windows: Vec::new(),
        }
    }

    pub fn status(&self) -> DeviceStatus {
        if self.paused {
            DeviceStatus::Paused
        } else if self
            .last_seen_at
            .is_some_and(|t| Utc::now() - t < chrono::Duration::minutes(5))
        {
            DeviceStatus::Online
        } else {
            DeviceStatus::Offline
        }
    }

    /// Whether media created at `at` falls into a pause window of the whole device.
    pub fn paused_at(&self, at: DateTime<Utc>) -> bool {
        paused_in(&self.pause_windows, at)
    }

    /// Whether media of channel `index` created at `at` falls into a pause window of the device
    /// or of that channel.
    pub fn channel_paused_at(&self, index: u32, at: DateTime<Utc>) -> bool {
        self.paused_at(at)
            || match index {
                0 => paused_in(&self.channel0_pause_windows, at),
                n => self
                    .channels
                    .get(&n)
                    .is_some_and(|c| paused_in(&c.pause_windows, at)),
            }
    }

    /// The pause windows of one channel (`None`: no such channel).
    pub fn channel_windows_mut(&mut self, index: u32) -> Option<&mut Vec<PauseWindow>> {
        match index {
            0 => Some(&mut self.channel0_pause_windows),
            n => self.channels.get_mut(&n).map(|c| &mut c.pause_windows),
        }
    }
}

#[derive(Clone, Debug)]
pub struct AccessToken {
    pub client_id: String,
    pub expires_at: Instant,
    pub kind: TokenKind,
}

#[derive(Clone, Debug)]
pub struct RefreshToken {
    pub client_id: String,
    pub kind: TokenKind,
    pub expires_at: Instant,
    /// When it was rotated away (spent); `None` while it is the live one.
    pub spent_at: Option<Instant>,
    /// The pair issued when it was spent, for the optional grace knob.
    pub successor_used_grace: bool,
}

#[derive(Clone, Debug, Serialize)]
pub struct Part {
    pub number: u32,
    pub size: u64,
    pub is_final: bool,
    pub received_count: u32,
    /// sha256 of the last complete body received for this part.
    pub sha256: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PoisonMode {
    /// Asset creation answers 400.
    RejectCreate,
    /// Every part PUT answers 500 InternalError, forever.
    FailParts,
}

#[derive(Clone, Debug, Serialize)]
pub struct Asset {
    pub id: Uuid,
    pub name: String,
    pub filetype: String,
    pub filesize: Option<u64>,
    pub offset: f64,
    pub channel: u32,
    pub realtime: bool,
    pub client_id: String,
    pub project_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub media_created_at: DateTime<Utc>,
    pub parts: BTreeMap<u32, Part>,
    /// Real-time: the declared final size once the final part is registered.
    pub asset_filesize: Option<u64>,
    pub poison: Option<PoisonMode>,
    pub completed_at: Option<DateTime<Utc>>,
    /// `auto_version_id`: the asset this one is the next version of.
    pub version_of: Option<Uuid>,
}

impl Asset {
    /// Complete once every part is present with its size (and, for real-time, the final part is
    /// registered and the declared size adds up).
    pub fn is_complete(&self) -> bool {
        let all_received = self.parts.values().all(|p| p.received_count > 0);
        if !all_received {
            return false;
        }
        if self.realtime {
            let has_final = self.parts.values().any(|p| p.is_final);
            let sum: u64 = self.parts.values().map(|p| p.size).sum();
            has_final && self.asset_filesize == Some(sum)
        } else {
            true
        }
    }

    pub fn received_bytes(&self) -> u64 {
        self.parts
            .values()
            .filter(|p| p.received_count > 0)
            .map(|p| p.size)
            .sum()
    }
}

/// The standard-asset part plan of the API reference §6.2: `requested` parts when the client
/// asks (refused if a non-final part would be under 5 MiB), else the server's choice of about
/// `part_bytes` per part (fewer parts when that would make a part under 5 MiB). An empty file has
/// no plan (`asset_filesize` is 1 … 5 TiB in §7; the emulator applies the same floor here).
pub fn plan_parts(
    filesize: u64,
    requested: Option<u64>,
    part_bytes: u64,
) -> Result<Vec<u64>, String> {
    if filesize == 0 {
        return Err("filesize must be at least 1 byte: an empty file cannot be uploaded".into());
    }
    let n = match requested {
        Some(0) => return Err("parts must be at least 1".into()),
        Some(n) if n > MAX_PARTS => return Err(format!("parts must be at most {MAX_PARTS}")),
        Some(n) => n,
        None => {
            let mut n = filesize.div_ceil(part_bytes.max(1)).clamp(1, MAX_PARTS);
            while n > 1 && filesize.div_ceil(n) < MIN_PART {
                n -= 1;
            }
            n
        }
    };
    let chunk = filesize.div_ceil(n).max(1);
    if n > 1 && chunk < MIN_PART {
        return Err(format!(
            "{n} parts would make parts of {chunk} bytes, below the 5 MiB minimum"
        ));
    }
    if chunk > MAX_PART {
        return Err("parts would exceed the 5 GiB part maximum".into());
    }
    let mut sizes = Vec::with_capacity(n as usize);
    for i in 0..n {
        let start = i * chunk;
        let end = ((i + 1) * chunk).min(filesize);
        sizes.push(end.saturating_sub(start));
    }
    if n > 1 && sizes.last() == Some(&0) {
        return Err(format!("{n} parts leave the last part empty"));
    }
    Ok(sizes)
}

/// One logged request, for tests (x-client-version on every call, upload order, retries).
#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub seq: u64,
    pub at: DateTime<Utc>,
    pub listener: &'static str,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub client_version: Option<String>,
    pub authorization: bool,
    pub fault: Option<String>,
}

pub struct Bucket {
    pub tokens: f64,
    pub at: Instant,
}

pub struct World {
    pub settings: Settings,
    pub models: Vec<DeviceModel>,
    pub apps: Vec<OAuthApp>,
    pub authorizations: HashMap<String, PendingAuthorization>,
    pub auth_codes: HashMap<String, AuthCode>,
    pub accounts: Vec<Account>,
    pub user: User,
    pub codes: HashMap<String, PendingCode>,
    pub devices: HashMap<String, Device>,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
    pub assets: HashMap<Uuid, Asset>,
    pub poisoned: HashMap<String, PoisonMode>,
    pub comments: Vec<Comment>,
    pub triggers: Vec<TriggerEvent>,
    /// Answers already given per (device, route, `Idempotency-Key`): a repeat gets the same
    /// answer and changes nothing.
    pub idempotent: HashMap<(String, String, String), serde_json::Value>,
    pub faults: Vec<FaultRule>,
    pub next_fault_id: u64,
    pub seed: u64,
    pub rng: StdRng,
    pub log: Vec<LoggedRequest>,
    pub next_seq: u64,
    pub buckets: HashMap<String, Bucket>,
    /// Key for signing the presigned-style part URLs.
    pub url_key: [u8; 32],
}

/// The one device model the emulator knows unless told otherwise.
pub const DEFAULT_CLIENT_SECRET: &str = "takeup-dev-secret";
const LOG_CAP: usize = 200_000;

impl World {
    pub fn new(seed: u64, settings: Settings, client_secret: &str) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut id = || Uuid::from_u128(rng.random());
        let account_main = id();
        let projects_main = [
            "Testbed",
            "The Long Take (Feature)",
            "Harbor Lights - Commercial",
            "Night Shoot B-Unit",
            "Documentary: Salt Roads",
            "Music Video - Echo Park",
            "Pilot Episode 101",
            "Pilot Episode 102",
            "Stills and Lookbook",
            "Archive 2025",
        ]
        .iter()
        .map(|n| Project {
            id: id(),
            name: n.to_string(),
        })
        .collect();
        let account_audio = id();
        let projects_audio = ["Field Recordings", "ADR Sessions"]
            .iter()
            .map(|n| Project {
                id: id(),
                name: n.to_string(),
            })
            .collect();
        let user = User {
            id: id(),
            name: "Dana Reyes".into(),
            email: "dana.reyes@example.com".into(),
            account_id: account_main,
        };
        let model = DeviceModel {
            id: id(),
            name: "Takeup Mobile".into(),
            client_secret: client_secret.to_string(),
        };
        let mut key = [0u8; 32];
        rand::rng().fill(&mut key);
        Self {
            settings,
            models: vec![model],
            apps: vec![OAuthApp {
                client_id: DEFAULT_APP_CLIENT_ID.into(),
                name: "Takeup".into(),
                redirect_uris: DEFAULT_APP_REDIRECT_URIS.map(String::from).to_vec(),
            }],
            authorizations: HashMap::new(),
            auth_codes: HashMap::new(),
            accounts: vec![
                Account {
                    id: account_main,
                    display_name: "Northlight Pictures".into(),
                    c2c_enabled: true,
                    projects: projects_main,
                },
                Account {
                    id: account_audio,
                    display_name: "Harbor Audio".into(),
                    c2c_enabled: true,
                    projects: projects_audio,
                },
            ],
            user,
            codes: HashMap::new(),
            devices: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            assets: HashMap::new(),
            poisoned: HashMap::new(),
            comments: Vec::new(),
            triggers: Vec::new(),
            idempotent: HashMap::new(),
            faults: Vec::new(),
            next_fault_id: 1,
            seed,
            rng: StdRng::seed_from_u64(seed ^ 0x5eed_fa17),
            log: Vec::new(),
            next_seq: 1,
            buckets: HashMap::new(),
            url_key: key,
        }
    }

    pub fn reseed(&mut self, seed: u64) {
        self.seed = seed;
        self.rng = StdRng::seed_from_u64(seed ^ 0x5eed_fa17);
    }

    pub fn model_by_secret(&self, secret: &str) -> Option<&DeviceModel> {
        self.models.iter().find(|m| m.client_secret == secret)
    }

    pub fn app(&self, client_id: &str) -> Option<&OAuthApp> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    pub fn project(&self, id: Uuid) -> Option<(&Account, &Project)> {
        self.accounts
            .iter()
            .find_map(|a| a.projects.iter().find(|p| p.id == id).map(|p| (a, p)))
    }

    pub fn first_project(&self) -> Option<Uuid> {
        self.accounts
            .iter()
            .find(|a| a.c2c_enabled)
            .and_then(|a| a.projects.first())
            .map(|p| p.id)
    }

    /// A new random secret string (tokens, device codes).
    pub fn secret(&mut self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        rand::rng().fill(&mut buf[..]);
        hex::encode(buf)
    }

    pub fn new_user_code(&mut self) -> String {
        loop {
            let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
            if !self.codes.values().any(|c| c.user_code == code) {
                return code;
            }
        }
    }

    /// Issue a fresh token pair for a device, revoking nothing (callers revoke first when needed).
    pub fn issue_tokens(&mut self, client_id: &str, kind: TokenKind) -> (String, String, u64) {
        let access = self.secret(32);
        let refresh = Uuid::new_v4().to_string();
        let now = Instant::now();
        let (ttl, refresh_ttl) = match kind {
            TokenKind::Device => (
                self.settings.access_token_ttl_secs,
                self.settings.refresh_token_ttl_secs,
            ),
            TokenKind::App => (
                self.settings.app_access_token_ttl_secs,
                self.settings.app_refresh_token_ttl_secs,
            ),
        };
        self.access.insert(
            access.clone(),
            AccessToken {
                client_id: client_id.to_string(),
                expires_at: now + Duration::from_secs(ttl),
                kind,
            },
        );
        self.refresh.insert(
            refresh.clone(),
            RefreshToken {
                client_id: client_id.to_string(),
                kind,
                expires_at: now + Duration::from_secs(refresh_ttl),
                spent_at: None,
                successor_used_grace: false,
            },
        );
        (access, refresh, ttl)
    }

    /// Kill every token of a device.
    pub fn revoke_device_tokens(&mut self, client_id: &str) {
        self.access.retain(|_, t| t.client_id != client_id);
        self.refresh.retain(|_, t| t.client_id != client_id);
    }

    /// Take one token from the per-token bucket; `false` means 429.
    pub fn rate_limit_ok(&mut self, token: &str) -> bool {
        let Some(rate) = self.settings.rate_limit_per_sec else {
            return true;
        };
        let burst = f64::from(self.settings.rate_limit_burst.max(1));
        let now = Instant::now();
        let b = self.buckets.entry(token.to_string()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    pub fn log_request(&mut self, mut entry: LoggedRequest) {
        entry.seq = self.next_seq;
        self.next_seq += 1;
        if self.log.len() >= LOG_CAP {
            self.log.drain(..LOG_CAP / 10);
        }
        self.log.push(entry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_matches_the_api_example() {
        assert_eq!(
            plan_parts(21_136_250, None, DEFAULT_PART).unwrap(),
            vec![10_568_125; 2]
        );
    }

    #[test]
    fn plan_small_files_are_one_part_and_empty_files_have_none() {
        assert!(plan_parts(0, None, DEFAULT_PART).is_err());
        assert_eq!(plan_parts(1, None, DEFAULT_PART).unwrap(), vec![1]);
        assert_eq!(
            plan_parts(DEFAULT_PART, None, DEFAULT_PART).unwrap(),
            vec![DEFAULT_PART]
        );
        assert_eq!(
            plan_parts(DEFAULT_PART + 1, None, DEFAULT_PART).unwrap(),
            vec![DEFAULT_PART / 2 + 1, DEFAULT_PART / 2]
        );
    }

    #[test]
    fn the_server_may_choose_more_parts_but_never_below_five_mib() {
        // 15 MiB at 5 MiB per part: three parts.
        assert_eq!(
            plan_parts(15 * MIN_PART / 5, None, MIN_PART).unwrap(),
            vec![MIN_PART; 3]
        );
        // 12 MiB: three parts would be 4 MiB each, so two of 6 MiB.
        assert_eq!(
            plan_parts(12 << 20, None, MIN_PART).unwrap(),
            vec![6 << 20; 2]
        );
        assert_eq!(plan_parts(4 << 20, None, MIN_PART).unwrap(), vec![4 << 20]);
    }

    #[test]
    fn plan_rejects_parts_below_five_mib() {
        assert!(plan_parts(6 * 1024 * 1024, Some(2), DEFAULT_PART).is_err());
        assert!(plan_parts(10 * 1024 * 1024, Some(2), DEFAULT_PART).is_ok());
        assert!(plan_parts(100, Some(0), DEFAULT_PART).is_err());
    }

    #[test]
    fn plan_sizes_add_up() {
        for size in [1u64, 5_000_000, 33_554_433, 1 << 32, 5 * (1 << 40)] {
            let sizes = plan_parts(size, None, DEFAULT_PART).unwrap();
            assert_eq!(sizes.iter().sum::<u64>(), size);
            assert!(sizes.len() as u64 <= MAX_PARTS);
        }
    }
}
