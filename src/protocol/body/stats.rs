//! GET_CONSUME_STATS (208) and GET_TOPIC_STATS_INFO (202) answers, `ConsumeStats` and
//! `TopicStatsTable`, in fastjson's output shape: maps keyed by `MessageQueue` are written
//! with the queue's JSON object as the key — `{{"brokerName":"b","queueId":0,"topic":"T"}:{…}}`
//! — which is not standard JSON but is what `mqadmin consumerProgress` / `topicStatus` parse.
//! Fields in alphabetical order, as fastjson writes them.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{BodyError, MessageQueue};

/// Queues in one decoded table at most.
const QUEUES_MAX: usize = 1 << 20;

/// One queue of `ConsumeStats`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OffsetWrapper {
    pub broker_offset: i64,
    pub consumer_offset: i64,
    pub last_timestamp: i64,
}

/// One queue of `TopicStatsTable`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
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

impl ConsumeStats {
    /// Reads fastjson's shape (object keys); unknown fields are skipped.
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        let mut stats = ConsumeStats::default();
        let mut cursor = Cursor::new(bytes, "ConsumeStats");
        cursor.fields(|cursor, field| {
            match field.as_str() {
                "consumeTps" => stats.consume_tps = cursor.value()?,
                "offsetTable" => stats.offset_table = cursor.queue_map()?,
                _ => cursor.value::<serde_json::Value>().map(drop)?,
            }
            Ok(())
        })?;
        Ok(stats)
    }
}

impl TopicStatsTable {
    /// Reads fastjson's shape (object keys); unknown fields are skipped.
    pub fn decode(bytes: &[u8]) -> Result<Self, BodyError> {
        let mut table = TopicStatsTable::default();
        let mut cursor = Cursor::new(bytes, "TopicStatsTable");
        cursor.fields(|cursor, field| {
            match field.as_str() {
                "offsetTable" => table.offset_table = cursor.queue_map()?,
                _ => cursor.value::<serde_json::Value>().map(drop)?,
            }
            Ok(())
        })?;
        Ok(table)
    }
}

/// A reader of JSON objects whose map keys may be objects; values are read with serde.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Cursor { bytes, at: 0, what }
    }

    fn error(&self, detail: impl Into<String>) -> BodyError {
        let detail = format!("{} at byte {}", detail.into(), self.at);
        BodyError::Json {
            what: self.what,
            detail,
        }
    }

    fn skip_ws(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    /// Consumes `byte` (after whitespace) if it is next.
    fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        let next = self.bytes.get(self.at) == Some(&byte);
        if next {
            self.at += 1;
        }
        next
    }

    fn expect(&mut self, byte: u8) -> Result<(), BodyError> {
        match self.eat(byte) {
            true => Ok(()),
            false => Err(self.error(format!("expected '{}'", byte as char))),
        }
    }

    /// One JSON value of type `T`.
    fn value<T: DeserializeOwned>(&mut self) -> Result<T, BodyError> {
        self.skip_ws();
        let rest = &self.bytes[self.at..];
        let mut stream = serde_json::Deserializer::from_slice(rest).into_iter::<T>();
        match stream.next() {
            Some(Ok(value)) => {
                self.at += stream.byte_offset();
                Ok(value)
            }
            Some(Err(e)) => Err(self.error(e.to_string())),
            None => Err(self.error("unexpected end")),
        }
    }

    /// `{"field": value, …}` with `each` reading each value.
    fn fields(
        &mut self,
        mut each: impl FnMut(&mut Self, String) -> Result<(), BodyError>,
    ) -> Result<(), BodyError> {
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Ok(());
        }
        loop {
            let field: String = self.value()?;
            self.expect(b':')?;
            each(self, field)?;
            if self.eat(b'}') {
                return Ok(());
            }
            self.expect(b',')?;
        }
    }

    /// `{{queue}:value, …}`.
    fn queue_map<V: DeserializeOwned>(&mut self) -> Result<BTreeMap<MessageQueue, V>, BodyError> {
        let mut map = BTreeMap::new();
        self.expect(b'{')?;
        if self.eat(b'}') {
            return Ok(map);
        }
        loop {
            if map.len() == QUEUES_MAX {
                let (what, len, max) = (self.what, map.len() + 1, QUEUES_MAX);
                return Err(BodyError::TooLarge { what, len, max });
            }
            let queue: MessageQueue = self.value()?;
            self.expect(b':')?;
            map.insert(queue, self.value()?);
            if self.eat(b'}') {
                return Ok(map);
            }
            self.expect(b',')?;
        }
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

    #[test]
    fn decodes_what_a_java_broker_writes() {
        // As fastjson writes it, with an extra field and whitespace a pretty printer adds.
        let text = br#"{"consumeTps":12.5,"offsetTable":{{"brokerName":"broker-a","queueId":1,"topic":"T"}:{"brokerOffset":9,"consumerOffset":7,"lastTimestamp":1700000000000},
            {"brokerName":"broker-a","queueId":0,"topic":"T"} : {"brokerOffset":5,"consumerOffset":5,"lastTimestamp":0}},"extra":[1,{"a":2}]}"#;
        let stats = ConsumeStats::decode(text).expect("decodes");
        assert_eq!(stats.consume_tps, 12.5);
        let rows: Vec<(i32, i64, i64)> = (stats.offset_table.iter())
            .map(|(q, o)| (q.queue_id, o.broker_offset, o.consumer_offset))
            .collect();
        assert_eq!(rows, [(0, 5, 5), (1, 9, 7)]);
        let table = TopicStatsTable::decode(
            br#"{"offsetTable":{{"brokerName":"b","queueId":3,"topic":"T"}:{"lastUpdateTimestamp":0,"maxOffset":4,"minOffset":1}}}"#,
        )
        .expect("decodes");
        let (queue, offsets) = table.offset_table.iter().next().expect("one");
        assert_eq!(
            (queue.queue_id, offsets.min_offset, offsets.max_offset),
            (3, 1, 4)
        );
        assert_eq!(
            ConsumeStats::decode(b"{}").expect("empty"),
            ConsumeStats::default()
        );
    }

    #[test]
    fn malformed_tables_are_errors() {
        for bad in [
            &b""[..],
            b"{",
            b"{\"offsetTable\":{{\"brokerName\":\"b\"}",
            b"{\"offsetTable\":{{\"brokerName\":\"b\",\"queueId\":0,\"topic\":\"T\"} {}}}",
            b"{\"offsetTable\":[1]}",
            b"[]",
        ] {
            assert!(
                ConsumeStats::decode(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = ConsumeStats::decode(&bytes);
            let _ = TopicStatsTable::decode(&bytes);
        }
    }
}
