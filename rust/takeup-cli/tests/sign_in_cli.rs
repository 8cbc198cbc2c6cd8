//! `takeup sign-in` against a standalone `takeup emulator`: the browser's redirect arrives on the
//! loopback listener (or is pasted on stdin), the tokens land in the keyring so the next commands
//! (`whoami`, `accounts`, `connect`) use them, and Ctrl-C cancels leaving nothing stored.

#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{ChildStdout, Command, Stdio};

use common::{Standalone, interrupt, join_session_keyring, wait_exit};
use serde_json::{Value, json};

/// The app sign-in flow's commands against a standalone emulator.
trait SignIn {
    fn takeup(&self, state: &std::path::Path, args: &[&str]) -> Command;
    async fn approve(&self, url: &str) -> String;
}

impl SignIn for Standalone {
    fn takeup(&self, state: &std::path::Path, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_takeup"));
        c.args(args)
            .env("TAKEUP_STATE_DIR", state)
            .env("TAKEUP_API_BASE", self.s("base_url"))
            .env("TAKEUP_CA_FILE", self.s("ca_path"))
            .env("TAKEUP_APP_CLIENT_ID", self.s("app_client_id"))
            .env("TAKEUP_APPLICATIONS_BASE", self.s("applications_base_url"))
            .env_remove("TAKEUP_CLIENT_SECRET")
            .env("RUST_LOG", "warn");
        c
    }

    async fn approve(&self, url: &str) -> String {
        let r = self
            .ctl
            .post(format!("{}/_emulator/oauth/approve", self.s("base_url")))
            .json(&json!({ "url": url }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let v: Value = r.json().await.unwrap();
        v["redirect"].as_str().unwrap().to_string()
    }
}

/// Read stdout until the authorization URL line; returns it.
fn authorization_url(out: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    loop {
        line.clear();
        assert!(out.read_line(&mut line).unwrap() > 0, "no URL printed");
        let t = line.trim();
        if t.starts_with("https://") && t.contains("/oauth2/auth?") {
            return t.to_string();
        }
    }
}

fn output(c: &mut Command) -> (bool, String, String) {
    let o = c.stdin(Stdio::null()).output().unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_the_loopback_redirect_a_pasted_one_and_ctrl_c() {
    if !join_session_keyring() {
        eprintln!("SKIPPED: no session keyring here; the CLI cannot keep tokens across commands");
        return;
    }
    let emu = Standalone::start();
    let state = tempfile::tempdir().unwrap();

    // 1. The browser comes back to the loopback listener.
    let mut child = emu
        .takeup(state.path(), &["sign-in"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let url = authorization_url(&mut out);
    let redirect = emu.approve(&url).await;
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.contains("/callback?code="),
        "{redirect}"
    );
    let page = reqwest::get(&redirect).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("signed in"));
    let status = wait_exit(&mut child, 20);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(status.success(), "{status}: {rest}");
    assert!(rest.contains("Signed in."), "{rest}");
    assert!(
        rest.contains("Dana Reyes <dana.reyes@example.com>"),
        "{rest}"
    );

    // The next commands use the account sign-in: accounts and connect work.
    let (ok, accounts, err) = output(&mut emu.takeup(state.path(), &["accounts"]));
    assert!(ok, "{err}");
    let northlight = accounts
        .lines()
        .find(|l| l.contains("Northlight Pictures"))
        .expect("the emulator's first account")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let (ok, projects, err) = output(&mut emu.takeup(
        state.path(),
        &["projects", &northlight, "--search", "testbed"],
    ));
    assert!(ok, "{err}");
    let project = projects.split_whitespace().next().unwrap().to_string();
    let (ok, connected, err) = output(&mut emu.takeup(state.path(), &["connect", &project]));
    assert!(ok, "{err}");
    assert!(connected.contains("Project: Testbed"), "{connected}");
    let (ok, who, err) = output(&mut emu.takeup(state.path(), &["whoami"]));
    assert!(ok, "{err}");
    assert!(who.contains("with a Frame.io account"), "{who}");
    let (ok, _, err) = output(&mut emu.takeup(state.path(), &["sign-out"]));
    assert!(ok, "{err}");

    // 2. Pasted: no listener, the address the browser ended up on typed on stdin.
    let mut child = emu
        .takeup(state.path(), &["sign-in", "--no-listen"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let url = authorization_url(&mut out);
    let redirect = emu.approve(&url).await;
    assert!(
        redirect.starts_with("http://127.0.0.1/callback?"),
        "{redirect}"
    );
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "not the right address").unwrap();
    writeln!(stdin, "{redirect}").unwrap();
    let status = wait_exit(&mut child, 20);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(status.success(), "{status}: {rest}");
    assert!(rest.contains("Signed in."), "{rest}");
    drop(stdin);
    let (ok, _, err) = output(&mut emu.takeup(state.path(), &["sign-out"]));
    assert!(ok, "{err}");

    // 3. Ctrl-C while waiting: cancelled, nothing stored.
    let mut child = emu
        .takeup(state.path(), &["sign-in"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    authorization_url(&mut out);
    interrupt(&child);
    let status = wait_exit(&mut child, 10);
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("cancelled"), "{err}");
    let (ok, who, err) = output(&mut emu.takeup(state.path(), &["whoami"]));
    assert!(ok, "{err}");
    assert!(who.contains("Not connected"), "{who}");
}
