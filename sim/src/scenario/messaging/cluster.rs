//! The cluster the messaging scenarios run on: N name servers, M broker groups (each a single
//! master on its own node, with its own `SimDisk` and small store segments), one topic with Q
//! queues on every broker, and client nodes for producers.
//!
//! Addresses: name server `i` (1-based) at 10.0.0.`i`:9876, broker `i` at 10.0.0.`10+i`:10911
//! (named `broker-a`, `broker-b`, …), producer `i` at 10.0.0.`20+i`, the admin node at
//! 10.0.0.99 (consumer `i`, added by `consumers`, at 10.0.0.`40+i`).
//!
//! The topic is created with UPDATE_AND_CREATE_TOPIC on every broker (which makes the broker
//! register at once), and `build` returns once every name server routes it over every broker.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use rocketsim::broker::{Broker, BrokerConfig};
use rocketsim::env::{Listener, Net};
use rocketsim::namesrv::NamesrvConfig;
use rocketsim::protocol::header::CreateTopicHeader;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::Client;
use rocketsim::store::{FlushMode, StoreConfig};

use super::super::namesrv_support::{add_namesrv, ask_route, client_on, ip, Answer, NAMESRV_PORT};
use crate::{DiskFaults, NodeId, SimEnv, World};

/// The topic of every messaging scenario (the name-server scenarios' topic).
pub use super::super::namesrv_support::TOPIC;
/// Where brokers listen.
pub const BROKER_PORT: u16 = 10911;
/// Largest body a scenario sends; brokers accept up to this.
pub const BODY_BYTES_MAX: usize = 16 * 1024;

/// What to build.
#[derive(Clone, Debug)]
pub struct ClusterSpec {
    pub namesrvs: u8,
    pub brokers: u8,
    pub queues: i32,
    pub producers: u8,
    /// How every broker stores messages.
    pub store: StoreSpec,
}

/// The brokers' flush mode, disk latency and planted store defects.
#[derive(Clone, Debug)]
pub struct StoreSpec {
    pub flush: FlushMode,
    /// Each fsync sleeps a virtual duration drawn from this range (ms); `[0, 0]`: none.
    pub fsync_latency_ms: [u64; 2],
    /// Planted bug for canaries: SYNC_FLUSH puts acknowledged before their sync
    /// (`StoreConfig::ack_before_sync_for_tests`).
    pub plant_ack_before_sync: bool,
}

impl Default for StoreSpec {
    fn default() -> Self {
        StoreSpec {
            flush: FlushMode::Async,
            fsync_latency_ms: [0, 0],
            plant_ack_before_sync: false,
        }
    }
}

/// The built cluster.
pub struct Cluster {
    pub world: World,
    pub namesrvs: Vec<NodeId>,
    pub namesrv_addrs: Vec<SocketAddr>,
    pub brokers: Vec<NodeId>,
    pub broker_names: Vec<String>,
    pub broker_addrs: Vec<SocketAddr>,
    pub producers: Vec<NodeId>,
    pub admin: NodeId,
    pub admin_client: Client<SimEnv>,
}

/// `broker-a`, `broker-b`, … for index 0, 1, …
pub fn broker_name(index: usize) -> String {
    format!("broker-{}", (b'a' + index as u8) as char)
}

/// Small store files: 1 MiB CommitLog segments, 4096 entries per consume-queue segment.
fn small_store(derived: StoreConfig) -> StoreConfig {
    let mut small = StoreConfig::small(derived.root.clone());
    small.commitlog_segment_bytes = 1024 * 1024;
    small.consume_queue_entries_per_segment = 4096;
    small.index_entries_max = 100_000;
    small.store_host = derived.store_host;
    small.flush_mode = derived.flush_mode;
    small.body_bytes_max = derived.body_bytes_max;
    small
}

/// `small_store` with the canary's planted bug: SYNC_FLUSH acks before the sync.
fn small_store_ack_before_sync(derived: StoreConfig) -> StoreConfig {
    let mut small = small_store(derived);
    small.ack_before_sync_for_tests = true;
    small
}

/// Adds a node whose process runs a broker master of group `name` at `ip:10911`.
fn add_broker(
    world: &World,
    name: &str,
    ip: IpAddr,
    namesrvs: Vec<SocketAddr>,
    store: &StoreSpec,
) -> NodeId {
    let mut config = BrokerConfig::new(name, PathBuf::from("/store"));
    config.flush_disk_type = store.flush;
    config.broker_ip1 = ip;
    config.listen_port = BROKER_PORT;
    config.namesrv_addr = namesrvs;
    config.max_message_size = BODY_BYTES_MAX;
    config.store_tweak = Some(match store.plant_ack_before_sync {
        true => small_store_ack_before_sync,
        false => small_store,
    });
    let node = world.add_node(name, ip, move |env| {
        let config = config.clone();
        async move {
            let addr = SocketAddr::new(config.broker_ip1, BROKER_PORT);
            let listener = env.bind(addr).await.expect("broker binds");
            debug_assert_eq!(listener.local_addr().ok(), Some(addr));
            let broker = Broker::start(env, listener, config)
                .await
                .expect("broker starts");
            // The broker lives as long as this process.
            std::future::pending::<()>().await;
            drop(broker);
        }
    });
    if store.fsync_latency_ms != [0, 0] {
        let [low, high] = store.fsync_latency_ms;
        let faults = DiskFaults {
            enabled: true,
            fsync_latency_ms: (low, high),
            ..DiskFaults::default()
        };
        world.set_disk_faults(node, faults);
    }
    node
}

impl Cluster {
    /// Builds the nodes, creates the topic and waits (≤ 60 s) until every name server routes
    /// it over every broker; panics otherwise (the cluster did not come up: a harness bug).
    pub async fn build(world: &World, spec: &ClusterSpec) -> Cluster {
        let mut namesrvs = Vec::new();
        let mut namesrv_addrs = Vec::new();
        for i in 1..=spec.namesrvs {
            let (node, _) = add_namesrv(
                world,
                &format!("namesrv-{i}"),
                ip(i),
                NamesrvConfig::default(),
            );
            namesrvs.push(node);
            namesrv_addrs.push(SocketAddr::new(ip(i), NAMESRV_PORT));
        }
        let mut brokers = Vec::new();
        let mut broker_names = Vec::new();
        let mut broker_addrs = Vec::new();
        for i in 0..spec.brokers {
            let name = broker_name(i.into());
            let addr = ip(11 + i);
            brokers.push(add_broker(
                world,
                &name,
                addr,
                namesrv_addrs.clone(),
                &spec.store,
            ));
            broker_names.push(name);
            broker_addrs.push(SocketAddr::new(addr, BROKER_PORT));
        }
        let producers = (1..=spec.producers)
            .map(|i| world.add_client_node(&format!("producer-{i}"), ip(20 + i)))
            .collect();
        let admin = world.add_client_node("admin", ip(99));
        let cluster = Cluster {
            world: world.clone(),
            admin_client: client_on(world, admin),
            namesrvs,
            namesrv_addrs,
            brokers,
            broker_names,
            broker_addrs,
            producers,
            admin,
        };
        cluster.create_topic(spec.queues).await;
        cluster.await_routes(Duration::from_secs(60)).await;
        cluster
    }

    async fn create_topic(&self, queues: i32) {
        for addr in &self.broker_addrs {
            let header = CreateTopicHeader {
                topic: TOPIC.into(),
                default_topic: "TBW102".into(),
                read_queue_nums: queues,
                write_queue_nums: queues,
                perm: 6,
                topic_filter_type: "SINGLE_TAG".into(),
                topic_sys_flag: Some(0),
                order: false,
            };
            let request =
                RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC).with_header(&header);
            for _ in 0..50 {
                let answer = self
                    .admin_client
                    .invoke(*addr, request.clone(), Duration::from_secs(3))
                    .await;
                match answer {
                    Ok(r) if r.response_code() == Some(ResponseCode::SUCCESS) => break,
                    _ => self.world.sleep(Duration::from_millis(200)).await,
                }
            }
        }
    }

    /// Waits until every name server routes the topic over every broker; panics after `limit`.
    pub async fn await_routes(&self, limit: Duration) {
        let deadline = self.world.now() + limit;
        while !self.routes_complete().await {
            assert!(
                self.world.now() < deadline,
                "the topic was not routed over every broker within {limit:?}"
            );
            self.world.sleep(Duration::from_millis(200)).await;
        }
    }

    /// Whether every name server routes the topic over every broker now.
    pub async fn routes_complete(&self) -> bool {
        for addr in &self.namesrv_addrs {
            let answer = ask_route(&self.admin_client, *addr, Duration::from_secs(3)).await;
            let complete = match &answer {
                Answer::Route(route) => self
                    .broker_names
                    .iter()
                    .all(|name| route.queue_datas.iter().any(|q| &q.broker_name == name)),
                _ => false,
            };
            if !complete {
                return false;
            }
        }
        true
    }

    /// Name servers whose route of the topic names `broker` now.
    pub async fn routing(&self, broker: &str) -> usize {
        let mut count = 0;
        for addr in &self.namesrv_addrs {
            let answer = ask_route(&self.admin_client, *addr, Duration::from_secs(3)).await;
            if let Answer::Route(route) = answer {
                count += usize::from(route.queue_datas.iter().any(|q| q.broker_name == broker));
            }
        }
        count
    }
}
