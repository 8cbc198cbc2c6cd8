//! `takeup emulator`: the C2C emulator as a standalone process.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use takeup_emulator::{Emulator, EmulatorConfig};

#[derive(Args, Debug)]
pub struct EmulatorArgs {
    /// API listen address (loopback only; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// S3 stand-in listen address (defaults to the API's IP with a free port).
    #[arg(long)]
    s3_listen: Option<SocketAddr>,
    /// Directory for received parts and the CA certificate (a temporary one if omitted).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Seed for fault injection and generated ids.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Print the addresses as one JSON line (for scripts) instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(args: EmulatorArgs) -> anyhow::Result<()> {
    let mut interrupt = crate::interrupt::Interrupt::new()?;
    let emulator = Emulator::start(EmulatorConfig {
        listen: args.listen,
        s3_listen: args.s3_listen,
        data_dir: args.data,
        seed: args.seed,
        ..EmulatorConfig::default()
    })
    .await?;
    if args.json {
        outln!(
            "{}",
            serde_json::json!({
                "base_url": emulator.base_url,
                "s3_base_url": emulator.s3_base_url,
                "ca_path": emulator.ca_path,
                "data_dir": emulator.data_dir,
                "client_secret": emulator.client_secret,
                "app_client_id": emulator.app_client_id,
                "applications_base_url": emulator.applications_base_url,
            })
        );
    } else {
        outln!("C2C emulator (test service, not Frame.io)");
        outln!("  API base URL:   {}", emulator.base_url);
        outln!("  S3 stand-in:    {}", emulator.s3_base_url);
        outln!("  CA certificate: {}", emulator.ca_path.display());
        outln!("  pairing page:   {}/pair", emulator.base_url);
        outln!("  control API:    {}/_emulator/", emulator.base_url);
        outln!("  client secret:  {}", emulator.client_secret);
        outln!(
            "  app sign-in:    client id {} at {}/oauth2/auth (approve: /_emulator/oauth/approve)",
            emulator.app_client_id,
            emulator.applications_base_url
        );
        outln!(
            "Trust it with SSL_CERT_FILE={}. Ctrl-C stops it.",
            emulator.ca_path.display()
        );
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    interrupt.recv().await;
    emulator.stop().await;
    Ok(())
}
