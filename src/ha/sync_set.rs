//! The master's view of its sync-state set (§5.8), sans-IO: which replicas are in it, what
//! each slave broker acknowledged and when it was last caught up, the confirm offset, the
//! all-ack waiters, and the proposal to shrink or expand the set.
//!
//! Keyed by broker id (from the AutoSwitch handshake), not by connection: acks and caught-up
//! times survive a reconnect. One link per broker id: a newer handshake supersedes the older
//! link (it is the same slave reconnecting before the master noticed the old link die).
//!
//! Caught up (Java's `lastCatchUpTimeMs`): the master remembers, per slave, the master's max
//! offset at each recent send (data or heartbeat, at most `SENDS_MAX`); an ack at or past the
//! max of a send makes the slave caught up as of that send's time.
//!
//! Joining (Java's `maybeExpandInSyncStateSet`): judged at every ack, not at the periodic
//! review — under steady load a slave is a few records behind at almost any given instant,
//! so a review-time test would keep it out for good. An ack at or past the confirm offset
//! (the master's max when the set is only the master) makes the slave a *joiner*: counted
//! in every acknowledgement from that instant, so nothing acknowledged afterwards is missing
//! on it, and proposed at the next review. A joiner whose link closes before it is
//! proposed stops being counted.
//!
//! Invariants: the master's own id is never proposed for removal; the confirm offset is the
//! master's max when only the master is counted, else the least ack of the other counted
//! brokers — members and joiners — (0 for a member never heard from); a waiter is released
//! exactly once, when the confirm offset reaches its target — by an ack or by the set
//! shrinking — or dropped on timeout.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use super::acks::LinkId;
use super::waiters::{WaitKey, Waiters};
use crate::env::Instant;

/// Sends remembered per slave for the caught-up rule.
const SENDS_MAX: usize = 64;

#[derive(Clone, Debug, Default)]
struct SlaveState {
    acked: u64,
    caught_up_at: Option<Instant>,
    link: Option<LinkId>,
    async_learner: bool,
    /// (master max at the send, time of the send), oldest first.
    sends: VecDeque<(u64, Instant)>,
}

/// What an ack did.
#[derive(Debug)]
pub struct Acked<W> {
    /// The all-ack waiters it released, oldest target first.
    pub released: Vec<W>,
    /// Whether it made the slave a joiner (the set should be reviewed now).
    pub joined: bool,
}

impl<W> Default for Acked<W> {
    fn default() -> Self {
        Acked {
            released: Vec::new(),
            joined: false,
        }
    }
}

/// The sync-state set and its waiters.
#[derive(Debug)]
pub struct SyncSet<W> {
    my_id: i64,
    members: BTreeSet<i64>,
    /// Caught up at an ack, counted, not yet proposed (never members).
    joiners: BTreeSet<i64>,
    epoch: i32,
    slaves: BTreeMap<i64, SlaveState>,
    waiters: Waiters<W>,
    max_not_catchup: Duration,
}

impl<W> SyncSet<W> {
    /// A set holding only the master `my_id`.
    pub fn new(my_id: i64, waiters_max: usize, max_not_catchup: Duration) -> Self {
        SyncSet {
            my_id,
            members: BTreeSet::from([my_id]),
            joiners: BTreeSet::new(),
            epoch: 0,
            slaves: BTreeMap::new(),
            waiters: Waiters::new(waiters_max),
            max_not_catchup,
        }
    }

    pub fn members(&self) -> &BTreeSet<i64> {
        &self.members
    }

    pub fn epoch(&self) -> i32 {
        self.epoch
    }

    /// The controller's set (accepted change or role change). A member never heard from gets
    /// `now` as its caught-up time: the grace of one `haMaxTimeSlaveNotCatchup`. Returns the
    /// waiters a smaller set releases.
    pub fn set_members(
        &mut self,
        members: BTreeSet<i64>,
        epoch: i32,
        my_id: i64,
        now: Instant,
    ) -> Vec<W> {
        self.my_id = my_id;
        self.epoch = epoch;
        for id in members.iter().filter(|id| **id != my_id) {
            let slave = self.slaves.entry(*id).or_default();
            slave.caught_up_at.get_or_insert(now);
        }
        self.joiners.retain(|id| !members.contains(id));
        self.members = members;
        self.release()
    }

    /// The slaves judged caught up since the last proposal, counted but not members yet.
    pub fn joiners(&self) -> &BTreeSet<i64> {
        &self.joiners
    }

    /// A handshake from `id` on `link`; returns the link it supersedes, if any.
    pub fn on_handshake(&mut self, id: i64, link: LinkId, async_learner: bool) -> Option<LinkId> {
        let slave = self.slaves.entry(id).or_default();
        slave.async_learner = async_learner;
        slave.sends.clear();
        slave.link.replace(link).filter(|old| *old != link)
    }

    /// Whether `link` is the current link of `id`.
    pub fn is_current(&self, id: i64, link: LinkId) -> bool {
        self.slaves.get(&id).and_then(|s| s.link) == Some(link)
    }

    /// `id`'s `link` closed; returns the waiters only it held back, if it was a joiner.
    pub fn on_link_closed(&mut self, id: i64, link: LinkId) -> Vec<W> {
        let Some(slave) = self.slaves.get_mut(&id) else {
            return Vec::new();
        };
        if slave.link != Some(link) {
            return Vec::new();
        }
        slave.link = None;
        slave.sends.clear();
        self.joiners.remove(&id);
        self.release()
    }

    /// A frame went to `id` while the master's log ended at `master_max`.
    pub fn on_sent(&mut self, id: i64, master_max: u64, now: Instant) {
        let Some(slave) = self.slaves.get_mut(&id) else {
            return;
        };
        if slave
            .sends
            .back()
            .is_some_and(|(max, _)| *max == master_max)
        {
            return;
        }
        if slave.sends.len() == SENDS_MAX {
            slave.sends.pop_front();
        }
        slave.sends.push_back((master_max, now));
    }

    /// `id` acknowledged `offset` while the master's log ends at `master_max` (read under the
    /// same lock as this call, so every write acknowledged before it ends at or below it).
    pub fn on_ack(&mut self, id: i64, offset: u64, master_max: u64) -> Acked<W> {
        let Some(slave) = self.slaves.get_mut(&id) else {
            return Acked::default();
        };
        slave.acked = slave.acked.max(offset);
        while let Some((max, at)) = slave.sends.front().copied() {
            if max > offset {
                break;
            }
            slave.caught_up_at = Some(slave.caught_up_at.map_or(at, |t| t.max(at)));
            slave.sends.pop_front();
        }
        let may_join = slave.link.is_some() && !slave.async_learner;
        let (acked, counted) = (slave.acked, self.counted(id));
        let joined = may_join && !counted && acked >= self.confirm_offset(master_max);
        if joined {
            self.joiners.insert(id);
        }
        Acked {
            released: self.release(),
            joined,
        }
    }

    /// Whether acknowledgements count any broker besides the master.
    pub fn counts_others(&self) -> bool {
        self.others_acked().is_some()
    }

    fn counted(&self, id: i64) -> bool {
        self.members.contains(&id) || self.joiners.contains(&id)
    }

    /// What `id` acknowledged.
    pub fn acked(&self, id: i64) -> Option<u64> {
        self.slaves.get(&id).map(|s| s.acked)
    }

    /// The least ack of the counted brokers other than the master; `None` when there are none.
    fn others_acked(&self) -> Option<u64> {
        let counted = self.members.iter().chain(&self.joiners);
        let others = counted.filter(|id| **id != self.my_id);
        others
            .map(|id| self.slaves.get(id).map_or(0, |s| s.acked))
            .min()
    }

    /// The confirm offset, the master's log ending at `master_max`.
    pub fn confirm_offset(&self, master_max: u64) -> u64 {
        self.others_acked()
            .map_or(master_max, |acked| acked.min(master_max))
    }

    /// Waits until every member has `target`: `Ok(None)` at once when they have, `Ok(Some(key))`
    /// when parked (`key` cancels), `Err(waiter)` when the table is full.
    pub fn wait(&mut self, target: u64, waiter: W) -> Result<Option<WaitKey>, W> {
        if self.others_acked().is_none_or(|acked| acked >= target) {
            return Ok(None);
        }
        self.waiters.park(target, waiter).map(Some)
    }

    pub fn cancel(&mut self, key: WaitKey) -> Option<W> {
        self.waiters.cancel(key)
    }

    /// Releases the waiters the confirm offset now covers (all of them when the set is only
    /// the master).
    fn release(&mut self) -> Vec<W> {
        self.waiters
            .release_up_to(self.others_acked().unwrap_or(u64::MAX))
    }

    /// The set the master should propose now (`None`: keep it): members not caught up within
    /// `haMaxTimeSlaveNotCatchup` leave; joiners join.
    pub fn proposal(&self, now: Instant) -> Option<BTreeSet<i64>> {
        let stale = |id: &i64| {
            self.slaves.get(id).is_none_or(|s| {
                s.caught_up_at
                    .is_none_or(|t| now - t > self.max_not_catchup)
            })
        };
        let mut next: BTreeSet<i64> = self
            .members
            .iter()
            .copied()
            .filter(|id| *id == self.my_id || !stale(id))
            .collect();
        next.extend(self.joiners.iter().copied());
        (next != self.members).then_some(next)
    }
}

#[cfg(test)]
#[path = "sync_set_tests.rs"]
mod tests;
