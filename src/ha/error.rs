//! Why a replication link closed. Every close is logged with its reason; none stops the node.

use std::io;

use super::epochs::EpochsError;
use super::frame::Invalid;
use super::master_link::CloseReason;
use super::slave_link::SlaveClose;
use crate::controller::epoch_cache::EpochCacheError;
use crate::store::{ReadError, ReplicaError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("network: {0}")]
    Io(#[from] io::Error),
    #[error("malformed frame: {0}")]
    Frame(#[from] Invalid),
    #[error("{0}")]
    Master(#[from] CloseReason),
    #[error("{0}")]
    Slave(#[from] SlaveClose),
    #[error("{len} unread bytes exceed the link's buffer")]
    BufferOverflow { len: usize },
    #[error("reading the log to send: {0}")]
    Read(#[from] ReadError),
    #[error("appending replicated bytes: {0}")]
    Append(#[from] ReplicaError),
    #[error("connect timed out")]
    ConnectTimeout,
    #[error("the master moved to {now}")]
    MasterMoved { now: std::net::SocketAddr },
    #[error("the first message is not a handshake")]
    NotAHandshake,
    #[error("a handshake after the handshake")]
    NotAnAck,
    #[error("the master answered the handshake with something else")]
    NotAReply,
    #[error("a second handshake reply")]
    NotATransfer,
    #[error("the peer closed the link during the handshake")]
    ClosedInHandshake,
    #[error("no handshake within the handshake timeout")]
    HandshakeTimeout,
    #[error("handshake from broker id {id}, not a replica of this group")]
    UnknownBroker { id: i64 },
    #[error("a newer link of the same broker replaced this one")]
    Superseded,
    #[error("no epoch of the master covers offset {offset}")]
    NoEpoch { offset: u64 },
    #[error("no common epoch: the local log (to {local_max}, epoch {local_epoch}) shares no history with the master (epoch {master_epoch})")]
    NoCommonEpoch {
        local_epoch: i32,
        master_epoch: i32,
        local_max: u64,
    },
    #[error("a frame of epoch {frame}, older than the local epoch {local}")]
    EpochWentBack { local: i32, frame: i32 },
    #[error("the master's epoch history: {0}")]
    EpochHistory(#[from] EpochCacheError),
    #[error("{0}")]
    Epochs(#[from] EpochsError),
    #[error("truncating the log: {0}")]
    Truncate(#[from] StoreError),
}
