//! The real deployment build: `TokioEnv`, the implementation of every `rocketsim::env` seam on
//! a multi-threaded tokio runtime, real sockets and real files (segments mapped with memmap2).
//!
//! All of the project's `unsafe` lives here, in `segment/words.rs`, each block commented with
//! its safety argument; `src/` forbids `unsafe` outright.

#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod admin_cli;
pub mod bench_cli;
pub mod cli;
mod env;
mod fs;
mod net;
mod segment;
mod task;

pub use env::TokioEnv;
pub use net::{TokioConn, TokioListener, TokioRead, TokioWrite};
pub use segment::MappedSegment;
pub use task::TokioTask;
