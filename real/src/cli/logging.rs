//! Logs through `tracing` to stderr: a level for everything (`--log-level`), refined per
//! component with `RUST_LOG` (e.g. `RUST_LOG=rocketsim::broker=debug`).

use tracing_subscriber::EnvFilter;

/// Installs the subscriber; `level` is the default for targets `RUST_LOG` does not name.
pub fn init_logging(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(true)
        .init();
}
