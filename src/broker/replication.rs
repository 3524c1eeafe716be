//! What the broker asks of replication, in one place: the HA master side (links,
//! acknowledgements, the sync-state set, the confirm offset), the slave side, the epoch
//! history, and how a send waits for its replicas in each mode.
//!
//! Classic (4.x): every broker serves its HA port from start to stop; a SLAVE's link is
//! started by the server. Controller mode: the HA port is served only while master (a new
//! AutoSwitch `Master` per term, bound on becoming master, dropped on losing it, as Java's
//! `AutoSwitchHAService`), and a new AutoSwitch `Slave` per master followed.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;

use super::config::{BrokerConfig, BrokerRole};
use crate::controller::BrokerId;
use crate::env::{Env, Task};
use crate::ha::{
    prepare_master, Epochs, HaConfig, HaProtocol, Master, MasterResolver, RoleError, Slave,
};
use crate::store::{MessageStore, PutStatus};

/// Why a broker could not take the master role.
#[derive(Debug, thiserror::Error)]
pub enum EpochError {
    #[error("{0}")]
    Role(#[from] RoleError),
    #[error("not in controller mode: no epoch history")]
    NoEpochs,
    #[error("cannot listen on the HA port {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A slave side and the task running it.
type Following<E> = (Arc<Slave<E>>, <E as crate::env::Spawn>::Task);

pub(crate) struct Replication<E: Env> {
    env: E,
    config: BrokerConfig,
    ha_config: HaConfig,
    store: MessageStore<E>,
    /// Where the HA port is published (rebound on each term as master in controller mode).
    ha_addr: SocketAddr,
    /// The master side now: classic — one for the broker's life; controller mode — this
    /// term's (a fresh one, not serving, while not master).
    master: Mutex<Arc<Master<E>>>,
    /// Controller mode: the HA listener task of this term as master.
    serving: Mutex<Option<E::Task>>,
    /// Controller mode: the slave side following the current master.
    slave: Mutex<Option<Following<E>>>,
    /// Controller mode: the persisted epoch history.
    epochs: Option<Arc<Epochs<E>>>,
}

impl<E: Env> Replication<E> {
    pub fn new(
        env: E,
        config: &BrokerConfig,
        store: MessageStore<E>,
        epochs: Option<Arc<Epochs<E>>>,
        ha_addr: SocketAddr,
    ) -> Self {
        let ha_config = ha_config(config);
        let master = new_master(&env, &store, &ha_config, epochs.as_ref());
        Replication {
            env,
            config: config.clone(),
            ha_config,
            store,
            ha_addr,
            master: Mutex::new(master),
            serving: Mutex::new(None),
            slave: Mutex::new(None),
            epochs,
        }
    }

    /// The master side now.
    pub fn master(&self) -> Arc<Master<E>> {
        self.master.lock().clone()
    }

    /// The log grew: wake the links.
    pub fn notify_appended(&self) {
        self.master.lock().notify_appended();
    }

    /// A send's wait for its replicas (§5.3, §5.8), after the local write ended at `end`:
    /// all-ack waits for every member of the sync-state set; a SYNC_MASTER otherwise for one
    /// slave; an ASYNC_MASTER not at all.
    pub async fn wait_for_replicas(&self, master: &Master<E>, end: u64) -> PutStatus {
        if self.config.controller.enabled && self.config.controller.all_ack_in_sync_state_set {
            return master.wait_for_sync_state_set(end).await;
        }
        match self.config.broker_role {
            BrokerRole::SyncMaster => master.wait_for_slaves(end).await,
            _ => PutStatus::Ok,
        }
    }

    /// Classic mode: serves the HA port on `listener` for the broker's life.
    pub fn serve_classic(&self, listener: E::Listener) -> E::Task {
        self.master().serve(listener)
    }

    /// Controller mode, on becoming master in `epoch`: stop following, cut a partial record,
    /// record the epoch, start a fresh master side with `set` and serve the HA port.
    pub async fn become_master(
        &self,
        epoch: i32,
        set: BTreeSet<BrokerId>,
        set_epoch: i32,
    ) -> Result<(), EpochError> {
        self.stop_following();
        self.stop_serving();
        let epochs = self.epochs.as_ref().ok_or(EpochError::NoEpochs)?;
        prepare_master(&self.store, epochs, epoch).await?;
        let master = new_master(&self.env, &self.store, &self.ha_config, Some(epochs));
        master.set_sync_state_set(set, set_epoch, self.config.broker_id);
        let addr = self.ha_addr;
        let listener =
            (self.env.bind(addr).await).map_err(|source| EpochError::Listen { addr, source })?;
        let task = master.serve(listener);
        let old = std::mem::replace(&mut *self.master.lock(), master);
        // The sync-state reviewer waits on the side it last saw: move it to this term's.
        old.want_review();
        *self.serving.lock() = Some(task);
        Ok(())
    }

    /// Controller mode, on becoming a slave (or losing the master role): stop serving the HA
    /// port; answer waiting sends from a fresh master side that has no links.
    pub fn step_down(&self) {
        self.stop_serving();
        let fresh = new_master(
            &self.env,
            &self.store,
            &self.ha_config,
            self.epochs.as_ref(),
        );
        let old = std::mem::replace(&mut *self.master.lock(), fresh);
        // Sends waiting on the old term's acknowledgements time out (never SEND_OK).
        drop(old);
    }

    /// Controller mode: follows the master `resolve` names (handshake, truncation, transfer).
    pub fn follow(&self, resolve: MasterResolver) {
        self.stop_following();
        let Some(epochs) = self.epochs.clone() else {
            return;
        };
        let (env, store, config) = (self.env.clone(), self.store.clone(), self.ha_config.clone());
        let slave = Slave::new_auto_switch(env, store, config, resolve, epochs);
        let task = slave.start();
        *self.slave.lock() = Some((slave, task));
    }

    pub fn stop_following(&self) {
        if let Some((_, task)) = self.slave.lock().take() {
            task.abort();
        }
    }

    fn stop_serving(&self) {
        if let Some(task) = self.serving.lock().take() {
            task.abort();
        }
    }

    /// Whether this replica's log is known to be a prefix of its master's (a slave after its
    /// handshake; classic slaves always).
    pub fn slave_in_step(&self) -> bool {
        self.slave
            .lock()
            .as_ref()
            .is_none_or(|(slave, _)| slave.in_step())
    }

    /// The last epoch of this broker's history (0 outside controller mode).
    pub fn last_epoch(&self) -> i32 {
        self.epochs.as_ref().map_or(0, |e| e.last_epoch().max(0))
    }

    pub fn set_sync_state_set(&self, set: BTreeSet<BrokerId>, epoch: i32) {
        self.master()
            .set_sync_state_set(set, epoch, self.config.broker_id);
    }

    /// The offset every member of the sync-state set has.
    pub fn confirm_offset(&self) -> u64 {
        self.master().confirm_offset()
    }
}

/// The HA settings the broker's keys imply: AutoSwitch with the controller-mode knobs in
/// controller mode.
fn ha_config(config: &BrokerConfig) -> HaConfig {
    let mut ha = config.ha.clone();
    let c = &config.controller;
    if c.enabled {
        ha.protocol = HaProtocol::AutoSwitch;
        ha.broker_id = config.broker_id;
        ha.all_ack_in_sync_state_set = c.all_ack_in_sync_state_set;
        ha.check_sync_state_set_period = c.check_sync_state_set_period;
        ha.max_time_slave_not_catchup = c.max_time_slave_not_catchup;
    }
    ha
}

fn new_master<E: Env>(
    env: &E,
    store: &MessageStore<E>,
    config: &HaConfig,
    epochs: Option<&Arc<Epochs<E>>>,
) -> Arc<Master<E>> {
    let (env, store) = (env.clone(), store.clone());
    match epochs {
        None => Master::new(env, store, config.clone()),
        Some(epochs) => {
            // Any other replica id of the group may follow; ids are the controller's (> 0).
            let me = config.broker_id;
            let allowed = Arc::new(move |id: i64| id > 0 && id != me);
            Master::new_auto_switch(env, store, config.clone(), epochs.clone(), allowed)
        }
    }
}
