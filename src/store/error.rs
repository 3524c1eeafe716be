//! Errors of the store, typed per operation. The broker maps them to `ResponseCode` in one
//! place; [`PutError::response_code`] and [`PutStatus::response_code`] give the mapping the
//! Java broker uses, for that one place to call.

use std::io;

use thiserror::Error;

use super::check::CheckError;
use crate::protocol::code::ResponseCode;

/// Why an append was refused. Nothing was written.
#[derive(Debug, Error)]
pub enum PutError {
    /// `MESSAGE_ILLEGAL`: the message can never be stored as given.
    #[error("message illegal: {0}")]
    MessageIllegal(IllegalReason),
    /// `PROPERTIES_SIZE_EXCEEDED`: encoded properties over 32767 bytes.
    #[error("properties of {len} bytes exceed {max}")]
    PropertiesSizeExceeded { len: usize, max: usize },
    /// The disk is over the refusal threshold (`diskSpaceWarningLevelRatio`).
    #[error("disk full: {used_pct}% used, writes refused above {limit_pct}%")]
    DiskFull { used_pct: u64, limit_pct: u64 },
    /// The store is shutting down or failed a write earlier and stopped taking writes.
    #[error("store not writable")]
    NotWritable,
    /// The file system failed the write.
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
}

/// Why a message is illegal.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum IllegalReason {
    #[error("body of {len} bytes exceeds maxMessageSize {max}")]
    BodyTooLarge { len: usize, max: usize },
    #[error("topic of {len} bytes exceeds {max}")]
    TopicTooLong { len: usize, max: usize },
    #[error("batch is empty")]
    EmptyBatch,
    #[error("batch of {count} messages exceeds {max}")]
    BatchTooLarge { count: usize, max: usize },
    #[error("batch mixes topics or queues")]
    BatchMixed,
    #[error("{len} bytes of records do not fit a {segment_bytes}-byte segment")]
    LargerThanSegment { len: usize, segment_bytes: u64 },
    #[error("bad property: {0}")]
    Properties(crate::protocol::properties::PropertiesError),
    #[error("record cannot be encoded: {0}")]
    Unencodable(crate::protocol::record::RecordEncodeError),
    #[error("queue id {0} is negative")]
    NegativeQueueId(i32),
}

impl PutError {
    /// The response code the Java broker answers with for this refusal.
    pub fn response_code(&self) -> ResponseCode {
        match self {
            PutError::MessageIllegal(_) | PutError::PropertiesSizeExceeded { .. } => {
                ResponseCode::MESSAGE_ILLEGAL
            }
            PutError::DiskFull { .. } | PutError::NotWritable => {
                ResponseCode::SERVICE_NOT_AVAILABLE
            }
            PutError::Io(_) => ResponseCode::SYSTEM_ERROR,
        }
    }
}

/// The outcome of a stored append: the message is in the log either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutStatus {
    /// `PUT_OK`: stored (and durable, under SYNC_FLUSH with `WAIT=true`).
    Ok,
    /// `FLUSH_DISK_TIMEOUT`: stored, but not known durable within `sync_flush_timeout_ms`.
    FlushDiskTimeout,
    /// `FLUSH_SLAVE_TIMEOUT`: stored on the SYNC_MASTER, no slave acknowledged it in time.
    FlushSlaveTimeout,
    /// `SLAVE_NOT_AVAILABLE`: stored on the SYNC_MASTER, no slave close enough to wait for.
    SlaveNotAvailable,
    /// `IN_SYNC_REPLICAS_NOT_ENOUGH` (5.x, §5.8): stored on the master, but its sync-state set
    /// is smaller than `minInSyncReplicas`. Java answers SYSTEM_ERROR with that remark.
    InSyncReplicasNotEnough,
}

impl PutStatus {
    pub fn response_code(self) -> ResponseCode {
        match self {
            PutStatus::Ok => ResponseCode::SUCCESS,
            PutStatus::FlushDiskTimeout => ResponseCode::FLUSH_DISK_TIMEOUT,
            PutStatus::FlushSlaveTimeout => ResponseCode::FLUSH_SLAVE_TIMEOUT,
            PutStatus::SlaveNotAvailable => ResponseCode::SLAVE_NOT_AVAILABLE,
            PutStatus::InSyncReplicasNotEnough => ResponseCode::SYSTEM_ERROR,
        }
    }
}

/// Why bytes replicated from a master were refused (§5.2). Nothing became visible.
#[derive(Debug, Error)]
pub enum ReplicaError {
    /// The frame does not continue the local log (classic HA has no truncation: the
    /// connection is closed and the slave reconnects reporting its end).
    #[error("frame starts at {frame}, the local log ends at {local}")]
    OffsetMismatch { local: u64, frame: u64 },
    /// A frame never crosses a segment file (the master reads within one).
    #[error("{len} bytes at {start} cross a segment boundary")]
    CrossesSegment { start: u64, len: usize },
    /// The bytes are not a valid continuation of the log.
    #[error("invalid entry at {offset}: {reason}")]
    Invalid { offset: u64, reason: ReplicaInvalid },
    /// The store is shutting down.
    #[error("store not writable")]
    NotWritable,
    #[error("write failed: {0}")]
    Io(#[from] io::Error),
}

/// What was wrong with a replicated entry.
#[derive(Debug, Error)]
pub enum ReplicaInvalid {
    #[error("blank marker says {declared} bytes, not the rest of its file")]
    BlankLength { declared: u64 },
    #[error("record length {declared} is impossible here")]
    RecordLength { declared: u64 },
    #[error("{0}")]
    Record(CheckError),
}

/// Why a read failed.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The offset is outside `[min, max)` of the log (or the queue).
    #[error("offset {offset} outside [{min}, {max})")]
    OutOfRange { offset: u64, min: u64, max: u64 },
    /// A queue read below the queue's minimum: retention deleted that range (RocketMQ's
    /// `OFFSET_TOO_SMALL`); read again from `min`.
    #[error("queue offset {offset} is below the queue's minimum {min}: the range was deleted")]
    QueueOffsetTooSmall { offset: u64, min: u64 },
    /// The bytes at the offset are not the start of a message record (a blank marker, or an
    /// offset inside a record).
    #[error("no record starts at offset {offset}")]
    NotARecord { offset: u64 },
    /// The record failed its checks (codec, CRC, physical offset, topic, canonical
    /// properties); it is never served.
    #[error("corrupt record at offset {offset}: {error}")]
    Corrupt { offset: u64, error: CheckError },
    #[error("read failed: {0}")]
    Io(#[from] io::Error),
}

/// Why the store could not open (recover) or run.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("store i/o at {what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: io::Error,
    },
    /// A live store holds the directory's `lock` file: it was rewritten while we waited
    /// `waited_ms` (see `lock`).
    #[error("store directory is locked by a live store (lock refreshed within {waited_ms} ms)")]
    Locked { waited_ms: u64 },
    /// Recovery validated a record and then could not dispatch it.
    #[error("re-dispatch failed: {0}")]
    Redispatch(#[source] ReadError),
    /// A truncation point that is not the start of a record within `[min, max]` of the log.
    #[error("cannot truncate at {offset}: not a record boundary within [{min}, {max}]")]
    NotABoundary { offset: u64, min: u64, max: u64 },
    /// Another truncation is running.
    #[error("a truncation is already running")]
    TruncateBusy,
    #[error("metadata file {file} is not valid JSON of its shape: {source}")]
    Metadata {
        file: &'static str,
        #[source]
        source: serde_json::Error,
    },
}

impl StoreError {
    pub(crate) fn io(what: &'static str) -> impl FnOnce(io::Error) -> StoreError {
        move |source| StoreError::Io { what, source }
    }
}
