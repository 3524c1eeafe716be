//! `Metadata`: the four files' contents as one value, loaded when the store opens and saved
//! whole on request, periodically when changed, and at shutdown.
//!
//! Durability: a change is volatile until the next save returns; each file is replaced
//! atomically (`write_file_atomic`), so after any crash each file is the content of some
//! completed or in-flight save — the old or the new, parseable, never torn. The four files are
//! not replaced together: a crash between two of them leaves some old and some new, as in
//! RocketMQ, where each `ConfigManager` persists on its own.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::files::{load, save, ConsumerOffsets, DelayOffsets, SubscriptionGroups, Topics};
use crate::env::Fs;
use crate::store::error::StoreError;

/// The broker's metadata files (§4.9), in memory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    pub topics: Topics,
    pub consumer_offsets: ConsumerOffsets,
    pub subscription_groups: SubscriptionGroups,
    pub delay_offsets: DelayOffsets,
}

impl Metadata {
    /// Reads the four files under `config_dir`; a missing file is empty, an unparseable one is
    /// `StoreError::Metadata` (never silently replaced by an empty table).
    pub fn load<F: Fs>(fs: &F, config_dir: &Path) -> Result<Self, StoreError> {
        Ok(Metadata {
            topics: load(fs, config_dir)?,
            consumer_offsets: load(fs, config_dir)?,
            subscription_groups: load(fs, config_dir)?,
            delay_offsets: load(fs, config_dir)?,
        })
    }

    /// Replaces each file atomically, one after another.
    pub async fn save<F: Fs>(&self, fs: &F, config_dir: &Path) -> Result<(), StoreError> {
        save(fs, config_dir, &self.topics).await?;
        save(fs, config_dir, &self.consumer_offsets).await?;
        save(fs, config_dir, &self.subscription_groups).await?;
        save(fs, config_dir, &self.delay_offsets).await
    }
}

/// The live `Metadata` of a running store: changes counted, saves serialized so that a file
/// never goes back to an older snapshot than one already written.
#[derive(Debug)]
pub(crate) struct MetadataCell {
    value: Mutex<Metadata>,
    /// Bumped by every update.
    changes: AtomicU64,
    /// The `changes` count the last completed save captured; held across the save.
    saved: tokio::sync::Mutex<u64>,
}

impl MetadataCell {
    pub fn new(value: Metadata) -> Self {
        MetadataCell {
            value: Mutex::new(value),
            changes: AtomicU64::new(0),
            saved: tokio::sync::Mutex::new(0),
        }
    }

    pub fn snapshot(&self) -> Metadata {
        self.value.lock().clone()
    }

    pub fn update<R>(&self, f: impl FnOnce(&mut Metadata) -> R) -> R {
        let mut value = self.value.lock();
        self.changes.fetch_add(1, Ordering::AcqRel);
        f(&mut value)
    }

    /// Saves a snapshot if anything changed since the last save (or always, if `force`).
    /// Returns whether it wrote.
    pub async fn persist<F: Fs>(
        &self,
        fs: &F,
        config_dir: &Path,
        force: bool,
    ) -> Result<bool, StoreError> {
        let mut saved = self.saved.lock().await;
        let (snapshot, changes) = {
            let value = self.value.lock();
            (value.clone(), self.changes.load(Ordering::Acquire))
        };
        if !force && changes == *saved {
            return Ok(false);
        }
        snapshot.save(fs, config_dir).await?;
        *saved = changes;
        Ok(true)
    }
}
