//! The messaging scenarios: producers and consumers against a real cluster (name servers and
//! broker masters), every send and delivery recorded by a client-side oracle.
//!
//! | workload | faults | what must hold |
//! |---|---|---|
//! | `steady-state` | none | every acked message reaches every group; orderly groups keep per-queue order |
//! | `consumer-crash` | a consumer node killed mid-stream (sometimes restarted) | its queues move to the survivors within one rebalance period; no acked message lost |
//! | `broker-death` | one of two brokers killed for good (sometimes behind a clog) | sends keep succeeding; no send may pick the dead broker once its route expired and producers refreshed; acked messages of the survivor all consumed |
//! | `namesrv-all-down` | every name server down for 5 min | sends and deliveries go on from cached routes; everything converges after the restart |
//!
//! The general `cluster` workload (`scenario/general/`) builds on the same pieces.
//!
//! Shared pieces: `cluster` (the nodes), `traffic` and `sender` (producers and the ledger), `consumers`
//! (push consumer nodes), `oracle` (the queue properties; a later issue moves it to
//! `sim/check/`). Every scenario runs a safety phase of `safety_s` virtual seconds with
//! traffic on, stops the producers, then gives the consumers up to `liveness_s` to drain.

pub mod broker_death;
pub mod cluster;
pub mod consumer_crash;
pub mod consumers;
pub mod namesrv_all_down;
pub mod oracle;
pub mod rates;
mod sender;
pub mod stage;
pub mod steady_state;
pub mod traffic;

use std::time::Duration;

use crate::scenario::namesrv_support::ScenarioResult;
use crate::scenario::{Scenario, Workload};
use crate::World;

/// The two phases of a run, from the scenario header.
#[derive(Clone, Copy, Debug)]
pub struct Phases {
    pub safety: Duration,
    pub liveness: Duration,
}

impl Phases {
    pub fn from_secs(safety_s: u64, liveness_s: u64) -> Self {
        Phases {
            safety: Duration::from_secs(safety_s),
            liveness: Duration::from_secs(liveness_s),
        }
    }
}

/// Runs the messaging workload `scenario` names (other workloads: an empty result).
pub async fn run(world: World, scenario: &Scenario) -> ScenarioResult {
    let header = &scenario.scenario;
    let phases = Phases::from_secs(header.safety_s, header.liveness_s);
    match header.workload {
        Workload::SteadyState => steady_state::run(world, &scenario.steady_state, phases).await,
        Workload::ConsumerCrash => {
            consumer_crash::run(world, &scenario.consumer_crash, phases).await
        }
        Workload::BrokerDeath => broker_death::run(world, &scenario.broker_death, phases).await,
        Workload::NamesrvAllDown => {
            namesrv_all_down::run(world, &scenario.namesrv_all_down, phases).await
        }
        Workload::Cluster => crate::scenario::general::run(world, scenario).await,
        _ => ScenarioResult::default(),
    }
}
