//! `takeup sign-in`: sign in with a Frame.io account (OAuth authorization code + PKCE, no
//! secret). Prints the authorization URL, receives the browser's redirect on a loopback port
//! (`http://127.0.0.1:PORT/callback`, RFC 8252 §7.3) and also accepts the address the browser
//! ended up on pasted on stdin; Ctrl-C cancels.

use std::io::Write;

use anyhow::Context;
use clap::Args;
use takeup_core::{Error, SignInError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use crate::host::{EngineArgs, Globals, LOOPBACK_REDIRECT};

#[derive(Args, Debug)]
pub struct SignInArgs {
    /// Loopback port for the browser's redirect (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Do not listen for the redirect: paste the address the browser ends up on instead.
    #[arg(long)]
    pub no_listen: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// How a redirect went, and where the listener says the browser has its page.
type Outcome = (Result<(), String>, oneshot::Sender<()>);
/// A redirect to complete, and where to tell the browser how it went (none for a pasted one).
type Answer = (String, Option<oneshot::Sender<Outcome>>);

/// Tell the browser how it went and wait (briefly) until the page is written, so the process does
/// not exit before the browser has its answer.
async fn reply(to: Option<oneshot::Sender<Outcome>>, result: Result<(), String>) {
    let Some(to) = to else { return };
    let (written, done) = oneshot::channel();
    if to.send((result, written)).is_ok() {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), done).await;
    }
}

fn page(ok: bool, text: &str) -> String {
    let title = if ok { "Signed in" } else { "Sign-in failed" };
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body style=\"font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto\"><h1>{title}</h1><p>{}</p></body></html>",
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    );
    format!(
        "HTTP/1.1 {}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        if ok { "200 OK" } else { "400 Bad Request" },
        body.len()
    )
}

/// Read one request head (at most 8 KiB) and return its target (`/callback?code=…`).
async fn request_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if n == 0 || buf.len() + n > 8192 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let mut first = head.lines().next()?.split_whitespace();
    match (first.next(), first.next()) {
        (Some("GET"), Some(target)) => Some(target.to_string()),
        _ => None,
    }
}

/// Accept browser redirects on the loopback listener until the sign-in completes.
async fn listen(listener: TcpListener, port: u16, tx: mpsc::Sender<Answer>) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let Some(target) = request_target(&mut stream).await else {
            continue;
        };
        if target.split('?').next() != Some("/callback") {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                )
                .await;
            continue;
        }
        let (done_tx, done_rx) = oneshot::channel();
        if tx
            .send((format!("http://127.0.0.1:{port}{target}"), Some(done_tx)))
            .await
            .is_err()
        {
            return;
        }
        let (html, written) = match done_rx.await {
            Ok((Ok(()), w)) => (
                page(true, "Takeup is signed in. You can close this window."),
                Some(w),
            ),
            Ok((Err(e), w)) => (page(false, &e), Some(w)),
            Err(_) => (
                page(false, "Takeup stopped waiting for this sign-in."),
                None,
            ),
        };
        let _ = stream.write_all(html.as_bytes()).await;
        let _ = stream.shutdown().await;
        if let Some(w) = written {
            let _ = w.send(());
        }
    }
}

/// Lines pasted on stdin (until it ends), from a detached thread: a blocking read must not keep
/// the runtime from shutting down once the sign-in is done.
fn read_stdin(tx: mpsc::Sender<Answer>) {
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { return };
            let line = line.trim().to_string();
            if line.is_empty() {
                continue;
            }
            if tx.blocking_send((line, None)).is_err() {
                return;
            }
        }
    });
}

pub async fn run(g: &Globals, a: &SignInArgs) -> anyhow::Result<()> {
    if a.engine.app_client_id.is_none() {
        anyhow::bail!(
            "signing in with a Frame.io account needs the app's client id: set TAKEUP_APP_CLIENT_ID or --app-client-id (the emulator's is takeup-app)"
        );
    }
    let engine = crate::host::engine(g, &a.engine).await?;
    let (tx, mut rx) = mpsc::channel::<Answer>(4);
    let redirect = if a.no_listen {
        LOOPBACK_REDIRECT.to_string()
    } else {
        let listener = TcpListener::bind(("127.0.0.1", a.port))
            .await
            .with_context(|| format!("listening on 127.0.0.1:{}", a.port))?;
        let port = listener.local_addr()?.port();
        tokio::spawn(listen(listener, port, tx.clone()));
        format!("http://127.0.0.1:{port}/callback")
    };
    // Listen for Ctrl-C before the URL is printed: a Ctrl-C right after it must cancel, not kill.
    let mut interrupt = crate::interrupt::Interrupt::new()?;
    let request = engine.begin_app_sign_in(Some(&redirect))?;
    outln!("Open this address in a browser and sign in with your Frame.io account:\n");
    outln!("  {}\n", request.authorization_url);
    if a.no_listen {
        outln!("Then paste here the address the browser ends up on. Ctrl-C cancels.");
    } else {
        outln!(
            "Waiting for the browser on {redirect} (or paste the address it ends up on). Ctrl-C cancels."
        );
    }
    std::io::stdout().flush()?;
    read_stdin(tx);
    loop {
        let (url, answer_to) = tokio::select! {
            _ = interrupt.recv() => {
                let _ = engine.cancel_app_sign_in();
                anyhow::bail!("sign-in cancelled; nothing was stored");
            }
            answer = rx.recv() => match answer {
                Some(a) => a,
                None => anyhow::bail!("no more input; the sign-in was not completed"),
            },
        };
        match engine.complete_app_sign_in(&url).await {
            Ok(id) => {
                reply(answer_to, Ok(())).await;
                outln!("\nSigned in.");
                crate::engine_cmds::print_identity(
                    Some(&id),
                    &engine.status(),
                    engine.sign_in_method(),
                );
                if id.project.is_none() {
                    outln!(
                        "Choose a project: `takeup accounts`, `takeup projects ACCOUNT`, `takeup connect PROJECT`."
                    );
                }
                return Ok(());
            }
            // Not this sign-in's answer (stale, another program's, or mistyped): keep waiting.
            Err(e @ Error::SignIn(SignInError::StateMismatch | SignInError::BadRedirect(_))) => {
                eprintln!("warning: {e}; still waiting");
                reply(answer_to, Err(e.to_string())).await;
            }
            Err(e) => {
                reply(answer_to, Err(e.to_string())).await;
                return Err(e.into());
            }
        }
    }
}
