//! The engine's view model and `shared-ui-spec/spec.json` agree:
//! - every view the view model builds matches the spec (state ids, exact field sets, field types,
//!   offered actions within the state's list);
//! - together, the views cover every state, row state, section and action the spec lists, so the
//!   spec has nothing the engine cannot produce;
//! - every `UiAction` the apps can dispatch is named in the spec;
//! - a real run against the emulator (pair, pick account and project, search, upload, pause,
//!   manual selection, device paused, disconnect, sign out) only produces spec-conforming views.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use takeup_core::auth::pairing::{PairingCode, PairingPhase, PairingProgress};
use takeup_core::queue::journal::Totals;
use takeup_core::ui::{self, AppView, Flow, UiAction, ViewInputs, ViewModel};
use takeup_core::{
    AssetKind, AssetState, ConnectionState, ConnectionType, DeviceInfo, EngineStatus, FileEntry,
    Health, Hold, Identity, NetworkStatus, Note, NoteKind, NoteState, ProjectRef, QueueMode,
    QueueStatus, SignInMethod, TakeLogData, TakeMark, UserInfo,
};

fn spec() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared-ui-spec/spec.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("spec.json readable"))
        .expect("spec.json is JSON")
}

/// What a set of views covered.
#[derive(Default, Debug)]
struct Coverage {
    states: BTreeSet<String>,
    actions: BTreeSet<String>,
}

struct Checker<'a> {
    spec: &'a Value,
    cov: Coverage,
    errors: Vec<String>,
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

impl<'a> Checker<'a> {
    fn new(spec: &'a Value) -> Self {
        Self {
            spec,
            cov: Coverage::default(),
            errors: vec![],
        }
    }

    fn err(&mut self, path: &str, msg: String) {
        self.errors.push(format!("{path}: {msg}"));
    }

    fn fields(&mut self, path: &str, v: &Value, fields: &Value, skip: &[&str]) {
        let mut got = keys(v);
        for s in skip {
            got.remove(*s);
        }
        let want = keys(fields);
        if got != want {
            self.err(path, format!("fields {got:?}, spec says {want:?}"));
            return;
        }
        for (name, ty) in fields.as_object().unwrap() {
            self.check(&format!("{path}.{name}"), &v[name], ty.as_str().unwrap());
        }
    }

    fn actions(&mut self, path: &str, v: &Value, allowed: &Value) {
        let allowed: BTreeSet<&str> = allowed
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        for a in v.as_array().into_iter().flatten() {
            let a = a.as_str().unwrap_or("<not a string>");
            if !allowed.contains(a) {
                self.err(path, format!("action {a} not offered here by the spec"));
            }
            self.cov.actions.insert(a.to_string());
        }
    }

    /// A tagged screen: `state` picks the spec entry; the rest are its fields.
    fn screen(&mut self, path: &str, v: &Value, screen: &str) -> Option<String> {
        let states = &self.spec["screens"][screen]["states"];
        let Some(state) = v["state"].as_str() else {
            self.err(path, "no state tag".into());
            return None;
        };
        if states[state].is_null() {
            self.err(path, format!("state {screen}.{state} is not in the spec"));
            return None;
        }
        self.cov.states.insert(format!("{screen}.{state}"));
        let fields = states[state]["fields"].clone();
        self.fields(path, v, &fields, &["state"]);
        Some(state.to_string())
    }

    fn check(&mut self, path: &str, v: &Value, ty: &str) {
        if let Some(inner) = ty.strip_suffix('?') {
            if !v.is_null() {
                self.check(path, v, inner);
            }
            return;
        }
        if let Some(inner) = ty.strip_suffix("[]") {
            match v.as_array() {
                Some(a) => {
                    for (i, x) in a.iter().enumerate() {
                        self.check(&format!("{path}[{i}]"), x, inner);
                    }
                }
                None => self.err(path, format!("expected a list of {inner}, got {v}")),
            }
            return;
        }
        let ok = match ty {
            "string" => v.is_string(),
            "int" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "bool" => v.is_boolean(),
            "action" => {
                let a = v.as_str().unwrap_or_default();
                self.cov.actions.insert(a.to_string());
                !self.spec["actions"][a].is_null()
            }
            "row_state" => {
                !self.spec["screens"]["file_row"]["states"][v.as_str().unwrap_or("?")].is_null()
            }
            "connection" | "network" | "queue_banner" | "notice" => {
                self.screen(path, v, ty);
                true
            }
            // Screens without states: their fields, and their actions within the spec's list.
            "take_log" | "take_clip" => {
                let t = self.spec["screens"][ty].clone();
                self.fields(path, v, &t["fields"], &[]);
                self.actions(&format!("{path}.actions"), &v["actions"], &t["actions"]);
                true
            }
            // Rows: the spec's fields, and actions within their state's list.
            "file_row" | "note_row" => {
                self.row(path, v, ty);
                true
            }
            "section" => {
                let kind = v["kind"].as_str().unwrap_or_default().to_string();
                let known = self.spec["screens"]["queue"]["sections"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| s == kind.as_str());
                if !known {
                    self.err(path, format!("section {kind} is not in the spec"));
                }
                self.cov.states.insert(format!("section.{kind}"));
                let f = json!({"kind": "string", "title": "string", "rows": "file_row[]"});
                self.fields(path, v, &f, &[]);
                true
            }
            "queue" => {
                let q = self.spec["screens"]["queue"].clone();
                self.fields(path, v, &q["fields"], &[]);
                self.actions(&format!("{path}.actions"), &v["actions"], &q["actions"]);
                true
            }
            other => {
                if let Some(values) = self.spec["enums"][other].as_array() {
                    values.iter().any(|x| x == v)
                } else if self.spec["records"][other].is_object() {
                    let f = self.spec["records"][other].clone();
                    self.fields(path, v, &f, &[]);
                    true
                } else {
                    self.err(path, format!("unknown type {other}"));
                    true
                }
            }
        };
        if !ok {
            self.err(path, format!("{v} is not a {ty}"));
        }
    }

    fn row(&mut self, path: &str, v: &Value, screen: &str) {
        let row = self.spec["screens"][screen].clone();
        self.fields(path, v, &row["fields"], &[]);
        let state = v["state"].as_str().unwrap_or_default();
        self.cov.states.insert(format!("{screen}.{state}"));
        self.actions(
            &format!("{path}.actions"),
            &v["actions"],
            &row["states"][state]["actions"],
        );
    }

    fn app_view(&mut self, view: &AppView) {
        let v = serde_json::to_value(view).unwrap();
        let f = self.spec["app_view"]["fields"].clone();
        self.fields("view", &v, &f, &[]);
        if let Some(state) = v["connection"]["state"].as_str() {
            let allowed = self.spec["screens"]["connection"]["states"][state]["actions"].clone();
            if allowed.is_array() {
                self.actions(
                    "view.connection_actions",
                    &v["connection_actions"],
                    &allowed,
                );
            }
        }
    }

    /// Everything the spec lists that the views did not produce.
    fn missing(&self) -> Vec<String> {
        let mut want = BTreeSet::new();
        for (screen, s) in self.spec["screens"].as_object().unwrap() {
            for state in keys(&s["states"]) {
                want.insert(format!("{screen}.{state}"));
            }
        }
        for s in self.spec["screens"]["queue"]["sections"]
            .as_array()
            .unwrap()
        {
            want.insert(format!("section.{}", s.as_str().unwrap()));
        }
        let mut missing: Vec<String> = want.difference(&self.cov.states).cloned().collect();
        for a in keys(&self.spec["actions"]) {
            if !self.cov.actions.contains(&a) {
                missing.push(format!("action {a}"));
            }
        }
        missing
    }
}

// ---- synthetic inputs ----------------------------------------------------------------------

fn user() -> UserInfo {
    UserInfo {
        id: "u1".into(),
        name: "Dana Reyes".into(),
        email: "dana@example.com".into(),
        image_url: Some("https://example.com/a.png".into()),
    }
}

fn project() -> ProjectRef {
    ProjectRef {
        id: "p1".into(),
        name: "Testbed".into(),
    }
}

fn identity(status: &str) -> Identity {
    Identity {
        user: user(),
        device: DeviceInfo {
            id: "d1".into(),
            name: "Camera A".into(),
            status: status.into(),
        },
        project: Some(project()),
        fetched_at: Utc::now(),
    }
}

fn network(online: bool) -> NetworkStatus {
    NetworkStatus {
        online,
        connection_type: ConnectionType::Wifi,
        health: Health::Good,
        throughput_bps: Some(48e6),
        latency: Some(Duration::from_millis(35)),
        last_success_at: None,
    }
}

fn entry(id: i64, state: AssetState) -> FileEntry {
    FileEntry {
        id,
        name: format!("A{id:03}.mov"),
        path: format!("/media/A{id:03}.mov"),
        kind: AssetKind::Proxy,
        state,
        size: Some(100_000_000),
        uploaded_bytes: 0,
        sent_bytes: 0,
        rate_bps: 0.0,
        attempts: 0,
        reason: None,
        realtime: false,
        retry_at: None,
    }
}

// `..Default::default()` keeps this building if the journal's totals gain fields.
#[allow(clippy::needless_update)]
fn queue_with_everything() -> QueueStatus {
    let mut active = entry(1, AssetState::Active);
    active.sent_bytes = 40_000_000;
    active.uploaded_bytes = 32_000_000;
    active.rate_bps = 6e6;
    let mut growing = entry(2, AssetState::Active);
    growing.size = None;
    growing.realtime = true;
    growing.sent_bytes = 10_000_000;
    let mut retrying = entry(4, AssetState::Queued);
    retrying.retry_at = Some(Utc::now() + chrono::Duration::seconds(5));
    retrying.attempts = 2;
    retrying.reason = Some("network problem: timeout".into());
    let mut failed = entry(6, AssetState::Failed);
    failed.reason = Some("the file is unreadable".into());
    let mut skipped = entry(7, AssetState::Skipped);
    skipped.reason = Some("recorded while the device was paused".into());
    QueueStatus {
        mode: QueueMode::Manual,
        hold: None,
        totals: Totals {
            files_remaining: 5,
            bytes_remaining: 400_000_000,
            queued: 2,
            active: 2,
            held: 1,
            done: 1,
            failed: 1,
            skipped: 1,
            cancelled: 1,
            ..Default::default()
        },
        rate_bps: 6e6,
        uploading: vec![active, growing],
        queued: vec![entry(3, AssetState::Queued), retrying],
        held: vec![entry(5, AssetState::Held)],
        completed: vec![entry(8, AssetState::Done)],
        failed: vec![failed, skipped],
        cancelled: vec![entry(9, AssetState::Cancelled)],
    }
}

fn empty_queue() -> QueueStatus {
    QueueStatus {
        mode: QueueMode::Auto,
        hold: None,
        totals: Totals::default(),
        rate_bps: 0.0,
        uploading: vec![],
        queued: vec![],
        held: vec![],
        completed: vec![],
        failed: vec![],
        cancelled: vec![],
    }
}

fn pairing(phase: PairingPhase, code: bool) -> ConnectionState {
    ConnectionState::Pairing(PairingProgress {
        phase,
        code: code.then(|| PairingCode {
            user_code: "123456".into(),
            verification_uri: Some("https://example.com/pair".into()),
            verification_uri_complete: Some("https://example.com/pair?code=123456".into()),
            expires_at: Utc.timestamp_millis_opt(1_900_000_000_000).unwrap(),
            device_name: Some("Camera A".into()),
        }),
        attempt: 1,
        poll_interval: Duration::from_secs(5),
    })
}

fn note(id: i64, kind: NoteKind, file_id: Option<i64>, state: NoteState) -> Note {
    Note {
        id,
        kind,
        file_id,
        file_name: file_id.map(|f| format!("A{f:03}.mov")),
        text: file_id.map(|_| format!("note {id}")),
        frame: (id % 2 == 0).then_some(48),
        channel: file_id.is_none().then_some(1),
        input: file_id.is_none().then_some(2),
        start: file_id.is_none().then(|| "01:00:10:00".into()),
        duration: None,
        rate: None,
        created_ms: 1_899_999_000_000 + id,
        state,
        attempts: if state == NoteState::Failed { 1 } else { 0 },
        last_error: (state == NoteState::Failed).then(|| "the asset is gone".into()),
        sent_ms: (state == NoteState::Sent).then_some(1_899_999_100_000),
    }
}

/// A take log with a mark, notes in every state (one on a clip not started), a trigger, and a
/// note on a clip the queue no longer lists.
fn take_log_data() -> TakeLogData {
    use NoteKind::{Comment, Trigger};
    TakeLogData {
        takes: vec![(
            8,
            TakeMark {
                scene: "12A".into(),
                take: "3".into(),
                circled: true,
            },
        )],
        notes: vec![
            note(6, Comment, Some(42), NoteState::Sent),
            note(5, Trigger, None, NoteState::Waiting),
            note(4, Comment, Some(5), NoteState::Waiting),
            note(3, Comment, Some(8), NoteState::Failed),
            note(2, Comment, Some(8), NoteState::Waiting),
            note(1, Comment, Some(8), NoteState::Sent),
        ],
    }
}

/// Views for every state, built from hand-made inputs through the real `build`.
fn catalog() -> Vec<AppView> {
    let connected = ConnectionState::Connected {
        project: project(),
        user: user(),
    };
    let not_connected = ConnectionState::NotConnected { user: user() };
    let account = ui::AccountItem {
        id: "a1".into(),
        name: "Northlight".into(),
    };
    let projects = vec![
        ui::ProjectItem {
            id: "p1".into(),
            name: "Testbed".into(),
        },
        ui::ProjectItem {
            id: "p2".into(),
            name: "Feature".into(),
        },
    ];
    let flows = [
        Flow::Idle,
        Flow::LoadingAccounts,
        Flow::Accounts(vec![account.clone()]),
        Flow::NoC2c {
            help_url: "https://help.frame.io".into(),
        },
        Flow::LoadingProjects {
            account: account.clone(),
        },
        Flow::Projects {
            account: account.clone(),
            all: projects,
            query: "test".into(),
        },
        Flow::Connecting {
            project_name: "Testbed".into(),
        },
        Flow::Failed {
            message: "network problem".into(),
        },
    ];
    use SignInMethod::{Account, DeviceCode};
    // (connection, flow, removed, refused, method)
    let mut connections = vec![
        (
            ConnectionState::NotAuthorized,
            Flow::Idle,
            false,
            false,
            None,
        ),
        (
            ConnectionState::NotAuthorized,
            Flow::Idle,
            true,
            false,
            None,
        ),
        (ConnectionState::NotAuthorized, Flow::Idle, true, true, None),
        (
            ConnectionState::NotAuthorized,
            Flow::SigningIn {
                authorization_url: "https://applications.example/oauth2/auth?state=s".into(),
            },
            false,
            false,
            None,
        ),
        (
            ConnectionState::NotAuthorized,
            Flow::CompletingSignIn,
            false,
            false,
            None,
        ),
        (
            pairing(PairingPhase::RequestingCode, false),
            Flow::Idle,
            false,
            false,
            None,
        ),
        (
            pairing(PairingPhase::WaitingForUser, true),
            Flow::Idle,
            false,
            false,
            None,
        ),
        (
            pairing(PairingPhase::Authorizing, true),
            Flow::Idle,
            false,
            false,
            None,
        ),
        // A paired device: no connection manager.
        (
            not_connected.clone(),
            Flow::Idle,
            false,
            false,
            Some(DeviceCode),
        ),
        (
            connected.clone(),
            Flow::Idle,
            false,
            false,
            Some(DeviceCode),
        ),
    ];
    for f in &flows {
        connections.push((
            not_connected.clone(),
            f.clone(),
            false,
            false,
            Some(Account),
        ));
        connections.push((connected.clone(), f.clone(), false, false, Some(Account)));
    }
    let mut paused_by_user = queue_with_everything();
    paused_by_user.hold = Some(Hold::PausedByUser);
    paused_by_user.mode = QueueMode::Auto;
    let mut awaiting = empty_queue();
    awaiting.held = vec![entry(5, AssetState::Held)];
    let mut done = empty_queue();
    done.completed = vec![entry(8, AssetState::Done)];
    let queues = [
        queue_with_everything(),
        paused_by_user,
        awaiting,
        done,
        empty_queue(),
    ];

    let id_online = identity("online");
    let id_paused = identity("paused");
    let take_log = take_log_data();
    let selection: BTreeSet<i64> = [5].into();
    let mut views = vec![];
    for (i, (c, flow, removed, refused, method)) in connections.iter().enumerate() {
        let status = EngineStatus {
            connection: c.clone(),
            network: network(i % 2 == 0),
        };
        let q = &queues[i % queues.len()];
        views.push(ui::build(&ViewInputs {
            status: &status,
            identity: Some(if i % 3 == 0 { &id_paused } else { &id_online }),
            queue: q,
            flow,
            removed: *removed,
            refused: *refused,
            method: *method,
            sign_in_available: true,
            pairing_available: true,
            selection: &selection,
            alert: (i == 1).then_some("Could not cancel the file"),
            take_log: &take_log,
            now_ms: 1_899_999_940_000,
        }));
    }
    views
}

fn all_ui_actions() -> Vec<UiAction> {
    let v = vec![
        UiAction::Pair,
        UiAction::CancelPairing,
        UiAction::SignIn,
        UiAction::CompleteSignIn {
            redirect_url: "io.takeup.app:/oauth2redirect?code=c&state=s".into(),
        },
        UiAction::CancelSignIn,
        UiAction::ReloadAccounts,
        UiAction::ChooseAccount {
            account_id: "a".into(),
        },
        UiAction::BackToAccounts,
        UiAction::SearchProjects { query: "q".into() },
        UiAction::ChooseProject {
            project_id: "p".into(),
        },
        UiAction::CancelChange,
        UiAction::Disconnect,
        UiAction::ChangeProject,
        UiAction::SignOut,
        UiAction::Refresh,
        UiAction::Retry,
        UiAction::DismissError,
        UiAction::SetMode {
            mode: QueueMode::Auto,
        },
        UiAction::Pause,
        UiAction::Resume,
        UiAction::CancelAll,
        UiAction::UploadSelected,
        UiAction::SelectAll,
        UiAction::ClearSelection,
        UiAction::ToggleSelect { id: 1 },
        UiAction::MoveToTop { id: 1 },
        UiAction::CancelFile { id: 1 },
        UiAction::RetryFile { id: 1 },
        UiAction::LogTake {
            file_id: 1,
            scene: "12A".into(),
            take: "3".into(),
            circled: true,
        },
        UiAction::ToggleCircle { file_id: 1 },
        UiAction::AddNote {
            file_id: 1,
            text: "good".into(),
            frame: Some(24),
        },
        UiAction::RetryNote { id: 1 },
        UiAction::AddTrigger {
            channel: 1,
            input: 0,
        },
    ];
    // A new variant must be added above: this match stops compiling until it is.
    for a in &v {
        match a {
            UiAction::Pair
            | UiAction::CancelPairing
            | UiAction::SignIn
            | UiAction::CompleteSignIn { .. }
            | UiAction::CancelSignIn
            | UiAction::ReloadAccounts
            | UiAction::ChooseAccount { .. }
            | UiAction::BackToAccounts
            | UiAction::SearchProjects { .. }
            | UiAction::ChooseProject { .. }
            | UiAction::CancelChange
            | UiAction::Disconnect
            | UiAction::ChangeProject
            | UiAction::SignOut
            | UiAction::Refresh
            | UiAction::Retry
            | UiAction::DismissError
            | UiAction::SetMode { .. }
            | UiAction::Pause
            | UiAction::Resume
            | UiAction::CancelAll
            | UiAction::UploadSelected
            | UiAction::SelectAll
            | UiAction::ClearSelection
            | UiAction::ToggleSelect { .. }
            | UiAction::MoveToTop { .. }
            | UiAction::CancelFile { .. }
            | UiAction::RetryFile { .. }
            | UiAction::LogTake { .. }
            | UiAction::ToggleCircle { .. }
            | UiAction::AddNote { .. }
            | UiAction::RetryNote { .. }
            | UiAction::AddTrigger { .. } => {}
        }
    }
    v
}

#[test]
fn every_built_view_matches_the_spec_and_covers_it() {
    let spec = spec();
    let mut c = Checker::new(&spec);
    for v in catalog() {
        c.app_view(&v);
    }
    assert!(
        c.errors.is_empty(),
        "views disagree with the spec:\n{}",
        c.errors.join("\n")
    );
    let missing = c.missing();
    assert!(
        missing.is_empty(),
        "spec entries no view produced: {missing:?}"
    );
}

#[test]
fn the_connection_manager_is_offered_only_with_an_account_sign_in() {
    use ui::ActionKind as A;
    let manager = [
        A::ReloadAccounts,
        A::ChangeProject,
        A::Disconnect,
        A::ChooseAccount,
        A::ChooseProject,
    ];
    for v in catalog() {
        let method = match &v.connection {
            ui::ConnectionView::Connected { method, .. }
            | ui::ConnectionView::NotConnected { method, .. } => Some(*method),
            _ => None,
        };
        if method == Some(SignInMethod::DeviceCode) {
            assert!(
                v.connection_actions.iter().all(|a| !manager.contains(a)),
                "{:?}: {:?}",
                v.connection,
                v.connection_actions
            );
        }
    }
    // Without an app client id only pairing is offered.
    let status = EngineStatus {
        connection: ConnectionState::NotAuthorized,
        network: network(true),
    };
    let q = empty_queue();
    let v = ui::build(&ViewInputs {
        status: &status,
        identity: None,
        queue: &q,
        flow: &Flow::Idle,
        removed: true,
        refused: true,
        method: None,
        sign_in_available: false,
        pairing_available: true,
        selection: &BTreeSet::new(),
        alert: None,
        take_log: &TakeLogData::default(),
        now_ms: 0,
    });
    assert_eq!(v.connection_actions, vec![A::Pair]);
    let ui::ConnectionView::NotAuthorized { message: Some(m) } = &v.connection else {
        panic!("{:?}", v.connection)
    };
    assert!(m.contains("keeps refusing"), "{m}");
    // An app without a client secret only signs in.
    let v = ui::build(&ViewInputs {
        status: &status,
        identity: None,
        queue: &q,
        flow: &Flow::Idle,
        removed: false,
        refused: false,
        method: None,
        sign_in_available: true,
        pairing_available: false,
        selection: &BTreeSet::new(),
        alert: None,
        take_log: &TakeLogData::default(),
        now_ms: 0,
    });
    assert_eq!(v.connection_actions, vec![A::SignIn]);
}

#[test]
fn every_dispatchable_action_is_in_the_spec() {
    let spec = spec();
    let dispatch: BTreeMap<String, Value> = spec["actions"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, a)| a["app"].is_null())
        .map(|(name, a)| {
            let wire = a["dispatch"].as_str().unwrap_or(name).to_string();
            (wire, a["params"].clone())
        })
        .collect();
    let mut seen = BTreeSet::new();
    for a in all_ui_actions() {
        let v = serde_json::to_value(&a).unwrap();
        let name = v["action"].as_str().unwrap().to_string();
        let params = dispatch
            .get(&name)
            .unwrap_or_else(|| panic!("UiAction {name} is not in the spec"));
        let mut got = keys(&v);
        got.remove("action");
        assert_eq!(got, keys(params), "parameters of {name}");
        seen.insert(name);
    }
    let listed: BTreeSet<String> = dispatch.keys().cloned().collect();
    assert_eq!(seen, listed, "the spec lists actions the engine cannot run");
}

#[test]
fn the_checker_rejects_what_the_spec_does_not_allow() {
    // The checker must be able to fail: a renamed state, an extra field, a forbidden action.
    let spec = spec();
    let mut v = serde_json::to_value(&catalog()[0]).unwrap();
    v["connection"]["state"] = json!("signed_out");
    v["queue"]["actions"] = json!(["pair"]);
    v["network"]["extra"] = json!(1);
    let mut c = Checker::new(&spec);
    let f = spec["app_view"]["fields"].clone();
    c.fields("view", &v, &f, &[]);
    let text = c.errors.join("\n");
    assert!(text.contains("connection.signed_out"), "{text}");
    assert!(text.contains("action pair not offered"), "{text}");
    assert!(text.contains("view.network: fields"), "{text}");
}

// ---- against the emulator --------------------------------------------------------------------

/// Collects every view the view model publishes, checking each.
struct Recorder {
    rx: tokio::sync::watch::Receiver<AppView>,
    views: Vec<AppView>,
}

impl Recorder {
    /// Wait (up to 20 s) for a view satisfying `pred`, recording all views on the way.
    async fn until(&mut self, what: &str, pred: impl Fn(&AppView) -> bool) -> AppView {
        let r = tokio::time::timeout(Duration::from_secs(20), async {
            loop {
                let v = self.rx.borrow_and_update().clone();
                self.views.push(v.clone());
                if pred(&v) {
                    return v;
                }
                self.rx.changed().await.unwrap();
            }
        })
        .await;
        match r {
            Ok(v) => v,
            Err(_) => panic!(
                "timed out waiting for {what}; last view: {:#?}",
                self.views.last()
            ),
        }
    }
}

fn state_of(v: &Value) -> &str {
    v["state"].as_str().unwrap_or_default()
}

fn conn(v: &AppView) -> String {
    state_of(&serde_json::to_value(&v.connection).unwrap()).to_string()
}

fn banner(v: &AppView) -> String {
    state_of(&serde_json::to_value(&v.queue.banner).unwrap()).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_session_produces_only_spec_views() {
    let env = common::env().await;
    let engine =
        std::sync::Arc::new(common::engine_with_queue(&env, common::queue_config(&env)).await);
    let vm = ViewModel::new(engine.clone());
    let mut r = Recorder {
        rx: vm.watch(),
        views: vec![],
    };
    r.until("not authorized", |v| conn(v) == "not_authorized")
        .await;

    assert_eq!(
        r.views.last().unwrap().connection_actions,
        vec![ui::ActionKind::Pair, ui::ActionKind::SignIn],
        "both ways to connect"
    );

    // Pair with a code: cancel once, then for real (approved with the default project).
    vm.dispatch(UiAction::Pair);
    r.until("a code", |v| conn(v) == "showing_code").await;
    vm.dispatch(UiAction::CancelPairing);
    r.until("back to not authorized", |v| conn(v) == "not_authorized")
        .await;
    vm.dispatch(UiAction::Pair);
    let v = r.until("a code", |v| conn(v) == "showing_code").await;
    let ui::ConnectionView::ShowingCode {
        user_code,
        qr_content,
        ..
    } = &v.connection
    else {
        unreachable!()
    };
    assert!(qr_content.contains(user_code.as_str()), "{qr_content}");
    // Approved without a project: a paired device cannot choose one here.
    env.post(
        "/_emulator/approve",
        json!({ "user_code": user_code, "no_project": true }),
    )
    .await;
    let v = r
        .until("paired without a project", |v| conn(v) == "not_connected")
        .await;
    let ui::ConnectionView::NotConnected { user, method } = &v.connection else {
        unreachable!()
    };
    assert_eq!(*method, SignInMethod::DeviceCode);
    assert_eq!(user.name, "Dana Reyes", "from the authorization's creator");
    assert_eq!(
        v.connection_actions,
        vec![
            ui::ActionKind::Pair,
            ui::ActionKind::SignIn,
            ui::ActionKind::Refresh,
            ui::ActionKind::SignOut
        ],
        "no connection manager with a device-code token: pair again or sign in"
    );

    // Sign in with the Frame.io account (from there): the browser step is the emulator's
    // approval.
    vm.dispatch(UiAction::SignIn);
    let v = r.until("signing in", |v| conn(v) == "signing_in").await;
    let ui::ConnectionView::SigningIn { authorization_url } = &v.connection else {
        unreachable!()
    };
    let redirect = env.approve_authorization(authorization_url, false).await;
    vm.dispatch(UiAction::CompleteSignIn {
        redirect_url: redirect,
    });
    let v = r
        .until("the account picker", |v| conn(v) == "choosing_account")
        .await;
    let ui::ConnectionView::ChoosingAccount { accounts, user } = &v.connection else {
        unreachable!()
    };
    assert_eq!(user.name, "Dana Reyes");
    let northlight = accounts
        .iter()
        .find(|a| a.name.contains("Northlight"))
        .expect("the emulator's first account")
        .id
        .clone();
    vm.dispatch(UiAction::ChooseAccount {
        account_id: northlight,
    });
    let v = r
        .until("the project picker", |v| conn(v) == "choosing_project")
        .await;
    let ui::ConnectionView::ChoosingProject { total, .. } = &v.connection else {
        unreachable!()
    };
    assert_eq!(*total, 10);
    vm.dispatch(UiAction::SearchProjects {
        query: "testB".into(),
    });
    let v = r
        .until("search results", |v| {
            matches!(&v.connection, ui::ConnectionView::ChoosingProject { query, .. } if query == "testB")
        })
        .await;
    let ui::ConnectionView::ChoosingProject { projects, .. } = &v.connection else {
        unreachable!()
    };
    assert_eq!(projects.len(), 1, "{projects:?}");
    assert_eq!(projects[0].name, "Testbed");
    vm.dispatch(UiAction::ChooseProject {
        project_id: projects[0].id.clone(),
    });
    let v = r.until("connected", |v| conn(v) == "connected").await;
    let ui::ConnectionView::Connected { project, user, .. } = &v.connection else {
        unreachable!()
    };
    assert_eq!(project.name, "Testbed");
    assert_eq!(user.email, engine.identity().unwrap().user.email);
    assert_eq!(user.email, "dana.reyes@example.com");

    // A rename shows after a refresh (the project is addressed by id).
    env.post(
        &format!("/_emulator/projects/{}/rename", project.id),
        json!({ "name": "Testbed (day 2)" }),
    )
    .await;
    vm.dispatch(UiAction::Refresh);
    r.until("the new project name", |v| {
        matches!(&v.connection, ui::ConnectionView::Connected { project, .. } if project.name == "Testbed (day 2)")
    })
    .await;

    // Upload two files; then pause with one queued.
    let media = tempfile::tempdir().unwrap();
    let (a, _) = common::media_file(media.path(), "A001.mov", 6 << 20, 1);
    common::enqueue(&engine, &a).await;
    r.until("all done", |v| banner(v) == "all_done").await;
    vm.dispatch(UiAction::Pause);
    let (b, _) = common::media_file(media.path(), "A002.mov", 1 << 20, 2);
    common::enqueue(&engine, &b).await;
    let v = r
        .until("waiting (paused)", |v| banner(v) == "waiting")
        .await;
    assert!(v.queue.paused_by_user);
    vm.dispatch(UiAction::Resume);
    r.until("all done again", |v| {
        banner(v) == "all_done" && v.queue.files_remaining == 0
    })
    .await;

    // Manual mode: a new file waits; select it and upload it.
    vm.dispatch(UiAction::SetMode {
        mode: QueueMode::Manual,
    });
    r.until("manual", |v| v.queue.mode == QueueMode::Manual)
        .await;
    let (c, _) = common::media_file(media.path(), "A003.mov", 1 << 20, 3);
    common::enqueue(&engine, &c).await;
    r.until("awaiting selection", |v| banner(v) == "awaiting_selection")
        .await;
    vm.dispatch(UiAction::SelectAll);
    r.until("selected", |v| v.queue.selected_ids.len() == 1)
        .await;
    vm.dispatch(UiAction::UploadSelected);
    r.until("uploaded the selection", |v| {
        banner(v) == "all_done" && v.queue.files_remaining == 0 && v.queue.selected_ids.is_empty()
    })
    .await;

    // The device is paused in Frame.io: the notice shows after the device status is re-read.
    env.post("/_emulator/device/pause", json!({})).await;
    vm.dispatch(UiAction::Refresh);
    r.until("the paused notice", |v| !v.notices.is_empty())
        .await;
    env.post("/_emulator/device/resume", json!({})).await;
    vm.dispatch(UiAction::Refresh);
    r.until("no notice", |v| v.notices.is_empty()).await;

    // Offline and back.
    engine.set_network_available(false);
    r.until("offline", |v| {
        matches!(v.network, ui::NetworkView::Offline { .. })
    })
    .await;
    engine.set_network_available(true);
    r.until("online", |v| {
        matches!(v.network, ui::NetworkView::Online { .. })
    })
    .await;

    // Change project, close the picker; disconnect (the picker opens); sign out.
    vm.dispatch(UiAction::ChangeProject);
    r.until("the account picker", |v| conn(v) == "choosing_account")
        .await;
    vm.dispatch(UiAction::CancelChange);
    r.until("connected again", |v| conn(v) == "connected").await;
    vm.dispatch(UiAction::Disconnect);
    r.until("the account picker after disconnect", |v| {
        conn(v) == "choosing_account"
            && v.connection_actions
                .iter()
                .all(|a| *a != ui::ActionKind::CancelChange)
    })
    .await;
    vm.dispatch(UiAction::SignOut);
    r.until("signed out", |v| conn(v) == "not_authorized").await;

    let spec = spec();
    let mut c = Checker::new(&spec);
    for v in &r.views {
        c.app_view(v);
    }
    assert!(
        c.errors.is_empty(),
        "views disagree with the spec:\n{}",
        c.errors.join("\n")
    );
    for must in [
        "connection.not_authorized",
        "connection.showing_code",
        "connection.signing_in",
        "connection.choosing_account",
        "connection.choosing_project",
        "connection.connected",
        "queue_banner.all_done",
        "queue_banner.waiting",
        "queue_banner.awaiting_selection",
        "notice.device_paused",
        "network.offline",
        "network.online",
        "file_row.completed",
        "file_row.awaiting_selection",
    ] {
        assert!(
            c.cov.states.contains(must),
            "the session never showed {must}"
        );
    }
}
