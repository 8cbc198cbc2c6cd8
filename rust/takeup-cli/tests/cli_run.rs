//! `takeup run`, `status` and `whoami` against a paired state directory: exit statuses (files
//! that failed: 1; Ctrl-C: 130), no false "on hold: not paired" at start, and names and server
//! text printed with their control characters escaped.

#![cfg(target_os = "linux")]

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Ctx, ok, text};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_queue_is_not_reported_on_hold_at_start() {
    let Some(ctx) = Ctx::paired().await else {
        return;
    };

    let s: Value = serde_json::from_str(&ok(&mut ctx.takeup(&["status", "--json"]))).unwrap();
    assert_eq!(s["hold"], Value::Null, "paired and connected: {s:#}");
    let out = ctx.takeup(&["status"]).output().unwrap();
    assert!(
        !text(&out.stdout).contains("on hold"),
        "{}",
        text(&out.stdout)
    );

    ctx.enqueue_new("A.mov", vec![1u8; 2048]);
    let out = ctx.takeup(&["run", "--no-progress"]).output().unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        !err.contains("on hold"),
        "a paired run started on hold: {err}"
    );
    assert!(err.contains("uploaded  #1 A.mov"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_exits_1_when_files_failed_and_130_on_ctrl_c() {
    let Some(ctx) = Ctx::paired().await else {
        return;
    };
    // Refused at creation (400): parked at once.
    ctx.post(
        "/_emulator/poison",
        json!({"name": "BAD.mov", "mode": "reject_create"}),
    )
    .await;
    for (name, len) in [("BAD.mov", 1000usize), ("GOOD.mov", 3000)] {
        ctx.enqueue_new(name, vec![9u8; len]);
    }
    let out = ctx.takeup(&["run", "--no-progress"]).output().unwrap();
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 uploaded, 1 failed"), "{stdout}");
    assert!(
        stderr.contains("error: 1 file(s) not uploaded (1 failed"),
        "{stderr}"
    );

    // Ctrl-C while a file is uploading: the run stops with 130.
    ctx.takeup(&["cancel", "--all"]).output().unwrap();
    let big: Vec<u8> = (0..12 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    ctx.enqueue_new("BIG.mov", big);
    ctx.post(
        "/_emulator/faults",
        json!({"target": "s3", "probability": 1.0, "action": {"kind": "stall", "ms": 2000}}),
    )
    .await;
    let args = ["run", "--no-progress", "--part-size-mib", "5"];
    let child = ctx.spawn(&args, Stdio::null(), Stdio::piped());
    // Uploading (the asset exists on the server): the run is following the queue by now.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let assets = ctx.get("/_emulator/assets").await;
        if assets
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "BIG.mov")
        {
            break;
        }
        assert!(Instant::now() < deadline, "the upload never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("stopping; unfinished uploads resume"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_and_server_text_are_printed_with_control_characters_escaped() {
    let Some(ctx) = Ctx::paired().await else {
        return;
    };
    // A project name from the server with an escape sequence and a bell in it.
    let world = ctx.get("/_emulator/world").await;
    let project = world["accounts"][0]["projects"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ctx.post(
        &format!("/_emulator/projects/{project}/rename"),
        json!({"name": "Testbed\u{1b}[2J\u{7}"}),
    )
    .await;
    let stdout = ok(&mut ctx.takeup(&["whoami"]));
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains("Project: Testbed\\u{1b}[2J\\u{7}"),
        "{stdout}"
    );

    // A file whose name carries a terminal title sequence, a clear-screen and a newline.
    let name = "take\u{1b}]0;pwned\u{7}\u{1b}[2J\nfake line.mov";
    std::fs::write(ctx.media.path().join(name), vec![3u8; 1500]).unwrap();
    let escaped = "take\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\nfake line.mov";
    let stdout = ok(&mut ctx.takeup(&["enqueue", &ctx.media_arg(name)]));
    assert!(stdout.contains(escaped), "{stdout:?}");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    let out = ctx.takeup(&["status"]).output().unwrap();
    let stdout = text(&out.stdout);
    assert!(stdout.contains(escaped), "{stdout:?}");
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    let out = ctx.takeup(&["run", "--no-progress"]).output().unwrap();
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("uploaded  #1 {escaped}")),
        "{stderr:?}"
    );
    assert!(
        !stderr.contains('\u{1b}') && !stderr.contains('\u{7}'),
        "{stderr:?}"
    );
    // The name itself reached Frame.io unchanged.
    let assets = ctx.get("/_emulator/assets").await;
    assert!(
        assets.as_array().unwrap().iter().any(|a| a["name"] == name),
        "{assets:#}"
    );
}
