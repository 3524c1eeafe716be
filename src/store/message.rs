//! What a producer hands the store: one message before the store stamps it. The store fills
//! in queue offset, physical offset, store timestamp and store host; everything else is kept.

use std::net::SocketAddr;

use bytes::Bytes;

use super::error::{IllegalReason, PutError};
use crate::protocol::properties::Properties;
use crate::protocol::properties::{PropertiesError, PROPERTIES_BYTES_MAX};
use crate::protocol::record::{MessageRecord, TOPIC_V2_BYTES_MAX};
use crate::protocol::sysflag::{SysFlag, TransactionType};

/// A message to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutMessage {
    pub topic: String,
    pub queue_id: i32,
    pub flag: i32,
    pub body: Bytes,
    pub properties: Properties,
    pub sys_flag: SysFlag,
    pub born_timestamp_ms: i64,
    pub born_host: SocketAddr,
    pub reconsume_times: i32,
    pub prepared_transaction_offset: u64,
}

impl PutMessage {
    /// Checks the limits (§3.1): body size, properties size, topic length.
    pub fn validate(&self, body_bytes_max: usize) -> Result<(), PutError> {
        if self.body.len() > body_bytes_max {
            return Err(PutError::MessageIllegal(IllegalReason::BodyTooLarge {
                len: self.body.len(),
                max: body_bytes_max,
            }));
        }
        if self.topic.len() > TOPIC_V2_BYTES_MAX {
            return Err(PutError::MessageIllegal(IllegalReason::TopicTooLong {
                len: self.topic.len(),
                max: TOPIC_V2_BYTES_MAX,
            }));
        }
        if self.queue_id < 0 {
            return Err(PutError::MessageIllegal(IllegalReason::NegativeQueueId(
                self.queue_id,
            )));
        }
        match self.properties.checked_len() {
            Ok(_) => Ok(()),
            Err(PropertiesError::PropertiesTooLarge { len, .. }) => {
                Err(PutError::PropertiesSizeExceeded {
                    len,
                    max: PROPERTIES_BYTES_MAX,
                })
            }
            Err(other) => Err(PutError::MessageIllegal(IllegalReason::Properties(other))),
        }
    }

    /// Whether the record takes a queue offset and goes to the consume queue: not for
    /// prepared and rollback transaction records (§4.2).
    pub fn is_queued(&self) -> bool {
        is_queued(self.sys_flag)
    }

    /// The record with the offsets and stamps the store decided.
    pub(crate) fn to_record(
        &self,
        queue_offset: u64,
        physical_offset: u64,
        store_timestamp_ms: i64,
        store_host: SocketAddr,
    ) -> MessageRecord {
        MessageRecord {
            queue_id: self.queue_id,
            flag: self.flag,
            queue_offset,
            physical_offset,
            sys_flag: self.sys_flag,
            born_timestamp_ms: self.born_timestamp_ms,
            born_host: self.born_host,
            store_timestamp_ms,
            store_host,
            reconsume_times: self.reconsume_times,
            prepared_transaction_offset: self.prepared_transaction_offset,
            body: self.body.clone(),
            topic: self.topic.clone(),
            properties: self.properties.clone(),
        }
    }
}

/// Whether a record with this SYSFLAG is dispatched to a consume queue.
pub fn is_queued(sys_flag: SysFlag) -> bool {
    matches!(
        sys_flag.transaction_type(),
        TransactionType::NotType | TransactionType::Commit
    )
}
