//! One IndexFile (§4.3): a 40-byte header, `slots` 4-byte hash slots, `entries_max` 20-byte
//! entries `keyHash i32 | phyOffset i64 | timeDiff i32 (s) | prevIndex i32`, chained per slot
//! newest first. Entry numbers start at 1; 0 in a slot or a `prevIndex` means none.
//!
//! Durability: like every segment, volatile until `flush`. After a crash the header may be
//! older than the entries and slots, so `open` counts entries past the header's count, and a
//! query follows a chain only while `prevIndex` strictly decreases and within a step bound:
//! stale links can make a query miss or return a wrong offset, never loop. The store checks
//! every hit against the record's key, and recovery re-indexes from its safe point.

use std::io;
use std::sync::atomic::{AtomicI32, Ordering};

use parking_lot::Mutex;

use super::consume_queue::java_hash;
use crate::env::Segment;

pub const HEADER_BYTES: u64 = 40;
pub const SLOT_BYTES: u64 = 4;
pub const ENTRY_BYTES: u64 = 20;

/// `IndexHeader`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub begin_timestamp_ms: i64,
    pub end_timestamp_ms: i64,
    pub begin_phy_offset: u64,
    pub end_phy_offset: u64,
    pub hash_slot_count: i32,
    /// Next entry number; starts at 1.
    pub index_count: i32,
}

impl Header {
    fn encode(&self) -> [u8; HEADER_BYTES as usize] {
        let mut out = [0u8; HEADER_BYTES as usize];
        out[0..8].copy_from_slice(&self.begin_timestamp_ms.to_be_bytes());
        out[8..16].copy_from_slice(&self.end_timestamp_ms.to_be_bytes());
        out[16..24].copy_from_slice(&self.begin_phy_offset.to_be_bytes());
        out[24..32].copy_from_slice(&self.end_phy_offset.to_be_bytes());
        out[32..36].copy_from_slice(&self.hash_slot_count.to_be_bytes());
        out[36..40].copy_from_slice(&self.index_count.to_be_bytes());
        out
    }

    fn decode(b: &[u8; HEADER_BYTES as usize]) -> Self {
        let i64_at = |at: usize| i64::from_be_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let i32_at = |at: usize| i32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        Header {
            begin_timestamp_ms: i64_at(0),
            end_timestamp_ms: i64_at(8),
            begin_phy_offset: i64_at(16) as u64,
            end_phy_offset: i64_at(24) as u64,
            hash_slot_count: i32_at(32),
            index_count: i32_at(36).max(1),
        }
    }
}

/// RocketMQ's positive key hash of `topic#key` (`indexKeyHashMethod`).
pub fn key_hash(topic: &str, key: &str) -> i32 {
    let h = java_hash(&format!("{topic}#{key}"));
    h.checked_abs().unwrap_or(0)
}

/// The byte size of a file with these dimensions.
pub fn file_bytes(slots: u32, entries_max: u32) -> u64 {
    HEADER_BYTES + SLOT_BYTES * u64::from(slots) + ENTRY_BYTES * u64::from(entries_max)
}

/// One index file over segment `S`.
pub struct IndexFile<S: Segment> {
    pub name: String,
    segment: S,
    slots: u32,
    entries_max: u32,
    header: Mutex<Header>,
    /// `index_count` at the last flush.
    flushed_count: AtomicI32,
}

impl<S: Segment> IndexFile<S> {
    /// Wraps an open (possibly fresh, zero-filled) file. After an abnormal exit (`rebuild`)
    /// the header and slots may be newer or older than the entries (pages are lost or kept
    /// independently), so the entry count is taken as the longest run of written entries and
    /// the slots and header are recomputed from those entries.
    pub fn load(
        name: String,
        segment: S,
        slots: u32,
        entries_max: u32,
        rebuild: bool,
    ) -> io::Result<Self> {
        let mut raw = [0u8; HEADER_BYTES as usize];
        segment.read_at(0, &mut raw)?;
        let mut header = Header::decode(&raw);
        let file = IndexFile {
            name,
            segment,
            slots,
            entries_max,
            header: Mutex::new(header),
            flushed_count: AtomicI32::new(0),
        };
        // Entries written after the header was last made durable: do not overwrite them.
        while (header.index_count as u32) <= entries_max && file.entry_is_set(header.index_count)? {
            header.index_count += 1;
        }
        *file.header.lock() = header;
        if rebuild && header.index_count > 1 {
            file.rebuild()?;
        }
        Ok(file)
    }

    /// Recomputes the count, the slots and the header from the entries.
    fn rebuild(&self) -> io::Result<()> {
        let mut header = self.header();
        let mut table = vec![0i32; self.slots as usize];
        let mut n = 1;
        let mut max_diff = 0;
        while n as u32 <= self.entries_max {
            let mut e = [0u8; ENTRY_BYTES as usize];
            self.segment.read_at(self.entry_at(n), &mut e)?;
            if e.iter().all(|&b| b == 0) {
                break;
            }
            let hash = i32::from_be_bytes(e[0..4].try_into().expect("4 bytes"));
            max_diff = max_diff.max(i32::from_be_bytes(e[12..16].try_into().expect("4 bytes")));
            table[(hash as u64 % u64::from(self.slots)) as usize] = n;
            n += 1;
        }
        let mut raw = Vec::with_capacity(table.len() * SLOT_BYTES as usize);
        for slot in &table {
            raw.extend_from_slice(&slot.to_be_bytes());
        }
        self.segment.write_at(HEADER_BYTES, &raw)?;
        header.index_count = n;
        header.hash_slot_count = table.iter().filter(|&&s| s != 0).count() as i32;
        header.end_timestamp_ms = header
            .end_timestamp_ms
            .max(header.begin_timestamp_ms + i64::from(max_diff) * 1000 + 999);
        self.segment.write_at(0, &header.encode())?;
        *self.header.lock() = header;
        Ok(())
    }

    pub fn header(&self) -> Header {
        *self.header.lock()
    }

    pub fn is_full(&self) -> bool {
        self.header.lock().index_count as u32 > self.entries_max
    }

    fn slot_at(&self, hash: i32) -> u64 {
        HEADER_BYTES + SLOT_BYTES * (hash as u64 % u64::from(self.slots))
    }

    fn entry_at(&self, n: i32) -> u64 {
        HEADER_BYTES + SLOT_BYTES * u64::from(self.slots) + ENTRY_BYTES * (n as u64 - 1)
    }

    fn entry_is_set(&self, n: i32) -> io::Result<bool> {
        let mut buf = [0u8; ENTRY_BYTES as usize];
        self.segment.read_at(self.entry_at(n), &mut buf)?;
        Ok(buf.iter().any(|&b| b != 0))
    }

    fn read_i32(&self, at: u64) -> io::Result<i32> {
        let mut b = [0u8; 4];
        self.segment.read_at(at, &mut b)?;
        Ok(i32::from_be_bytes(b))
    }

    /// Adds `hash → phy_offset`. `Ok(false)` when the file is full.
    pub fn put(&self, hash: i32, phy_offset: u64, store_timestamp_ms: i64) -> io::Result<bool> {
        let mut header = self.header.lock();
        if header.index_count as u32 > self.entries_max {
            return Ok(false);
        }
        if header.index_count == 1 {
            header.begin_timestamp_ms = store_timestamp_ms;
            header.begin_phy_offset = phy_offset;
        }
        let slot_at = self.slot_at(hash);
        let mut prev = self.read_i32(slot_at)?;
        if prev < 0 || prev >= header.index_count {
            prev = 0; // a stale slot from before a crash
        }
        let diff_s = (store_timestamp_ms - header.begin_timestamp_ms) / 1000;
        let n = header.index_count;
        let mut entry = [0u8; ENTRY_BYTES as usize];
        entry[0..4].copy_from_slice(&hash.to_be_bytes());
        entry[4..12].copy_from_slice(&phy_offset.to_be_bytes());
        entry[12..16].copy_from_slice(&(diff_s as i32).to_be_bytes());
        entry[16..20].copy_from_slice(&prev.to_be_bytes());
        self.segment.write_at(self.entry_at(n), &entry)?;
        self.segment.write_at(slot_at, &n.to_be_bytes())?;
        if prev == 0 {
            header.hash_slot_count += 1;
        }
        header.index_count += 1;
        header.end_timestamp_ms = header.end_timestamp_ms.max(store_timestamp_ms);
        header.end_phy_offset = header.end_phy_offset.max(phy_offset);
        self.segment.write_at(0, &header.encode())?;
        Ok(true)
    }

    /// Physical offsets of entries for `hash` stored within `[begin_ms, end_ms]`, newest
    /// first, at most `max`.
    pub fn query(&self, hash: i32, begin_ms: i64, end_ms: i64, max: usize) -> io::Result<Vec<u64>> {
        let header = self.header();
        let mut out = Vec::new();
        let mut n = self.read_i32(self.slot_at(hash))?;
        let mut steps = 0u32;
        while n > 0 && n < header.index_count && out.len() < max && steps <= self.entries_max {
            steps += 1;
            let mut e = [0u8; ENTRY_BYTES as usize];
            self.segment.read_at(self.entry_at(n), &mut e)?;
            let h = i32::from_be_bytes(e[0..4].try_into().expect("4 bytes"));
            let phy = u64::from_be_bytes(e[4..12].try_into().expect("8 bytes"));
            let diff = i32::from_be_bytes(e[12..16].try_into().expect("4 bytes"));
            let prev = i32::from_be_bytes(e[16..20].try_into().expect("4 bytes"));
            let at_ms = header.begin_timestamp_ms + i64::from(diff) * 1000;
            // The entry keeps whole seconds: it matches if its second overlaps the range.
            if h == hash && at_ms + 999 >= begin_ms && at_ms <= end_ms {
                out.push(phy);
            }
            if prev >= n {
                break;
            }
            n = prev;
        }
        Ok(out)
    }

    /// Syncs the file if entries were added since the last flush.
    pub async fn flush(&self) -> io::Result<()> {
        let count = self.header().index_count;
        if self.flushed_count.load(Ordering::Acquire) == count {
            return Ok(());
        }
        let len = self.segment.len();
        self.segment.sync(0..len).await?;
        self.flushed_count.store(count, Ordering::Release);
        Ok(())
    }
}
