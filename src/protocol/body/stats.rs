//! GET_CONSUME_STATS (208) and GET_TOPIC_STATS_INFO (202) answers, `ConsumeStats` and
//! `TopicStatsTable`, in fastjson's output shape: maps keyed by `MessageQueue` are written
//! with the queue's JSON object as the key — `{{"brokerName":"b","queueId":0,"topic":"T"}:{…}}`
//! — which is not standard JSON but is what `mqadmin consumerProgress` / `topicStatus` parse.
//! Fields in alphabetical order, as fastjson writes them.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use super::MessageQueue;

/// One queue of `ConsumeStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OffsetWrapper {
    pub broker_offset: i64,
    pub consumer_offset: i64,
    pub last_timestamp: i64,
}

/// One queue of `TopicStatsTable`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicOffset {
    pub last_update_timestamp: i64,
    pub max_offset: i64,
    pub min_offset: i64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConsumeStats {
    pub consume_tps: f64,
    pub offset_table: BTreeMap<MessageQueue, OffsetWrapper>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopicStatsTable {
    pub offset_table: BTreeMap<MessageQueue, TopicOffset>,
}

impl ConsumeStats {
    pub fn encode(&self) -> String {
        let mut out = String::from("{\"consumeTps\":");
        // fastjson writes a double with a fraction: 0.0, 1.5.
        let _ = write!(out, "{:?}", self.consume_tps);
        out.push_str(",\"offsetTable\":");
        write_queue_map(&mut out, &self.offset_table);
        out.push('}');
        out
    }
}

impl TopicStatsTable {
    pub fn encode(&self) -> String {
        let mut out = String::from("{\"offsetTable\":");
        write_queue_map(&mut out, &self.offset_table);
        out.push('}');
        out
    }
}

fn write_queue_map<V: Serialize>(out: &mut String, map: &BTreeMap<MessageQueue, V>) {
    out.push('{');
    for (i, (queue, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&queue.to_json());
        out.push(':');
        out.push_str(&serde_json::to_string(value).expect("serializes"));
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_as_fastjson_writes_them() {
        let queue = MessageQueue {
            broker_name: "b".into(),
            queue_id: 0,
            topic: "T".into(),
        };
        let mut stats = ConsumeStats::default();
        stats.offset_table.insert(
            queue.clone(),
            OffsetWrapper {
                broker_offset: 5,
                consumer_offset: 3,
                last_timestamp: 0,
            },
        );
        assert_eq!(
            stats.encode(),
            r#"{"consumeTps":0.0,"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"brokerOffset":5,"consumerOffset":3,"lastTimestamp":0}}}"#
        );
        let mut table = TopicStatsTable::default();
        table.offset_table.insert(queue, TopicOffset::default());
        assert_eq!(
            table.encode(),
            r#"{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"lastUpdateTimestamp":0,"maxOffset":0,"minOffset":0}}}"#
        );
    }
}
