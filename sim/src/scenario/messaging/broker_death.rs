//! Scenario `broker-death`: one of two brokers is killed for good at a drawn moment; in some
//! runs its node is clogged first, so that no connection-closed event reaches anyone and the
//! name servers must expire it by the 120 s rule.
//!
//! Which broker a send may target, observed exactly: every attempt of a send picks its queue
//! from the producer's publish info of the topic, which the send reads (from the cache) at its
//! start. The driver reads the same publish info just before calling `send` with no await in
//! between (`traffic.rs`), so "the route offered the dead broker" is recorded for precisely the
//! sends that could have attempted it. Successful sends name their broker in the `SendResult`;
//! failed attempts do not, which is why the route is observed instead.
//!
//! Properties:
//! * safety, availability: for each producer, the longest stretch without an acked send after
//!   the death stays bounded. Without the clog an attempt on the dead broker is refused at once
//!   and retried on the survivor: bound `stall_slack_ms`. Behind the clog an attempt hangs and
//!   burns the send's whole 3 s budget, and Java's round robin (queues sorted by broker) picks
//!   the dead broker's Q queues in a row: bound Q × 3 s + slack — or 3 s + slack when the
//!   producers run the latency fault strategy (drawn per run), which isolates the broker after
//!   its first failure. Ordered sends are off in this scenario's file: one attempt each, on the
//!   key's queue, they would keep hitting a dead queue until the route changes, by design;
//! * safety, routing: no send started later than `route_bound_s` after the death may still be
//!   offered the dead broker (≤ 130 s expiry, plus one 30 s producer route refresh, plus slack);
//!   without the clog the name servers drop it at once (connection closed);
//! * the oracle's safety properties; every message acked by the survivor reaches the group.
//!   Messages acked by the dead broker and not consumed before it died are the figure
//!   `lost_with_broker`, not a violation: its disk never comes back in this scenario.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cluster::{ClusterSpec, StoreSpec};
use super::consumers::GroupSpec;
use super::stage::{Stage, StageSpec};
use super::traffic::{longest_gap, ProducerPlan, TrafficOptions};
use super::Phases;
use crate::check::{Configuration, FaultKind};
use crate::scenario::namesrv_support::{Draw, ScenarioResult};
use crate::World;
use rocketsim::store::FlushMode;

/// The group.
pub const GROUP: &str = "CG-broker-death";

/// The `[broker_death]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BrokerDeathOptions {
    /// Queues of the topic on each broker.
    pub queues: i32,
    /// Processing time of one listener call, drawn (ms).
    pub consume_delay_ms: [u64; 2],
    /// The kill comes this long after traffic started, drawn (s).
    pub kill_after_s: [u64; 2],
    /// Out of how many runs the dead broker's node is clogged before the kill.
    pub clog_one_in: u64,
    /// Out of how many runs the producers run the latency fault strategy.
    pub latency_fault_one_in: u64,
    /// Slack of the availability bound (ms): a producer may go without an acked send for
    /// one send timeout (3 s) per queue of the dead broker in a row, plus this — or, with the
    /// latency fault strategy, which isolates the broker after its first failure, for one
    /// send timeout plus this.
    pub stall_slack_ms: u64,
    /// After this long past the death no send may be offered the dead broker (s).
    pub route_bound_s: u64,
    /// What the producers send.
    pub traffic: TrafficOptions,
}

impl Default for BrokerDeathOptions {
    fn default() -> Self {
        BrokerDeathOptions {
            queues: 4,
            consume_delay_ms: [0, 5],
            kill_after_s: [5, 30],
            clog_one_in: 2,
            latency_fault_one_in: 2,
            stall_slack_ms: 3_000,
            route_bound_s: 165,
            traffic: TrafficOptions::default(),
        }
    }
}

/// Runs the scenario on a fresh world.
pub async fn run(world: World, options: &BrokerDeathOptions, phases: Phases) -> ScenarioResult {
    let draw = Draw::new(&world, "broker-death/plan");
    let mut result = ScenarioResult::default();
    let latency_fault = draw.one_in(options.latency_fault_one_in);
    result.figure("latency_fault", latency_fault);
    let spec = StageSpec {
        cluster: ClusterSpec::uniform(2, 2, options.queues, 2, StoreSpec::default()),
        consumer_nodes: 2,
        groups: vec![GroupSpec {
            name: GROUP.into(),
            orderly: false,
            members: vec![0, 1],
            ..GroupSpec::default()
        }],
        producers: ProducerPlan::uniform(&options.traffic, 2),
        consume_delay_ms: options.consume_delay_ms,
        latency_fault,
        plant_forget_one_in: 0,
        guarantees: Configuration::new(FlushMode::Async, &[FaultKind::BrokerGoneForGood]),
        exactly_once: false,
    };
    let stage = Stage::start(&world, spec, &mut result).await;
    let kill_after = draw.between(options.kill_after_s[0], options.kill_after_s[1]);
    let victim = draw.between(0, 1) as usize;
    let clogged = draw.one_in(options.clog_one_in);
    let safety_end = stage.traffic_from + phases.safety;
    world.sleep(Duration::from_secs(kill_after)).await;

    let dead = stage.cluster.broker_names[victim].clone();
    let node = stage.cluster.brokers[victim];
    result.figure("dead_broker", &dead);
    result.figure("clogged", clogged);
    let acked_before = stage
        .ledger
        .lock()
        .acks
        .values()
        .map(Vec::len)
        .sum::<usize>();
    result.figure("acked_before_death", acked_before);
    stage.ledger.lock().watched_broker = Some(dead.clone());
    if clogged {
        world.clog_node(node);
    }
    let died = world.now();
    world.kill(node);

    let mut route_gone = None;
    while world.now() < safety_end {
        if route_gone.is_none() && stage.cluster.routing(&dead).await == 0 {
            route_gone = Some(world.now() - died);
        }
        world.sleep(Duration::from_secs(1)).await;
    }
    match (route_gone.is_some(), clogged) {
        (true, true) => result.reached("route_expired"),
        (true, false) => result.reached("route_dropped_on_close"),
        (false, _) => {}
    }
    match route_gone {
        Some(gone) => result.figure("route_gone_ms", gone.as_millis()),
        None => result.violations_safety.push(
            "the name servers still route the dead broker at the end of the safety phase".into(),
        ),
    }
    let mode = Mode {
        clogged,
        latency_fault,
    };
    check_sends(&stage, died, safety_end, mode, options, &mut result);
    let dead_brokers = [dead.as_str()];
    let drained = stage.drain(phases.liveness, &dead_brokers).await;
    result.figure("drain_ms", drained.as_millis());
    stage.judge(&dead_brokers, &mut result);
    stage.finish().await;
    result
}

/// The availability and routing properties, from the ledger.
/// How the broker died and how the producers choose queues.
#[derive(Clone, Copy)]
struct Mode {
    clogged: bool,
    latency_fault: bool,
}

/// The producers' send timeout (Java's default, 3 s).
const SEND_TIMEOUT_MS: u64 = 3_000;

fn check_sends(
    stage: &Stage,
    died: Duration,
    safety_end: Duration,
    mode: Mode,
    options: &BrokerDeathOptions,
    result: &mut ScenarioResult,
) {
    let ledger = stage.ledger.lock();
    // A sync send whose attempt hits the clogged dead broker burns its whole 3 s budget; round
    // robin visits the dead broker's queues in a row (Java sorts queues by broker).
    let timeouts = match (mode.latency_fault, mode.clogged) {
        (_, false) => 0,
        (true, true) => 1,
        (false, true) => options.queues as u64,
    };
    let bound = Duration::from_millis(timeouts * SEND_TIMEOUT_MS + options.stall_slack_ms);
    let mut stall_max = Duration::ZERO;
    for (producer, acks) in &ledger.acks {
        let stall = longest_gap(acks, died, safety_end);
        stall_max = stall_max.max(stall);
        if stall > bound {
            result.violations_safety.push(format!(
                "availability: producer {producer} went {} ms without an acked send after the death (bound {} ms)",
                stall.as_millis(),
                bound.as_millis()
            ));
        }
    }
    result.figure("stall_max_ms", stall_max.as_millis());
    // Reported, not bounded: how long the group went without a delivery after the death.
    let delivery_stall = ledger
        .deliveries
        .values()
        .map(|times| longest_gap(times, died, safety_end))
        .max()
        .unwrap_or(safety_end - died);
    result.figure("stall_delivery_max_ms", delivery_stall.as_millis());
    let route_bound = died + Duration::from_secs(options.route_bound_s);
    let last = ledger.routed_to_watched.last().copied();
    if let Some(last) = last {
        result.figure("last_offered_dead_ms", (last - died).as_millis());
    }
    let late = ledger
        .routed_to_watched
        .iter()
        .filter(|&&t| t > route_bound)
        .count();
    if late > 0 {
        let last = last.unwrap_or(died);
        result.violations_safety.push(format!(
            "routing: {late} sends started more than {} s after the death could still pick the dead broker (the last {} ms after)",
            options.route_bound_s,
            (last - died).as_millis()
        ));
    }
    result.figure("offered_dead_sends", ledger.routed_to_watched.len());
}
