//! The seams: everything a node needs from the world, and nothing else.
//!
//! Every piece of `src/` that needs time, the network, the disk, randomness or a task reaches it
//! through these traits, so the same code runs in the deterministic simulation (`rocketsim-sim`,
//! on madsim and our own `SimDisk`) and for real (`rocketsim-real`, on tokio and memmap2).
//!
//! Rules for the traits: small, no default methods (a simulated implementation must decide every
//! behaviour on purpose), futures are `Send` so the real build can use a multi-threaded runtime,
//! and every method says why it exists. One conformance suite (`tests/conformance.rs`) runs the
//! same cases against both implementations.

mod clock;
mod fs;
mod net;
mod random;
mod spawn;

pub use clock::{Clock, Elapsed, Instant};
pub use fs::{Fs, Segment};
pub use net::{Conn, ConnRead, ConnWrite, Listener, Net};
pub use random::{Random, RandomExt};
pub use spawn::{Spawn, Task};

/// One node's view of the world: all the seams together.
///
/// Cheap to clone (a handle). In simulation each node has its own `Env`: its own wall-clock
/// offset, its own disk and its own random stream; in the real build there is one per process.
pub trait Env: Clock + Spawn + Net + Fs + Random + Clone + Send + Sync + 'static {}

impl<T> Env for T where T: Clock + Spawn + Net + Fs + Random + Clone + Send + Sync + 'static {}
