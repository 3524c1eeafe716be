//! The controller's state machine: groups and liveness, requests and time in, typed outcomes
//! out. No I/O; the driver persists (when [`ControllerState::take_dirty`] says so), answers and
//! notifies.
//!
//! Deviations from RocketMQ, each deliberate:
//! * ALTER_SYNC_STATE_SET checks the epochs before the master id, so a stale master is always
//!   answered CONTROLLER_FENCED_MASTER_EPOCH (RocketMQ answers CONTROLLER_INVALID_MASTER
//!   first); an unchanged set is refused only after the fencing checks.
//! * APPLY_BROKER_ID accepts any id ≥ 1 for a new group (RocketMQ only the first id, 1), so
//!   brokers with ids fixed in their configuration can start in any order.
//! * The first election of a group takes the requester only if it is a registered replica.
//! * Masters are not judged for one heartbeat timeout after the controller starts — neither
//!   by the scan nor by a broker's (undesignated) election request — so a restarted
//!   controller does not depose a master whose first heartbeat is still on its way.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

mod election;

use super::config::{ControllerConfig, ControllerLimits};
use super::error::{AlterFailure, ControllerError};
use super::group::{BrokerGroup, BrokerId, GroupView, Replica};
use super::liveness::{BrokerStats, LiveInfo, Liveness};
use crate::env::Instant;
use crate::protocol::body::controller::{BrokerReplicasInfo, ReplicaIdentity, ReplicasInfo};
use crate::remoting::ConnId;

/// A heartbeat, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    pub cluster_name: String,
    pub broker_name: String,
    pub broker_addr: String,
    pub broker_id: BrokerId,
    /// The broker's own timeout, if it sent one.
    pub timeout: Option<Duration>,
    pub stats: BrokerStats,
    pub conn: Option<ConnId>,
}

/// An ELECT_MASTER request, decoded. `broker_id` is `None` when the controller itself asks
/// (its master went inactive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElectRequest {
    pub cluster_name: String,
    pub broker_name: String,
    pub broker_id: Option<BrokerId>,
    /// Elect exactly `broker_id` (admin switch) or nobody.
    pub designate: bool,
}

/// A new master was installed: who to tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleChange {
    pub view: GroupView,
    /// Every replica with the connection its last heartbeat came on, if it is known.
    pub targets: Vec<(BrokerId, String, Option<ConnId>)>,
}

/// What a successful ELECT_MASTER did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Election {
    /// A new master, epochs bumped.
    Elected(RoleChange),
    /// The old master is still valid; nothing changed (CONTROLLER_MASTER_STILL_EXIST).
    Kept(GroupView),
}

/// What an election the controller started itself did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElectionOutcome {
    Elected(RoleChange),
    /// Nobody could be elected: the group has no master now, its master epoch moved on.
    NoCandidate {
        broker_name: String,
        master_epoch: i32,
    },
}

/// What a scan found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScanResult {
    /// Brokers whose heartbeats stopped (their connections should be closed).
    pub expired: Vec<(String, BrokerId, LiveInfo)>,
    /// Elections for groups whose master is inactive.
    pub elections: Vec<ElectionOutcome>,
}

/// The controller's state.
#[derive(Clone, Debug)]
pub struct ControllerState {
    limits: ControllerLimits,
    heartbeat_timeout: Duration,
    unclean: bool,
    groups: BTreeMap<String, BrokerGroup>,
    liveness: Liveness,
    started_at: Instant,
    dirty: bool,
}

impl ControllerState {
    /// A controller with `groups` (from its snapshot) that started at `now`.
    pub fn new(
        config: &ControllerConfig,
        groups: BTreeMap<String, BrokerGroup>,
        now: Instant,
    ) -> Self {
        ControllerState {
            limits: config.limits,
            heartbeat_timeout: config.heartbeat_timeout,
            unclean: config.enable_elect_unclean_master,
            groups,
            liveness: Liveness::default(),
            started_at: now,
            dirty: false,
        }
    }

    /// The groups (what is persisted).
    pub fn groups(&self) -> &BTreeMap<String, BrokerGroup> {
        &self.groups
    }

    /// One group.
    pub fn group(&self, broker_name: &str) -> Option<&BrokerGroup> {
        self.groups.get(broker_name)
    }

    /// Liveness records.
    pub fn liveness(&self) -> &Liveness {
        &self.liveness
    }

    /// Whether the groups changed since the last call (then they must be persisted).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Puts back groups saved before a change that could not be persisted.
    pub fn restore_groups(&mut self, groups: BTreeMap<String, BrokerGroup>) {
        self.groups = groups;
        self.dirty = false;
    }

    /// GET_NEXT_BROKER_ID.
    pub fn next_broker_id(&self, broker_name: &str) -> BrokerId {
        self.groups
            .get(broker_name)
            .map_or(super::group::FIRST_BROKER_ID, |g| g.next_broker_id)
    }

    /// APPLY_BROKER_ID: `id` becomes this broker's (or already is).
    pub fn apply_broker_id(
        &mut self,
        cluster_name: &str,
        broker_name: &str,
        id: BrokerId,
        check_code: &str,
    ) -> Result<(), ControllerError> {
        self.check_name("cluster name", cluster_name)?;
        self.check_name("broker name", broker_name)?;
        self.check_name("register check code", check_code)?;
        let invalid = |why| ControllerError::BrokerIdInvalid {
            broker_name: broker_name.to_owned(),
            id,
            why,
        };
        if id < super::group::FIRST_BROKER_ID {
            return Err(invalid("controller broker ids start at 1"));
        }
        if !self.groups.contains_key(broker_name) {
            self.limit(
                "broker groups",
                self.groups.len() + 1,
                self.limits.groups_max,
            )?;
        }
        let replicas_max = self.limits.replicas_per_group_max;
        let group = self
            .groups
            .entry(broker_name.to_owned())
            .or_insert_with(|| BrokerGroup::new(cluster_name, broker_name));
        if let Some(taken) = group.replicas.get(&id) {
            return match taken.register_check_code == check_code {
                true => Ok(()),
                false => Err(invalid("the id belongs to another broker")),
            };
        }
        if group.replicas.len() >= replicas_max {
            let len = group.replicas.len() + 1;
            if group.replicas.is_empty() {
                self.groups.remove(broker_name);
            }
            return Err(ControllerError::TooMany {
                what: "replicas of a group",
                len,
                max: replicas_max,
            });
        }
        let address = check_code.split(';').next().unwrap_or_default().to_owned();
        group.replicas.insert(
            id,
            Replica {
                address,
                register_check_code: check_code.to_owned(),
            },
        );
        group.next_broker_id = group.next_broker_id.max(id + 1);
        self.dirty = true;
        Ok(())
    }

    /// REGISTER_BROKER: the broker's address is recorded; the answer names the master only if
    /// it is alive.
    pub fn register(
        &mut self,
        broker_name: &str,
        id: BrokerId,
        address: &str,
        now: Instant,
    ) -> Result<(GroupView, bool), ControllerError> {
        self.check_name("broker address", address)?;
        let group = self.group_mut_registered(broker_name)?;
        let replica =
            group
                .replicas
                .get_mut(&id)
                .ok_or_else(|| ControllerError::BrokerNotRegistered {
                    broker_name: broker_name.to_owned(),
                    id,
                })?;
        if replica.address != address {
            replica.address = address.to_owned();
            self.dirty = true;
        }
        let view = self.groups[broker_name].view();
        let master_alive = view
            .master
            .as_ref()
            .is_some_and(|(m, _)| self.liveness.is_alive(broker_name, *m, now));
        Ok((view, master_alive))
    }

    /// BROKER_HEARTBEAT.
    pub fn heartbeat(&mut self, beat: Heartbeat, now: Instant) -> Result<(), ControllerError> {
        self.check_name("cluster name", &beat.cluster_name)?;
        self.check_name("broker name", &beat.broker_name)?;
        self.check_name("broker address", &beat.broker_addr)?;
        if !self.liveness.contains(&beat.broker_name, beat.broker_id) {
            let len = self.liveness.len() + 1;
            self.limit("live brokers", len, self.limits.live_brokers_max)?;
        }
        let info = LiveInfo {
            cluster_name: beat.cluster_name,
            address: beat.broker_addr,
            last_heartbeat: now,
            timeout: beat.timeout.unwrap_or(self.heartbeat_timeout),
            stats: beat.stats,
            conn: beat.conn,
        };
        self.liveness.beat(&beat.broker_name, beat.broker_id, info);
        Ok(())
    }

    /// ALTER_SYNC_STATE_SET from the master: `new_set` at `seen_epoch`, the sync-state set
    /// epoch the master last saw. Returns the group with the new set.
    pub fn alter_sync_state_set(
        &mut self,
        broker_name: &str,
        master_id: BrokerId,
        master_epoch: i32,
        new_set: &BTreeSet<BrokerId>,
        seen_epoch: i32,
        now: Instant,
    ) -> Result<GroupView, ControllerError> {
        let limit = self.limits.replicas_per_group_max;
        let group =
            self.groups
                .get(broker_name)
                .ok_or_else(|| ControllerError::MetadataNotExist {
                    broker_name: broker_name.to_owned(),
                })?;
        if master_epoch != group.master_epoch {
            let current = group.master_epoch;
            return Err(ControllerError::FencedMasterEpoch {
                current,
                got: master_epoch,
            });
        }
        if seen_epoch != group.sync_state_set_epoch {
            let current = group.sync_state_set_epoch;
            return Err(ControllerError::FencedSyncStateSetEpoch {
                current,
                got: seen_epoch,
            });
        }
        if group.master != Some(master_id) {
            let current = group.master;
            return Err(ControllerError::InvalidMaster {
                current,
                got: master_id,
            });
        }
        self.limit("sync state set members", new_set.len(), limit)?;
        if *new_set == group.sync_state_set {
            return Err(ControllerError::AlterFailed(AlterFailure::Unchanged));
        }
        for id in new_set {
            if !group.replicas.contains_key(id) {
                return Err(ControllerError::InvalidReplicas { id: *id });
            }
            if !self.liveness.is_alive(broker_name, *id, now) {
                return Err(ControllerError::BrokerNotAlive { id: *id });
            }
        }
        if !new_set.contains(&master_id) {
            let failure = AlterFailure::MasterMissing { master: master_id };
            return Err(ControllerError::AlterFailed(failure));
        }
        let group = self.groups.get_mut(broker_name).expect("checked above");
        group.sync_state_set = new_set.clone();
        group.sync_state_set_epoch += 1;
        self.dirty = true;
        Ok(group.view())
    }

    /// GET_REPLICA_INFO.
    pub fn replica_info(&self, broker_name: &str) -> Result<GroupView, ControllerError> {
        self.groups
            .get(broker_name)
            .map(BrokerGroup::view)
            .ok_or_else(|| ControllerError::MetadataNotExist {
                broker_name: broker_name.to_owned(),
            })
    }

    /// GET_SYNC_STATE_DATA: the groups among `names` that exist, with liveness.
    pub fn sync_state_data(
        &self,
        names: &[String],
        now: Instant,
    ) -> Result<BrokerReplicasInfo, ControllerError> {
        self.limit("broker names", names.len(), self.limits.names_per_query_max)?;
        let mut out = BrokerReplicasInfo::default();
        for name in names {
            let Some(group) = self.groups.get(name) else {
                continue;
            };
            let mut info = ReplicasInfo {
                master_address: group
                    .master
                    .and_then(|m| group.address(m).map(str::to_owned)),
                master_broker_id: group.master,
                master_epoch: group.master_epoch,
                sync_state_set_epoch: group.sync_state_set_epoch,
                ..ReplicasInfo::default()
            };
            for (id, replica) in &group.replicas {
                let identity = ReplicaIdentity {
                    alive: self.liveness.is_alive(name, *id, now),
                    broker_address: replica.address.clone(),
                    broker_id: *id,
                    broker_name: name.clone(),
                };
                match group.sync_state_set.contains(id) {
                    true => info.in_sync_replicas.push(identity),
                    false => info.not_in_sync_replicas.push(identity),
                }
            }
            out.replicas_info_table.insert(name.clone(), info);
        }
        Ok(out)
    }

    pub(super) fn group_mut_registered(
        &mut self,
        name: &str,
    ) -> Result<&mut BrokerGroup, ControllerError> {
        self.groups
            .get_mut(name)
            .ok_or_else(|| ControllerError::GroupNotRegistered {
                broker_name: name.to_owned(),
            })
    }

    fn check_name(&self, what: &'static str, value: &str) -> Result<(), ControllerError> {
        if value.is_empty() {
            return Err(ControllerError::InvalidRequest { what });
        }
        let max = self.limits.name_bytes_max;
        match value.len() > max {
            true => Err(ControllerError::TooLong {
                what,
                len: value.len(),
                max,
            }),
            false => Ok(()),
        }
    }

    fn limit(&self, what: &'static str, len: usize, max: usize) -> Result<(), ControllerError> {
        match len > max {
            true => Err(ControllerError::TooMany { what, len, max }),
            false => Ok(()),
        }
    }
}
