//! Elections: asked for by a broker (ELECT_MASTER), or started by the controller when a
//! master's heartbeats stop (the scan) or its connection closes. The policy itself is
//! `elect::pick`; this file chooses the candidates and applies the outcome.

use std::collections::BTreeMap;

use super::{ControllerState, ElectRequest, Election, ElectionOutcome, RoleChange, ScanResult};
use crate::controller::elect;
use crate::controller::error::ControllerError;
use crate::controller::group::BrokerId;
use crate::controller::liveness::BrokerStats;
use crate::env::Instant;
use crate::remoting::ConnId;

impl ControllerState {
    /// ELECT_MASTER.
    pub fn elect(
        &mut self,
        request: &ElectRequest,
        now: Instant,
    ) -> Result<Election, ControllerError> {
        let name = request.broker_name.as_str();
        let group = self.group_mut_registered(name)?;
        if let (Some(id), true) = (request.broker_id, group.never_elected()) {
            if !group.replicas.contains_key(&id) {
                return Err(ControllerError::BrokerNotRegistered {
                    broker_name: name.to_owned(),
                    id,
                });
            }
            return Ok(Election::Elected(self.install(name, id)));
        }
        let designated = request.designate.then_some(request.broker_id).flatten();
        let asked_by_broker = request.broker_id.is_some() && designated.is_none();
        if asked_by_broker && self.in_grace(now) && self.groups[name].master.is_some() {
            // Right after a restart nobody's heartbeat has arrived yet: a broker cannot have
            // the master judged by its silence, so it stays. (A closed connection is evidence
            // and may still elect.)
            return Ok(Election::Kept(self.groups[name].view()));
        }
        match self.pick(name, designated, now) {
            Some(id) if Some(id) == self.groups[name].master => {
                Ok(Election::Kept(self.groups[name].view()))
            }
            Some(id) => Ok(Election::Elected(self.install(name, id))),
            None if request.broker_id.is_none() => {
                let group = self.groups.get_mut(name).expect("checked above");
                group.depose_master();
                self.dirty = true;
                Err(ControllerError::MasterNotAvailable {
                    broker_name: name.to_owned(),
                })
            }
            None => Err(ControllerError::ElectFailed {
                broker_name: name.to_owned(),
            }),
        }
    }

    /// The periodic scan: expires silent brokers and re-elects groups whose master is
    /// inactive while another replica is alive.
    pub fn scan(&mut self, now: Instant) -> ScanResult {
        let expired = self.liveness.expire(now);
        let mut elections = Vec::new();
        if !self.in_grace(now) {
            let names: Vec<String> = self.groups.keys().cloned().collect();
            for name in names {
                if let Some(outcome) = self.reelect_if_master_inactive(&name, now) {
                    elections.push(outcome);
                }
            }
        }
        ScanResult { expired, elections }
    }

    /// A connection closed: the brokers that heartbeated on it are inactive at once, and the
    /// groups they were master of re-elect.
    pub fn connection_closed(&mut self, conn: ConnId, now: Instant) -> Vec<ElectionOutcome> {
        let gone = self.liveness.connection_closed(conn);
        let mut names: Vec<String> = gone
            .into_iter()
            .filter(|(name, id, _)| self.groups.get(name).is_some_and(|g| g.master == Some(*id)))
            .map(|(name, _, _)| name)
            .collect();
        names.dedup();
        names
            .iter()
            .filter_map(|name| self.reelect_if_master_inactive(name, now))
            .collect()
    }

    fn reelect_if_master_inactive(&mut self, name: &str, now: Instant) -> Option<ElectionOutcome> {
        let group = self.groups.get(name)?;
        let master = group.master?;
        if self.liveness.is_alive(name, master, now) {
            return None;
        }
        let any_alive = group
            .replicas
            .keys()
            .any(|id| self.liveness.is_alive(name, *id, now));
        if !any_alive {
            return None;
        }
        let request = ElectRequest {
            cluster_name: group.cluster_name.clone(),
            broker_name: name.to_owned(),
            broker_id: None,
            designate: false,
        };
        match self.elect(&request, now) {
            Ok(Election::Elected(change)) => Some(ElectionOutcome::Elected(change)),
            Ok(Election::Kept(_)) => None,
            Err(_) => Some(ElectionOutcome::NoCandidate {
                broker_name: name.to_owned(),
                master_epoch: self.groups.get(name).map_or(0, |g| g.master_epoch),
            }),
        }
    }

    /// The alive candidates of `name` (the sync-state set; all replicas if unclean elections
    /// are on and the set has nobody), then the policy's pick.
    fn pick(&self, name: &str, designated: Option<BrokerId>, now: Instant) -> Option<BrokerId> {
        let group = &self.groups[name];
        let alive = |ids: &mut dyn Iterator<Item = &BrokerId>| -> BTreeMap<BrokerId, BrokerStats> {
            ids.filter_map(|id| {
                let info = self.liveness.get(name, *id).filter(|i| i.is_alive(now))?;
                Some((*id, info.stats))
            })
            .collect()
        };
        let in_sync = alive(&mut group.sync_state_set.iter());
        let picked = elect::pick(&in_sync, group.master, designated);
        if picked.is_some() || !self.unclean {
            return picked;
        }
        let everyone = alive(&mut group.replicas.keys());
        elect::pick(&everyone, group.master, designated)
    }

    fn install(&mut self, name: &str, master: BrokerId) -> RoleChange {
        let group = self.groups.get_mut(name).expect("caller checked the group");
        group.install_master(master);
        self.dirty = true;
        let view = group.view();
        let targets = view
            .members
            .iter()
            .map(|(id, addr)| {
                let conn = self.liveness.get(name, *id).and_then(|i| i.conn);
                (*id, addr.clone(), conn)
            })
            .collect();
        RoleChange { view, targets }
    }

    /// Within one heartbeat timeout of the start no master is judged inactive.
    fn in_grace(&self, now: Instant) -> bool {
        now < self.started_at + self.heartbeat_timeout
    }
}
