//! Errors of the store, typed per operation. The broker maps them to `ResponseCode` in one
//! place; [`PutError::response_code`] and [`PutStatus::response_code`] give the mapping the
//! Java broker uses, for that one place to call.

use std::io;

use thiserror::Error;

use crate::protocol::code::ResponseCode;
use crate::protocol::record::RecordError;

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
}

impl PutStatus {
    pub fn response_code(self) -> ResponseCode {
        match self {
            PutStatus::Ok => ResponseCode::SUCCESS,
            PutStatus::FlushDiskTimeout => ResponseCode::FLUSH_DISK_TIMEOUT,
        }
    }
}

/// Why a read failed.
#[derive(Debug, Error)]
pub enum ReadError {
    /// The offset is outside `[min, max)` of the log (or the queue).
    #[error("offset {offset} outside [{min}, {max})")]
    OutOfRange { offset: u64, min: u64, max: u64 },
    /// The bytes at the offset are not the start of a message record (a blank marker, or an
    /// offset inside a record).
    #[error("no record starts at offset {offset}")]
    NotARecord { offset: u64 },
    /// The record failed its checks; it is never served.
    #[error("corrupt record at offset {offset}: {error}")]
    Corrupt { offset: u64, error: RecordError },
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
    /// Recovery validated a record and then could not dispatch it.
    #[error("re-dispatch failed: {0}")]
    Redispatch(#[source] ReadError),
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
