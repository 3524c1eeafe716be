//! One consume queue (§4.2): for a topic and queue id, the dense sequence of 20-byte entries
//! `physical offset i64 | size i32 | tags code i64`, entry `q` at byte `20 q` of a queue of
//! segment files (`consumequeue/{topic}/{queueId}/{20-digit byte offset}`).
//!
//! Written only by the dispatcher (and recovery's re-dispatch), never on a producer's path.
//! Writes are idempotent: putting entry `q` again when it exists is a no-op, so re-dispatching
//! a stretch of the log after a crash is safe.
//!
//! Logical offsets: `min ≤ flushed ≤ max` once flushed has been set, where `max` is the next
//! entry to write, `min` the first entry still served. Entries are dense below `max`, and their
//! physical offsets strictly increase. Durability: like the log, entries are volatile until
//! `flush`; recovery keeps the longest valid prefix and zeroes what follows.

use std::collections::BTreeSet;
use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;

use super::segments::Segments;
use crate::env::Fs;

/// Bytes of one entry (`CQ_STORE_UNIT_SIZE`).
pub const ENTRY_BYTES: u64 = 20;

/// One entry: where a message is and its tag hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CqEntry {
    pub physical_offset: u64,
    pub size: u32,
    pub tags_code: i64,
}

impl CqEntry {
    fn encode(&self) -> [u8; ENTRY_BYTES as usize] {
        let mut out = [0u8; ENTRY_BYTES as usize];
        out[..8].copy_from_slice(&self.physical_offset.to_be_bytes());
        out[8..12].copy_from_slice(&self.size.to_be_bytes());
        out[12..].copy_from_slice(&self.tags_code.to_be_bytes());
        out
    }

    fn decode(src: &[u8]) -> Self {
        let mut p = [0u8; 8];
        p.copy_from_slice(&src[..8]);
        let mut s = [0u8; 4];
        s.copy_from_slice(&src[8..12]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&src[12..20]);
        CqEntry {
            physical_offset: u64::from_be_bytes(p),
            size: u32::from_be_bytes(s),
            tags_code: i64::from_be_bytes(t),
        }
    }

    /// An entry a writer could have written: a real size, an offset that is not negative.
    fn is_plausible(&self) -> bool {
        self.size > 0 && (self.physical_offset as i64) >= 0
    }
}

/// Java's `String.hashCode` of the `TAGS` value (over UTF-16 units), sign-extended; 0 without
/// tags (`tagsString2tagsCode`).
pub fn tags_code(tags: Option<&str>) -> i64 {
    let Some(tags) = tags.filter(|t| !t.is_empty()) else {
        return 0;
    };
    i64::from(java_hash(tags))
}

/// `String.hashCode()`.
pub fn java_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// What a read found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CqRead {
    /// Matching entries with their logical offsets.
    pub entries: Vec<(u64, CqEntry)>,
    /// Where the next read should start (past everything scanned).
    pub next_offset: u64,
}

/// One topic-queue's consume queue.
pub struct ConsumeQueue<F: Fs> {
    topic: String,
    queue_id: i32,
    segments: Segments<F>,
    min: AtomicU64,
    max: AtomicU64,
    flushed: AtomicU64,
    /// End (physical offset + size) of the last entry: what truncation compares against.
    max_physical_end: AtomicU64,
    write: Mutex<()>,
}

impl<F: Fs> ConsumeQueue<F> {
    /// Opens the queue's directory (creating it) without reading entries.
    pub fn open(
        fs: F,
        dir: PathBuf,
        topic: &str,
        queue_id: i32,
        entries_per_segment: u64,
    ) -> io::Result<Self> {
        let segments = Segments::open(fs, dir, entries_per_segment * ENTRY_BYTES)?;
        let min = segments.first_start().unwrap_or(0) / ENTRY_BYTES;
        Ok(ConsumeQueue {
            topic: topic.to_string(),
            queue_id,
            segments,
            min: AtomicU64::new(min),
            max: AtomicU64::new(min),
            flushed: AtomicU64::new(min),
            max_physical_end: AtomicU64::new(0),
            write: Mutex::new(()),
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    pub fn queue_id(&self) -> i32 {
        self.queue_id
    }

    pub fn segments(&self) -> &Segments<F> {
        &self.segments
    }

    pub fn min_offset(&self) -> u64 {
        self.min.load(Ordering::Acquire)
    }

    pub fn max_offset(&self) -> u64 {
        self.max.load(Ordering::Acquire)
    }

    pub fn max_physical_end(&self) -> u64 {
        self.max_physical_end.load(Ordering::Acquire)
    }

    /// Finds the valid prefix of entries (plausible, physical offsets increasing), starting
    /// at the third-from-last file as RocketMQ does, sets `max` there and zeroes the rest.
    /// Returns the number of stale bytes zeroed.
    pub async fn recover(&self) -> io::Result<u64> {
        let starts = self.segments.starts();
        let from = starts.len().saturating_sub(3);
        let Some(&first) = starts.get(from) else {
            return Ok(0);
        };
        let mut at = first / ENTRY_BYTES;
        let mut last: Option<CqEntry> = if at > self.min_offset() {
            self.entry(at - 1)?.filter(|e| e.is_plausible())
        } else {
            None
        };
        let end = (starts[starts.len() - 1] + self.segments.segment_bytes()) / ENTRY_BYTES;
        while at < end {
            let Some(entry) = self.entry(at)? else { break };
            let ascending = last.is_none_or(|l| entry.physical_offset > l.physical_offset);
            if !entry.is_plausible() || !ascending {
                break;
            }
            last = Some(entry);
            at += 1;
        }
        let zeroed = self.segments.truncate(at * ENTRY_BYTES).await?;
        self.set_end(at, last);
        Ok(zeroed)
    }

    fn set_end(&self, max: u64, last: Option<CqEntry>) {
        let min = self.min_offset().min(max);
        self.min.store(min, Ordering::Release);
        self.max.store(max, Ordering::Release);
        self.flushed.store(max, Ordering::Release);
        let end = last.map_or(0, |e| e.physical_offset + u64::from(e.size));
        self.max_physical_end.store(end, Ordering::Release);
    }

    /// The entry at logical offset `q`, `None` if no segment holds it.
    pub fn entry(&self, q: u64) -> io::Result<Option<CqEntry>> {
        let mut buf = [0u8; ENTRY_BYTES as usize];
        match self.segments.read_at(q * ENTRY_BYTES, &mut buf) {
            Ok(()) => Ok(Some(CqEntry::decode(&buf))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Writes entry `q`. Idempotent below `max`; a `q` above `max` leaves a gap (logged: the
    /// log and the queue disagree) unless the queue is empty, in which case it starts at `q`.
    pub fn put(&self, q: u64, entry: CqEntry) -> io::Result<()> {
        let _guard = self.write.lock();
        let max = self.max_offset();
        if q < max {
            return Ok(());
        }
        if q > max {
            if max == self.min_offset() {
                self.min.store(q, Ordering::Release);
                self.flushed.store(q, Ordering::Release);
            } else {
                tracing::error!(topic = %self.topic, queue = self.queue_id, q, max, "consume queue gap");
            }
        }
        assert!(
            entry.physical_offset >= self.max_physical_end(),
            "consume queue entries must follow the log"
        );
        self.segments.write_at(q * ENTRY_BYTES, &entry.encode())?;
        self.max_physical_end.store(
            entry.physical_offset + u64::from(entry.size),
            Ordering::Release,
        );
        self.max.store(q + 1, Ordering::Release);
        Ok(())
    }

    /// Up to `count` entries from `from` whose tags code is in `tags` (all when `None`),
    /// scanning at most `scan_max` entries.
    pub fn read(
        &self,
        from: u64,
        count: usize,
        scan_max: u64,
        tags: Option<&BTreeSet<i64>>,
    ) -> io::Result<CqRead> {
        let from = from.max(self.min_offset());
        let end = self.max_offset().min(from.saturating_add(scan_max));
        let mut out = CqRead {
            entries: Vec::new(),
            next_offset: from,
        };
        let mut q = from;
        while q < end && out.entries.len() < count {
            let seg_end = (self.segments.start_of(q * ENTRY_BYTES) + self.segments.segment_bytes())
                / ENTRY_BYTES;
            let n = (end.min(seg_end) - q) as usize;
            let mut buf = vec![0u8; n * ENTRY_BYTES as usize];
            self.segments.read_at(q * ENTRY_BYTES, &mut buf)?;
            for chunk in buf.chunks(ENTRY_BYTES as usize) {
                let entry = CqEntry::decode(chunk);
                if entry.size > 0 && tags.is_none_or(|t| t.contains(&entry.tags_code)) {
                    out.entries.push((q, entry));
                }
                q += 1;
                if out.entries.len() >= count {
                    break;
                }
            }
        }
        out.next_offset = q;
        Ok(out)
    }

    /// Drops every entry pointing at or past `physical_end` (the recovered end of the log),
    /// zeroing them. Returns how many entries were dropped.
    pub async fn truncate_past(&self, physical_end: u64) -> io::Result<u64> {
        let (min, max) = (self.min_offset(), self.max_offset());
        let mut q = max;
        let mut last = None;
        while q > min {
            let Some(entry) = self.entry(q - 1)? else {
                break;
            };
            if entry.physical_offset + u64::from(entry.size) <= physical_end {
                last = Some(entry);
                break;
            }
            q -= 1;
        }
        if q == max {
            return Ok(0);
        }
        self.segments.truncate(q * ENTRY_BYTES).await?;
        self.set_end(q, last);
        Ok(max - q)
    }

    /// 4 KiB pages written but not yet flushed.
    pub fn dirty_pages(&self) -> u64 {
        let (flushed, max) = (self.flushed.load(Ordering::Acquire), self.max_offset());
        super::flush::dirty_pages(flushed * ENTRY_BYTES, max * ENTRY_BYTES)
    }

    /// Makes written entries durable. Returns whether anything was synced.
    pub async fn flush(&self, least_pages: u64) -> io::Result<bool> {
        let (flushed, max) = (self.flushed.load(Ordering::Acquire), self.max_offset());
        let (from, to) = (flushed * ENTRY_BYTES, max * ENTRY_BYTES);
        if to <= from || (to / 4096).saturating_sub(from / 4096) < least_pages {
            return Ok(false);
        }
        self.segments.sync(from..to).await?;
        self.flushed.fetch_max(max, Ordering::AcqRel);
        Ok(true)
    }

    /// Removes whole segment files whose entries all point below `physical_min` (never the
    /// last one), and moves `min` to the first entry at or past it.
    pub fn delete_below(&self, physical_min: u64) -> io::Result<usize> {
        let starts = self.segments.starts();
        let mut removed = 0;
        for pair in starts.windows(2) {
            let next_first = self.entry(pair[1] / ENTRY_BYTES)?;
            if next_first.is_some_and(|e| e.size > 0 && e.physical_offset <= physical_min) {
                self.segments.remove(pair[0])?;
                removed += 1;
            } else {
                break;
            }
        }
        let mut q = self
            .min_offset()
            .max(self.segments.first_start().unwrap_or(0) / ENTRY_BYTES);
        while q < self.max_offset() {
            match self.entry(q)? {
                Some(e) if e.physical_offset < physical_min => q += 1,
                _ => break,
            }
        }
        self.min.fetch_max(q, Ordering::AcqRel);
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_code_is_java_string_hash() {
        assert_eq!(tags_code(None), 0);
        assert_eq!(tags_code(Some("")), 0);
        assert_eq!(java_hash("TagA"), 2_598_919);
        assert_eq!(java_hash("hello world"), 1_794_106_052);
        assert_eq!(java_hash("polygenelubricants"), i32::MIN);
    }

    #[test]
    fn entry_round_trips() {
        let e = CqEntry {
            physical_offset: 1 << 40,
            size: 1234,
            tags_code: -5,
        };
        assert_eq!(CqEntry::decode(&e.encode()), e);
    }
}
