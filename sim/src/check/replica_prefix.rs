//! Replicas are byte prefixes: at the end of a run (after the liveness phase), every slave's
//! CommitLog is a byte-identical prefix of its master's — the slave appends the master's bytes
//! at the same physical offsets (§5.2), so anything else means a replica holds bytes its
//! master never had there (a divergent tail, a frame appended at the wrong offset, a
//! truncation that missed).
//!
//! Judged by the guarantee matrix: classic HA never truncates, so after a master power loss a
//! slave may keep the master's lost unflushed tail (`replicas_diverged`, reported); in
//! controller mode (truncation at the handshake) and without a power loss, a violation.
//!
//! Pure over the logs it is given (`LogBytes`); the cluster workload hands it the brokers'
//! stores, the tests hand it byte vectors.

/// A CommitLog's bytes, as the checker reads them.
pub trait LogBytes {
    /// First offset the log still holds.
    fn min_offset(&self) -> u64;
    /// End of the log (one past its last byte).
    fn max_offset(&self) -> u64;
    /// Up to `len_max` bytes from `from` (fewer at a segment end; empty when unreadable).
    fn read(&self, from: u64, len_max: usize) -> Vec<u8>;
}

/// Bytes compared per read.
const CHUNK_BYTES: usize = 64 * 1024;

/// How `slave` differs from being a byte prefix of `master` (`None`: it is one).
pub fn divergence(master: &dyn LogBytes, slave: &dyn LogBytes) -> Option<String> {
    let (m_max, s_max) = (master.max_offset(), slave.max_offset());
    if s_max > m_max {
        return Some(format!("ends at {s_max}, beyond its master's end {m_max}"));
    }
    let mut at = master.min_offset().max(slave.min_offset());
    while at < s_max {
        let want = usize::try_from(s_max - at).map_or(CHUNK_BYTES, |n| n.min(CHUNK_BYTES));
        let (m, s) = (master.read(at, want), slave.read(at, want));
        let len = m.len().min(s.len());
        if len == 0 {
            return Some(format!(
                "cannot compare at offset {at}: the master read {} bytes, the slave {}",
                m.len(),
                s.len()
            ));
        }
        if let Some(i) = (0..len).find(|&i| m[i] != s[i]) {
            return Some(format!(
                "differs from its master at offset {} (of {s_max})",
                at + i as u64
            ));
        }
        at += len as u64;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A log held in memory from `min`, read in segments of `segment` bytes.
    struct Mem {
        min: u64,
        bytes: Vec<u8>,
        segment: u64,
    }

    impl LogBytes for Mem {
        fn min_offset(&self) -> u64 {
            self.min
        }
        fn max_offset(&self) -> u64 {
            self.min + self.bytes.len() as u64
        }
        fn read(&self, from: u64, len_max: usize) -> Vec<u8> {
            if from < self.min || from >= self.max_offset() {
                return Vec::new();
            }
            let segment_end = (from / self.segment + 1) * self.segment;
            let end = (from + len_max as u64)
                .min(segment_end)
                .min(self.max_offset());
            self.bytes[(from - self.min) as usize..(end - self.min) as usize].to_vec()
        }
    }

    fn log(min: u64, bytes: &[u8]) -> Mem {
        Mem {
            min,
            bytes: bytes.to_vec(),
            segment: 3,
        }
    }

    #[test]
    fn a_prefix_passes_and_an_empty_slave_too() {
        let master = log(0, b"abcdefgh");
        assert_eq!(divergence(&master, &log(0, b"abcde")), None);
        assert_eq!(divergence(&master, &log(0, b"abcdefgh")), None);
        assert_eq!(divergence(&master, &log(0, b"")), None);
        assert_eq!(
            divergence(&master, &log(6, b"gh")),
            None,
            "from the last file"
        );
    }

    #[test]
    fn a_longer_slave_or_a_differing_byte_is_found() {
        let master = log(0, b"abcdefgh");
        let longer = divergence(&master, &log(0, b"abcdefghi")).expect("longer");
        assert!(longer.contains("beyond its master's end 8"), "{longer}");
        let differs = divergence(&master, &log(0, b"abcdXf")).expect("differs");
        assert!(differs.contains("at offset 4"), "{differs}");
    }

    #[test]
    fn a_master_that_no_longer_holds_the_range_cannot_be_compared() {
        let master = Mem {
            min: 0,
            bytes: b"abcdefgh".to_vec(),
            segment: 3,
        };
        struct Hole(Mem);
        impl LogBytes for Hole {
            fn min_offset(&self) -> u64 {
                0
            }
            fn max_offset(&self) -> u64 {
                self.0.max_offset()
            }
            fn read(&self, from: u64, len_max: usize) -> Vec<u8> {
                match from {
                    3..=5 => Vec::new(),
                    _ => self.0.read(from, len_max),
                }
            }
        }
        let found = divergence(&Hole(master), &log(0, b"abcdef")).expect("hole");
        assert!(found.contains("cannot compare at offset 3"), "{found}");
    }
}
