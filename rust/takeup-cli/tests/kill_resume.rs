//! Resume after the process is killed: `takeup run` children are SIGKILLed at several points and
//! restarted; in the end every file is on the emulator exactly once, with the right sha256, and no
//! part was stored more than once more than needed.

#![cfg(target_os = "linux")]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use takeup_emulator::{Emulator, EmulatorConfig, Settings};

const MIB: usize = 1024 * 1024;

/// Join a fresh session keyring: the children inherit it, so a pairing made by one `takeup`
/// process is seen by the next (tokens stay in the kernel keyring, never in a file).
fn join_session_keyring() -> bool {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    let id = unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        )
    };
    id >= 0
}

struct Ctx {
    emu: Emulator,
    ctl: reqwest::Client,
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

    async fn get(&self, path: &str) -> Value {
        self.ctl
            .get(format!("{}{path}", self.emu.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) {
        let r = self
            .ctl
            .post(format!("{}{path}", self.emu.base_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }
}

fn media(dir: &Path, name: &str, len: usize, seed: u8) -> (String, String) {
    let data: Vec<u8> = (0..len)
        .map(|i| ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8 ^ seed)
        .collect();
    std::fs::write(dir.join(name), &data).unwrap();
    (name.to_string(), hex::encode(Sha256::digest(&data)))
}

fn kill(mut child: Child) {
    unsafe {
        libc::kill(child.id() as i32, libc::SIGKILL);
    }
    let _ = child.wait();
}

// Multi-threaded: the emulator serves from worker threads while this thread waits for children
// (and this thread, which joined the keyring, is the one that spawns them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkilled_uploads_resume_without_duplicates() {
    if !join_session_keyring() {
        eprintln!(
            "SKIPPED: the kernel refuses a new session keyring here ({}); the CLI cannot keep a \
             pairing across processes without a keyring",
            std::io::Error::last_os_error()
        );
        return;
    }
    let _ = rustls::crypto::ring::default_provider().install_default();
    let emu = Emulator::start(EmulatorConfig {
        settings: Settings {
            poll_interval_secs: 1,
            ..Default::default()
        },
        seed: 7,
        ..Default::default()
    })
    .await
    .unwrap();
    let ctl = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(emu.ca_pem.as_bytes()).unwrap()])
        .build()
        .unwrap();
    let ctx = Ctx {
        emu,
        ctl,
        state: tempfile::tempdir().unwrap(),
    };

    // Pair through the CLI, approving the code like a user would.
    let mut pair = ctx.takeup(&["pair"]).stdout(Stdio::null()).spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let pending = ctx.get("/_emulator/pending").await;
        if let Some(code) = pending.as_array().and_then(|a| a.first()) {
            ctx.post(
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

    let media_dir = tempfile::tempdir().unwrap();
    let files = [
        media(media_dir.path(), "A004_C001.mov", 23 * MIB + 17, 1),
        media(media_dir.path(), "A004_C002.mov", 17 * MIB, 2),
        media(media_dir.path(), "A004_C003.wav", 9 * MIB + 1, 3),
    ];
    let mut enqueue = ctx.takeup(&["enqueue"]);
    for (name, _) in &files {
        enqueue.arg(media_dir.path().join(name));
    }
    let out = enqueue.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Slow every part down so the kills land mid-upload.
    ctx.post(
        "/_emulator/faults",
        json!({"target": "s3", "probability": 1.0, "action": {"kind": "stall", "ms": 120}}),
    )
    .await;
    let run_args = [
        "run",
        "--no-progress",
        "--max-files",
        "2",
        "--max-parts",
        "2",
        "--part-size-mib",
        "5",
    ];
    // Each run is killed a moment after it stored more bytes (whatever the machine's speed, the
    // kills land mid-upload, at different points of it).
    let received = |v: &Value| -> u64 {
        v.as_array()
            .unwrap()
            .iter()
            .map(|a| a["received_bytes"].as_u64().unwrap_or(0))
            .sum()
    };
    let all_complete = |v: &Value| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["complete"] == true)
            .count()
            == files.len()
    };
    for delay_ms in [0u64, 500, 200, 900, 100] {
        let now = ctx.get("/_emulator/assets").await;
        if all_complete(&now) {
            break;
        }
        let before = received(&now);
        let child = ctx
            .takeup(&run_args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while received(&ctx.get("/_emulator/assets").await) == before && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        kill(child);
    }
    let mid: Value = ctx.get("/_emulator/assets").await;
    assert!(
        mid.as_array()
            .unwrap()
            .iter()
            .any(|a| a["received_bytes"].as_u64().unwrap() > 0),
        "the killed runs made progress"
    );
    let out = ctx.takeup(&run_args).output().unwrap();
    assert!(
        out.status.success(),
        "final run: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let assets: Value = ctx.get("/_emulator/assets").await;
    for (name, sha) in &files {
        let mine: Vec<&Value> = assets
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["name"] == name.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "{name}: exactly one asset, got {mine:#?}");
        let one = ctx
            .get(&format!(
                "/_emulator/assets/{}",
                mine[0]["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(one["complete"], true, "{name}");
        assert_eq!(one["sha256"], sha.as_str(), "{name}: bytes");
        for (n, p) in one["parts"].as_object().unwrap() {
            let c = p["received_count"].as_u64().unwrap();
            assert!((1..=2).contains(&c), "{name} part {n} stored {c} times");
        }
    }
    let status = ctx.takeup(&["status", "--json"]).output().unwrap();
    let s: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(s["totals"]["done"], 3);
    assert_eq!(s["totals"]["files_remaining"], 0);
}
