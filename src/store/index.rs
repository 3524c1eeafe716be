//! The message index (§4.3): `topic#key` → physical offsets, over a sequence of IndexFiles in
//! `index/`, named by their creation time. Keys indexed: `UNIQ_KEY` and each key of `KEYS`;
//! rollback records are not indexed.
//!
//! Queries go newest file first, skipping files whose time span misses the range, and stop at
//! the result limit. Hits are candidates: after a crash a stale entry may point anywhere, so
//! the store reads each hit and keeps it only if the record carries the key.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;

use super::index_file::{file_bytes, key_hash, IndexFile};
use super::time::file_name;
use crate::env::{Fs, Segment};
use crate::protocol::record::MessageRecord;
use crate::protocol::sysflag::TransactionType;

/// All index files of a store.
pub struct Index<F: Fs> {
    fs: F,
    dir: PathBuf,
    slots: u32,
    entries_max: u32,
    files: RwLock<Vec<Arc<IndexFile<F::Segment>>>>,
}

impl<F: Fs> Index<F> {
    /// Opens every file in `dir` (creating it), oldest first.
    /// `abnormal`: the last run crashed, so each file's slots are rebuilt from its entries.
    pub fn open(
        fs: F,
        dir: PathBuf,
        slots: u32,
        entries_max: u32,
        abnormal: bool,
    ) -> io::Result<Self> {
        fs.create_dir_all(&dir)?;
        let mut files = Vec::new();
        for name in fs.list_dir(&dir)? {
            let segment = fs.open_segment(&dir.join(&name), None)?;
            if segment.len() != file_bytes(slots, entries_max) {
                tracing::warn!(
                    name,
                    len = segment.len(),
                    "index file of another size; ignored"
                );
                continue;
            }
            files.push(Arc::new(IndexFile::load(
                name,
                segment,
                slots,
                entries_max,
                abnormal,
            )?));
        }
        Ok(Index {
            fs,
            dir,
            slots,
            entries_max,
            files: RwLock::new(files),
        })
    }

    /// Indexes `record` (stored at its physical offset) under its keys.
    pub fn put(&self, record: &MessageRecord, now_ms: u64) -> io::Result<()> {
        if record.sys_flag.transaction_type() == TransactionType::Rollback {
            return Ok(());
        }
        let keys = record
            .properties
            .uniq_key()
            .into_iter()
            .chain(record.properties.keys());
        for key in keys {
            let hash = key_hash(&record.topic, key);
            let mut file = self.writable(now_ms)?;
            while !file.put(hash, record.physical_offset, record.store_timestamp_ms)? {
                file = self.roll(now_ms)?;
            }
        }
        Ok(())
    }

    fn writable(&self, now_ms: u64) -> io::Result<Arc<IndexFile<F::Segment>>> {
        match self.files.read().last() {
            Some(file) if !file.is_full() => return Ok(file.clone()),
            _ => {}
        }
        self.roll(now_ms)
    }

    fn roll(&self, now_ms: u64) -> io::Result<Arc<IndexFile<F::Segment>>> {
        let mut files = self.files.write();
        if let Some(file) = files.last().filter(|f| !f.is_full()) {
            return Ok(file.clone());
        }
        let mut name = file_name(now_ms);
        let mut ms = now_ms;
        while files.iter().any(|f| f.name >= name) {
            ms += 1;
            name = file_name(ms);
        }
        let len = file_bytes(self.slots, self.entries_max);
        let segment = self.fs.open_segment(&self.dir.join(&name), Some(len))?;
        let file = Arc::new(IndexFile::load(
            name,
            segment,
            self.slots,
            self.entries_max,
            false,
        )?);
        files.push(file.clone());
        Ok(file)
    }

    /// Candidate physical offsets for `key` of `topic` stored within `[begin_ms, end_ms]`.
    pub fn query(
        &self,
        topic: &str,
        key: &str,
        begin_ms: i64,
        end_ms: i64,
        max: usize,
    ) -> io::Result<Vec<u64>> {
        let hash = key_hash(topic, key);
        let files = self.files.read().clone();
        let mut out = Vec::new();
        for file in files.iter().rev() {
            let h = file.header();
            if h.index_count <= 1
                || h.end_timestamp_ms < begin_ms - 1000
                || h.begin_timestamp_ms > end_ms
            {
                continue;
            }
            for phy in file.query(hash, begin_ms, end_ms, max)? {
                if !out.contains(&phy) && out.len() < max {
                    out.push(phy);
                }
            }
            if out.len() >= max {
                break;
            }
        }
        Ok(out)
    }

    /// Syncs every file written since the last flush (all of them: they are few).
    pub async fn flush(&self) -> io::Result<()> {
        let files = self.files.read().clone();
        for file in files {
            file.flush().await?;
        }
        Ok(())
    }

    /// Removes files wholly below `physical_min`, keeping the newest.
    pub fn delete_below(&self, physical_min: u64) -> io::Result<usize> {
        let mut files = self.files.write();
        let mut removed = 0;
        while files.len() > 1 && files[0].header().end_phy_offset < physical_min {
            let file = files.remove(0);
            self.fs.remove_file(&self.dir.join(&file.name))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Bytes allocated by the index files.
    pub fn allocated_bytes(&self) -> u64 {
        self.files.read().len() as u64 * file_bytes(self.slots, self.entries_max)
    }
}
