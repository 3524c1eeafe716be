//! An open segment file of a `SimDisk`: a handle on an inode.

use super::faults::DiskError;
use super::file::page_span;
use super::state::InodeId;
use super::SimDisk;
use rocketsim::env::Segment;
use std::future::Future;
use std::io;
use std::ops::Range;

/// An open segment. Keeps its inode alive while open, like a file descriptor.
pub struct SimSegment {
    disk: SimDisk,
    inode: InodeId,
}

impl SimSegment {
    /// Wraps an inode the caller has already counted as open (under the disk's lock).
    pub(super) fn from_open(disk: &SimDisk, inode: InodeId) -> Self {
        SimSegment {
            disk: disk.clone(),
            inode,
        }
    }
}

impl Drop for SimSegment {
    fn drop(&mut self) {
        self.disk.state.lock().close_inode(self.inode);
    }
}

impl Segment for SimSegment {
    fn len(&self) -> u64 {
        self.disk.state.lock().data(self.inode).len()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        let mut state = self.disk.state.lock();
        let old = state.data(self.inode).len();
        if len > old {
            state.check_space(len - old)?;
        }
        state.data_mut(self.inode).set_len(len);
        Ok(())
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        Ok(self.disk.state.lock().write_at(self.inode, offset, data)?)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let state = self.disk.state.lock();
        let file = state.data(self.inode);
        let len = buf.len() as u64;
        if offset.checked_add(len).is_none_or(|end| end > file.len()) {
            let file_len = file.len();
            return Err(DiskError::OutOfBounds {
                op: "read",
                offset,
                len,
                file_len,
            }
            .into());
        }
        file.read(offset, buf);
        Ok(())
    }

    fn sync(&self, range: Range<u64>) -> impl Future<Output = io::Result<()>> + Send {
        let disk = self.disk.clone();
        let inode = self.inode;
        async move {
            let (pages, latency_ms, generation, token) = {
                let mut state = disk.state.lock();
                state.stats.syncs += 1;
                let end = range.end.min(state.data(inode).len());
                let pages = page_span(range.start, end.saturating_sub(range.start));
                let probability = state.faults.sync_eio_probability;
                state.draw_eio("sync", probability)?;
                let latency_ms = state.draw_latency_ms();
                // Only a sync that takes time can be caught in progress by a power loss.
                let token = (latency_ms > 0).then(|| state.begin_sync(inode, pages.clone()));
                (pages, latency_ms, state.generation, token)
            };
            SimDisk::sleep_ms(latency_ms).await;
            let mut state = disk.state.lock();
            if state.generation != generation {
                return Err(DiskError::PowerLost { op: "sync" }.into());
            }
            state.finish_sync(inode, pages, token);
            Ok(())
        }
    }
}
