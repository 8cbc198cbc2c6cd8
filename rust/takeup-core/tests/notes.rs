//! Take logging against the emulator in strict mode: comments and triggers written offline (or
//! before their file's upload starts) arrive once; a lost answer does not duplicate them; pause
//! applies per channel, locally and on the server.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use takeup_core::{Engine, EnqueueOptions, FrameRate, NoteState, QueueMode};

async fn wait_notes(e: &Engine, what: &str, pred: impl Fn(&[takeup_core::Note]) -> bool) {
    let r = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let notes = e.notes(None, 100).await.unwrap();
            if pred(&notes) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    if r.is_err() {
        panic!(
            "timed out waiting for {what}: {:#?}",
            e.notes(None, 100).await.unwrap()
        );
    }
}

fn all_sent(notes: &[takeup_core::Note]) -> bool {
    notes.iter().all(|n| n.state == NoteState::Sent)
}

async fn comments(env: &Env) -> Vec<Value> {
    env.list("/_emulator/comments").await
}

async fn triggers(env: &Env) -> Vec<Value> {
    env.list("/_emulator/triggers").await
}

#[tokio::test]
async fn notes_written_offline_arrive_once_when_the_network_returns() {
    let (env, e, media) = paired_rig(|_| {}).await;
    let (p, sha) = media_file(media.path(), "A001_C001.mov", 3000, 1);
    e.set_network_available(false);
    let id = enqueue(&e, &p).await.id();
    let c = e
        .add_comment(id, "circle take".into(), Some(12))
        .await
        .unwrap();
    assert_eq!(c.state, NoteState::Waiting);
    assert_eq!(c.file_name.as_deref(), Some("A001_C001.mov"));
    e.add_trigger(
        0,
        1,
        Some("01:00:10:05".into()),
        Some("00:00:02:00".into()),
        FrameRate { num: 25, den: 1 },
    )
    .await
    .unwrap();
    // Bad input is refused with a typed error and writes nothing.
    assert!(e.add_comment(id, "  ".into(), None).await.is_err());
    assert!(e.add_comment(id + 99, "x".into(), None).await.is_err());
    assert!(
        e.add_trigger(
            0,
            1,
            Some("01:00:00:25".into()),
            None,
            FrameRate { num: 25, den: 1 }
        )
        .await
        .is_err()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(comments(&env).await.is_empty(), "nothing sent offline");
    assert!(triggers(&env).await.is_empty(), "nothing sent offline");
    let notes = e.notes(None, 10).await.unwrap();
    assert_eq!(notes.len(), 2);
    assert!(
        notes
            .iter()
            .all(|n| n.state == NoteState::Waiting && n.attempts == 0)
    );

    e.set_network_available(true);
    wait_notes(&e, "both notes sent", all_sent).await;
    let asset = assert_uploaded_once(&env, "A001_C001.mov", &sha, 1).await;
    let cs = comments(&env).await;
    assert_eq!(cs.len(), 1, "{cs:#?}");
    assert_eq!(cs[0]["text"], "circle take");
    assert_eq!(cs[0]["timestamp"], 12.0);
    assert_eq!(cs[0]["asset_id"], asset["id"]);
    let ts = triggers(&env).await;
    assert_eq!(ts.len(), 1, "{ts:#?}");
    assert_eq!(ts[0]["input_index"], 1);
    assert_eq!(ts[0]["external_index"], 0);
    assert_eq!(ts[0]["start"]["smpte_timecode"], "01:00:10:05");
    assert_eq!(ts[0]["start"]["rate"]["playback"], json!([25, 1]));
    // Written 1.5 s or more before it was sent: the offset says so.
    assert!(ts[0]["offset"].as_i64().unwrap() >= 1, "{ts:#?}");
    // Nothing more goes later.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(comments(&env).await.len(), 1);
    assert_eq!(triggers(&env).await.len(), 1);
}

#[tokio::test]
async fn a_comment_waits_for_its_upload_and_a_lost_answer_does_not_duplicate_it() {
    let (env, e, media) = paired_rig(|q| q.mode = QueueMode::Manual).await;
    let (p, _) = media_file(media.path(), "B002.mov", 3000, 2);
    let id = enqueue(&e, &p).await.id();
    e.add_comment(id, "boom in shot".into(), None)
        .await
        .unwrap();
    // Held for selection: no asset, so the comment waits (and is not even tried).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(comments(&env).await.is_empty());
    assert_eq!(e.notes(None, 10).await.unwrap()[0].attempts, 0);

    // The first comment request is handled but its answer is lost.
    env.fault(
        json!({"target": "api", "path_ends_with": "/comments", "action": {"kind": "lose_answer"}}),
    )
    .await;
    e.queue().select(vec![id]).await.unwrap();
    wait_notes(&e, "the comment sent", all_sent).await;
    let notes = e.notes(None, 10).await.unwrap();
    assert_eq!(notes[0].attempts, 2, "sent again after the lost answer");
    let cs = comments(&env).await;
    assert_eq!(cs.len(), 1, "stored once: {cs:#?}");
    assert_eq!(cs[0]["text"], "boom in shot");
}

#[tokio::test]
async fn a_refused_note_fails_with_the_reason_and_others_go_on() {
    let (env, e, _media) = paired_rig(|_| {}).await;
    // Channel 7 does not exist on this device.
    let bad = e
        .add_trigger(7, 0, None, None, FrameRate::default())
        .await
        .unwrap();
    let good = e
        .add_trigger(0, 0, None, None, FrameRate::default())
        .await
        .unwrap();
    wait_notes(&e, "one sent, one failed", |n| {
        n.iter().all(|n| n.state != NoteState::Waiting)
    })
    .await;
    let notes = e.notes(None, 10).await.unwrap();
    let find = |id| notes.iter().find(|n| n.id == id).unwrap();
    assert_eq!(find(good.id).state, NoteState::Sent);
    assert_eq!(find(bad.id).state, NoteState::Failed);
    assert!(
        find(bad.id)
            .last_error
            .as_deref()
            .unwrap()
            .contains("channel 7")
    );
    assert_eq!(triggers(&env).await.len(), 1);
}

#[tokio::test]
async fn pause_applies_per_channel() {
    let (env, e, media) = paired_rig(|_| {}).await;
    let ch = e
        .create_channel(Some("recorder-track-2".into()))
        .await
        .unwrap();
    assert_eq!(ch.index, 1);
    let list = e.channels().await.unwrap();
    assert_eq!(list.iter().map(|c| c.index).collect::<Vec<_>>(), [0, 1]);

    // Locally paused channel: its file waits, channel 0 goes on.
    e.set_channel_paused(1, true).await.unwrap();
    assert!(e.channels().await.unwrap()[1].paused);
    let (lane1, sha1) = media_file(media.path(), "T2_001.wav", 3000, 3);
    let (lane0, sha0) = media_file(media.path(), "A003.mov", 3000, 4);
    let on = |channel| EnqueueOptions {
        channel,
        ..Default::default()
    };
    e.queue().enqueue(&lane1, on(1)).await.unwrap();
    e.queue().enqueue(&lane0, on(0)).await.unwrap();
    wait_queue(&e, 30, "channel 0 done", |s| s.totals.done == 1).await;
    assert_uploaded_once(&env, "A003.mov", &sha0, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        env.assets_named("T2_001.wav").await.is_empty(),
        "paused channel waits"
    );
    assert_eq!(e.queue().status().totals.queued, 1);
    e.set_channel_paused(1, false).await.unwrap();
    wait_queue(&e, 30, "channel 1 done", |s| s.totals.done == 2).await;
    let a = assert_uploaded_once(&env, "T2_001.wav", &sha1, 1).await;
    assert_eq!(a["channel"], 1);

    // Paused on the server: media of channel 1 made now is skipped; channel 0 uploads.
    env.post("/_emulator/device/pause", json!({"channel": 1}))
        .await;
    let (late1, _) = media_file(media.path(), "T2_002.wav", 3000, 5);
    let (late0, sha) = media_file(media.path(), "A004.mov", 3000, 6);
    e.queue().enqueue(&late1, on(1)).await.unwrap();
    e.queue().enqueue(&late0, on(0)).await.unwrap();
    let s = wait_queue(&e, 30, "one done, one skipped", |s| {
        s.totals.done == 3 && s.totals.skipped == 1
    })
    .await;
    assert!(s.failed.iter().any(|f| f.name == "T2_002.wav"), "{s:#?}");
    assert_uploaded_once(&env, "A004.mov", &sha, 1).await;

    e.disconnect_channel(1).await.unwrap();
    assert_eq!(e.channels().await.unwrap().len(), 1);
}

/// Wait (up to 30 s) for a view of the take log satisfying `pred`.
async fn until_log(
    rx: &mut tokio::sync::watch::Receiver<takeup_core::ui::AppView>,
    what: &str,
    pred: impl Fn(&takeup_core::ui::TakeLogView) -> bool,
) -> takeup_core::ui::TakeLogView {
    let r = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let v = rx.borrow_and_update().take_log.clone();
            if pred(&v) {
                return v;
            }
            rx.changed().await.unwrap();
        }
    })
    .await;
    r.unwrap_or_else(|_| panic!("timed out waiting for {what}: {:#?}", rx.borrow().take_log))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_take_log_screen_logs_a_take_before_its_upload_and_shows_it_sent() {
    use takeup_core::ui::{UiAction, ViewModel};
    let env = env().await;
    let e = std::sync::Arc::new(paired_with_queue(&env, queue_config(&env)).await);
    e.queue().set_mode(QueueMode::Manual).await.unwrap();
    let media = tempfile::tempdir().unwrap();
    let (p, sha) = media_file(media.path(), "A001_C007.mov", 3000, 7);
    let id = enqueue(&e, &p).await.id();
    let vm = ViewModel::new(e.clone());
    let mut rx = vm.watch();
    let clip = |v: &takeup_core::ui::TakeLogView| v.clips.iter().find(|c| c.file_id == id).cloned();
    let log = until_log(&mut rx, "the clip", |v| clip(v).is_some()).await;
    let c = clip(&log).unwrap();
    assert_eq!(
        (c.clip.as_str(), c.title.as_str()),
        ("A001_C007.mov", "Not logged")
    );
    assert_eq!(log.summary, "No notes yet");

    // Logged while the clip waits for the user's selection: the notes wait for its upload.
    vm.dispatch(UiAction::LogTake {
        file_id: id,
        scene: "12A".into(),
        take: "3".into(),
        circled: false,
    });
    vm.dispatch(UiAction::ToggleCircle { file_id: id });
    vm.dispatch(UiAction::AddNote {
        file_id: id,
        text: "boom in frame at the end".into(),
        frame: Some(240),
    });
    let log = until_log(&mut rx, "three waiting notes", |v| {
        clip(v).is_some_and(|c| c.notes.len() == 3 && c.circled)
    })
    .await;
    let c = clip(&log).unwrap();
    assert_eq!(c.title, "Scene 12A · Take 3");
    assert_eq!(c.detail, "3 notes · 3 waiting");
    assert_eq!(log.summary, "3 notes waiting to send");
    assert!(
        c.notes
            .iter()
            .all(|n| n.state == NoteState::Waiting
                && n.detail == "Waits for the clip's upload to start"),
        "{c:#?}"
    );
    // Newest first: the note, the circle, the slate.
    let texts: Vec<&str> = c.notes.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "boom in frame at the end",
            "Scene 12A · Take 3 · Circle take",
            "Scene 12A · Take 3"
        ]
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        comments(&env).await.is_empty(),
        "nothing before the asset exists"
    );

    // The user selects the clip: it uploads, then the notes go, once each, in order.
    e.queue().select(vec![id]).await.unwrap();
    let log = until_log(&mut rx, "all sent", |v| {
        v.waiting == 0 && clip(v).is_some_and(|c| c.notes.len() == 3)
    })
    .await;
    assert_eq!(log.summary, "All notes sent");
    let c = clip(&log).unwrap();
    assert_eq!(c.detail, "3 notes");
    assert!(c.notes.iter().all(|n| n.detail == "Sent"), "{c:#?}");
    let asset = assert_uploaded_once(&env, "A001_C007.mov", &sha, 1).await;
    let cs = comments(&env).await;
    let sent: Vec<&str> = cs.iter().map(|c| c["text"].as_str().unwrap()).collect();
    assert_eq!(
        sent,
        [
            "Scene 12A · Take 3",
            "Scene 12A · Take 3 · Circle take",
            "boom in frame at the end"
        ]
    );
    assert!(cs.iter().all(|c| c["asset_id"] == asset["id"]));
    assert_eq!(cs[2]["timestamp"], 240.0);

    // A bad mark is refused with the reason as the alert, and writes nothing.
    vm.dispatch(UiAction::LogTake {
        file_id: id,
        scene: "x".repeat(40),
        take: "1".into(),
        circled: false,
    });
    let r = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(a) = rx.borrow_and_update().alert.clone() {
                return a;
            }
            rx.changed().await.unwrap();
        }
    })
    .await
    .expect("an alert");
    assert!(r.contains("at most 32 characters"), "{r}");
    assert_eq!(e.notes(Some(id), 10).await.unwrap().len(), 3);
}
