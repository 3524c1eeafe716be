//! Consumer offsets in memory (Java's `RemoteBrokerOffsetStore` / `LocalFileOffsetStore`
//! tables) and the local file of broadcasting consumers.
//!
//! Sans-IO: the table is updated as batches finish and read when pulls piggy-back the commit
//! offset; the consumer's driver pushes it to the broker (clustering: UPDATE_CONSUMER_OFFSET
//! every 5 s, on queue removal and on shutdown) or writes the file (broadcasting, through the
//! `Fs` seam's atomic write), and reads the broker or the file for queues it has no entry for.
//!
//! File format: `{"offsetTable":[{"brokerName":…,"queueId":…,"topic":…,"offset":…},…]}`.
//! Java writes a fastjson map with object keys instead; the file is private to one client,
//! so we use a shape serde can read back strictly.

use crate::protocol::body::MessageQueue;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest offset file read back.
pub const FILE_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Committed offsets by queue.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OffsetTable {
    offsets: BTreeMap<MessageQueue, i64>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Entry {
    broker_name: String,
    queue_id: i32,
    topic: String,
    offset: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileBody {
    offset_table: Vec<Entry>,
}

impl OffsetTable {
    pub fn new() -> Self {
        OffsetTable::default()
    }

    pub fn get(&self, queue: &MessageQueue) -> Option<i64> {
        self.offsets.get(queue).copied()
    }

    /// Sets the offset of `queue`; with `increase_only`, never moves it backwards (a batch
    /// finishing late must not undo a later batch's progress).
    pub fn update(&mut self, queue: &MessageQueue, offset: i64, increase_only: bool) {
        let entry = self.offsets.entry(queue.clone()).or_insert(offset);
        if !increase_only || offset > *entry {
            *entry = offset;
        }
    }

    pub fn remove(&mut self, queue: &MessageQueue) {
        self.offsets.remove(queue);
    }

    /// Every entry, in queue order.
    pub fn entries(&self) -> Vec<(MessageQueue, i64)> {
        self.offsets.iter().map(|(q, o)| (q.clone(), *o)).collect()
    }

    /// The broadcasting file's bytes.
    pub fn encode_file(&self) -> Vec<u8> {
        let body = FileBody {
            offset_table: (self.offsets.iter())
                .map(|(q, o)| Entry {
                    broker_name: q.broker_name.clone(),
                    queue_id: q.queue_id,
                    topic: q.topic.clone(),
                    offset: *o,
                })
                .collect(),
        };
        serde_json::to_vec(&body).expect("offsets serialize")
    }

    /// Reads a broadcasting file; None when it is not ours or corrupt.
    pub fn decode_file(bytes: &[u8]) -> Option<OffsetTable> {
        if bytes.len() > FILE_BYTES_MAX {
            return None;
        }
        let body: FileBody = serde_json::from_slice(bytes).ok()?;
        let offsets = (body.offset_table.into_iter())
            .map(|e| {
                let q = MessageQueue {
                    broker_name: e.broker_name,
                    queue_id: e.queue_id,
                    topic: e.topic,
                };
                (q, e.offset)
            })
            .collect();
        Some(OffsetTable { offsets })
    }
}

/// Where a broadcasting consumer keeps its offsets: `<dir>/<client id>/<group>/offsets.json`
/// (Java's `LocalFileOffsetStore` path under `rocketmq.client.localOffsetStoreDir`).
pub fn local_file(dir: &Path, client_id: &str, group: &str) -> PathBuf {
    dir.join(client_id.replace(':', "_"))
        .join(group)
        .join("offsets.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mq(id: i32) -> MessageQueue {
        MessageQueue {
            broker_name: "b".into(),
            queue_id: id,
            topic: "T".into(),
        }
    }

    #[test]
    fn increase_only_never_moves_back() {
        let mut t = OffsetTable::new();
        t.update(&mq(0), 5, true);
        t.update(&mq(0), 3, true);
        assert_eq!(t.get(&mq(0)), Some(5));
        t.update(&mq(0), 3, false);
        assert_eq!(t.get(&mq(0)), Some(3));
    }

    #[test]
    fn file_round_trip() {
        let mut t = OffsetTable::new();
        t.update(&mq(1), 10, false);
        t.update(&mq(0), 7, false);
        let bytes = t.encode_file();
        assert_eq!(OffsetTable::decode_file(&bytes), Some(t));
        assert_eq!(OffsetTable::decode_file(b"{garbage"), None);
    }
}
