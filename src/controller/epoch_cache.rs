//! A replica's epoch history (RocketMQ's `EpochFileCache`) and the truncation rule of the
//! AutoSwitch handshake (§5.8), as pure functions.
//!
//! Each entry says "epoch e started at CommitLog offset s"; it ends where the next one starts,
//! and the last one ends at the log's max offset (given by the caller, since the cache does not
//! know the log). Invariants: epochs strictly increase; start offsets never decrease (an epoch
//! whose master wrote nothing has the same start as the next one).
//!
//! The rule ([`consistent_point`]): walk the local (slave's) entries newest → oldest; the first
//! epoch that the other side (the master) also has *with the same start offset* is the last
//! epoch both logs agree on, and they agree up to `min(local end, remote end)` of that epoch.
//! The slave keeps its log up to that offset and drops the rest. No common epoch → no common
//! history: nothing the slave holds can be trusted as a prefix of the master's log.

use std::collections::BTreeMap;

use super::epoch_file::EpochEntry;

/// Bytes of one entry in the AutoSwitch handshake body (int32 epoch + int64 startOffset).
pub const WIRE_ENTRY_BYTES: usize = 12;

/// Why an epoch history or an append is not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EpochCacheError {
    #[error("epoch {epoch} does not follow epoch {last}")]
    EpochNotIncreasing { last: i32, epoch: i32 },
    #[error("epoch {epoch} starts at {start}, before the previous epoch's start {last_start}")]
    StartGoesBack {
        epoch: i32,
        start: i64,
        last_start: i64,
    },
    #[error("epoch {epoch} has a negative start offset {start}")]
    NegativeStart { epoch: i32, start: i64 },
    #[error("handshake body of {len} bytes is not a whole number of 12-byte entries")]
    WireLength { len: usize },
}

/// An epoch history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochCache {
    /// epoch → start offset.
    entries: BTreeMap<i32, i64>,
}

/// Where a slave must cut its log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncation {
    /// Keep `[0, keep_until)`.
    pub keep_until: i64,
    /// Bytes of the local log past that point (what truncation discards; log it).
    pub bytes_dropped: i64,
    /// The last epoch both sides agree on.
    pub common_epoch: i32,
}

impl EpochCache {
    /// An empty history.
    pub fn new() -> Self {
        EpochCache::default()
    }

    /// A history from entries oldest first (as the epoch file holds them), checked.
    pub fn from_entries(entries: &[EpochEntry]) -> Result<Self, EpochCacheError> {
        let mut cache = EpochCache::new();
        for entry in entries {
            cache.append(*entry)?;
        }
        Ok(cache)
    }

    /// Entries oldest first (what the epoch file and the handshake carry).
    pub fn entries(&self) -> Vec<EpochEntry> {
        self.entries
            .iter()
            .map(|(epoch, start_offset)| EpochEntry {
                epoch: *epoch,
                start_offset: *start_offset,
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The newest entry.
    pub fn last(&self) -> Option<EpochEntry> {
        self.entries.last_key_value().map(|(e, s)| EpochEntry {
            epoch: *e,
            start_offset: *s,
        })
    }

    /// The newest epoch, −1 when there is none (what a heartbeat reports).
    pub fn last_epoch(&self) -> i32 {
        self.last().map_or(-1, |e| e.epoch)
    }

    /// The start offset of `epoch`, if it is in the history.
    pub fn start_of(&self, epoch: i32) -> Option<i64> {
        self.entries.get(&epoch).copied()
    }

    /// Where `epoch` ends: the next entry's start, or `max_offset` for the newest.
    pub fn end_of(&self, epoch: i32, max_offset: i64) -> Option<i64> {
        self.entries.get(&epoch)?;
        let next = self.entries.range(epoch + 1..).next().map(|(_, s)| *s);
        Some(next.unwrap_or(max_offset))
    }

    /// The entry whose `[start, end)` holds `offset` (the newest one for an offset at the end).
    pub fn find_by_offset(&self, offset: i64, max_offset: i64) -> Option<EpochEntry> {
        self.entries().into_iter().rev().find(|e| {
            e.start_offset <= offset && offset < self.end_of(e.epoch, max_offset).unwrap_or(0)
        })
    }

    /// The first entry after `epoch` (a transfer batch never spans two epochs).
    pub fn next_after(&self, epoch: i32) -> Option<EpochEntry> {
        self.entries
            .range(epoch.saturating_add(1)..)
            .next()
            .map(|(e, s)| EpochEntry {
                epoch: *e,
                start_offset: *s,
            })
    }

    /// Appends a new epoch (a new master appends `<newEpoch, maxPhyOffset>`).
    pub fn append(&mut self, entry: EpochEntry) -> Result<(), EpochCacheError> {
        if entry.start_offset < 0 {
            let (epoch, start) = (entry.epoch, entry.start_offset);
            return Err(EpochCacheError::NegativeStart { epoch, start });
        }
        if let Some(last) = self.last() {
            if entry.epoch <= last.epoch {
                let (last, epoch) = (last.epoch, entry.epoch);
                return Err(EpochCacheError::EpochNotIncreasing { last, epoch });
            }
            if entry.start_offset < last.start_offset {
                return Err(EpochCacheError::StartGoesBack {
                    epoch: entry.epoch,
                    start: entry.start_offset,
                    last_start: last.start_offset,
                });
            }
        }
        self.entries.insert(entry.epoch, entry.start_offset);
        Ok(())
    }

    /// Drops every epoch that starts at or after `offset` (after truncating the log there, an
    /// epoch that starts at the cut holds nothing).
    pub fn truncate_suffix_from_offset(&mut self, offset: i64) {
        self.entries.retain(|_, start| *start < offset);
    }

    /// Drops every epoch ≥ `epoch`.
    pub fn truncate_suffix_from_epoch(&mut self, epoch: i32) {
        self.entries.retain(|e, _| *e < epoch);
    }

    /// Drops epochs that end at or before `offset` (after old segments are deleted); the
    /// newest entry is always kept.
    pub fn truncate_prefix_to_offset(&mut self, offset: i64) {
        let ends: Vec<(i32, i64)> = self
            .entries
            .keys()
            .map(|e| (*e, self.end_of(*e, i64::MAX).unwrap_or(i64::MAX)))
            .collect();
        for (epoch, end) in ends {
            if end <= offset && Some(epoch) != self.last().map(|l| l.epoch) {
                self.entries.remove(&epoch);
            }
        }
    }

    /// The handshake body: entries oldest first, 12 bytes each, big-endian.
    pub fn encode_wire(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * WIRE_ENTRY_BYTES);
        for (epoch, start) in &self.entries {
            out.extend_from_slice(&epoch.to_be_bytes());
            out.extend_from_slice(&start.to_be_bytes());
        }
        out
    }

    /// Parses and checks a handshake body.
    pub fn decode_wire(bytes: &[u8]) -> Result<Self, EpochCacheError> {
        if !bytes.len().is_multiple_of(WIRE_ENTRY_BYTES) {
            return Err(EpochCacheError::WireLength { len: bytes.len() });
        }
        let entries: Vec<EpochEntry> = bytes
            .chunks_exact(WIRE_ENTRY_BYTES)
            .map(|c| EpochEntry {
                epoch: i32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                start_offset: i64::from_be_bytes([
                    c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11],
                ]),
            })
            .collect();
        EpochCache::from_entries(&entries)
    }
}

/// The offset up to which `local` (ending at `local_max`) and `remote` (ending at
/// `remote_max`) hold the same log, or `None` when they share no epoch with the same start.
pub fn consistent_point(
    local: &EpochCache,
    local_max: i64,
    remote: &EpochCache,
    remote_max: i64,
) -> Option<(i32, i64)> {
    local.entries.iter().rev().find_map(|(epoch, start)| {
        (remote.start_of(*epoch)? == *start).then(|| {
            let local_end = local.end_of(*epoch, local_max).unwrap_or(local_max);
            let remote_end = remote.end_of(*epoch, remote_max).unwrap_or(remote_max);
            (*epoch, local_end.min(remote_end))
        })
    })
}

/// What a slave with history `local` (log ends at `local_max`) must do to follow a master with
/// `remote` (ending at `remote_max`): `None` when there is no common history.
pub fn truncation(
    local: &EpochCache,
    local_max: i64,
    remote: &EpochCache,
    remote_max: i64,
) -> Option<Truncation> {
    let (common_epoch, point) = consistent_point(local, local_max, remote, remote_max)?;
    Some(Truncation {
        keep_until: point,
        bytes_dropped: (local_max - point).max(0),
        common_epoch,
    })
}

#[cfg(test)]
#[path = "epoch_cache_tests.rs"]
mod tests;
