//! `takeup sign-in` against a standalone `takeup emulator`: the browser's redirect arrives on the
//! loopback listener (or is pasted on stdin), the tokens land in the keyring so the next commands
//! (`whoami`, `accounts`, `connect`) use them, and Ctrl-C cancels leaving nothing stored.

#![cfg(target_os = "linux")]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use common::{Standalone, interrupt, join_session_keyring, ok, post_json, wait_exit};
use serde_json::json;

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
        let approve = format!("{}/_emulator/oauth/approve", self.s("base_url"));
        let v = post_json(&self.ctl, approve, json!({ "url": url })).await;
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

/// Start `takeup sign-in ARGS`; the child, its stdout past the authorization URL, and the URL.
fn start_sign_in(
    emu: &Standalone,
    state: &Path,
    args: &[&str],
    stdin: Stdio,
) -> (Child, BufReader<ChildStdout>, String) {
    let mut child = emu
        .takeup(state, args)
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let url = authorization_url(&mut out);
    (child, out, url)
}

/// Wait for a sign-in to succeed; the rest of what it printed.
fn signed_in(mut child: Child, mut out: BufReader<ChildStdout>) -> String {
    let status = wait_exit(&mut child, 20);
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(status.success(), "{status}: {rest}");
    assert!(rest.contains("Signed in."), "{rest}");
    rest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_through_the_loopback_redirect_a_pasted_one_and_ctrl_c() {
    if !join_session_keyring() {
        eprintln!("SKIPPED: no session keyring here; the CLI cannot keep tokens across commands");
        return;
    }
    let emu = Standalone::start();
    let state = tempfile::tempdir().unwrap();
    let takeup = |args: &[&str]| ok(&mut emu.takeup(state.path(), args));

    // 1. The browser comes back to the loopback listener.
    let (child, out, url) = start_sign_in(&emu, state.path(), &["sign-in"], Stdio::null());
    let redirect = emu.approve(&url).await;
    assert!(
        redirect.starts_with("http://127.0.0.1:") && redirect.contains("/callback?code="),
        "{redirect}"
    );
    let page = reqwest::get(&redirect).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("signed in"));
    let rest = signed_in(child, out);
    assert!(
        rest.contains("Dana Reyes <dana.reyes@example.com>"),
        "{rest}"
    );

    // The next commands use the account sign-in: accounts and connect work.
    let accounts = takeup(&["accounts"]);
    let northlight = accounts
        .lines()
        .find(|l| l.contains("Northlight Pictures"))
        .expect("the emulator's first account")
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let projects = takeup(&["projects", &northlight, "--search", "testbed"]);
    let project = projects.split_whitespace().next().unwrap().to_string();
    let connected = takeup(&["connect", &project]);
    assert!(connected.contains("Project: Testbed"), "{connected}");
    let who = takeup(&["whoami"]);
    assert!(who.contains("with a Frame.io account"), "{who}");
    takeup(&["sign-out"]);

    // 2. Pasted: no listener, the address the browser ended up on typed on stdin.
    let (mut child, out, url) = start_sign_in(
        &emu,
        state.path(),
        &["sign-in", "--no-listen"],
        Stdio::piped(),
    );
    let redirect = emu.approve(&url).await;
    assert!(
        redirect.starts_with("http://127.0.0.1/callback?"),
        "{redirect}"
    );
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "not the right address").unwrap();
    writeln!(stdin, "{redirect}").unwrap();
    signed_in(child, out);
    drop(stdin);
    takeup(&["sign-out"]);

    // 3. Ctrl-C while waiting: cancelled, nothing stored.
    let (mut child, _out, _) = start_sign_in(&emu, state.path(), &["sign-in"], Stdio::null());
    interrupt(&child);
    let status = wait_exit(&mut child, 10);
    assert!(!status.success());
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(err.contains("cancelled"), "{err}");
    let who = takeup(&["whoami"]);
    assert!(who.contains("Not connected"), "{who}");
}
