//! The client's requests and how their answers become [`Observation`]s: pure, so the broker's
//! side of the conversation is testable without a controller.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::tracker::Observation;
use super::ClientError;
use crate::controller::group::BrokerId;
use crate::controller::liveness::BrokerStats;
use crate::protocol::body::controller::{ElectMasterResponseBody, SyncStateSetBody};
use crate::protocol::header::{
    AlterSyncStateSetHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdHeader,
    BrokerGroupHeader, BrokerHeartbeatHeader, ElectMasterHeader, GetNextBrokerIdResponseHeader,
    GetReplicaInfoHeader, MasterInfoHeader, RegisterToControllerHeader,
    RegisterToControllerResponseHeader,
};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// Who the broker is, to the controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerIdentity {
    pub cluster_name: String,
    pub broker_name: String,
    /// `brokerIP1:listenPort`.
    pub broker_addr: String,
}

pub(super) fn next_broker_id(me: &BrokerIdentity) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONTROLLER_GET_NEXT_BROKER_ID).with_header(
        &BrokerGroupHeader {
            cluster_name: me.cluster_name.clone(),
            broker_name: me.broker_name.clone(),
        },
    )
}

pub(super) fn parse_next_broker_id(response: &RemotingCommand) -> Result<BrokerId, ClientError> {
    success(response)?;
    Ok(response
        .header::<GetNextBrokerIdResponseHeader>()?
        .next_broker_id)
}

pub(super) fn apply_broker_id(
    me: &BrokerIdentity,
    id: BrokerId,
    check_code: &str,
) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONTROLLER_APPLY_BROKER_ID).with_header(
        &ApplyBrokerIdHeader {
            cluster_name: me.cluster_name.clone(),
            broker_name: me.broker_name.clone(),
            applied_broker_id: id,
            register_check_code: check_code.to_owned(),
        },
    )
}

pub(super) fn register(me: &BrokerIdentity, id: BrokerId, now_ms: u64) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONTROLLER_REGISTER_BROKER).with_header(
        &RegisterToControllerHeader {
            cluster_name: me.cluster_name.clone(),
            broker_name: me.broker_name.clone(),
            broker_id: id,
            broker_address: me.broker_addr.clone(),
            invoke_time: Some(now_ms as i64),
        },
    )
}

/// A register answer names the master only when it is alive; `None` then means "elect".
pub(super) fn parse_register(
    response: &RemotingCommand,
) -> Result<Option<Observation>, ClientError> {
    success(response)?;
    let header = response.header::<RegisterToControllerResponseHeader>()?;
    let set = sync_state_set_of(&response.body)?;
    Ok(observation(&header.master, set))
}

pub(super) fn heartbeat(
    me: &BrokerIdentity,
    id: BrokerId,
    stats: BrokerStats,
    timeout_ms: i64,
) -> RemotingCommand {
    RemotingCommand::request(RequestCode::BROKER_HEARTBEAT).with_header(&BrokerHeartbeatHeader {
        cluster_name: me.cluster_name.clone(),
        broker_addr: me.broker_addr.clone(),
        broker_name: me.broker_name.clone(),
        broker_id: Some(id),
        epoch: Some(stats.epoch),
        max_offset: Some(stats.max_offset),
        confirm_offset: Some(stats.confirm_offset),
        heartbeat_timeout_mills: Some(timeout_ms),
        election_priority: Some(stats.election_priority),
    })
}

pub(super) fn elect(
    me: &BrokerIdentity,
    id: BrokerId,
    designate: bool,
    now_ms: u64,
) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONTROLLER_ELECT_MASTER).with_header(&ElectMasterHeader {
        cluster_name: me.cluster_name.clone(),
        broker_name: me.broker_name.clone(),
        broker_id: id,
        designate_elect: designate,
        invoke_time: Some(now_ms as i64),
    })
}

/// SUCCESS and CONTROLLER_MASTER_STILL_EXIST both say who the master is.
pub(super) fn parse_elect(response: &RemotingCommand) -> Result<Observation, ClientError> {
    let code = response.response_code();
    if code != Some(ResponseCode::CONTROLLER_MASTER_STILL_EXIST) {
        success(response)?;
    }
    let header = response.header::<MasterInfoHeader>()?;
    let body = if response.body.is_empty() {
        ElectMasterResponseBody::default()
    } else {
        ElectMasterResponseBody::decode(&response.body)?
    };
    let epoch = header.sync_state_set_epoch.unwrap_or(0);
    observation(&header, Some((body.sync_state_set, epoch))).ok_or(ClientError::Incomplete {
        what: "elect response without a master",
    })
}

pub(super) fn replica_info(me: &BrokerIdentity) -> RemotingCommand {
    RemotingCommand::request(RequestCode::CONTROLLER_GET_REPLICA_INFO).with_header(
        &GetReplicaInfoHeader {
            broker_name: me.broker_name.clone(),
        },
    )
}

/// GET_REPLICA_INFO names the master epoch even when there is no master.
pub(super) fn parse_replica_info(response: &RemotingCommand) -> Result<Observation, ClientError> {
    success(response)?;
    let header = response.header::<MasterInfoHeader>()?;
    let set = sync_state_set_of(&response.body)?;
    let master_epoch = header.master_epoch.ok_or(ClientError::Incomplete {
        what: "replica info without masterEpoch",
    })?;
    Ok(Observation {
        master: master_of(&header),
        master_epoch,
        sync_state_set: set,
    })
}

/// A NOTIFY_BROKER_ROLE_CHANGED push.
pub fn parse_role_change(request: &RemotingCommand) -> Result<Observation, ClientError> {
    let header = request.header::<MasterInfoHeader>()?;
    let set = sync_state_set_of(&request.body)?;
    observation(&header, set).ok_or(ClientError::Incomplete {
        what: "role change without a master",
    })
}

pub(super) fn alter(
    me: &BrokerIdentity,
    master_id: BrokerId,
    master_epoch: i32,
    new_set: &BTreeSet<BrokerId>,
    seen_epoch: i32,
    now_ms: u64,
) -> RemotingCommand {
    let body = SyncStateSetBody {
        sync_state_set: new_set.clone(),
        sync_state_set_epoch: seen_epoch,
    };
    RemotingCommand::request(RequestCode::CONTROLLER_ALTER_SYNC_STATE_SET)
        .with_header(&AlterSyncStateSetHeader {
            broker_name: me.broker_name.clone(),
            master_broker_id: master_id,
            master_epoch,
            invoke_time: Some(now_ms as i64),
        })
        .with_body(Bytes::from(body.encode()))
}

pub(super) fn parse_alter(response: &RemotingCommand) -> Result<SyncStateSetBody, ClientError> {
    success(response)?;
    let header = response.header::<AlterSyncStateSetResponseHeader>()?;
    let mut body = SyncStateSetBody::decode(&response.body)?;
    body.sync_state_set_epoch = header.new_sync_state_set_epoch;
    Ok(body)
}

/// `Ok` for SUCCESS, the controller's refusal otherwise.
pub(super) fn success(response: &RemotingCommand) -> Result<(), ClientError> {
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => Ok(()),
        Some(code) => Err(ClientError::Refused {
            code,
            remark: response.remark.clone().unwrap_or_default(),
        }),
        None => Err(ClientError::Incomplete {
            what: "a request where a response was expected",
        }),
    }
}

fn sync_state_set_of(body: &[u8]) -> Result<Option<(BTreeSet<BrokerId>, i32)>, ClientError> {
    if body.is_empty() {
        return Ok(None);
    }
    let set = SyncStateSetBody::decode(body)?;
    Ok(Some((set.sync_state_set, set.sync_state_set_epoch)))
}

fn master_of(header: &MasterInfoHeader) -> Option<(BrokerId, String)> {
    match (header.master_broker_id, &header.master_address) {
        (Some(id), Some(addr)) if !addr.is_empty() => Some((id, addr.clone())),
        _ => None,
    }
}

fn observation(
    header: &MasterInfoHeader,
    sync_state_set: Option<(BTreeSet<BrokerId>, i32)>,
) -> Option<Observation> {
    Some(Observation {
        master: Some(master_of(header)?),
        master_epoch: header.master_epoch?,
        sync_state_set,
    })
}
