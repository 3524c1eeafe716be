//! The async driver of the broker's side: one remoting client to the controller, a heartbeat
//! loop and a registration/poll loop, each on a fixed schedule from the env's clock.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use super::tracker::{Observation, Role, RoleEvent, RoleTracker};
use super::wire::{self, BrokerIdentity};
use super::ClientError;
use crate::controller::group::BrokerId;
use crate::controller::liveness::BrokerStats;
use crate::env::{Env, Task};
use crate::protocol::body::controller::SyncStateSetBody;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::{Client, Dispatcher, Processor, RemotingConfig, RequestContext};

/// How the broker reaches and talks to the controller.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// The controller (`controllerAddr`; a single node in this version).
    pub controller_addr: SocketAddr,
    pub identity: BrokerIdentity,
    /// A broker id fixed by configuration, or `None` to take GET_NEXT_BROKER_ID's.
    pub broker_id: Option<BrokerId>,
    /// Sent with APPLY_BROKER_ID; the same code may apply for the same id again after a
    /// restart. Its part before `;` is the address the controller records.
    pub register_check_code: String,
    /// `brokerHeartbeatInterval`, 1 s.
    pub heartbeat_interval: Duration,
    /// `controllerHeartBeatTimeoutMills`, 10 s: sent with each heartbeat.
    pub heartbeat_timeout: Duration,
    /// `syncBrokerMetadataPeriod`, 5 s.
    pub replica_info_interval: Duration,
    /// Wait after a failed registration before trying again.
    pub register_retry: Duration,
    /// Per call.
    pub rpc_timeout: Duration,
    pub remoting: RemotingConfig,
}

impl ClientConfig {
    /// RocketMQ's defaults for `identity` talking to `controller_addr`.
    pub fn new(controller_addr: SocketAddr, identity: BrokerIdentity) -> Self {
        ClientConfig {
            controller_addr,
            register_check_code: identity.broker_addr.clone(),
            identity,
            broker_id: None,
            heartbeat_interval: Duration::from_secs(1),
            heartbeat_timeout: Duration::from_secs(10),
            replica_info_interval: Duration::from_secs(5),
            register_retry: Duration::from_secs(1),
            rpc_timeout: Duration::from_secs(3),
            remoting: RemotingConfig::default(),
        }
    }
}

type EventSink = Arc<dyn Fn(RoleEvent) + Send + Sync>;

struct Inner<E: Env> {
    env: E,
    config: ClientConfig,
    remoting: Client<E>,
    /// Set once registered; the tracker lives with the id.
    tracker: Mutex<Option<RoleTracker>>,
    id: Mutex<Option<BrokerId>>,
    stats: Mutex<BrokerStats>,
    /// When the last heartbeat the controller answered was sent.
    heartbeat_acked: Mutex<Option<crate::env::Instant>>,
    on_event: EventSink,
    tasks: Mutex<Vec<E::Task>>,
}

/// A broker's connection to the controller. Cheap to clone.
pub struct ControllerClient<E: Env> {
    inner: Arc<Inner<E>>,
}

impl<E: Env> Clone for ControllerClient<E> {
    fn clone(&self) -> Self {
        ControllerClient {
            inner: self.inner.clone(),
        }
    }
}

impl<E: Env> ControllerClient<E> {
    /// A client that reports role events to `on_event` (which must not block).
    pub fn new(
        env: E,
        config: ClientConfig,
        on_event: impl Fn(RoleEvent) + Send + Sync + 'static,
    ) -> Self {
        let inner = Arc::new_cyclic(|weak: &Weak<Inner<E>>| {
            let dispatcher = Dispatcher::new().register(
                RequestCode::NOTIFY_BROKER_ROLE_CHANGED,
                push_processor(weak.clone()),
            );
            Inner {
                remoting: Client::new(env.clone(), dispatcher, config.remoting.clone()),
                env,
                config,
                tracker: Mutex::new(None),
                id: Mutex::new(None),
                stats: Mutex::new(BrokerStats::default()),
                heartbeat_acked: Mutex::new(None),
                on_event: Arc::new(on_event),
                tasks: Mutex::new(Vec::new()),
            }
        });
        ControllerClient { inner }
    }

    /// The processor for NOTIFY_BROKER_ROLE_CHANGED, for a broker to serve on its own port.
    pub fn role_change_processor(&self) -> impl Processor {
        push_processor(Arc::downgrade(&self.inner))
    }

    /// This broker's id, once registered.
    pub fn broker_id(&self) -> Option<BrokerId> {
        *self.inner.id.lock()
    }

    /// The role and master epoch as last learned.
    pub fn role(&self) -> Option<(Role, i32)> {
        let tracker = self.inner.tracker.lock();
        tracker.as_ref().map(|t| (t.role(), t.master_epoch()))
    }

    /// The sync-state set and its epoch as last learned (empty before registration).
    pub fn sync_state_set(&self) -> (BTreeSet<BrokerId>, i32) {
        let tracker = self.inner.tracker.lock();
        tracker.as_ref().map_or((BTreeSet::new(), 0), |t| {
            let (set, epoch) = t.sync_state_set();
            (set.clone(), epoch)
        })
    }

    /// What the next heartbeats report (the broker updates it as its log grows).
    pub fn set_stats(&self, stats: BrokerStats) {
        *self.inner.stats.lock() = stats;
    }

    /// Starts the heartbeat loop and the register-then-poll loop.
    pub fn start(&self) {
        let env = &self.inner.env;
        let beat = env.spawn("controller-heartbeat", heartbeat_loop(self.clone()));
        let poll = env.spawn("controller-sync", sync_loop(self.clone()));
        self.inner.tasks.lock().extend([beat, poll]);
    }

    /// Stops the loops and closes the connection.
    pub fn shutdown(&self) {
        for task in self.inner.tasks.lock().drain(..) {
            task.abort();
        }
        self.inner.remoting.close_all();
    }

    /// Applies for an id, registers, heartbeats once, and learns the role (electing itself
    /// when the group has no live master).
    pub async fn register(&self) -> Result<BrokerId, ClientError> {
        let config = &self.inner.config;
        let me = &config.identity;
        let id = match config.broker_id {
            Some(id) => id,
            None => wire::parse_next_broker_id(&self.call(wire::next_broker_id(me)).await?)?,
        };
        let apply = wire::apply_broker_id(me, id, &config.register_check_code);
        wire::success(&self.call(apply).await?)?;
        let now_ms = self.inner.env.now_millis();
        let seen = wire::parse_register(&self.call(wire::register(me, id, now_ms)).await?)?;
        {
            *self.inner.id.lock() = Some(id);
            let mut tracker = self.inner.tracker.lock();
            if tracker.is_none() {
                *tracker = Some(RoleTracker::new(id));
            }
        }
        self.heartbeat().await?;
        match seen {
            Some(seen) => self.observe(&seen).await,
            // No live master: ask for an election. A refusal (this broker is not in the
            // sync-state set) leaves it registered; the next poll sees the group without
            // master and asks again.
            None => {
                if let Err(error) = self.elect(false).await {
                    tracing::info!(target: "rocketsim::controller", %error, "election after registration refused");
                }
            }
        }
        Ok(id)
    }

    /// One heartbeat.
    pub async fn heartbeat(&self) -> Result<(), ClientError> {
        let id = self.broker_id().ok_or(ClientError::NotRegistered)?;
        let stats = *self.inner.stats.lock();
        let config = &self.inner.config;
        let timeout_ms = config.heartbeat_timeout.as_millis() as i64;
        let request = wire::heartbeat(&config.identity, id, stats, timeout_ms);
        let sent = self.inner.env.now();
        wire::success(&self.call(request).await?)?;
        let mut acked = self.inner.heartbeat_acked.lock();
        *acked = Some(acked.map_or(sent, |a| a.max(sent)));
        Ok(())
    }

    /// When the last heartbeat the controller acknowledged was sent: the controller counts
    /// its timeout from no earlier than that (a master's lease).
    pub fn last_heartbeat_acked(&self) -> Option<crate::env::Instant> {
        *self.inner.heartbeat_acked.lock()
    }

    /// Asks for an election with this broker as the requester (`designate`: this broker or
    /// nobody — the admin switch). CONTROLLER_MASTER_STILL_EXIST is a success: it names the
    /// master.
    pub async fn elect(&self, designate: bool) -> Result<(), ClientError> {
        let id = self.broker_id().ok_or(ClientError::NotRegistered)?;
        let now_ms = self.inner.env.now_millis();
        let request = wire::elect(&self.inner.config.identity, id, designate, now_ms);
        let seen = wire::parse_elect(&self.call(request).await?)?;
        self.observe_only(&seen);
        Ok(())
    }

    /// GET_REPLICA_INFO, and whatever it tells.
    pub async fn sync_replica_info(&self) -> Result<(), ClientError> {
        let request = wire::replica_info(&self.inner.config.identity);
        let seen = wire::parse_replica_info(&self.call(request).await?)?;
        self.observe(&seen).await;
        Ok(())
    }

    /// Reports a new sync-state set (the master only), at the epochs this broker last saw.
    pub async fn alter_sync_state_set(
        &self,
        new_set: &BTreeSet<BrokerId>,
    ) -> Result<SyncStateSetBody, ClientError> {
        let id = self.broker_id().ok_or(ClientError::NotRegistered)?;
        let epochs = self
            .inner
            .tracker
            .lock()
            .as_ref()
            .and_then(RoleTracker::alter_epochs);
        let (master_epoch, seen_epoch) = epochs.ok_or(ClientError::NotMaster)?;
        self.alter_at(id, master_epoch, new_set, seen_epoch).await
    }

    /// ALTER_SYNC_STATE_SET with explicit epochs (what a stale master would send; tests).
    pub async fn alter_at(
        &self,
        master_id: BrokerId,
        master_epoch: i32,
        new_set: &BTreeSet<BrokerId>,
        seen_epoch: i32,
    ) -> Result<SyncStateSetBody, ClientError> {
        let now_ms = self.inner.env.now_millis();
        let me = &self.inner.config.identity;
        let request = wire::alter(me, master_id, master_epoch, new_set, seen_epoch, now_ms);
        let body = wire::parse_alter(&self.call(request).await?)?;
        self.observe_only(&Observation {
            master: Some((master_id, me.broker_addr.clone())),
            master_epoch,
            sync_state_set: Some((body.sync_state_set.clone(), body.sync_state_set_epoch)),
        });
        Ok(body)
    }

    async fn call(&self, request: RemotingCommand) -> Result<RemotingCommand, ClientError> {
        let inner = &self.inner;
        let addr = inner.config.controller_addr;
        Ok(inner
            .remoting
            .invoke(addr, request, inner.config.rpc_timeout)
            .await?)
    }

    /// Observes, then asks for the election the tracker wants (once).
    async fn observe(&self, seen: &Observation) {
        if self.observe_only(seen) {
            if let Err(error) = self.elect(false).await {
                tracing::debug!(target: "rocketsim::controller", %error, "election request refused");
            }
        }
    }

    /// Feeds the tracker and hands its event on, under the lock. Returns whether an election
    /// should be requested.
    fn observe_only(&self, seen: &Observation) -> bool {
        let mut tracker = self.inner.tracker.lock();
        let Some(tracker) = tracker.as_mut() else {
            return false;
        };
        let reaction = tracker.observe(seen);
        if let Some(event) = reaction.event {
            tracing::info!(target: "rocketsim::controller", ?event, "role event");
            (self.inner.on_event)(event);
        }
        reaction.request_election
    }
}

fn push_processor<E: Env>(inner: Weak<Inner<E>>) -> impl Processor {
    move |_ctx: RequestContext, request: RemotingCommand| {
        let inner = inner.upgrade();
        async move {
            let code = match (inner, wire::parse_role_change(&request)) {
                (Some(inner), Ok(seen)) => {
                    ControllerClient { inner }.observe(&seen).await;
                    ResponseCode::SUCCESS
                }
                (None, _) => ResponseCode::SYSTEM_ERROR,
                (_, Err(error)) => {
                    tracing::warn!(target: "rocketsim::controller", %error, "bad role change push");
                    ResponseCode::SYSTEM_ERROR
                }
            };
            RemotingCommand::response_to(&request, code, None)
        }
    }
}

async fn heartbeat_loop<E: Env>(client: ControllerClient<E>) {
    let env = client.inner.env.clone();
    let interval = client.inner.config.heartbeat_interval;
    let mut next = env.now();
    loop {
        env.sleep(next - env.now()).await;
        if client.broker_id().is_some() {
            if let Err(error) = client.heartbeat().await {
                tracing::debug!(target: "rocketsim::controller", %error, "heartbeat failed");
            }
        }
        // A slow call (the controller unreachable) skips beats instead of bursting to catch up.
        next = (next + interval).max(env.now());
    }
}

async fn sync_loop<E: Env>(client: ControllerClient<E>) {
    let env = client.inner.env.clone();
    let config = client.inner.config.clone();
    let mut registered = false;
    loop {
        let pause = match registered {
            false => match client.register().await {
                Ok(_) => {
                    registered = true;
                    config.replica_info_interval
                }
                Err(error) => {
                    tracing::info!(target: "rocketsim::controller", %error, "register to controller failed");
                    config.register_retry
                }
            },
            true => {
                if let Err(error) = client.sync_replica_info().await {
                    tracing::debug!(target: "rocketsim::controller", %error, "replica info failed");
                    // The controller lost the group (a fresh controller): register again.
                    registered =
                        error.code() != Some(ResponseCode::CONTROLLER_BROKER_METADATA_NOT_EXIST);
                }
                config.replica_info_interval
            }
        };
        env.sleep(pause).await;
    }
}
