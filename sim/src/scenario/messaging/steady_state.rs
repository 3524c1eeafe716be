//! Scenario `steady-state`: no faults. Two name servers, two brokers, two producers (sync and
//! ordered sends), a concurrent clustering group of three consumers and an orderly group of
//! two.
//!
//! Properties: the oracle's safety properties throughout (no unexpected message, no body
//! mismatch, no inconsistent offsets, per-queue order in the orderly group); at the end every
//! acked message reached both groups (liveness, within `liveness_s` of stopping the
//! producers). Duplicates are counted; with no fault and no rebalance after the start there
//! should be none, and the figure `dup` shows it.

use serde::{Deserialize, Serialize};

use super::cluster::ClusterSpec;
use super::consumers::GroupSpec;
use super::stage::{Stage, StageSpec};
use super::traffic::TrafficOptions;
use super::Phases;
use crate::scenario::namesrv_support::ScenarioResult;
use crate::World;

/// The concurrent group.
pub const CONCURRENT_GROUP: &str = "CG-concurrent";
/// The orderly group.
pub const ORDERLY_GROUP: &str = "CG-orderly";

/// The `[steady_state]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SteadyStateOptions {
    /// Queues of the topic on each broker.
    pub queues: i32,
    /// Processing time of one listener call, drawn (ms).
    pub consume_delay_ms: [u64; 2],
    /// What the producers send.
    pub traffic: TrafficOptions,
    /// Planted bug for canaries (0: off): consumers forget one delivery in this many.
    pub plant_forget_one_in: u64,
}

impl Default for SteadyStateOptions {
    fn default() -> Self {
        SteadyStateOptions {
            queues: 4,
            consume_delay_ms: [0, 5],
            traffic: TrafficOptions::default(),
            plant_forget_one_in: 0,
        }
    }
}

/// Runs the scenario on a fresh world.
pub async fn run(world: World, options: &SteadyStateOptions, phases: Phases) -> ScenarioResult {
    let mut result = ScenarioResult::default();
    let spec = StageSpec {
        cluster: ClusterSpec {
            namesrvs: 2,
            brokers: 2,
            queues: options.queues,
            producers: 2,
        },
        consumer_nodes: 3,
        groups: vec![
            GroupSpec {
                name: CONCURRENT_GROUP.into(),
                orderly: false,
                members: vec![0, 1, 2],
            },
            GroupSpec {
                name: ORDERLY_GROUP.into(),
                orderly: true,
                members: vec![0, 1],
            },
        ],
        traffic: &options.traffic,
        consume_delay_ms: options.consume_delay_ms,
        latency_fault: false,
        plant_forget_one_in: options.plant_forget_one_in,
    };
    let stage = Stage::start(&world, spec, &mut result).await;
    world.sleep(phases.safety).await;
    let drained = stage.drain(phases.liveness, &[]).await;
    result.figure("drain_ms", drained.as_millis());
    stage.judge(&[], &mut result);
    stage.finish().await;
    result
}
