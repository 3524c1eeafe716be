//! `MappedSegment`: a fixed-size file mapped read-write into memory (memmap2), the real
//! implementation of `rocketsim::env::Segment` for the CommitLog, consume queues and index.
//!
//! Model. The file's length is the segment's length; the whole of it is mapped `MAP_SHARED`.
//! `write_at` stores into the mapping and `read_at` loads from it: no system call, the page cache
//! is the buffer. Writes and reads take `&self` and run concurrently (one writer appending, many
//! readers of older ranges); the bytes are accessed as atomics, see `words.rs` for why that makes
//! every interleaving defined. A `parking_lot::RwLock` guards only the mapping itself: every
//! access holds it shared, `set_len` holds it exclusively while it resizes the file and remaps,
//! so no access ever sees an unmapped or stale mapping.
//!
//! Why atomics rather than `RwLock<MmapMut>` with `copy_from_slice` under a write lock (the
//! simpler sound design; `benches/segment.rs` measures both on one machine): a writer there
//! excludes every reader for the length of its copy *including its page faults* (about 4-17 µs
//! per fresh page on the 2-core VM we measured, so milliseconds for a 4 MiB batch), parking the
//! tokio workers that serve pulls. With atomics readers never wait for the writer. The price,
//! measured with 1 KiB records: single-threaded copies are slower (reads about 4.3 vs 6.0 GB/s,
//! writes into dirty pages about 3.6 vs 4.0 GB/s, since 8-byte moves replace vector memcpy);
//! with a writer and a reader running together the two designs were level.
//!
//! Durability. A write is in the page cache when `write_at` returns: it survives a crash of this
//! process (the kernel writes the dirty pages back later) but not a power loss or kernel crash.
//! Only ranges covered by a completed `sync` (msync `MS_SYNC` of the enclosing pages, which on
//! Linux also writes the metadata needed to read them back) survive a power loss. A newly
//! created segment file is fsynced with its directory, so a synced range is never lost because
//! the file itself vanished.
//!
//! Space. Blocks are reserved with `fallocate` when a segment is created or grown, so a full
//! disk is a `StorageFull` error from `open_segment`/`set_len`, not a SIGBUS on the first store
//! into a hole. Where `fallocate` is unsupported the file is sparse (as in Apache RocketMQ).
//!
//! Not modelled: another process truncating or writing the file while it is mapped. The store
//! directory belongs to one broker (RocketMQ's `lock` file); a truncation under us is a SIGBUS.

mod prefault;
mod reserve;
mod words;

use memmap2::{MmapOptions, MmapRaw};
use parking_lot::RwLock;
use rocketsim::env::Segment;
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fs::sync_parent_dir;
use crate::task::run_blocking;
use words::Words;

/// A segment file mapped into memory. Cloning gives another handle to the same mapping.
#[derive(Clone, Debug)]
pub struct MappedSegment {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// For error messages: which segment failed.
    path: PathBuf,
    file: File,
    map: RwLock<Mapping>,
    /// Populating pages ahead of a sequential writer (see `prefault.rs`).
    prefault: prefault::Prefault,
}

/// The current mapping and its length, which is always the file's length.
#[derive(Debug)]
struct Mapping {
    /// `None` for an empty file: there is nothing to map.
    raw: Option<MmapRaw>,
    len: u64,
}

impl MappedSegment {
    /// Opens the segment at `path`, creating it with `create_len` zero bytes (blocks reserved,
    /// file and directory synced) when it does not exist and a length is given. `NotFound`
    /// when it does not exist and none is.
    pub fn open(path: &Path, create_len: Option<u64>) -> io::Result<Self> {
        let file = match create_len {
            None => open_existing(path)?,
            Some(len) => open_or_create(path, len)?,
        };
        let len = file.metadata()?.len();
        let map = Mapping::new(&file, len)?;
        let path = path.to_path_buf();
        let map = RwLock::new(map);
        Ok(MappedSegment {
            inner: Arc::new(Inner {
                path,
                file,
                map,
                prefault: prefault::Prefault::default(),
            }),
        })
    }

    /// The file this segment maps.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }
}

fn open_existing(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).write(true).open(path)
}

fn open_or_create(path: &Path, len: u64) -> io::Result<File> {
    let created = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path);
    let file = match created {
        Ok(file) => file,
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => return open_existing(path),
        Err(error) => return Err(error),
    };
    if let Err(error) = reserve::grow(&file, 0, len) {
        // Best effort: a half-made segment would be taken for a real one by recovery.
        let _ = std::fs::remove_file(path);
        return Err(error);
    }
    file.sync_all()?;
    sync_parent_dir(path)?;
    Ok(file)
}

impl Mapping {
    fn new(file: &File, len: u64) -> io::Result<Self> {
        if len == 0 {
            return Ok(Mapping { raw: None, len });
        }
        let map_len = usize::try_from(len).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "segment larger than the address space",
            )
        })?;
        let raw = MmapOptions::new().len(map_len).map_raw(file)?;
        Ok(Mapping {
            raw: Some(raw),
            len,
        })
    }

    /// The mapped bytes, valid for as long as this borrow of the mapping.
    fn words(&self) -> Option<Words<'_>> {
        let raw = self.raw.as_ref()?;
        // SAFETY: the mapping is page-aligned and `raw.len()` bytes long; it lives in `self`,
        // which the returned view borrows, and it is only unmapped or replaced through
        // `&mut Mapping` (under the write lock), so it stays valid for the view's lifetime.
        // Nothing in this crate touches the mapped bytes except through `Words` views of this
        // `raw`, whose pointer and length never change.
        Some(unsafe { Words::new(raw.as_mut_ptr(), raw.len()) })
    }
}

impl Inner {
    /// Checks that `len` bytes at `offset` lie inside a segment of `segment_len` bytes.
    fn check(
        &self,
        offset: u64,
        len: usize,
        segment_len: u64,
        kind: io::ErrorKind,
    ) -> io::Result<usize> {
        let end = u64::try_from(len)
            .ok()
            .and_then(|len| offset.checked_add(len));
        match end {
            Some(end) if end <= segment_len => Ok(offset as usize),
            _ => Err(io::Error::new(
                kind,
                format!(
                    "{len} bytes at {offset} past the end of {} ({segment_len} bytes)",
                    self.path.display()
                ),
            )),
        }
    }

    /// msync of the pages holding `range`; runs on the blocking pool. It holds the lock shared
    /// for the whole msync: a `set_len` meanwhile waits, and (the lock being fair) so do the
    /// accesses that queue behind that `set_len`. Resizing is rare (creation, recovery).
    fn sync_blocking(&self, range: Range<u64>) -> io::Result<()> {
        let map = self.map.read();
        let len = usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(usize::MAX);
        let start = self.check(range.start, len, map.len, io::ErrorKind::InvalidInput)?;
        match &map.raw {
            // memmap2 rounds the start down to a page boundary itself.
            Some(raw) if len > 0 => raw.flush_range(start, len),
            _ => Ok(()),
        }
    }
}

impl Segment for MappedSegment {
    fn len(&self) -> u64 {
        self.inner.map.read().len
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut map = self.inner.map.write();
        let file = &self.inner.file;
        let resized = if len > map.len {
            reserve::grow(file, map.len, len)
        } else {
            file.set_len(len)
        };
        // Whatever happened to the file, the mapping must match its length again before
        // anyone reads through it: a mapping past the end of a shrunk file is a SIGBUS.
        match file
            .metadata()
            .and_then(|meta| Mapping::new(file, meta.len()))
        {
            Ok(remapped) => *map = remapped,
            Err(error) => {
                // Unusable (every access is out of bounds) until reopened, but never unsound.
                *map = Mapping { raw: None, len: 0 };
                return Err(error);
            }
        }
        resized
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        let map = self.inner.map.read();
        let start = self
            .inner
            .check(offset, data.len(), map.len, io::ErrorKind::InvalidInput)?;
        if let Some(words) = map.words() {
            words.write(start, data);
        }
        let segment_len = map.len;
        drop(map);
        let end = offset + data.len() as u64;
        prefault::after_write(&self.inner, offset, end, segment_len);
        Ok(())
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let map = self.inner.map.read();
        let start = self
            .inner
            .check(offset, buf.len(), map.len, io::ErrorKind::UnexpectedEof)?;
        if let Some(words) = map.words() {
            words.read(start, buf);
        }
        Ok(())
    }

    fn sync(&self, range: Range<u64>) -> impl Future<Output = io::Result<()>> + Send {
        let inner = Arc::clone(&self.inner);
        async move {
            if range.start > range.end {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "sync of a reversed range",
                ));
            }
            run_blocking(move || inner.sync_blocking(range)).await
        }
    }
}
