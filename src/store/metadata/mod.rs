//! Metadata files (§4.9) under `config/`, in RocketMQ's shapes: `topics.json`,
//! `consumerOffset.json`, `subscriptionGroup.json`, `delayOffset.json`. Written atomically
//! (`write_file_atomic`: after a crash, the old or the new file, never a mix); read leniently
//! (fastjson's bare integer keys, unknown fields ignored, missing fields defaulted). A missing
//! file reads as empty. `Metadata` holds all four; the store loads it on open, saves it when
//! changed every `metadata_persist_interval_ms` and at shutdown (`MessageStore::metadata`).

mod files;
mod owner;

pub use crate::protocol::body::fastjson::{quote_integer_keys, unquote_integer_keys};
pub use files::{
    load, save, ConsumerOffsets, DataVersion, DelayOffsets, MetadataFile, SubscriptionGroupConfig,
    SubscriptionGroups, TopicConfig, Topics,
};
pub use owner::Metadata;
pub(crate) use owner::MetadataCell;
