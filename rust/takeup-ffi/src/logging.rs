//! `init_logging`: the engine's `tracing` events to the platform's log. Android: logcat through
//! android_logger (tag `takeup`); Apple: the unified log through oslog (subsystem
//! `io.takeup.engine`); elsewhere: stderr through tracing-subscriber. The engine never logs
//! tokens or the client secret.

/// Send the engine's log to the platform log at `level` (`error`, `warn`, `info`, `debug` or
/// `trace`; anything else means `info`). Returns false if logging was already set up (by an
/// earlier call or by the host), in which case nothing changes.
#[uniffi::export]
pub fn init_logging(level: String) -> bool {
    let level = match level.trim().to_ascii_lowercase().as_str() {
        l @ ("error" | "warn" | "info" | "debug" | "trace") => l.to_string(),
        _ => "info".to_string(),
    };
    platform_init(&level)
}

#[cfg(any(target_os = "android", target_vendor = "apple"))]
fn log_filter(level: &str) -> log::LevelFilter {
    level.parse().unwrap_or(log::LevelFilter::Info)
}

#[cfg(target_os = "android")]
fn platform_init(level: &str) -> bool {
    // tracing's `log` feature forwards events to the `log` facade when no tracing subscriber is
    // installed; android_logger is that facade's logcat backend.
    if log::max_level() != log::LevelFilter::Off {
        return false;
    }
    android_logger::init_once(
        android_logger::Config::default()
            .with_max_level(log_filter(level))
            .with_tag("takeup"),
    );
    true
}

#[cfg(target_vendor = "apple")]
fn platform_init(level: &str) -> bool {
    oslog::OsLogger::new("io.takeup.engine")
        .level_filter(log_filter(level))
        .init()
        .is_ok()
}

#[cfg(not(any(target_os = "android", target_vendor = "apple")))]
fn platform_init(level: &str) -> bool {
    use tracing_subscriber::EnvFilter;
    // Only this library's and the engine's events at `level`; other crates at warn.
    let filter = EnvFilter::new(format!("warn,takeup_core={level},takeup_ffi={level}"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init()
        .is_ok()
}
