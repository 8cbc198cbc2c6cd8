//! `UploadQueue::run_for`, the hook behind the platforms' background-work slots.

mod common;

use std::time::Duration;

use common::*;
use takeup_core::queue::uploader::MIN_PART;
use takeup_core::{Hold, QueueConfig};

fn queue_config(env: &Env) -> QueueConfig {
    QueueConfig {
        part_size: MIN_PART,
        upload_hosts: vec![
            env.emu
                .s3_base_url
                .trim_start_matches("https://")
                .to_string(),
        ],
        ..QueueConfig::default()
    }
}

fn write(dir: &std::path::Path, name: &str, len: usize) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, vec![7u8; len]).unwrap();
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_for_uploads_what_is_queued_and_reports() {
    let env = env().await;
    let e = engine_with_queue(&env, queue_config(&env)).await;

    // Nothing queued: returns at once with nothing to do.
    let r = e.queue().run_for(Duration::from_secs(5)).await;
    assert_eq!(
        (r.uploaded, r.remaining, r.more_work, r.timed_out),
        (0, 0, false, false)
    );

    // Not paired: the run ends early (time cannot fix it) and asks for another run.
    let dir = tempfile::tempdir().unwrap();
    for (i, len) in [6 * 1024 * 1024, 1000].into_iter().enumerate() {
        let p = write(dir.path(), &format!("clip{i}.mov"), len);
        enqueue(&e, &p).await;
    }
    let mut rx = e.queue().watch();
    tokio::time::timeout(Duration::from_secs(10), async {
        while rx.borrow_and_update().totals.queued != 2 {
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("both files queued");
    let started = std::time::Instant::now();
    let r = e.queue().run_for(Duration::from_secs(20)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "{r:?}");
    assert_eq!(
        (r.uploaded, r.remaining, r.more_work),
        (0, 2, true),
        "{r:?}"
    );
    assert_eq!(r.hold, Some(Hold::NotAuthorized), "{r:?}");

    // Paired and connected: both files upload within the run.
    env.pair(&e, true).await.unwrap();
    let r = e.queue().run_for(Duration::from_secs(60)).await;
    assert_eq!(
        (r.uploaded, r.remaining, r.more_work, r.timed_out),
        (2, 0, false, false),
        "{r:?}"
    );

    // Paused by the user: the run ends early and leaves the file queued.
    e.queue().pause();
    let p = write(dir.path(), "clip9.mov", 1000);
    enqueue(&e, &p).await;
    let r = e.queue().run_for(Duration::from_secs(5)).await;
    assert_eq!(
        (r.remaining, &r.hold),
        (1, &Some(Hold::PausedByUser)),
        "{r:?}"
    );

    // Suspended by the OS (its background time ran out): the run ends early too, with the
    // file still queued, and the user's pause is a separate hold that outlives the suspension.
    e.queue().set_suspended(true);
    e.queue().resume();
    let started = std::time::Instant::now();
    let r = e.queue().run_for(Duration::from_secs(30)).await;
    assert!(started.elapsed() < Duration::from_secs(10), "{r:?}");
    assert_eq!(
        (r.remaining, &r.hold, r.timed_out),
        (1, &Some(Hold::Suspended), false),
        "{r:?}"
    );
    assert!(!e.queue().is_paused(), "suspension is not the user's pause");
    e.queue().set_suspended(false);
    let r = e.queue().run_for(Duration::from_secs(60)).await;
    assert_eq!((r.remaining, &r.hold), (0, &None), "{r:?}");
}
