//! The view model over FFI: the [`ViewModel`] object and its listener. The views and actions are
//! the engine's own `takeup_core::ui` types (UniFFI derives in `takeup-core`, feature `uniffi`).
//! The states are documented in `shared-ui-spec/spec.json`.

use std::sync::Arc;

use takeup_core::ui::{self as tu, AppView, UiAction};
use tokio_util::sync::CancellationToken;

use crate::engine::Subscription;
use crate::runtime::{forward_watch, runtime};

/// Receives every new view.
#[uniffi::export(callback_interface)]
pub trait ViewListener: Send + Sync {
    /// Called with the current view when subscribing, then after each change (at most a few
    /// times a second while uploading, once a second while a pairing code counts down), on an
    /// engine thread: hop to the UI thread to render.
    fn on_view(&self, view: AppView);
}

/// The view model both apps render (`shared-ui-spec/`): draw `current()` / the listener's views,
/// send the user's actions with `dispatch`. Get it from `TakeupEngine::view_model()`.
#[derive(uniffi::Object)]
pub struct ViewModel {
    inner: tu::ViewModel,
}

impl ViewModel {
    pub(crate) fn new(engine: Arc<takeup_core::Engine>) -> Arc<Self> {
        let _rt = runtime().enter();
        Arc::new(Self {
            inner: tu::ViewModel::new(engine),
        })
    }
}

#[uniffi::export]
impl ViewModel {
    /// The view now.
    pub fn current(&self) -> AppView {
        self.inner.current()
    }

    /// Run a user action; returns at once, the outcome shows in the next views.
    pub fn dispatch(&self, action: UiAction) {
        let _rt = runtime().enter();
        self.inner.dispatch(action);
    }

    /// Call `listener` with the current view and every change until the subscription is
    /// cancelled or released.
    pub fn subscribe(&self, listener: Box<dyn ViewListener>) -> Arc<Subscription> {
        let token = CancellationToken::new();
        forward_watch(self.inner.watch(), token.clone(), move |view| {
            listener.on_view(view)
        });
        Subscription::new(token, None)
    }
}

/// The label of the control for an action (one wording for both apps; the views carry every
/// other text).
#[uniffi::export]
pub fn action_label(kind: tu::ActionKind) -> String {
    tu::texts::action_label(kind).to_string()
}
