//! Deterministic simulation of a rocketsim cluster on madsim.
//!
//! * `env` — `SimEnv`, the seams of `rocketsim::env` on madsim (virtual time, TCP, tasks),
//!   a per-node skewable wall clock, seeded random streams.
//! * `disk` — `SimDisk`, a disk with a documented crash model (volatile vs durable, torn
//!   writes on power loss) and opt-in faults.
//! * `world` — `run` one seeded simulation; `World` adds nodes and injects faults.
//! * `trace` — the run's event trace and its hash, for determinism checks.
//! * `timeline` — a run's trace as a self-contained HTML timeline.
//!
//! One simulation runs on one thread, in virtual time, from one seed. Everything that could
//! make two runs of a seed differ — ambient time, OS randomness, threads, `HashMap` order,
//! task ids — is kept out of the code paths that reach the trace.

pub mod check;
pub mod disk;
pub mod env;
mod netstate;
pub mod runner;
pub mod scenario;
pub mod sweep;
mod task;
pub mod timeline;
pub mod trace;
pub mod world;

// The name-server scenarios live beside the runner's workloads in `scenario/`; until the
// runner's `scenario` module is part of the library they are mounted here.

pub use disk::{DiskError, DiskFaults, DiskStats, PowerLossReport, SimDisk, SimSegment, PAGE_SIZE};
pub use env::{SimEnv, SimRandom};
pub use trace::{first_divergence, TraceEvent};
pub use world::{run, Failure, NodeDown, NodeId, Outcome, SimConfig, World};

// `SimEnv` is a whole `Env`: checked at compile time, not only where `src/` happens to use it.
const _: fn() = || {
    fn is_env<E: rocketsim::env::Env>() {}
    is_env::<SimEnv>();
};
