//! Scenario files and the workloads they name: what `rocketsim run` simulates, as data
//! (`scenarios/*.toml`).
//!
//! A scenario names a workload: `cluster` (`general/`: topology, workload, a fault schedule
//! and a swarm, all from the file), or a built-in one with its options table (`[rpc]`,
//! `[namesrv_expiry]`, `[namesrv_failover]`, `[steady_state]`, `[consumer_crash]`,
//! `[broker_death]`, `[namesrv_all_down]`; a fault schedule for `rpc-ping-pong`, the others
//! draw their faults from the seed), and the length of the safety and liveness phases. Unknown keys, bad values and references to nodes
//! that do not exist are errors that name the file, the line and the key (exit 64).

mod file;
pub mod general;
mod locate;
pub mod messaging;
pub mod namesrv_expiry;
pub mod namesrv_failover;
pub mod namesrv_support;
mod ping_pong;
pub mod reached;
mod verdict;

pub use file::{
    load, node_names, Expect, FaultAction, FaultStep, RpcOptions, Scenario, ScenarioError, Workload,
};
pub use ping_pong::run_ping_pong;
pub use verdict::{Verdict, VIOLATIONS_KEPT};
