//! Offset headers (§2.3): query/update a consumer group's committed offset, and a queue's
//! max/min logical offset. All answer with the same one-field response header.

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

/// QUERY_CONSUMER_OFFSET (14).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryConsumerOffsetHeader {
    pub consumer_group: String,
    pub topic: String,
    pub queue_id: i32,
    /// 5.x: answer 0 instead of QUERY_NOT_FOUND when the group has no offset.
    pub set_zero_if_not_found: Option<bool>,
}

impl CommandHeader for QueryConsumerOffsetHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "consumerGroup", &self.consumer_group);
        put(ext, "topic", &self.topic);
        put(ext, "queueId", self.queue_id);
        put_opt(ext, "setZeroIfNotFound", self.set_zero_if_not_found);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(QueryConsumerOffsetHeader {
            consumer_group: req(ext, "consumerGroup")?,
            topic: req(ext, "topic")?,
            queue_id: req(ext, "queueId")?,
            set_zero_if_not_found: opt(ext, "setZeroIfNotFound")?,
        })
    }
}

/// UPDATE_CONSUMER_OFFSET (15), usually oneway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateConsumerOffsetHeader {
    pub consumer_group: String,
    pub topic: String,
    pub queue_id: i32,
    pub commit_offset: i64,
}

impl CommandHeader for UpdateConsumerOffsetHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "consumerGroup", &self.consumer_group);
        put(ext, "topic", &self.topic);
        put(ext, "queueId", self.queue_id);
        put(ext, "commitOffset", self.commit_offset);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(UpdateConsumerOffsetHeader {
            consumer_group: req(ext, "consumerGroup")?,
            topic: req(ext, "topic")?,
            queue_id: req(ext, "queueId")?,
            commit_offset: req(ext, "commitOffset")?,
        })
    }
}

/// GET_MAX_OFFSET (30): the next logical offset to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetMaxOffsetHeader {
    pub topic: String,
    pub queue_id: i32,
    /// 5.x: only count committed (replicated) messages; RocketMQ's default is true.
    pub committed: Option<bool>,
}

impl CommandHeader for GetMaxOffsetHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        put(ext, "queueId", self.queue_id);
        put_opt(ext, "committed", self.committed);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(GetMaxOffsetHeader {
            topic: req(ext, "topic")?,
            queue_id: req(ext, "queueId")?,
            committed: opt(ext, "committed")?,
        })
    }
}

/// GET_MIN_OFFSET (31).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetMinOffsetHeader {
    pub topic: String,
    pub queue_id: i32,
}

impl CommandHeader for GetMinOffsetHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        put(ext, "queueId", self.queue_id);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(GetMinOffsetHeader {
            topic: req(ext, "topic")?,
            queue_id: req(ext, "queueId")?,
        })
    }
}

/// The response of QUERY_CONSUMER_OFFSET, GET_MAX_OFFSET and GET_MIN_OFFSET: `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetResponseHeader {
    pub offset: i64,
}

pub type QueryConsumerOffsetResponseHeader = OffsetResponseHeader;
pub type GetMaxOffsetResponseHeader = OffsetResponseHeader;
pub type GetMinOffsetResponseHeader = OffsetResponseHeader;

impl CommandHeader for OffsetResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "offset", self.offset);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(OffsetResponseHeader {
            offset: req(ext, "offset")?,
        })
    }
}
