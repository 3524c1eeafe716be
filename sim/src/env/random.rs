//! Seeded random streams. A stream is named by a path (`"broker-a#1/producer-1"`) and its
//! seed is a hash of (world seed, path): forking derives a child from the parent's *name*, not
//! its state, so the draws of one component never depend on how many draws another made.

use parking_lot::Mutex;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_128_with_seed, xxh3_64_with_seed};

/// A 64-bit seed for the stream named `path` in the world seeded `seed`.
pub fn derive_seed(seed: u64, path: &str) -> u64 {
    xxh3_64_with_seed(path.as_bytes(), seed)
}

/// A ChaCha8 key (256 bits) for the stream named `path` in the world seeded `seed`.
fn derive_key(seed: u64, path: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    let low = xxh3_128_with_seed(path.as_bytes(), seed);
    let high = xxh3_128_with_seed(path.as_bytes(), seed ^ 0x9e37_79b9_7f4a_7c15);
    key[..16].copy_from_slice(&low.to_le_bytes());
    key[16..].copy_from_slice(&high.to_le_bytes());
    key
}

/// A named ChaCha8 stream. Clones share the stream; `fork` makes an independent one.
#[derive(Clone)]
pub struct SimRandom {
    seed: u64,
    path: Arc<str>,
    rng: Arc<Mutex<ChaCha8Rng>>,
}

impl SimRandom {
    /// The stream named `path` in the world seeded `seed`.
    pub fn new(seed: u64, path: &str) -> Self {
        let rng = ChaCha8Rng::from_seed(derive_key(seed, path));
        SimRandom {
            seed,
            path: path.into(),
            rng: Arc::new(Mutex::new(rng)),
        }
    }

    /// The stream's name.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The next value of the stream.
    pub fn next_u64(&self) -> u64 {
        self.rng.lock().next_u64()
    }

    /// The child stream `salt` of this one.
    pub fn fork(&self, salt: &str) -> Self {
        SimRandom::new(self.seed, &format!("{}/{}", self.path, salt))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forks_depend_on_names_not_on_draws() {
        let a = SimRandom::new(7, "node");
        let b = SimRandom::new(7, "node");
        a.next_u64();
        assert_eq!(a.fork("x").next_u64(), b.fork("x").next_u64());
        assert_ne!(a.fork("x").next_u64(), a.fork("y").next_u64());
        assert_ne!(
            SimRandom::new(8, "node").next_u64(),
            SimRandom::new(7, "node").next_u64()
        );
    }
}
