//! `BrokerConfig`: the broker's knobs, named after RocketMQ's `broker.conf` keys (§7.1) with
//! their 4.9 defaults, units last. The store's own knobs are its `StoreConfig` (`store`);
//! [`BrokerConfig::store_config`] hands it over with the broker-level keys it shares
//! (`flushDiskType`, `maxMessageSize`, the store host) applied (tests shrink it with
//! `store_tweak`). `conf::broker` reads both from a `broker.conf`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use super::registration::RegistrationConfig;
use crate::ha::HaConfig;
use crate::protocol::body::perm;
use crate::protocol::record::BODY_BYTES_MAX;
use crate::remoting::RemotingConfig;
use crate::store::{FlushMode, StoreConfig};

/// `brokerRole`: how a broker of a group acknowledges writes and whether it takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrokerRole {
    /// Acknowledges after its own write; slaves copy asynchronously.
    AsyncMaster,
    /// Acknowledges after a slave has the write too.
    SyncMaster,
    /// Copies a master; takes no writes.
    Slave,
}

impl BrokerRole {
    /// The `broker.conf` spelling.
    pub fn name(self) -> &'static str {
        match self {
            BrokerRole::AsyncMaster => "ASYNC_MASTER",
            BrokerRole::SyncMaster => "SYNC_MASTER",
            BrokerRole::Slave => "SLAVE",
        }
    }
}

#[derive(Clone, Debug)]
pub struct BrokerConfig {
    /// `brokerClusterName` (DefaultCluster).
    pub broker_cluster_name: String,
    /// `brokerName`.
    pub broker_name: String,
    /// `brokerId` (0 = master).
    pub broker_id: i64,
    /// `brokerRole` (ASYNC_MASTER).
    pub broker_role: BrokerRole,
    /// `brokerIP1`: the address published to name servers and stamped in offset msgIds.
    pub broker_ip1: IpAddr,
    /// `listenPort` (10911).
    pub listen_port: u16,
    /// `namesrvAddr`, parsed; see also `registration`.
    pub namesrv_addr: Vec<SocketAddr>,
    /// `autoCreateTopicEnable` (true): registers `TBW102` and creates topics on first send.
    pub auto_create_topic_enable: bool,
    /// `defaultTopicQueueNums` (8): queues of TBW102, hence of auto-created topics at most.
    pub default_topic_queue_nums: i32,
    /// `flushDiskType` (ASYNC_FLUSH).
    pub flush_disk_type: FlushMode,
    /// `brokerPermission` (6 = READ|WRITE).
    pub broker_permission: i32,
    /// The store's knobs; `store.root` is `storePathRootDir`.
    pub store: StoreConfig,
    /// `maxMessageSize` (4 MiB).
    pub max_message_size: usize,
    /// `regionId` (DefaultRegion), answered as MSG_REGION.
    pub region_id: String,
    /// `traceOn` (true), answered as TRACE_ON.
    pub trace_on: bool,
    /// `longPollingEnable` (true); when false a pull is held `short_polling_time`.
    pub long_polling_enable: bool,
    /// `shortPollingTimeMills` (1 s).
    pub short_polling_time: Duration,
    /// Hold service period (5 s).
    pub hold_check_interval: Duration,
    /// Pulls held at once, at most.
    pub pull_holds_max: usize,
    /// Messages and bytes in one pull response at most (the client's maxMsgNums is capped).
    pub pull_messages_max: usize,
    pub pull_bytes_max: usize,
    /// Consume-queue entries scanned per pull when filtering by tag.
    pub pull_scan_entries_max: u64,
    /// `flushConsumerOffsetInterval` (5 s).
    pub flush_consumer_offset_interval: Duration,
    /// `waitTimeMillsInSendQueue` (200 ms): longer in the send queue → SYSTEM_BUSY.
    pub wait_time_in_send_queue: Duration,
    /// Sends processed at once (`sendMessageThreadPoolNums`).
    pub send_threads: usize,
    /// `sendThreadPoolQueueCapacity` (10000): sends waiting at most.
    pub send_queue_capacity: usize,
    /// Client channels silent this long are dropped (120 s), scanned every 10 s.
    pub channel_expiry: Duration,
    pub client_scan_interval: Duration,
    /// `rocketmq.broker.rebalance.lockMaxLiveTime` (60 s).
    pub lock_max_live: Duration,
    /// Committed offsets (topic-group-queue triples) kept at most.
    pub consumer_offsets_max: usize,
    /// `registerNameServerPeriod` etc.; `namesrv_addrs` is filled from `namesrv_addr`.
    pub registration: RegistrationConfig,
    pub remoting: RemotingConfig,
    /// Applied to the store config after it is derived (tests: small segments).
    pub store_tweak: Option<fn(StoreConfig) -> StoreConfig>,
    /// Replication (`haListenPort`, `haMasterAddress`, `slaveTimeout`, …).
    pub ha: HaConfig,
    /// `slaveReadEnable` (false): pulls far behind are redirected to a slave (§5.5).
    pub slave_read_enable: bool,
    /// `accessMessageInMemoryMaxRatio` (40): a pull is "far behind" when what follows it in
    /// the log exceeds this percentage of `total_physical_memory_bytes`.
    pub access_message_in_memory_max_ratio_pct: u64,
    /// The machine's memory, as Java reads it from the OS; a config value here so that the
    /// simulation does not depend on the host (default 16 GiB).
    pub total_physical_memory_bytes: u64,
    /// A slave copies topics, offsets, delay offsets and groups from its master this often
    /// (10 s), the first time after `slave_sync_first_delay` (3 s) (§5.4).
    pub slave_sync_interval: Duration,
    pub slave_sync_first_delay: Duration,
    /// Controller mode (§5.8): `enableControllerMode`, `controllerAddr`, and the election knobs.
    pub controller: ControllerMode,
}

/// Controller mode (§5.8): the controller decides who is master; `brokerRole` and `brokerId`
/// from the file are ignored (the id is the controller's, the role follows its answers).
#[derive(Clone, Debug)]
pub struct ControllerMode {
    /// `enableControllerMode` (false).
    pub enabled: bool,
    /// `controllerAddr` (`;`-separated; one controller in this version: the first is used).
    pub controller_addrs: Vec<SocketAddr>,
    /// `allAckInSyncStateSet` (false): a send is acknowledged only when every member of the
    /// sync-state set has it, and consumers see data only up to the confirm offset.
    pub all_ack_in_sync_state_set: bool,
    /// `brokerElectionPriority` (lower wins among equals; default `i32::MAX` as in Java).
    pub election_priority: i32,
    /// `brokerHeartbeatInterval` (1 s), `controllerHeartBeatTimeoutMills` (10 s).
    pub heartbeat_interval: Duration,
    pub heartbeat_timeout: Duration,
    /// `syncBrokerMetadataPeriod` (5 s): how often the broker polls GET_REPLICA_INFO.
    pub replica_info_interval: Duration,
    /// `checkSyncStateSetPeriod` (5 s): how often a master reviews its sync-state set.
    pub check_sync_state_set_period: Duration,
    /// `haMaxTimeSlaveNotCatchup` (15 s): a slave not caught up this long leaves the set.
    pub max_time_slave_not_catchup: Duration,
}

impl Default for ControllerMode {
    fn default() -> Self {
        ControllerMode {
            enabled: false,
            controller_addrs: Vec::new(),
            all_ack_in_sync_state_set: false,
            election_priority: i32::MAX,
            heartbeat_interval: Duration::from_secs(1),
            heartbeat_timeout: Duration::from_secs(10),
            replica_info_interval: Duration::from_secs(5),
            check_sync_state_set_period: Duration::from_secs(5),
            max_time_slave_not_catchup: Duration::from_secs(15),
        }
    }
}

impl BrokerConfig {
    /// RocketMQ's defaults, with the store under `store_path_root_dir`.
    pub fn new(broker_name: impl Into<String>, store_path_root_dir: impl Into<PathBuf>) -> Self {
        BrokerConfig {
            broker_cluster_name: "DefaultCluster".into(),
            broker_name: broker_name.into(),
            broker_id: 0,
            broker_role: BrokerRole::AsyncMaster,
            broker_ip1: IpAddr::V4(Ipv4Addr::LOCALHOST),
            listen_port: 10911,
            namesrv_addr: Vec::new(),
            auto_create_topic_enable: true,
            default_topic_queue_nums: 8,
            flush_disk_type: FlushMode::Async,
            broker_permission: perm::READ | perm::WRITE,
            store: StoreConfig::new(store_path_root_dir),
            max_message_size: BODY_BYTES_MAX,
            region_id: "DefaultRegion".into(),
            trace_on: true,
            long_polling_enable: true,
            short_polling_time: Duration::from_secs(1),
            hold_check_interval: Duration::from_secs(5),
            pull_holds_max: 65_536,
            pull_messages_max: 1024,
            pull_bytes_max: 8 * 1024 * 1024,
            pull_scan_entries_max: 16_000,
            flush_consumer_offset_interval: Duration::from_secs(5),
            wait_time_in_send_queue: Duration::from_millis(200),
            send_threads: 4,
            send_queue_capacity: 10_000,
            channel_expiry: Duration::from_secs(120),
            client_scan_interval: Duration::from_secs(10),
            lock_max_live: Duration::from_secs(60),
            consumer_offsets_max: 1_000_000,
            registration: RegistrationConfig::default(),
            remoting: RemotingConfig::default(),
            store_tweak: None,
            ha: HaConfig::default(),
            slave_read_enable: false,
            access_message_in_memory_max_ratio_pct: 40,
            total_physical_memory_bytes: 16 << 30,
            slave_sync_interval: Duration::from_secs(10),
            slave_sync_first_delay: Duration::from_secs(3),
            controller: ControllerMode::default(),
        }
    }

    /// `brokerIP1:listenPort`.
    pub fn broker_addr(&self) -> SocketAddr {
        SocketAddr::new(self.broker_ip1, self.listen_port)
    }

    pub fn is_master(&self) -> bool {
        self.broker_id == 0
    }

    pub fn is_slave(&self) -> bool {
        self.broker_role == BrokerRole::Slave
    }

    /// The HA port: `haListenPort`, else `listenPort + 1`.
    pub fn ha_listen_port(&self) -> u16 {
        self.ha
            .listen_port
            .unwrap_or_else(|| self.listen_port.wrapping_add(1))
    }

    pub fn store_config(&self) -> StoreConfig {
        let mut store = self.store.clone();
        store.store_host = self.broker_addr();
        store.flush_mode = self.flush_disk_type;
        store.body_bytes_max = self.max_message_size;
        match self.store_tweak {
            Some(tweak) => tweak(store),
            None => store,
        }
    }
}
