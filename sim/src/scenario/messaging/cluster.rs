//! The cluster the messaging scenarios run on: N name servers, M broker groups (a master and
//! `slaves` classic slaves, each on its own node with its own `SimDisk` and small store
//! segments; or, with `controller`, replicas whose roles a controller decides), topics created
//! on every broker, and client nodes for producers.
//!
//! Addresses: name server `i` (1-based) at 10.0.0.`i`:9876, the master of group `i` at
//! 10.0.0.`10+i`:10911 (named `broker-a`, `broker-b`, …), its slave `k` at 10.0.`k`.`10+i`
//! (named `broker-a-s1`, …), producer `i` at 10.0.0.`20+i`, the admin node at 10.0.0.99, the
//! controller (when a group has one) at 10.0.0.100:9878 (consumer `i`, added by `consumers`, at
//! 10.0.0.`40+i`).
//!
//! Topics are created with UPDATE_AND_CREATE_TOPIC on every broker, slaves included (which
//! makes the broker register at once), and `build` returns once every name server routes each
//! over every group.
//!
//! Each replica's `BrokerSlot` holds a weak handle on the broker of its node's current
//! process (dead when the process is), for white-box reads by checkers (the replica-prefix
//! check reads the CommitLogs' bytes).

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;

use rocketsim::broker::{Broker, BrokerConfig, BrokerRole};
use rocketsim::controller::{Controller, ControllerConfig};
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
/// Where the controller listens.
pub const CONTROLLER_PORT: u16 = 9878;
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
                slaves: 0,
                slave_read: false,
                controller: None,
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

/// One broker group: its master and `slaves` slaves (same group name, `broker_id` 1..=slaves,
/// their own nodes), all storing alike.
#[derive(Clone, Debug)]
pub struct BrokerGroupSpec {
    /// `brokerName`, also the master node's name.
    pub name: String,
    /// The master's `brokerRole`.
    pub role: BrokerRole,
    pub store: StoreSpec,
    /// Slaves of the group (classic: `brokerRole=SLAVE`, ids 1..=slaves).
    pub slaves: u8,
    /// `slaveReadEnable` on every replica of the group.
    pub slave_read: bool,
    /// Controller mode for the group (`None`: classic, fixed roles).
    pub controller: Option<ControllerSpec>,
}

/// A group in controller mode: every replica runs with `enableControllerMode`, ids
/// 1..=slaves+1 (the first is the initial candidate; the controller decides the master).
#[derive(Clone, Copy, Debug)]
pub struct ControllerSpec {
    /// `allAckInSyncStateSet`.
    pub all_ack: bool,
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

/// A weak handle on the broker of a node's current process (dead while the process is).
pub type BrokerSlot = Arc<Mutex<Weak<Broker<SimEnv>>>>;

/// One broker process of a group.
#[derive(Clone, Debug)]
pub struct Replica {
    pub node: NodeId,
    /// The node's name (`broker-a`, `broker-a-s1`, …).
    pub name: String,
    pub addr: SocketAddr,
    /// `brokerId` as configured: 0 for a classic master; in controller mode 1..=N+1.
    pub broker_id: i64,
    /// The running broker, for white-box reads.
    pub slot: BrokerSlot,
}

impl Replica {
    /// The broker of the node's current process, if it runs.
    pub fn broker(&self) -> Option<Arc<Broker<SimEnv>>> {
        self.slot.lock().upgrade()
    }
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
    /// Every broker process of each group, master (classic) or first candidate first.
    pub replicas: Vec<Vec<Replica>>,
    /// Whether each group runs in controller mode.
    pub controlled: Vec<bool>,
    /// The controller's node and address, when a group runs in controller mode.
    pub controller: Option<(NodeId, SocketAddr)>,
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

/// The address of replica `k` (0: the master or first candidate) of group `index`.
pub fn replica_ip(index: usize, k: u8) -> IpAddr {
    IpAddr::V4(std::net::Ipv4Addr::new(10, 0, k, 11 + index as u8))
}

/// The node name of replica `k` of group `name`: the group's name for 0, `name-sK` for slaves.
pub fn replica_name(name: &str, k: u8) -> String {
    match k {
        0 => name.to_string(),
        k => format!("{name}-s{k}"),
    }
}

/// Where the controller listens (when a group runs in controller mode).
pub fn controller_addr() -> SocketAddr {
    SocketAddr::new(ip(100), CONTROLLER_PORT)
}

/// The config of replica `k` of `group`.
fn replica_config(
    group: &BrokerGroupSpec,
    k: u8,
    ip: IpAddr,
    namesrvs: Vec<SocketAddr>,
) -> BrokerConfig {
    let store = &group.store;
    let mut config = BrokerConfig::new(&group.name, PathBuf::from("/store"));
    config.flush_disk_type = store.flush;
    config.broker_ip1 = ip;
    config.listen_port = BROKER_PORT;
    config.namesrv_addr = namesrvs;
    config.max_message_size = BODY_BYTES_MAX;
    config.store = small_store(store);
    config.slave_read_enable = group.slave_read;
    match (group.controller, k) {
        (Some(controller), _) => {
            // The controller decides the role; the first replica is the first candidate.
            config.broker_id = i64::from(k) + 1;
            config.broker_role = match k {
                0 => group.role,
                _ => BrokerRole::Slave,
            };
            config.controller.enabled = true;
            config.controller.controller_addrs = vec![controller_addr()];
            config.controller.all_ack_in_sync_state_set = controller.all_ack;
        }
        (None, 0) => config.broker_role = group.role,
        (None, k) => {
            config.broker_id = i64::from(k);
            config.broker_role = BrokerRole::Slave;
        }
    }
    config
}

/// Adds a node whose process runs replica `k` of `group` at `ip:10911`.
fn add_broker(
    world: &World,
    group: &BrokerGroupSpec,
    k: u8,
    ip: IpAddr,
    namesrvs: Vec<SocketAddr>,
) -> Replica {
    let config = replica_config(group, k, ip, namesrvs);
    let broker_id = config.broker_id;
    let slot: BrokerSlot = Arc::new(Mutex::new(Weak::new()));
    let handle = slot.clone();
    let name = replica_name(&group.name, k);
    let node = world.add_node(&name, ip, move |env| {
        let (config, slot) = (config.clone(), handle.clone());
        async move {
            let addr = SocketAddr::new(config.broker_ip1, BROKER_PORT);
            let listener = env.bind(addr).await.expect("broker binds");
            debug_assert_eq!(listener.local_addr().ok(), Some(addr));
            let broker = Broker::start(env, listener, config)
                .await
                .expect("broker starts");
            let broker = Arc::new(broker);
            *slot.lock() = Arc::downgrade(&broker);
            // The broker lives as long as this process.
            std::future::pending::<()>().await;
            drop(broker);
        }
    });
    let store = &group.store;
    if store.fsync_latency_ms != [0, 0] {
        let [low, high] = store.fsync_latency_ms;
        let faults = DiskFaults {
            enabled: true,
            fsync_latency_ms: (low, high),
            ..DiskFaults::default()
        };
        world.set_disk_faults(node, faults);
    }
    Replica {
        node,
        name,
        addr: SocketAddr::new(ip, BROKER_PORT),
        broker_id,
        slot,
    }
}

/// Adds the controller node (standalone, as `mqcontroller`).
fn add_controller(world: &World) -> NodeId {
    let addr = controller_addr();
    world.add_node("controller", addr.ip(), move |env| async move {
        let listener = env.bind(addr).await.expect("controller binds");
        let config = ControllerConfig {
            store_path: PathBuf::from("/controller/groups.json"),
            ..ControllerConfig::default()
        };
        let controller = Controller::start(env, listener, config)
            .await
            .expect("controller starts");
        std::future::pending::<()>().await;
        drop(controller);
    })
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
        let controller = spec
            .groups
            .iter()
            .any(|g| g.controller.is_some())
            .then(|| (add_controller(world), controller_addr()));
        let mut replicas = Vec::new();
        for (i, group) in spec.groups.iter().enumerate() {
            let group_replicas = (0..=group.slaves)
                .map(|k| add_broker(world, group, k, replica_ip(i, k), namesrv_addrs.clone()))
                .collect();
            replicas.push(group_replicas);
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
            brokers: replicas.iter().map(|r: &Vec<Replica>| r[0].node).collect(),
            broker_names: spec.groups.iter().map(|g| g.name.clone()).collect(),
            broker_addrs: replicas.iter().map(|r| r[0].addr).collect(),
            controlled: spec.groups.iter().map(|g| g.controller.is_some()).collect(),
            controller,
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
        let addrs: Vec<SocketAddr> = self.replicas.iter().flatten().map(|r| r.addr).collect();
        for addr in &addrs {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn group(controller: Option<ControllerSpec>) -> BrokerGroupSpec {
        BrokerGroupSpec {
            name: "broker-a".into(),
            role: BrokerRole::SyncMaster,
            store: StoreSpec::default(),
            slaves: 2,
            slave_read: true,
            controller,
        }
    }

    #[test]
    fn classic_replicas_are_a_master_and_numbered_slaves() {
        let g = group(None);
        let configs: Vec<BrokerConfig> = (0..=2)
            .map(|k| replica_config(&g, k, replica_ip(0, k), Vec::new()))
            .collect();
        let ids: Vec<i64> = configs.iter().map(|c| c.broker_id).collect();
        assert_eq!(ids, [0, 1, 2]);
        let roles: Vec<BrokerRole> = configs.iter().map(|c| c.broker_role).collect();
        assert_eq!(
            roles,
            [BrokerRole::SyncMaster, BrokerRole::Slave, BrokerRole::Slave]
        );
        assert!(configs
            .iter()
            .all(|c| c.slave_read_enable && !c.controller.enabled));
        assert_eq!(replica_name("broker-a", 2), "broker-a-s2");
        assert_eq!(replica_ip(1, 2).to_string(), "10.0.2.12");
    }

    #[test]
    fn controller_replicas_get_ids_from_one_and_the_controller_address() {
        let g = group(Some(ControllerSpec { all_ack: false }));
        let configs: Vec<BrokerConfig> = (0..=2)
            .map(|k| replica_config(&g, k, replica_ip(0, k), Vec::new()))
            .collect();
        let ids: Vec<i64> = configs.iter().map(|c| c.broker_id).collect();
        assert_eq!(ids, [1, 2, 3]);
        for c in &configs {
            assert!(c.controller.enabled);
            assert_eq!(c.controller.controller_addrs, [controller_addr()]);
            assert!(!c.controller.all_ack_in_sync_state_set);
        }
        assert_eq!(configs[0].broker_role, BrokerRole::SyncMaster);
    }
}
