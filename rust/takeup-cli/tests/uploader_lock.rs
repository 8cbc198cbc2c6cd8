//! One uploader per queue across processes: a second `takeup run` on the same state directory is
//! refused with a message naming the first (command and pid); `status`, `enqueue` and `cancel`
//! work alongside; once the first is SIGKILLed (the OS drops its file lock) the queue is free.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use takeup_emulator::{Emulator, EmulatorConfig};

struct Ctx {
    emu: Emulator,
    state: tempfile::TempDir,
}

impl Ctx {
    fn takeup(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_takeup"));
        c.args(args)
            .env("TAKEUP_STATE_DIR", self.state.path())
            .env("TAKEUP_API_BASE", &self.emu.base_url)
            .env("TAKEUP_CLIENT_SECRET", &self.emu.client_secret)
            .env("TAKEUP_CA_FILE", &self.emu.ca_path)
            .env(
                "TAKEUP_UPLOAD_HOSTS",
                self.emu.s3_base_url.trim_start_matches("https://"),
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null());
        c
    }
}

fn kill9(mut child: Child) {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let _ = child.wait();
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
    let _ = rustls::crypto::ring::default_provider().install_default();
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let ctx = Ctx {
        emu,
        state: tempfile::tempdir().unwrap(),
    };
    let media = tempfile::tempdir().unwrap();
    std::fs::write(media.path().join("clip.mov"), vec![7u8; 4096]).unwrap();

    // The first uploader keeps running (not paired: it waits for a pairing, holding the queue).
    let first = ctx
        .takeup(&["run", "--keep-running", "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let holder = wait_for_holder(ctx.state.path(), first.id());
    assert_eq!(holder["name"], "takeup run");

    // A second uploader is refused at once, with a message naming the first.
    let out = ctx.takeup(&["run", "--no-progress"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a second run started: {err}");
    assert!(
        err.contains(&format!(
            "the upload queue is in use by `takeup run` (pid {})",
            first.id()
        )),
        "{err}"
    );
    let out = ctx
        .takeup(&["watch", media.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("in use by `takeup run`"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Commands that only read or edit the queue work alongside.
    let out = ctx
        .takeup(&["enqueue", media.path().join("clip.mov").to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "enqueue: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = ctx.takeup(&["status", "--json"]).output().unwrap();
    assert!(
        out.status.success(),
        "status: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["totals"]["files_remaining"], 1, "{s:#}");
    let out = ctx.takeup(&["cancel", "--all"]).output().unwrap();
    assert!(
        out.status.success(),
        "cancel: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    // SIGKILL: no cleanup runs, the holder file stays behind, yet the OS released the lock.
    kill9(first);
    assert!(ctx.state.path().join("uploader.json").exists());
    let second = ctx
        .takeup(&["run", "--keep-running", "--no-progress"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let holder = wait_for_holder(ctx.state.path(), second.id());
    assert_eq!(holder["name"], "takeup run");
    kill9(second);
}
