//! `takeup demo`: start the embedded emulator, pair with it (the code is approved through the
//! emulator's control API, as a user would in Frame.io), show who is signed in, then the upload
//! steps (not implemented yet: the uploader is a later issue).

use std::sync::Arc;

use anyhow::Context;
use takeup_core::{CancellationToken, Engine, EngineConfig, MemorySecretStore};
use takeup_emulator::{Emulator, EmulatorConfig};

use crate::engine_cmds::{pair_interactive, print_identity};

pub async fn run(state_dir: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    takeup_core::http::install_crypto_provider();
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    println!(
        "Started the local C2C emulator at {} (a test service, not Frame.io).",
        emulator.base_url
    );
    // The demo never touches the real pairing: its own state dir and an in-memory token store.
    let tmp = tempfile_dir()?;
    let dir = state_dir.unwrap_or_else(|| tmp.clone());
    let mut config = EngineConfig::new(
        &dir,
        emulator.base_url.clone(),
        emulator.client_secret.clone(),
        env!("CARGO_PKG_VERSION"),
    );
    config.extra_root_ca_pem = Some(emulator.ca_pem.clone());
    let engine = Engine::start(config, MemorySecretStore::new()).await?;
    let result = steps(&engine, &emulator).await;
    drop(engine);
    emulator.stop().await;
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("takeup-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

async fn steps(engine: &Engine, emulator: &Emulator) -> anyhow::Result<()> {
    println!("\n== Step 1: pairing ==");
    let control = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(emulator.ca_pem.as_bytes())?])
        .build()?;
    let approve_url = format!("{}/_emulator/approve", emulator.base_url);
    let approver = Arc::new(move |code: String| {
        let control = control.clone();
        let url = approve_url.clone();
        tokio::spawn(async move {
            // Give the reader a moment to see the code, then approve it like a user would.
            tokio::time::sleep(std::time::Duration::from_secs(2)).await;
            println!("(demo) approving code {code} through the emulator control API");
            let r = control
                .post(&url)
                .json(&serde_json::json!({ "user_code": code }))
                .send()
                .await;
            if let Err(e) = r.and_then(|r| r.error_for_status()) {
                eprintln!("(demo) approval failed: {e}");
            }
        });
    });
    let id = pair_interactive(engine, CancellationToken::new(), move |c| approver(c)).await?;
    println!("\nPaired.");

    println!("\n== Step 2: who am I ==");
    print_identity(Some(&id), &engine.status());

    println!("\n== Step 3: upload ==");
    println!("Uploading is not implemented yet (the upload queue and uploader are a later issue).");
    Ok(())
}
