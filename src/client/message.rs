//! What a producer sends and what it gets back: the message, the send result with its store
//! status, the typed send errors, and the producer's configuration with the Java defaults
//! (§6.2).

use crate::protocol::body::MessageQueue;
use crate::protocol::properties::{Properties, PropertiesError};
use crate::protocol::ResponseCode;
use crate::remoting::RpcError;
use bytes::Bytes;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// A message to send. The producer adds UNIQ_KEY (and, for bodies over the threshold,
/// compresses the body); user properties travel unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub topic: String,
    pub body: Bytes,
    /// User flag, stored as the record's FLAG.
    pub flag: i32,
    pub properties: Properties,
}

impl Message {
    /// A message with no properties; WAIT defaults to true on the broker when absent.
    pub fn new(topic: impl Into<String>, body: impl Into<Bytes>) -> Self {
        Message {
            topic: topic.into(),
            body: body.into(),
            flag: 0,
            properties: Properties::new(),
        }
    }

    /// Sets the TAGS property.
    pub fn with_tags(mut self, tags: &str) -> Result<Self, PropertiesError> {
        self.properties.insert("TAGS", tags)?;
        Ok(self)
    }

    /// Sets the KEYS property (keys separated by one space).
    pub fn with_keys(mut self, keys: &str) -> Result<Self, PropertiesError> {
        self.properties.insert("KEYS", keys)?;
        Ok(self)
    }
}

/// How the broker stored a message it accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendStatus {
    SendOk,
    /// Stored, but not flushed to disk within the broker's sync-flush timeout.
    FlushDiskTimeout,
    /// Stored on the master, not acknowledged by the slave in time (SYNC_MASTER).
    FlushSlaveTimeout,
    /// Stored on the master, no slave to replicate to (SYNC_MASTER).
    SlaveNotAvailable,
}

impl SendStatus {
    /// The status a response code means, if it means the message was stored.
    pub fn from_code(code: ResponseCode) -> Option<Self> {
        match code {
            ResponseCode::SUCCESS => Some(SendStatus::SendOk),
            ResponseCode::FLUSH_DISK_TIMEOUT => Some(SendStatus::FlushDiskTimeout),
            ResponseCode::FLUSH_SLAVE_TIMEOUT => Some(SendStatus::FlushSlaveTimeout),
            ResponseCode::SLAVE_NOT_AVAILABLE => Some(SendStatus::SlaveNotAvailable),
            _ => None,
        }
    }
}

/// A stored message (or batch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendResult {
    pub status: SendStatus,
    /// The UNIQ_KEY (comma-joined for a batch), what Java's `SendResult.getMsgId` returns.
    pub msg_id: String,
    /// The broker's offset message id (comma-joined for a batch).
    pub offset_msg_id: String,
    pub queue: MessageQueue,
    /// The consume-queue offset of the (first) message.
    pub queue_offset: i64,
}

/// Why a send failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Neither the topic nor TBW102 has a writable queue on a registered master.
    #[error("no route to topic {topic}")]
    NoRoute { topic: String },
    /// No name server answered the route query.
    #[error("no name server answered")]
    NameServersUnreachable,
    /// The send timeout (a budget across all attempts) ran out.
    #[error("send timed out after {timeout:?}")]
    Timeout { timeout: Duration },
    /// The broker refused the message.
    #[error("broker answered {code:?}: {remark:?}")]
    Broker {
        code: ResponseCode,
        remark: Option<String>,
    },
    /// The last attempt's call failed (connect, closed connection, …).
    #[error("call to the broker failed: {0}")]
    Rpc(#[from] RpcError),
    /// The queue names a broker whose address no route has told us.
    #[error("no address known for broker {broker}")]
    UnknownBroker { broker: String },
    /// The message is unusable: empty body, over the size limit, mixed batch topics, bad
    /// properties.
    #[error("invalid message: {reason}")]
    Invalid { reason: InvalidMessage },
    /// The producer was not started or was shut down.
    #[error("producer not running")]
    NotRunning,
}

/// Why a message was rejected before sending.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMessage {
    #[error("empty body")]
    EmptyBody,
    #[error("body of {bytes} bytes over the limit of {max}")]
    TooLarge { bytes: usize, max: usize },
    #[error("a batch must be non-empty and have one topic")]
    BadBatch,
    /// Java's `Validators.checkTopic`: 1..=127 chars of `[%|a-zA-Z0-9_-]`, not TBW102.
    #[error("topic name not allowed")]
    BadTopic,
    #[error("properties: {0}")]
    Properties(#[from] PropertiesError),
}

/// A producer's settings; `new` gives the Java client's defaults.
#[derive(Clone, Debug)]
pub struct ProducerConfig {
    pub group: String,
    pub namesrv_addrs: Vec<SocketAddr>,
    /// The address written into UNIQ_KEYs and the client id (Java: the local IP).
    pub client_ip: IpAddr,
    pub instance_name: String,
    /// Budget across all attempts of one sync send (3 s).
    pub send_timeout_ms: u64,
    /// Extra attempts of a sync send on failure (2 → up to 3 attempts).
    pub retry_times_when_send_failed: u32,
    /// Bodies longer than this are zlib-compressed (4 KiB); batches are never compressed.
    pub compress_body_over_bytes: usize,
    /// Largest body accepted (4 MiB).
    pub max_message_size: usize,
    /// Queues per broker for a topic routed through TBW102 (4).
    pub default_topic_queue_nums: i32,
    /// The latency fault strategy (off by default, as in Java).
    pub send_latency_fault_enable: bool,
    /// Route refresh period (30 s).
    pub poll_name_server_interval_ms: u64,
    /// Heartbeat period (30 s).
    pub heartbeat_broker_interval_ms: u64,
}

impl ProducerConfig {
    /// The Java defaults for `group` with `namesrv_addrs`.
    pub fn new(
        group: impl Into<String>,
        namesrv_addrs: Vec<SocketAddr>,
        client_ip: IpAddr,
    ) -> Self {
        ProducerConfig {
            group: group.into(),
            namesrv_addrs,
            client_ip,
            instance_name: "DEFAULT".into(),
            send_timeout_ms: 3_000,
            retry_times_when_send_failed: 2,
            compress_body_over_bytes: 4 * 1024,
            max_message_size: 4 * 1024 * 1024,
            default_topic_queue_nums: 4,
            send_latency_fault_enable: false,
            poll_name_server_interval_ms: 30_000,
            heartbeat_broker_interval_ms: 30_000,
        }
    }
}
