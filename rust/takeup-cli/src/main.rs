//! `takeup`: the command-line host of the Takeup engine and of the embedded C2C emulator.
//!
//! Exit status: 0 done, 1 an error (or files that failed to upload), 2 a usage error, 130
//! interrupted by Ctrl-C.

#[macro_use]
mod out;
mod demo;
mod emulator_cmd;
mod engine_cmds;
mod host;
mod interrupt;
mod notes_cmds;
mod progress;
mod queue_cmds;
mod sign_in_cmd;
mod watch_cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "takeup",
    version,
    about = "Send media to Frame.io Camera to Cloud"
)]
struct Cli {
    /// Where the engine keeps its journal and settings (never tokens: those go to the keystore).
    #[arg(long, global = true, env = "TAKEUP_STATE_DIR")]
    state_dir: Option<PathBuf>,
    /// Base URL of the C2C API (HTTPS only).
    #[arg(long, global = true, env = "TAKEUP_API_BASE")]
    api_base: Option<String>,
    /// Log filter (also RUST_LOG), e.g. `info` or `takeup_core=debug`.
    #[arg(long, global = true, default_value = "warn")]
    log: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the local C2C API + S3 emulator until Ctrl-C.
    Emulator(emulator_cmd::EmulatorArgs),
    /// Pair this device with Frame.io (shows a QR code and a code; Ctrl-C cancels).
    Pair(host::EngineArgs),
    /// Sign in with a Frame.io account in a browser (prints the address; receives the answer on
    /// a loopback port or pasted; Ctrl-C cancels).
    SignIn(sign_in_cmd::SignInArgs),
    /// Show the signed-in user, the connected project and the network status.
    Whoami(host::EngineArgs),
    /// List the accounts with Camera to Cloud enabled.
    Accounts(host::EngineArgs),
    /// List the projects of an account.
    Projects {
        /// Account id (from `takeup accounts`).
        account: String,
        /// Only projects whose name contains this text (case-insensitive).
        #[arg(long)]
        search: Option<String>,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Connect this device to a project.
    Connect {
        /// Project id (from `takeup projects`).
        project_id: String,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Disconnect this device from its project.
    Disconnect(host::EngineArgs),
    /// Sign out: revoke the tokens and delete them.
    SignOut(host::EngineArgs),
    /// Add files to the upload queue.
    Enqueue(queue_cmds::EnqueueArgs),
    /// Upload the queue (progress bars) until it is empty or Ctrl-C.
    Run(queue_cmds::RunArgs),
    /// Show the queue: files and bytes left, uploading, queued, completed and failed files.
    Status {
        /// Print the status as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Cancel one file (by id) or all of them.
    Cancel {
        /// File id (from `takeup status`).
        id: Option<i64>,
        /// Cancel everything queued or uploading.
        #[arg(long, conflicts_with = "id")]
        all: bool,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Queue a failed, skipped or cancelled file again.
    Retry {
        id: i64,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Manual mode: queue the selected files.
    Select {
        #[arg(required = true)]
        ids: Vec<i64>,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Move a file to the top of the queue.
    Top {
        id: i64,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Auto mode (files are queued as they come) or manual mode (they wait for selection).
    Mode {
        #[arg(value_enum)]
        mode: queue_cmds::ModeArg,
        #[command(flatten)]
        engine: host::EngineArgs,
    },
    /// Write a comment on a file (queued now if it is not yet); sent by `takeup run` once the
    /// file has its asset on Frame.io, even if written offline.
    Comment(notes_cmds::CommentArgs),
    /// Log a clip's scene, take and circle take; written with a slate comment (`Scene 12A ·
    /// Take 3 · Circle take`) sent like any comment.
    Take(notes_cmds::TakeArgs),
    /// Write a real-time logging trigger (a channel's input, SMPTE start and duration); sent by
    /// `takeup run`.
    Trigger(notes_cmds::TriggerArgs),
    /// List the take-log notes (comments and triggers): sent, waiting or failed.
    Notes(notes_cmds::NotesArgs),
    /// List this device's channels; create, disconnect, pause, resume, or offset one.
    Channels(notes_cmds::ChannelsArgs),
    /// Watch a folder: new files are queued and uploaded, growing files in real time.
    Watch(queue_cmds::WatchArgs),
    /// Start the embedded emulator, pair with it, write sample media (one file still being
    /// recorded) and upload it all, then check every file's sha256 against the emulator's copy.
    Demo,
}

/// The command was interrupted by Ctrl-C (exit status 130); what it says was printed already.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted")
    }
}

impl std::error::Error for Interrupted {}

fn init_logging(filter: &str) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    // Colours only for a terminal: escape codes in a log file or a pipe are noise.
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .init();
}

/// glibc gives every thread that contends for the allocator an arena of its own (up to eight
/// per core), and each keeps what it once held. The engine's threads (the runtime's workers,
/// blocking journal and hashing jobs) hand part buffers between each other, so an upload's peak
/// memory grew with the threads it had touched; two arenas keep it from doing so (decision 40).
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first in main, before any other thread exists; mallopt only sets a limit.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> std::process::ExitCode {
    limit_malloc_arenas();
    let cli = Cli::parse();
    init_logging(&cli.log);
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) if e.downcast_ref::<Interrupted>().is_some() => std::process::ExitCode::from(130),
        Err(e) => {
            // The message and its causes, never anyhow's debug form (which adds a backtrace
            // when RUST_BACKTRACE is set): a user error is not a crash.
            errln!("error: {}", out::safe(&format!("{e:#}")));
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let g = host::Globals {
            state_dir: cli.state_dir.clone(),
            api_base: cli.api_base.clone(),
        };
        match cli.command {
            Command::Emulator(args) => emulator_cmd::run(args).await,
            Command::Pair(a) => engine_cmds::pair(&g, &a).await,
            Command::SignIn(a) => sign_in_cmd::run(&g, &a).await,
            Command::Whoami(a) => engine_cmds::whoami(&g, &a).await,
            Command::Accounts(a) => engine_cmds::accounts(&g, &a).await,
            Command::Projects {
                account,
                search,
                engine,
            } => engine_cmds::projects(&g, &engine, &account, search.as_deref()).await,
            Command::Connect { project_id, engine } => {
                engine_cmds::connect(&g, &engine, &project_id).await
            }
            Command::Disconnect(a) => engine_cmds::disconnect(&g, &a).await,
            Command::SignOut(a) => engine_cmds::sign_out(&g, &a).await,
            Command::Enqueue(a) => queue_cmds::enqueue(&g, &a).await,
            Command::Run(a) => queue_cmds::run(&g, &a).await,
            Command::Status { json, engine } => queue_cmds::status(&g, &engine, json).await,
            Command::Cancel { id, all, engine } => queue_cmds::cancel(&g, &engine, id, all).await,
            Command::Retry { id, engine } => queue_cmds::retry(&g, &engine, id).await,
            Command::Select { ids, engine } => queue_cmds::select(&g, &engine, ids).await,
            Command::Top { id, engine } => queue_cmds::top(&g, &engine, id).await,
            Command::Mode { mode, engine } => queue_cmds::mode(&g, &engine, mode).await,
            Command::Watch(a) => watch_cmd::watch(&g, &a).await,
            Command::Comment(a) => notes_cmds::comment(&g, &a).await,
            Command::Take(a) => notes_cmds::take(&g, &a).await,
            Command::Trigger(a) => notes_cmds::trigger(&g, &a).await,
            Command::Notes(a) => notes_cmds::notes(&g, &a).await,
            Command::Channels(a) => notes_cmds::channels(&g, &a).await,
            Command::Demo => demo::run(cli.state_dir.clone()).await,
        }
    })
}
