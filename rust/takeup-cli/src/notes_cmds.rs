//! Take logging and channels: `takeup comment`, `takeup take`, `takeup trigger`, `takeup notes`,
//! `takeup channels`. Notes are written to the journal here and sent by the uploader
//! (`takeup run` / `takeup watch`), which waits for the sendable ones before it exits.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use takeup_core::{Engine, EnqueueOptions, FrameRate, Note, NoteKind, NoteState};

use crate::host::{EngineArgs, Globals, engine};
use crate::out::{path as safe_path, safe};

#[derive(Args, Debug)]
pub struct CommentArgs {
    /// The media file the comment is about (queued now if it is not in the queue yet).
    file: PathBuf,
    /// The comment.
    text: String,
    /// The frame it points at (counted from 0).
    #[arg(long)]
    frame: Option<u64>,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
pub struct TakeArgs {
    /// The clip (queued now if it is not in the queue yet).
    file: PathBuf,
    /// The scene (`12A`); an empty value clears it. Kept as it is when not given.
    #[arg(long)]
    scene: Option<String>,
    /// The take (`3`); an empty value clears it. Kept as it is when not given.
    #[arg(long)]
    take: Option<String>,
    /// Circle the take (a keeper).
    #[arg(long, conflicts_with = "no_circle")]
    circle: bool,
    /// Remove the circle.
    #[arg(long)]
    no_circle: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
pub struct TriggerArgs {
    /// Channel index (0 is this device).
    #[arg(long)]
    channel: u32,
    /// Input index on that channel (0-based).
    #[arg(long)]
    input: u32,
    /// SMPTE start timecode (HH:MM:SS:FF).
    #[arg(long)]
    start: Option<String>,
    /// SMPTE duration (HH:MM:SS:FF).
    #[arg(long)]
    duration: Option<String>,
    /// Frame rate of the timecodes: 24, 25, 30, 23.976, 29.97, 59.94 or NUM/DEN.
    #[arg(long, default_value = "24")]
    rate: String,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
pub struct NotesArgs {
    /// Print the notes as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Args, Debug)]
pub struct ChannelsArgs {
    #[command(subcommand)]
    action: Option<ChannelAction>,
    #[command(flatten)]
    engine: EngineArgs,
}

#[derive(Subcommand, Debug)]
enum ChannelAction {
    /// Create a channel (an audio recorder's track, a proxy or raw lane).
    Create {
        /// The source's identifier (a new one when omitted).
        #[arg(long)]
        client_id: Option<String>,
    },
    /// Disconnect one channel (by index), or all but channel 0.
    Disconnect {
        index: Option<u32>,
        #[arg(long, conflicts_with = "index")]
        all: bool,
    },
    /// Stop starting uploads of one channel (kept across restarts).
    Pause { index: u32 },
    /// Start uploads of a paused channel again.
    Resume { index: u32 },
    /// Seconds added to the offset of one channel's uploads and triggers.
    Offset {
        index: u32,
        #[arg(allow_hyphen_values = true)]
        seconds: i64,
    },
}

fn state_word(n: &Note) -> &'static str {
    match n.state {
        NoteState::Waiting => "waiting",
        NoteState::Sent => "sent",
        NoteState::Failed => "failed",
    }
}

fn describe(n: &Note) -> String {
    match n.kind {
        NoteKind::Comment => format!(
            "comment on #{} {}{}: {:?}",
            n.file_id.unwrap_or_default(),
            safe(n.file_name.as_deref().unwrap_or("")),
            n.frame.map(|f| format!(" @frame {f}")).unwrap_or_default(),
            safe(n.text.as_deref().unwrap_or(""))
        ),
        NoteKind::Trigger => format!(
            "trigger channel {} input {}{}{}",
            n.channel.unwrap_or_default(),
            n.input.unwrap_or_default(),
            n.start
                .as_deref()
                .map(|s| format!(" start {s}"))
                .unwrap_or_default(),
            n.duration
                .as_deref()
                .map(|s| format!(" duration {s}"))
                .unwrap_or_default()
        ),
    }
}

/// The engine, and the id of `file` in its queue (queued now if it is not there yet).
async fn engine_and_file(
    g: &Globals,
    e: &EngineArgs,
    file: &std::path::Path,
) -> anyhow::Result<(Engine, i64)> {
    let engine = engine(g, e).await?;
    let queued = engine
        .queue()
        .enqueue(file, EnqueueOptions::default())
        .await
        .with_context(|| format!("queueing {}", safe_path(file)))?;
    Ok((engine, queued.id()))
}

fn print_written(note: &Note) {
    outln!(
        "note #{} {} ({}: sent by `takeup run` once the file has its asset)",
        note.id,
        describe(note),
        state_word(note)
    );
}

pub async fn comment(g: &Globals, a: &CommentArgs) -> anyhow::Result<()> {
    let (engine, id) = engine_and_file(g, &a.engine, &a.file).await?;
    let note = engine.add_comment(id, a.text.clone(), a.frame).await?;
    print_written(&note);
    Ok(())
}

pub async fn take(g: &Globals, a: &TakeArgs) -> anyhow::Result<()> {
    let (engine, id) = engine_and_file(g, &a.engine, &a.file).await?;
    let mut mark = engine.take_mark(id).await?;
    if let Some(s) = &a.scene {
        mark.scene = s.clone();
    }
    if let Some(t) = &a.take {
        mark.take = t.clone();
    }
    if a.circle || a.no_circle {
        mark.circled = a.circle;
    }
    match engine.log_take(id, mark).await? {
        Some(note) => print_written(&note),
        None => outln!("#{id}: the take is logged like that already"),
    }
    Ok(())
}

pub async fn trigger(g: &Globals, a: &TriggerArgs) -> anyhow::Result<()> {
    let Some(rate) = FrameRate::parse(&a.rate) else {
        bail!(
            "{:?} is not a frame rate (24, 25, 29.97, 24000/1001...)",
            a.rate
        );
    };
    let engine = engine(g, &a.engine).await?;
    let note = engine
        .add_trigger(
            a.channel,
            a.input,
            a.start.clone(),
            a.duration.clone(),
            rate,
        )
        .await?;
    outln!(
        "note #{} {} ({}: sent by `takeup run`)",
        note.id,
        describe(&note),
        state_word(&note)
    );
    Ok(())
}

pub async fn notes(g: &Globals, a: &NotesArgs) -> anyhow::Result<()> {
    let engine = engine(g, &a.engine).await?;
    let list = engine.notes(None, 1000).await?;
    if a.json {
        outln!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if list.is_empty() {
        outln!("no take-log notes");
    }
    for n in &list {
        let why = n
            .last_error
            .as_deref()
            .filter(|_| n.state != NoteState::Sent)
            .map(|e| format!("  ({})", safe(e)))
            .unwrap_or_default();
        outln!("  #{:<5} {:<8} {}{why}", n.id, state_word(n), describe(n));
    }
    Ok(())
}

pub async fn channels(g: &Globals, a: &ChannelsArgs) -> anyhow::Result<()> {
    let engine = engine(g, &a.engine).await?;
    match &a.action {
        None => {
            for c in engine.channels().await? {
                let paused = if c.paused { "  paused here" } else { "" };
                let offset = if c.offset_secs != 0 {
                    format!("  offset {:+}s", c.offset_secs)
                } else {
                    String::new()
                };
                outln!(
                    "  {:<3} {:<8} {}{paused}{offset}",
                    c.index,
                    c.status,
                    safe(&c.name)
                );
            }
        }
        Some(ChannelAction::Create { client_id }) => {
            let c = engine.create_channel(client_id.clone()).await?;
            outln!("created channel {} ({})", c.index, safe(&c.name));
        }
        Some(ChannelAction::Disconnect { index, all }) => match (index, all) {
            (_, true) => {
                engine.disconnect_all_channels().await?;
                outln!("disconnected every channel but 0");
            }
            (Some(i), false) => {
                engine.disconnect_channel(*i).await?;
                outln!("disconnected channel {i}");
            }
            (None, false) => bail!("give a channel index or --all"),
        },
        Some(ChannelAction::Pause { index }) => {
            engine.set_channel_paused(*index, true).await?;
            outln!("channel {index} paused: its files wait");
        }
        Some(ChannelAction::Resume { index }) => {
            engine.set_channel_paused(*index, false).await?;
            outln!("channel {index} resumed");
        }
        Some(ChannelAction::Offset { index, seconds }) => {
            engine.set_channel_offset(*index, *seconds).await?;
            outln!("channel {index}: offset {seconds:+}s");
        }
    }
    Ok(())
}

/// After the uploads: wait (at most `max`) for the notes that can be sent now.
pub async fn flush_notes(engine: &Engine, max: Duration) {
    let until = Instant::now() + max;
    loop {
        match engine.notes_sendable().await {
            Ok(0) => return,
            Ok(n) if Instant::now() >= until => {
                errln!("{n} take-log note(s) still waiting; they go with the next `takeup run`");
                return;
            }
            Ok(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => {
                errln!("cannot read the take-log notes: {}", safe(&e.to_string()));
                return;
            }
        }
    }
}
