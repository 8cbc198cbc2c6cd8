//! Cancel then Pair through the view model, as a user taps them: 50 times in a row, each Pair shows
//! a new code and never a failure ("busy: pairing is already in progress" was shown when Pair
//! came while the cancelled pairing was still winding down).

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use takeup_core::ui::{ConnectionView, UiAction, ViewModel};

/// Wait (up to 20 s) for a view whose connection satisfies `pred`; every view on the way must not
/// be a failure.
async fn until(
    rx: &mut tokio::sync::watch::Receiver<takeup_core::ui::AppView>,
    what: &str,
    pred: impl Fn(&ConnectionView) -> bool,
) -> ConnectionView {
    let r = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let c = rx.borrow_and_update().connection.clone();
            if let ConnectionView::Failed { message, .. } = &c {
                panic!("{what}: the view shows a failure: {message}");
            }
            if pred(&c) {
                return c;
            }
            rx.changed().await.unwrap();
        }
    })
    .await;
    r.unwrap_or_else(|_| {
        panic!(
            "timed out waiting for {what}: {:#?}",
            rx.borrow().connection
        )
    })
}

fn code_of(c: &ConnectionView) -> Option<&str> {
    match c {
        ConnectionView::ShowingCode { user_code, .. } => Some(user_code),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_then_pair_fifty_times_shows_a_new_code_each_time() {
    let env = common::env().await;
    let engine = Arc::new(common::engine_with_queue(&env, common::queue_config(&env)).await);
    let vm = ViewModel::new(engine.clone());
    let mut rx = vm.watch();
    until(&mut rx, "not authorized", |c| {
        matches!(c, ConnectionView::NotAuthorized { .. })
    })
    .await;
    vm.dispatch(UiAction::Pair);
    let first = until(&mut rx, "a code", |c| code_of(c).is_some()).await;
    let mut code = code_of(&first).unwrap().to_string();
    let mut seen = HashSet::from([code.clone()]);
    for round in 0..50 {
        vm.dispatch(UiAction::CancelPairing);
        vm.dispatch(UiAction::Pair);
        let v = until(&mut rx, &format!("round {round}: a new code"), |c| {
            code_of(c).is_some_and(|c| c != code)
        })
        .await;
        code = code_of(&v).unwrap().to_string();
        assert!(
            seen.insert(code.clone()),
            "round {round}: {code} shown before"
        );
    }
    // The last code still works: approving it pairs the device.
    env.post(
        "/_emulator/approve",
        json!({ "user_code": code, "no_project": true }),
    )
    .await;
    // Paired with a code and no project: connected to Frame.io, waiting for a project (a
    // device-code token cannot list accounts; the picker is for account sign-ins).
    until(&mut rx, "paired without a project", |c| {
        matches!(c, ConnectionView::NotConnected { .. })
    })
    .await;
    assert!(engine.is_paired());
    assert_eq!(env.store.keys().len(), 1);
}
