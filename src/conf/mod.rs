//! Configuration files as RocketMQ operators write them: `broker.conf` and `namesrv.conf` in
//! Java's properties format (`properties`), keys mapped onto `BrokerConfig` / `StoreConfig`
//! (`broker`) and `NamesrvConfig` (`namesrv`).
//!
//! Java maps a key onto a bean setter and silently ignores everything else; here every entry
//! ends up in exactly one of three places: applied; recognised but without effect in this
//! implementation (a warning saying so); unknown (a warning — a misspelt key is the classic
//! silent misconfiguration, e.g. `mapedFileSizeCommitLog` on 4.9). A value that cannot be
//! applied is an error naming its line and key, and nothing is started.
//!
//! Sans-IO: the caller reads the file and resolves host names (`namesrvAddr` may name hosts)
//! through the resolver it passes in.

pub mod broker;
pub mod controller;
pub mod namesrv;
pub mod properties;
mod value;

pub use broker::{broker_config, describe_broker};
pub use controller::{controller_config, describe_controller, ControllerSettings};
pub use namesrv::{describe_namesrv, namesrv_config, NamesrvSettings};
pub use properties::{Entry, PropertiesError};

use std::fmt;

/// A configuration and what the operator should hear about it.
#[derive(Clone, Debug)]
pub struct Loaded<T> {
    pub config: T,
    pub warnings: Vec<Warning>,
}

/// Applies `entries` in order with `apply`: `Ok(None)` applied, `Ok(Some(message))` a warning
/// naming the entry's line and key, `Err` the first refused value as an error naming them.
pub(crate) fn apply_entries(
    entries: &[Entry],
    mut apply: impl FnMut(&Entry) -> Result<Option<String>, Reason>,
) -> Result<Vec<Warning>, ConfError> {
    let mut warnings = Vec::new();
    for entry in entries {
        match apply(entry) {
            Ok(None) => {}
            Ok(Some(message)) => warnings.push(Warning {
                line: entry.line,
                key: entry.key.clone(),
                message,
            }),
            Err(reason) => {
                return Err(ConfError {
                    line: entry.line,
                    key: entry.key.clone(),
                    value: entry.value.clone(),
                    reason,
                })
            }
        }
    }
    Ok(warnings)
}

/// An entry that was not applied, or was applied differently from what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub line: usize,
    pub key: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.key, self.message)
    }
}

/// A value that cannot be applied (or a combination that is invalid), with where it is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {key}={value}: {reason}")]
pub struct ConfError {
    pub line: usize,
    pub key: String,
    pub value: String,
    pub reason: Reason,
}

/// Why a value was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("not an integer")]
    NotAnInteger,
    #[error("not true or false")]
    NotABool,
    #[error("must be between {min} and {max}")]
    OutOfRange { min: i64, max: i64 },
    #[error("not one of {allowed}")]
    NotOneOf { allowed: &'static str },
    #[error("not an IP address")]
    NotAnIp,
    #[error("bad address: {detail}")]
    BadAddress { detail: String },
    #[error("must not be empty")]
    Empty,
    #[error("{0}")]
    Invalid(&'static str),
}

/// Resolves one `host:port` of `namesrvAddr` to socket addresses.
pub type Resolve<'a> = &'a dyn Fn(&str) -> Result<Vec<std::net::SocketAddr>, String>;

/// A resolver that accepts only literal `ip:port` (no name lookups): simulation and tests.
pub fn literal_addresses(text: &str) -> Result<Vec<std::net::SocketAddr>, String> {
    text.parse()
        .map(|addr| vec![addr])
        .map_err(|e: std::net::AddrParseError| e.to_string())
}
