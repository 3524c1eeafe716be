//! The sync-state set API of [`Master`] (§5.8) that the broker calls: the controller's set,
//! the confirm offset, all-ack waits (`allAckInSyncStateSet`) and the periodic proposal to
//! shrink or expand the set. The state itself is the sans-IO `SyncSet`; this keeps the
//! store's dispatch limit in step with the confirm offset.

use std::collections::BTreeSet;

use tokio::sync::oneshot;

use super::master::Master;
use crate::env::{Env, Instant};
use crate::store::PutStatus;

impl<E: Env> Master<E> {
    /// The controller's sync-state set for this master (after an accepted ALTER_SYNC_STATE_SET
    /// or a role change). Releases all-ack waiters a smaller set satisfies and updates the
    /// store's dispatch limit.
    pub fn set_sync_state_set(&self, members: BTreeSet<i64>, epoch: i32, my_id: i64) {
        tracing::info!(target: "rocketsim::ha", ?members, epoch, "sync-state set");
        let released = self
            .sync
            .lock()
            .set_members(members, epoch, my_id, self.env.now());
        for waiter in released {
            let _ = waiter.send(());
        }
        self.refresh_dispatch_limit();
    }

    /// The sync-state set and its epoch as last set.
    pub fn sync_state_set(&self) -> (BTreeSet<i64>, i32) {
        let sync = self.sync.lock();
        (sync.members().clone(), sync.epoch())
    }

    /// The confirm offset: the least offset every member of the sync-state set has (the
    /// master's own being its max).
    pub fn confirm_offset(&self) -> u64 {
        self.sync
            .lock()
            .confirm_offset(self.store.max_physical_offset())
    }

    /// All-ack (`allAckInSyncStateSet`): `Ok` once every member acknowledged `end_offset` (at
    /// once when the set is only the master), `InSyncReplicasNotEnough` at once when the set
    /// is smaller than `minInSyncReplicas`, `FlushSlaveTimeout` after `slaveTimeout`.
    pub async fn wait_for_sync_state_set(&self, end_offset: u64) -> PutStatus {
        let (tx, rx) = oneshot::channel();
        let key = {
            let mut sync = self.sync.lock();
            if sync.members().len() < self.config.min_in_sync_replicas {
                return PutStatus::InSyncReplicasNotEnough;
            }
            match sync.wait(end_offset, tx) {
                Ok(None) => return PutStatus::Ok,
                Ok(Some(key)) => key,
                Err(_) => return PutStatus::FlushSlaveTimeout,
            }
        };
        self.await_release(rx, || drop(self.sync.lock().cancel(key)))
            .await
    }

    /// Starts a change of the sync-state set, if it should change (call every
    /// `check_sync_state_set_period` and when [`Master::review_wanted`] fires): returns the
    /// set to propose to the controller and the set it replaces. Until the controller
    /// answers, acknowledgements count both (Java's synchronizing set): a write acknowledged
    /// by the old set alone could be missing on a joiner the controller may elect next. Apply
    /// the answer with `set_sync_state_set` (the accepted set, or the old one when refused).
    pub fn begin_sync_state_change(&self, now: Instant) -> Option<(BTreeSet<i64>, BTreeSet<i64>)> {
        let (proposal, current, released) = {
            let mut sync = self.sync.lock();
            let proposal = sync.proposal(now)?;
            let current = sync.members().clone();
            let counted: BTreeSet<i64> = current.union(&proposal).copied().collect();
            let (epoch, my_id) = (sync.epoch(), self.config.broker_id);
            // (Joiners become members here: counted either way.)
            let released = sync.set_members(counted, epoch, my_id, now);
            (proposal, current, released)
        };
        for waiter in released {
            let _ = waiter.send(());
        }
        self.refresh_dispatch_limit();
        Some((proposal, current))
    }

    /// Resolves when a slave became a joiner since the last call, or [`Master::want_review`]
    /// was called (a review is due).
    pub async fn review_wanted(&self) {
        self.review_wanted.notified().await
    }

    /// Wakes whoever waits in [`Master::review_wanted`] (a new term replaced this side: the
    /// reviewer should move to the new one).
    pub fn want_review(&self) {
        self.review_wanted.notify_one();
    }

    /// What broker `id` acknowledged last.
    pub fn broker_acked_offset(&self, id: i64) -> Option<u64> {
        self.sync.lock().acked(id)
    }

    pub(super) fn refresh_dispatch_limit(&self) {
        if !self.config.all_ack_in_sync_state_set {
            return;
        }
        let limit = {
            let sync = self.sync.lock();
            (sync.counts_others()).then(|| sync.confirm_offset(self.store.max_physical_offset()))
        };
        self.store.set_dispatch_limit(limit);
    }
}
