//! The tables of the `cluster` workload: `[topology]`, `[[topics]]`, `[[producers]]`,
//! `[[consumer_groups]]` (the fault schedule and `[swarm]` are in `faults.rs` and `swarm.rs`).
//! Everything is data; `validate.rs` checks it, `run.rs` builds it.

use serde::{Deserialize, Serialize};

use crate::scenario::messaging::steady_state::Flush;

/// The `[topology]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopologyOptions {
    /// Name servers (`namesrv-1`, `namesrv-2`, …).
    pub namesrvs: u8,
    /// Broker groups; each is a master (and, with the replication issue, slaves).
    pub broker_groups: Vec<BrokerGroupOptions>,
    /// Queues of a topic on each broker group when `[[topics]]` does not say (`defaultTopicQueueNums`).
    pub queues_per_topic: i32,
    /// Client nodes: producers run on `producer-N`, consumers on `consumer-N`; these counts
    /// are at least what `[[producers]]` and `[[consumer_groups]]` need (0: exactly that).
    pub producer_nodes: u8,
    /// Consumer nodes (0: the largest `consumers` of any group).
    pub consumer_nodes: u8,
    /// The planted bug of canaries: consumers forget one delivery in this many (0: off).
    pub plant_forget_one_in: u64,
}

impl Default for TopologyOptions {
    fn default() -> Self {
        TopologyOptions {
            namesrvs: 2,
            broker_groups: Vec::new(),
            queues_per_topic: 4,
            producer_nodes: 0,
            consumer_nodes: 0,
            plant_forget_one_in: 0,
        }
    }
}

/// `brokerRole` of a group's master, spelled as in `broker.conf`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Role {
    #[default]
    #[serde(rename = "ASYNC_MASTER")]
    AsyncMaster,
    #[serde(rename = "SYNC_MASTER")]
    SyncMaster,
}

/// One `[[topology.broker_groups]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerGroupOptions {
    /// The group's `brokerName`, also its master's node name (`broker-a`, …).
    pub name: String,
    /// `flushDiskType`: `ASYNC_FLUSH` or `SYNC_FLUSH`.
    pub flush: Flush,
    /// `brokerRole` of the master: `ASYNC_MASTER` or `SYNC_MASTER` (SYNC_MASTER needs slaves).
    pub role: Role,
    /// CommitLog segment size (bytes; 64 KiB ..= 1 GiB).
    pub commitlog_segment_bytes: u64,
    /// Each fsync of the group's disks takes this long, drawn (ms); `[0, 0]`: instantly.
    pub fsync_latency_ms: [u64; 2],
    /// Slaves of the group (0..=3): nodes `<name>-s1`, … with `brokerId` 1, …, role SLAVE
    /// (classic), the group's flush mode. SYNC_MASTER and `controller` need at least one.
    pub slaves: u8,
    /// `slaveReadEnable` on the group's brokers: pulls far behind are sent to a slave. With or
    /// without it, consumers read from a slave while the master is down (§5.5).
    pub slave_read: bool,
    /// Controller mode (§5.8, automatic master switch): a standalone controller node
    /// `controller`; the group's brokers get `brokerId` 1..=slaves+1 and the controller elects
    /// the master (`role` is the master's role; the first replica is the first candidate).
    pub controller: bool,
    /// `allAckInSyncStateSet` of a controller-mode group: a send is acknowledged only when
    /// every member of the sync-state set has it.
    pub all_ack: bool,
    /// Planted bug for canaries: SYNC_FLUSH puts acknowledged before their sync.
    pub plant_ack_before_sync: bool,
    /// rocketmq#3015: a node `<name>-impostor`, not a slave, keeps connecting to the master's
    /// HA port during the safety phase and reporting huge offsets or garbage (classic groups).
    pub ha_impostor: bool,
}

impl Default for BrokerGroupOptions {
    fn default() -> Self {
        BrokerGroupOptions {
            name: String::new(),
            flush: Flush::Async,
            role: Role::AsyncMaster,
            commitlog_segment_bytes: 1024 * 1024,
            fsync_latency_ms: [0, 0],
            slaves: 0,
            slave_read: false,
            controller: false,
            all_ack: true,
            plant_ack_before_sync: false,
            ha_impostor: false,
        }
    }
}

/// One `[[topics]]` entry: created on every broker group.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TopicOptions {
    /// The topic's name.
    pub name: String,
    /// Queues on each broker group (default: `topology.queues_per_topic`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queues: Option<i32>,
}

/// How a producer sends.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum SendMode {
    /// `send`: waits for the answer, retries on another broker.
    #[default]
    Sync,
    /// `send` without waiting: each send is its own task (Java's `send(msg, callback)`),
    /// at most `async_in_flight_max` in flight.
    Async,
    /// `sendOneway`: no answer, so every oneway send is indeterminate.
    Oneway,
    /// `send(Collection)`: `batch_size` messages in one SEND_BATCH_MESSAGE.
    Batch,
    /// `send(msg, selector, key)` by sharding key (`SelectMessageQueueByHash`), one attempt.
    Ordered,
}

/// One `[[producers]]` entry: `count` producer processes, each on its own node.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProducerOptions {
    /// The topic sent to.
    pub topic: String,
    /// Producer processes of this entry.
    pub count: u8,
    /// `sync`, `async`, `oneway`, `batch` or `ordered`.
    pub mode: SendMode,
    /// Sends per second per producer (0: use `pause_ms`). An upper bound for the modes that
    /// wait for their answer (sync, batch, ordered), as one sending thread would.
    pub rate: u32,
    /// Pause between two sends, drawn (ms), when `rate` is 0.
    pub pause_ms: [u64; 2],
    /// Body length, drawn (bytes; 32 ..= 16384).
    pub body_bytes: [u64; 2],
    /// Distinct `KEYS` values (0: no keys); ordered sends shard by the same keys.
    pub keys: u64,
    /// Tags drawn per message (empty: no tag).
    pub tags: Vec<String>,
    /// Messages per batch (`batch` mode).
    pub batch_size: u32,
    /// Async mode: sends in flight at most per producer.
    pub async_in_flight_max: u32,
    /// Producers run Java's latency fault strategy (`sendLatencyFaultEnable`).
    pub latency_fault: bool,
}

impl Default for ProducerOptions {
    fn default() -> Self {
        ProducerOptions {
            topic: String::new(),
            count: 1,
            mode: SendMode::Sync,
            rate: 0,
            pause_ms: [10, 40],
            body_bytes: [32, 256],
            keys: 16,
            tags: Vec::new(),
            batch_size: 4,
            async_in_flight_max: 32,
            latency_fault: false,
        }
    }
}

/// Push or lite-pull consumers.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ConsumerKind {
    #[default]
    Push,
    LitePull,
}

/// `messageModel`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Model {
    /// The group shares the queues; offsets live on the broker.
    #[default]
    Clustering,
    /// Every consumer reads every queue; offsets live in a file on the consumer's disk.
    Broadcast,
}

/// Concurrent or orderly listener calls (push consumers).
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    #[default]
    Concurrent,
    Orderly,
}

/// Queue allocation strategy, named as the Java client names them.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Allocation {
    #[default]
    #[serde(rename = "AVG")]
    Averagely,
    #[serde(rename = "AVG_BY_CIRCLE")]
    AveragelyByCircle,
    #[serde(rename = "CONSISTENT_HASH")]
    ConsistentHash,
}

/// One `[[consumer_groups]]` entry.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsumerGroupOptions {
    /// The group's name.
    pub name: String,
    /// The topic it subscribes to (`*`: every tag).
    pub topic: String,
    /// `push` or `lite-pull`.
    pub kind: ConsumerKind,
    /// `clustering` or `broadcast`.
    pub model: Model,
    /// `concurrent` or `orderly` (push only).
    pub order: Order,
    /// `AVG`, `AVG_BY_CIRCLE` or `CONSISTENT_HASH`.
    pub allocation: Allocation,
    /// Members: the group runs on consumer nodes 1..=this.
    pub consumers: u8,
    /// Processing time of one listener call (or one polled batch), drawn (ms).
    pub consume_delay_ms: [u64; 2],
    /// One listener call in this many answers RECONSUME_LATER (push only; 0: never).
    pub fail_one_in: u64,
}

impl Default for ConsumerGroupOptions {
    fn default() -> Self {
        ConsumerGroupOptions {
            name: String::new(),
            topic: String::new(),
            kind: ConsumerKind::Push,
            model: Model::Clustering,
            order: Order::Concurrent,
            allocation: Allocation::Averagely,
            consumers: 1,
            consume_delay_ms: [0, 5],
            fail_one_in: 0,
        }
    }
}
