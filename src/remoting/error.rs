//! Errors of a remote call, as the caller sees them.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

/// Why a remote call did not produce a response.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The TCP connection could not be opened.
    #[error("connect to {addr} failed: {source}")]
    Connect {
        /// Where we tried to connect.
        addr: SocketAddr,
        /// What the network said.
        source: io::Error,
    },
    /// The TCP connection did not open within the connect timeout.
    #[error("connect to {addr} timed out after {timeout:?}")]
    ConnectTimeout {
        /// Where we tried to connect.
        addr: SocketAddr,
        /// How long we waited.
        timeout: Duration,
    },
    /// No response within the call's timeout. The request may or may not have been processed.
    #[error("no response from {addr} within {timeout:?}")]
    Timeout {
        /// The peer.
        addr: SocketAddr,
        /// How long we waited.
        timeout: Duration,
    },
    /// The connection closed before the response arrived. The request may have been processed.
    #[error("connection to {addr} closed before the response")]
    ConnectionClosed {
        /// The peer.
        addr: SocketAddr,
    },
    /// Too many of our requests are awaiting responses on this connection.
    #[error("too many requests awaiting responses from {addr} (limit {limit})")]
    TooManyPending {
        /// The peer.
        addr: SocketAddr,
        /// The limit that was hit.
        limit: usize,
    },
    /// The request could not be encoded (e.g. larger than a frame may be).
    #[error("request cannot be encoded: {0}")]
    Encode(#[from] crate::protocol::EncodeError),
}

impl RpcError {
    /// Whether the request may have reached the peer and been processed: a caller that needs
    /// exactly-once must treat the outcome as unknown, not as failed.
    pub fn is_indeterminate(&self) -> bool {
        matches!(
            self,
            RpcError::Timeout { .. } | RpcError::ConnectionClosed { .. }
        )
    }
}
