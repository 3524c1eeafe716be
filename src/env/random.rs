//! Randomness. All of it comes from here: in simulation a seeded stream per node (split by
//! salt so one user's draws never shift another's), in the real build the OS generator.

/// A source of random numbers. `&self` so that it can be shared by the tasks of a node.
pub trait Random {
    /// The next uniformly distributed 64-bit value.
    fn next_u64(&self) -> u64;

    /// An independent stream derived from this one and `salt` (e.g. "producer-1"), so that the
    /// draws of one component do not depend on how many draws another one made.
    fn fork(&self, salt: &str) -> Self;
}

/// Conveniences over any `Random`: the seam stays minimal, the helpers live here.
pub trait RandomExt: Random {
    /// A value uniformly distributed in `0..bound` (`bound > 0`), without modulo bias.
    fn below(&self, bound: u64) -> u64 {
        assert!(bound > 0, "below(0) has no value");
        // Lemire's multiply-shift with rejection: unbiased and cheap.
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let x = self.next_u64();
            let m = u128::from(x) * u128::from(bound);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// A value uniformly distributed in `low..=high`.
    fn between(&self, low: u64, high: u64) -> u64 {
        assert!(low <= high, "between({low}, {high}) is empty");
        match (high - low).checked_add(1) {
            Some(span) => low + self.below(span),
            None => self.next_u64(),
        }
    }

    /// True with probability `p` (clamped to 0..=1).
    fn chance(&self, p: f64) -> bool {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        unit < p
    }

    /// Fills `dest` with random bytes.
    fn fill(&self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

impl<R: Random + ?Sized> RandomExt for R {}
