//! The orderly-consumption lock table (§6.5, Java's `RebalanceLockManager`), sans-IO: per
//! (consumer group, queue), the client that holds it and when it last locked it.
//!
//! A lock is free when absent or older than `lock_max_live` (60 s). LOCK_BATCH_MQ takes every
//! queue that is free, expired or already the caller's (refreshing it) and answers the set the
//! caller now holds; UNLOCK_BATCH_MQ releases only the caller's own locks. Bounded by
//! `locks_max`: a lock that would exceed it is not granted.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::env::Instant;
use crate::protocol::body::MessageQueue;

#[derive(Clone, Debug, PartialEq, Eq)]
struct Lock {
    client_id: String,
    last_locked: Instant,
}

#[derive(Debug)]
pub struct LockTable {
    locks: BTreeMap<(String, MessageQueue), Lock>,
    lock_max_live: Duration,
    locks_max: usize,
}

impl LockTable {
    pub fn new(lock_max_live: Duration, locks_max: usize) -> Self {
        LockTable {
            locks: BTreeMap::new(),
            lock_max_live,
            locks_max,
        }
    }

    /// Locks what it can for `client_id`; returns the queues the client holds afterwards.
    pub fn lock_batch(
        &mut self,
        group: &str,
        queues: &BTreeSet<MessageQueue>,
        client_id: &str,
        now: Instant,
    ) -> BTreeSet<MessageQueue> {
        let mut held = BTreeSet::new();
        for queue in queues {
            let key = (group.to_string(), queue.clone());
            let free = match self.locks.get(&key) {
                None => self.locks.len() < self.locks_max,
                Some(lock) => lock.client_id == client_id || self.expired(lock, now),
            };
            if free {
                let lock = Lock {
                    client_id: client_id.to_string(),
                    last_locked: now,
                };
                self.locks.insert(key, lock);
                held.insert(queue.clone());
            }
        }
        held
    }

    /// Releases the queues `client_id` holds among `queues`.
    pub fn unlock_batch(&mut self, group: &str, queues: &BTreeSet<MessageQueue>, client_id: &str) {
        for queue in queues {
            let key = (group.to_string(), queue.clone());
            if self
                .locks
                .get(&key)
                .is_some_and(|l| l.client_id == client_id)
            {
                self.locks.remove(&key);
            }
        }
    }

    /// Who holds the queue now, if anyone (expired locks hold nothing).
    pub fn owner(&self, group: &str, queue: &MessageQueue, now: Instant) -> Option<&str> {
        let lock = self.locks.get(&(group.to_string(), queue.clone()))?;
        (!self.expired(lock, now)).then_some(lock.client_id.as_str())
    }

    /// Drops expired locks (housekeeping, so that the table does not fill with dead ones).
    pub fn on_tick(&mut self, now: Instant) {
        let max = self.lock_max_live;
        self.locks
            .retain(|_, lock| now.saturating_duration_since(lock.last_locked) <= max);
    }

    fn expired(&self, lock: &Lock, now: Instant) -> bool {
        now.saturating_duration_since(lock.last_locked) > self.lock_max_live
    }
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

    fn at(secs: u64) -> Instant {
        Instant::from_origin(Duration::from_secs(secs))
    }

    fn set(ids: &[i32]) -> BTreeSet<MessageQueue> {
        ids.iter().map(|&i| mq(i)).collect()
    }

    #[test]
    fn lock_is_exclusive_until_expiry_and_owner_may_refresh() {
        let mut table = LockTable::new(Duration::from_secs(60), 100);
        assert_eq!(
            table.lock_batch("G", &set(&[0, 1]), "c1", at(0)),
            set(&[0, 1])
        );
        assert_eq!(
            table.lock_batch("G", &set(&[1, 2]), "c2", at(10)),
            set(&[2])
        );
        // Another group is independent.
        assert_eq!(table.lock_batch("H", &set(&[1]), "c2", at(10)), set(&[1]));
        // c1 refreshes queue 0 at 50 s; queue 1 expires at 60 s.
        assert_eq!(table.lock_batch("G", &set(&[0]), "c1", at(50)), set(&[0]));
        assert_eq!(
            table.lock_batch("G", &set(&[0, 1]), "c2", at(61)),
            set(&[1])
        );
        assert_eq!(table.owner("G", &mq(0), at(61)), Some("c1"));
    }

    #[test]
    fn only_the_owner_unlocks() {
        let mut table = LockTable::new(Duration::from_secs(60), 100);
        table.lock_batch("G", &set(&[0]), "c1", at(0));
        table.unlock_batch("G", &set(&[0]), "c2");
        assert_eq!(table.owner("G", &mq(0), at(1)), Some("c1"));
        table.unlock_batch("G", &set(&[0]), "c1");
        assert_eq!(table.owner("G", &mq(0), at(1)), None);
        assert_eq!(table.lock_batch("G", &set(&[0]), "c2", at(2)), set(&[0]));
    }

    #[test]
    fn the_table_is_bounded() {
        let mut table = LockTable::new(Duration::from_secs(60), 1);
        assert_eq!(table.lock_batch("G", &set(&[0, 1]), "c1", at(0)), set(&[0]));
        table.on_tick(at(61));
        assert_eq!(table.lock_batch("G", &set(&[1]), "c1", at(61)), set(&[1]));
    }
}
