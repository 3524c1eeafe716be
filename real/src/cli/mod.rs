//! What the binaries share: logging, configuration files, name resolution, signals. Each
//! binary in `src/bin/` is thin: parse the command line, build the environment, call into
//! `rocketsim`.

mod conf_file;
mod logging;
mod signals;

pub use conf_file::{load_entries, report_warnings, resolve_host_port, ConfFileError};
pub use logging::init_logging;
pub use signals::{shutdown_signal, ShutdownSignal};

use std::net::{IpAddr, Ipv4Addr, UdpSocket};

/// Exit code of a bad command line or configuration file (sysexits' EX_USAGE, as `rocketsim`).
pub const EXIT_USAGE: i32 = 64;
/// Exit code when startup fails (port taken, store locked, unreadable store).
pub const EXIT_START: i32 = 1;

/// The address other hosts reach this one at, as Java's `RemotingUtil.getLocalAddress` picks
/// it: the source address of a route to the outside (no packet is sent); loopback when there
/// is no route.
pub fn local_ip() -> IpAddr {
    let probe = || -> std::io::Result<IpAddr> {
        let socket = UdpSocket::bind("0.0.0.0:0")?;
        socket.connect("192.0.2.1:9")?;
        Ok(socket.local_addr()?.ip())
    };
    probe()
        .ok()
        .filter(|ip| !ip.is_unspecified())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

/// `$HOME`, or the current directory when unset.
pub fn home_dir() -> std::path::PathBuf {
    std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("."))
}
