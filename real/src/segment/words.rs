//! The mapped bytes seen as atomics: the one place in the project that turns a raw pointer
//! into a Rust reference.
//!
//! Why atomics and not a byte slice: the `Segment` seam takes `&self` for writes and reads, and a
//! broker writes the CommitLog tail while pull requests read older ranges of the same segment
//! at the same moment. A `&mut [u8]` over the map would alias those readers; plain copies through
//! raw pointers would be a data race — undefined behaviour — the first time a caller broke the
//! "nobody reads a range while it is being written" promise, and a safe method must not depend
//! on a promise. Relaxed atomic loads and stores cost the same as plain moves on x86-64 and
//! aarch64, and a racing caller gets torn bytes, never undefined behaviour.
//!
//! The memory model also forbids racing atomic accesses of *different sizes* to the same byte,
//! so every byte has one fixed access size for the life of a view: the bytes of each whole
//! 8-byte word are always accessed as that `AtomicU64` (a partial-word write merges its lanes in
//! with a compare-and-swap, leaving the other lanes intact for their own readers and writers);
//! only the last `len % 8` bytes, which form no whole word, are `AtomicU8`. Ordering is `Relaxed`:
//! the caller publishes what it wrote by its own means (a position behind a release store, a
//! lock), exactly as it would for ordinary memory.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicU64, AtomicU8};

/// `len` mapped bytes: the whole words as `AtomicU64`, the remaining `len % 8` bytes as `AtomicU8`.
pub(super) struct Words<'a> {
    words: &'a [AtomicU64],
    tail: &'a [AtomicU8],
}

impl<'a> Words<'a> {
    /// A view of the `len` bytes at `ptr`.
    ///
    /// # Safety
    ///
    /// * `ptr` is non-null, 8-byte aligned and valid for reads and writes of `len` bytes for all
    ///   of `'a` (a live mapping that is neither unmapped nor remapped during `'a`);
    /// * during `'a`, code in this process touches those bytes only through `Words` views made
    ///   from this same `ptr` and `len` (so each byte keeps one access size).
    pub(super) unsafe fn new(ptr: *mut u8, len: usize) -> Self {
        let word_count = len / 8;
        // SAFETY: `AtomicU64` has the size of `u64` and alignment 8, which `ptr` has; the
        // caller guarantees the `word_count * 8 <= len` bytes are valid for `'a` and are only
        // accessed atomically (an `AtomicU64` allows shared mutation through `&`). `len` came
        // from a successful mmap, so it is at most `isize::MAX`.
        let words = unsafe { std::slice::from_raw_parts(ptr.cast::<AtomicU64>(), word_count) };
        // SAFETY: the `len % 8` bytes after the whole words lie inside the same valid range;
        // `AtomicU8` has size and alignment 1. `ptr.add` stays within the mapping.
        let tail = unsafe {
            std::slice::from_raw_parts(ptr.add(word_count * 8).cast::<AtomicU8>(), len % 8)
        };
        Words { words, tail }
    }

    /// Copies `data` to byte `offset`. `offset + data.len()` must not exceed the view's length
    /// (the caller checks; a violation panics on a slice index, it cannot corrupt memory).
    pub(super) fn write(&self, offset: usize, data: &[u8]) {
        let word_bytes = self.words.len() * 8;
        let (in_words, in_tail) = data.split_at(data.len().min(word_bytes.saturating_sub(offset)));
        write_words(self.words, offset, in_words);
        if !in_tail.is_empty() {
            // Non-empty only when the write reaches past the last whole word.
            let from = offset + in_words.len() - word_bytes;
            for (cell, byte) in self.tail[from..from + in_tail.len()].iter().zip(in_tail) {
                cell.store(*byte, Relaxed);
            }
        }
    }

    /// Fills `buf` from byte `offset`; the same bounds rule as `write`.
    pub(super) fn read(&self, offset: usize, buf: &mut [u8]) {
        let word_bytes = self.words.len() * 8;
        let split = buf.len().min(word_bytes.saturating_sub(offset));
        let (in_words, in_tail) = buf.split_at_mut(split);
        read_words(self.words, offset, in_words);
        if !in_tail.is_empty() {
            let from = offset + split - word_bytes;
            for (cell, byte) in self.tail[from..from + in_tail.len()].iter().zip(in_tail) {
                *byte = cell.load(Relaxed);
            }
        }
    }
}

/// Stores `data` at byte `offset` of `words`: a partial first word, whole words, a partial last.
fn write_words(words: &[AtomicU64], offset: usize, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let (mut index, lane) = (offset / 8, offset % 8);
    let mut rest = data;
    if lane != 0 {
        let (part, after) = rest.split_at(rest.len().min(8 - lane));
        merge(&words[index], lane, part);
        (index, rest) = (index + 1, after);
    }
    let (whole, last) = rest.split_at(rest.len() / 8 * 8);
    let whole_words = &words[index..index + whole.len() / 8];
    for (word, chunk) in whole_words.iter().zip(whole.chunks_exact(8)) {
        word.store(u64::from_ne_bytes(to_word(chunk)), Relaxed);
    }
    if !last.is_empty() {
        merge(&words[index + whole_words.len()], 0, last);
    }
}

/// Loads bytes from `offset` of `words` into `buf`, in the same three parts as `write_words`.
fn read_words(words: &[AtomicU64], offset: usize, buf: &mut [u8]) {
    if buf.is_empty() {
        return;
    }
    let (mut index, lane) = (offset / 8, offset % 8);
    let mut rest = buf;
    if lane != 0 {
        let take = rest.len().min(8 - lane);
        let (part, after) = rest.split_at_mut(take);
        part.copy_from_slice(&words[index].load(Relaxed).to_ne_bytes()[lane..lane + take]);
        (index, rest) = (index + 1, after);
    }
    let split = rest.len() / 8 * 8;
    let (whole, last) = rest.split_at_mut(split);
    let whole_words = &words[index..index + split / 8];
    for (word, chunk) in whole_words.iter().zip(whole.chunks_exact_mut(8)) {
        chunk.copy_from_slice(&word.load(Relaxed).to_ne_bytes());
    }
    if !last.is_empty() {
        let bytes = words[index + whole_words.len()].load(Relaxed).to_ne_bytes();
        last.copy_from_slice(&bytes[..last.len()]);
    }
}

/// Replaces the lanes `lane..lane + part.len()` of `word` with `part`, keeping the other lanes
/// as they are at the instant of the swap (another writer or reader may own them).
fn merge(word: &AtomicU64, lane: usize, part: &[u8]) {
    let (mut value, mut mask) = ([0u8; 8], [0u8; 8]);
    value[lane..lane + part.len()].copy_from_slice(part);
    mask[lane..lane + part.len()].fill(0xFF);
    let (value, mask) = (u64::from_ne_bytes(value), u64::from_ne_bytes(mask));
    let mut current = word.load(Relaxed);
    loop {
        let merged = (current & !mask) | value;
        match word.compare_exchange_weak(current, merged, Relaxed, Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

/// An 8-byte chunk as an array (`chunks_exact(8)` guarantees the length).
fn to_word(chunk: &[u8]) -> [u8; 8] {
    let mut word = [0u8; 8];
    word.copy_from_slice(chunk);
    word
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every (offset, length) in a 27-byte view (3 whole words + 3 tail bytes) round-trips and
    /// leaves every other byte untouched.
    #[test]
    fn every_range_round_trips_without_touching_neighbours() {
        const LEN: usize = 27;
        let backing: Vec<AtomicU64> = (0..4).map(|_| AtomicU64::new(0)).collect();
        // SAFETY: `backing` is 32 aligned bytes owned by this test, accessed only via `view`.
        let view = unsafe { Words::new(backing.as_ptr() as *mut u8, LEN) };
        for offset in 0..=LEN {
            for len in 0..=LEN - offset {
                let before: Vec<u8> = (0..LEN as u8).map(|i| i ^ 0x5A).collect();
                view.write(0, &before);
                let data: Vec<u8> = (0..len as u8).map(|i| 0x80 | i).collect();
                view.write(offset, &data);
                let mut all = vec![0u8; LEN];
                view.read(0, &mut all);
                let mut expected = before.clone();
                expected[offset..offset + len].copy_from_slice(&data);
                assert_eq!(all, expected, "write of {len} at {offset}");
                let mut back = vec![0u8; len];
                view.read(offset, &mut back);
                assert_eq!(back, data, "read of {len} at {offset}");
            }
        }
    }
}
