//! SIGTERM/SIGINT: the first asks for a graceful shutdown; a second one while it runs exits at
//! once (code 130), as an operator pressing Ctrl-C twice expects.

use tokio::signal::unix::{signal, SignalKind};

/// Resolves on the first SIGTERM or SIGINT.
pub struct ShutdownSignal {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

/// Installs the handlers now (so a signal arriving during startup is not lost).
pub fn shutdown_signal() -> std::io::Result<ShutdownSignal> {
    Ok(ShutdownSignal {
        term: signal(SignalKind::terminate())?,
        int: signal(SignalKind::interrupt())?,
    })
}

impl ShutdownSignal {
    /// Waits for the first signal; from then on a second one exits the process with 130.
    pub async fn wait(mut self) {
        let name = tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        };
        tracing::info!(target: "rocketsim::process", signal = name, "shutting down; a second signal forces exit");
        tokio::spawn(async move {
            tokio::select! {
                _ = self.term.recv() => {},
                _ = self.int.recv() => {},
            }
            tracing::warn!(target: "rocketsim::process", "second signal: exiting now");
            std::process::exit(130);
        });
    }
}
