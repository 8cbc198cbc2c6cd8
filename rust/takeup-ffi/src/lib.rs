//! UniFFI layer between the Takeup engine (`takeup-core`) and the Android (Kotlin) and iOS (Swift)
//! apps.
//!
//! Bindings are generated from this crate's compiled library (`scripts/bindings.sh`, settings in
//! `uniffi.toml`: Kotlin package `io.takeup.core`, Swift module `Takeup`). The surface below is the
//! first one, kept independent of the engine on purpose: it proves every kind of export the apps
//! will rely on works end to end (plain functions, async functions on tokio, typed errors, objects,
//! callback interfaces) and is exercised by `tests/kotlin` and `tests/swift`. The engine API is
//! added next to it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

uniffi::setup_scaffolding!();

/// The oldest client (app) version this library accepts, see [`validate_client_version`].
pub const MINIMUM_CLIENT_VERSION: &str = "0.1.0";

/// The version of the Takeup engine library (the crate version, semver).
#[uniffi::export]
pub fn takeup_version() -> String {
    env!("CARGO_PKG_VERSION").to_string()
}

/// Waits `ms` milliseconds on the library's tokio runtime without blocking the caller, then
/// returns `"pong after {ms} ms"`. A Kotlin `suspend fun` / Swift `async func`: concurrent calls
/// overlap.
#[uniffi::export(async_runtime = "tokio")]
pub async fn ping_after(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("pong after {ms} ms")
}

/// Errors returned across the FFI boundary: a Kotlin `FfiException` sealed class, a Swift
/// `FfiError` enum conforming to `Error`.
#[derive(Debug, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum FfiError {
    /// The version string is not a semantic version (`MAJOR.MINOR.PATCH[-pre][+build]`).
    #[error("invalid version {version:?}: {reason}")]
    InvalidVersion { version: String, reason: String },
    /// The version is well formed but older than the oldest supported client.
    #[error("client version {version} is not supported (minimum {minimum})")]
    UnsupportedVersion { version: String, minimum: String },
}

/// Checks that an app's version string is a semantic version and at least the oldest supported
/// client version (0.1.0, `MINIMUM_CLIENT_VERSION` in Rust). Surrounding whitespace is ignored.
#[uniffi::export]
pub fn validate_client_version(version: String) -> Result<(), FfiError> {
    let parsed = semver::Version::parse(version.trim()).map_err(|e| FfiError::InvalidVersion {
        version: version.clone(),
        reason: e.to_string(),
    })?;
    let minimum = semver::Version::parse(MINIMUM_CLIENT_VERSION).expect("valid constant");
    if parsed < minimum {
        return Err(FfiError::UnsupportedVersion {
            version: parsed.to_string(),
            minimum: minimum.to_string(),
        });
    }
    Ok(())
}

/// Receives status updates; implemented by the app (Kotlin interface / Swift protocol).
/// Called on the thread that published the status.
#[uniffi::export(callback_interface)]
pub trait StatusListener: Send + Sync {
    /// One status update.
    fn on_status(&self, status: String);
}

type Listeners = Mutex<BTreeMap<u64, Arc<dyn StatusListener>>>;

#[derive(Default)]
struct NotifierState {
    next_id: Mutex<u64>,
    listeners: Listeners,
}

impl NotifierState {
    fn listeners(&self) -> MutexGuard<'_, BTreeMap<u64, Arc<dyn StatusListener>>> {
        // A listener never runs under this lock, so poisoning only follows a panic in this
        // module's own short critical sections: the map is still consistent.
        self.listeners.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Fans status updates out to subscribed [`StatusListener`]s.
#[derive(uniffi::Object, Default)]
pub struct Notifier {
    state: Arc<NotifierState>,
}

#[uniffi::export]
impl Notifier {
    /// A notifier without listeners.
    #[uniffi::constructor]
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Adds `listener` until the returned [`Subscription`] is cancelled or dropped (in Kotlin:
    /// `close()`d or `destroy()`ed; in Swift: released).
    pub fn subscribe(&self, listener: Box<dyn StatusListener>) -> Arc<Subscription> {
        let id = {
            let mut next = self.state.next_id.lock().unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        self.state.listeners().insert(id, Arc::from(listener));
        Arc::new(Subscription {
            id,
            state: Mutex::new(Some(Arc::downgrade(&self.state))),
        })
    }

    /// Delivers `status` to every current listener, synchronously on the caller's thread, and
    /// returns how many listeners received it. Listeners may cancel subscriptions while called.
    pub fn publish(&self, status: String) -> u32 {
        let snapshot: Vec<_> = self.state.listeners().values().cloned().collect();
        for listener in &snapshot {
            listener.on_status(status.clone());
        }
        u32::try_from(snapshot.len()).unwrap_or(u32::MAX)
    }

    /// The number of active subscriptions.
    pub fn listener_count(&self) -> u32 {
        u32::try_from(self.state.listeners().len()).unwrap_or(u32::MAX)
    }
}

/// A live subscription of a [`StatusListener`] to a [`Notifier`]. Cancelled by [`cancel`] or when
/// the last reference is dropped.
///
/// [`cancel`]: Subscription::cancel
#[derive(uniffi::Object)]
pub struct Subscription {
    id: u64,
    /// `None` once cancelled; weak so a subscription never keeps its notifier alive.
    state: Mutex<Option<Weak<NotifierState>>>,
}

#[uniffi::export]
impl Subscription {
    /// Stops deliveries to the listener (none arrive after this returns, except one already in
    /// progress on another thread). Idempotent.
    pub fn cancel(&self) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(state) = state.and_then(|weak| weak.upgrade()) {
            // Dropped outside the lock: releasing a foreign listener may call back into us.
            let removed = state.listeners().remove(&self.id);
            drop(removed);
        }
    }

    /// Whether [`Subscription::cancel`] has not been called yet and the notifier still exists.
    pub fn is_active(&self) -> bool {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .is_some_and(|weak| weak.strong_count() > 0)
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Default)]
    struct Counter(AtomicU32, Mutex<Vec<String>>);

    impl StatusListener for Arc<Counter> {
        fn on_status(&self, status: String) {
            self.0.fetch_add(1, Ordering::SeqCst);
            self.1.lock().unwrap().push(status);
        }
    }

    #[test]
    fn version_is_the_crate_version() {
        assert_eq!(takeup_version(), env!("CARGO_PKG_VERSION"));
        validate_client_version(takeup_version()).unwrap();
    }

    #[test]
    fn client_versions_are_validated() {
        assert_eq!(validate_client_version(" 1.2.3-beta.1 ".into()), Ok(()));
        assert!(matches!(
            validate_client_version("1.2".into()),
            Err(FfiError::InvalidVersion { version, .. }) if version == "1.2"
        ));
        assert_eq!(
            validate_client_version("0.0.9".into()),
            Err(FfiError::UnsupportedVersion {
                version: "0.0.9".into(),
                minimum: MINIMUM_CLIENT_VERSION.into()
            })
        );
    }

    #[test]
    fn ping_after_waits() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        assert_eq!(rt.block_on(ping_after(5)), "pong after 5 ms");
    }

    #[test]
    fn subscriptions_deliver_until_cancelled_or_dropped() {
        let notifier = Notifier::new();
        let a = Arc::new(Counter::default());
        let b = Arc::new(Counter::default());
        let sub_a = notifier.subscribe(Box::new(a.clone()));
        let sub_b = notifier.subscribe(Box::new(b.clone()));
        assert_eq!(notifier.publish("one".into()), 2);

        sub_a.cancel();
        sub_a.cancel();
        assert!(!sub_a.is_active());
        assert!(sub_b.is_active());
        assert_eq!(notifier.publish("two".into()), 1);

        drop(sub_b);
        assert_eq!(notifier.listener_count(), 0);
        assert_eq!(notifier.publish("three".into()), 0);

        assert_eq!(*a.1.lock().unwrap(), ["one"]);
        assert_eq!(*b.1.lock().unwrap(), ["one", "two"]);
    }

    #[test]
    fn subscription_outlives_its_notifier() {
        let notifier = Notifier::new();
        let sub = notifier.subscribe(Box::new(Arc::new(Counter::default())));
        drop(notifier);
        assert!(!sub.is_active());
        sub.cancel();
    }
}
