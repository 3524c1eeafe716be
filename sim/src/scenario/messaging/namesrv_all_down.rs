//! Scenario `namesrv-all-down`: every name server is killed for `down_s` (5 min) once
//! producers and consumers have cached their routes; then they restart, empty.
//!
//! Properties:
//! * safety, availability on cached routes: while the name servers are down, neither a
//!   producer's acks nor a group's deliveries stop for longer than `stall_bound_ms` (clients
//!   keep their last good route; brokers keep serving);
//! * liveness, convergence: after the restart every name server routes the topic over both
//!   brokers again within `reroute_bound_s` (brokers register every 30 s), and traffic goes on;
//! * the oracle's safety properties; every acked message reaches the group.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cluster::{ClusterSpec, StoreSpec};
use super::consumers::GroupSpec;
use super::stage::{Stage, StageSpec};
use super::traffic::{longest_gap, ProducerPlan, TrafficOptions};
use super::Phases;
use crate::check::Configuration;
use crate::scenario::namesrv_support::{Draw, ScenarioResult};
use crate::World;
use rocketsim::store::FlushMode;

/// The group.
pub const GROUP: &str = "CG-namesrv-down";

/// The `[namesrv_all_down]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct NamesrvAllDownOptions {
    /// Queues of the topic on each broker.
    pub queues: i32,
    /// Processing time of one listener call, drawn (ms).
    pub consume_delay_ms: [u64; 2],
    /// The name servers die this long after traffic started, drawn (s).
    pub kill_after_s: [u64; 2],
    /// How long they stay down (s).
    pub down_s: u64,
    /// Longest stretch without an ack (per producer) or a delivery (per group) while they are
    /// down (ms).
    pub stall_bound_ms: u64,
    /// After the restart, every name server routes the topic over every broker within (s).
    pub reroute_bound_s: u64,
    /// What the producers send.
    pub traffic: TrafficOptions,
}

impl Default for NamesrvAllDownOptions {
    fn default() -> Self {
        NamesrvAllDownOptions {
            queues: 4,
            consume_delay_ms: [0, 5],
            kill_after_s: [5, 20],
            down_s: 300,
            stall_bound_ms: 3_000,
            reroute_bound_s: 35,
            traffic: TrafficOptions::default(),
        }
    }
}

/// Runs the scenario on a fresh world.
pub async fn run(world: World, options: &NamesrvAllDownOptions, phases: Phases) -> ScenarioResult {
    let draw = Draw::new(&world, "namesrv-all-down/plan");
    let mut result = ScenarioResult::default();
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
        latency_fault: false,
        plant_forget_one_in: 0,
        guarantees: Configuration::new(FlushMode::Async, &[]),
        exactly_once: false,
    };
    let stage = Stage::start(&world, spec, &mut result).await;
    let kill_after = draw.between(options.kill_after_s[0], options.kill_after_s[1]);
    let safety_end = stage.traffic_from + phases.safety;
    world.sleep(Duration::from_secs(kill_after)).await;
    let down_at = world.now();
    for &node in &stage.cluster.namesrvs {
        world.kill(node);
    }
    world.sleep(Duration::from_secs(options.down_s)).await;
    let up_at = world.now();
    let acked_while_down = stage
        .ledger
        .lock()
        .acks
        .values()
        .any(|acks| acks.iter().any(|&t| t > down_at && t <= up_at));
    if acked_while_down {
        result.reached("traffic_while_namesrvs_down");
    }
    check_stalls(&stage, down_at, up_at, options, &mut result);
    for &node in &stage.cluster.namesrvs {
        world.restart(node);
    }
    let bound = up_at + Duration::from_secs(options.reroute_bound_s);
    let mut rerouted = None;
    while world.now() <= bound {
        if stage.cluster.routes_complete().await {
            rerouted = Some(world.now() - up_at);
            break;
        }
        world.sleep(Duration::from_millis(500)).await;
    }
    if rerouted.is_some() {
        result.reached("routes_rebuilt_after_restart");
    }
    match rerouted {
        Some(took) => result.figure("rerouted_ms", took.as_millis()),
        None => result.violations_liveness.push(format!(
            "the restarted name servers did not route the topic over every broker within {} s",
            options.reroute_bound_s
        )),
    }
    if world.now() < safety_end {
        world.sleep(safety_end - world.now()).await;
    }
    // Traffic went on after the restart too.
    let acks_after: usize = stage
        .ledger
        .lock()
        .acks
        .values()
        .map(|acks| acks.iter().filter(|&&t| t > up_at).count())
        .sum();
    result.figure("acked_after_restart", acks_after);
    let drained = stage.drain(phases.liveness, &[]).await;
    result.figure("drain_ms", drained.as_millis());
    stage.judge(&[], &mut result);
    stage.finish().await;
    result
}

fn check_stalls(
    stage: &Stage,
    from: Duration,
    to: Duration,
    options: &NamesrvAllDownOptions,
    result: &mut ScenarioResult,
) {
    let ledger = stage.ledger.lock();
    let bound = Duration::from_millis(options.stall_bound_ms);
    let mut stalls: Vec<(String, Duration)> = ledger
        .acks
        .iter()
        .map(|(p, acks)| (format!("producer {p} acks"), longest_gap(acks, from, to)))
        .collect();
    stalls.extend(ledger.deliveries.iter().map(|(g, times)| {
        (
            format!("group {g} deliveries"),
            longest_gap(times, from, to),
        )
    }));
    if ledger.deliveries.is_empty() {
        stalls.push(("deliveries".into(), to - from));
    }
    let mut send_max = Duration::ZERO;
    let mut delivery_max = Duration::ZERO;
    for (what, stall) in stalls {
        match what.ends_with("acks") {
            true => send_max = send_max.max(stall),
            false => delivery_max = delivery_max.max(stall),
        }
        if stall > bound {
            result.violations_safety.push(format!(
                "availability: {what} stopped for {} ms while the name servers were down (bound {} ms)",
                stall.as_millis(),
                bound.as_millis()
            ));
        }
    }
    result.figure("stall_send_max_ms", send_max.as_millis());
    result.figure("stall_delivery_max_ms", delivery_max.as_millis());
}
