//! One file's content as two sparse layers of 4 KiB pages: `durable` (what survives a power
//! loss) and `volatile` (written but not yet synced, the page cache). A page present in
//! `volatile` is the full current image of that page and shadows the durable one; reads see
//! volatile over durable over zeros.
//!
//! Invariants: no page at or past `ceil(len / PAGE_SIZE)` exists in either layer; bytes past
//! `len` inside the last page are zero in both layers (so growing a file reads zeros); an
//! all-zero page is never stored in `durable` (absent means zero), which keeps a 1 GiB segment
//! that is mostly unwritten cheap.

use std::collections::BTreeMap;
use std::ops::Range;

/// Sector and page size: the unit of syncing and of tearing.
pub const PAGE_SIZE: u64 = 4096;

type Page = Box<[u8; PAGE_SIZE as usize]>;

fn zero_page() -> Page {
    Box::new([0u8; PAGE_SIZE as usize])
}

/// Pages touched by `len` bytes at `offset` (empty for an empty range).
pub fn page_span(offset: u64, len: u64) -> Range<u64> {
    if len == 0 {
        return offset / PAGE_SIZE..offset / PAGE_SIZE;
    }
    offset / PAGE_SIZE..(offset + len).div_ceil(PAGE_SIZE)
}

/// The content of one file (an inode).
#[derive(Default)]
pub struct FileData {
    len: u64,
    durable: BTreeMap<u64, Page>,
    volatile: BTreeMap<u64, Page>,
}

impl FileData {
    /// A zero-filled file of `len` bytes, entirely durable.
    pub fn zeroed(len: u64) -> Self {
        FileData {
            len,
            ..FileData::default()
        }
    }

    /// A file holding `data`, entirely durable (the result of an atomic replace).
    pub fn durable_from(data: &[u8]) -> Self {
        let mut file = FileData::zeroed(data.len() as u64);
        file.write(0, data);
        let pages: Vec<u64> = file.volatile.keys().copied().collect();
        for page in pages {
            file.persist_page(page);
        }
        file
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    /// Copies `buf.len()` bytes from `offset`; the caller has checked the bounds.
    pub fn read(&self, offset: u64, buf: &mut [u8]) {
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let (page, within) = (pos / PAGE_SIZE, (pos % PAGE_SIZE) as usize);
            let take = (PAGE_SIZE as usize - within).min(buf.len() - done);
            let dest = &mut buf[done..done + take];
            match self.volatile.get(&page).or_else(|| self.durable.get(&page)) {
                Some(image) => dest.copy_from_slice(&image[within..within + take]),
                None => dest.fill(0),
            }
            done += take;
        }
    }

    /// Copies `data` into the volatile layer at `offset`; the caller has checked the bounds.
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        let mut done = 0usize;
        while done < data.len() {
            let pos = offset + done as u64;
            let (page, within) = (pos / PAGE_SIZE, (pos % PAGE_SIZE) as usize);
            let take = (PAGE_SIZE as usize - within).min(data.len() - done);
            let chunk = &data[done..done + take];
            done += take;
            // Zeros over a page that reads as zeros change nothing: skip the allocation.
            let unbacked = !self.volatile.contains_key(&page) && !self.durable.contains_key(&page);
            if unbacked && chunk.iter().all(|&b| b == 0) {
                continue;
            }
            let durable = &self.durable;
            let image = self
                .volatile
                .entry(page)
                .or_insert_with(|| durable.get(&page).cloned().unwrap_or_else(zero_page));
            image[within..within + take].copy_from_slice(chunk);
        }
    }

    /// Volatile pages within `pages`, in order.
    pub fn volatile_pages_in(&self, pages: Range<u64>) -> Vec<u64> {
        self.volatile.range(pages).map(|(&page, _)| page).collect()
    }

    /// Number of volatile pages.
    pub fn volatile_count(&self) -> u64 {
        self.volatile.len() as u64
    }

    /// Makes one volatile page durable; false if it was not volatile.
    pub fn persist_page(&mut self, page: u64) -> bool {
        let Some(image) = self.volatile.remove(&page) else {
            return false;
        };
        if image.iter().all(|&b| b == 0) {
            self.durable.remove(&page);
        } else {
            self.durable.insert(page, image);
        }
        true
    }

    /// Makes every volatile page within `pages` durable; returns how many there were.
    pub fn persist_pages(&mut self, pages: Range<u64>) -> u64 {
        let dirty = self.volatile_pages_in(pages);
        for &page in &dirty {
            self.persist_page(page);
        }
        dirty.len() as u64
    }

    /// Forgets every volatile page (a power loss); returns how many there were.
    pub fn drop_volatile(&mut self) -> u64 {
        let dropped = self.volatile.len() as u64;
        self.volatile.clear();
        dropped
    }

    /// Grows (zeros) or shrinks the file. Length changes are metadata, durable at once (see
    /// the fault model in `disk`).
    pub fn set_len(&mut self, len: u64) {
        if len < self.len {
            let first_gone = len.div_ceil(PAGE_SIZE);
            self.durable.split_off(&first_gone);
            self.volatile.split_off(&first_gone);
            let tail = (len % PAGE_SIZE) as usize;
            if tail != 0 {
                let page = len / PAGE_SIZE;
                for layer in [&mut self.durable, &mut self.volatile] {
                    if let Some(image) = layer.get_mut(&page) {
                        image[tail..].fill(0);
                    }
                }
            }
        }
        self.len = len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_see_volatile_over_durable_over_zeros() {
        let mut file = FileData::durable_from(&[1u8; 5000]);
        file.set_len(10_000);
        file.write(4000, &[2u8; 200]);
        let mut buf = vec![0u8; 10_000];
        file.read(0, &mut buf);
        assert!(buf[..4000].iter().all(|&b| b == 1));
        assert!(buf[4000..4200].iter().all(|&b| b == 2));
        assert!(buf[4200..5000].iter().all(|&b| b == 1));
        assert!(buf[5000..].iter().all(|&b| b == 0));
        assert_eq!(file.volatile_pages_in(0..10), vec![0, 1]);
        assert_eq!(file.drop_volatile(), 2);
        file.read(4000, &mut buf[..200]);
        assert!(buf[..200].iter().all(|&b| b == 1));
    }

    #[test]
    fn shrinking_zeroes_the_tail_so_growth_reads_zeros() {
        let mut file = FileData::durable_from(&[7u8; 9000]);
        file.set_len(100);
        file.set_len(9000);
        let mut buf = vec![9u8; 9000];
        file.read(0, &mut buf);
        assert!(buf[..100].iter().all(|&b| b == 7));
        assert!(buf[100..].iter().all(|&b| b == 0));
    }

    #[test]
    fn zero_writes_to_unbacked_pages_store_nothing() {
        let mut file = FileData::zeroed(1 << 30);
        file.write(1 << 20, &[0u8; 8192]);
        assert_eq!(file.volatile_count(), 0);
        assert_eq!(page_span(4095, 2), 0..2);
        assert_eq!(page_span(4096, 4096), 1..2);
    }
}
