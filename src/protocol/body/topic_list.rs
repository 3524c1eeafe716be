//! `TopicList`: the answer to GET_ALL_TOPIC_LIST_FROM_NAMESERVER and GET_TOPICS_BY_CLUSTER,
//! `{"topicList":[…]}` (Java's `brokerAddr`, null here, is omitted as fastjson omits nulls).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{fastjson, BodyError};

/// A set of topic names, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicList {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broker_addr: Option<String>,
    #[serde(default)]
    pub topic_list: BTreeSet<String>,
}

impl TopicList {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a topic list serializes")
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        fastjson::parse(bytes, "topic list")
    }
}
