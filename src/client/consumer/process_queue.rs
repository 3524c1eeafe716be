//! The process queue (Java's `ProcessQueue`): what one consumer holds of one assigned queue.
//!
//! Sans-IO. Owns: the messages pulled and not yet consumed, by queue offset; their count and
//! body bytes (flow control: a queue at or over either threshold is not pulled); the next
//! offset to pull; the dropped flag (set when the queue is taken away: nothing of it may be
//! committed afterwards); the broker lock state of orderly consumption; and, in orderly mode,
//! the messages taken for the batch being consumed (`consuming`, Java's
//! `consumingMsgOrderlyTreeMap`).
//!
//! Offset rule (Java's `removeMessage`): the offset to commit after a batch is the smallest
//! offset still held, or one past the largest offset ever held when nothing is left. So a slow
//! message holds the committed offset back, and a restart re-delivers from it (at-least-once).
//!
//! Invariants: `count == held.len() + consuming.len()`; `bytes` is the sum of their body
//! lengths; an offset is in at most one of the two maps.

use super::config::ReceivedMessage;
use crate::env::Instant;
use std::collections::BTreeMap;
use std::time::Duration;

/// Counts a caller may want to observe (tests, scenarios).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueueStats {
    /// Messages pulled and not yet consumed.
    pub count: usize,
    /// Their body bytes.
    pub bytes: u64,
    /// The next offset to pull.
    pub next_pull_offset: i64,
    /// Orderly mode: the broker lock is held (as far as we know).
    pub locked: bool,
}

#[derive(Debug, Default)]
pub struct ProcessQueue {
    held: BTreeMap<i64, ReceivedMessage>,
    consuming: BTreeMap<i64, ReceivedMessage>,
    bytes: u64,
    /// Largest offset ever put, −1 before the first.
    offset_max: i64,
    next_pull_offset: i64,
    dropped: bool,
    locked: bool,
    last_lock: Option<Instant>,
}

fn body_len(m: &ReceivedMessage) -> u64 {
    m.record.body.len() as u64
}

impl ProcessQueue {
    /// A queue to be pulled from `start_offset`.
    pub fn new(start_offset: i64) -> Self {
        ProcessQueue {
            offset_max: -1,
            next_pull_offset: start_offset,
            ..ProcessQueue::default()
        }
    }

    pub fn stats(&self) -> QueueStats {
        QueueStats {
            count: self.count(),
            bytes: self.bytes,
            next_pull_offset: self.next_pull_offset,
            locked: self.locked,
        }
    }

    pub fn count(&self) -> usize {
        self.held.len() + self.consuming.len()
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    pub fn next_pull_offset(&self) -> i64 {
        self.next_pull_offset
    }

    pub fn set_next_pull_offset(&mut self, offset: i64) {
        self.next_pull_offset = offset;
    }

    pub fn is_dropped(&self) -> bool {
        self.dropped
    }

    pub fn mark_dropped(&mut self) {
        self.dropped = true;
    }

    /// Whether pulling must wait: at or over the message or byte threshold.
    pub fn flow_blocked(&self, count_max: usize, bytes_max: u64) -> bool {
        self.count() >= count_max || self.bytes >= bytes_max
    }

    /// Adds pulled messages; an offset already held is ignored. Returns the messages added.
    pub fn put(&mut self, messages: Vec<ReceivedMessage>) -> Vec<ReceivedMessage> {
        let mut added = Vec::with_capacity(messages.len());
        for m in messages {
            let offset = m.queue_offset();
            if self.held.contains_key(&offset) || self.consuming.contains_key(&offset) {
                continue;
            }
            self.bytes += body_len(&m);
            self.offset_max = self.offset_max.max(offset);
            self.held.insert(offset, m.clone());
            added.push(m);
        }
        added
    }

    /// Removes consumed messages (concurrent mode, lite poll); returns the offset to commit,
    /// None when nothing was ever held.
    pub fn remove(&mut self, offsets: &[i64]) -> Option<i64> {
        for offset in offsets {
            if let Some(m) = self.held.remove(offset) {
                self.bytes -= body_len(&m);
            }
        }
        self.commit_point()
    }

    /// The offset to commit now: the smallest held, or one past the largest ever held.
    pub fn commit_point(&self) -> Option<i64> {
        let smallest = [self.held.keys().next(), self.consuming.keys().next()]
            .into_iter()
            .flatten()
            .min()
            .copied();
        match smallest {
            Some(offset) => Some(offset),
            None if self.offset_max >= 0 => Some(self.offset_max + 1),
            None => None,
        }
    }

    /// The first `n` held messages in offset order, without taking them (lite poll).
    pub fn peek_first(&self, n: usize) -> Vec<ReceivedMessage> {
        self.held.values().take(n).cloned().collect()
    }

    /// Orderly: takes up to `n` messages in offset order for consumption.
    pub fn take_ordered(&mut self, n: usize) -> Vec<ReceivedMessage> {
        let offsets: Vec<i64> = self.held.keys().take(n).copied().collect();
        let mut taken = Vec::with_capacity(offsets.len());
        for offset in offsets {
            let m = self.held.remove(&offset).expect("key just listed");
            self.consuming.insert(offset, m.clone());
            taken.push(m);
        }
        taken
    }

    /// Orderly: the taken batch is consumed; returns the offset to commit (one past it).
    pub fn commit_ordered(&mut self) -> Option<i64> {
        let last = self.consuming.keys().next_back().copied()?;
        let consumed = std::mem::take(&mut self.consuming);
        for m in consumed.values() {
            self.bytes -= body_len(m);
        }
        Some(last + 1)
    }

    /// Orderly: the taken batch goes back to be consumed again, its reconsume count raised.
    pub fn rollback_ordered(&mut self) {
        let consuming = std::mem::take(&mut self.consuming);
        for (offset, mut m) in consuming {
            m.reconsume_times = m.reconsume_times.saturating_add(1);
            self.held.insert(offset, m);
        }
    }

    /// Forgets everything held and restarts pulling at `offset` (lite `seek`).
    pub fn reset(&mut self, offset: i64) {
        self.held.clear();
        self.consuming.clear();
        self.bytes = 0;
        self.offset_max = -1;
        self.next_pull_offset = offset;
    }

    /// Orderly: the broker answered our lock request (`at` is now).
    pub fn set_locked(&mut self, locked: bool, at: Instant) {
        self.locked = locked;
        if locked {
            self.last_lock = Some(at);
        }
    }

    /// Orderly: locked and renewed within `max_live`.
    pub fn lock_valid(&self, now: Instant, max_live: Duration) -> bool {
        self.locked && self.last_lock.is_some_and(|at| now - at <= max_live)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::body::MessageQueue;
    use crate::protocol::properties::Properties;
    use crate::protocol::record::MessageRecord;
    use crate::protocol::sysflag::SysFlag;
    use bytes::Bytes;

    fn msg(offset: i64, body: &'static str) -> ReceivedMessage {
        let addr = "10.0.0.1:1".parse().unwrap();
        ReceivedMessage {
            queue: MessageQueue {
                broker_name: "b".into(),
                queue_id: 0,
                topic: "T".into(),
            },
            record: MessageRecord {
                queue_id: 0,
                flag: 0,
                queue_offset: offset as u64,
                physical_offset: 0,
                sys_flag: SysFlag::default(),
                born_timestamp_ms: 0,
                born_host: addr,
                store_timestamp_ms: 0,
                store_host: addr,
                reconsume_times: 0,
                prepared_transaction_offset: 0,
                body: Bytes::from_static(body.as_bytes()),
                topic: "T".into(),
                properties: Properties::new(),
            },
            reconsume_times: 0,
        }
    }

    #[test]
    fn commit_point_is_smallest_in_flight_then_past_max() {
        let mut pq = ProcessQueue::new(0);
        assert_eq!(pq.commit_point(), None);
        pq.put(vec![msg(3, "a"), msg(4, "bb"), msg(5, "ccc")]);
        assert_eq!((pq.count(), pq.bytes()), (3, 6));
        assert_eq!(pq.remove(&[4]), Some(3));
        assert_eq!(pq.remove(&[5]), Some(3));
        assert_eq!(pq.remove(&[3]), Some(6));
        assert_eq!((pq.count(), pq.bytes()), (0, 0));
    }

    #[test]
    fn duplicates_ignored_and_flow_control_thresholds() {
        let mut pq = ProcessQueue::new(0);
        assert_eq!(pq.put(vec![msg(1, "x"), msg(1, "x")]).len(), 1);
        assert!(!pq.flow_blocked(2, 100));
        pq.put(vec![msg(2, "y")]);
        assert!(pq.flow_blocked(2, 100));
        assert!(pq.flow_blocked(10, 2));
    }

    #[test]
    fn orderly_take_commit_and_rollback() {
        let mut pq = ProcessQueue::new(0);
        pq.put(vec![msg(7, "a"), msg(8, "b"), msg(9, "c")]);
        let batch = pq.take_ordered(2);
        assert_eq!(
            batch.iter().map(|m| m.queue_offset()).collect::<Vec<_>>(),
            [7, 8]
        );
        assert_eq!(pq.commit_point(), Some(7));
        pq.rollback_ordered();
        let again = pq.take_ordered(2);
        assert_eq!(again[0].reconsume_times, 1);
        assert_eq!(pq.commit_ordered(), Some(9));
        assert_eq!((pq.count(), pq.bytes()), (1, 1));
    }

    #[test]
    fn lock_expires_without_renewal() {
        let mut pq = ProcessQueue::new(0);
        let t0 = Instant::from_origin(Duration::from_secs(10));
        let live = Duration::from_secs(30);
        assert!(!pq.lock_valid(t0, live));
        pq.set_locked(true, t0);
        assert!(pq.lock_valid(t0 + Duration::from_secs(30), live));
        assert!(!pq.lock_valid(t0 + Duration::from_secs(31), live));
    }
}
