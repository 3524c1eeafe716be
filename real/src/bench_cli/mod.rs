//! `mqbench`'s parts: the latency histogram and the per-second reporter. The binary
//! (`src/bin/mqbench.rs`) drives the producer or consumer and feeds them.

mod histogram;
mod report;

pub use histogram::Histogram;
pub use report::{Meter, Summary};
