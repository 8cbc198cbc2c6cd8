//! The records only the FFI has: how the app starts the engine ([`EngineConfig`], with every
//! queue setting optional in [`QueueTuning`]). Every other record and enum crossing the FFI is the
//! engine's own type, derived in `takeup-core` (feature `uniffi`) and re-exported here; the
//! bindings generate them from the engine crate (Kotlin package `io.takeup.core.types`, Swift
//! file `TakeupCore.swift` in the same module `Takeup`).

use std::time::Duration;

use takeup_core as tc;
pub use takeup_core::queue::Totals;
pub use takeup_core::{
    Account, AccountList, AssetKind, AssetState, BackgroundRun, ConnectionState, ConnectionType,
    DeviceInfo, EngineStatus, EnqueueOptions, Enqueued, FileEntry, Health, Hold, Identity,
    NetworkStatus, PairingCode, PairingPhase, PairingProgress, Project, ProjectRef, QueueMode,
    QueueStatus, SignOutOutcome, UserInfo,
};
pub use takeup_core::{DeviceChannel, FrameRate, Note, NoteKind, NoteState};

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
    /// Whether the engine's own executor moves part bytes from the start (default true). An app
    /// started to hand its parts to a platform executor (an iOS relaunch in the background for
    /// the upload session's events) starts with it off; `set_engine_transfers` changes it later.
    #[uniffi(default = None)]
    pub engine_transfers: Option<bool>,
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
            if let Some(v) = t.engine_transfers {
                q.engine_transfers = v;
            }
        }
        c
    }
}
