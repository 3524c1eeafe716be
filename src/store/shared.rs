//! The state every part of a running store shares: the log, the consume queues, the index,
//! the dispatcher's position and the wake-ups between the writer and the background tasks.

use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use tokio::sync::{oneshot, Notify};

use super::checkpoint::Checkpoint;
use super::commitlog::{CommitLog, QueueKey};
use super::config::StoreConfig;
use super::consume_queue::ConsumeQueue;
use super::index::Index;
use super::lock::StoreLock;
use super::metadata::MetadataCell;
use crate::env::Env;

/// A SYNC_FLUSH put waiting for `[.., target)` to be durable.
pub(crate) struct FlushWaiter {
    pub target: u64,
    pub done: oneshot::Sender<()>,
}

pub(crate) struct Shared<E: Env> {
    pub env: E,
    pub config: StoreConfig,
    pub log: CommitLog<E>,
    pub queues: RwLock<BTreeMap<QueueKey, Arc<ConsumeQueue<E>>>>,
    pub index: Index<E>,
    /// The dispatcher's position in the log: every record below it is in the queues and index.
    pub reput: AtomicU64,
    /// The dispatcher builds entries only for records ending at or before this offset (the
    /// AutoSwitch confirm offset, §5.8); `u64::MAX` = no limit. See `truncate`.
    pub dispatch_limit: AtomicU64,
    /// Held by whoever dispatches (the dispatcher task, `flush_now`, shutdown) and by a
    /// truncation, so that no record of a cut tail is dispatched while it is being cut.
    pub dispatch_gate: tokio::sync::Mutex<()>,
    /// Held by `flush_log` and by a truncation: a sync in flight never sets `flushed` past a
    /// cut made meanwhile.
    pub flush_gate: tokio::sync::Mutex<()>,
    /// A truncation is running: appends are refused (`NotWritable`) until it ends.
    pub truncating: AtomicBool,
    pub dispatch_wake: Notify,
    pub flush_wake: Notify,
    pub waiters: Mutex<Vec<FlushWaiter>>,
    pub checkpoint: Mutex<Checkpoint>,
    /// Set by shutdown: background loops finish their round and stop.
    pub stopping: AtomicBool,
    /// Set by cleanup above the disk-full ratio: puts are refused.
    pub disk_full: AtomicBool,
    /// Disk usage in percent, as cleanup last measured it.
    pub used_pct: AtomicU64,
    /// The dispatcher hit a record it could not read in the live log and stopped.
    pub dispatch_stalled: AtomicBool,
    /// topics, consumer offsets, subscription groups, delay offsets (`config/*.json`).
    pub metadata: MetadataCell,
    /// The `lock` file's lease.
    pub lock: StoreLock,
    /// Told `(topic, queue id, queue max offset)` after each queued record is dispatched
    /// (the broker's long polling wakes held pulls with it).
    pub arrival: Mutex<Option<ArrivalListener>>,
}

/// See [`Shared::arrival`].
pub type ArrivalListener = Arc<dyn Fn(&str, i32, u64) + Send + Sync>;

impl<E: Env> Shared<E> {
    /// The consume queue of `key`, opened (and created on disk) on first use.
    pub fn queue(&self, key: &QueueKey) -> io::Result<Arc<ConsumeQueue<E>>> {
        if let Some(q) = self.queues.read().get(key) {
            return Ok(q.clone());
        }
        let mut queues = self.queues.write();
        if let Some(q) = queues.get(key) {
            return Ok(q.clone());
        }
        let dir = self
            .config
            .consume_queue_dir()
            .join(&key.0)
            .join(key.1.to_string());
        let queue = Arc::new(ConsumeQueue::open(
            self.env.clone(),
            dir,
            &key.0,
            key.1,
            self.config.consume_queue_entries_per_segment,
        )?);
        queues.insert(key.clone(), queue.clone());
        Ok(queue)
    }

    pub fn existing_queue(&self, key: &QueueKey) -> Option<Arc<ConsumeQueue<E>>> {
        self.queues.read().get(key).cloned()
    }

    pub fn all_queues(&self) -> Vec<Arc<ConsumeQueue<E>>> {
        self.queues.read().values().cloned().collect()
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }
}
