//! Headers of the client-management requests (§2.3): UNREGISTER_CLIENT (35),
//! GET_CONSUMER_LIST_BY_GROUP (38), NOTIFY_CONSUMER_IDS_CHANGED (40, broker → client).

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnregisterClientHeader {
    pub client_id: String,
    pub producer_group: Option<String>,
    pub consumer_group: Option<String>,
}

impl CommandHeader for UnregisterClientHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "clientID", &self.client_id);
        put_opt(ext, "producerGroup", self.producer_group.as_ref());
        put_opt(ext, "consumerGroup", self.consumer_group.as_ref());
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(UnregisterClientHeader {
            client_id: req(ext, "clientID")?,
            producer_group: opt(ext, "producerGroup")?,
            consumer_group: opt(ext, "consumerGroup")?,
        })
    }
}

/// GET_CONSUMER_LIST_BY_GROUP and NOTIFY_CONSUMER_IDS_CHANGED: just the group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsumerGroupHeader {
    pub consumer_group: String,
}

impl CommandHeader for ConsumerGroupHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "consumerGroup", &self.consumer_group);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(ConsumerGroupHeader {
            consumer_group: req(ext, "consumerGroup")?,
        })
    }
}
