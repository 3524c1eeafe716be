//! The controller's errors and the one place they become response codes.

use std::io;

use super::group::BrokerId;
use crate::protocol::body::BodyError;
use crate::protocol::{HeaderError, RemotingCommand, ResponseCode};

/// Why ALTER_SYNC_STATE_SET was refused without being stale or naming a bad replica.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AlterFailure {
    #[error("the new sync state set equals the current one")]
    Unchanged,
    #[error("the new sync state set does not contain the master {master}")]
    MasterMissing { master: BrokerId },
}

/// Why a controller request failed.
#[derive(Debug, thiserror::Error)]
pub enum ControllerError {
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("{0}")]
    Body(#[from] BodyError),
    #[error("invalid request: {what}")]
    InvalidRequest { what: &'static str },
    #[error("{what} of {len} exceeds the limit {max}")]
    TooMany {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{what} of {len} bytes exceeds the limit {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("broker-set {broker_name} has not been registered in the controller")]
    GroupNotRegistered { broker_name: String },
    #[error("broker id {id} has not been registered in broker-set {broker_name}")]
    BrokerNotRegistered { broker_name: String, id: BrokerId },
    #[error("broker metadata of {broker_name} does not exist")]
    MetadataNotExist { broker_name: String },
    #[error("cannot apply broker id {id} in broker-set {broker_name}: {why}")]
    BrokerIdInvalid {
        broker_name: String,
        id: BrokerId,
        why: &'static str,
    },
    #[error("fenced: the current master epoch is {current}, not {got}")]
    FencedMasterEpoch { current: i32, got: i32 },
    #[error("fenced: the current sync state set epoch is {current}, not {got}")]
    FencedSyncStateSetEpoch { current: i32, got: i32 },
    #[error("the current master is {current:?}, not {got}")]
    InvalidMaster {
        current: Option<BrokerId>,
        got: BrokerId,
    },
    #[error("replica {id} does not exist")]
    InvalidReplicas { id: BrokerId },
    #[error("replica {id} is not alive")]
    BrokerNotAlive { id: BrokerId },
    #[error("cannot alter the sync state set: {0}")]
    AlterFailed(AlterFailure),
    #[error("the master of {broker_name} is down and no new master could be elected")]
    MasterNotAvailable { broker_name: String },
    #[error("failed to elect a new master for {broker_name}")]
    ElectFailed { broker_name: String },
    #[error("the controller state could not be persisted, the change was undone: {0}")]
    Persist(io::Error),
}

impl ControllerError {
    /// The response code a RocketMQ 5 controller answers this with.
    pub fn code(&self) -> ResponseCode {
        use ControllerError as E;
        match self {
            // Java's header decoder throws; the remoting layer answers SYSTEM_ERROR.
            E::Header(_) | E::Body(_) | E::Persist(_) => ResponseCode::SYSTEM_ERROR,
            E::InvalidRequest { .. } | E::TooLong { .. } => {
                ResponseCode::CONTROLLER_INVALID_REQUEST
            }
            E::TooMany { .. } => ResponseCode::SYSTEM_BUSY,
            E::GroupNotRegistered { .. } | E::BrokerNotRegistered { .. } => {
                ResponseCode::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED
            }
            E::MetadataNotExist { .. } => ResponseCode::CONTROLLER_BROKER_METADATA_NOT_EXIST,
            E::BrokerIdInvalid { .. } => ResponseCode::CONTROLLER_BROKER_ID_INVALID,
            E::FencedMasterEpoch { .. } => ResponseCode::CONTROLLER_FENCED_MASTER_EPOCH,
            E::FencedSyncStateSetEpoch { .. } => {
                ResponseCode::CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH
            }
            E::InvalidMaster { .. } => ResponseCode::CONTROLLER_INVALID_MASTER,
            E::InvalidReplicas { .. } => ResponseCode::CONTROLLER_INVALID_REPLICAS,
            E::BrokerNotAlive { .. } => ResponseCode::CONTROLLER_BROKER_NOT_ALIVE,
            E::AlterFailed(_) => ResponseCode::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
            E::MasterNotAvailable { .. } => ResponseCode::CONTROLLER_MASTER_NOT_AVAILABLE,
            E::ElectFailed { .. } => ResponseCode::CONTROLLER_ELECT_MASTER_FAILED,
        }
    }

    /// The response carrying this error (the connection sets the opaque).
    pub fn response(&self) -> RemotingCommand {
        RemotingCommand::response(self.code(), Some(self.to_string()))
    }
}

impl crate::remoting::Refusal for ControllerError {
    fn response(&self) -> RemotingCommand {
        ControllerError::response(self)
    }
}

/// Why the controller could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: io::Error },
    #[error("cannot parse {path}: {detail}")]
    Parse { path: String, detail: String },
    #[error("cannot start the server: {0}")]
    Listen(io::Error),
}
