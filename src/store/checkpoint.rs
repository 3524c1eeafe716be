//! The checkpoint file (§4.4): one 4 KiB page. RocketMQ's fields at their offsets — 0
//! `physicMsgTimestamp`, 8 `logicsMsgTimestamp`, 16 `indexMsgTimestamp`, 24
//! `masterFlushedOffset`, 32 `confirmPhyOffset` (we store the flushed CommitLog offset there)
//! — and one of ours at 40, which Java ignores: `logics_offset`, the CommitLog offset below
//! which every record's consume-queue and index entries were durable when the file was written.
//!
//! Written with `write_file_atomic` after the consume queues and index are synced, so after any
//! crash it holds a consistent past state: `logics_offset ≤ physic_offset` of the log that was
//! durable at that moment. Recovery re-dispatches from `logics_offset`.

use std::io;
use std::path::Path;

use crate::env::Fs;

pub const CHECKPOINT_BYTES: usize = 4096;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Checkpoint {
    pub physic_timestamp_ms: i64,
    pub logics_timestamp_ms: i64,
    pub index_timestamp_ms: i64,
    /// The CommitLog was durable up to here (`confirmPhyOffset`'s slot).
    pub physic_offset: u64,
    /// Consume queues and index were durable for every record below here.
    pub logics_offset: u64,
}

impl Checkpoint {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![0u8; CHECKPOINT_BYTES];
        out[0..8].copy_from_slice(&self.physic_timestamp_ms.to_be_bytes());
        out[8..16].copy_from_slice(&self.logics_timestamp_ms.to_be_bytes());
        out[16..24].copy_from_slice(&self.index_timestamp_ms.to_be_bytes());
        out[32..40].copy_from_slice(&self.physic_offset.to_be_bytes());
        out[40..48].copy_from_slice(&self.logics_offset.to_be_bytes());
        out
    }

    /// Decodes a checkpoint; a short or missing file reads as all zeros (recover everything).
    pub fn decode(src: &[u8]) -> Self {
        let at = |i: usize| {
            src.get(i..i + 8)
                .map_or(0, |b| u64::from_be_bytes(b.try_into().expect("8 bytes")))
        };
        Checkpoint {
            physic_timestamp_ms: at(0) as i64,
            logics_timestamp_ms: at(8) as i64,
            index_timestamp_ms: at(16) as i64,
            physic_offset: at(32),
            logics_offset: at(40),
        }
    }

    /// RocketMQ's recovery bound: `min(physic, logics) − 3 s`.
    pub fn min_timestamp_ms(&self) -> i64 {
        self.physic_timestamp_ms.min(self.logics_timestamp_ms) - 3000
    }

    pub fn load<F: Fs>(fs: &F, path: &Path) -> io::Result<Self> {
        match fs.read_file(path) {
            Ok(bytes) => Ok(Checkpoint::decode(&bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Checkpoint::default()),
            Err(e) => Err(e),
        }
    }

    pub async fn store<F: Fs>(&self, fs: &F, path: &Path) -> io::Result<()> {
        fs.write_file_atomic(path, &self.encode()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_rocketmq_offsets() {
        let c = Checkpoint {
            physic_timestamp_ms: 1,
            logics_timestamp_ms: 2,
            index_timestamp_ms: 3,
            physic_offset: 4,
            logics_offset: 5,
        };
        let bytes = c.encode();
        assert_eq!(bytes.len(), CHECKPOINT_BYTES);
        assert_eq!(bytes[7], 1);
        assert_eq!(bytes[15], 2);
        assert_eq!(bytes[23], 3);
        assert_eq!(Checkpoint::decode(&bytes), c);
        assert_eq!(Checkpoint::decode(&[]), Checkpoint::default());
    }
}
