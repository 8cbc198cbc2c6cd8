//! The keyring probe every engine command runs leaves no key behind, also where the keyring
//! takes a value but cannot give it back (a process without its own session keyring: the CLI
//! then says so and keeps tokens in memory). Keys are found through /proc/keys, by a service name
//! unique to this test. Deliberately no session keyring is joined here.

#![cfg(target_os = "linux")]

mod common;

use common::{Ctx, text};

fn keys_of(service: &str) -> Option<Vec<String>> {
    let all = std::fs::read_to_string("/proc/keys").ok()?;
    Some(
        all.lines()
            .filter(|l| l.contains(&format!("@{service}")))
            .map(str::to_string)
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyring_probe_leaves_nothing_behind() {
    let service = format!("takeup-probe-test-{}", std::process::id());
    if keys_of(&service).is_none() {
        eprintln!("SKIPPED: /proc/keys cannot be read here");
        return;
    }
    let ctx = Ctx::new().await;
    for args in [&["status"][..], &["whoami"], &["cancel", "--all"]] {
        let out = ctx
            .takeup(args)
            .env("TAKEUP_KEYRING_SERVICE", &service)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        if text(&out.stderr).contains("keyring is not usable") {
            eprintln!("{args:?}: the keyring could not be read back here (the case this covers)");
        }
    }
    // A key whose last link went is destroyed by the kernel's key garbage collector, which runs
    // asynchronously: /proc/keys may list it for a moment. A key still linked somewhere (what
    // the old probe left in the persistent keyring) stays.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left = keys_of(&service).unwrap();
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "probe keys left behind: {left:#?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
