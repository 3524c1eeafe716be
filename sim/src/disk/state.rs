//! The synchronous core of a `SimDisk`: the namespace (directories, paths → inodes), the
//! inodes' content, fault draws and the in-flight bookkeeping that a power loss consults.
//! Everything here runs under the disk's one lock and never awaits.

use super::faults::{DiskError, DiskFaults, DiskStats, PowerLossReport};
use super::file::{page_span, FileData, PAGE_SIZE};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An inode number: a file keeps its identity across renames onto its path, and an open
/// segment keeps reading its inode after the path is removed or replaced (POSIX semantics).
pub type InodeId = u64;

pub struct Inode {
    pub data: FileData,
    /// Whether a path still names this inode.
    linked: bool,
    /// Open segment handles.
    open: usize,
}

/// A sync that has started and not finished (it sleeps its fsync latency in between).
pub struct SyncInFlight {
    pub inode: InodeId,
    pub pages: Range<u64>,
    pub token: u64,
}

pub struct DiskState {
    dirs: BTreeSet<PathBuf>,
    paths: BTreeMap<PathBuf, InodeId>,
    pub inodes: BTreeMap<InodeId, Inode>,
    next_inode: InodeId,
    pub faults: DiskFaults,
    rng: ChaCha8Rng,
    pub stats: DiskStats,
    /// Bumped by every power loss, so a sync or replace that slept across one fails.
    pub generation: u64,
    /// The most recent `write_at`: (inode, pages). A power loss may tear it.
    last_write: Option<(InodeId, Range<u64>)>,
    /// The sync in progress, if any; torn instead of `last_write` when present.
    pub sync_in_flight: Option<SyncInFlight>,
    next_token: u64,
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

/// The empty path and `/` always exist: they are the disk's root.
fn is_root(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, std::path::Component::RootDir))
}

impl DiskState {
    pub fn new(rng: ChaCha8Rng) -> Self {
        DiskState {
            dirs: BTreeSet::new(),
            paths: BTreeMap::new(),
            inodes: BTreeMap::new(),
            next_inode: 1,
            faults: DiskFaults::default(),
            rng,
            stats: DiskStats::default(),
            generation: 0,
            last_write: None,
            sync_in_flight: None,
            next_token: 0,
        }
    }

    // ---- faults -------------------------------------------------------------------------

    /// Draws whether this operation fails with EIO.
    pub fn draw_eio(&mut self, op: &'static str, probability: f64) -> Result<(), DiskError> {
        if !self.faults.enabled || probability <= 0.0 {
            return Ok(());
        }
        if self.rng.gen_bool(probability.min(1.0)) {
            self.stats.eio_injected += 1;
            return Err(DiskError::InjectedEio { op });
        }
        Ok(())
    }

    /// Draws the fsync latency of one sync, in milliseconds.
    pub fn draw_latency_ms(&mut self) -> u64 {
        let (min, max) = self.faults.fsync_latency_ms;
        if !self.faults.enabled || max == 0 {
            return 0;
        }
        self.rng.gen_range(min.min(max)..=max)
    }

    /// Bytes allocated: the lengths of all linked files.
    pub fn usage(&self) -> u64 {
        let linked = self.inodes.values().filter(|inode| inode.linked);
        linked.map(|inode| inode.data.len()).sum()
    }

    /// Fails with `Full` if allocating `needed` more bytes would pass the capacity.
    pub fn check_space(&mut self, needed: u64) -> Result<(), DiskError> {
        let Some(capacity) = self.faults.capacity_bytes.filter(|_| self.faults.enabled) else {
            return Ok(());
        };
        let usage = self.usage();
        if usage.saturating_add(needed) > capacity {
            self.stats.full_rejections += 1;
            return Err(DiskError::Full {
                usage_bytes: usage,
                needed_bytes: needed,
                capacity_bytes: capacity,
            });
        }
        Ok(())
    }

    // ---- namespace ----------------------------------------------------------------------

    pub fn dir_exists(&self, path: &Path) -> bool {
        is_root(path) || self.dirs.contains(path)
    }

    pub fn file_inode(&self, path: &Path) -> Option<InodeId> {
        self.paths.get(path).copied()
    }

    fn parent_must_exist(&self, op: &'static str, path: &Path) -> Result<(), DiskError> {
        match path.parent() {
            Some(parent) if !self.dir_exists(parent) => Err(DiskError::NotFound {
                op,
                path: display(parent),
            }),
            _ => Ok(()),
        }
    }

    pub fn create_dir_all(&mut self, path: &Path) -> Result<(), DiskError> {
        for dir in path.ancestors().filter(|dir| !is_root(dir)) {
            if self.paths.contains_key(dir) {
                let path = display(dir);
                return Err(DiskError::WrongKind {
                    op: "create_dir_all",
                    path,
                });
            }
        }
        for dir in path.ancestors().filter(|dir| !is_root(dir)) {
            self.dirs.insert(dir.to_path_buf());
        }
        Ok(())
    }

    pub fn list_dir(&self, path: &Path) -> Result<Vec<String>, DiskError> {
        if !self.dir_exists(path) {
            return Err(DiskError::NotFound {
                op: "list_dir",
                path: display(path),
            });
        }
        let dirs = self.dirs.iter();
        let entries = dirs
            .chain(self.paths.keys())
            .filter(|p| p.parent() == Some(path));
        let names: BTreeSet<String> = entries
            .filter_map(|p| p.file_name())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        Ok(names.into_iter().collect())
    }

    pub fn exists(&self, path: &Path) -> bool {
        self.dir_exists(path) || self.paths.contains_key(path)
    }

    pub fn remove_file(&mut self, path: &Path) -> Result<(), DiskError> {
        let inode = self.paths.remove(path).ok_or_else(|| DiskError::NotFound {
            op: "remove_file",
            path: display(path),
        })?;
        self.unlink(inode);
        Ok(())
    }

    pub fn remove_dir_all(&mut self, path: &Path) -> Result<(), DiskError> {
        if is_root(path) || !self.dirs.contains(path) {
            return Err(DiskError::NotFound {
                op: "remove_dir_all",
                path: display(path),
            });
        }
        self.dirs.retain(|dir| !dir.starts_with(path));
        let doomed: Vec<PathBuf> = self
            .paths
            .keys()
            .filter(|p| p.starts_with(path))
            .cloned()
            .collect();
        for file in doomed {
            if let Some(inode) = self.paths.remove(&file) {
                self.unlink(inode);
            }
        }
        Ok(())
    }

    fn unlink(&mut self, id: InodeId) {
        if let Some(inode) = self.inodes.get_mut(&id) {
            inode.linked = false;
            if inode.open == 0 {
                self.inodes.remove(&id);
            }
        }
    }

    /// Creates an inode with `data` and links it at `path`, replacing (unlinking) any file
    /// there. The caller has checked the parent and the space.
    pub fn link_new(&mut self, path: &Path, data: FileData) -> InodeId {
        let id = self.next_inode;
        self.next_inode += 1;
        self.inodes.insert(
            id,
            Inode {
                data,
                linked: true,
                open: 0,
            },
        );
        if let Some(old) = self.paths.insert(path.to_path_buf(), id) {
            self.unlink(old);
        }
        id
    }

    /// Checks that `path` can hold a new file of `len` bytes.
    pub fn check_new_file(
        &mut self,
        op: &'static str,
        path: &Path,
        len: u64,
    ) -> Result<(), DiskError> {
        self.parent_must_exist(op, path)?;
        if self.dir_exists(path) {
            return Err(DiskError::WrongKind {
                op,
                path: display(path),
            });
        }
        // A replace writes the new file before the old one goes: both need room at once.
        self.check_space(len)
    }

    pub fn open_inode(&mut self, id: InodeId) {
        if let Some(inode) = self.inodes.get_mut(&id) {
            inode.open += 1;
        }
    }

    pub fn close_inode(&mut self, id: InodeId) {
        if let Some(inode) = self.inodes.get_mut(&id) {
            inode.open = inode.open.saturating_sub(1);
            if inode.open == 0 && !inode.linked {
                self.inodes.remove(&id);
            }
        }
    }

    pub fn data(&self, id: InodeId) -> &FileData {
        // An open handle keeps its inode alive (see `close_inode`), so it is always there.
        &self.inodes[&id].data
    }

    pub fn data_mut(&mut self, id: InodeId) -> &mut FileData {
        &mut self
            .inodes
            .get_mut(&id)
            .expect("an open handle keeps its inode")
            .data
    }

    // ---- writes, syncs, power loss ------------------------------------------------------

    /// A `write_at`: bounds, EIO draw, then the volatile write. Nothing is written on error.
    pub fn write_at(&mut self, id: InodeId, offset: u64, bytes: &[u8]) -> Result<(), DiskError> {
        let len = bytes.len() as u64;
        let file_len = self.data(id).len();
        if offset.checked_add(len).is_none_or(|end| end > file_len) {
            return Err(DiskError::OutOfBounds {
                op: "write",
                offset,
                len,
                file_len,
            });
        }
        let probability = self.faults.write_eio_probability;
        self.draw_eio("write", probability)?;
        self.data_mut(id).write(offset, bytes);
        self.stats.bytes_written += len;
        self.last_write = Some((id, page_span(offset, len)));
        Ok(())
    }

    /// Registers a sync in progress and returns its token.
    pub fn begin_sync(&mut self, inode: InodeId, pages: Range<u64>) -> u64 {
        self.next_token += 1;
        let token = self.next_token;
        self.sync_in_flight = Some(SyncInFlight {
            inode,
            pages,
            token,
        });
        token
    }

    /// Completes a sync: its pages become durable.
    pub fn finish_sync(&mut self, inode: InodeId, pages: Range<u64>, token: Option<u64>) {
        let synced = self.data_mut(inode).persist_pages(pages);
        self.stats.bytes_synced += synced * PAGE_SIZE;
        if token.is_some() && self.sync_in_flight.as_ref().map(|s| s.token) == token {
            self.sync_in_flight = None;
        }
    }

    /// Applies a power loss (see the fault model in `disk`).
    pub fn power_loss(&mut self) -> PowerLossReport {
        self.generation += 1;
        let torn = match self.sync_in_flight.take() {
            Some(sync) => Some((sync.inode, sync.pages)),
            None => self.last_write.take(),
        };
        self.last_write = None;
        let mut report = PowerLossReport::default();
        if let Some((id, pages)) = torn.filter(|(id, _)| self.inodes.contains_key(id)) {
            let dirty = self.data(id).volatile_pages_in(pages);
            let kept = self.rng.gen_range(0..=dirty.len());
            for &page in &dirty[..kept] {
                self.data_mut(id).persist_page(page);
            }
            report.torn_sectors_kept = kept as u64;
            report.torn_sectors_dropped = (dirty.len() - kept) as u64;
        }
        for inode in self.inodes.values_mut() {
            report.pages_dropped += inode.data.drop_volatile();
        }
        self.stats.power_losses += 1;
        self.stats.last_power_loss = report;
        report
    }
}
