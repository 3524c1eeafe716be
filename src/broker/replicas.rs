//! Controller mode (§5.8, RocketMQ 5's `ReplicasManager`): the controller decides which
//! replica of the group is master; this broker follows.
//!
//! The broker-side [`ControllerClient`] registers, heartbeats (with this broker's epoch, log
//! end and confirm offset, refreshed every heartbeat) and turns the controller's answers into
//! ordered [`RoleEvent`]s; one task applies them here, one at a time:
//!
//! * **BecomeMaster** — stop replicating, cut a partially received record (the log must end on
//!   a record boundary before it takes writes), append `<epoch, log end>` to the epoch file,
//!   adopt the sync-state set, take writes, and register with the name servers as broker id 0
//!   (so routes move to it at the clients' next refresh).
//! * **BecomeSlave** — stop taking writes, register under this broker's own id, replicate from
//!   the new master (the HA link handshakes, truncates a divergent tail and catches up), and
//!   copy its metadata every 10 s.
//! * **MasterLost** — the group has no master (this one may be fenced): stop taking writes.
//! * **SyncStateSetChanged** — the master adopts the set the controller accepted.
//!
//! A master also reviews its sync-state set every `checkSyncStateSetPeriod`, and at once when
//! an ack showed a slave caught up: a slave not caught up for `haMaxTimeSlaveNotCatchup`
//! leaves, one that caught up joins. A change is proposed to
//! the controller and adopted only once the controller accepted it at the current epochs, so a
//! fenced master can never shrink its set to itself and go on acknowledging alone (#6662).
//!
//! Ids: a controller-mode broker needs a fixed `brokerId` > 0 (its controller id; the
//! controller's GET_NEXT_BROKER_ID is not used, so a restart keeps the id without a
//! `brokerIdentity` file).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::registration::{Registrar, UNREGISTERED};
use super::slave_sync;
use super::state::State;
use crate::controller::client::{BrokerIdentity, ClientConfig, ControllerClient, RoleEvent};
use crate::controller::{BrokerId, BrokerStats};
use crate::env::{Env, Task};
use crate::ha::MasterResolver;

/// The part a broker plays in its group now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplicaRole {
    /// Takes writes.
    Master,
    /// Copies a master; takes no writes.
    Slave,
    /// Controller mode before the controller answered, or while the group has no master.
    Pending,
}

/// What the broker knows of its place in the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplicaView {
    pub role: ReplicaRole,
    /// The master epoch this role belongs to (0 outside controller mode).
    pub master_epoch: i32,
    /// The master's remoting address, while a slave in controller mode.
    pub master_addr: Option<SocketAddr>,
}

impl ReplicaView {
    pub fn fixed(role: ReplicaRole) -> Self {
        ReplicaView {
            role,
            master_epoch: 0,
            master_addr: None,
        }
    }
}

/// The controller-mode machinery of one broker.
pub(crate) struct Replicas<E: Env> {
    state: Arc<State<E>>,
    registrar: Arc<Registrar<E>>,
    client: ControllerClient<E>,
    /// The metadata sync, while a slave.
    following: Mutex<Vec<E::Task>>,
    /// The master epoch this broker stepped down from for lack of controller heartbeats.
    lease_lost_in: Mutex<Option<i32>>,
}

impl<E: Env> Replicas<E> {
    /// Starts the controller client and the loops; returns the tasks to abort at shutdown
    /// and the client (to shut down too).
    pub fn start(
        state: &Arc<State<E>>,
        registrar: &Arc<Registrar<E>>,
    ) -> (Arc<Self>, Vec<E::Task>) {
        let (events, mut received) = mpsc::unbounded_channel();
        let client = ControllerClient::new(state.env.clone(), client_config(state), move |e| {
            // The callback runs under the client's lock: hand over, never block.
            let _ = events.send(e);
        });
        registrar.set_broker_id(UNREGISTERED);
        let replicas = Arc::new(Replicas {
            state: state.clone(),
            registrar: registrar.clone(),
            client,
            following: Mutex::new(Vec::new()),
            lease_lost_in: Mutex::new(None),
        });
        replicas.report_stats();
        replicas.client.start();
        let env = &state.env;
        let r = replicas.clone();
        let apply = env.spawn("broker-role-changes", async move {
            while let Some(event) = received.recv().await {
                r.apply(event).await;
            }
        });
        let r = replicas.clone();
        let stats = env.spawn("broker-controller-stats", async move {
            loop {
                r.report_stats();
                r.check_lease().await;
                r.state
                    .env
                    .sleep(r.state.config.controller.heartbeat_interval)
                    .await;
            }
        });
        let r = replicas.clone();
        let review = env.spawn("broker-sync-state-review", async move {
            loop {
                let period = r.state.config.controller.check_sync_state_set_period;
                let master = r.state.replication.master();
                let wanted = async move { master.review_wanted().await };
                let _ = r.state.env.timeout(period, wanted).await;
                r.review_sync_state_set().await;
            }
        });
        (replicas, vec![apply, stats, review])
    }

    /// Stops the controller client and whatever follows a master.
    pub fn shutdown(&self) {
        self.stop_following();
        self.client.shutdown();
    }

    /// A master's lease: the controller elects another master once it has had no heartbeat
    /// for `controllerHeartBeatTimeoutMills`, so a master whose heartbeats have gone
    /// unanswered that long may already be replaced. It steps down (no writes, no reads, off
    /// the name servers) instead of serving beside the new master (a master cut off from the
    /// controller but not from clients, rocketmq#6662/#7017). With heartbeats answered again
    /// and the controller still naming it master at the same epoch, it takes the role back.
    async fn check_lease(&self) {
        let view = self.state.role();
        let timeout = self.state.config.controller.heartbeat_timeout;
        let now = self.state.env.now();
        let fresh = (self.client.last_heartbeat_acked()).is_some_and(|at| now - at < timeout);
        match view.role {
            ReplicaRole::Master if !fresh => {
                tracing::warn!(target: "rocketsim::broker", epoch = view.master_epoch,
                    ?timeout, "no heartbeat answered by the controller: stepping down");
                *self.lease_lost_in.lock() = Some(view.master_epoch);
                // The role first: no send starts on this term's master side after this.
                self.state.set_role(ReplicaView {
                    role: ReplicaRole::Pending,
                    ..view
                });
                self.state.replication.step_down();
                self.registrar.unregister_all().await;
                self.registrar.set_broker_id(UNREGISTERED);
            }
            ReplicaRole::Pending if fresh && self.lease_lost_in.lock().is_some() => {
                // Ask afresh: the controller may have elected another master meanwhile (its
                // pushes and polls can lag the heartbeats by seconds).
                if let Err(error) = self.client.sync_replica_info().await {
                    tracing::info!(target: "rocketsim::broker", %error, "replica info not refreshed");
                    return;
                }
                let lost_in = *self.lease_lost_in.lock();
                let still_master = self.client.role().filter(|(role, epoch)| {
                    *role == crate::controller::client::Role::Master && Some(*epoch) == lost_in
                });
                if let Some((_, epoch)) = still_master {
                    *self.lease_lost_in.lock() = None;
                    let (set, set_epoch) = self.client.sync_state_set();
                    tracing::info!(target: "rocketsim::broker", epoch,
                        "heartbeats answered again and still master: taking the role back");
                    self.become_master(epoch, set, set_epoch).await;
                }
            }
            _ => {}
        }
    }

    async fn apply(&self, event: RoleEvent) {
        tracing::info!(target: "rocketsim::broker", ?event, "role change from the controller");
        match event {
            RoleEvent::BecomeMaster {
                master_epoch,
                sync_state_set,
                sync_state_set_epoch,
            } => {
                self.become_master(master_epoch, sync_state_set, sync_state_set_epoch)
                    .await
            }
            RoleEvent::BecomeSlave {
                master_id,
                master_addr,
                master_epoch,
            } => {
                self.become_slave(master_id, &master_addr, master_epoch)
                    .await
            }
            RoleEvent::SyncStateSetChanged {
                sync_state_set,
                sync_state_set_epoch,
            } => self.adopt_sync_state_set(sync_state_set, sync_state_set_epoch),
            RoleEvent::MasterLost { master_epoch } => {
                self.state.set_role(ReplicaView {
                    role: ReplicaRole::Pending,
                    master_epoch,
                    master_addr: None,
                });
                self.stop_following();
                self.state.replication.step_down();
            }
        }
        self.report_stats();
    }

    async fn become_master(&self, epoch: i32, set: BTreeSet<BrokerId>, set_epoch: i32) {
        *self.lease_lost_in.lock() = None;
        self.stop_following();
        let state = &self.state;
        if let Err(error) = state.replication.become_master(epoch, set, set_epoch).await {
            // Without its epoch entry (or its HA port) the group's history would be wrong:
            // take no writes. Nothing elects again: the controller judges masters by their
            // heartbeats alone, and this broker goes on heartbeating, so the group has no
            // routed master until it restarts (an epoch history longer than the log did this
            // before `prepare_master` dropped the epochs past the end). Only errors the design
            // cannot avoid (the disk, the HA port) may end here.
            tracing::error!(target: "rocketsim::broker", epoch, %error, "cannot become master");
            state.set_role(ReplicaView {
                role: ReplicaRole::Pending,
                master_epoch: epoch,
                master_addr: None,
            });
            return;
        }
        state.set_role(ReplicaView {
            role: ReplicaRole::Master,
            master_epoch: epoch,
            master_addr: None,
        });
        crate::probe!("became_master");
        tracing::info!(target: "rocketsim::broker", epoch, end = state.store.max_physical_offset(),
            "now master of the group");
        self.registrar.set_broker_id(0);
        self.registrar.register_all(true).await;
    }

    async fn become_slave(&self, master_id: BrokerId, master_addr: &str, epoch: i32) {
        *self.lease_lost_in.lock() = None;
        self.stop_following();
        let state = &self.state;
        let Ok(master) = master_addr.parse::<SocketAddr>() else {
            tracing::warn!(target: "rocketsim::broker", master_addr, "master address unusable");
            state.set_role(ReplicaView {
                role: ReplicaRole::Pending,
                master_epoch: epoch,
                master_addr: None,
            });
            state.replication.step_down();
            return;
        };
        state.set_role(ReplicaView {
            role: ReplicaRole::Slave,
            master_epoch: epoch,
            master_addr: Some(master),
        });
        state.replication.step_down();
        tracing::info!(target: "rocketsim::broker", master_id, %master, epoch, "now a slave");
        self.registrar.set_broker_id(state.config.broker_id);
        let registrar = self.registrar.clone();
        // The master's HA address: what the name servers publish for it, else listenPort + 1.
        let resolve: MasterResolver = Arc::new(move || {
            let published = registrar
                .master()
                .filter(|m| m.master_addr == master.to_string())
                .and_then(|m| m.ha_server_addr?.parse().ok());
            Some(published.unwrap_or(SocketAddr::new(master.ip(), master.port() + 1)))
        });
        state.replication.follow(resolve);
        let sync = slave_sync::run(state.clone(), self.registrar.clone());
        *self.following.lock() = vec![state.env.spawn("broker-slave-sync", sync)];
        self.registrar.register_all(true).await;
    }

    fn adopt_sync_state_set(&self, set: BTreeSet<BrokerId>, set_epoch: i32) {
        if self.state.role().role == ReplicaRole::Master {
            self.state.replication.set_sync_state_set(set, set_epoch);
        }
    }

    /// The master's review (periodic, and at once when a slave caught up): propose a changed
    /// set, adopt it once accepted. While the change is in flight the term's master side
    /// counts the old and the new members (see `Master::begin_sync_state_change`); a shrink
    /// takes effect only once accepted.
    async fn review_sync_state_set(&self) {
        if self.state.role().role != ReplicaRole::Master {
            return;
        }
        let master = self.state.replication.master();
        let Some((proposal, current)) = master.begin_sync_state_change(self.state.env.now()) else {
            return;
        };
        let answer = self.client.alter_sync_state_set(&proposal).await;
        let still_this_term = self.state.role().role == ReplicaRole::Master
            && Arc::ptr_eq(&master, &self.state.replication.master());
        let my_id = self.state.config.broker_id;
        match answer {
            Ok(body) if still_this_term => {
                master.set_sync_state_set(body.sync_state_set, body.sync_state_set_epoch, my_id)
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(target: "rocketsim::broker", ?proposal, %error,
                    "sync-state set change refused or not delivered");
                if still_this_term {
                    let epoch = master.sync_state_set().1;
                    master.set_sync_state_set(current, epoch, my_id);
                }
            }
        }
    }

    fn report_stats(&self) {
        let state = &self.state;
        self.client.set_stats(BrokerStats {
            epoch: state.replication.last_epoch(),
            max_offset: state.store.max_physical_offset() as i64,
            confirm_offset: state.replication.confirm_offset() as i64,
            election_priority: state.config.controller.election_priority,
        });
    }

    fn stop_following(&self) {
        self.state.replication.stop_following();
        for task in self.following.lock().drain(..) {
            task.abort();
        }
    }
}

fn client_config<E: Env>(state: &State<E>) -> ClientConfig {
    let c = &state.config;
    let identity = BrokerIdentity {
        cluster_name: c.broker_cluster_name.clone(),
        broker_name: c.broker_name.clone(),
        broker_addr: c.broker_addr().to_string(),
    };
    let controller = c.controller.controller_addrs[0];
    let mut config = ClientConfig::new(controller, identity);
    config.broker_id = Some(c.broker_id);
    config.heartbeat_interval = c.controller.heartbeat_interval;
    config.heartbeat_timeout = c.controller.heartbeat_timeout;
    config.replica_info_interval = c.controller.replica_info_interval;
    config.remoting = c.remoting.clone();
    config
}
