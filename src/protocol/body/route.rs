//! `TopicRouteData` (§2.5), the answer to GET_ROUTEINFO_BY_TOPIC: which brokers serve a topic,
//! with how many queues, and at which addresses.
//!
//! Written by hand rather than derived because of two dialect points (see [`JsonStyle`]):
//! * `brokerAddrs` is a map keyed by broker id: `{"0":"…"}` in standard JSON, `{0:"…"}` in the
//!   fastjson form old clients get.
//! * `QueueData.topicSysFlag` was spelled `topicSynFlag` before 4.9.0 (ISSUE 2800). The
//!   fastjson form, which only pre-4.9.4 clients receive, carries both spellings so that a
//!   client from either side of the rename reads the flag; fastjson ignores the other key.
//!   Standard JSON carries only the correct one, as a 4.9.8 name server does.
//!
//! Key order is fastjson's (alphabetical); `orderTopicConf` is omitted when null.
//! Reading accepts both dialects and both spellings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::fastjson::{self, push_json, write_int_key_map};
use super::{BodyError, JsonStyle};

/// The broker id of a master.
pub const MASTER_ID: i64 = 0;

/// One broker group's queues of a topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "QueueDataIn")]
pub struct QueueData {
    pub broker_name: String,
    pub perm: i32,
    pub read_queue_nums: i32,
    pub topic_sys_flag: i32,
    pub write_queue_nums: i32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueueDataIn {
    broker_name: String,
    #[serde(default)]
    perm: i32,
    #[serde(default)]
    read_queue_nums: i32,
    #[serde(default)]
    topic_sys_flag: Option<i32>,
    #[serde(default)]
    topic_syn_flag: Option<i32>,
    #[serde(default)]
    write_queue_nums: i32,
}

impl From<QueueDataIn> for QueueData {
    fn from(raw: QueueDataIn) -> Self {
        QueueData {
            broker_name: raw.broker_name,
            perm: raw.perm,
            read_queue_nums: raw.read_queue_nums,
            topic_sys_flag: raw.topic_sys_flag.or(raw.topic_syn_flag).unwrap_or(0),
            write_queue_nums: raw.write_queue_nums,
        }
    }
}

impl QueueData {
    fn write(&self, out: &mut String, style: JsonStyle) {
        out.push_str("{\"brokerName\":");
        push_json(out, &self.broker_name);
        out.push_str(&format!(
            ",\"perm\":{},\"readQueueNums\":{}",
            self.perm, self.read_queue_nums
        ));
        if style == JsonStyle::Fastjson {
            out.push_str(&format!(",\"topicSynFlag\":{}", self.topic_sys_flag));
        }
        out.push_str(&format!(
            ",\"topicSysFlag\":{},\"writeQueueNums\":{}}}",
            self.topic_sys_flag, self.write_queue_nums
        ));
    }
}

/// One broker group: its cluster, name and addresses by broker id (0 = master).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BrokerData {
    pub broker_addrs: BTreeMap<i64, String>,
    pub broker_name: String,
    pub cluster: String,
}

impl BrokerData {
    /// A group with no addresses yet.
    pub fn new(cluster: impl Into<String>, broker_name: impl Into<String>) -> Self {
        BrokerData {
            broker_addrs: BTreeMap::new(),
            broker_name: broker_name.into(),
            cluster: cluster.into(),
        }
    }

    /// The master's address, if a master is registered.
    pub fn master_addr(&self) -> Option<&str> {
        self.broker_addrs.get(&MASTER_ID).map(String::as_str)
    }

    /// Writes the group as JSON in `style`.
    pub fn write(&self, out: &mut String, style: JsonStyle) {
        out.push_str("{\"brokerAddrs\":");
        write_int_key_map(out, &self.broker_addrs, style);
        out.push_str(",\"brokerName\":");
        push_json(out, &self.broker_name);
        out.push_str(",\"cluster\":");
        push_json(out, &self.cluster);
        out.push('}');
    }
}

/// The route of one topic.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicRouteData {
    #[serde(default)]
    pub broker_datas: Vec<BrokerData>,
    #[serde(default)]
    pub filter_server_table: BTreeMap<String, Vec<String>>,
    /// The topic's order config from the name server's KV store, when order messages are on.
    #[serde(default)]
    pub order_topic_conf: Option<String>,
    #[serde(default)]
    pub queue_datas: Vec<QueueData>,
}

impl TopicRouteData {
    /// The JSON text in `style`.
    pub fn to_json(&self, style: JsonStyle) -> String {
        let mut out = String::from("{\"brokerDatas\":[");
        for (index, broker) in self.broker_datas.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            broker.write(&mut out, style);
        }
        out.push_str("],\"filterServerTable\":");
        push_json(&mut out, &self.filter_server_table);
        if let Some(conf) = &self.order_topic_conf {
            out.push_str(",\"orderTopicConf\":");
            push_json(&mut out, conf);
        }
        out.push_str(",\"queueDatas\":[");
        for (index, queue) in self.queue_datas.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            queue.write(&mut out, style);
        }
        out.push_str("]}");
        out
    }

    /// Reads either dialect.
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        fastjson::parse(bytes, "route data")
    }
}
