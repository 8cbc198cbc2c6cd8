//! Queue commands: enqueue, run, status, cancel, retry, select, top, mode and watch.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::{Args, ValueEnum};
use takeup_core::{
    AssetKind, Engine, EngineConfig, EnqueueOptions, Enqueued, Hold, QueueMode, QueueStatus,
};

use crate::host::{EngineArgs, Globals, engine, engine_with};
use crate::out::{path as safe_path, safe};
use crate::progress::{QueueProgress, human_bytes};

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum KindArg {
    Proxy,
    Hero,
    Audio,
    Other,
}

impl From<KindArg> for AssetKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::Proxy => AssetKind::Proxy,
            KindArg::Hero => AssetKind::Hero,
            KindArg::Audio => AssetKind::Audio,
            KindArg::Other => AssetKind::Other,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModeArg {
    Auto,
    Manual,
}

#[derive(Args, Debug)]
pub struct EnqueueArgs {
    /// Files to upload.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// What the files are (guessed from name and type when omitted).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
    /// Put them at the top of the queue.
    #[arg(long)]
    priority: bool,
    /// The files are still being written: upload them in real time as they grow.
    #[arg(long)]
    growing: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

/// Uploader tuning shared by `run` and `watch`.
#[derive(Args, Debug, Clone)]
pub struct RunTuning {
    /// Files uploaded at once.
    #[arg(long)]
    max_files: Option<usize>,
    /// Parts of one file in flight at once (where the adaptive tuning starts).
    #[arg(long)]
    max_parts: Option<usize>,
    /// Most part uploads in flight over all files (the adaptive tuning's ceiling).
    #[arg(long)]
    max_parallel_parts: Option<usize>,
    /// Keep the parts in flight fixed at --max-parts per file (no adaptive tuning).
    #[arg(long)]
    fixed_parts: bool,
    /// Part size in MiB for real-time uploads (at least 5).
    #[arg(long)]
    part_size_mib: Option<u64>,
    /// Seconds without growth after which a growing file counts as finished.
    #[arg(long)]
    growth_idle_secs: Option<u64>,
    /// No progress bars (lines only).
    #[arg(long)]
    pub no_progress: bool,
}

impl RunTuning {
    /// Upload (`command` names this process to a second uploader refused by the queue lock).
    pub fn apply(&self, c: &mut EngineConfig, command: &str) {
        c.queue.run = true;
        c.holder_name = Some(format!("takeup {command}"));
        if let Some(n) = self.max_files {
            c.queue.max_files = n.max(1);
        }
        if let Some(n) = self.max_parts {
            c.queue.max_parts_per_file = n.max(1);
        }
        if let Some(n) = self.max_parallel_parts {
            c.queue.max_parallel_parts = n.max(1);
        }
        if self.fixed_parts {
            c.queue.adaptive = false;
        }
        if let Some(m) = self.part_size_mib {
            c.queue.part_size = m.max(5) * 1024 * 1024;
        }
        if let Some(s) = self.growth_idle_secs {
            c.queue.growth_idle = Duration::from_secs(s.max(1));
        }
    }
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Keep running when the queue is empty (until Ctrl-C).
    #[arg(long)]
    keep_running: bool,
    #[command(flatten)]
    tuning: RunTuning,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Folder to watch: new files are queued, files still being written upload as they grow.
    pub dir: PathBuf,
    /// What the files are (guessed per file when omitted).
    #[arg(long, value_enum)]
    pub kind: Option<KindArg>,
    /// Look for new files by scanning every second instead of filesystem events (network
    /// shares, whose remote writes raise no local events); growing files are then finalised
    /// after --growth-idle-secs without growth.
    #[arg(long)]
    pub poll: bool,
    #[command(flatten)]
    pub tuning: RunTuning,
    #[command(flatten)]
    pub engine: EngineArgs,
}

pub async fn enqueue(g: &Globals, a: &EnqueueArgs) -> anyhow::Result<()> {
    let engine = engine(g, &a.engine).await?;
    let opts = EnqueueOptions {
        kind: a.kind.map(Into::into),
        top: a.priority,
        growing: a.growing,
        ..Default::default()
    };
    // One call for all of them (a card dump): one journal transaction, one status update.
    let results = engine.queue().enqueue_many(&a.files, opts).await?;
    let mut failed = 0;
    for (f, r) in a.files.iter().zip(results) {
        match r {
            Ok(Enqueued::Added(id)) => outln!("queued     #{id} {}", safe_path(f)),
            Ok(Enqueued::AlreadyQueued(id)) => outln!("in queue   #{id} {}", safe_path(f)),
            Ok(Enqueued::AlreadyUploaded(id)) => {
                outln!("uploaded   #{id} {} (already, not again)", safe_path(f))
            }
            Err(e) => {
                failed += 1;
                errln!("not queued {}: {}", safe_path(f), safe(&e.to_string()));
            }
        }
    }
    if failed > 0 {
        bail!("{failed} file(s) could not be queued");
    }
    Ok(())
}

/// How [`follow`] ended.
pub struct Followed {
    /// The queue status at the end.
    pub status: QueueStatus,
    /// Ctrl-C stopped it.
    pub interrupted: bool,
}

/// Follow the queue with progress until it is empty (unless `keep_running`) or Ctrl-C.
pub async fn follow(engine: &Engine, keep_running: bool, bars: bool) -> anyhow::Result<Followed> {
    let mut rx = engine.queue().watch();
    let mut progress = QueueProgress::new(bars);
    progress.seen(&rx.borrow());
    let mut interrupt = crate::interrupt::Interrupt::new()?;
    // SIGUSR1: the device moved to another network (e.g. a script watching the routes, as the
    // apps do with ConnectivityManager / NWPathMonitor): parts in flight restart at once on new
    // connections instead of waiting for the stall timeout.
    #[cfg(not(unix))]
    let mut moved: Option<()> = None;
    #[cfg(unix)]
    let mut moved =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::user_defined1()).ok();
    let mut held_since: Option<(Hold, tokio::time::Instant)> = None;
    let mut interrupted = false;
    let status = loop {
        let s = rx.borrow_and_update().clone();
        progress.update(&s);
        if !keep_running && s.totals.files_remaining == 0 && s.uploading.is_empty() {
            break s;
        }
        // Without pairing or a project nothing can happen: say so instead of waiting forever.
        match (&s.hold, &held_since) {
            (Some(h @ (Hold::NotAuthorized | Hold::NotConnected)), None) => {
                held_since = Some((h.clone(), tokio::time::Instant::now()))
            }
            (Some(Hold::NotAuthorized | Hold::NotConnected), Some((h, since)))
                if !keep_running && since.elapsed() > Duration::from_secs(3) =>
            {
                progress.finish();
                bail!(
                    "{}",
                    if *h == Hold::NotAuthorized {
                        "this device is not paired: run `takeup pair` first"
                    } else {
                        "this device is not connected to a project: run `takeup connect`"
                    }
                );
            }
            (
                None | Some(Hold::Offline | Hold::PausedByUser | Hold::Suspended | Hold::Insecure),
                _,
            ) => held_since = None,
            _ => {}
        }
        tokio::select! {
            r = rx.changed() => { if r.is_err() { break s; } }
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
            Some(()) = network_moved(&mut moved) => {
                progress.println("network changed (SIGUSR1): parts in flight restart on new connections");
                engine.network_changed(true, takeup_core::ConnectionType::Unknown);
            }
            _ = interrupt.recv() => {
                progress.println("stopping; unfinished uploads resume from their last acknowledged part next time");
                interrupted = true;
                break engine.queue().status();
            }
        }
    };
    progress.finish();
    Ok(Followed {
        status,
        interrupted,
    })
}

/// The next SIGUSR1 (never, without a handler).
#[cfg(unix)]
async fn network_moved(s: &mut Option<tokio::signal::unix::Signal>) -> Option<()> {
    match s {
        Some(s) => s.recv().await,
        None => std::future::pending().await,
    }
}

#[cfg(not(unix))]
async fn network_moved(_: &mut Option<()>) -> Option<()> {
    std::future::pending().await
}

/// The end of `run` / `watch`: the summary, then 130 for Ctrl-C, an error when files failed.
pub fn finish(f: &Followed) -> anyhow::Result<()> {
    summary(&f.status);
    if f.interrupted {
        return Err(crate::Interrupted.into());
    }
    let t = &f.status.totals;
    if t.failed + t.skipped > 0 {
        bail!(
            "{} file(s) not uploaded ({} failed, {} skipped because the device is paused): see \
             `takeup status`; `takeup retry ID` queues one again",
            t.failed + t.skipped,
            t.failed,
            t.skipped
        );
    }
    Ok(())
}

fn summary(s: &QueueStatus) {
    outln!(
        "{} uploaded, {} failed, {} skipped (paused), {} left ({})",
        s.totals.done,
        s.totals.failed,
        s.totals.skipped,
        s.totals.files_remaining,
        human_bytes(s.totals.bytes_remaining)
    );
}

pub async fn run(g: &Globals, a: &RunArgs) -> anyhow::Result<()> {
    let engine = engine_with(g, &a.engine, |c| a.tuning.apply(c, "run")).await?;
    let f = follow(&engine, a.keep_running, !a.tuning.no_progress).await?;
    if !f.interrupted {
        // Comments and triggers that can go now (their file's asset exists) go before the exit.
        crate::notes_cmds::flush_notes(&engine, Duration::from_secs(20)).await;
    }
    engine.shutdown();
    finish(&f)
}

pub async fn status(g: &Globals, a: &EngineArgs, json: bool) -> anyhow::Result<()> {
    let engine = engine(g, a).await?;
    let s = engine.queue().status();
    if json {
        outln!("{}", serde_json::to_string_pretty(&s)?);
        return Ok(());
    }
    outln!(
        "mode: {:?}   files left: {}   bytes left: {}",
        s.mode,
        s.totals.files_remaining,
        human_bytes(s.totals.bytes_remaining)
    );
    if let Some(h) = &s.hold {
        outln!("on hold: {}", crate::progress::hold_text(h));
    }
    let line = |f: &takeup_core::FileEntry| {
        let size = f.size.map(human_bytes).unwrap_or_else(|| "growing".into());
        let reason = f
            .reason
            .as_deref()
            .map(|r| format!("  ({})", safe(r)))
            .unwrap_or_default();
        outln!(
            "  #{:<5} {:<9} {:<6} {:>10} {:>10}  {}{reason}",
            f.id,
            format!("{:?}", f.state).to_lowercase(),
            format!("{:?}", f.kind).to_lowercase(),
            human_bytes(f.uploaded_bytes),
            size,
            safe(&f.name)
        );
    };
    for (title, list) in [
        ("uploading", &s.uploading),
        ("queued", &s.queued),
        ("waiting for selection (manual mode)", &s.held),
        ("failed / skipped", &s.failed),
        ("completed (latest)", &s.completed),
        ("cancelled (latest)", &s.cancelled),
    ] {
        if !list.is_empty() {
            outln!("{title}:");
            list.iter().for_each(line);
        }
    }
    Ok(())
}

pub async fn cancel(g: &Globals, a: &EngineArgs, id: Option<i64>, all: bool) -> anyhow::Result<()> {
    let engine = engine(g, a).await?;
    match (id, all) {
        (_, true) => outln!("cancelled {} file(s)", engine.queue().cancel_all().await?),
        (Some(id), false) => {
            if engine.queue().cancel(id).await? {
                outln!("cancelled #{id}");
            } else {
                outln!("#{id} was not queued or uploading; nothing to cancel");
            }
        }
        (None, false) => bail!("give a file id or --all"),
    }
    Ok(())
}

pub async fn retry(g: &Globals, a: &EngineArgs, id: i64) -> anyhow::Result<()> {
    let engine = engine(g, a).await?;
    engine.queue().retry(id).await?;
    outln!("#{id} is queued again");
    Ok(())
}

pub async fn select(g: &Globals, a: &EngineArgs, ids: Vec<i64>) -> anyhow::Result<()> {
    let engine = engine(g, a).await?;
    let n = engine.queue().select(ids).await?;
    outln!("{n} file(s) queued");
    Ok(())
}

pub async fn top(g: &Globals, a: &EngineArgs, id: i64) -> anyhow::Result<()> {
    let engine = engine(g, a).await?;
    engine.queue().move_to_top(id).await?;
    outln!("#{id} moved to the top");
    Ok(())
}

pub async fn mode(g: &Globals, a: &EngineArgs, mode: ModeArg) -> anyhow::Result<()> {
    let engine = engine(g, a).await?;
    let m = match mode {
        ModeArg::Auto => QueueMode::Auto,
        ModeArg::Manual => QueueMode::Manual,
    };
    engine.queue().set_mode(m).await?;
    outln!("mode: {m:?}");
    Ok(())
}
