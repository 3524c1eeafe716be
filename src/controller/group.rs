//! One broker group as the controller persists it: replicas, master, epochs, sync-state set.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::protocol::body::controller::{BrokerMemberGroup, SyncStateSetBody};

/// A broker's id within its group (RocketMQ's `brokerControllerId`; assigned from 1).
pub type BrokerId = i64;

/// The first id the controller hands out in a group (`MixAll.FIRST_BROKER_CONTROLLER_ID`).
pub const FIRST_BROKER_ID: BrokerId = 1;

/// A registered replica.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Replica {
    pub address: String,
    /// What the broker applied for its id with; the same code may apply again (a restart).
    pub register_check_code: String,
}

/// The persisted state of one group.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerGroup {
    pub cluster_name: String,
    pub broker_name: String,
    pub replicas: BTreeMap<BrokerId, Replica>,
    /// What GET_NEXT_BROKER_ID answers: one past the highest id ever applied.
    pub next_broker_id: BrokerId,
    pub master: Option<BrokerId>,
    /// Bumped by every election, including one that found nobody (which fences the old master).
    pub master_epoch: i32,
    pub sync_state_set: BTreeSet<BrokerId>,
    pub sync_state_set_epoch: i32,
}

impl BrokerGroup {
    /// A group with no replica yet.
    pub fn new(cluster_name: &str, broker_name: &str) -> Self {
        BrokerGroup {
            cluster_name: cluster_name.to_owned(),
            broker_name: broker_name.to_owned(),
            replicas: BTreeMap::new(),
            next_broker_id: FIRST_BROKER_ID,
            master: None,
            master_epoch: 0,
            sync_state_set: BTreeSet::new(),
            sync_state_set_epoch: 0,
        }
    }

    /// No election has ever succeeded or failed here: the first one takes the requester.
    pub fn never_elected(&self) -> bool {
        self.master_epoch == 0
    }

    /// The address of `id`, if it is a replica.
    pub fn address(&self, id: BrokerId) -> Option<&str> {
        self.replicas.get(&id).map(|r| r.address.as_str())
    }

    /// Makes `master` the master: both epochs move on, the sync-state set is just the master.
    pub fn install_master(&mut self, master: BrokerId) {
        self.master = Some(master);
        self.master_epoch += 1;
        self.sync_state_set = BTreeSet::from([master]);
        self.sync_state_set_epoch += 1;
    }

    /// An election found nobody: no master, the epoch moves on so the old one is fenced, the
    /// sync-state set is kept (its members are the only clean candidates later).
    pub fn depose_master(&mut self) {
        self.master = None;
        self.master_epoch += 1;
    }

    /// What the group looks like to a broker.
    pub fn view(&self) -> GroupView {
        GroupView {
            cluster_name: self.cluster_name.clone(),
            broker_name: self.broker_name.clone(),
            master: self
                .master
                .map(|id| (id, self.address(id).unwrap_or_default().to_owned())),
            master_epoch: self.master_epoch,
            sync_state_set: self.sync_state_set.clone(),
            sync_state_set_epoch: self.sync_state_set_epoch,
            members: self
                .replicas
                .iter()
                .map(|(id, r)| (*id, r.address.clone()))
                .collect(),
        }
    }
}

/// A group as brokers see it (responses, notifications).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupView {
    pub cluster_name: String,
    pub broker_name: String,
    /// Master id and address.
    pub master: Option<(BrokerId, String)>,
    pub master_epoch: i32,
    pub sync_state_set: BTreeSet<BrokerId>,
    pub sync_state_set_epoch: i32,
    /// Every replica: id → address.
    pub members: BTreeMap<BrokerId, String>,
}

impl GroupView {
    /// The sync-state set body of this view.
    pub fn sync_state_set_body(&self) -> SyncStateSetBody {
        SyncStateSetBody {
            sync_state_set: self.sync_state_set.clone(),
            sync_state_set_epoch: self.sync_state_set_epoch,
        }
    }

    /// The member group of this view.
    pub fn member_group(&self) -> BrokerMemberGroup {
        BrokerMemberGroup {
            broker_addrs: self.members.clone(),
            broker_name: self.broker_name.clone(),
            cluster: self.cluster_name.clone(),
        }
    }
}
