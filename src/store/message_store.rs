//! `MessageStore`: the store a broker uses. Opening takes the `lock` file (see `lock`), writes
//! the abort file, recovers (§4.6) and starts the background
//! tasks (dispatcher, CommitLog flush, logics flush, cleanup); `shutdown` stops them, flushes
//! everything and removes the abort file.
//!
//! Durability model (see `flush`): under SYNC_FLUSH a put that returns `PutStatus::Ok` with
//! `WAIT` true is durable (survives power loss); under ASYNC_FLUSH a successful put survives a
//! process kill (page cache), and a power loss may lose an unflushed suffix of the log — never
//! a middle part, since recovery keeps the longest valid prefix. A record is served only after
//! passing every check of `check` (CRC when `check_crc_on_read`).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::{oneshot, Notify};

use super::checkpoint::Checkpoint;
use super::cleanup::{clean_round, CleanReport};
use super::commitlog::{Appended, CommitLog, ReplicaAppended};
use super::config::{FlushMode, StoreConfig};
use super::consume_queue::CqRead;
use super::dispatch::dispatch_limited;
use super::error::{PutError, PutStatus, ReadError, ReplicaError, StoreError};
use super::flush::{complete_waiters, flush_log, flush_logics};
use super::index::Index;
use super::lock::StoreLock;
use super::message::PutMessage;
use super::metadata::{Metadata, MetadataCell};
use super::recovery::{recover, RecoveryReport};
use super::segments::Segments;
use super::shared::{FlushWaiter, Shared};
use crate::env::{Env, Task};
use crate::protocol::record::MessageRecord;

/// A stored append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutResult {
    pub status: PutStatus,
    pub appended: Appended,
}

/// A running store. Cheap to clone.
pub struct MessageStore<E: Env> {
    pub(super) shared: Arc<Shared<E>>,
    tasks: Arc<Mutex<Vec<E::Task>>>,
    report: RecoveryReport,
}

impl<E: Env> Clone for MessageStore<E> {
    fn clone(&self) -> Self {
        MessageStore {
            shared: self.shared.clone(),
            tasks: self.tasks.clone(),
            report: self.report.clone(),
        }
    }
}

impl<E: Env> MessageStore<E> {
    /// Opens the store at `config.root`: recovers, writes the abort file, starts the tasks.
    pub async fn open(env: E, config: StoreConfig) -> Result<Self, StoreError> {
        env.create_dir_all(&config.root)
            .map_err(StoreError::io("create store root"))?;
        let segments = Segments::open(
            env.clone(),
            config.commitlog_dir(),
            config.commitlog_segment_bytes,
        )
        .map_err(StoreError::io("open commitlog"))?;
        let log = CommitLog::new(
            segments,
            config.store_host,
            config.body_bytes_max,
            config.batch_messages_max,
        );
        let abnormal = env.exists(&config.abort_path());
        let lock = StoreLock::acquire(
            &env,
            &config.lock_path(),
            &config.abort_path(),
            abnormal,
            config.lock_refresh_interval_ms,
        )
        .await?;
        let metadata = Metadata::load(&env, &config.config_dir())?;
        let index = Index::open(
            env.clone(),
            config.index_dir(),
            config.index_slots,
            config.index_entries_max,
            abnormal,
        )
        .map_err(StoreError::io("open index"))?;
        let shared = Arc::new(Shared {
            env: env.clone(),
            config,
            log,
            queues: Default::default(),
            index,
            reput: AtomicU64::new(0),
            dispatch_limit: AtomicU64::new(u64::MAX),
            dispatch_gate: tokio::sync::Mutex::new(()),
            flush_gate: tokio::sync::Mutex::new(()),
            truncating: AtomicBool::new(false),
            dispatch_wake: Notify::new(),
            flush_wake: Notify::new(),
            waiters: Mutex::new(Vec::new()),
            checkpoint: Mutex::new(Checkpoint::default()),
            stopping: AtomicBool::new(false),
            disk_full: AtomicBool::new(false),
            used_pct: AtomicU64::new(0),
            dispatch_stalled: AtomicBool::new(false),
            metadata: MetadataCell::new(metadata),
            lock,
            arrival: Mutex::new(None),
        });
        let report = recover(&shared, abnormal).await?;
        // Make the recovered state the durable baseline before taking writes.
        flush_logics(&shared, 0)
            .await
            .map_err(StoreError::io("checkpoint after recovery"))?;
        clean_round(&shared, env.now_millis(), false).map_err(StoreError::io("cleanup"))?;
        let tasks = vec![
            env.spawn("store-dispatch", super::dispatch::run(shared.clone())),
            env.spawn("store-flush", super::flush::run_log(shared.clone())),
            env.spawn(
                "store-flush-logics",
                super::flush::run_logics(shared.clone()),
            ),
            env.spawn("store-cleanup", super::cleanup::run(shared.clone())),
            env.spawn("store-metadata", run_metadata(shared.clone())),
            env.spawn("store-lock", run_lock(shared.clone())),
        ];
        Ok(MessageStore {
            shared,
            tasks: Arc::new(Mutex::new(tasks)),
            report,
        })
    }

    /// Calls `listener(topic, queue_id, queue_max_offset)` whenever the dispatcher has made a
    /// new record of that queue readable (replaces any earlier listener).
    pub fn set_arrival_listener(&self, listener: impl Fn(&str, i32, u64) + Send + Sync + 'static) {
        *self.shared.arrival.lock() = Some(Arc::new(listener));
    }

    /// What recovery did when this store opened.
    pub fn recovery_report(&self) -> &RecoveryReport {
        &self.report
    }

    pub fn config(&self) -> &StoreConfig {
        &self.shared.config
    }

    /// Appends one message.
    pub async fn put(&self, message: PutMessage) -> Result<PutResult, PutError> {
        let wait = message.properties.wait_store_msg_ok();
        self.put_all(std::slice::from_ref(&message), wait).await
    }

    /// Appends a batch of one topic-queue, contiguously, with consecutive queue offsets.
    pub async fn put_batch(&self, messages: &[PutMessage]) -> Result<PutResult, PutError> {
        let wait = messages
            .first()
            .is_none_or(|m| m.properties.wait_store_msg_ok());
        self.put_all(messages, wait).await
    }

    async fn put_all(&self, messages: &[PutMessage], wait: bool) -> Result<PutResult, PutError> {
        let s = &self.shared;
        if s.is_stopping() || s.truncating.load(Ordering::Acquire) {
            return Err(PutError::NotWritable);
        }
        if s.disk_full.load(Ordering::Acquire) {
            return Err(PutError::DiskFull {
                used_pct: s.used_pct.load(Ordering::Acquire),
                limit_pct: s.config.disk_full_ratio_pct,
            });
        }
        let now = s.env.now_millis() as i64;
        let appended = s.log.append(messages, now)?;
        s.dispatch_wake.notify_one();
        let status = match s.config.flush_mode {
            FlushMode::Sync if wait && !s.config.ack_before_sync_for_tests => {
                self.wait_durable(appended.end_offset).await
            }
            FlushMode::Sync => {
                s.flush_wake.notify_one();
                PutStatus::Ok
            }
            FlushMode::Async => PutStatus::Ok,
        };
        Ok(PutResult { status, appended })
    }

    async fn wait_durable(&self, target: u64) -> PutStatus {
        let s = &self.shared;
        if s.log.flushed_offset() >= target {
            return PutStatus::Ok;
        }
        let (done, durable) = oneshot::channel();
        s.waiters.lock().push(FlushWaiter { target, done });
        s.flush_wake.notify_one();
        let timeout = Duration::from_millis(s.config.sync_flush_timeout_ms);
        match s.env.timeout(timeout, durable).await {
            Ok(Ok(())) => PutStatus::Ok,
            _ => PutStatus::FlushDiskTimeout,
        }
    }

    /// Appends bytes replicated from the master at their physical offset (a slave's only
    /// write; see `CommitLog::append_replica`), then wakes the dispatcher and the flusher.
    pub fn append_replica(&self, start: u64, data: &[u8]) -> Result<ReplicaAppended, ReplicaError> {
        let s = &self.shared;
        if s.is_stopping() || s.truncating.load(Ordering::Acquire) {
            return Err(ReplicaError::NotWritable);
        }
        // An empty slave may start at a later file (the master's last): the dispatcher must
        // start there too, before any of it becomes visible.
        let empty_start = s.log.max_offset() == 0 && s.log.replica_end() == 0 && start > 0;
        if empty_start {
            s.reput.store(start, Ordering::Release);
        }
        let appended = match s.log.append_replica(start, data) {
            Ok(appended) => appended,
            Err(error) => {
                if empty_start {
                    // Nothing became visible: the dispatcher follows the log's (new) start.
                    s.reput.store(s.log.min_offset(), Ordering::Release);
                }
                return Err(error);
            }
        };
        s.dispatch_wake.notify_one();
        s.flush_wake.notify_one();
        Ok(appended)
    }

    /// End of the bytes received from a master (`max` plus a partially received record).
    pub fn replica_end(&self) -> u64 {
        self.shared.log.replica_end()
    }

    /// Up to `len_max` raw log bytes from `from`, within `max` and one segment (what a master
    /// streams to its slaves).
    pub fn read_raw(&self, from: u64, len_max: usize) -> Result<Bytes, ReadError> {
        self.shared.log.read_raw(from, len_max)
    }

    /// Size of one CommitLog file.
    pub fn commitlog_segment_bytes(&self) -> u64 {
        self.shared.log.segments().segment_bytes()
    }

    /// The verbatim bytes of the record at `physical_offset`.
    pub fn read(&self, physical_offset: u64) -> Result<Bytes, ReadError> {
        let crc = self.shared.config.check_crc_on_read;
        self.shared.log.read(physical_offset, crc)
    }

    /// The record at `physical_offset`, bytes and decoded.
    pub fn read_record(&self, physical_offset: u64) -> Result<(Bytes, MessageRecord), ReadError> {
        let crc = self.shared.config.check_crc_on_read;
        self.shared.log.read_checked(physical_offset, crc)
    }

    pub fn min_physical_offset(&self) -> u64 {
        self.shared.log.min_offset()
    }

    pub fn max_physical_offset(&self) -> u64 {
        self.shared.log.max_offset()
    }

    pub fn flushed_physical_offset(&self) -> u64 {
        self.shared.log.flushed_offset()
    }

    /// The dispatcher's position: every record below it is in its queue and the index.
    pub fn dispatched_offset(&self) -> u64 {
        self.shared.reput.load(Ordering::Acquire)
    }

    /// `(min, max)` logical offsets of a queue; `(0, 0)` for a queue never written.
    pub fn queue_offsets(&self, topic: &str, queue_id: i32) -> (u64, u64) {
        self.shared
            .existing_queue(&(topic.to_string(), queue_id))
            .map_or((0, 0), |q| (q.min_offset(), q.max_offset()))
    }

    /// The next queue offset the writer will give each topic-queue.
    pub fn next_queue_offsets(&self) -> std::collections::BTreeMap<(String, i32), u64> {
        self.shared.log.queue_offsets()
    }

    /// Topic-queues that have a consume queue.
    pub fn queues(&self) -> Vec<(String, i32)> {
        self.shared.queues.read().keys().cloned().collect()
    }

    /// Up to `count` consume-queue entries of a queue from `from`, filtered by tag codes,
    /// scanning at most `scan_max` entries. `from` below the queue's minimum (deleted by
    /// retention) is `QueueOffsetTooSmall`, never entries of another range.
    pub fn read_queue(
        &self,
        topic: &str,
        queue_id: i32,
        from: u64,
        count: usize,
        scan_max: u64,
        tags: Option<&BTreeSet<i64>>,
    ) -> Result<CqRead, ReadError> {
        match self.shared.existing_queue(&(topic.to_string(), queue_id)) {
            Some(q) if from < q.min_offset() => Err(ReadError::QueueOffsetTooSmall {
                offset: from,
                min: q.min_offset(),
            }),
            Some(q) => Ok(q.read(from, count, scan_max, tags)?),
            None => Ok(CqRead::default()),
        }
    }

    /// The first logical offset of a queue whose record was stored at or after `timestamp_ms`
    /// (the queue's max if none).
    pub fn queue_offset_by_time(
        &self,
        topic: &str,
        queue_id: i32,
        timestamp_ms: i64,
    ) -> Result<u64, ReadError> {
        let Some(q) = self.shared.existing_queue(&(topic.to_string(), queue_id)) else {
            return Ok(0);
        };
        let (mut lo, mut hi) = (q.min_offset(), q.max_offset());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let stored = match q.entry(mid)? {
                Some(e) => {
                    self.shared
                        .log
                        .read_checked(e.physical_offset, false)?
                        .1
                        .store_timestamp_ms
                }
                None => i64::MAX,
            };
            if stored < timestamp_ms {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// Physical offsets of records of `topic` carrying `key` (in KEYS or as UNIQ_KEY), stored
    /// within `[begin_ms, end_ms]`, at most `max` (and `index_query_results_max`). Every
    /// offset returned was read back and carries the key.
    pub fn query_by_key(
        &self,
        topic: &str,
        key: &str,
        begin_ms: i64,
        end_ms: i64,
        max: usize,
    ) -> Result<Vec<u64>, ReadError> {
        let max = max.min(self.shared.config.index_query_results_max);
        let candidates = self
            .shared
            .index
            .query(topic, key, begin_ms, end_ms, max * 4)?;
        let mut out = Vec::new();
        for phy in candidates {
            let Ok((_, record)) = self.read_record(phy) else {
                continue;
            };
            let carries = record.properties.uniq_key() == Some(key)
                || record.properties.keys().any(|k| k == key);
            if record.topic == topic && carries && out.len() < max {
                out.push(phy);
            }
        }
        out.sort_unstable();
        Ok(out)
    }

    /// Runs one cleanup round now (`forced` as the admin's DELETE_EXPIRED_COMMITLOG).
    pub fn clean_now(&self, forced: bool) -> std::io::Result<CleanReport> {
        clean_round(&self.shared, self.shared.env.now_millis(), forced)
    }

    /// Flushes the log and the queues now (tests, admin).
    pub async fn flush_now(&self) -> std::io::Result<()> {
        let flushed = flush_log(&self.shared).await?;
        complete_waiters(&self.shared, flushed);
        {
            let _gate = self.shared.dispatch_gate.lock().await;
            dispatch_limited(&self.shared, false).map_err(std::io::Error::other)?;
        }
        flush_logics(&self.shared, 0).await?;
        Ok(())
    }

    /// A snapshot of the metadata files' contents as loaded and updated since.
    pub fn metadata(&self) -> Metadata {
        self.shared.metadata.snapshot()
    }

    /// Changes the metadata in memory; saved within `metadata_persist_interval_ms`, at
    /// shutdown, or by [`MessageStore::persist_metadata`].
    pub fn update_metadata<R>(&self, f: impl FnOnce(&mut Metadata) -> R) -> R {
        self.shared.metadata.update(f)
    }

    /// Saves the metadata files now (each replaced atomically); durable when it returns.
    pub async fn persist_metadata(&self) -> Result<(), StoreError> {
        let s = &self.shared;
        s.metadata
            .persist(&s.env, &s.config.config_dir(), true)
            .await
            .map(drop)
    }

    /// Stops the tasks, dispatches and flushes everything, saves the metadata, removes the
    /// lock and abort files.
    pub async fn shutdown(self) -> Result<(), StoreError> {
        let s = &self.shared;
        s.stopping.store(true, Ordering::Release);
        s.lock.stop_refresh().await;
        for task in self.tasks.lock().drain(..) {
            task.abort();
        }
        let crc = s.config.check_crc_on_read;
        {
            let _gate = s.dispatch_gate.lock().await;
            dispatch_limited(s, crc).map_err(StoreError::Redispatch)?;
        }
        let flushed = flush_log(s).await.map_err(StoreError::io("final flush"))?;
        complete_waiters(s, flushed);
        flush_logics(s, 0)
            .await
            .map_err(StoreError::io("final logics flush"))?;
        s.metadata
            .persist(&s.env, &s.config.config_dir(), false)
            .await?;
        // The lock goes first: a lock file never outlives its abort file.
        s.env
            .remove_file(&s.config.lock_path())
            .map_err(StoreError::io("remove lock file"))?;
        s.env
            .remove_file(&s.config.abort_path())
            .map_err(StoreError::io("remove abort file"))?;
        Ok(())
    }
}

/// Saves changed metadata every `metadata_persist_interval_ms`.
async fn run_metadata<E: Env>(shared: Arc<Shared<E>>) {
    let interval = Duration::from_millis(shared.config.metadata_persist_interval_ms);
    while !shared.is_stopping() {
        shared.env.sleep(interval).await;
        let dir = shared.config.config_dir();
        if let Err(error) = shared.metadata.persist(&shared.env, &dir, false).await {
            tracing::error!(%error, "saving metadata failed");
        }
    }
}

/// Rewrites the `lock` file every `lock_refresh_interval_ms` (the lease, see `lock`).
async fn run_lock<E: Env>(shared: Arc<Shared<E>>) {
    let interval = Duration::from_millis(shared.config.lock_refresh_interval_ms);
    let path = shared.config.lock_path();
    while !shared.is_stopping() {
        shared.env.sleep(interval).await;
        if let Err(error) = shared.lock.refresh(&shared.env, &path).await {
            tracing::error!(%error, "refreshing the lock file failed");
        }
    }
}
