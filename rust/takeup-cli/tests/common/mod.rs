//! Helpers for the CLI suites: an in-process emulator, a state directory, and `takeup` children
//! pointed at both.
#![allow(dead_code)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use takeup_emulator::{Emulator, EmulatorConfig, Settings};

/// Join a fresh session keyring: the children inherit it, so a pairing made by one `takeup`
/// process is seen by the next. False when the kernel refuses (the caller skips).
pub fn join_session_keyring() -> bool {
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

pub struct Ctx {
    pub emu: Emulator,
    pub ctl: reqwest::Client,
    pub state: tempfile::TempDir,
}

impl Ctx {
    pub async fn new() -> Ctx {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let emu = Emulator::start(EmulatorConfig {
            settings: Settings {
                poll_interval_secs: 1,
                rate_limit_per_sec: None,
                ..Default::default()
            },
            ..Default::default()
        })
        .await
        .unwrap();
        let ctl = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(emu.ca_pem.as_bytes()).unwrap()])
            .build()
            .unwrap();
        Ctx {
            emu,
            ctl,
            state: tempfile::tempdir().unwrap(),
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

    pub async fn get(&self, path: &str) -> Value {
        self.ctl
            .get(format!("{}{path}", self.emu.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .ctl
            .post(format!("{}{path}", self.emu.base_url))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
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

/// Output of a finished child as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
