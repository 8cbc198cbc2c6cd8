//! `takeup`: the command-line host of the Takeup engine and of the embedded C2C emulator.

mod emulator_cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "takeup", version, about = "Send media to Frame.io Camera to Cloud")]
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
        match cli.command {
            Command::Emulator(args) => emulator_cmd::run(args).await,
        }
    })
}
