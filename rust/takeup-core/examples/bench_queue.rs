//! Queue benchmark: enqueue N small files (default 10,000; first argument changes it), then time
//! an engine start on that journal (open + reconcile + first status), status snapshots and the
//! enqueue rate; last, a 2,000-clip card dump (130 KiB files, so each fingerprint reads 128 KiB)
//! added to that queue in one `enqueue_many` call. No server is contacted (`QueueConfig::run` is
//! false). Run it with
//! `cargo run --release -p takeup-core --example bench_queue [N]` (or `scripts/bench-queue`).

use std::time::Instant;

use takeup_core::{Engine, EngineConfig, EnqueueOptions, Enqueued, MemorySecretStore, QueueMode};

fn config(state: &std::path::Path) -> EngineConfig {
    let mut c = EngineConfig::new(state, "https://127.0.0.1:9", "bench-secret", "0.0.0");
    c.queue.run = false;
    c
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args().nth(1).map_or(Ok(10_000), |a| a.parse())?;
    let tmp = tempfile::tempdir()?;
    let (media, state) = (tmp.path().join("media"), tmp.path().join("state"));
    std::fs::create_dir_all(&media)?;
    let files: Vec<_> = (0..n)
        .map(|i| {
            let p = media.join(format!("clip-{i:05}.mov"));
            std::fs::write(&p, format!("bench file {i}\n")).map(|_| p)
        })
        .collect::<Result<_, _>>()?;

    let t = Instant::now();
    let engine = Engine::start(config(&state), MemorySecretStore::new()).await?;
    let empty_start = t.elapsed();

    let t = Instant::now();
    let mut last_1000 = Instant::now();
    let mut last_rate = 0.0;
    for (i, f) in files.iter().enumerate() {
        match engine.queue().enqueue(f, EnqueueOptions::default()).await? {
            Enqueued::Added(_) => {}
            other => return Err(format!("unexpected {other:?}").into()),
        }
        if (i + 1) % 1000 == 0 {
            last_rate = 1000.0 / last_1000.elapsed().as_secs_f64();
            last_1000 = Instant::now();
        }
    }
    let enqueue = t.elapsed();
    engine.shutdown();
    drop(engine);

    let t = Instant::now();
    let engine = Engine::start(config(&state), MemorySecretStore::new()).await?;
    let status = engine.queue().status();
    let start = t.elapsed();
    assert_eq!(status.totals.queued as usize, n, "all files counted");

    // Status snapshots: each mode change rebuilds and publishes the snapshot synchronously.
    let rounds = 20;
    let t = Instant::now();
    for i in 0..rounds {
        let mode = if i % 2 == 0 {
            QueueMode::Manual
        } else {
            QueueMode::Auto
        };
        engine.queue().set_mode(mode).await?;
    }
    let snapshot = t.elapsed() / rounds;
    let shown = engine.queue().status().queued.len();

    // A card dump: 2,000 clips in one call (one transaction, one status change).
    let card = tmp.path().join("card");
    std::fs::create_dir_all(&card)?;
    let clips: Vec<std::path::PathBuf> = (0..2000)
        .map(|i| {
            let p = card.join(format!("A{:03}_C{:03}.mov", i / 1000, i % 1000));
            let mut data = vec![(i % 251) as u8; 130 * 1024];
            data[..8].copy_from_slice(&(i as u64).to_le_bytes());
            std::fs::write(&p, data).map(|_| p)
        })
        .collect::<Result<_, _>>()?;
    let t = Instant::now();
    let added = engine
        .queue()
        .enqueue_many(&clips, EnqueueOptions::default())
        .await?;
    let dump = t.elapsed();
    let ok = added
        .iter()
        .filter(|r| matches!(r, Ok(Enqueued::Added(_))))
        .count();
    assert_eq!(ok, clips.len(), "every clip added");
    engine.shutdown();

    println!("files queued:                 {n}");
    println!("engine start, empty journal:  {:.1} ms", ms(empty_start));
    println!(
        "enqueue:                      {:.2} s total, {:.0} files/s average, {:.0} files/s over the last 1,000",
        enqueue.as_secs_f64(),
        n as f64 / enqueue.as_secs_f64(),
        last_rate
    );
    println!(
        "engine start with {n} queued: {:.1} ms (journal open + reconcile + first status)",
        ms(start)
    );
    println!(
        "status snapshot:              {:.2} ms (mean of {rounds}; {shown} queued entries listed)",
        ms(snapshot)
    );
    println!(
        "card dump:                    {:.2} s for 2,000 clips in one call onto {n} queued",
        dump.as_secs_f64()
    );
    Ok(())
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
