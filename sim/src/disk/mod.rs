//! `SimDisk`: one node's disk, owned by the world, outliving the node's processes.
//!
//! # Fault model
//!
//! * **Volatile and durable.** Every `write_at` lands in a volatile layer (the page cache).
//!   `sync(range)` makes the 4 KiB pages overlapping `range` durable (msync and fsync work on
//!   whole pages). Reads always see volatile over durable.
//! * **Atomic replace.** `write_file_atomic` is durable when it returns: after any crash the
//!   file holds the old or the new content, never a mix. It is modelled as "write a temporary,
//!   fsync, rename, fsync the directory": the new inode is linked only at the end.
//! * **Metadata** (create a directory, create a segment with its length, `set_len`, remove) is
//!   durable at once, as on a journaling file system that commits metadata before returning.
//!   Only file *content* can be lost.
//! * **Process kill** (madsim kill/restart): nothing happens to the disk; volatile data
//!   survives, as the page cache of a surviving kernel would. The next incarnation reads it.
//! * **Power loss** (`power_loss`): volatile data is dropped, except the last in-flight write:
//!   the range of a sync in progress if there is one, otherwise the most recent `write_at`.
//!   Of its volatile sectors (4 KiB, the same unit as pages), a seeded choice keeps a prefix
//!   of random length — possibly none, possibly all — and drops the rest. A torn write
//!   therefore reads as a sector-aligned prefix of new data followed by old data. A kept
//!   sector carries the whole page image, including older unsynced bytes in the same page.
//!   A sync or atomic replace that was sleeping its latency across a power loss fails.
//! * **Opt-in faults** (`DiskFaults`, all off by default, seeded from the disk's own stream):
//!   fsync latency slept in virtual time; EIO on write (nothing written) or on sync (range
//!   stays volatile) with a probability; disk full at a capacity, where usage is allocated
//!   bytes — segment lengths (segments are preallocated, like `fallocate`) plus file sizes.
//!   So a `write_at` inside a segment never hits "disk full"; creating or growing a segment,
//!   or replacing a file, does, with `StorageFull` and no change.
//! * **Not modelled:** misdirected or corrupted writes, latent sector errors, reordering of
//!   writes to different files before a sync, losing metadata.
//!
//! Paths are plain keys compared component by component; directories are tracked so that
//! `list_dir`, `exists` and `remove_dir_all` behave like a real file system. Creating a file
//! needs its parent directory. Open segments keep their inode after it is removed or replaced.

mod faults;
mod file;
mod fs;
mod segment;
mod state;

pub use faults::{DiskError, DiskFaults, DiskStats, PowerLossReport};
pub use file::PAGE_SIZE;
pub use segment::SimSegment;

use parking_lot::Mutex;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use state::DiskState;
use std::sync::Arc;

/// A simulated disk. Cheap to clone: clones share the same content.
#[derive(Clone)]
pub struct SimDisk {
    state: Arc<Mutex<DiskState>>,
}

impl SimDisk {
    /// An empty disk whose fault and tear draws come from a stream seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(seed);
        SimDisk {
            state: Arc::new(Mutex::new(DiskState::new(rng))),
        }
    }

    /// Replaces the fault configuration.
    pub fn set_faults(&self, faults: DiskFaults) {
        self.state.lock().faults = faults;
    }

    /// The current fault configuration.
    pub fn faults(&self) -> DiskFaults {
        self.state.lock().faults.clone()
    }

    /// Applies a power loss to the content (the node must be killed separately; the world's
    /// `power_loss` does both).
    pub fn power_loss(&self) -> PowerLossReport {
        self.state.lock().power_loss()
    }

    /// Counters since the disk was created.
    pub fn stats(&self) -> DiskStats {
        self.state.lock().stats.clone()
    }

    /// Allocated bytes: lengths of all files and segments.
    pub fn usage(&self) -> u64 {
        self.state.lock().usage()
    }

    /// Volatile (unsynced) pages across all files: what a power loss now would put at risk.
    pub fn volatile_pages(&self) -> u64 {
        let state = self.state.lock();
        state
            .inodes
            .values()
            .map(|inode| inode.data.volatile_count())
            .sum()
    }

    /// Sleeps `ms` of virtual time (fsync latency); nothing when zero, so a disk without
    /// latency also works outside a simulation.
    async fn sleep_ms(ms: u64) {
        if ms > 0 {
            madsim::time::sleep(std::time::Duration::from_millis(ms)).await;
        }
    }
}
