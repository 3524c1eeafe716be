//! SEND_MESSAGE headers (§2.1): one struct, two spellings on the wire — V1 (code 10) with
//! Java's long field names, V2 (codes 310 and 320) with single letters `a`..`n` — and the send
//! response header.
//!
//! Properties travel in the header (`properties` / `i`); the body is the raw payload (or the
//! batch body for SEND_BATCH_MESSAGE). `unitMode` and `batch` are primitive booleans in Java, so
//! they are always written and read as false when a third-party client leaves them out.

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError, RequestCode};

/// A send request header, in domain terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendMessageHeader {
    pub producer_group: String,
    pub topic: String,
    /// Auto-create template, normally `TBW102`.
    pub default_topic: String,
    pub default_topic_queue_nums: i32,
    /// Negative: the broker picks a queue.
    pub queue_id: i32,
    /// MessageSysFlag bits.
    pub sys_flag: i32,
    pub born_timestamp_ms: i64,
    /// The user flag, stored as the record's FLAG.
    pub flag: i32,
    /// The encoded properties string.
    pub properties: Option<String>,
    pub reconsume_times: Option<i32>,
    pub unit_mode: bool,
    pub max_reconsume_times: Option<i32>,
    pub batch: bool,
    /// V1 `bname` (5.x base class), V2 `n`.
    pub broker_name: Option<String>,
}

/// The same header, written and read with V2's single-letter names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendMessageHeaderV2(pub SendMessageHeader);

/// Wire names of one spelling, in field order.
struct Names {
    producer_group: &'static str,
    topic: &'static str,
    default_topic: &'static str,
    default_topic_queue_nums: &'static str,
    queue_id: &'static str,
    sys_flag: &'static str,
    born_timestamp: &'static str,
    flag: &'static str,
    properties: &'static str,
    reconsume_times: &'static str,
    unit_mode: &'static str,
    max_reconsume_times: &'static str,
    batch: &'static str,
    broker_name: &'static str,
}

const V1: Names = Names {
    producer_group: "producerGroup",
    topic: "topic",
    default_topic: "defaultTopic",
    default_topic_queue_nums: "defaultTopicQueueNums",
    queue_id: "queueId",
    sys_flag: "sysFlag",
    born_timestamp: "bornTimestamp",
    flag: "flag",
    properties: "properties",
    reconsume_times: "reconsumeTimes",
    unit_mode: "unitMode",
    max_reconsume_times: "maxReconsumeTimes",
    batch: "batch",
    broker_name: "bname",
};

const V2: Names = Names {
    producer_group: "a",
    topic: "b",
    default_topic: "c",
    default_topic_queue_nums: "d",
    queue_id: "e",
    sys_flag: "f",
    born_timestamp: "g",
    flag: "h",
    properties: "i",
    reconsume_times: "j",
    unit_mode: "k",
    max_reconsume_times: "l",
    batch: "m",
    broker_name: "n",
};

impl SendMessageHeader {
    pub fn write_v1(&self, ext: &mut ExtFields) {
        self.write_with(&V1, ext);
    }

    pub fn read_v1(ext: &ExtFields) -> Result<Self, HeaderError> {
        Self::read_with(&V1, ext)
    }

    pub fn write_v2(&self, ext: &mut ExtFields) {
        self.write_with(&V2, ext);
    }

    pub fn read_v2(ext: &ExtFields) -> Result<Self, HeaderError> {
        Self::read_with(&V2, ext)
    }

    /// Reads the spelling that `code` uses: V1 for SEND_MESSAGE and SEND_REPLY_MESSAGE, V2 for
    /// the V2 codes and SEND_BATCH_MESSAGE.
    pub fn read_for(code: RequestCode, ext: &ExtFields) -> Result<Self, HeaderError> {
        match code {
            RequestCode::SEND_MESSAGE_V2
            | RequestCode::SEND_BATCH_MESSAGE
            | RequestCode::SEND_REPLY_MESSAGE_V2 => Self::read_v2(ext),
            _ => Self::read_v1(ext),
        }
    }

    fn write_with(&self, n: &Names, ext: &mut ExtFields) {
        put(ext, n.producer_group, &self.producer_group);
        put(ext, n.topic, &self.topic);
        put(ext, n.default_topic, &self.default_topic);
        put(
            ext,
            n.default_topic_queue_nums,
            self.default_topic_queue_nums,
        );
        put(ext, n.queue_id, self.queue_id);
        put(ext, n.sys_flag, self.sys_flag);
        put(ext, n.born_timestamp, self.born_timestamp_ms);
        put(ext, n.flag, self.flag);
        put_opt(ext, n.properties, self.properties.as_ref());
        put_opt(ext, n.reconsume_times, self.reconsume_times);
        put(ext, n.unit_mode, self.unit_mode);
        put_opt(ext, n.max_reconsume_times, self.max_reconsume_times);
        put(ext, n.batch, self.batch);
        put_opt(ext, n.broker_name, self.broker_name.as_ref());
    }

    fn read_with(n: &Names, ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(SendMessageHeader {
            producer_group: req(ext, n.producer_group)?,
            topic: req(ext, n.topic)?,
            default_topic: req(ext, n.default_topic)?,
            default_topic_queue_nums: req(ext, n.default_topic_queue_nums)?,
            queue_id: req(ext, n.queue_id)?,
            sys_flag: req(ext, n.sys_flag)?,
            born_timestamp_ms: req(ext, n.born_timestamp)?,
            flag: req(ext, n.flag)?,
            properties: opt(ext, n.properties)?,
            reconsume_times: opt(ext, n.reconsume_times)?,
            unit_mode: opt(ext, n.unit_mode)?.unwrap_or(false),
            max_reconsume_times: opt(ext, n.max_reconsume_times)?,
            batch: opt(ext, n.batch)?.unwrap_or(false),
            broker_name: opt(ext, n.broker_name)?,
        })
    }
}

/// V1 spelling.
impl CommandHeader for SendMessageHeader {
    fn write(&self, ext: &mut ExtFields) {
        self.write_v1(ext);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Self::read_v1(ext)
    }
}

/// V2 spelling.
impl CommandHeader for SendMessageHeaderV2 {
    fn write(&self, ext: &mut ExtFields) {
        self.0.write_v2(ext);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        SendMessageHeader::read_v2(ext).map(SendMessageHeaderV2)
    }
}

impl From<SendMessageHeader> for SendMessageHeaderV2 {
    fn from(header: SendMessageHeader) -> Self {
        SendMessageHeaderV2(header)
    }
}

impl From<SendMessageHeaderV2> for SendMessageHeader {
    fn from(header: SendMessageHeaderV2) -> Self {
        header.0
    }
}

/// SEND_MESSAGE response. `MSG_REGION` and `TRACE_ON` are ext fields the broker adds outside
/// Java's header class; the client reads both, so they live here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendMessageResponseHeader {
    /// Offset message id (comma-joined for batches).
    pub msg_id: String,
    pub queue_id: i32,
    pub queue_offset: i64,
    pub transaction_id: Option<String>,
    /// The broker's `regionId`, default `DefaultRegion`.
    pub msg_region: Option<String>,
    pub trace_on: Option<bool>,
}

impl CommandHeader for SendMessageResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "msgId", &self.msg_id);
        put(ext, "queueId", self.queue_id);
        put(ext, "queueOffset", self.queue_offset);
        put_opt(ext, "transactionId", self.transaction_id.as_ref());
        put_opt(ext, "MSG_REGION", self.msg_region.as_ref());
        put_opt(ext, "TRACE_ON", self.trace_on);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(SendMessageResponseHeader {
            msg_id: req(ext, "msgId")?,
            queue_id: req(ext, "queueId")?,
            queue_offset: req(ext, "queueOffset")?,
            transaction_id: opt(ext, "transactionId")?,
            msg_region: opt(ext, "MSG_REGION")?,
            trace_on: opt(ext, "TRACE_ON")?,
        })
    }
}
