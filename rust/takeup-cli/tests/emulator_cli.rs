//! `takeup emulator` as a standalone process: prints where it listens and its CA, serves HTTPS
//! that a client trusting that CA accepts, writes parts under `--data`, and stops on Ctrl-C.

mod common;

use std::process::Command;

use common::{Standalone, interrupt, wait_exit};
use serde_json::Value;

#[tokio::test]
async fn standalone_emulator_prints_its_urls_and_ca_and_stops_on_sigint() {
    let mut emu = Standalone::start();
    let info = emu.info.clone();
    let base = info["base_url"].as_str().unwrap();
    assert!(base.starts_with("https://127.0.0.1:"));
    assert!(
        info["s3_base_url"]
            .as_str()
            .unwrap()
            .starts_with("https://127.0.0.1:")
    );
    let ca_path = info["ca_path"].as_str().unwrap();
    assert_eq!(
        std::path::Path::new(ca_path),
        emu.data.path().join("ca.pem")
    );
    // The control client trusts only the printed CA.
    let http = emu.ctl.clone();
    let health: Value = http
        .get(format!("{base}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ok"], true);
    let page = common::get_text(&http, format!("{base}/pair?code=123456")).await;
    assert!(page.contains("123456"));

    // Ctrl-C stops it cleanly.
    interrupt(&emu.child);
    let status = wait_exit(&mut emu.child, 10);
    assert!(status.success(), "exit status {status}");
}

#[test]
fn the_emulator_refuses_non_loopback_addresses() {
    let out = Command::new(env!("CARGO_BIN_EXE_takeup"))
        .args(["emulator", "--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("loopback"));
}
