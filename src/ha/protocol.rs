//! Which replication protocol a link speaks. Only classic HA (§5.2) exists today; the
//! controller mode's AutoSwitch protocol (§5.8: a handshake exchanging epochs, truncation of a
//! divergent tail, then the same transfer) is meant to become a second variant, selected per
//! broker, with its handshake as one more state in the link cores before `Transferring`.

/// A replication protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HaProtocol {
    /// 4.x HA: no handshake; the slave's first report is its position, frames follow.
    #[default]
    Classic,
}

impl HaProtocol {
    /// Whether the link starts transferring on the slave's first report (no handshake).
    pub fn transfers_on_first_report(self) -> bool {
        match self {
            HaProtocol::Classic => true,
        }
    }
}
