//! The driver: opens the store (recovering it), loads the metadata files, serves the request
//! handlers, and runs the registrar and the background loops; [`Broker::shutdown`] undoes it
//! in order (stop serving, unregister, save metadata, release held pulls, flush and close the
//! store, which removes the abort file).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI32, AtomicU64};
use std::sync::{Arc, OnceLock, Weak};

use parking_lot::Mutex;
use tokio::sync::Notify;

use super::client_registry::{ClientRegistry, RegistryLimits};
use super::config::BrokerConfig;
use super::consumer_offsets::ConsumerOffsetTable;
use super::lock_table::LockTable;
use super::long_poll::PullHolds;
use super::registration::{BrokerIdentity, Registrar};
use super::replicas::{ReplicaRole, ReplicaView, Replicas};
use super::replication::Replication;
use super::send_queue::SendQueue;
use super::state::State;
use super::topic_name::TBW102;
use super::{
    admin, clients, housekeeping, offset, pull, query, send, slave_sync, stats, TopicConfigTable,
};
use crate::env::{Env, Listener, Task};
use crate::ha::{Master, MasterResolver, Slave};
use crate::protocol::body::{perm, TopicConfig, TopicFilterType};
use crate::protocol::RequestCode;
use crate::remoting::{Client, Dispatcher, Server};
use crate::store::metadata::Metadata;
use crate::store::{MessageStore, StoreError};

/// Why a broker could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    #[error("cannot start the server: {0}")]
    Listen(io::Error),
    #[error("cannot listen on the HA port {port}: {source}")]
    HaListen { port: u16, source: io::Error },
    #[error("a SLAVE needs a brokerId greater than 0 (it has {broker_id})")]
    SlaveWithoutId { broker_id: i64 },
    #[error("controller mode needs a fixed brokerId greater than 0 (it has {broker_id})")]
    ControllerModeWithoutId { broker_id: i64 },
    #[error("controller mode needs controllerAddr")]
    ControllerModeWithoutAddr,
}

/// A running broker.
pub struct Broker<E: Env> {
    state: Arc<State<E>>,
    server: Arc<Server>,
    registrar: Arc<Registrar<E>>,
    replicas: Option<Arc<Replicas<E>>>,
    tasks: Vec<E::Task>,
}

impl<E: Env> Broker<E> {
    pub async fn start(
        env: E,
        listener: E::Listener,
        config: BrokerConfig,
    ) -> Result<Self, StartError> {
        check_ids(&config)?;
        let store = MessageStore::open(env.clone(), config.store_config()).await?;
        let (ha_listener, ha_addr) = bind_ha(&env, &config).await?;
        let ha = Master::new(env.clone(), store.clone(), config.ha.clone());
        let state = Arc::new(build_state(env.clone(), config, store, ha, ha_addr)?);
        let weak: Weak<State<E>> = Arc::downgrade(&state);
        state
            .store
            .set_arrival_listener(move |topic, queue_id, max| {
                if let Some(state) = weak.upgrade() {
                    state.message_arrived(topic, queue_id, max);
                }
            });
        let remoting = state.config.remoting.clone();
        let server = Server::start(&env, listener, dispatcher(&state), remoting)
            .map_err(StartError::Listen)?;
        let server = Arc::new(server);
        let _ = state.server.set(server.clone());
        let registrar = Arc::new(registrar(&state));
        let mut tasks = spawn_replication(&state, &registrar, ha_listener);
        let replicas = match state.config.controller.enabled {
            true => {
                let (replicas, more) = Replicas::start(&state, &registrar);
                tasks.extend(more);
                Some(replicas)
            }
            false => None,
        };
        tasks.extend(spawn_tasks(&state, &registrar));
        tracing::info!(target: "rocketsim::broker", addr = %server.local_addr(), "broker started");
        Ok(Broker {
            state,
            server,
            registrar,
            replicas,
            tasks,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    pub fn store(&self) -> &MessageStore<E> {
        &self.state.store
    }

    /// The HA address published as `haServerAddr` (where slaves connect).
    pub fn ha_addr(&self) -> SocketAddr {
        self.state.ha_addr
    }

    /// Slave links connected to this broker's HA port now.
    pub fn slave_links(&self) -> usize {
        self.state.replication.ha.slave_count()
    }

    /// The part this broker plays in its group now.
    pub fn role(&self) -> ReplicaView {
        self.state.role()
    }

    pub fn topics(&self) -> &TopicConfigTable {
        &self.state.topics
    }

    /// Sets `brokerPermission` (e.g. wipe write permission before maintenance).
    pub fn set_permission(&self, perm: i32) {
        self.state
            .perm
            .store(perm, std::sync::atomic::Ordering::Release);
    }

    /// Stops serving, unregisters, saves metadata, closes the store cleanly.
    pub async fn shutdown(self) -> Result<(), StoreError> {
        for task in &self.tasks {
            task.abort();
        }
        if let Some(replicas) = &self.replicas {
            replicas.shutdown();
        }
        self.server.shutdown();
        self.registrar.unregister_all().await;
        let state = &self.state;
        // The store saves what changed at its shutdown.
        housekeeping::stage_offsets(state);
        housekeeping::stage_topics(state);
        housekeeping::stage_groups(state);
        // Dropping the parked senders answers every held pull.
        let now = state.env.now() + std::time::Duration::from_secs(3600);
        drop(state.holds.lock().on_tick(now, |_, _| 0));
        state.store.clone().shutdown().await
    }
}

/// Runs a broker on `listener` until `shutdown` completes.
pub async fn run<E: Env>(
    env: E,
    listener: E::Listener,
    config: BrokerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), StartError> {
    let broker = Broker::start(env, listener, config).await?;
    shutdown.await;
    broker.shutdown().await?;
    Ok(())
}

fn check_ids(config: &BrokerConfig) -> Result<(), StartError> {
    let broker_id = config.broker_id;
    if config.controller.enabled {
        if broker_id <= 0 {
            return Err(StartError::ControllerModeWithoutId { broker_id });
        }
        if config.controller.controller_addrs.is_empty() {
            return Err(StartError::ControllerModeWithoutAddr);
        }
    } else if config.is_slave() && broker_id <= 0 {
        return Err(StartError::SlaveWithoutId { broker_id });
    }
    Ok(())
}

/// Binds the HA port (every broker listens, as in Java). When the port is derived
/// (listenPort + 1, no `haListenPort`) and taken, a free port is used instead, with a warning:
/// slaves learn the published `haServerAddr` from the name servers either way. (Java fails to
/// start; brokers on OS-chosen listen ports — tests — would otherwise collide at random.)
async fn bind_ha<E: Env>(
    env: &E,
    config: &BrokerConfig,
) -> Result<(E::Listener, SocketAddr), StartError> {
    let port = config.ha_listen_port();
    let listen = |source| StartError::HaListen { port, source };
    let listener = match env.bind(SocketAddr::new(config.broker_ip1, port)).await {
        Ok(listener) => listener,
        Err(error) if config.ha.listen_port.is_none() => {
            tracing::warn!(target: "rocketsim::broker", port, %error,
                "HA port listenPort + 1 unavailable; listening on a free port instead");
            let any = SocketAddr::new(config.broker_ip1, 0);
            env.bind(any).await.map_err(listen)?
        }
        Err(error) => return Err(listen(error)),
    };
    let addr = Listener::local_addr(&listener).map_err(listen)?;
    Ok((listener, SocketAddr::new(config.broker_ip1, addr.port())))
}

/// The HA listener, and on a slave the link to its master (whose HA address comes from
/// `haMasterAddress` or the name servers' answers) and the metadata sync.
fn spawn_replication<E: Env>(
    state: &Arc<State<E>>,
    registrar: &Arc<Registrar<E>>,
    listener: E::Listener,
) -> Vec<E::Task> {
    let mut tasks = vec![state.replication.ha.serve(listener)];
    if state.config.is_slave() && !state.config.controller.enabled {
        let r = registrar.clone();
        let resolve: MasterResolver = Arc::new(move || {
            let master = r.master()?;
            master.ha_server_addr?.parse().ok()
        });
        let (env, store) = (state.env.clone(), state.store.clone());
        let slave = Slave::new(env, store, state.config.ha.clone(), resolve);
        tasks.push(slave.start());
        let sync = slave_sync::run(state.clone(), registrar.clone());
        tasks.push(state.env.spawn("broker-slave-sync", sync));
    }
    tasks
}

fn build_state<E: Env>(
    env: E,
    config: BrokerConfig,
    store: MessageStore<E>,
    ha: Arc<Master<E>>,
    ha_addr: SocketAddr,
) -> Result<State<E>, StoreError> {
    // The store loaded the metadata files when it opened.
    let Metadata {
        topics: stored,
        consumer_offsets: offsets,
        subscription_groups: groups,
        ..
    } = store.metadata();
    let now_ms = env.now_millis();
    let topics = Arc::new(TopicConfigTable::new(now_ms));
    for (name, t) in stored.topic_config_table {
        let filter = match t.topic_filter_type.as_str() {
            "MULTI_TAG" => TopicFilterType::MultiTag,
            _ => TopicFilterType::SingleTag,
        };
        let config = TopicConfig {
            order: t.order,
            perm: t.perm,
            read_queue_nums: t.read_queue_nums,
            topic_filter_type: filter,
            topic_name: name,
            topic_sys_flag: t.topic_sys_flag,
            write_queue_nums: t.write_queue_nums,
        };
        topics.put(config, now_ms);
    }
    if config.auto_create_topic_enable {
        let queues = config.default_topic_queue_nums;
        let all = perm::INHERIT | perm::READ | perm::WRITE;
        topics.put(
            TopicConfig::with_queues(TBW102, queues, queues, all),
            now_ms,
        );
    }
    let limits = RegistryLimits {
        channel_expiry: config.channel_expiry,
        ..RegistryLimits::default()
    };
    Ok(State {
        offsets: Mutex::new(ConsumerOffsetTable::from_file(
            offsets,
            config.consumer_offsets_max,
        )),
        groups: Mutex::new(groups),
        clients: Mutex::new(ClientRegistry::new(limits)),
        locks: Mutex::new(LockTable::new(config.lock_max_live, 1_000_000)),
        holds: Mutex::new(PullHolds::new(config.pull_holds_max)),
        perm: AtomicI32::new(config.broker_permission),
        send_queue: SendQueue::new(
            config.send_threads,
            config.send_queue_capacity,
            config.wait_time_in_send_queue,
        ),
        server: OnceLock::new(),
        topics_changed: Notify::new(),
        groups_changed: Notify::new(),
        put_total: AtomicU64::new(0),
        get_total: AtomicU64::new(0),
        put_rate: Mutex::default(),
        get_rate: Mutex::default(),
        started_ms: now_ms,
        replication: Replication::new(&config, store.clone(), ha),
        role: Mutex::new(ReplicaView::fixed(initial_role(&config))),
        ha_addr,
        env,
        config,
        store,
        topics,
    })
}

fn initial_role(config: &BrokerConfig) -> ReplicaRole {
    match (config.controller.enabled, config.is_slave()) {
        (true, _) => ReplicaRole::Pending,
        (false, true) => ReplicaRole::Slave,
        (false, false) => ReplicaRole::Master,
    }
}

fn registrar<E: Env>(state: &Arc<State<E>>) -> Registrar<E> {
    let c = &state.config;
    let identity = BrokerIdentity {
        cluster_name: c.broker_cluster_name.clone(),
        broker_name: c.broker_name.clone(),
        broker_id: c.broker_id,
        broker_addr: c.broker_addr().to_string(),
        ha_server_addr: state.ha_addr.to_string(),
    };
    let mut registration = c.registration.clone();
    if registration.namesrv_addrs.is_empty() {
        registration.namesrv_addrs = c.namesrv_addr.clone();
    }
    let client = Client::new(state.env.clone(), Dispatcher::new(), c.remoting.clone());
    Registrar::new(
        state.env.clone(),
        client,
        identity,
        registration,
        state.topics.clone(),
    )
}

fn spawn_tasks<E: Env>(state: &Arc<State<E>>, registrar: &Arc<Registrar<E>>) -> Vec<E::Task> {
    let env = &state.env;
    let r = registrar.clone();
    vec![
        env.spawn("broker-registrar", async move {
            r.run(futures::future::pending()).await
        }),
        env.spawn("broker-hold-check", housekeeping::hold_check(state.clone())),
        env.spawn("broker-rates", housekeeping::sample_rates(state.clone())),
        env.spawn(
            "broker-client-scan",
            housekeeping::client_scan(state.clone()),
        ),
        env.spawn(
            "broker-offset-persister",
            housekeeping::offset_persister(state.clone()),
        ),
        env.spawn(
            "broker-topic-sync",
            housekeeping::topic_sync(state.clone(), registrar.clone()),
        ),
        env.spawn("broker-group-sync", housekeeping::group_sync(state.clone())),
    ]
}

fn dispatcher<E: Env>(state: &Arc<State<E>>) -> Dispatcher {
    use RequestCode as C;
    let s = state;
    let mut d = Dispatcher::new();
    d = d.register_with(C::SEND_MESSAGE, s, send::send::<E>);
    d = d.register_with(C::SEND_MESSAGE_V2, s, send::send::<E>);
    d = d.register_with(C::SEND_BATCH_MESSAGE, s, send::send::<E>);
    d = d.register_with(C::PULL_MESSAGE, s, pull::pull::<E>);
    d = d.register_with(
        C::QUERY_CONSUMER_OFFSET,
        s,
        offset::query_consumer_offset::<E>,
    );
    d = d.register_with(
        C::UPDATE_CONSUMER_OFFSET,
        s,
        offset::update_consumer_offset::<E>,
    );
    d = d.register_with(
        C::GET_ALL_CONSUMER_OFFSET,
        s,
        offset::all_consumer_offsets::<E>,
    );
    d = d.register_with(C::GET_ALL_DELAY_OFFSET, s, offset::all_delay_offsets::<E>);
    d = d.register_with(C::GET_MAX_OFFSET, s, offset::max_offset::<E>);
    d = d.register_with(C::GET_MIN_OFFSET, s, offset::min_offset::<E>);
    d = d.register_with(
        C::GET_EARLIEST_MSG_STORETIME,
        s,
        offset::earliest_store_time::<E>,
    );
    d = d.register_with(C::SEARCH_OFFSET_BY_TIMESTAMP, s, offset::search_offset::<E>);
    d = d.register_with(C::VIEW_MESSAGE_BY_ID, s, query::view_message::<E>);
    d = d.register_with(C::QUERY_MESSAGE, s, query::query_message::<E>);
    d = d.register_with(C::HEART_BEAT, s, clients::heartbeat::<E>);
    d = d.register_with(C::UNREGISTER_CLIENT, s, clients::unregister_client::<E>);
    d = d.register_with(
        C::GET_CONSUMER_LIST_BY_GROUP,
        s,
        clients::consumer_list::<E>,
    );
    d = d.register_with(C::LOCK_BATCH_MQ, s, clients::lock_batch::<E>);
    d = d.register_with(C::UNLOCK_BATCH_MQ, s, clients::unlock_batch::<E>);
    d = d.register_with(C::UPDATE_AND_CREATE_TOPIC, s, admin::create_topic::<E>);
    d = d.register_with(C::GET_ALL_TOPIC_CONFIG, s, admin::all_topic_config::<E>);
    d = d.register_with(C::DELETE_TOPIC_IN_BROKER, s, admin::delete_topic::<E>);
    d = d.register_with(
        C::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP,
        s,
        admin::create_group::<E>,
    );
    d = d.register_with(
        C::GET_ALL_SUBSCRIPTIONGROUP_CONFIG,
        s,
        admin::all_groups::<E>,
    );
    d = d.register_with(C::GET_BROKER_RUNTIME_INFO, s, stats::runtime_info::<E>);
    d = d.register_with(C::GET_CONSUME_STATS, s, stats::consume_stats::<E>);
    d = d.register_with(C::GET_TOPIC_STATS_INFO, s, stats::topic_stats::<E>);
    let closed = Arc::downgrade(state);
    d.on_close(move |info| {
        let Some(state) = closed.upgrade() else {
            return;
        };
        let notify = state.clients.lock().on_connection_closed(info.id);
        state.notify_ids_changed(notify);
    })
}
