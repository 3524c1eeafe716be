//! What a consumer is configured with (the Java client's defaults, §6.1, §6.3) and the types
//! its user sees: the received message, the listener, the consume status and the errors.

use super::super::rebalance::{AllocatableQueue, Strategy};
use crate::protocol::body::MessageQueue;
use crate::protocol::heartbeat;
use crate::protocol::record::MessageRecord;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

/// Clustering: the group shares the queues, offsets live on the broker. Broadcasting: every
/// consumer reads every queue, offsets live in a local file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageModel {
    Clustering,
    Broadcasting,
}

impl MessageModel {
    /// The protocol's (heartbeat) name of the model.
    pub fn wire(self) -> heartbeat::MessageModel {
        match self {
            MessageModel::Clustering => heartbeat::MessageModel::Clustering,
            MessageModel::Broadcasting => heartbeat::MessageModel::Broadcasting,
        }
    }
}

/// Where a queue the group has no offset for starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumeFromWhere {
    /// The queue's max offset: only messages sent from now on (Java's default).
    LastOffset,
    /// Offset 0 (the broker answers OFFSET_MOVED to the min offset if 0 is gone).
    FirstOffset,
    /// The first message stored at or after this wall-clock time (ms).
    Timestamp(i64),
}

impl ConsumeFromWhere {
    /// The protocol's (heartbeat) name.
    pub fn wire(self) -> heartbeat::ConsumeFromWhere {
        match self {
            ConsumeFromWhere::LastOffset => heartbeat::ConsumeFromWhere::LastOffset,
            ConsumeFromWhere::FirstOffset => heartbeat::ConsumeFromWhere::FirstOffset,
            ConsumeFromWhere::Timestamp(_) => heartbeat::ConsumeFromWhere::Timestamp,
        }
    }
}

impl AllocatableQueue for MessageQueue {
    fn broker_name(&self) -> &str {
        &self.broker_name
    }

    fn ring_key(&self) -> String {
        format!(
            "MessageQueue [topic={}, brokerName={}, queueId={}]",
            self.topic, self.broker_name, self.queue_id
        )
    }
}

/// A consumer's settings; `new` gives the Java client's defaults.
#[derive(Clone, Debug)]
pub struct ConsumerConfig {
    pub group: String,
    pub namesrv_addrs: Vec<SocketAddr>,
    /// The first part of the client id (Java: the local IP).
    pub client_ip: IpAddr,
    /// The second part of the client id. Two consumers of one group in one process need
    /// different instance names (Java replaces `DEFAULT` by the pid; we keep it as given, so a
    /// restarted broadcasting consumer finds its offset file again).
    pub instance_name: String,
    pub message_model: MessageModel,
    pub consume_from: ConsumeFromWhere,
    pub allocation: Strategy<MessageQueue>,
    /// Orderly consumption: queues locked at the broker, one task per queue, offset order.
    pub orderly: bool,
    /// Concurrent listener calls at most (Java's consumeThreadMax, 20).
    pub consume_thread_count: usize,
    /// Messages per listener call (1).
    pub consume_message_batch_max_size: usize,
    /// Messages asked for per pull (32).
    pub pull_batch_size: u32,
    /// A queue holding this many unconsumed messages is not pulled (1000).
    pub pull_threshold_for_queue: usize,
    /// A queue holding this many body bytes is not pulled (100 MiB).
    pub pull_threshold_size_for_queue_bytes: u64,
    pub rebalance_interval_ms: u64,
    pub persist_offset_interval_ms: u64,
    pub heartbeat_broker_interval_ms: u64,
    pub poll_name_server_interval_ms: u64,
    /// Long-poll hold asked of the broker (15 s).
    pub broker_suspend_max_ms: u64,
    /// Timeout of a held pull (30 s).
    pub consumer_timeout_when_suspend_ms: u64,
    /// Timeout of every other call (Java's mqClientApiTimeout, 3 s).
    pub call_timeout_ms: u64,
    /// Wait before pulling again when the queue is over a threshold (50 ms).
    pub pull_time_delay_when_flow_control_ms: u64,
    /// Wait before pulling again after a failed pull (3 s).
    pub pull_time_delay_when_exception_ms: u64,
    /// Concurrent mode: wait before re-consuming a batch the listener answered `Later` (5 s).
    pub reconsume_later_delay_ms: u64,
    /// Orderly mode: wait before retrying a batch the listener answered `Later` (1 s).
    pub suspend_current_queue_time_ms: u64,
    /// Orderly mode: re-lock period (20 s).
    pub orderly_relock_interval_ms: u64,
    /// Orderly mode: a lock not renewed for this long is treated as lost (30 s).
    pub orderly_lock_max_live_ms: u64,
    /// Concurrent mode: a message answered `Later` this many times is given up (its offset is
    /// committed) — Java would move it to the DLQ. Orderly mode retries without limit.
    pub max_reconsume_times: u32,
    /// Broadcasting mode: offsets are kept in `<dir>/<client id>/<group>/offsets.json`.
    pub offset_store_dir: PathBuf,
    /// Lite pull consumer: commit polled offsets every `persist_offset_interval_ms` (on).
    pub auto_commit: bool,
    /// Lite pull consumer: messages buffered across all queues before pulls wait (Java's
    /// pullThresholdForAll, 10 000).
    pub lite_buffer_max: usize,
    /// Largest inflated body accepted from a compressed record (4 MiB × 4).
    pub inflated_body_bytes_max: usize,
}

impl ConsumerConfig {
    /// The Java defaults for `group` with `namesrv_addrs`.
    pub fn new(
        group: impl Into<String>,
        namesrv_addrs: Vec<SocketAddr>,
        client_ip: IpAddr,
    ) -> Self {
        ConsumerConfig {
            group: group.into(),
            namesrv_addrs,
            client_ip,
            instance_name: "DEFAULT".into(),
            message_model: MessageModel::Clustering,
            consume_from: ConsumeFromWhere::LastOffset,
            allocation: Strategy::Averagely,
            orderly: false,
            consume_thread_count: 20,
            consume_message_batch_max_size: 1,
            pull_batch_size: 32,
            pull_threshold_for_queue: 1000,
            pull_threshold_size_for_queue_bytes: 100 * 1024 * 1024,
            rebalance_interval_ms: 20_000,
            persist_offset_interval_ms: 5_000,
            heartbeat_broker_interval_ms: 30_000,
            poll_name_server_interval_ms: 30_000,
            broker_suspend_max_ms: 15_000,
            consumer_timeout_when_suspend_ms: 30_000,
            call_timeout_ms: 3_000,
            pull_time_delay_when_flow_control_ms: 50,
            pull_time_delay_when_exception_ms: 3_000,
            reconsume_later_delay_ms: 5_000,
            suspend_current_queue_time_ms: 1_000,
            orderly_relock_interval_ms: 20_000,
            orderly_lock_max_live_ms: 30_000,
            max_reconsume_times: 16,
            offset_store_dir: PathBuf::from(".rocketmq_offsets"),
            auto_commit: true,
            lite_buffer_max: 10_000,
            inflated_body_bytes_max: 16 * 1024 * 1024,
        }
    }

    /// `clientIP@instanceName`, the id the broker lists the consumer under.
    pub fn client_id(&self) -> String {
        format!("{}@{}", self.client_ip, self.instance_name)
    }
}

/// One message as the listener sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedMessage {
    pub queue: MessageQueue,
    /// The stored record, its body inflated if it was compressed (the COMPRESSED bit cleared).
    pub record: MessageRecord,
    /// How often this consumer re-delivered the message after `Later` (plus the broker's count).
    pub reconsume_times: u32,
}

impl ReceivedMessage {
    /// The message's logical offset in its queue.
    pub fn queue_offset(&self) -> i64 {
        self.record.queue_offset as i64
    }

    /// The UNIQ_KEY (what Java calls the message id).
    pub fn msg_id(&self) -> Option<&str> {
        self.record.properties.uniq_key()
    }
}

/// What the listener says about a batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsumeStatus {
    /// Consumed; the offset may move past the batch.
    Success,
    /// Deliver the batch again later (concurrent: after 5 s; orderly: after 1 s, same order).
    Later,
}

/// The user's handler: async, so that simulations can model processing time.
pub type Listener = Arc<
    dyn Fn(Vec<ReceivedMessage>) -> Pin<Box<dyn Future<Output = ConsumeStatus> + Send>>
        + Send
        + Sync,
>;

/// Why a consumer call failed.
#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    /// The subscription expression has no tag (e.g. `"||"`) or is SQL.
    #[error("invalid subscription expression {expression:?}")]
    InvalidExpression { expression: String },
    /// Java's `Validators.checkTopic`.
    #[error("topic name {topic:?} not allowed")]
    BadTopic { topic: String },
    /// `start` was called twice, or `subscribe`/`assign` after start where not allowed.
    #[error("consumer already started")]
    AlreadyStarted,
    /// The consumer is not running (not started, or shut down).
    #[error("consumer not running")]
    NotRunning,
    /// Nothing to consume: no subscription and no assignment.
    #[error("no subscription or assigned queue")]
    NothingToConsume,
    /// A queue passed to `seek` is not assigned to this consumer.
    #[error("queue {queue:?} is not assigned")]
    NotAssigned { queue: MessageQueue },
    /// `subscribe` and `assign` cannot be mixed on one lite pull consumer.
    #[error("subscribe and assign cannot be mixed")]
    MixedSubscribeAndAssign,
}
