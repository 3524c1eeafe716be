//! Which replication protocol a link speaks, selected per broker by `HaConfig::protocol`.
//!
//! * Classic (§5.2): no handshake; the slave's first report is its position, frames follow.
//! * AutoSwitch (§5.8, controller mode): the slave first sends a handshake (its broker id),
//!   the master answers with its epoch history, the slave truncates a divergent tail, then
//!   acknowledges its end; transfer frames carry epoch and confirm offset (`auto_frame`).

/// A replication protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HaProtocol {
    /// 4.x HA: no handshake, 8-byte reports, 12-byte frame headers.
    #[default]
    Classic,
    /// 5.x controller mode: handshake with epochs, truncation, 36-byte frame headers.
    AutoSwitch,
}
