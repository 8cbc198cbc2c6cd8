//! `takeup comment` / `takeup trigger` notes survive SIGKILLs of the uploader: one killed after
//! the notes were written but before Frame.io took them, one killed after Frame.io stored them but
//! before the process heard back; in the end each is stored exactly once and the journal says sent.

#![cfg(target_os = "linux")]

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

async fn count(ctx: &Ctx, path: &str) -> usize {
    ctx.get(path).await.as_array().unwrap().len()
}

async fn route_requests(ctx: &Ctx, route: &str) -> u64 {
    ctx.get("/_emulator/stats").await["requests"][route]["requests"]
        .as_u64()
        .unwrap_or(0)
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Add the fault `rule` (when it fires, what it does) for comment and trigger requests alike.
async fn fault_notes(ctx: &Ctx, rule: Value) {
    for path in ["/comments", "/trigger"] {
        let mut rule = rule.clone();
        rule["target"] = json!("api");
        rule["path_ends_with"] = json!(path);
        ctx.post("/_emulator/faults", rule).await;
    }
}

/// `takeup run --keep-running` in the background (until killed), its stderr shown.
fn run_in_background(ctx: &Ctx) -> Child {
    let args = ["run", "--keep-running", "--no-progress"];
    ctx.spawn(&args, Stdio::null(), Stdio::inherit())
}

fn notes_json(ctx: &Ctx) -> Vec<Value> {
    let out = ctx.takeup(&["notes", "--json"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_arrive_once_across_sigkills() {
    let Some(ctx) = Ctx::paired().await else {
        return;
    };
    let file = ctx.media.path().join("A010_C004.mov");
    std::fs::write(&file, vec![7u8; 4000]).unwrap();

    let out = ctx
        .takeup(&[
            "comment",
            file.to_str().unwrap(),
            "circle take",
            "--frame",
            "48",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("waiting"),
        "{}",
        text(&out.stdout)
    );
    // A trigger on channel 0, input 1, at 25 fps, starting at `start`.
    let trigger = |start: &str, more: &[&str]| {
        let mut c = ctx.takeup(&["trigger", "--channel", "0", "--input", "1", "--rate", "25"]);
        c.args(["--start", start]).args(more);
        c
    };
    ok(&mut trigger("01:02:03:04", &["--duration", "00:00:05:00"]));
    // Bad input: a clear error, nothing written.
    let (_, err) = fails(&mut trigger("01:02:03:30", &[]));
    assert!(err.contains("out of range"), "{err}");
    assert_eq!(notes_json(&ctx).len(), 2);

    // Run 1: Frame.io refuses both for now (503); killed once both were tried: nothing stored.
    fault_notes(
        &ctx,
        json!({"probability": 1.0, "action": {"kind": "service_unavailable"}}),
    )
    .await;
    let run = run_in_background(&ctx);
    wait_for("both notes tried", async || {
        route_requests(&ctx, "POST /v2/devices/assets/{id}/comments").await >= 1
            && route_requests(&ctx, "POST /v2/devices/channels/{id}/inputs/{n}/trigger").await >= 1
    })
    .await;
    kill9(run);
    assert_eq!(count(&ctx, "/_emulator/comments").await, 0);
    assert_eq!(count(&ctx, "/_emulator/triggers").await, 0);

    // Run 2: Frame.io stores each but the answer is lost; killed before the resend.
    ctx.ctl
        .delete(format!("{}/_emulator/faults", ctx.emu.base_url))
        .send()
        .await
        .unwrap();
    fault_notes(&ctx, json!({"action": {"kind": "lose_answer"}})).await;
    let run = run_in_background(&ctx);
    wait_for("both notes stored", async || {
        count(&ctx, "/_emulator/comments").await == 1
            && count(&ctx, "/_emulator/triggers").await == 1
    })
    .await;
    kill9(run);
    let notes = notes_json(&ctx);
    assert!(
        notes.iter().all(|n| n["state"] == "waiting"),
        "killed before hearing back: {notes:#?}"
    );

    // Run 3: to the end. Each resend carries the note's key: stored once.
    let out = ctx.takeup(&["run", "--no-progress"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let notes = notes_json(&ctx);
    assert!(notes.iter().all(|n| n["state"] == "sent"), "{notes:#?}");
    let comments = ctx.get("/_emulator/comments").await;
    assert_eq!(comments.as_array().unwrap().len(), 1, "{comments:#?}");
    assert_eq!(comments[0]["text"], "circle take");
    assert_eq!(comments[0]["timestamp"], 48.0);
    let triggers = ctx.get("/_emulator/triggers").await;
    assert_eq!(triggers.as_array().unwrap().len(), 1, "{triggers:#?}");
    assert_eq!(triggers[0]["start"]["smpte_timecode"], "01:02:03:04");

    let out = ctx.takeup(&["channels"]).output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("Channel 0"),
        "{}",
        text(&out.stdout)
    );
}
