//! `takeup pair | whoami | accounts | projects | connect | disconnect | sign-out`.

use std::io::Write;

use takeup_core::{
    AccountList, CancellationToken, ConnectionState, Engine, EngineStatus, Identity, PairingCode,
    PairingPhase, SignInMethod, UserInfo,
};

use crate::host::{EngineArgs, Globals};
use crate::out::safe;

/// Render `text` as a terminal QR code (two modules per character cell).
pub fn qr(text: &str) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<Dense1x2>()
            .dark_color(Dense1x2::Light)
            .light_color(Dense1x2::Dark)
            .quiet_zone(true)
            .build(),
    )
}

pub fn print_code(code: &PairingCode, attempt: u32) {
    if attempt > 1 {
        outln!("\nThe previous code expired. New code:");
    }
    if let Some(url) = &code.verification_uri_complete
        && let Some(q) = qr(url)
    {
        outln!("{q}");
        outln!("Scan the QR code, or open {}", safe(url));
    }
    outln!("Pairing code: {}", safe(&code.user_code));
    if let Some(uri) = &code.verification_uri {
        outln!("Enter it at:  {}", safe(uri));
    }
    outln!(
        "The code expires at {} (a new one is shown then). Ctrl-C cancels.",
        code.expires_at.format("%H:%M:%S UTC")
    );
    let _ = std::io::stdout().flush();
}

/// Pair, printing every code; `on_code` is called for each new code (the demo approves there).
pub async fn pair_interactive(
    engine: &Engine,
    cancel: CancellationToken,
    on_code: impl Fn(String) + Send + Sync,
) -> anyhow::Result<Identity> {
    let mut rx = engine.watch_status();
    let printer = async {
        let mut last = String::new();
        loop {
            if let ConnectionState::Pairing(p) = &rx.borrow_and_update().connection
                && p.phase == PairingPhase::WaitingForUser
                && let Some(code) = &p.code
                && code.user_code != last
            {
                last = code.user_code.clone();
                print_code(code, p.attempt);
                on_code(last.clone());
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    };
    let ctrl_c = cancel.clone();
    let mut interrupt = crate::interrupt::Interrupt::new()?;
    let signal = tokio::spawn(async move {
        interrupt.recv().await;
        ctrl_c.cancel();
    });
    let result = tokio::select! {
        r = engine.pair(cancel) => r,
        _ = printer => unreachable_pairing(),
    };
    signal.abort();
    match result {
        Ok(id) => Ok(id),
        Err(takeup_core::Error::Cancelled) => {
            errln!("pairing cancelled; nothing was stored");
            Err(crate::Interrupted.into())
        }
        Err(e) => Err(e.into()),
    }
}

fn unreachable_pairing() -> takeup_core::Result<Identity> {
    Err(takeup_core::Error::Cancelled)
}

fn user_line(user: &UserInfo) -> String {
    if user.email.is_empty() {
        format!("User:    {}", safe(&user.name))
    } else {
        format!("User:    {} <{}>", safe(&user.name), safe(&user.email))
    }
}

/// Print who and where the engine is now.
fn show_identity(engine: &takeup_core::Engine) {
    let status = engine.status();
    print_identity(engine.identity().as_ref(), &status, engine.sign_in_method());
}

pub fn print_identity(id: Option<&Identity>, status: &EngineStatus, method: Option<SignInMethod>) {
    match &status.connection {
        ConnectionState::NotAuthorized => outln!(
            "Not connected. Run `takeup pair` (pair with a code) or `takeup sign-in` (sign in with a Frame.io account)."
        ),
        ConnectionState::Pairing(_) => outln!("Pairing in progress."),
        ConnectionState::NotConnected { user } => {
            outln!("{}", user_line(user));
            if method.is_some_and(SignInMethod::can_manage_connection) {
                outln!("Project: (none) - choose one with `takeup accounts` / `takeup connect`");
            } else {
                outln!(
                    "Project: (none) - pair again and pick the project on Frame.io, or `takeup sign-in`"
                );
            }
        }
        ConnectionState::Connected { project, user } => {
            outln!("{}", user_line(user));
            outln!("Project: {} ({})", safe(&project.name), safe(&project.id));
        }
    }
    if let Some(m) = method {
        outln!(
            "Signed in: {}",
            match m {
                SignInMethod::DeviceCode => "paired with a code",
                SignInMethod::Account => "with a Frame.io account",
            }
        );
    }
    if let Some(id) = id {
        if let Some(img) = &id.user.image_url {
            outln!("Avatar:  {}", safe(img));
        }
        outln!(
            "Device:  {} ({})",
            safe(&id.device.name),
            safe(&id.device.status)
        );
    }
    let n = &status.network;
    outln!(
        "Network: {} via {:?}, health {:?}{}",
        if n.online { "online" } else { "offline" },
        n.connection_type,
        n.health,
        n.latency
            .map(|l| format!(", latency {} ms", l.as_millis()))
            .unwrap_or_default()
    );
}

pub async fn pair(g: &Globals, a: &EngineArgs) -> anyhow::Result<()> {
    let engine = crate::host::engine(g, a).await?;
    let id = pair_interactive(&engine, CancellationToken::new(), |_| {}).await?;
    outln!("\nPaired.");
    print_identity(Some(&id), &engine.status(), engine.sign_in_method());
    Ok(())
}

pub async fn whoami(g: &Globals, a: &EngineArgs) -> anyhow::Result<()> {
    let engine = crate::host::engine(g, a).await?;
    if engine.is_paired() {
        match engine.refresh_identity().await {
            Ok(_) => {}
            Err(e) if e.is_transient() => {
                errln!(
                    "warning: {}; showing the cached identity",
                    safe(&e.to_string())
                );
            }
            Err(e) => errln!("warning: {}", safe(&e.to_string())),
        }
    }
    show_identity(&engine);
    Ok(())
}

pub async fn accounts(g: &Globals, a: &EngineArgs) -> anyhow::Result<()> {
    let engine = crate::host::engine(g, a).await?;
    match engine.list_accounts().await? {
        AccountList::Accounts(list) => {
            for acc in list {
                outln!("{}  {}", safe(&acc.id), safe(&acc.display_name));
            }
        }
        AccountList::NoC2cAccounts { help_url } => {
            outln!(
                "You have no accounts with Camera to Cloud enabled. See {}",
                safe(&help_url)
            );
        }
    }
    Ok(())
}

pub async fn projects(
    g: &Globals,
    a: &EngineArgs,
    account: &str,
    search: Option<&str>,
) -> anyhow::Result<()> {
    let engine = crate::host::engine(g, a).await?;
    let list = engine.list_projects(account, search).await?;
    if list.is_empty() {
        outln!("No matching projects.");
    }
    for p in list {
        outln!("{}  {}", safe(&p.id), safe(&p.name));
    }
    Ok(())
}

pub async fn connect(g: &Globals, a: &EngineArgs, project: &str) -> anyhow::Result<()> {
    let engine = crate::host::engine(g, a).await?;
    engine.connect(project).await?;
    show_identity(&engine);
    Ok(())
}

pub async fn disconnect(g: &Globals, a: &EngineArgs) -> anyhow::Result<()> {
    let engine = crate::host::engine(g, a).await?;
    engine.disconnect().await?;
    outln!("Disconnected from the project.");
    Ok(())
}

pub async fn sign_out(g: &Globals, a: &EngineArgs) -> anyhow::Result<()> {
    let engine = crate::host::engine(g, a).await?;
    let out = engine.sign_out().await?;
    if out.revoked_on_server {
        outln!("Signed out.");
    } else {
        outln!("Signed out locally (Frame.io could not be told; the tokens are deleted).");
    }
    Ok(())
}
