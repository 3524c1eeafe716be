//! Scenario `steady-state`: two name servers, two brokers, two producers (sync and ordered
//! sends), a concurrent clustering group of three consumers and an orderly group of two.
//! No faults by default; optionally (`power_loss_one_in`) one broker's machine loses power at
//! a drawn moment mid-stream and boots again a few seconds later.
//!
//! Properties: every checker of `sim/src/check/` (no unexpected message, no body mismatch, no
//! inconsistent offsets, per-queue order in the orderly group, …); at the end every acked
//! message reached both groups (liveness, within `liveness_s` of stopping the producers) —
//! unless the guarantee matrix excuses the loss: under ASYNC_FLUSH a power loss may take the
//! unflushed tail (figure `lost_unflushed`); under SYNC_FLUSH it may take nothing.
//! Duplicates are counted; with no fault and no rebalance after the start there should be
//! none, and the figure `dup` shows it (`exactly_once = true` makes them violations).
//!
//! Canaries plant bugs through this table: `plant_forget_one_in` (consumers forget
//! deliveries) and `plant_ack_before_sync` (SYNC_FLUSH acks before the sync).

use std::time::Duration;

use rocketsim::store::FlushMode;
use serde::{Deserialize, Serialize};

use super::cluster::{ClusterSpec, StoreSpec};
use super::consumers::GroupSpec;
use super::stage::{Stage, StageSpec};
use super::traffic::{ProducerPlan, TrafficOptions};
use super::Phases;
use crate::check::{Configuration, FaultKind};
use crate::scenario::namesrv_support::{Draw, ScenarioResult};
use crate::World;

/// The concurrent group.
pub const CONCURRENT_GROUP: &str = "CG-concurrent";
/// The orderly group.
pub const ORDERLY_GROUP: &str = "CG-orderly";

/// `flushDiskType`, spelled as in `broker.conf`.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Flush {
    #[default]
    #[serde(rename = "ASYNC_FLUSH")]
    Async,
    #[serde(rename = "SYNC_FLUSH")]
    Sync,
}

impl Flush {
    pub fn mode(self) -> FlushMode {
        match self {
            Flush::Async => FlushMode::Async,
            Flush::Sync => FlushMode::Sync,
        }
    }
}

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
    /// The brokers' flush mode.
    pub flush: Flush,
    /// Each fsync of a broker's disk takes this long, drawn (ms); `[0, 0]`: instantly.
    pub fsync_latency_ms: [u64; 2],
    /// Out of how many runs one broker loses power mid-stream (0: never).
    pub power_loss_one_in: u64,
    /// The power loss comes this long after traffic started, drawn (s).
    pub power_loss_after_s: [u64; 2],
    /// The machine boots again this long after the power loss, drawn (s).
    pub power_loss_down_s: [u64; 2],
    /// Duplicates are violations (meaningful without faults only).
    pub exactly_once: bool,
    /// Planted bug for canaries (0: off): consumers forget one delivery in this many.
    pub plant_forget_one_in: u64,
    /// Planted bug for canaries: the brokers acknowledge SYNC_FLUSH puts before their sync.
    pub plant_ack_before_sync: bool,
}

impl Default for SteadyStateOptions {
    fn default() -> Self {
        SteadyStateOptions {
            queues: 4,
            consume_delay_ms: [0, 5],
            traffic: TrafficOptions::default(),
            flush: Flush::Async,
            fsync_latency_ms: [0, 0],
            power_loss_one_in: 0,
            power_loss_after_s: [5, 30],
            power_loss_down_s: [1, 5],
            exactly_once: false,
            plant_forget_one_in: 0,
            plant_ack_before_sync: false,
        }
    }
}

impl SteadyStateOptions {
    /// The guarantee-matrix configuration these options describe.
    pub fn guarantees(&self) -> Configuration {
        let faults: &[FaultKind] = match self.power_loss_one_in {
            0 => &[],
            _ => &[FaultKind::PowerLoss],
        };
        Configuration::new(self.flush.mode(), faults)
    }
}

/// Runs the scenario on a fresh world.
pub async fn run(world: World, options: &SteadyStateOptions, phases: Phases) -> ScenarioResult {
    let mut result = ScenarioResult::default();
    let spec = StageSpec {
        cluster: ClusterSpec::uniform(
            2,
            2,
            options.queues,
            2,
            StoreSpec {
                flush: options.flush.mode(),
                fsync_latency_ms: options.fsync_latency_ms,
                plant_ack_before_sync: options.plant_ack_before_sync,
                ..StoreSpec::default()
            },
        ),
        consumer_nodes: 3,
        groups: vec![
            GroupSpec {
                name: CONCURRENT_GROUP.into(),
                orderly: false,
                members: vec![0, 1, 2],
                ..GroupSpec::default()
            },
            GroupSpec {
                name: ORDERLY_GROUP.into(),
                orderly: true,
                members: vec![0, 1],
                ..GroupSpec::default()
            },
        ],
        producers: ProducerPlan::uniform(&options.traffic, 2),
        consume_delay_ms: options.consume_delay_ms,
        latency_fault: false,
        plant_forget_one_in: options.plant_forget_one_in,
        guarantees: options.guarantees(),
        exactly_once: options.exactly_once,
    };
    let stage = Stage::start(&world, spec, &mut result).await;
    let safety_end = stage.traffic_from + phases.safety;
    if options.power_loss_one_in > 0 {
        power_loss(&stage, options, &mut result).await;
    }
    if world.now() < safety_end {
        world.sleep(safety_end - world.now()).await;
    }
    let drained = stage.drain(phases.liveness, &[]).await;
    result.figure("drain_ms", drained.as_millis());
    stage.judge(&[], &mut result);
    reached(&stage, &mut result);
    stage.finish().await;
    result
}

/// In one run out of `power_loss_one_in`: a drawn broker loses power at a drawn moment and
/// boots again after a drawn pause.
async fn power_loss(stage: &Stage, options: &SteadyStateOptions, result: &mut ScenarioResult) {
    let world = &stage.world;
    let draw = Draw::new(world, "steady-state/power-loss");
    if !draw.one_in(options.power_loss_one_in) {
        return;
    }
    let [low, high] = options.power_loss_after_s;
    world
        .sleep(Duration::from_secs(draw.between(low, high)))
        .await;
    let victim = draw.between(0, stage.cluster.brokers.len() as u64 - 1) as usize;
    let (node, name) = (
        stage.cluster.brokers[victim],
        &stage.cluster.broker_names[victim],
    );
    let at = world.now();
    let report = world.power_loss(node);
    stage.ledger.lock().oracle.power_lost(name, at);
    result.figure("power_loss_broker", name);
    result.figure("power_loss_at_ms", at.as_millis());
    result.figure("power_loss_pages_dropped", report.pages_dropped);
    result.reached("broker_power_lost");
    if report.pages_dropped > 0 || report.torn_sectors_dropped > 0 {
        result.reached("power_loss_hit_unsynced_tail");
    }
    let [low, high] = options.power_loss_down_s;
    world
        .sleep(Duration::from_secs(draw.between(low, high)))
        .await;
    world.restart(node);
}

/// The probes only the end of the run can tell.
fn reached(stage: &Stage, result: &mut ScenarioResult) {
    let ledger = stage.ledger.lock();
    if ledger.sync_sends > 0 {
        result.reached("sync_send_made");
    }
    if ledger.ordered_sends > 0 {
        result.reached("ordered_send_made");
    }
}
