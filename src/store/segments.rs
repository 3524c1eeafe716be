//! A queue of fixed-size segment files over `env::Fs`, addressed by one absolute byte offset:
//! the file starting at `s` is named `s` as 20 zero-padded digits and covers
//! `[s, s + segment_bytes)`. The CommitLog and every consume queue are one of these.
//!
//! Owns: the open segments (a `BTreeMap` by start offset), creating the next one, reading and
//! writing within one segment, syncing a range, removing whole segments at either end, and
//! zeroing a tail on truncation. Does not own: what the bytes mean, or where the writer is.
//!
//! Invariants: every segment's start is a multiple of `segment_bytes`; every open segment is
//! exactly `segment_bytes` long (a short file found on open is extended with zeros and logged);
//! no access crosses a segment boundary (callers split; records never span files).

use std::collections::BTreeMap;
use std::io;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use parking_lot::RwLock;

use crate::env::{Fs, Segment};

/// Chunk in which a truncated tail is checked and zeroed.
const ZERO_CHUNK_BYTES: u64 = 64 * 1024;

/// The name of the segment starting at `offset` (`UtilAll.offset2FileName`).
pub fn segment_name(offset: u64) -> String {
    format!("{offset:020}")
}

/// A queue of segments in one directory.
pub struct Segments<F: Fs> {
    fs: F,
    dir: PathBuf,
    segment_bytes: u64,
    files: RwLock<BTreeMap<u64, Arc<F::Segment>>>,
}

impl<F: Fs> Segments<F> {
    /// Opens every segment file in `dir` (creating `dir`). Names that are not 20 digits, or
    /// not a multiple of the segment size, are ignored and logged.
    pub fn open(fs: F, dir: PathBuf, segment_bytes: u64) -> io::Result<Self> {
        assert!(segment_bytes > 0, "segment size must be positive");
        fs.create_dir_all(&dir)?;
        let mut files = BTreeMap::new();
        for name in fs.list_dir(&dir)? {
            let Some(start) = parse_name(&name).filter(|s| s % segment_bytes == 0) else {
                tracing::warn!(dir = %dir.display(), name, "ignoring a file that is not a segment");
                continue;
            };
            let segment = fs.open_segment(&dir.join(&name), None)?;
            if segment.len() != segment_bytes {
                tracing::warn!(
                    file = %dir.join(&name).display(),
                    len = segment.len(),
                    expected = segment_bytes,
                    "segment has the wrong length; resizing (missing bytes read as zero)"
                );
                segment.set_len(segment_bytes)?;
            }
            files.insert(start, Arc::new(segment));
        }
        Ok(Segments {
            fs,
            dir,
            segment_bytes,
            files: RwLock::new(files),
        })
    }

    pub fn segment_bytes(&self) -> u64 {
        self.segment_bytes
    }

    /// Start of the segment holding `offset`.
    pub fn start_of(&self, offset: u64) -> u64 {
        offset - offset % self.segment_bytes
    }

    /// Starts of all segments, ascending.
    pub fn starts(&self) -> Vec<u64> {
        self.files.read().keys().copied().collect()
    }

    pub fn first_start(&self) -> Option<u64> {
        self.files.read().keys().next().copied()
    }

    pub fn last_start(&self) -> Option<u64> {
        self.files.read().keys().next_back().copied()
    }

    pub fn count(&self) -> usize {
        self.files.read().len()
    }

    /// Bytes allocated by the segments.
    pub fn allocated_bytes(&self) -> u64 {
        self.count() as u64 * self.segment_bytes
    }

    /// The segment holding `offset`, if open.
    pub fn get(&self, offset: u64) -> Option<Arc<F::Segment>> {
        self.files.read().get(&self.start_of(offset)).cloned()
    }

    /// The segment holding `offset`, created zero-filled when absent.
    pub fn get_or_create(&self, offset: u64) -> io::Result<Arc<F::Segment>> {
        let start = self.start_of(offset);
        if let Some(segment) = self.files.read().get(&start) {
            return Ok(segment.clone());
        }
        let mut files = self.files.write();
        if let Some(segment) = files.get(&start) {
            return Ok(segment.clone());
        }
        let path = self.dir.join(segment_name(start));
        let segment = Arc::new(self.fs.open_segment(&path, Some(self.segment_bytes))?);
        files.insert(start, segment.clone());
        Ok(segment)
    }

    /// Writes `data` at absolute `offset`, creating the segment if needed.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check_within(offset, data.len())?;
        let segment = self.get_or_create(offset)?;
        segment.write_at(offset - self.start_of(offset), data)
    }

    /// Reads `buf.len()` bytes at absolute `offset`; `NotFound` if no segment holds it.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.check_within(offset, buf.len())?;
        let Some(segment) = self.get(offset) else {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                "no segment at offset",
            ));
        };
        segment.read_at(offset - self.start_of(offset), buf)
    }

    /// Makes `range` durable, segment by segment.
    pub async fn sync(&self, range: Range<u64>) -> io::Result<()> {
        let mut at = range.start;
        while at < range.end {
            let start = self.start_of(at);
            let end = range.end.min(start + self.segment_bytes);
            if let Some(segment) = self.get(at) {
                segment.sync(at - start..end - start).await?;
            }
            at = end;
        }
        Ok(())
    }

    /// Truncates the queue at `offset`: zeroes (and syncs) the rest of its segment, so stale
    /// bytes past the end can never be mistaken for data by a later recovery, and removes
    /// every later segment. Returns the bytes zeroed (those that were not zero already).
    pub async fn truncate(&self, offset: u64) -> io::Result<u64> {
        let base = self.start_of(offset);
        let later: Vec<u64> = self.starts().into_iter().filter(|&s| s > base).collect();
        for start in later {
            self.remove(start)?;
        }
        let Some(segment) = self.get(offset) else {
            return Ok(0);
        };
        let mut zeroed = 0;
        let mut at = offset - base;
        let mut chunk = vec![0u8; ZERO_CHUNK_BYTES as usize];
        let zeros = vec![0u8; ZERO_CHUNK_BYTES as usize];
        while at < self.segment_bytes {
            let len = (self.segment_bytes - at).min(ZERO_CHUNK_BYTES) as usize;
            segment.read_at(at, &mut chunk[..len])?;
            let dirty = chunk[..len].iter().filter(|&&b| b != 0).count() as u64;
            if dirty > 0 {
                segment.write_at(at, &zeros[..len])?;
                segment.sync(at..at + len as u64).await?;
                zeroed += dirty;
            }
            at += len as u64;
        }
        Ok(zeroed)
    }

    /// Removes the segment starting at `start` (its file is deleted; open handles stay valid).
    pub fn remove(&self, start: u64) -> io::Result<()> {
        if self.files.write().remove(&start).is_some() {
            self.fs.remove_file(&self.dir.join(segment_name(start)))?;
        }
        Ok(())
    }

    fn check_within(&self, offset: u64, len: usize) -> io::Result<()> {
        let room = self.segment_bytes - offset % self.segment_bytes;
        if len as u64 > room {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "access crosses a segment boundary",
            ));
        }
        Ok(())
    }
}

fn parse_name(name: &str) -> Option<u64> {
    if name.len() != 20 || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    name.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_twenty_digits() {
        assert_eq!(segment_name(0), "00000000000000000000");
        assert_eq!(segment_name(1 << 30), "00000000001073741824");
        assert_eq!(parse_name("00000000001073741824"), Some(1 << 30));
        assert_eq!(parse_name("0000000000107374182"), None);
        assert_eq!(parse_name("0000000000107374182x"), None);
    }
}
