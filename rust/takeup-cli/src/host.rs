//! Building an engine from command-line options: state directory, client secret, extra CA and the
//! secret store (the OS keyring, or an explicit in-memory fallback; tokens never go to a file).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use takeup_core::{
    AppSignInConfig, Engine, EngineConfig, KeyringSecretStore, MemorySecretStore, SecretStore,
};

/// The redirect URI `takeup sign-in` uses (RFC 8252 loopback: any port is accepted).
pub const LOOPBACK_REDIRECT: &str = "http://127.0.0.1/callback";

/// Options shared by the engine commands.
#[derive(Args, Debug, Clone)]
pub struct EngineArgs {
    /// The device model's client secret, for pairing with a code (emulator default:
    /// takeup-dev-secret). Not needed to sign in with a Frame.io account.
    #[arg(long, env = "TAKEUP_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// The app's OAuth client id, for signing in with a Frame.io account (emulator: takeup-app).
    #[arg(long, env = "TAKEUP_APP_CLIENT_ID")]
    pub app_client_id: Option<String>,
    /// Base URL of the OAuth endpoints (default https://applications.frame.io; the emulator
    /// serves them on its API URL).
    #[arg(long, env = "TAKEUP_APPLICATIONS_BASE")]
    pub applications_base: Option<String>,
    /// Extra trusted root CA (PEM), e.g. the emulator's ca.pem.
    #[arg(long, env = "TAKEUP_CA_FILE")]
    pub ca_file: Option<PathBuf>,
    /// Hosts part upload URLs may point at (`host[:port]` or `*.suffix`); default `*.amazonaws.com`.
    #[arg(
        long = "upload-host",
        env = "TAKEUP_UPLOAD_HOSTS",
        value_delimiter = ','
    )]
    pub upload_hosts: Vec<String>,
}

/// Global options as parsed in main.
pub struct Globals {
    pub state_dir: Option<PathBuf>,
    pub api_base: Option<String>,
}

/// `--state-dir`, else `$XDG_DATA_HOME/takeup`, else `~/.local/share/takeup`.
pub fn default_state_dir(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(d) = explicit {
        return Ok(d);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(x).join("takeup"));
    }
    let home = std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .context("cannot find a data directory: set --state-dir or HOME")?;
    Ok(PathBuf::from(home).join(".local/share/takeup"))
}

/// The OS keyring if it works here; otherwise a memory store, with a warning. Entries are under
/// the service `takeup` (`TAKEUP_KEYRING_SERVICE` names another, e.g. to keep a second profile's
/// pairing apart).
pub fn secret_store() -> Arc<dyn SecretStore> {
    let service = std::env::var("TAKEUP_KEYRING_SERVICE")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "takeup".into());
    match KeyringSecretStore::platform_default(service).and_then(|s| s.probe().map(|_| s)) {
        Ok(s) => Arc::new(s),
        Err(e) => {
            errln!(
                "warning: the system keyring is not usable ({e}); tokens are kept in memory only \
                 and this pairing ends when the command exits"
            );
            MemorySecretStore::new()
        }
    }
}

pub fn config(
    globals: &Globals,
    args: &EngineArgs,
    state_dir: PathBuf,
) -> anyhow::Result<EngineConfig> {
    let api_base = globals
        .api_base
        .clone()
        .unwrap_or_else(|| takeup_core::DEFAULT_API_BASE.to_string());
    let app_sign_in = args.app_client_id.as_ref().map(|id| {
        let mut c = AppSignInConfig::new(id.clone(), vec![LOOPBACK_REDIRECT.to_string()]);
        if let Some(base) = &args.applications_base {
            c.applications_base = base.clone();
        }
        c
    });
    let secret = match (&args.client_secret, &app_sign_in) {
        (Some(s), _) => s.clone(),
        (None, Some(_)) => String::new(),
        (None, None) => anyhow::bail!(
            "no client secret: set TAKEUP_CLIENT_SECRET or --client-secret (the emulator uses takeup-dev-secret), or TAKEUP_APP_CLIENT_ID to sign in with a Frame.io account"
        ),
    };
    let mut config = EngineConfig::new(state_dir, api_base, secret, env!("CARGO_PKG_VERSION"));
    config.app_sign_in = app_sign_in;
    if let Some(path) = &args.ca_file {
        let pem = std::fs::read_to_string(path)
            .with_context(|| format!("reading the CA file {}", path.display()))?;
        config.extra_root_ca_pem = Some(pem);
    }
    if !args.upload_hosts.is_empty() {
        config.queue.upload_hosts = args.upload_hosts.clone();
    }
    // Only `run`, `watch` and `demo` upload; the other commands read or edit the queue.
    config.queue.run = false;
    Ok(config)
}

pub async fn engine(globals: &Globals, args: &EngineArgs) -> anyhow::Result<Engine> {
    engine_with(globals, args, |_| {}).await
}

/// An engine with a last say on its configuration (e.g. to run the uploader).
pub async fn engine_with(
    globals: &Globals,
    args: &EngineArgs,
    tune: impl FnOnce(&mut EngineConfig),
) -> anyhow::Result<Engine> {
    let dir = default_state_dir(globals.state_dir.clone())?;
    let mut config = config(globals, args, dir)?;
    tune(&mut config);
    Ok(Engine::start(config, secret_store()).await?)
}
