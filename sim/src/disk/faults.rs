//! Opt-in disk faults, counters for reports, and the typed errors a `SimDisk` returns.
//!
//! Faults are drawn from the disk's own seeded stream, so enabling them on one node never
//! shifts the draws of another node or of the network.

use serde::{Deserialize, Serialize};
use std::io;

/// Faults injected into one disk. All off by default; `enabled: false` turns every one of
/// them off at once without losing the settings (a scenario can flip a disk bad and good).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiskFaults {
    /// Master switch: when false no fault below is applied.
    pub enabled: bool,
    /// Each sync (and atomic file replace) sleeps a virtual duration drawn uniformly from
    /// `min..=max` milliseconds. `(0, 0)` means no latency.
    pub fsync_latency_ms: (u64, u64),
    /// Probability that a `write_at` or `write_file_atomic` fails with EIO, writing nothing.
    pub write_eio_probability: f64,
    /// Probability that a `sync` fails with EIO, leaving its range volatile.
    pub sync_eio_probability: f64,
    /// Disk size: growing the allocated bytes (segment lengths plus file sizes) past it fails
    /// with `StorageFull`.
    pub capacity_bytes: Option<u64>,
}

/// Running counters of one disk, for reports.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskStats {
    /// Bytes accepted by `write_at` and `write_file_atomic`.
    pub bytes_written: u64,
    /// Bytes made durable by syncs (whole pages: sync works on pages).
    pub bytes_synced: u64,
    /// Segment syncs started (fsync/msync calls), failed ones included.
    pub syncs: u64,
    /// Injected EIO errors returned.
    pub eio_injected: u64,
    /// `StorageFull` errors returned.
    pub full_rejections: u64,
    /// Power losses applied.
    pub power_losses: u64,
    /// What the most recent power loss did.
    pub last_power_loss: PowerLossReport,
}

/// What one power loss did to the disk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PowerLossReport {
    /// Volatile pages (4 KiB) forgotten, torn ones included.
    pub pages_dropped: u64,
    /// Sectors of the in-flight write or sync that were kept (a torn prefix).
    pub torn_sectors_kept: u64,
    /// Sectors of the in-flight write or sync that were lost.
    pub torn_sectors_dropped: u64,
}

impl PowerLossReport {
    /// Bytes lost, counted in whole pages.
    pub fn bytes_dropped(&self) -> u64 {
        self.pages_dropped * super::file::PAGE_SIZE
    }
}

/// Why a disk operation failed, carried inside the `io::Error` the `Fs` seam returns.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    #[error("injected EIO on {op}")]
    InjectedEio { op: &'static str },
    #[error("disk full: {usage_bytes} + {needed_bytes} bytes exceeds {capacity_bytes}")]
    Full {
        usage_bytes: u64,
        needed_bytes: u64,
        capacity_bytes: u64,
    },
    #[error("power lost during {op}")]
    PowerLost { op: &'static str },
    #[error("{op}: {path} not found")]
    NotFound { op: &'static str, path: String },
    #[error("{op}: {path} already exists as another kind of entry")]
    WrongKind { op: &'static str, path: String },
    #[error("{op}: {offset}+{len} is past the end ({file_len})")]
    OutOfBounds {
        op: &'static str,
        offset: u64,
        len: u64,
        file_len: u64,
    },
}

impl DiskError {
    fn kind(&self) -> io::ErrorKind {
        match self {
            DiskError::InjectedEio { .. } | DiskError::PowerLost { .. } => io::ErrorKind::Other,
            DiskError::Full { .. } => io::ErrorKind::StorageFull,
            DiskError::NotFound { .. } => io::ErrorKind::NotFound,
            DiskError::WrongKind { .. } => io::ErrorKind::AlreadyExists,
            DiskError::OutOfBounds { op: "read", .. } => io::ErrorKind::UnexpectedEof,
            DiskError::OutOfBounds { .. } => io::ErrorKind::InvalidInput,
        }
    }
}

impl From<DiskError> for io::Error {
    fn from(error: DiskError) -> io::Error {
        io::Error::new(error.kind(), error)
    }
}
