//! `takeup`: the command-line host of the Takeup engine and of the embedded C2C emulator.

mod demo;
mod emulator_cmd;
mod engine_cmds;
mod host;

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
    /// Start the embedded emulator, pair with it and show the identity.
    Demo,
}

fn init_logging(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.log);
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
            Command::Demo => demo::run(cli.state_dir.clone()).await,
        }
    })
}
