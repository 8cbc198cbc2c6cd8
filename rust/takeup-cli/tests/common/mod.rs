//! Helpers for the CLI suites: an in-process emulator, a state directory, and `takeup` children
//! pointed at both.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use takeup_emulator::{Emulator, EmulatorConfig, Settings};

#[path = "../../../takeup-core/tests/common/control.rs"]
mod control;
#[path = "../../../takeup-core/tests/common/keyring.rs"]
mod keyring;
#[allow(unused_imports)]
pub use control::{control_client, get_json, get_text, post_json};
#[allow(unused_imports)]
pub use keyring::{join_session_keyring, skip_without_keyring};

pub struct Ctx {
    pub emu: Emulator,
    pub ctl: reqwest::Client,
    pub state: tempfile::TempDir,
    /// A folder for the test's media files, apart from the state directory.
    pub media: tempfile::TempDir,
}

impl Ctx {
    /// An emulator polling every second, without the API rate limit.
    pub async fn new() -> Ctx {
        Ctx::start(EmulatorConfig {
            settings: Settings {
                poll_interval_secs: 1,
                rate_limit_per_sec: None,
                ..Default::default()
            },
            ..Default::default()
        })
        .await
    }

    /// A context paired through `takeup pair`, in a fresh session keyring the children share;
    /// `None` (the test is skipped, saying why) where no keyring can be joined.
    pub async fn paired() -> Option<Ctx> {
        if skip_without_keyring() {
            return None;
        }
        let ctx = Ctx::new().await;
        ctx.pair().await;
        Some(ctx)
    }

    pub async fn start(config: EmulatorConfig) -> Ctx {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let emu = Emulator::start(config).await.unwrap();
        let ctl = control_client(emu.ca_pem.as_bytes());
        Ctx {
            emu,
            ctl,
            state: tempfile::tempdir().unwrap(),
            media: tempfile::tempdir().unwrap(),
        }
    }

    /// `takeup ARGS` against the emulator and this state directory.
    pub fn takeup(&self, args: &[&str]) -> Command {
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
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LIB_BACKTRACE")
            .stdin(Stdio::null());
        c
    }

    /// `takeup ARGS` started in the background with this stdout and stderr.
    pub fn spawn(&self, args: &[&str], stdout: Stdio, stderr: Stdio) -> Child {
        let mut c = self.takeup(args);
        c.stdout(stdout).stderr(stderr).spawn().unwrap()
    }

    /// The path of `name` in the media folder, as an argument.
    pub fn media_arg(&self, name: &str) -> String {
        self.media.path().join(name).to_str().unwrap().to_string()
    }

    /// Write `bytes` as `name` in the media folder and `takeup enqueue` it.
    pub fn enqueue_new(&self, name: &str, bytes: Vec<u8>) {
        std::fs::write(self.media.path().join(name), bytes).unwrap();
        ok(&mut self.takeup(&["enqueue", &self.media_arg(name)]));
    }

    pub async fn get(&self, path: &str) -> Value {
        get_json(&self.ctl, format!("{}{path}", self.emu.base_url)).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        post_json(&self.ctl, format!("{}{path}", self.emu.base_url), body).await
    }

    /// Pair through `takeup pair`, approving the code like a user would (connected to the first
    /// project).
    pub async fn pair(&self) {
        let mut pair = self
            .takeup(&["pair"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let pending = self.get("/_emulator/pending").await;
            if let Some(code) = pending.as_array().and_then(|a| a.first()) {
                self.post(
                    "/_emulator/approve",
                    json!({"user_code": code["user_code"]}),
                )
                .await;
                break;
            }
            assert!(Instant::now() < deadline, "no pairing code appeared");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(pair.wait().unwrap().success(), "takeup pair");
    }
}

/// SIGKILL a child and reap it.
pub fn kill9(mut child: Child) {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let _ = child.wait();
}

/// Send SIGINT (Ctrl-C) to a child.
pub fn interrupt(child: &Child) {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
}

/// Wait up to `secs` for a child to exit.
pub fn wait_exit(child: &mut Child, secs: u64) -> ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "the child did not exit in {secs} s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Run a command to its end; asserts it succeeded and returns its stdout.
pub fn ok(c: &mut Command) -> String {
    let out = c.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{c:?}: {}\n{}",
        out.status,
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Run a command to its end; asserts it failed and returns its exit status and stderr.
pub fn fails(c: &mut Command) -> (ExitStatus, String) {
    let out = c.stdin(Stdio::null()).output().unwrap();
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{c:?} succeeded: {err}");
    (out.status, err)
}

/// A `takeup emulator` child process and what it printed about itself.
pub struct Standalone {
    pub child: Child,
    pub info: Value,
    pub ctl: reqwest::Client,
    pub data: tempfile::TempDir,
}

impl Drop for Standalone {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Standalone {
    /// `takeup emulator --listen 127.0.0.1:0 --json --data DIR`, once it printed its JSON line.
    pub fn start() -> Standalone {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_takeup"))
            .args(["emulator", "--listen", "127.0.0.1:0", "--json", "--data"])
            .arg(data.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("takeup starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let info: Value = serde_json::from_str(&line).expect("one JSON line");
        let ca = std::fs::read(info["ca_path"].as_str().unwrap()).unwrap();
        let ctl = control_client(&ca);
        Standalone {
            child,
            info,
            ctl,
            data,
        }
    }

    /// A string field of the JSON line (`base_url`, `ca_path`, ...).
    pub fn s(&self, k: &str) -> String {
        self.info[k].as_str().unwrap().to_string()
    }
}

/// Write a media file of `len` bytes (a pattern that depends on `seed`) into `dir`; its name and
/// sha256.
pub fn media(dir: &std::path::Path, name: &str, len: usize, seed: u8) -> (String, String) {
    use sha2::{Digest, Sha256};
    let data: Vec<u8> = (0..len)
        .map(|i| ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8 ^ seed)
        .collect();
    std::fs::write(dir.join(name), &data).unwrap();
    (name.to_string(), hex::encode(Sha256::digest(&data)))
}

/// Output of a finished child as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
