//! The message store (§4): CommitLog, consume queues, index, checkpoint, recovery, flushing
//! and retention, over `env::Fs` segments so that the same code runs on `SimDisk` (which
//! models power loss and torn writes) and on memmap2.
//!
//! Layout on disk (§4.1): `commitlog/{20-digit offset}`, `consumequeue/{topic}/{queue}/…`,
//! `index/{yyyyMMddHHmmssSSS}`, `checkpoint`, `abort`, `lock`, `config/*.json`.
//!
//! Durability model: a write is volatile until synced. The CommitLog is the truth; consume
//! queues and the index are derived from it by the dispatcher and can always be rebuilt from
//! it. Offsets obey `min ≤ flushed ≤ max` for the log and `logics_offset ≤ reput ≤ max` for
//! what is derived. After any crash, recovery keeps the longest valid prefix of the log (every
//! record re-checked from a safe point), zeroes what follows, trims derived files to it and
//! re-derives what was lost. See `message_store` for what each flush mode promises.

mod check;
mod checkpoint;
mod cleanup;
mod commitlog;
mod config;
mod consume_queue;
mod dispatch;
pub(crate) mod error;
mod flush;
mod index;
mod index_file;
mod lock;
mod message;
mod message_store;
pub mod metadata;
mod recovery;
mod segments;
mod shared;
mod time;
mod truncate;

pub use check::{topic_is_valid, CheckError};
pub use checkpoint::Checkpoint;
pub use cleanup::CleanReport;
pub use commitlog::{Appended, QueueKey, ReplicaAppended};
pub use config::{FlushMode, StoreConfig};
pub use consume_queue::{java_hash, tags_code, CqEntry, CqRead, ENTRY_BYTES as CQ_ENTRY_BYTES};
pub use error::{
    IllegalReason, PutError, PutStatus, ReadError, ReplicaError, ReplicaInvalid, StoreError,
};
pub use flush::{dirty_pages, should_flush};
pub use index_file::key_hash;
pub use lock::LEASE_BEATS;
pub use message::PutMessage;
pub use message_store::{MessageStore, PutResult};
pub use recovery::{LogEndReason, RecoveryReport};
pub use segments::segment_name;
