//! One uploader per queue across processes: a second `takeup run` on the same state directory is
//! refused with a message naming the first (command and pid); `status`, `enqueue` and `cancel`
//! work alongside; once the first is SIGKILLed (the OS drops its file lock) the queue is free.

#![cfg(target_os = "linux")]

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Ctx, fails, kill9, ok};
use takeup_emulator::EmulatorConfig;

/// `takeup run --keep-running` in the background (it holds the queue until killed).
fn run_in_background(ctx: &Ctx) -> std::process::Child {
    let args = ["run", "--keep-running", "--no-progress"];
    ctx.spawn(&args, Stdio::null(), Stdio::null())
}

/// Wait until the holder file names `pid` (the child has taken the lock).
fn wait_for_holder(state: &Path, pid: u32) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(bytes) = std::fs::read(state.join("uploader.json"))
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
            && v["pid"] == pid
        {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "the uploader never took the lock"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_is_refused_until_the_first_is_killed() {
    let ctx = Ctx::start(EmulatorConfig::default()).await;
    std::fs::write(ctx.media.path().join("clip.mov"), vec![7u8; 4096]).unwrap();

    // The first uploader keeps running (not paired: it waits for a pairing, holding the queue).
    let first = run_in_background(&ctx);
    let holder = wait_for_holder(ctx.state.path(), first.id());
    assert_eq!(holder["name"], "takeup run");

    // A second uploader is refused at once, with a message naming the first.
    let (_, err) = fails(&mut ctx.takeup(&["run", "--no-progress"]));
    assert!(
        err.contains(&format!(
            "the upload queue is in use by `takeup run` (pid {})",
            first.id()
        )),
        "{err}"
    );
    let (_, err) = fails(&mut ctx.takeup(&["watch", ctx.media.path().to_str().unwrap()]));
    assert!(err.contains("in use by `takeup run`"), "{err}");

    // Commands that only read or edit the queue work alongside.
    ok(&mut ctx.takeup(&["enqueue", &ctx.media_arg("clip.mov")]));
    let s: serde_json::Value =
        serde_json::from_str(&ok(&mut ctx.takeup(&["status", "--json"]))).unwrap();
    assert_eq!(s["totals"]["files_remaining"], 1, "{s:#}");
    ok(&mut ctx.takeup(&["cancel", "--all"]));

    // SIGKILL: no cleanup runs, the holder file stays behind, yet the OS released the lock.
    kill9(first);
    assert!(ctx.state.path().join("uploader.json").exists());
    let second = run_in_background(&ctx);
    let holder = wait_for_holder(ctx.state.path(), second.id());
    assert_eq!(holder["name"], "takeup run");
    kill9(second);
}
