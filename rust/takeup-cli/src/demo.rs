//! `takeup demo`: start the embedded emulator, pair with it (the code is approved through the
//! emulator's control API, as a user would in Frame.io), show who is signed in, write sample
//! media (one clip still being recorded while it uploads), upload everything with progress bars,
//! and end with a summary that checks each file's sha256 against the emulator's copy.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use takeup_core::{
    AssetKind, CancellationToken, Engine, EngineConfig, EnqueueOptions, MemorySecretStore,
};
use takeup_emulator::{Emulator, EmulatorConfig};

use crate::engine_cmds::{pair_interactive, print_identity};
use crate::progress::human_bytes;
use crate::queue_cmds::follow;

pub async fn run(state_dir: Option<std::path::PathBuf>) -> anyhow::Result<()> {
    takeup_core::http::install_crypto_provider();
    let emulator = Emulator::start(EmulatorConfig::default()).await?;
    outln!(
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
    config.queue.upload_hosts = vec![
        emulator
            .s3_base_url
            .trim_start_matches("https://")
            .to_string(),
    ];
    config.queue.part_size = 8 * 1024 * 1024;
    config.queue.growth_idle = std::time::Duration::from_secs(3);
    config.holder_name = Some("takeup demo".into());
    let engine = Engine::start(config, MemorySecretStore::new()).await?;
    let result = steps(&engine, &emulator, &dir).await;
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

async fn steps(engine: &Engine, emulator: &Emulator, dir: &Path) -> anyhow::Result<()> {
    outln!("\n== Step 1: pairing ==");
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
            outln!("(demo) approving code {code} through the emulator control API");
            let r = control
                .post(&url)
                .json(&serde_json::json!({ "user_code": code }))
                .send()
                .await;
            if let Err(e) = r.and_then(|r| r.error_for_status()) {
                errln!(
                    "(demo) approval failed: {}",
                    crate::out::safe(&e.to_string())
                );
            }
        });
    });
    let id = pair_interactive(engine, CancellationToken::new(), move |c| approver(c)).await?;
    outln!("\nPaired.");

    outln!("\n== Step 2: who am I ==");
    print_identity(Some(&id), &engine.status(), engine.sign_in_method());

    outln!("\n== Step 3: sample media ==");
    let media = dir.join("media");
    std::fs::create_dir_all(&media)?;
    let samples = [
        ("A001_C001_proxy.mp4", 6 * MIB, AssetKind::Proxy),
        ("A001_C001.mov", 40 * MIB, AssetKind::Hero),
        ("A001_C001.wav", 12 * MIB, AssetKind::Audio),
        ("A001_C001_still.jpg", 600 * 1024, AssetKind::Other),
    ];
    let mut files: Vec<(PathBuf, AssetKind)> = Vec::new();
    for (i, (name, size, kind)) in samples.iter().enumerate() {
        let path = media.join(name);
        write_sample(&path, *size, i as u8)?;
        outln!("  wrote {name} ({})", human_bytes(*size as u64));
        files.push((path, *kind));
    }

    outln!("\n== Step 4: upload (the last clip is still being recorded) ==");
    for (path, kind) in &files {
        engine
            .queue()
            .enqueue(
                path,
                EnqueueOptions {
                    kind: Some(*kind),
                    ..Default::default()
                },
            )
            .await?;
    }
    // A take still being recorded: it grows by 1 MiB every 80 ms and uploads as it grows.
    let live = media.join("A001_C002.mov");
    std::fs::write(&live, b"")?;
    let live_id = engine
        .queue()
        .enqueue(
            &live,
            EnqueueOptions {
                growing: true,
                kind: Some(AssetKind::Hero),
                ..Default::default()
            },
        )
        .await?
        .id();
    let recorder = {
        let live = live.clone();
        let queue = engine.queue().clone();
        tokio::spawn(async move {
            for i in 0..30u8 {
                let chunk = sample_bytes(MIB, 100 + i, i as usize * MIB);
                let write = {
                    let live = live.clone();
                    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                        use std::io::Write;
                        let mut f = std::fs::OpenOptions::new().append(true).open(&live)?;
                        f.write_all(&chunk)
                    })
                };
                if !matches!(write.await, Ok(Ok(()))) {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(80)).await;
            }
            // The camera closes the file: tell the engine so it finalises the upload now.
            queue.file_closed(live_id);
        })
    };
    files.push((live.clone(), AssetKind::Hero));
    let followed = follow(engine, false, true).await?;
    if followed.interrupted {
        recorder.abort();
        return Err(crate::Interrupted.into());
    }
    let _ = recorder.await;
    let status = followed.status;

    outln!("\n== Step 5: summary (sha256 on this machine vs the emulator's copy) ==");
    let control = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(emulator.ca_pem.as_bytes())?])
        .build()?;
    // The emulator's control API: its list of assets, and one asset's report.
    let control_get = |path: String| {
        let req = control.get(format!("{}{path}", emulator.base_url));
        async move { anyhow::Ok(req.send().await?.json::<serde_json::Value>().await?) }
    };
    let assets = control_get("/_emulator/assets".into()).await?;
    let mut bad = 0;
    outln!(
        "  {:<22} {:>10}  {:<6} {:<10} result",
        "file",
        "size",
        "kind",
        "upload"
    );
    for (path, kind) in &files {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let local = hex::encode(sha256_file(path)?);
        let size = std::fs::metadata(path)?.len();
        let remote = match assets.as_array().and_then(|a| {
            a.iter()
                .find(|x| x["name"] == name.as_str() && x["complete"] == true)
        }) {
            Some(a) => {
                let id = a["id"].as_str().unwrap_or_default();
                let one = control_get(format!("/_emulator/assets/{id}")).await?;
                let api = if one["realtime"] == true {
                    "real-time"
                } else {
                    "standard"
                };
                Some((one["sha256"].as_str().unwrap_or_default().to_string(), api))
            }
            None => None,
        };
        let (api, result) = match &remote {
            Some((sha, api)) if *sha == local => (*api, "OK  sha256 matches".to_string()),
            Some((sha, api)) => (
                *api,
                format!("MISMATCH (emulator has {})", &sha[..12.min(sha.len())]),
            ),
            None => ("-", "MISSING on the emulator".to_string()),
        };
        if !result.starts_with("OK") {
            bad += 1;
        }
        outln!(
            "  {:<22} {:>10}  {:<6} {:<10} {result}",
            name,
            human_bytes(size),
            format!("{kind:?}").to_lowercase(),
            api
        );
    }
    outln!(
        "\n{} files uploaded, {} failed; every byte checked on the emulator side.",
        status.totals.done,
        status.totals.failed + status.totals.skipped
    );
    if bad > 0 {
        anyhow::bail!("{bad} file(s) did not arrive intact");
    }
    Ok(())
}

const MIB: usize = 1024 * 1024;

/// Deterministic, incompressible-looking sample bytes.
fn sample_bytes(len: usize, seed: u8, offset: usize) -> Vec<u8> {
    (offset..offset + len)
        .map(|i| ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as u8 ^ seed)
        .collect()
}

fn write_sample(path: &Path, size: usize, seed: u8) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut written = 0;
    while written < size {
        let n = MIB.min(size - written);
        f.write_all(&sample_bytes(n, seed, written))?;
        written += n;
    }
    f.flush()?;
    Ok(())
}

fn sha256_file(path: &Path) -> anyhow::Result<Vec<u8>> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; MIB];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_vec())
}
