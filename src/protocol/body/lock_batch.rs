//! LOCK_BATCH_MQ (41) / UNLOCK_BATCH_MQ (42) bodies (§2.3, §6.5) and `MessageQueue`, the
//! `{topic, brokerName, queueId}` triple they (and the stats bodies) are keyed by.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::BodyError;

/// One queue of one broker. Field order is alphabetical (fastjson's output order); the
/// derived `Ord` is therefore (brokerName, queueId, topic).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageQueue {
    pub broker_name: String,
    pub queue_id: i32,
    pub topic: String,
}

impl MessageQueue {
    /// The fastjson text of the queue, as used for a map key.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a MessageQueue always serializes")
    }
}

/// LockBatchRequestBody / UnlockBatchRequestBody.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LockBatchBody {
    pub client_id: String,
    pub consumer_group: String,
    #[serde(rename = "mqSet")]
    pub mq_set: BTreeSet<MessageQueue>,
    pub only_this_broker: bool,
}

/// LockBatchResponseBody: the queues the caller now holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockBatchResponseBody {
    #[serde(rename = "lockOKMQSet", default)]
    pub lock_ok_mq_set: BTreeSet<MessageQueue>,
}

impl LockBatchBody {
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        decode_json(bytes, "lock batch body")
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("serializes")
    }
}

impl LockBatchResponseBody {
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        decode_json(bytes, "lock batch response body")
    }

    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("serializes")
    }
}

pub(super) fn decode_json<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
    what: &'static str,
) -> Result<T, BodyError> {
    serde_json::from_slice(bytes).map_err(|e| BodyError::Json {
        what,
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_body_in_javas_shape() {
        let text = r#"{"clientId":"c1","consumerGroup":"G","mqSet":[{"brokerName":"b","queueId":1,"topic":"T"}],"onlyThisBroker":false}"#;
        let body = LockBatchBody::decode(text.as_bytes()).unwrap();
        assert_eq!(body.mq_set.len(), 1);
        assert_eq!(String::from_utf8(body.encode()).unwrap(), text);
        let answer = LockBatchResponseBody {
            lock_ok_mq_set: body.mq_set,
        };
        assert_eq!(
            String::from_utf8(answer.encode()).unwrap(),
            r#"{"lockOKMQSet":[{"brokerName":"b","queueId":1,"topic":"T"}]}"#
        );
    }
}
