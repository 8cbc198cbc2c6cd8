//! Takeup engine: pairing, tokens, identity and the connection manager for Frame.io Camera to
//! Cloud, for mobile and desktop hosts.
//!
//! Entry point: [`Engine::start`] with an [`EngineConfig`] and a [`SecretStore`]. UIs observe
//! [`EngineStatus`] (connection state + network status) through [`Engine::watch_status`] or
//! [`Engine::subscribe`].
//!
//! Modules: [`config`], [`error`], [`http`] (client + response parsing), [`secrets`], [`auth`]
//! (auth endpoints and the [`auth::pairing`] state machine), [`tokens`], [`client`] (authorized
//! requests), [`identity`], [`connection`], [`statedir`], [`engine`], [`queue`] (the durable
//! upload queue) and [`ui`] (the view model both apps render).
//!
//! With the `uniffi` feature (turned on by `takeup-ffi` only) the plain data types crossing to
//! Kotlin and Swift (status, identity, pairing, queue, the view model's views and actions) carry
//! their UniFFI derives here, so each is defined once; see `docs/bindings.md`.

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
#[cfg(feature = "uniffi")]
mod uniffi_types;

pub mod auth;
pub mod client;
pub mod config;
pub mod connection;
pub mod engine;
pub mod error;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod identity;
pub mod notes;
pub mod queue;
pub mod secrets;
pub mod socket;
pub mod statedir;
pub mod tokens;
pub mod ui;

pub use auth::app::{AppSignInConfig, SignInRequest};
pub use auth::pairing::{PairingCode, PairingPhase, PairingProgress, PairingTransport};
pub use client::AuthorizedClient;
pub use config::{DEFAULT_API_BASE, EngineConfig};
pub use connection::{
    ConnectionState, ConnectionType, EngineStatus, Health, NetworkStatus, StatusListener,
    Subscription,
};
pub use engine::{Engine, SignOutOutcome};
pub use error::{Error, NetworkErrorKind, Result, SignInError};
pub use identity::{Account, AccountList, DeviceInfo, Identity, Project, ProjectRef, UserInfo};
pub use notes::{
    ChannelSettings, DeviceChannel, FrameRate, Note, NoteKind, NoteState, TakeLogData, TakeMark,
};
pub use queue::{
    AssetKind, AssetState, BackgroundRun, EnqueueOptions, Enqueued, FileEntry, Hold, PartTransfer,
    QueueConfig, QueueError, QueueMode, QueueStatus, TransferAck, TransferError, TransferHeader,
    UploadQueue,
};
pub use secrets::{KeyringSecretStore, MemorySecretStore, SecretStore, SecretStoreError};
pub use statedir::UploaderHolder;
pub use tokens::{LostReason, SignInMethod};
pub use tokio_util::sync::CancellationToken;
