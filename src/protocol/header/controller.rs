//! 5.x controller headers (§5.8): broker ids, registration, heartbeats, elections, sync-state
//! set changes and role-change notifications. Field names are those of the 5.x classes in
//! `remoting/.../protocol/header/controller/**`, `NotifyBrokerRoleChangedRequestHeader` and
//! `namesrv/BrokerHeartbeatRequestHeader` (the reference lists codes, not fields; the fields
//! were read from apache/rocketmq 5.x and are pinned by `tests/controller_golden.rs`).
//!
//! Java boxes most of these fields (`Long`, `Integer`): a null is simply absent on the wire,
//! which the `Option`s model. Fields Java marks `@CFNotNull` are required here too.

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

/// CONTROLLER_GET_NEXT_BROKER_ID (1012) request; also APPLY_BROKER_ID's response header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerGroupHeader {
    pub cluster_name: String,
    pub broker_name: String,
}

/// CONTROLLER_GET_NEXT_BROKER_ID (1012).
pub type GetNextBrokerIdHeader = BrokerGroupHeader;
/// CONTROLLER_APPLY_BROKER_ID (1013) response.
pub type ApplyBrokerIdResponseHeader = BrokerGroupHeader;

impl CommandHeader for BrokerGroupHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerName", &self.broker_name);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(BrokerGroupHeader {
            cluster_name: req(ext, "clusterName")?,
            broker_name: req(ext, "brokerName")?,
        })
    }
}

/// CONTROLLER_GET_NEXT_BROKER_ID (1012) response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetNextBrokerIdResponseHeader {
    pub cluster_name: String,
    pub broker_name: String,
    pub next_broker_id: i64,
}

impl CommandHeader for GetNextBrokerIdResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerName", &self.broker_name);
        put(ext, "nextBrokerId", self.next_broker_id);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(GetNextBrokerIdResponseHeader {
            cluster_name: req(ext, "clusterName")?,
            broker_name: req(ext, "brokerName")?,
            next_broker_id: req(ext, "nextBrokerId")?,
        })
    }
}

/// CONTROLLER_APPLY_BROKER_ID (1013).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyBrokerIdHeader {
    pub cluster_name: String,
    pub broker_name: String,
    pub applied_broker_id: i64,
    /// Java: `brokerAddress;timestamp`, kept with the id so that the same broker may apply again.
    pub register_check_code: String,
}

impl CommandHeader for ApplyBrokerIdHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerName", &self.broker_name);
        put(ext, "appliedBrokerId", self.applied_broker_id);
        put(ext, "registerCheckCode", &self.register_check_code);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(ApplyBrokerIdHeader {
            cluster_name: req(ext, "clusterName")?,
            broker_name: req(ext, "brokerName")?,
            applied_broker_id: req(ext, "appliedBrokerId")?,
            register_check_code: req(ext, "registerCheckCode")?,
        })
    }
}

/// CONTROLLER_REGISTER_BROKER (1003).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterToControllerHeader {
    pub cluster_name: String,
    pub broker_name: String,
    pub broker_id: i64,
    pub broker_address: String,
    /// Sender's wall clock (informational).
    pub invoke_time: Option<i64>,
}

impl CommandHeader for RegisterToControllerHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerName", &self.broker_name);
        put(ext, "brokerId", self.broker_id);
        put(ext, "brokerAddress", &self.broker_address);
        put_opt(ext, "invokeTime", self.invoke_time);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(RegisterToControllerHeader {
            cluster_name: req(ext, "clusterName")?,
            broker_name: req(ext, "brokerName")?,
            broker_id: req(ext, "brokerId")?,
            broker_address: req(ext, "brokerAddress")?,
            invoke_time: opt(ext, "invokeTime")?,
        })
    }
}

/// Who the master is: the shared shape of the responses of REGISTER_BROKER (1003, plus the
/// names), ELECT_MASTER (1002) and GET_REPLICA_INFO (1004; no `syncStateSetEpoch`, which
/// travels in its body), and of NOTIFY_BROKER_ROLE_CHANGED (1008). All absent when the group
/// has no master.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MasterInfoHeader {
    pub master_broker_id: Option<i64>,
    pub master_address: Option<String>,
    pub master_epoch: Option<i32>,
    pub sync_state_set_epoch: Option<i32>,
}

/// ELECT_MASTER (1002) response.
pub type ElectMasterResponseHeader = MasterInfoHeader;
/// GET_REPLICA_INFO (1004) response.
pub type GetReplicaInfoResponseHeader = MasterInfoHeader;
/// NOTIFY_BROKER_ROLE_CHANGED (1008), controller → broker, oneway; body: `SyncStateSet`.
pub type NotifyBrokerRoleChangedHeader = MasterInfoHeader;

impl CommandHeader for MasterInfoHeader {
    fn write(&self, ext: &mut ExtFields) {
        put_opt(ext, "masterBrokerId", self.master_broker_id);
        put_opt(ext, "masterAddress", self.master_address.as_ref());
        put_opt(ext, "masterEpoch", self.master_epoch);
        put_opt(ext, "syncStateSetEpoch", self.sync_state_set_epoch);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(MasterInfoHeader {
            master_broker_id: opt(ext, "masterBrokerId")?,
            master_address: opt(ext, "masterAddress")?,
            master_epoch: opt(ext, "masterEpoch")?,
            sync_state_set_epoch: opt(ext, "syncStateSetEpoch")?,
        })
    }
}

/// CONTROLLER_REGISTER_BROKER (1003) response: the names, then who the master is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterToControllerResponseHeader {
    pub cluster_name: String,
    pub broker_name: String,
    pub master: MasterInfoHeader,
}

impl CommandHeader for RegisterToControllerResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerName", &self.broker_name);
        self.master.write(ext);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(RegisterToControllerResponseHeader {
            cluster_name: opt(ext, "clusterName")?.unwrap_or_default(),
            broker_name: opt(ext, "brokerName")?.unwrap_or_default(),
            master: MasterInfoHeader::read(ext)?,
        })
    }
}

/// CONTROLLER_ELECT_MASTER (1002). `brokerId` −1 means "the controller asks" (no requester).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectMasterHeader {
    pub cluster_name: String,
    pub broker_name: String,
    pub broker_id: i64,
    /// The requester wants exactly `broker_id` (admin-triggered switch).
    pub designate_elect: bool,
    pub invoke_time: Option<i64>,
}

impl CommandHeader for ElectMasterHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerName", &self.broker_name);
        put(ext, "brokerId", self.broker_id);
        put(ext, "designateElect", self.designate_elect);
        put_opt(ext, "invokeTime", self.invoke_time);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(ElectMasterHeader {
            cluster_name: req(ext, "clusterName")?,
            broker_name: req(ext, "brokerName")?,
            broker_id: req(ext, "brokerId")?,
            designate_elect: req(ext, "designateElect")?,
            invoke_time: opt(ext, "invokeTime")?,
        })
    }
}

/// CONTROLLER_GET_REPLICA_INFO (1004).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetReplicaInfoHeader {
    pub broker_name: String,
}

impl CommandHeader for GetReplicaInfoHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "brokerName", &self.broker_name);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(GetReplicaInfoHeader {
            broker_name: req(ext, "brokerName")?,
        })
    }
}

/// CONTROLLER_ALTER_SYNC_STATE_SET (1001); the body is the new `SyncStateSet` with the epoch
/// the master last saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlterSyncStateSetHeader {
    pub broker_name: String,
    pub master_broker_id: i64,
    pub master_epoch: i32,
    pub invoke_time: Option<i64>,
}

impl CommandHeader for AlterSyncStateSetHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "brokerName", &self.broker_name);
        put(ext, "masterBrokerId", self.master_broker_id);
        put(ext, "masterEpoch", self.master_epoch);
        put_opt(ext, "invokeTime", self.invoke_time);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(AlterSyncStateSetHeader {
            broker_name: req(ext, "brokerName")?,
            master_broker_id: req(ext, "masterBrokerId")?,
            master_epoch: req(ext, "masterEpoch")?,
            invoke_time: opt(ext, "invokeTime")?,
        })
    }
}

/// CONTROLLER_ALTER_SYNC_STATE_SET (1001) response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlterSyncStateSetResponseHeader {
    pub new_sync_state_set_epoch: i32,
}

impl CommandHeader for AlterSyncStateSetResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "newSyncStateSetEpoch", self.new_sync_state_set_epoch);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(AlterSyncStateSetResponseHeader {
            new_sync_state_set_epoch: req(ext, "newSyncStateSetEpoch")?,
        })
    }
}

/// BROKER_HEARTBEAT (904) to the controller: liveness plus what an election compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerHeartbeatHeader {
    pub cluster_name: String,
    pub broker_addr: String,
    pub broker_name: String,
    /// Optional in Java's class, but the controller answers CONTROLLER_INVALID_REQUEST without.
    pub broker_id: Option<i64>,
    /// The last epoch in the broker's epoch file.
    pub epoch: Option<i32>,
    pub max_offset: Option<i64>,
    pub confirm_offset: Option<i64>,
    /// Spelled `Mills` in Java.
    pub heartbeat_timeout_mills: Option<i64>,
    /// Lower wins a tie.
    pub election_priority: Option<i32>,
}

impl CommandHeader for BrokerHeartbeatHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerAddr", &self.broker_addr);
        put(ext, "brokerName", &self.broker_name);
        put_opt(ext, "brokerId", self.broker_id);
        put_opt(ext, "epoch", self.epoch);
        put_opt(ext, "maxOffset", self.max_offset);
        put_opt(ext, "confirmOffset", self.confirm_offset);
        put_opt(ext, "heartbeatTimeoutMills", self.heartbeat_timeout_mills);
        put_opt(ext, "electionPriority", self.election_priority);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(BrokerHeartbeatHeader {
            cluster_name: req(ext, "clusterName")?,
            broker_addr: req(ext, "brokerAddr")?,
            broker_name: req(ext, "brokerName")?,
            broker_id: opt(ext, "brokerId")?,
            epoch: opt(ext, "epoch")?,
            max_offset: opt(ext, "maxOffset")?,
            confirm_offset: opt(ext, "confirmOffset")?,
            heartbeat_timeout_mills: opt(ext, "heartbeatTimeoutMills")?,
            election_priority: opt(ext, "electionPriority")?,
        })
    }
}

/// CONTROLLER_GET_METADATA_INFO (1005) response: who leads the controller group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerMetadataHeader {
    pub group: Option<String>,
    pub controller_leader_id: Option<String>,
    pub controller_leader_address: Option<String>,
    pub is_leader: bool,
    /// `id:addr;` per peer.
    pub peers: Option<String>,
}

impl CommandHeader for ControllerMetadataHeader {
    fn write(&self, ext: &mut ExtFields) {
        put_opt(ext, "group", self.group.as_ref());
        put_opt(
            ext,
            "controllerLeaderId",
            self.controller_leader_id.as_ref(),
        );
        put_opt(
            ext,
            "controllerLeaderAddress",
            self.controller_leader_address.as_ref(),
        );
        put(ext, "isLeader", self.is_leader);
        put_opt(ext, "peers", self.peers.as_ref());
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(ControllerMetadataHeader {
            group: opt(ext, "group")?,
            controller_leader_id: opt(ext, "controllerLeaderId")?,
            controller_leader_address: opt(ext, "controllerLeaderAddress")?,
            is_leader: opt(ext, "isLeader")?.unwrap_or(false),
            peers: opt(ext, "peers")?,
        })
    }
}
