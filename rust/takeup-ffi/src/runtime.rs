//! The library's tokio runtime: the engine, its background tasks, the upload scheduler and every
//! async export run here, whatever executor the foreign caller uses (Kotlin coroutines, Swift
//! concurrency). Foreign threads only wait on results.

use std::future::Future;
use std::sync::LazyLock;

use crate::error::TakeupError;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("takeup-engine")
        .enable_all()
        .build()
        .expect("the engine runtime starts")
});

pub(crate) fn runtime() -> &'static tokio::runtime::Runtime {
    &RUNTIME
}

/// Run `f` on the engine runtime and await its result (the caller may be on any executor). A
/// panic inside is re-raised (UniFFI turns it into an internal error); a task cancelled by a
/// runtime shutdown is `TakeupError::Cancelled`.
pub(crate) async fn on_runtime<F>(f: F) -> Result<F::Output, TakeupError>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    match RUNTIME.spawn(f).await {
        Ok(v) => Ok(v),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Err(TakeupError::Cancelled {
            user_message: "the engine stopped".into(),
        }),
    }
}

/// Deliver the current value of `rx`, then every change, to `deliver` on the engine runtime,
/// until `stop` is cancelled or the sender goes away (the listener subscriptions).
pub(crate) fn forward_watch<T: Clone + Send + Sync + 'static>(
    mut rx: tokio::sync::watch::Receiver<T>,
    stop: tokio_util::sync::CancellationToken,
    mut deliver: impl FnMut(T) + Send + 'static,
) {
    RUNTIME.spawn(async move {
        loop {
            let value = rx.borrow_and_update().clone();
            if stop.is_cancelled() {
                break;
            }
            deliver(value);
            tokio::select! {
                _ = stop.cancelled() => break,
                r = rx.changed() => if r.is_err() { break },
            }
        }
    });
}
