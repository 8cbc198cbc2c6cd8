//! `takeup watch DIR`: new files in a folder go into the queue; files still being written upload
//! as they grow and are finalised as soon as their writer closes them.
//!
//! Filesystem events (the `notify` crate: inotify on Linux, FSEvents on macOS) say when a file
//! appears and, where the platform reports it (inotify's close-after-write), when its writer
//! closed it: the engine's `file_closed` then finalises a growing file at once instead of after
//! its growth idle time. A new file still open [`SETTLE`] after it appeared is uploaded as it
//! grows; one closed sooner (a copy, a short clip) is queued as a finished file.
//!
//! Polling is the fallback: with `--poll` (network shares, whose remote writes raise no local
//! events), or when events cannot be had, the folder is scanned every second and a file written
//! in the last two seconds counts as growing; its growth idle time (`--growth-idle-secs`)
//! finalises it. With events, a rescan every [`RESCAN`] still catches whatever events missed (an
//! overflowed event queue, files in a folder moved in). Whatever the host reports, the engine
//! checks the file again before the final part: a writer that reopens the file and appends after
//! a close makes that close stale (the file keeps growing until the next close).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use takeup_core::{AssetKind, EnqueueOptions, Enqueued, UploadQueue};
use tokio::sync::mpsc;

use crate::host::{Globals, engine_with};
use crate::out::{path as safe_path, safe};
use crate::queue_cmds::{WatchArgs, finish, follow};

/// A new file still open this long after it appeared is being recorded: upload it as it grows.
pub const SETTLE: Duration = Duration::from_millis(1000);
/// With events: scan the folder this often anyway (events can be lost).
pub const RESCAN: Duration = Duration::from_secs(10);
/// Without events: scan the folder this often.
pub const POLL: Duration = Duration::from_secs(1);
/// Without close events, a file modified this recently when found counts as growing.
const RECENT: Duration = Duration::from_secs(2);

/// Whether this platform's watcher reports close-after-write (inotify does; FSEvents does not).
const CLOSE_EVENTS: bool = cfg!(any(target_os = "linux", target_os = "android"));

fn scan(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() && depth < 8 {
            scan(&e.path(), out, depth + 1);
        } else if ft.is_file() {
            out.push(e.path());
        }
    }
}

fn recently_written(path: &Path) -> bool {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(|t| SystemTime::now().duration_since(t).unwrap_or_default() < RECENT)
        .unwrap_or(false)
}

struct Folder {
    dir: PathBuf,
    queue: UploadQueue,
    kind: Option<AssetKind>,
    /// Close-after-write events arrive.
    close_events: bool,
    /// Files queued (with their queue id) or refused (`None`).
    known: HashMap<PathBuf, Option<i64>>,
    /// New files an event showed, not queued yet: when they appeared.
    fresh: HashMap<PathBuf, Instant>,
}

impl Folder {
    /// Hidden files and folders (a leading dot: editors' and recorders' temporaries) are skipped.
    fn hidden(&self, path: &Path) -> bool {
        path.strip_prefix(&self.dir).is_ok_and(|rel| {
            rel.components()
                .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
        })
    }

    async fn enqueue(&mut self, path: PathBuf, growing: bool) {
        self.fresh.remove(&path);
        let opts = EnqueueOptions {
            kind: self.kind,
            growing,
            ..Default::default()
        };
        match self.queue.enqueue(&path, opts).await {
            Ok(r) => {
                if matches!(r, Enqueued::Added(_)) {
                    errln!(
                        "found {}{}",
                        safe_path(&path),
                        if growing {
                            " (recording: uploading as it grows)"
                        } else {
                            ""
                        }
                    );
                }
                self.known.insert(path, Some(r.id()));
            }
            Err(e) => {
                errln!("not queued {}: {}", safe_path(&path), safe(&e.to_string()));
                self.known.insert(path, None);
            }
        }
    }

    /// A scan: queue every file not known yet (growing when written in the last moments).
    async fn rescan(&mut self) {
        let d = self.dir.clone();
        let found = tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            scan(&d, &mut found, 0);
            found
        })
        .await
        .unwrap_or_default();
        for path in found {
            if self.known.contains_key(&path) || self.fresh.contains_key(&path) {
                continue;
            }
            let growing = recently_written(&path);
            if growing && self.close_events {
                // Being written: its close event (or the settle time) decides.
                self.fresh.insert(path, Instant::now());
            } else {
                self.enqueue(path, growing).await;
            }
        }
    }

    async fn event(&mut self, ev: notify::Event) {
        for path in ev.paths {
            if self.hidden(&path) {
                continue;
            }
            match ev.kind {
                EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                    match self.known.get(&path) {
                        Some(Some(id)) => {
                            // Harmless for a file queued as finished (the engine only reads it
                            // for a growing one) and for a stale report (a later write wins).
                            self.queue.file_closed(*id);
                        }
                        Some(None) => {}
                        None if path.is_file() => self.enqueue(path, false).await,
                        None => {}
                    }
                }
                EventKind::Modify(ModifyKind::Name(_)) => {
                    // Moved in: finished (recorders write under a temporary name, then rename),
                    // unless written to a moment ago; a folder moved in is scanned.
                    if path.is_dir() {
                        self.rescan().await;
                    } else if path.is_file() && !self.known.contains_key(&path) {
                        let growing = !self.close_events && recently_written(&path);
                        if self.close_events && recently_written(&path) {
                            self.fresh.entry(path).or_insert_with(Instant::now);
                        } else {
                            self.enqueue(path, growing).await;
                        }
                    }
                }
                EventKind::Create(_) | EventKind::Modify(_) | EventKind::Any => {
                    if self.known.contains_key(&path) {
                        continue; // the engine follows a queued file's growth itself
                    }
                    if path.is_dir() {
                        self.rescan().await;
                    } else if path.is_file() {
                        if self.close_events {
                            self.fresh.entry(path).or_insert_with(Instant::now);
                        } else {
                            self.enqueue(path.clone(), recently_written(&path)).await;
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// New files still open after [`SETTLE`]: queue them as growing.
    async fn settle(&mut self) {
        let due: Vec<PathBuf> = self
            .fresh
            .iter()
            .filter(|(_, t)| t.elapsed() >= SETTLE)
            .map(|(p, _)| p.clone())
            .collect();
        for path in due {
            if path.is_file() {
                self.enqueue(path, true).await;
            } else {
                self.fresh.remove(&path);
            }
        }
    }
}

type Events = mpsc::UnboundedReceiver<notify::Result<notify::Event>>;

/// A recursive watcher on `dir` feeding a channel, or why there is none.
fn watcher(dir: &Path) -> notify::Result<(notify::RecommendedWatcher, Events)> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mut w = notify::recommended_watcher(move |ev| {
        let _ = tx.send(ev);
    })?;
    w.watch(dir, RecursiveMode::Recursive)?;
    Ok((w, rx))
}

async fn follow_folder(mut f: Folder, mut events: Option<Events>) {
    f.rescan().await;
    let every = if events.is_some() { RESCAN } else { POLL };
    let mut rescan = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut settle = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            ev = async { events.as_mut().expect("checked").recv().await }, if events.is_some() => {
                match ev {
                    Some(Ok(ev)) => f.event(ev).await,
                    Some(Err(e)) => {
                        // An overflowed queue or a folder that went away: the next scan catches up.
                        tracing::warn!(error = %e, "filesystem events");
                        f.rescan().await;
                    }
                    None => {
                        errln!("filesystem events stopped; looking for new files every second");
                        events = None;
                        rescan = tokio::time::interval(POLL);
                        f.close_events = false;
                    }
                }
            }
            _ = rescan.tick() => f.rescan().await,
            _ = settle.tick(), if !f.fresh.is_empty() => f.settle().await,
        }
    }
}

pub async fn watch(g: &Globals, a: &WatchArgs) -> anyhow::Result<()> {
    let dir = std::path::absolute(&a.dir).with_context(|| safe_path(&a.dir))?;
    if !dir.is_dir() {
        bail!("{} is not a folder", safe_path(&dir));
    }
    let dir = dir.canonicalize().unwrap_or(dir);
    let engine = engine_with(g, &a.engine, |c| a.tuning.apply(c, "watch")).await?;
    let (_watcher, events) = if a.poll {
        (None, None)
    } else {
        match watcher(&dir) {
            Ok((w, rx)) => (Some(w), Some(rx)),
            Err(e) => {
                errln!(
                    "no filesystem events for {} ({}): looking for new files every second",
                    safe_path(&dir),
                    safe(&e.to_string())
                );
                (None, None)
            }
        }
    };
    outln!(
        "watching {} (Ctrl-C stops; unfinished uploads resume next time)",
        safe_path(&dir)
    );
    let folder = Folder {
        dir,
        queue: engine.queue().clone(),
        kind: a.kind.map(AssetKind::from),
        close_events: events.is_some() && CLOSE_EVENTS,
        known: HashMap::new(),
        fresh: HashMap::new(),
    };
    let scanner = tokio::spawn(follow_folder(folder, events));
    let f = follow(&engine, true, !a.tuning.no_progress).await;
    scanner.abort();
    engine.shutdown();
    finish(&f?)
}
