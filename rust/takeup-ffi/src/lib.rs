//! UniFFI layer between the Takeup engine (`takeup-core`) and the Android (Kotlin) and iOS (Swift)
//! apps. Thin on purpose: every export forwards to the engine; the behaviour lives in
//! `takeup-core`, and so do the records and enums that cross (derived there behind its `uniffi`
//! feature, re-exported here). This crate holds the objects, the callback interfaces,
//! the error mapping, the start-up config and the platform glue.
//!
//! Bindings are generated from this crate's compiled library (`scripts/bindings.sh`, settings in
//! `uniffi.toml`: Kotlin package `io.takeup.core`, Swift module `Takeup`). The surface is
//! described in `docs/bindings.md`:
//! - [`TakeupEngine::view_model`] → [`ViewModel`]: the screens and states of `shared-ui-spec/`,
//!   rendered by both apps, and the user's actions (`UiAction`);
//! - [`start_engine`] → [`TakeupEngine`] (pairing, sign-in with a Frame.io account
//!   ([`SignInRequest`]), account / project selection, identity, status, network input,
//!   `app_foreground`, the upload queue, the background-work hook, take-log notes (comments,
//!   triggers) and channels) and the part-transfer lease API for a platform executor
//!   (`transfers.rs`: `next_transfers`, `transfer_succeeded`, `transfer_failed`,
//!   `pending_transfers`, `write_transfer_slice`, `set_engine_transfers`, `set_suspended`);
//! - foreign traits the apps implement: [`SecretStore`], [`StatusListener`], [`PairingListener`],
//!   [`UploadListener`]; subscriptions are [`Subscription`] objects;
//! - errors: [`TakeupError`] with [`error_action`]; [`SecretStoreError`] for the app's store;
//! - [`init_logging`], [`takeup_version`], and on Android the JNI entry point
//!   `io.takeup.core.TakeupAndroid.initPlatform(context)` (see `android.rs`).

uniffi::setup_scaffolding!();

#[cfg(target_os = "android")]
mod android;
mod engine;
mod error;
mod logging;
mod notes;
mod runtime;
mod sign_in;
mod transfers;
mod types;
mod view;

pub use engine::{
    PairingListener, SecretStore, StatusListener, Subscription, TakeupEngine, UploadListener,
    start_engine,
};
pub use error::{ErrorAction, SecretStoreError, TakeupError, error_action};
pub use logging::init_logging;
pub use sign_in::{AppSignIn, SignInMethod, SignInRequest};
pub use transfers::{
    MAX_BODY_EXCERPT, NetworkErrorKind, PartTransfer, TransferAck, TransferError, TransferHeader,
};
pub use types::*;
pub use view::{ViewListener, ViewModel};

/// The version of the Takeup engine library (the crate version, semver).
#[uniffi::export]
pub fn takeup_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

#[cfg(test)]
mod tests;
