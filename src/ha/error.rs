//! Why a replication link closed. Every close is logged with its reason; none stops the node.

use std::io;

use super::frame::Invalid;
use super::master_link::CloseReason;
use super::slave_link::SlaveClose;
use crate::store::{ReadError, ReplicaError};

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
}
