//! The error set crossing the FFI: a few variants, each with a user-facing message and an
//! [`ErrorAction`] telling the app what to offer. Messages come from the engine's error texts,
//! which never contain a token or the client secret.

use std::time::Duration;

use takeup_core as tc;

/// An engine failure: a Kotlin `TakeupException` sealed class, a Swift `TakeupError` enum.
/// `user_message` is safe to show (no tokens, no secrets); see [`error_action`] for what to offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum TakeupError {
    /// The network failed (no route, timeout, TLS). Retry when the link is back.
    #[error("{user_message}")]
    Network { user_message: String },
    /// Not paired, pairing refused or expired, or the device was removed in Frame.io: pair again.
    #[error("{user_message}")]
    NotAuthorized { user_message: String },
    /// Frame.io does not recognise this app (client secret): contact support.
    #[error("{user_message}")]
    InvalidClient { user_message: String },
    /// The engine configuration is wrong (http:// base URL, bad version, bad CA PEM...).
    #[error("{user_message}")]
    InvalidConfig { user_message: String },
    /// A file cannot be used (missing, unreadable, not a regular file) or the request was invalid.
    #[error("{user_message}")]
    BadInput { user_message: String },
    /// No access to, or no such, account / project / resource; or a conflict with its state.
    #[error("{user_message}")]
    Rejected { user_message: String },
    /// The secure token storage, the state directory or the upload journal failed.
    #[error("{user_message}")]
    Storage { user_message: String },
    /// Cancelled by the app or the user.
    #[error("{user_message}")]
    Cancelled { user_message: String },
    /// Cannot run now: a pairing is already in progress, or another uploader (another engine,
    /// another process) is uploading from this state directory's queue; the message names it.
    #[error("{user_message}")]
    Busy { user_message: String },
    /// Frame.io failed or answered something unexpected: retry later.
    #[error("{user_message}")]
    Server { user_message: String },
    /// Frame.io asks to slow down; retry after `retry_after` when given.
    #[error("{user_message}")]
    RateLimited {
        user_message: String,
        retry_after: Option<Duration>,
    },
}

/// What the app should offer for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ErrorAction {
    /// Transient: retry later (automatically or with a "Retry" button).
    RetryLater,
    /// Start pairing again ("Connect to Frame.io").
    PairAgain,
    /// Not fixable in the app: contact support.
    ContactSupport,
    /// The app's engine configuration must be fixed (a bug in the app or its settings).
    FixConfiguration,
    /// Check the file (exists, readable) or the input.
    CheckInput,
    /// Choose another account or project, or ask for access.
    CheckAccess,
    /// Free space / check device storage or the keychain, then retry.
    CheckStorage,
    /// Wait for the running operation to finish, then retry.
    WaitAndRetry,
    /// Nothing to do (e.g. cancelled on purpose).
    None,
}

/// The action to offer for `error`.
#[uniffi::export]
pub fn error_action(error: TakeupError) -> ErrorAction {
    match error {
        TakeupError::Network { .. }
        | TakeupError::Server { .. }
        | TakeupError::RateLimited { .. } => ErrorAction::RetryLater,
        TakeupError::NotAuthorized { .. } => ErrorAction::PairAgain,
        TakeupError::InvalidClient { .. } => ErrorAction::ContactSupport,
        TakeupError::InvalidConfig { .. } => ErrorAction::FixConfiguration,
        TakeupError::BadInput { .. } => ErrorAction::CheckInput,
        TakeupError::Rejected { .. } => ErrorAction::CheckAccess,
        TakeupError::Storage { .. } => ErrorAction::CheckStorage,
        TakeupError::Busy { .. } => ErrorAction::WaitAndRetry,
        TakeupError::Cancelled { .. } => ErrorAction::None,
    }
}

impl From<tc::Error> for TakeupError {
    fn from(e: tc::Error) -> Self {
        use tc::Error as E;
        let user_message = e.to_string();
        match e {
            E::InvalidConfig(_) | E::InsecureUrl(_) => Self::InvalidConfig { user_message },
            E::Network { .. } => Self::Network { user_message },
            E::InvalidClient => Self::InvalidClient { user_message },
            E::BadRequest { .. } => Self::BadInput { user_message },
            E::AuthorizationRejected | E::CodeExpired | E::NotAuthorized => {
                Self::NotAuthorized { user_message }
            }
            E::Forbidden { .. } | E::NotFound { .. } | E::Conflict { .. } => {
                Self::Rejected { user_message }
            }
            E::RateLimited { retry_after } => Self::RateLimited {
                user_message,
                retry_after,
            },
            E::Server { .. } | E::UnexpectedResponse(_) => Self::Server { user_message },
            E::Cancelled => Self::Cancelled { user_message },
            // Another uploader holds the queue (a second engine, a background worker in another
            // process): wait for it to finish, then start again.
            E::Busy(_) | E::QueueInUse(_) => Self::Busy { user_message },
            E::Storage(_) => Self::Storage { user_message },
            // Declined in the browser: the user's choice, nothing to offer.
            E::SignIn(tc::SignInError::Denied) => Self::Cancelled { user_message },
            E::SignIn(tc::SignInError::NotAvailable) => Self::InvalidConfig { user_message },
            E::SignIn(tc::SignInError::BadRedirect(_)) => Self::BadInput { user_message },
            E::SignIn(_) | E::AuthRefused { .. } => Self::NotAuthorized { user_message },
            E::NeedsAccountSignIn => Self::Rejected { user_message },
        }
    }
}

impl From<tc::QueueError> for TakeupError {
    fn from(e: tc::QueueError) -> Self {
        let user_message = e.to_string();
        match e {
            tc::QueueError::File { .. } => Self::BadInput { user_message },
            tc::QueueError::Journal(_) | tc::QueueError::Stopped => Self::Storage { user_message },
            tc::QueueError::Setup(_) => Self::InvalidConfig { user_message },
        }
    }
}

/// A failure of the app's [`SecretStore`](crate::SecretStore). Messages must not contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SecretStoreError {
    /// The store cannot be used at all (locked device, no keystore, no permission).
    #[error("secure storage is unavailable: {reason}")]
    Unavailable { reason: String },
    /// One operation failed.
    #[error("secure storage failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SecretStoreError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Failed { reason: e.reason }
    }
}

impl From<SecretStoreError> for tc::SecretStoreError {
    fn from(e: SecretStoreError) -> Self {
        match e {
            SecretStoreError::Unavailable { reason } => Self::Unavailable(reason),
            SecretStoreError::Failed { reason } => Self::Failed(reason),
        }
    }
}

impl From<tc::SecretStoreError> for SecretStoreError {
    fn from(e: tc::SecretStoreError) -> Self {
        match e {
            tc::SecretStoreError::Unavailable(reason) => Self::Unavailable { reason },
            tc::SecretStoreError::Failed(reason) => Self::Failed { reason },
        }
    }
}
