//! How the CLI writes: a closed stdout ends a command quietly, errors are `error: ...` with their
//! causes and never a backtrace, and logs carry no colour codes when stderr is not a terminal.

#![cfg(target_os = "linux")]

mod common;

use std::process::Stdio;

use common::{Ctx, fails, text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_the_command_quietly() {
    let ctx = Ctx::new().await;
    for args in [&["whoami"][..], &["status"], &["status", "--json"]] {
        // The reader is gone before the command writes a byte (`takeup whoami | true`).
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let out = ctx
            .takeup(args)
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_errors_print_the_message_and_causes_without_a_backtrace() {
    let ctx = Ctx::new().await;
    let mut cancel = ctx.takeup(&["cancel"]);
    let (status, err) = fails(
        cancel
            .env("RUST_BACKTRACE", "1")
            .env("RUST_LIB_BACKTRACE", "1"),
    );
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("error: give a file id or --all"), "{err}");
    assert!(!err.to_lowercase().contains("backtrace"), "{err}");

    // The chain: what was being done, then why.
    let mut status = ctx.takeup(&["status", "--ca-file", "/nonexistent/ca.pem"]);
    let (status, err) = fails(status.env("RUST_BACKTRACE", "full"));
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(
        err.contains("error: reading the CA file /nonexistent/ca.pem: No such file or directory"),
        "{err}"
    );
    assert!(!err.to_lowercase().contains("backtrace"), "{err}");
    assert_eq!(
        err.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_have_no_colour_codes_when_stderr_is_not_a_terminal() {
    let ctx = Ctx::new().await;
    let out = ctx
        .takeup(&["status"])
        .env("RUST_LOG", "debug")
        .output()
        .unwrap();
    let err = text(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("engine started"), "logs were written: {err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
}
