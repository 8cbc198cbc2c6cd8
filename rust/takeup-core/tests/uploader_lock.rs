//! One uploader per queue: the uploader lock in the state directory. A second engine that would
//! upload from the same queue is refused with a typed error naming the holder; engines that only
//! read or edit the queue (`queue.run = false`: status, enqueue, cancel) work alongside; a stopped
//! engine's lock passes to the next one. (The cross-process case, a SIGKILLed holder included, is
//! in `takeup-cli/tests/uploader_lock.rs`.)

mod common;

use takeup_core::{Error, UploaderHolder};

fn holder_of(r: takeup_core::Result<takeup_core::Engine>) -> UploaderHolder {
    match r {
        Err(Error::QueueInUse(h)) => h,
        Err(e) => panic!("expected QueueInUse, got {e:?}"),
        Ok(_) => panic!("a second uploader started on the same queue"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_uploader_is_refused_and_told_who_holds_the_queue() {
    let env = common::env().await;
    let mut c = env.config();
    c.queue = common::queue_config(&env);
    c.holder_name = Some("first uploader".into());
    let first = takeup_core::Engine::start(c.clone(), env.store.clone())
        .await
        .unwrap();

    c.holder_name = Some("second uploader".into());
    let h = holder_of(takeup_core::Engine::start(c.clone(), env.store.clone()).await);
    assert_eq!(h.pid, Some(std::process::id()));
    assert_eq!(h.name.as_deref(), Some("first uploader"));
    assert!(h.since_ms.is_some());
    let text = Error::QueueInUse(h).to_string();
    assert!(
        text.starts_with("the upload queue is in use by `first uploader` (pid "),
        "{text}"
    );
    assert!(text.contains(" since "), "{text}");

    // Still refused a moment later: the first engine is running, not stopping.
    let h = holder_of(takeup_core::Engine::start(c.clone(), env.store.clone()).await);
    assert_eq!(h.name.as_deref(), Some("first uploader"));

    // Once the first engine is gone, the next one gets the queue (it waits for the first's
    // uploader to stop rather than failing), and names itself from then on.
    drop(first);
    let second = takeup_core::Engine::start(c.clone(), env.store.clone())
        .await
        .expect("the queue is free once the first uploader stopped");
    c.holder_name = Some("third".into());
    let h = holder_of(takeup_core::Engine::start(c.clone(), env.store.clone()).await);
    assert_eq!(h.name.as_deref(), Some("second uploader"));
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shut_down_engine_lets_go_of_the_queue_while_still_referenced() {
    let env = common::env().await;
    let mut c = env.config();
    c.queue = common::queue_config(&env);
    let first = takeup_core::Engine::start(c.clone(), env.store.clone())
        .await
        .unwrap();
    first.shutdown();
    // `first` is still alive (an app may keep the object around): the lock follows its
    // uploader, not the object.
    let second = takeup_core::Engine::start(c.clone(), env.store.clone())
        .await
        .expect("a shut-down engine releases the queue");
    // ... and the new holder is the second engine: a third start is refused.
    assert!(matches!(
        takeup_core::Engine::start(c.clone(), env.store.clone()).await,
        Err(Error::QueueInUse(_))
    ));
    drop(first);
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_enqueue_and_cancel_work_alongside_a_running_uploader() {
    let env = common::env().await;
    let media = tempfile::tempdir().unwrap();
    let uploader = common::paired_with_queue(&env, common::queue_config(&env)).await;
    // Slow the parts so the file is still uploading while the other engine works.
    env.fault(serde_json::json!({
        "target": "s3", "probability": 1.0, "action": {"kind": "stall", "ms": 150}
    }))
    .await;

    // Nothing starts while the other engine edits the queue (a file it cancels must not be
    // mid-upload here: cancelling another process's running upload is not this test's subject).
    uploader.queue().pause();
    // A command-style engine: reads and edits the queue, never uploads.
    let mut c = env.config();
    c.queue = common::queue_config(&env);
    c.queue.run = false;
    let editor = takeup_core::Engine::start(c.clone(), env.store.clone())
        .await
        .expect("a non-uploading engine starts alongside the uploader");
    let (a, sha_a) = common::media_file(media.path(), "LOCK_A.mov", 12 * 1024 * 1024, 1);
    let (b, _) = common::media_file(media.path(), "LOCK_B.mov", 6 * 1024 * 1024, 2);
    let id_a = common::enqueue(&editor, &a).await.id();
    let id_b = common::enqueue(&editor, &b).await.id();
    assert!(editor.queue().cancel(id_b).await.unwrap());
    // The uploader reads the other engine's journal writes (the same SQLite journal).
    uploader.queue().resume();
    let s = common::wait_queue(&uploader, 60, "the enqueued file uploaded", |s| {
        s.completed.iter().any(|f| f.id == id_a)
    })
    .await;
    assert!(s.cancelled.iter().any(|f| f.id == id_b), "{s:#?}");
    let assets = env.get("/_emulator/assets").await;
    let mine: Vec<_> = assets
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["name"] == "LOCK_A.mov")
        .collect();
    assert_eq!(mine.len(), 1, "{assets:#}");
    let one = env
        .get(&format!(
            "/_emulator/assets/{}",
            mine[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(one["sha256"], sha_a.as_str());
    assert!(
        !assets
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"] == "LOCK_B.mov" && x["complete"] == true),
        "the cancelled file was not uploaded"
    );
    // A status read alongside the running uploader (what `takeup status` does) sees it all.
    let reader = takeup_core::Engine::start(c, env.store.clone())
        .await
        .expect("a status engine starts alongside the uploader");
    let s = reader.queue().status();
    assert!(s.completed.iter().any(|f| f.id == id_a), "{s:#?}");
    assert!(s.cancelled.iter().any(|f| f.id == id_b), "{s:#?}");
    drop(reader);
    drop(editor);
    drop(uploader);
}
