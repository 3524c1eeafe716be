//! The cluster the messaging scenarios run on: N name servers, M broker groups (each a single
//! master on its own node, with its own `SimDisk` and small store segments; slaves come with
//! the replication issue, as more `Replica`s of a group), topics created on every group, and
//! client nodes for producers.
//!
//! Addresses: name server `i` (1-based) at 10.0.0.`i`:9876, broker `i` at 10.0.0.`10+i`:10911
//! (named `broker-a`, `broker-b`, …), producer `i` at 10.0.0.`20+i`, the admin node at
//! 10.0.0.99 (consumer `i`, added by `consumers`, at 10.0.0.`40+i`).
//!
//! Topics are created with UPDATE_AND_CREATE_TOPIC on every broker (which makes the broker
//! register at once), and `build` returns once every name server routes each over every broker.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use rocketsim::broker::{Broker, BrokerConfig, BrokerRole};
use rocketsim::env::{Listener, Net};
use rocketsim::namesrv::NamesrvConfig;
use rocketsim::protocol::header::CreateTopicHeader;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::Client;
use rocketsim::store::{FlushMode, StoreConfig};

use super::super::namesrv_support::{
    add_namesrv, ask_route, ask_route_of, client_on, ip, Answer, NAMESRV_PORT,
};
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
    /// The broker groups, in order (`broker-a` at 10.0.0.11, …).
    pub groups: Vec<BrokerGroupSpec>,
    /// Topics created on every group: (name, queues per group).
    pub topics: Vec<(String, i32)>,
    pub producers: u8,
}

impl ClusterSpec {
    /// The workload-specific scenarios' cluster: `brokers` single-master groups named
    /// `broker-a`, … all storing alike, and the one topic `TOPIC` with `queues` queues.
    pub fn uniform(
        namesrvs: u8,
        brokers: u8,
        queues: i32,
        producers: u8,
        store: StoreSpec,
    ) -> Self {
        let groups = (0..brokers)
            .map(|i| BrokerGroupSpec {
                name: broker_name(i.into()),
                role: BrokerRole::AsyncMaster,
                store: store.clone(),
            })
            .collect();
        ClusterSpec {
            namesrvs,
            groups,
            topics: vec![(TOPIC.to_string(), queues)],
            producers,
        }
    }

    /// Queues of `topic` over every group.
    pub fn queues_of(&self, topic: &str) -> usize {
        let per_group = self
            .topics
            .iter()
            .find(|(t, _)| t == topic)
            .map_or(0, |t| t.1);
        per_group as usize * self.groups.len()
    }
}

/// One broker group. Today a group is its master only; the replication issue adds slaves as
/// more entries of `Cluster::replicas` (same group name, `broker_id > 0`, their own nodes).
#[derive(Clone, Debug)]
pub struct BrokerGroupSpec {
    /// `brokerName`, also the master node's name.
    pub name: String,
    /// The master's `brokerRole`.
    pub role: BrokerRole,
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
    /// CommitLog segment size (bytes).
    pub commitlog_segment_bytes: u64,
}

impl Default for StoreSpec {
    fn default() -> Self {
        StoreSpec {
            flush: FlushMode::Async,
            fsync_latency_ms: [0, 0],
            plant_ack_before_sync: false,
            commitlog_segment_bytes: 1024 * 1024,
        }
    }
}

/// One broker process of a group (today: its master).
#[derive(Clone, Debug)]
pub struct Replica {
    pub node: NodeId,
    pub addr: SocketAddr,
    /// `brokerId`: 0 for the master.
    pub broker_id: i64,
}

/// The built cluster.
pub struct Cluster {
    pub world: World,
    pub namesrvs: Vec<NodeId>,
    pub namesrv_addrs: Vec<SocketAddr>,
    /// Master node of each group, in group order.
    pub brokers: Vec<NodeId>,
    pub broker_names: Vec<String>,
    /// Master address of each group.
    pub broker_addrs: Vec<SocketAddr>,
    /// Every broker process of each group, master first.
    pub replicas: Vec<Vec<Replica>>,
    pub topics: Vec<(String, i32)>,
    pub producers: Vec<NodeId>,
    pub admin: NodeId,
    pub admin_client: Client<SimEnv>,
}

/// `broker-a`, `broker-b`, … for index 0, 1, …
pub fn broker_name(index: usize) -> String {
    format!("broker-{}", (b'a' + index as u8) as char)
}

/// Small store files: 4096 entries per consume-queue segment, `segment_bytes` CommitLog
/// segments.
fn small_store(store: &StoreSpec) -> StoreConfig {
    let mut small = StoreConfig::small(PathBuf::from("/store"));
    small.commitlog_segment_bytes = store.commitlog_segment_bytes;
    small.consume_queue_entries_per_segment = 4096;
    small.index_entries_max = 100_000;
    small.ack_before_sync_for_tests = store.plant_ack_before_sync;
    small
}

/// Adds a node whose process runs the master of `group` at `ip:10911`.
fn add_broker(
    world: &World,
    group: &BrokerGroupSpec,
    ip: IpAddr,
    namesrvs: Vec<SocketAddr>,
) -> NodeId {
    let store = &group.store;
    let mut config = BrokerConfig::new(&group.name, PathBuf::from("/store"));
    config.flush_disk_type = store.flush;
    config.broker_role = group.role;
    config.broker_ip1 = ip;
    config.listen_port = BROKER_PORT;
    config.namesrv_addr = namesrvs;
    config.max_message_size = BODY_BYTES_MAX;
    config.store = small_store(store);
    let node = world.add_node(&group.name, ip, move |env| {
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
        let mut replicas = Vec::new();
        for (i, group) in spec.groups.iter().enumerate() {
            let addr = ip(11 + i as u8);
            let node = add_broker(world, group, addr, namesrv_addrs.clone());
            let master = Replica {
                node,
                addr: SocketAddr::new(addr, BROKER_PORT),
                broker_id: 0,
            };
            // Issue 7 (replication): push the group's slaves here, master first.
            replicas.push(vec![master]);
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
            brokers: replicas.iter().map(|r| r[0].node).collect(),
            broker_names: spec.groups.iter().map(|g| g.name.clone()).collect(),
            broker_addrs: replicas.iter().map(|r| r[0].addr).collect(),
            replicas,
            topics: spec.topics.clone(),
            producers,
            admin,
        };
        for (topic, queues) in &spec.topics {
            cluster.create_topic(topic, *queues).await;
        }
        cluster.await_routes(Duration::from_secs(60)).await;
        cluster
    }

    async fn create_topic(&self, topic: &str, queues: i32) {
        for addr in &self.broker_addrs {
            let header = CreateTopicHeader {
                topic: topic.into(),
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

    /// Whether every name server routes every topic over every broker now.
    pub async fn routes_complete(&self) -> bool {
        for (topic, _) in &self.topics {
            if !self.routes_complete_for(topic).await {
                return false;
            }
        }
        true
    }

    async fn routes_complete_for(&self, topic: &str) -> bool {
        for addr in &self.namesrv_addrs {
            let answer =
                ask_route_of(&self.admin_client, *addr, topic, Duration::from_secs(3)).await;
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
