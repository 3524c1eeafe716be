//! Bringing a large segment's pages into memory ahead of a sequential writer, on a background
//! thread, so the writer's stores do not take the page faults (Apache RocketMQ gets the same
//! effect by allocating and warming the next mapped file ahead of time).
//!
//! Why: the store bench profile showed ~27% of all CPU samples of an ASYNC_FLUSH append run in
//! the kernel zeroing fresh pages (`filemap_fault` → readahead → `zero_user_segments`) inside
//! the writer's `write_at`, one fault per 4 KiB page. `MADV_POPULATE_READ` runs the same
//! readahead for a whole chunk from another thread; the writer then takes only the cheap
//! write-protect fault (no zeroing, no I/O). READ, not WRITE: populating writable would dirty
//! every page ahead of the writer, and the kernel's writeback could write those zeros to disk
//! before the real bytes — twice the I/O when the log is written slowly.
//!
//! Policy: only segments of at least `SEGMENT_BYTES_MIN` (the CommitLog; consume-queue and index
//! files are small or written at random places), and only while writes are sequential (each
//! write starts where the previous one ended). When the writer gets within `AHEAD_BYTES` of the
//! populated frontier, one thread (never two per segment) populates up to `AHEAD_BYTES` past the
//! writer. A populate that fails (an old kernel without `MADV_POPULATE_READ`, memory pressure)
//! is harmless: the writer faults the pages itself, as it did before.

use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::Arc;

use super::Inner;

/// Segments smaller than this are never prefaulted.
pub(super) const SEGMENT_BYTES_MIN: u64 = 64 << 20;
/// How far past the writer's end the pages are kept populated.
const AHEAD_BYTES: u64 = 32 << 20;
/// One madvise call's range: small enough that the writer is never far from a fresh chunk.
const CHUNK_BYTES: u64 = 4 << 20;

/// Per-segment state: where the last write ended and how far pages are populated.
#[derive(Debug, Default)]
pub(super) struct Prefault {
    /// End of the most recent write (sequential-writer detection; a heuristic, races are fine).
    last_end: AtomicU64,
    /// Bytes `[0, populated)` have been handed to a populate (done or running).
    populated: AtomicU64,
    /// A populate thread for this segment is running.
    busy: AtomicBool,
}

/// Called after a write of `[offset, end)` to a segment of `segment_len` bytes.
pub(super) fn after_write(inner: &Arc<Inner>, offset: u64, end: u64, segment_len: u64) {
    let p = &inner.prefault;
    let sequential = p.last_end.swap(end, Relaxed) == offset;
    if segment_len < SEGMENT_BYTES_MIN || !sequential {
        return;
    }
    let populated = p.populated.load(Acquire);
    if populated >= segment_len || end + AHEAD_BYTES / 2 <= populated {
        return;
    }
    if p.busy.swap(true, AcqRel) {
        return;
    }
    let owned = Arc::clone(inner);
    let spawned = std::thread::Builder::new()
        .name("segment-prefault".into())
        .spawn(move || {
            populate(&owned, end, segment_len);
            owned.prefault.busy.store(false, Release);
        });
    if spawned.is_err() {
        p.busy.store(false, Release);
    }
}

/// Populates chunk by chunk from the frontier (or the writer, if it ran past) to
/// `AHEAD_BYTES` past `end`.
fn populate(inner: &Inner, end: u64, segment_len: u64) {
    let p = &inner.prefault;
    let target = (end + AHEAD_BYTES).min(segment_len);
    let mut at = p.populated.load(Acquire).max(end & !4095);
    while at < target {
        let len = CHUNK_BYTES.min(target - at);
        // The read lock keeps the mapping from being replaced while the kernel walks it.
        let map = inner.map.read();
        let done = match &map.raw {
            Some(raw) if at + len <= map.len => populate_read(raw, at as usize, len as usize),
            _ => false,
        };
        drop(map);
        // Marked populated even on failure: retrying a failing madvise per write would cost
        // more than the faults it saves.
        p.populated.fetch_max(at + len, AcqRel);
        if !done {
            p.populated.store(segment_len, Release);
            return;
        }
        at += len;
    }
}

#[cfg(target_os = "linux")]
fn populate_read(raw: &memmap2::MmapRaw, at: usize, len: usize) -> bool {
    raw.advise_range(memmap2::Advice::PopulateRead, at, len)
        .is_ok()
}

#[cfg(not(target_os = "linux"))]
fn populate_read(_: &memmap2::MmapRaw, _: usize, _: usize) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MappedSegment;
    use rocketsim::env::Segment;

    /// Sequential writes into a segment big enough to be prefaulted read back exactly, and the
    /// populated pages ahead of the writer still read as zeros.
    #[test]
    fn prefaulted_segment_keeps_bytes_and_zeros() {
        let dir = tempfile::tempdir().unwrap();
        let segment = MappedSegment::open(&dir.path().join("s"), Some(SEGMENT_BYTES_MIN)).unwrap();
        let record: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8 + 1).collect();
        let mut at = 0u64;
        while at < 8 << 20 {
            segment.write_at(at, &record).unwrap();
            at += record.len() as u64;
        }
        while segment.inner.prefault.busy.load(Acquire) {
            std::thread::yield_now();
        }
        assert!(segment.inner.prefault.populated.load(Acquire) > at);
        let mut back = vec![0u8; record.len()];
        segment
            .read_at(at - record.len() as u64, &mut back)
            .unwrap();
        assert_eq!(back, record);
        let mut ahead = vec![1u8; 1 << 20];
        segment.read_at(at, &mut ahead).unwrap();
        assert!(ahead.iter().all(|&b| b == 0));
    }
}
