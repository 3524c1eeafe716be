//! The broker's request-layer errors and the one place they become response codes.
//!
//! Lower layers keep their own types (`HeaderError`, `BodyError`, `BatchDecodeError`,
//! `PutError`, `ReadError`); this enum wraps them with what only the request layer knows.
//! [`BrokerError::code`] is the only mapping to `ResponseCode`; the remark is the error's text
//! (Java's wording where clients or operators match on it), so a client learns what was wrong.

use super::topic_name::TopicNameError;
use crate::protocol::batch::BatchDecodeError;
use crate::protocol::body::BodyError;
use crate::protocol::{HeaderError, RemotingCommand, ResponseCode};
use crate::store::{PutError, ReadError, StoreError};

/// What a permission check refused.
#[derive(Debug, thiserror::Error)]
pub enum Denied {
    #[error("the broker[{broker}] sending message is forbidden")]
    BrokerNotWritable { broker: String },
    #[error("the broker[{broker}] pulling message is forbidden")]
    BrokerNotReadable { broker: String },
    #[error("the topic[{topic}] sending message is forbidden")]
    TopicNotWritable { topic: String },
    #[error("the topic[{topic}] pulling message is forbidden")]
    TopicNotReadable { topic: String },
}

/// Why the send queue refused a send.
#[derive(Debug, thiserror::Error)]
pub enum Busy {
    #[error("[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: {waited_ms}ms, size of queue: {queued}")]
    TimeoutCleanQueue { waited_ms: u64, queued: usize },
    #[error("[OVERLOAD]system busy, start flow control for a while: {queued} sends queued")]
    QueueFull { queued: usize },
}

#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    #[error("{0}")]
    Header(#[from] HeaderError),
    #[error("{0}")]
    Body(#[from] BodyError),
    #[error("the request has no body; {what} expected")]
    MissingBody { what: &'static str },
    #[error("{0}")]
    TopicName(#[from] TopicNameError),
    #[error("topic[{topic}] not exist, apply first please!")]
    TopicNotExist { topic: String },
    #[error("the topic[{topic}] is conflict with system topic.")]
    TopicConflict { topic: String },
    #[error("{0}")]
    Denied(#[from] Denied),
    #[error("queueId[{queue_id}] is illegal, topic:[{topic}] queueNums:[{queues}]")]
    QueueIdIllegal {
        topic: String,
        queue_id: i32,
        queues: i32,
    },
    #[error("the message body is empty")]
    EmptyBody,
    #[error("the properties string of {len} bytes exceeds {max}")]
    PropertiesTooLarge { len: usize, max: usize },
    #[error("bad batch body: {0}")]
    Batch(#[from] BatchDecodeError),
    #[error("{0}")]
    Put(#[from] PutError),
    #[error("{0}")]
    Busy(#[from] Busy),
    /// Java's remark for a put the store refuses as SERVICE_NOT_AVAILABLE (4.9).
    #[error("service not available now. It may be caused by one of the following reasons: the broker's disk is full, messages are put to the slave, message store has been shut down, etc.")]
    PutToSlave,
    /// Controller mode: this replica's log may still hold a tail its new master does not
    /// have (not yet compared), so it serves no reads until it is master or has handshaken.
    #[error("the broker is not serving reads now: {why}")]
    ReplicaNotReady { why: &'static str },
    #[error("parse the consumer's subscription[{expression}] failed")]
    SubscriptionParse { expression: String },
    #[error("the consumer's group info not exist: group {group}")]
    SubscriptionGroupUnknown { group: String },
    #[error("the consumer's subscription not exist: group {group} topic {topic}")]
    SubscriptionNotExist { group: String, topic: String },
    #[error("the consumer's subscription not latest: group {group} topic {topic}")]
    SubscriptionNotLatest { group: String, topic: String },
    #[error("The broker does not support consumer to filter message by SQL92")]
    Sql92NotSupported,
    #[error("Not found, V3_0_6_SNAPSHOT maybe this group consumer boot first")]
    OffsetNotFound,
    #[error("can not find message by the offset, {offset}")]
    MessageNotFound { offset: i64 },
    #[error("can not find message, maybe time range not correct")]
    QueryNotFound,
    #[error("read failed: {0}")]
    Read(#[from] ReadError),
    #[error("metadata not saved: {0}")]
    Persist(#[from] StoreError),
}

impl BrokerError {
    /// The response code a RocketMQ 4.9 broker answers this with.
    pub fn code(&self) -> ResponseCode {
        use BrokerError as E;
        match self {
            E::TopicNotExist { .. } => ResponseCode::TOPIC_NOT_EXIST,
            E::Denied(_) => ResponseCode::NO_PERMISSION,
            E::EmptyBody | E::PropertiesTooLarge { .. } | E::Batch(_) => {
                ResponseCode::MESSAGE_ILLEGAL
            }
            E::Put(error) => error.response_code(),
            E::PutToSlave => ResponseCode::SERVICE_NOT_AVAILABLE,
            E::Busy(_) | E::ReplicaNotReady { .. } => ResponseCode::SYSTEM_BUSY,
            E::SubscriptionParse { .. } => ResponseCode::SUBSCRIPTION_PARSE_FAILED,
            E::SubscriptionGroupUnknown { .. } | E::SubscriptionNotExist { .. } => {
                ResponseCode::SUBSCRIPTION_NOT_EXIST
            }
            E::SubscriptionNotLatest { .. } => ResponseCode::SUBSCRIPTION_NOT_LATEST,
            E::OffsetNotFound | E::QueryNotFound => ResponseCode::QUERY_NOT_FOUND,
            // Java answers bad headers, illegal names, queue ids and unreadable offsets with
            // SYSTEM_ERROR and a remark.
            E::Header(_)
            | E::Body(_)
            | E::MissingBody { .. }
            | E::TopicName(_)
            | E::TopicConflict { .. }
            | E::QueueIdIllegal { .. }
            | E::Sql92NotSupported
            | E::MessageNotFound { .. }
            | E::Read(_)
            | E::Persist(_) => ResponseCode::SYSTEM_ERROR,
        }
    }

    /// The response carrying this error (the connection sets the opaque).
    pub fn response(&self) -> RemotingCommand {
        RemotingCommand::response(self.code(), Some(self.to_string()))
    }
}

impl crate::remoting::Refusal for BrokerError {
    fn response(&self) -> RemotingCommand {
        BrokerError::response(self)
    }
}
