//! Ctrl-C for the commands that wait: registered when the command starts, so a SIGINT that
//! arrives before the first wait is still seen (tokio's `ctrl_c()` registers its handler only
//! when first polled; a signal before that kills the process with the default action).

/// Ctrl-C, registered when created (tokio's `ctrl_c()` registers only when first polled).
pub struct Interrupt {
    #[cfg(unix)]
    signal: tokio::signal::unix::Signal,
}

impl Interrupt {
    pub fn new() -> anyhow::Result<Self> {
        Ok(Self {
            #[cfg(unix)]
            signal: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?,
        })
    }

    pub async fn recv(&mut self) {
        #[cfg(unix)]
        self.signal.recv().await;
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}
