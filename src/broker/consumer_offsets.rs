//! Committed consumer offsets (§2.3, §6.3): `topic@group` → queue id → next offset to consume.
//! In memory; the driver saves it as `config/consumerOffset.json` every
//! `flushConsumerOffsetInterval` (5 s) and at shutdown, so a crash loses at most 5 s of commits
//! (consumers then re-consume: at-least-once). Bounded by `entries_max` (topic-group-queue
//! triples); a commit for a new triple over the bound is dropped.

use std::collections::BTreeMap;

use crate::store::metadata::ConsumerOffsets;

#[derive(Debug)]
pub struct ConsumerOffsetTable {
    table: BTreeMap<String, BTreeMap<i32, i64>>,
    entries: usize,
    entries_max: usize,
    /// Changed since the last snapshot taken for saving.
    dirty: bool,
}

fn key(topic: &str, group: &str) -> String {
    format!("{topic}@{group}")
}

impl ConsumerOffsetTable {
    pub fn new(entries_max: usize) -> Self {
        ConsumerOffsetTable {
            table: BTreeMap::new(),
            entries: 0,
            entries_max,
            dirty: false,
        }
    }

    /// The table as loaded from `consumerOffset.json`.
    pub fn from_file(file: ConsumerOffsets, entries_max: usize) -> Self {
        let entries = file.offset_table.values().map(BTreeMap::len).sum();
        ConsumerOffsetTable {
            table: file.offset_table,
            entries,
            entries_max,
            dirty: false,
        }
    }

    /// Takes every offset of `master` (a slave's metadata sync, Java's `putAll`): the
    /// master's entries win, entries only we have stay. Bounded like commits.
    pub fn merge(&mut self, master: ConsumerOffsets) {
        for (key, queues) in master.offset_table {
            let Some((topic, group)) = key.split_once('@') else {
                continue;
            };
            for (queue_id, offset) in queues {
                if self.query(group, topic, queue_id) != Some(offset) {
                    self.commit(group, topic, queue_id, offset);
                }
            }
        }
    }

    /// Records a commit. Returns false when refused by the bound.
    pub fn commit(&mut self, group: &str, topic: &str, queue_id: i32, offset: i64) -> bool {
        let queues = self.table.entry(key(topic, group)).or_default();
        if !queues.contains_key(&queue_id) {
            if self.entries >= self.entries_max {
                if queues.is_empty() {
                    self.table.remove(&key(topic, group));
                }
                return false;
            }
            self.entries += 1;
        }
        queues.insert(queue_id, offset);
        self.dirty = true;
        true
    }

    /// Records a commit only if it moves the offset forward (or is the first): for offsets
    /// piggy-backed on pulls, which are stale by nature — a pull sent before an explicit
    /// UPDATE_CONSUMER_OFFSET may be handled after it and must not move the group back.
    pub fn advance(&mut self, group: &str, topic: &str, queue_id: i32, offset: i64) -> bool {
        match self.query(group, topic, queue_id) {
            Some(current) if current >= offset => true,
            _ => self.commit(group, topic, queue_id, offset),
        }
    }

    pub fn query(&self, group: &str, topic: &str, queue_id: i32) -> Option<i64> {
        self.table.get(&key(topic, group))?.get(&queue_id).copied()
    }

    /// Groups with an offset for `topic`.
    pub fn groups_of_topic(&self, topic: &str) -> Vec<String> {
        let prefix = format!("{topic}@");
        self.table
            .keys()
            .filter_map(|k| k.strip_prefix(&prefix).map(str::to_string))
            .collect()
    }

    /// Topics `group` has offsets for.
    pub fn topics_of_group(&self, group: &str) -> Vec<String> {
        let suffix = format!("@{group}");
        self.table
            .keys()
            .filter_map(|k| k.strip_suffix(&suffix).map(str::to_string))
            .collect()
    }

    /// Forgets every offset of `topic` (the topic was deleted).
    pub fn remove_topic(&mut self, topic: &str) {
        let prefix = format!("{topic}@");
        let before = self.table.len();
        self.table.retain(|k, _| !k.starts_with(&prefix));
        if self.table.len() != before {
            self.entries = self.table.values().map(BTreeMap::len).sum();
            self.dirty = true;
        }
    }

    /// The file's content; clears the dirty mark.
    pub fn snapshot(&mut self) -> ConsumerOffsets {
        self.dirty = false;
        ConsumerOffsets {
            offset_table: self.table.clone(),
        }
    }

    /// The table without touching the dirty mark (for queries).
    pub fn snapshot_clean(&self) -> BTreeMap<String, BTreeMap<i32, i64>> {
        self.table.clone()
    }

    pub fn is_dirty(&self) -> bool {
        self.dirty
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_query_bound_and_snapshot() {
        let mut table = ConsumerOffsetTable::new(2);
        assert!(table.commit("G", "T", 0, 5));
        assert!(table.commit("G", "T", 0, 7));
        assert!(table.commit("G", "U", 1, 1));
        assert!(!table.commit("H", "T", 0, 1));
        assert_eq!(table.query("G", "T", 0), Some(7));
        assert_eq!(table.query("H", "T", 0), None);
        assert_eq!(table.groups_of_topic("T"), vec!["G"]);
        assert_eq!(table.topics_of_group("G"), vec!["T", "U"]);
        assert!(table.is_dirty());
        let file = table.snapshot();
        assert!(!table.is_dirty());
        assert_eq!(file.offset_table["T@G"][&0], 7);
        table.remove_topic("T");
        assert!(table.commit("H", "T", 0, 1));
    }

    #[test]
    fn advance_only_moves_forward_commit_moves_anywhere() {
        let mut table = ConsumerOffsetTable::new(10);
        assert!(table.advance("G", "T", 0, 5));
        assert_eq!(table.query("G", "T", 0), Some(5));
        assert!(table.advance("G", "T", 0, 3));
        assert_eq!(
            table.query("G", "T", 0),
            Some(5),
            "a stale pull offset is ignored"
        );
        assert!(table.advance("G", "T", 0, 9));
        assert_eq!(table.query("G", "T", 0), Some(9));
        assert!(table.commit("G", "T", 0, 2));
        assert_eq!(
            table.query("G", "T", 0),
            Some(2),
            "an explicit commit may reset"
        );
    }
}
