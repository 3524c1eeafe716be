//! Reading a properties file for a binary: errors name the file (and, through `ConfError`, the
//! line and key); warnings go to the log, one line each.

use rocketsim::conf::{properties, Entry, PropertiesError, Warning};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfFileError {
    #[error("{}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {source}", path.display())]
    Parse {
        path: PathBuf,
        source: PropertiesError,
    },
    #[error("{}: {source}", path.display())]
    Value {
        path: PathBuf,
        source: rocketsim::conf::ConfError,
    },
}

/// The entries of the properties file at `path`.
pub fn load_entries(path: &Path) -> Result<Vec<Entry>, ConfFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    properties::parse(&text).map_err(|source| ConfFileError::Parse {
        path: path.to_path_buf(),
        source,
    })
}

/// Logs each warning as `file:line: key: message`.
pub fn report_warnings(path: Option<&Path>, warnings: &[Warning]) {
    let file = path.map_or_else(|| "(command line)".to_string(), |p| p.display().to_string());
    for w in warnings {
        tracing::warn!(target: "rocketsim::conf", "{file}:{}: {}: {}", w.line, w.key, w.message);
    }
}

/// Resolves `host:port` with the system resolver (`namesrvAddr` may name hosts).
pub fn resolve_host_port(text: &str) -> Result<Vec<SocketAddr>, String> {
    text.to_socket_addrs()
        .map(|addrs| addrs.collect())
        .map_err(|e| e.to_string())
}
