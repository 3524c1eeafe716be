//! Headers of the broker's read-side queries (§2.3): SEARCH_OFFSET_BY_TIMESTAMP (29),
//! GET_EARLIEST_MSG_STORETIME (32), VIEW_MESSAGE_BY_ID (33), QUERY_MESSAGE (12).

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

/// The ext field that turns QUERY_MESSAGE into a lookup by UNIQ_KEY.
pub const UNIQUE_KEY_QUERY: &str = "_UNIQUE_KEY_QUERY";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchOffsetHeader {
    pub topic: String,
    pub queue_id: i32,
    pub timestamp_ms: i64,
}

impl CommandHeader for SearchOffsetHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        put(ext, "queueId", self.queue_id);
        put(ext, "timestamp", self.timestamp_ms);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(SearchOffsetHeader {
            topic: req(ext, "topic")?,
            queue_id: req(ext, "queueId")?,
            timestamp_ms: req(ext, "timestamp")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetEarliestMsgStoretimeHeader {
    pub topic: String,
    pub queue_id: i32,
}

impl CommandHeader for GetEarliestMsgStoretimeHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        put(ext, "queueId", self.queue_id);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(GetEarliestMsgStoretimeHeader {
            topic: req(ext, "topic")?,
            queue_id: req(ext, "queueId")?,
        })
    }
}

/// GET_EARLIEST_MSG_STORETIME's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimestampResponseHeader {
    pub timestamp_ms: i64,
}

impl CommandHeader for TimestampResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "timestamp", self.timestamp_ms);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(TimestampResponseHeader {
            timestamp_ms: req(ext, "timestamp")?,
        })
    }
}

/// VIEW_MESSAGE_BY_ID: the CommitLog offset decoded from an offset msgId.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewMessageHeader {
    pub offset: i64,
    pub topic: Option<String>,
}

impl CommandHeader for ViewMessageHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "offset", self.offset);
        put_opt(ext, "topic", self.topic.as_ref());
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(ViewMessageHeader {
            offset: req(ext, "offset")?,
            topic: opt(ext, "topic")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryMessageHeader {
    pub topic: String,
    pub key: String,
    pub max_num: i32,
    pub begin_timestamp_ms: i64,
    pub end_timestamp_ms: i64,
}

impl CommandHeader for QueryMessageHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        put(ext, "key", &self.key);
        put(ext, "maxNum", self.max_num);
        put(ext, "beginTimestamp", self.begin_timestamp_ms);
        put(ext, "endTimestamp", self.end_timestamp_ms);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(QueryMessageHeader {
            topic: req(ext, "topic")?,
            key: req(ext, "key")?,
            max_num: req(ext, "maxNum")?,
            begin_timestamp_ms: req(ext, "beginTimestamp")?,
            end_timestamp_ms: req(ext, "endTimestamp")?,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueryMessageResponseHeader {
    pub index_last_update_timestamp_ms: i64,
    pub index_last_update_phyoffset: i64,
}

impl CommandHeader for QueryMessageResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(
            ext,
            "indexLastUpdateTimestamp",
            self.index_last_update_timestamp_ms,
        );
        put(
            ext,
            "indexLastUpdatePhyoffset",
            self.index_last_update_phyoffset,
        );
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(QueryMessageResponseHeader {
            index_last_update_timestamp_ms: req(ext, "indexLastUpdateTimestamp")?,
            index_last_update_phyoffset: req(ext, "indexLastUpdatePhyoffset")?,
        })
    }
}
