//! A broker's epoch history, persisted (§5.8 `EpochFileCache` over `epochFileCheckpoint`): the
//! in-memory [`EpochCache`] plus its file, written through the Fs seam in the controller's
//! `epoch_file` format (count, CRC, `epoch-startOffset` lines; the previous content kept as
//! `.bak`).
//!
//! Durability: every change is written (atomically replaced, durable) before it becomes
//! visible in memory, so what readers see was on disk first. Writers are serialized by an
//! async gate; readers take a snapshot. Opening falls back to `.bak` when the main file is
//! damaged (logged at WARN); both damaged is a typed error — a broker must not guess its
//! history.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;

use crate::controller::epoch_cache::{EpochCache, EpochCacheError};
use crate::controller::epoch_file::{self, EpochEntry, EpochFileError, EpochSource};
use crate::env::Fs;

/// The default file name under the store root (`storePathEpochFile`).
pub const EPOCH_FILE_NAME: &str = "epochFileCheckpoint";

/// Why the epoch history could not be read or changed.
#[derive(Debug, thiserror::Error)]
pub enum EpochsError {
    #[error("epoch file: {0}")]
    File(#[from] EpochFileError),
    #[error("epoch history: {0}")]
    Cache(#[from] EpochCacheError),
    #[error("writing the epoch file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A persisted epoch history.
pub struct Epochs<F: Fs> {
    fs: F,
    path: PathBuf,
    cache: Mutex<EpochCache>,
    write: tokio::sync::Mutex<()>,
}

impl<F: Fs> Epochs<F> {
    /// Reads the history at `path` (absent: empty).
    pub fn open(fs: F, path: &Path) -> Result<Arc<Self>, EpochsError> {
        let (entries, source) = epoch_file::read(&fs, path)?;
        if let EpochSource::Backup { main_error } = &source {
            tracing::warn!(target: "rocketsim::ha", path = %path.display(), error = %main_error,
                "epoch file unusable; using its .bak");
        }
        let cache = EpochCache::from_entries(&entries)?;
        tracing::info!(target: "rocketsim::ha", path = %path.display(), entries = cache.len(),
            last_epoch = cache.last_epoch(), "epoch history loaded");
        Ok(Arc::new(Epochs {
            fs,
            path: path.to_owned(),
            cache: Mutex::new(cache),
            write: tokio::sync::Mutex::new(()),
        }))
    }

    /// The default path under a store root.
    pub fn default_path(store_root: &Path) -> PathBuf {
        store_root.join(EPOCH_FILE_NAME)
    }

    /// A snapshot of the history.
    pub fn cache(&self) -> EpochCache {
        self.cache.lock().clone()
    }

    /// The newest epoch, −1 when there is none.
    pub fn last_epoch(&self) -> i32 {
        self.cache.lock().last_epoch()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<EpochEntry> {
        self.cache.lock().last()
    }

    /// Appends `<epoch, start_offset>` (checked: epochs increase, starts never go back) and
    /// persists it.
    pub async fn append(&self, epoch: i32, start_offset: u64) -> Result<(), EpochsError> {
        let start_offset = i64::try_from(start_offset).unwrap_or(i64::MAX);
        self.change(|cache| {
            cache.append(EpochEntry {
                epoch,
                start_offset,
            })
        })
        .await
    }

    /// Drops every epoch starting at or after `offset` (after the log was cut there) and
    /// persists the result.
    pub async fn truncate_suffix_from_offset(&self, offset: u64) -> Result<(), EpochsError> {
        let offset = i64::try_from(offset).unwrap_or(i64::MAX);
        self.change(|cache| {
            cache.truncate_suffix_from_offset(offset);
            Ok(())
        })
        .await
    }

    async fn change(
        &self,
        f: impl FnOnce(&mut EpochCache) -> Result<(), EpochCacheError>,
    ) -> Result<(), EpochsError> {
        let _gate = self.write.lock().await;
        let mut next = self.cache();
        f(&mut next)?;
        if next == self.cache() {
            return Ok(());
        }
        epoch_file::write(&self.fs, &self.path, &next.entries())
            .await
            .map_err(|source| EpochsError::Write {
                path: self.path.clone(),
                source,
            })?;
        *self.cache.lock() = next;
        Ok(())
    }
}
