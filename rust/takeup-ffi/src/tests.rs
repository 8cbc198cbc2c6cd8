//! Unit tests of the conversions; the end-to-end tests are tests/kotlin and tests/swift.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use takeup_core as tc;

use super::*;
use takeup_core::ui::{ActionKind, AppView, ConnectionView, QueueBanner, UiAction};

#[derive(Default)]
struct MapStore(Mutex<HashMap<String, String>>);

impl SecretStore for MapStore {
    fn get(&self, key: String) -> Result<Option<String>, SecretStoreError> {
        Ok(self.0.lock().unwrap().get(&key).cloned())
    }
    fn set(&self, key: String, value: String) -> Result<(), SecretStoreError> {
        if key.is_empty() {
            return Err(SecretStoreError::Unavailable {
                reason: "locked".into(),
            });
        }
        self.0.lock().unwrap().insert(key, value);
        Ok(())
    }
    fn delete(&self, key: String) -> Result<(), SecretStoreError> {
        self.0.lock().unwrap().remove(&key);
        Ok(())
    }
}

fn config(api_base: &str) -> EngineConfig {
    EngineConfig {
        state_dir: tempfile::tempdir()
            .unwrap()
            .keep()
            .to_string_lossy()
            .into_owned(),
        api_base: api_base.into(),
        client_secret: "s3cr3t".into(),
        client_version: "1.0.0".into(),
        extra_root_ca_pem: None,
        upload_hosts: vec![],
        queue: None,
        app_sign_in: None,
    }
}

#[test]
fn version_is_the_crate_version() {
    assert_eq!(takeup_version(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn config_conversion_keeps_defaults_unless_set() {
    let c = config("https://api.example").into_core();
    assert_eq!(c.queue.upload_hosts, vec!["*.amazonaws.com".to_string()]);
    let mut f = config("https://api.example");
    f.upload_hosts = vec!["127.0.0.1:9".into()];
    f.queue = Some(QueueTuning {
        max_files: Some(3),
        growth_idle: Some(Duration::from_secs(2)),
        engine_transfers: Some(false),
        ..QueueTuning::default()
    });
    assert!(
        config("https://api.example")
            .into_core()
            .queue
            .engine_transfers
    );
    let c = f.into_core();
    assert!(!c.queue.engine_transfers);
    assert_eq!(c.queue.upload_hosts, vec!["127.0.0.1:9".to_string()]);
    assert_eq!(c.queue.max_files, 3);
    assert_eq!(c.queue.growth_idle, Duration::from_secs(2));
    assert_eq!(c.queue.max_parts_per_file, 4);
}

#[test]
fn errors_map_to_small_set_with_actions() {
    let cases: Vec<(tc::Error, ErrorAction)> = vec![
        (
            tc::Error::InsecureUrl("http://x".into()),
            ErrorAction::FixConfiguration,
        ),
        (
            tc::Error::Network {
                kind: tc::NetworkErrorKind::Timeout,
            },
            ErrorAction::RetryLater,
        ),
        (tc::Error::NotAuthorized, ErrorAction::PairAgain),
        (tc::Error::CodeExpired, ErrorAction::PairAgain),
        (tc::Error::InvalidClient, ErrorAction::ContactSupport),
        (tc::Error::Cancelled, ErrorAction::None),
        (tc::Error::Busy("x".into()), ErrorAction::WaitAndRetry),
        (
            tc::Error::QueueInUse(tc::UploaderHolder {
                pid: Some(4321),
                name: Some("takeup run".into()),
                host: None,
                since_ms: None,
            }),
            ErrorAction::WaitAndRetry,
        ),
        (tc::Error::Server { status: 503 }, ErrorAction::RetryLater),
        (
            tc::Error::RateLimited {
                retry_after: Some(Duration::from_secs(2)),
            },
            ErrorAction::RetryLater,
        ),
        (
            tc::Error::NotFound { detail: "p".into() },
            ErrorAction::CheckAccess,
        ),
        (tc::Error::Storage("disk".into()), ErrorAction::CheckStorage),
        (
            tc::Error::SignIn(tc::SignInError::Denied),
            ErrorAction::None,
        ),
        (
            tc::Error::SignIn(tc::SignInError::StateMismatch),
            ErrorAction::PairAgain,
        ),
        (
            tc::Error::SignIn(tc::SignInError::NotAvailable),
            ErrorAction::FixConfiguration,
        ),
        (
            tc::Error::AuthRefused {
                retry_after: Duration::from_secs(10),
            },
            ErrorAction::PairAgain,
        ),
        (tc::Error::NeedsAccountSignIn, ErrorAction::CheckAccess),
    ];
    for (core, action) in cases {
        let text = core.to_string();
        let e = TakeupError::from(core);
        assert_eq!(e.to_string(), text);
        assert_eq!(error_action(e), action, "{text}");
    }
}

#[test]
fn http_base_is_invalid_config_and_store_errors_map() {
    let rt = runtime::runtime();
    let store: Arc<dyn SecretStore> = Arc::new(MapStore::default());
    let r = rt.block_on(start_engine(config("http://127.0.0.1:1"), store.clone()));
    match r {
        Err(e @ TakeupError::InvalidConfig { .. }) => {
            assert_eq!(error_action(e), ErrorAction::FixConfiguration)
        }
        Err(e) => panic!("expected InvalidConfig, got {e:?}"),
        Ok(_) => panic!("expected InvalidConfig, got an engine"),
    }
    let adapter = engine::ForeignStore(store);
    use tc::SecretStore as _;
    adapter.set("k", "v").unwrap();
    assert_eq!(adapter.get("k").unwrap().as_deref(), Some("v"));
    assert_eq!(
        adapter.set("", "v"),
        Err(tc::SecretStoreError::Unavailable("locked".into()))
    );
}

/// Collects what a listener receives.
struct Rec<T>(Mutex<Vec<T>>);

impl<T> Default for Rec<T> {
    fn default() -> Self {
        Self(Mutex::new(Vec::new()))
    }
}

impl StatusListener for Arc<Rec<EngineStatus>> {
    fn on_status(&self, status: EngineStatus) {
        self.0.lock().unwrap().push(status);
    }
}

impl ViewListener for Arc<Rec<AppView>> {
    fn on_view(&self, view: AppView) {
        self.0.lock().unwrap().push(view);
    }
}

/// A started engine whose server never answers (these tests need none).
fn engine_without_server() -> Arc<TakeupEngine> {
    let store: Arc<dyn SecretStore> = Arc::new(MapStore::default());
    let start = start_engine(config("https://127.0.0.1:1"), store);
    runtime::runtime().block_on(start).unwrap()
}

#[test]
fn engine_starts_and_reports_status_through_subscriptions() {
    let rt = runtime::runtime();
    let engine = engine_without_server();
    assert!(!engine.is_paired());
    assert_eq!(engine.connection_state(), ConnectionState::NotAuthorized);
    let rec = Arc::new(Rec::default());
    let sub = engine.subscribe_status(Box::new(rec.clone()));
    assert_eq!(
        rec.0.lock().unwrap().len(),
        1,
        "current status on subscribe"
    );
    engine.network_changed(false, ConnectionType::Cellular);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !rec
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|s| !s.network.online && s.network.connection_type == ConnectionType::Cellular)
    {
        assert!(std::time::Instant::now() < deadline, "offline not seen");
        std::thread::sleep(Duration::from_millis(20));
    }
    sub.cancel();
    assert!(!sub.is_active());
    std::thread::sleep(Duration::from_millis(100));
    let n = rec.0.lock().unwrap().len();
    engine.set_network_available(true);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rec.0.lock().unwrap().len(), n, "no delivery after cancel");

    let missing =
        rt.block_on(engine.enqueue("/nonexistent/clip.mov".into(), EnqueueOptions::default()));
    assert!(
        matches!(missing, Err(TakeupError::BadInput { .. })),
        "{missing:?}"
    );
    let r = rt.block_on(engine.run_background_work(1));
    assert_eq!((r.uploaded, r.remaining, r.more_work), (0, 0, false));
}

#[test]
fn view_model_is_one_per_engine_and_delivers_views() {
    let engine = engine_without_server();
    let vm = engine.view_model();
    assert!(Arc::ptr_eq(&vm, &engine.view_model()), "one view model");
    let v = vm.current();
    assert_eq!(
        v.connection,
        ConnectionView::NotAuthorized { message: None }
    );
    assert_eq!(v.connection_actions, vec![ActionKind::Pair]);
    assert!(matches!(v.queue.banner, QueueBanner::Empty { .. }));

    let rec = Arc::new(Rec::default());
    let sub = vm.subscribe(Box::new(rec.clone()));
    let wait = |what: &str, pred: &dyn Fn(&AppView) -> bool| {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !rec.0.lock().unwrap().iter().any(pred) {
            assert!(std::time::Instant::now() < deadline, "{what} not seen");
            std::thread::sleep(Duration::from_millis(20));
        }
    };
    wait("the first view", &|_| true);
    // Queue controls work without a server: pause shows in the next view.
    vm.dispatch(UiAction::Pause);
    wait("paused", &|v| {
        v.queue.paused_by_user && v.queue.actions.contains(&ActionKind::Resume)
    });
    // Pairing against an unreachable server fails as a step with Retry / Close.
    vm.dispatch(UiAction::Pair);
    wait("the pairing failure", &|v| {
        matches!(v.connection, ConnectionView::Failed { .. })
            && v.connection_actions == vec![ActionKind::Retry, ActionKind::DismissError]
    });
    vm.dispatch(UiAction::DismissError);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let last = rec.0.lock().unwrap().last().map(|v| v.connection.clone());
        if matches!(last, Some(ConnectionView::NotAuthorized { .. })) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not back to not authorized: {last:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    sub.cancel();
}

#[test]
fn a_second_engine_on_the_same_state_dir_is_busy_naming_the_holder() {
    let rt = runtime::runtime();
    let store: Arc<dyn SecretStore> = Arc::new(MapStore::default());
    let c = config("https://127.0.0.1:1");
    let first = rt.block_on(start_engine(c.clone(), store.clone())).unwrap();
    match rt.block_on(start_engine(c.clone(), store.clone())) {
        Err(e @ TakeupError::Busy { .. }) => {
            let text = e.to_string();
            assert!(text.contains("the upload queue is in use by `"), "{text}");
            assert!(
                text.contains(&format!("pid {}", std::process::id())),
                "{text}"
            );
            assert_eq!(error_action(e), ErrorAction::WaitAndRetry);
        }
        Err(e) => panic!("expected Busy, got {e:?}"),
        Ok(_) => panic!("two uploading engines on one state dir"),
    }
    // Released: the next engine on that directory starts (after the first one stopped).
    drop(first);
    let again = rt.block_on(start_engine(c, store)).unwrap();
    again.shutdown();
}

#[test]
fn sign_in_settings_convert_and_a_sign_in_survives_a_restart() {
    let rt = runtime::runtime();
    let store: Arc<dyn SecretStore> = Arc::new(MapStore::default());
    let mut c = config("https://127.0.0.1:1");
    c.app_sign_in = Some(AppSignIn {
        client_id: "app".into(),
        redirect_uris: vec!["io.takeup.app:/oauth2redirect".into()],
        applications_base: Some("https://127.0.0.1:1".into()),
        scope: None,
    });
    let state_dir = c.state_dir.clone();
    let core = c.clone().into_core();
    let app = core.app_sign_in.as_ref().unwrap();
    assert_eq!(app.applications_base, "https://127.0.0.1:1");
    assert_eq!(app.scope, tc::auth::app::APP_SCOPE);
    let engine = rt.block_on(start_engine(c.clone(), store.clone())).unwrap();
    assert!(engine.sign_in_available());
    assert_eq!(engine.sign_in_method(), None);
    let request = engine.begin_sign_in(None).unwrap();
    assert!(
        request
            .authorization_url
            .starts_with("https://127.0.0.1:1/oauth2/auth?")
    );
    assert_eq!(request.redirect_uri, "io.takeup.app:/oauth2redirect");
    assert!(matches!(
        engine.begin_sign_in(Some("https://elsewhere.example/cb".into())),
        Err(TakeupError::InvalidConfig { .. })
    ));
    drop(engine);
    // Another engine on the same store and state dir: the sign-in is still there.
    let mut again = c;
    again.state_dir = state_dir;
    let engine = rt.block_on(start_engine(again, store)).unwrap();
    assert_eq!(engine.pending_sign_in(), Some(request));
    let vm = engine.view_model();
    assert!(matches!(
        vm.current().connection,
        ConnectionView::SigningIn { .. }
    ));
    // A stale answer is refused and the sign-in kept; cancel drops it.
    let stale = rt.block_on(
        engine
            .clone()
            .complete_sign_in("io.takeup.app:/oauth2redirect?code=c&state=other".into()),
    );
    assert!(
        matches!(stale, Err(TakeupError::NotAuthorized { .. })),
        "{stale:?}"
    );
    assert!(engine.pending_sign_in().is_some());
    engine.cancel_sign_in().unwrap();
    assert_eq!(engine.pending_sign_in(), None);
}
