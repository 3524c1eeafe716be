//! Scenario files and the workloads they name: what `rocketsim run` simulates, as data
//! (`scenarios/*.toml`).
//!
//! At this stage a scenario names a built-in workload, its options, a fault schedule and the
//! length of the safety and liveness phases. Unknown keys, bad values and references to nodes
//! that do not exist are errors that name the file, the line and the key (exit 64).

mod file;
mod ping_pong;
mod verdict;

pub use file::{
    load, node_names, FaultAction, FaultStep, RpcOptions, Scenario, ScenarioError, Workload,
};
pub use ping_pong::run_ping_pong;
pub use verdict::{Verdict, VIOLATIONS_KEPT};
