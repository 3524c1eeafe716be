//! Store configuration: every size, interval and limit of the store, with RocketMQ 4.9's
//! defaults (reference §4). Tests shrink the sizes (64 KiB CommitLog segments) so that
//! rollover, cleanup and recovery across files happen constantly.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use crate::protocol::record::BODY_BYTES_MAX;

/// When an append is acknowledged relative to the disk (`flushDiskType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushMode {
    /// Acknowledged once in the page cache; a background flusher syncs periodically.
    Async,
    /// Acknowledged once synced (group commit), or `FlushDiskTimeout` after the deadline.
    Sync,
}

/// All knobs of the store. Units are last in the names.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// `storePathRootDir`.
    pub root: PathBuf,
    /// `brokerIP1:listenPort`, stamped as STOREHOST on every record.
    pub store_host: SocketAddr,
    /// `mappedFileSizeCommitLog` (1 GiB).
    pub commitlog_segment_bytes: u64,
    /// Entries per consume-queue file (300 000 × 20 B).
    pub consume_queue_entries_per_segment: u64,
    /// `maxMessageSize` (4 MiB): larger bodies are `MessageIllegal`.
    pub body_bytes_max: usize,
    /// Messages in one batch append.
    pub batch_messages_max: usize,
    pub flush_mode: FlushMode,
    /// `flushIntervalCommitLog` (500 ms).
    pub flush_interval_ms: u64,
    /// `flushCommitLogLeastPages` (4 pages of 4 KiB).
    pub flush_least_pages: u64,
    /// `flushCommitLogThoroughInterval` (10 s): flush everything at least this often.
    pub flush_thorough_interval_ms: u64,
    /// `syncFlushTimeout` (5 s): a SYNC_FLUSH put not durable by then is `FlushDiskTimeout`.
    pub sync_flush_timeout_ms: u64,
    /// How long the group-commit service waits for more requests before syncing (10 ms).
    pub group_commit_wait_ms: u64,
    /// `flushIntervalConsumeQueue` (1 s); also persists the checkpoint.
    pub logics_flush_interval_ms: u64,
    /// `flushConsumeQueueLeastPages` (2).
    pub logics_flush_least_pages: u64,
    /// `flushConsumeQueueThoroughInterval` (60 s).
    pub logics_flush_thorough_interval_ms: u64,
    /// How long the dispatcher sleeps when it has caught up and nobody woke it (1 ms).
    pub dispatch_interval_ms: u64,
    /// `maxHashSlotNum` (5 000 000).
    pub index_slots: u32,
    /// `maxIndexNum` (20 000 000).
    pub index_entries_max: u32,
    /// Results of one index query at most (`maxMsgsNumBatch` 64).
    pub index_query_results_max: usize,
    /// `fileReservedTime` (72 h).
    pub file_reserved_time_ms: u64,
    /// `deleteWhen` ("04"): UTC hours at which expired files are deleted.
    pub delete_when_hours: Vec<u8>,
    /// `cleanResourceInterval` (10 s).
    pub clean_interval_ms: u64,
    /// The bytes the store may occupy: the denominator of disk usage. RocketMQ asks the file
    /// system; we cannot through `env::Fs`, so the operator states the store's share.
    pub capacity_bytes: u64,
    /// `diskMaxUsedSpaceRatio` (75 %): above it, expired files go whatever the hour.
    pub disk_max_used_ratio_pct: u64,
    /// `diskSpaceCleanForciblyRatio` (85 %): above it, the oldest files go even unexpired.
    pub disk_clean_forcibly_ratio_pct: u64,
    /// `diskSpaceWarningLevelRatio` (90 %): above it, writes are refused.
    pub disk_full_ratio_pct: u64,
    /// Segments deleted per cleanup round at most.
    pub clean_segments_per_round_max: usize,
    /// `checkCRCOnRecover` (true); reads check the CRC too when `check_crc_on_read`.
    pub check_crc_on_recover: bool,
    /// Verify the body CRC of every record served. Costs a CRC pass per read.
    pub check_crc_on_read: bool,
}

impl StoreConfig {
    /// RocketMQ's defaults, rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        StoreConfig {
            root: root.into(),
            store_host: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 10911),
            commitlog_segment_bytes: 1 << 30,
            consume_queue_entries_per_segment: 300_000,
            body_bytes_max: BODY_BYTES_MAX,
            batch_messages_max: 1024,
            flush_mode: FlushMode::Async,
            flush_interval_ms: 500,
            flush_least_pages: 4,
            flush_thorough_interval_ms: 10_000,
            sync_flush_timeout_ms: 5_000,
            group_commit_wait_ms: 10,
            logics_flush_interval_ms: 1_000,
            logics_flush_least_pages: 2,
            logics_flush_thorough_interval_ms: 60_000,
            dispatch_interval_ms: 1,
            index_slots: 5_000_000,
            index_entries_max: 20_000_000,
            index_query_results_max: 64,
            file_reserved_time_ms: 72 * 3_600_000,
            delete_when_hours: vec![4],
            clean_interval_ms: 10_000,
            capacity_bytes: 1 << 40,
            disk_max_used_ratio_pct: 75,
            disk_clean_forcibly_ratio_pct: 85,
            disk_full_ratio_pct: 90,
            clean_segments_per_round_max: 10,
            check_crc_on_recover: true,
            check_crc_on_read: true,
        }
    }

    /// Small files for tests: 64 KiB CommitLog segments, 256-entry consume-queue files, a
    /// small index, so that every boundary is crossed often.
    pub fn small(root: impl Into<PathBuf>) -> Self {
        StoreConfig {
            commitlog_segment_bytes: 64 * 1024,
            consume_queue_entries_per_segment: 256,
            body_bytes_max: 16 * 1024,
            index_slots: 97,
            index_entries_max: 2_000,
            ..StoreConfig::new(root)
        }
    }

    pub(crate) fn commitlog_dir(&self) -> PathBuf {
        self.root.join("commitlog")
    }

    pub(crate) fn consume_queue_dir(&self) -> PathBuf {
        self.root.join("consumequeue")
    }

    pub(crate) fn index_dir(&self) -> PathBuf {
        self.root.join("index")
    }

    pub(crate) fn checkpoint_path(&self) -> PathBuf {
        self.root.join("checkpoint")
    }

    pub(crate) fn abort_path(&self) -> PathBuf {
        self.root.join("abort")
    }

    pub fn config_dir(&self) -> PathBuf {
        self.root.join("config")
    }
}
