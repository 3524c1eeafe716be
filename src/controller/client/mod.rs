//! The broker's side of the controller (RocketMQ's `ReplicasManager` conversation): apply for
//! a broker id, register, heartbeat every second, poll GET_REPLICA_INFO every 5 s, take
//! NOTIFY_BROKER_ROLE_CHANGED pushes, request elections, report sync-state set changes.
//!
//! Everything the controller says goes through one [`RoleTracker`] (sans-IO) under one lock, and
//! the [`RoleEvent`]s it yields are handed to the broker's callback in that order: the broker
//! sees each master epoch at most once and never an older one after a newer one. The callback
//! runs under the lock, so it must not block (hand the event to a task).
//!
//! Pushes arrive on the connection this client opened to the controller (the controller sends
//! them back on the heartbeat connection); a broker that also wants pushes on its own listening
//! port (as a Java controller sends them) registers [`ControllerClient::role_change_processor`]
//! for NOTIFY_BROKER_ROLE_CHANGED on its server. A lost push is repaired by the next poll.

mod session;
mod tracker;
mod wire;

pub use session::{ClientConfig, ControllerClient};
pub use tracker::{Observation, Reaction, Role, RoleEvent, RoleTracker};
pub use wire::{parse_role_change, BrokerIdentity};

use crate::protocol::body::BodyError;
use crate::protocol::{HeaderError, ResponseCode};
use crate::remoting::RpcError;

/// Why a call to the controller failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Rpc(#[from] RpcError),
    #[error("the controller refused with {code}: {remark}")]
    Refused { code: ResponseCode, remark: String },
    #[error("bad header from the controller: {0}")]
    Header(#[from] HeaderError),
    #[error("bad body from the controller: {0}")]
    Body(#[from] BodyError),
    #[error("incomplete answer: {what}")]
    Incomplete { what: &'static str },
    #[error("this broker is not the master")]
    NotMaster,
    #[error("this broker has no id yet (not registered)")]
    NotRegistered,
}

impl ClientError {
    /// The controller's response code, if it refused.
    pub fn code(&self) -> Option<ResponseCode> {
        match self {
            ClientError::Refused { code, .. } => Some(*code),
            _ => None,
        }
    }
}
