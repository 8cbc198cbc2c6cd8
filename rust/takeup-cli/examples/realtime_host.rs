//! A recording host for `scripts/bench-realtime`: it writes FILE at RATE Mbit/s for SECS seconds
//! while the engine uploads it as a growing file, closes it and tells the engine at once
//! (`file_closed`, as a camera app does when its recorder stops), then waits until the upload is
//! done. It prints `closed EPOCH_SECONDS` the moment the file is closed (the benchmark compares it
//! with the emulator's time of the last stored part) and `done AFTER_CLOSE_SECONDS`.
//!
//! Usage: realtime_host FILE RATE_MBIT SECS   (env as for `takeup`: TAKEUP_STATE_DIR,
//! TAKEUP_API_BASE, TAKEUP_CLIENT_SECRET, TAKEUP_CA_FILE, TAKEUP_UPLOAD_HOSTS; the state dir must
//! be paired, with its tokens in the keyring service `takeup`).

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use takeup_core::{Engine, EngineConfig, EnqueueOptions, KeyringSecretStore};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, rate, secs] = args.as_slice() else {
        anyhow::bail!("usage: realtime_host FILE RATE_MBIT SECS");
    };
    let file = PathBuf::from(file);
    let bytes_per_sec = rate.parse::<f64>()? * 1e6 / 8.0;
    let secs: f64 = secs.parse()?;

    let mut config = EngineConfig::new(
        PathBuf::from(env("TAKEUP_STATE_DIR")),
        env("TAKEUP_API_BASE"),
        env("TAKEUP_CLIENT_SECRET"),
        env!("CARGO_PKG_VERSION"),
    );
    config.extra_root_ca_pem = Some(std::fs::read_to_string(env("TAKEUP_CA_FILE"))?);
    config.queue.upload_hosts = env("TAKEUP_UPLOAD_HOSTS")
        .split(',')
        .map(str::to_string)
        .collect();
    config.queue.run = true;
    let store = KeyringSecretStore::platform_default("takeup")?;
    let engine = Engine::start(config, std::sync::Arc::new(store)).await?;

    let mut f = std::fs::File::create(&file)?;
    let id = engine
        .queue()
        .enqueue(
            &file,
            EnqueueOptions {
                growing: true,
                ..Default::default()
            },
        )
        .await?
        .id();
    // Random bytes (no compression anywhere can flatter the link), 64 KiB writes paced to the rate.
    let mut chunk = vec![0u8; 64 * 1024];
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let start = Instant::now();
    let mut written = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let due = (start.elapsed().as_secs_f64() * bytes_per_sec) as u64;
        if written >= due {
            tokio::time::sleep(Duration::from_millis(2)).await;
            continue;
        }
        for b in chunk.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            b.copy_from_slice(&x.to_le_bytes()[..b.len()]);
        }
        f.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    drop(f);
    let closed = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs_f64();
    let closed_at = Instant::now();
    engine.queue().file_closed(id);
    println!("closed {closed:.6}");
    println!("written {written}");
    let mut rx = engine.queue().watch();
    loop {
        let s = rx.borrow_and_update().clone();
        if s.totals.done >= 1 {
            break;
        }
        if s.totals.failed > 0 {
            anyhow::bail!("the upload failed: {:?}", s.failed);
        }
        if rx.changed().await.is_err() {
            anyhow::bail!("the engine stopped");
        }
    }
    println!("done {:.3}", closed_at.elapsed().as_secs_f64());
    engine.shutdown();
    Ok(())
}
