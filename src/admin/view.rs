//! What the operations answer: plain data, serializable as the `--json` output, rendered as
//! tables by `render`. Field names are camelCase in JSON, like the Java tool's beans.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::Serialize;

use crate::protocol::record::MessageRecord;

/// Where an update goes: every master of a cluster, or one broker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Cluster(String),
    Broker(SocketAddr),
}

/// A topic to create or update (`updateTopic`); `new` gives the tool's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicSpec {
    pub topic: String,
    pub read_queue_nums: i32,
    pub write_queue_nums: i32,
    /// PermName bits: 2 write, 4 read, 6 both.
    pub perm: i32,
    pub order: bool,
}

impl TopicSpec {
    /// 8 read and 8 write queues, read and write permission, not ordered.
    pub fn new(topic: impl Into<String>) -> Self {
        TopicSpec {
            topic: topic.into(),
            read_queue_nums: 8,
            write_queue_nums: 8,
            perm: 6,
            order: false,
        }
    }
}

/// One queue of `topicStatus`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicStatusRow {
    pub broker_name: String,
    pub queue_id: i32,
    pub min_offset: i64,
    pub max_offset: i64,
    pub last_update_timestamp: i64,
}

/// One broker of `clusterList`; the runtime fields are empty when the broker did not answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterRow {
    pub cluster: String,
    pub broker_name: String,
    pub broker_id: i64,
    pub addr: String,
    pub version: String,
    /// "10s 60s 600s" rates, as the broker reports them.
    pub put_tps: String,
    pub get_tps: String,
    /// Why the runtime fields are empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One queue of `consumerProgress`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressRow {
    pub topic: String,
    pub broker_name: String,
    pub queue_id: i32,
    pub broker_offset: i64,
    pub consumer_offset: i64,
    /// `broker_offset - consumer_offset`: messages not yet consumed.
    pub diff: i64,
}

/// `consumerProgress`: per queue, and in total.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerProgress {
    pub group: String,
    pub rows: Vec<ProgressRow>,
    pub consume_tps: f64,
    pub diff_total: i64,
}

/// One message as the query commands show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    pub offset_msg_id: String,
    pub uniq_key: Option<String>,
    pub topic: String,
    pub tags: Option<String>,
    pub keys: Option<String>,
    pub queue_id: i32,
    pub queue_offset: u64,
    pub commit_log_offset: u64,
    pub reconsume_times: i32,
    pub born_timestamp: i64,
    pub store_timestamp: i64,
    pub born_host: String,
    pub store_host: String,
    pub sys_flag: i32,
    pub properties: BTreeMap<String, String>,
    /// The body as text (invalid UTF-8 replaced); compressed bodies are shown as stored.
    pub body: String,
    pub body_bytes: usize,
}

impl MessageView {
    pub fn of(record: &MessageRecord) -> Self {
        let props = &record.properties;
        MessageView {
            offset_msg_id: record.offset_msg_id().to_string(),
            uniq_key: props.uniq_key().map(String::from),
            topic: record.topic.clone(),
            tags: props.tags().map(String::from),
            keys: props.get("KEYS").map(String::from),
            queue_id: record.queue_id,
            queue_offset: record.queue_offset,
            commit_log_offset: record.physical_offset,
            reconsume_times: record.reconsume_times,
            born_timestamp: record.born_timestamp_ms,
            store_timestamp: record.store_timestamp_ms,
            born_host: record.born_host.to_string(),
            store_host: record.store_host.to_string(),
            sys_flag: record.sys_flag.to_wire(),
            properties: props
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: String::from_utf8_lossy(&record.body).into_owned(),
            body_bytes: record.body.len(),
        }
    }
}

/// What `sendMessage` reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendView {
    pub broker_name: String,
    pub queue_id: i32,
    pub queue_offset: i64,
    pub status: String,
    pub msg_id: String,
    pub offset_msg_id: String,
}

/// One queue reset by `resetOffsetByTime`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetRow {
    pub broker_name: String,
    pub queue_id: i32,
    pub offset: i64,
}

/// One name server's answer to wipe/add write permission.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermRow {
    pub namesrv: String,
    pub topic_count: i64,
}

/// One peer an update or deletion reached.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub addr: String,
    pub what: String,
}
