//! PULL_MESSAGE (11) request and response headers (§2.2).

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

/// PULL_MESSAGE request (4.9 fields; 5.x additions other than `maxMsgBytes` are ignored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PullMessageHeader {
    pub consumer_group: String,
    pub topic: String,
    pub queue_id: i32,
    /// Logical offset in the consume queue to read from.
    pub queue_offset: i64,
    /// The consumer's pull batch size.
    pub max_msg_nums: i32,
    /// PullSysFlag bits: 0x1 commit offset present, 0x2 suspend, 0x4 subscription, 0x8 class
    /// filter, 0x10 lite pull.
    pub sys_flag: i32,
    /// The consumer's committed offset, piggy-backed.
    pub commit_offset: i64,
    /// Long-poll hold.
    pub suspend_timeout_ms: i64,
    pub subscription: Option<String>,
    pub sub_version: i64,
    /// `TAG` or `SQL92`.
    pub expression_type: Option<String>,
    /// 5.x.
    pub max_msg_bytes: Option<i32>,
}

impl CommandHeader for PullMessageHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "consumerGroup", &self.consumer_group);
        put(ext, "topic", &self.topic);
        put(ext, "queueId", self.queue_id);
        put(ext, "queueOffset", self.queue_offset);
        put(ext, "maxMsgNums", self.max_msg_nums);
        put(ext, "sysFlag", self.sys_flag);
        put(ext, "commitOffset", self.commit_offset);
        put(ext, "suspendTimeoutMillis", self.suspend_timeout_ms);
        put_opt(ext, "subscription", self.subscription.as_ref());
        put(ext, "subVersion", self.sub_version);
        put_opt(ext, "expressionType", self.expression_type.as_ref());
        put_opt(ext, "maxMsgBytes", self.max_msg_bytes);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(PullMessageHeader {
            consumer_group: req(ext, "consumerGroup")?,
            topic: req(ext, "topic")?,
            queue_id: req(ext, "queueId")?,
            queue_offset: req(ext, "queueOffset")?,
            max_msg_nums: req(ext, "maxMsgNums")?,
            sys_flag: req(ext, "sysFlag")?,
            commit_offset: req(ext, "commitOffset")?,
            suspend_timeout_ms: req(ext, "suspendTimeoutMillis")?,
            subscription: opt(ext, "subscription")?,
            sub_version: req(ext, "subVersion")?,
            expression_type: opt(ext, "expressionType")?,
            max_msg_bytes: opt(ext, "maxMsgBytes")?,
        })
    }
}

/// PULL_MESSAGE response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PullMessageResponseHeader {
    /// 0 = master; a slave id to redirect the consumer.
    pub suggest_which_broker_id: i64,
    pub next_begin_offset: i64,
    pub min_offset: i64,
    pub max_offset: i64,
}

impl CommandHeader for PullMessageResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "suggestWhichBrokerId", self.suggest_which_broker_id);
        put(ext, "nextBeginOffset", self.next_begin_offset);
        put(ext, "minOffset", self.min_offset);
        put(ext, "maxOffset", self.max_offset);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(PullMessageResponseHeader {
            suggest_which_broker_id: req(ext, "suggestWhichBrokerId")?,
            next_begin_offset: req(ext, "nextBeginOffset")?,
            min_offset: req(ext, "minOffset")?,
            max_offset: req(ext, "maxOffset")?,
        })
    }
}
