//! A file's driver sleeps while its parts are in flight: counted through its trace events, so
//! this binary holds this one test and its subscriber is the process's.

mod common;

use std::time::Duration;

use common::*;
use takeup_core::queue::uploader::MIN_PART;

/// Counts the driver's per-turn trace events (`planned`, `held`) seen on this thread.
#[derive(Clone, Default)]
struct TurnCounter(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for TurnCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let m = event.metadata();
        if m.target() == "takeup_core::queue::driver" && *m.level() == tracing::Level::TRACE {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    }
}

/// A file's driver waiting on its parts in flight sleeps until something about its asset or
/// the connection changes; engine status changes that are only network samples (every
/// transfer and request adds one) or the network type do not turn it. It used to clone the
/// shared status receiver for every wait, which saw each change since the queue started as
/// new: the driver re-read the journal thousands of times a second for as long as a part was
/// in flight, most of the upload's CPU time (`scripts/bench-upload`).
#[tokio::test]
async fn a_file_waiting_on_its_parts_does_not_turn_on_status_changes() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let turns = TurnCounter::default();
    // The process's subscriber: this file holds this one test, so nothing else is counted (a
    // thread's own subscriber missed events while other tests of a binary ran).
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(turns.clone()))
        .expect("the only subscriber of this test binary");
    let (env, e, dir) = paired_rig(|_| {}).await;
    env.slow_parts(4_000).await;
    let (path, _) = media_file(dir.path(), "waiting.mov", 2 * MIN_PART as usize, 9);
    let id = enqueue(&e, &path).await.id();
    wait_queue(&e, 20, "a part in flight", |s| {
        s.uploading.iter().any(|f| f.id == id)
    })
    .await;
    // Let the driver reach its wait for the stalled parts.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before = turns.0.load(std::sync::atomic::Ordering::Relaxed);
    assert!(before > 0, "the driver's turns are counted");
    for i in 0..10 {
        let t = if i % 2 == 0 {
            takeup_core::ConnectionType::Cellular
        } else {
            takeup_core::ConnectionType::Wifi
        };
        e.set_connection_type(t);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let during = turns.0.load(std::sync::atomic::Ordering::Relaxed) - before;
    // A turn per report or timer at most (the parts stay stalled the whole second).
    assert!(
        during <= 5,
        "{during} driver turns in one second of waiting"
    );
    assert!(e.queue().cancel(id).await.unwrap());
}
