//! The broker's view of its group, sans-IO: every answer or push from the controller goes in as
//! an [`Observation`]; out come the role events the broker acts on, in order, and whether to ask
//! for an election (RocketMQ's `ReplicasManager` role logic).
//!
//! Rules: a view with a higher master epoch than the last one seen replaces it (this broker is
//! master → `BecomeMaster`, someone else → `BecomeSlave`, nobody → `MasterLost` and an
//! election request); a view at the same epoch only updates the sync-state set (when it is
//! newer) and, while there is no master, asks for an election again; an older view is stale
//! (a reordered push, a slow poll) and ignored. So the events a broker sees have strictly
//! increasing master epochs, whatever order the controller's messages arrive in.

use std::collections::BTreeSet;

use crate::controller::group::BrokerId;

/// What the controller said about the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Master id and address; `None` when the group has no master.
    pub master: Option<(BrokerId, String)>,
    pub master_epoch: i32,
    /// The sync-state set and its epoch, when the message carried them.
    pub sync_state_set: Option<(BTreeSet<BrokerId>, i32)>,
}

/// What the broker must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleEvent {
    /// This broker is master from `master_epoch` on: truncate to the last whole message,
    /// append `<master_epoch, maxPhyOffset>` to the epoch file, serve writes.
    BecomeMaster {
        master_epoch: i32,
        sync_state_set: BTreeSet<BrokerId>,
        sync_state_set_epoch: i32,
    },
    /// This broker follows `master_id` at `master_addr` from `master_epoch` on: stop writes,
    /// handshake, truncate to the consistent point, replicate.
    BecomeSlave {
        master_id: BrokerId,
        master_addr: String,
        master_epoch: i32,
    },
    /// The master's sync-state set changed (only reported to the master).
    SyncStateSetChanged {
        sync_state_set: BTreeSet<BrokerId>,
        sync_state_set_epoch: i32,
    },
    /// The group has no master (the old one is fenced at `master_epoch`): stop writes.
    MasterLost { master_epoch: i32 },
}

/// The current role as the tracker knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Nothing heard yet.
    Unknown,
    Master,
    Slave {
        master_id: BrokerId,
    },
    /// The group has no master.
    NoMaster,
}

/// What one observation produced.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reaction {
    pub event: Option<RoleEvent>,
    /// Ask the controller for an election (with this broker as the requester).
    pub request_election: bool,
}

/// The tracker.
#[derive(Clone, Debug)]
pub struct RoleTracker {
    me: BrokerId,
    role: Role,
    master_epoch: i32,
    sync_state_set: BTreeSet<BrokerId>,
    sync_state_set_epoch: i32,
}

impl RoleTracker {
    /// A tracker for broker `me` that has heard nothing (epoch −1: even a never-elected
    /// group's epoch 0 is news).
    pub fn new(me: BrokerId) -> Self {
        RoleTracker {
            me,
            role: Role::Unknown,
            master_epoch: -1,
            sync_state_set: BTreeSet::new(),
            sync_state_set_epoch: -1,
        }
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn master_epoch(&self) -> i32 {
        self.master_epoch
    }

    pub fn sync_state_set(&self) -> (&BTreeSet<BrokerId>, i32) {
        (&self.sync_state_set, self.sync_state_set_epoch)
    }

    /// What an ALTER_SYNC_STATE_SET must carry (master epoch, sync-state set epoch), if this
    /// broker is master.
    pub fn alter_epochs(&self) -> Option<(i32, i32)> {
        (self.role == Role::Master).then_some((self.master_epoch, self.sync_state_set_epoch))
    }

    /// Takes in what the controller said.
    pub fn observe(&mut self, seen: &Observation) -> Reaction {
        if seen.master_epoch < self.master_epoch {
            return Reaction::default();
        }
        if seen.master_epoch == self.master_epoch {
            return self.same_epoch(seen);
        }
        self.master_epoch = seen.master_epoch;
        if let Some((set, epoch)) = &seen.sync_state_set {
            self.sync_state_set = set.clone();
            self.sync_state_set_epoch = *epoch;
        }
        let event = match &seen.master {
            Some((id, _)) if *id == self.me => {
                self.role = Role::Master;
                if seen.sync_state_set.is_none() {
                    // A new master's set is itself alone (the election resets it).
                    self.sync_state_set = BTreeSet::from([self.me]);
                }
                RoleEvent::BecomeMaster {
                    master_epoch: self.master_epoch,
                    sync_state_set: self.sync_state_set.clone(),
                    sync_state_set_epoch: self.sync_state_set_epoch,
                }
            }
            Some((id, addr)) => {
                self.role = Role::Slave { master_id: *id };
                RoleEvent::BecomeSlave {
                    master_id: *id,
                    master_addr: addr.clone(),
                    master_epoch: self.master_epoch,
                }
            }
            None => {
                self.role = Role::NoMaster;
                return Reaction {
                    event: Some(RoleEvent::MasterLost {
                        master_epoch: self.master_epoch,
                    }),
                    request_election: true,
                };
            }
        };
        Reaction {
            event: Some(event),
            request_election: false,
        }
    }

    /// Same master epoch: a newer sync-state set matters to the master; no master means the
    /// election should be asked for again.
    fn same_epoch(&mut self, seen: &Observation) -> Reaction {
        if seen.master.is_none() {
            return Reaction {
                event: None,
                request_election: true,
            };
        }
        let Some((set, epoch)) = &seen.sync_state_set else {
            return Reaction::default();
        };
        if *epoch <= self.sync_state_set_epoch {
            return Reaction::default();
        }
        self.sync_state_set = set.clone();
        self.sync_state_set_epoch = *epoch;
        let event = (self.role == Role::Master).then(|| RoleEvent::SyncStateSetChanged {
            sync_state_set: set.clone(),
            sync_state_set_epoch: *epoch,
        });
        Reaction {
            event,
            request_election: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(master: Option<BrokerId>, epoch: i32, set: Option<(&[BrokerId], i32)>) -> Observation {
        Observation {
            master: master.map(|m| (m, format!("10.0.0.{m}:10911"))),
            master_epoch: epoch,
            sync_state_set: set.map(|(ids, e)| (ids.iter().copied().collect(), e)),
        }
    }

    #[test]
    fn never_elected_group_asks_for_an_election() {
        let mut t = RoleTracker::new(1);
        let r = t.observe(&seen(None, 0, Some((&[], 0))));
        assert_eq!(r.event, Some(RoleEvent::MasterLost { master_epoch: 0 }));
        assert!(r.request_election);
        // Polled again at the same epoch: ask again, no repeated event.
        let r = t.observe(&seen(None, 0, None));
        assert_eq!((r.event, r.request_election), (None, true));
    }

    #[test]
    fn elected_then_demoted_in_epoch_order() {
        let mut t = RoleTracker::new(1);
        let r = t.observe(&seen(Some(1), 1, Some((&[1], 1))));
        assert_eq!(
            r.event,
            Some(RoleEvent::BecomeMaster {
                master_epoch: 1,
                sync_state_set: [1].into(),
                sync_state_set_epoch: 1
            })
        );
        assert_eq!(t.alter_epochs(), Some((1, 1)));
        let r = t.observe(&seen(Some(2), 3, Some((&[2], 4))));
        assert_eq!(
            r.event,
            Some(RoleEvent::BecomeSlave {
                master_id: 2,
                master_addr: "10.0.0.2:10911".into(),
                master_epoch: 3
            })
        );
        assert_eq!(t.alter_epochs(), None);
        // A reordered push from epoch 1 changes nothing.
        assert_eq!(
            t.observe(&seen(Some(1), 1, Some((&[1], 1)))),
            Reaction::default()
        );
        assert_eq!(t.role(), Role::Slave { master_id: 2 });
    }

    #[test]
    fn master_learns_newer_sync_state_sets_only() {
        let mut t = RoleTracker::new(1);
        t.observe(&seen(Some(1), 1, Some((&[1], 1))));
        let r = t.observe(&seen(Some(1), 1, Some((&[1, 2], 2))));
        assert_eq!(
            r.event,
            Some(RoleEvent::SyncStateSetChanged {
                sync_state_set: [1, 2].into(),
                sync_state_set_epoch: 2
            })
        );
        assert_eq!(t.alter_epochs(), Some((1, 2)));
        assert_eq!(
            t.observe(&seen(Some(1), 1, Some((&[1], 1)))),
            Reaction::default()
        );
        assert_eq!(t.observe(&seen(Some(1), 1, None)), Reaction::default());
    }

    #[test]
    fn slave_records_sync_state_set_silently() {
        let mut t = RoleTracker::new(2);
        t.observe(&seen(Some(1), 1, Some((&[1], 1))));
        let r = t.observe(&seen(Some(1), 1, Some((&[1, 2], 2))));
        assert_eq!(r, Reaction::default());
        assert_eq!(t.sync_state_set().1, 2);
    }

    #[test]
    fn new_master_without_a_set_assumes_itself() {
        let mut t = RoleTracker::new(3);
        let r = t.observe(&seen(Some(3), 2, None));
        assert!(matches!(
            r.event,
            Some(RoleEvent::BecomeMaster { ref sync_state_set, .. }) if *sync_state_set == BTreeSet::from([3])
        ));
    }

    #[test]
    fn master_lost_then_reelected() {
        let mut t = RoleTracker::new(2);
        t.observe(&seen(Some(1), 1, None));
        let r = t.observe(&seen(None, 2, None));
        assert_eq!(r.event, Some(RoleEvent::MasterLost { master_epoch: 2 }));
        assert_eq!(t.role(), Role::NoMaster);
        let r = t.observe(&seen(Some(2), 3, Some((&[2], 3))));
        assert!(matches!(
            r.event,
            Some(RoleEvent::BecomeMaster {
                master_epoch: 3,
                ..
            })
        ));
    }
}
