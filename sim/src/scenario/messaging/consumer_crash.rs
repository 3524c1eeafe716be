//! Scenario `consumer-crash`: a consumer of a clustering group of three is killed at a drawn
//! moment mid-stream (its connections close, as when a JVM dies), and in some runs restarted
//! later.
//!
//! Properties:
//! * safety, takeover: the survivors' `assigned()` together cover every queue within
//!   `takeover_bound_ms` of the kill (one rebalance period, 20 s, plus slack); and deliveries
//!   resume on every queue the victim held (figure `resumed_ms`, bounded by the same bound
//!   plus the time the next message takes to arrive);
//! * the oracle's safety properties; no acked message lost by the end of the drain;
//!   duplicates (the victim's uncommitted tail, delivered again to its successor) counted in
//!   `dup` and allowed: delivery is at least once.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::cluster::{ClusterSpec, StoreSpec};
use super::consumers::GroupSpec;
use super::stage::{Stage, StageSpec};
use super::traffic::{ProducerPlan, TrafficOptions};
use super::Phases;
use crate::check::Configuration;
use crate::scenario::namesrv_support::{Draw, ScenarioResult};
use crate::World;
use rocketsim::store::FlushMode;

/// The group.
pub const GROUP: &str = "CG-crash";

/// The `[consumer_crash]` table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsumerCrashOptions {
    /// Queues of the topic on each broker.
    pub queues: i32,
    /// Processing time of one listener call, drawn (ms).
    pub consume_delay_ms: [u64; 2],
    /// The kill comes this long after traffic started, drawn (s).
    pub kill_after_s: [u64; 2],
    /// Out of how many runs the victim is restarted.
    pub restart_one_in: u64,
    /// The restart comes this long after the kill, drawn (s).
    pub restart_after_s: [u64; 2],
    /// The survivors must hold every queue this soon after the kill (ms).
    pub takeover_bound_ms: u64,
    /// What the producers send.
    pub traffic: TrafficOptions,
}

impl Default for ConsumerCrashOptions {
    fn default() -> Self {
        ConsumerCrashOptions {
            queues: 4,
            consume_delay_ms: [0, 5],
            kill_after_s: [5, 30],
            restart_one_in: 2,
            restart_after_s: [5, 30],
            takeover_bound_ms: 25_000,
            traffic: TrafficOptions::default(),
        }
    }
}

/// Runs the scenario on a fresh world.
pub async fn run(world: World, options: &ConsumerCrashOptions, phases: Phases) -> ScenarioResult {
    let draw = Draw::new(&world, "consumer-crash/plan");
    let mut result = ScenarioResult::default();
    let spec = StageSpec {
        cluster: ClusterSpec::uniform(2, 2, options.queues, 2, StoreSpec::default()),
        consumer_nodes: 3,
        groups: vec![GroupSpec {
            name: GROUP.into(),
            orderly: false,
            members: vec![0, 1, 2],
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
    let queues = (options.queues as usize) * stage.cluster.brokers.len();
    let kill_after = draw.between(options.kill_after_s[0], options.kill_after_s[1]);
    let victim = draw.between(0, 2) as usize;
    let restart_after = draw
        .one_in(options.restart_one_in)
        .then(|| draw.between(options.restart_after_s[0], options.restart_after_s[1]));
    let safety_end = stage.traffic_from + phases.safety;
    world.sleep(Duration::from_secs(kill_after)).await;

    let held = stage.consumers.assigned(&world, victim, GROUP);
    let consumed_before = stage.ledger.lock().oracle.per_consumer(GROUP);
    let victim_name = stage.consumers.names[victim].clone();
    result.figure("victim", &victim_name);
    result.figure("kill_at_ms", world.now().as_millis());
    result.figure("victim_queues", held.len());
    result.figure(
        "victim_consumed_before_kill",
        consumed_before.get(&victim_name).copied().unwrap_or(0),
    );
    if !held.is_empty() && consumed_before.get(&victim_name).is_some_and(|&n| n > 0) {
        result.reached("consumer_killed_mid_stream");
    }
    let killed_at = world.now();
    world.kill(stage.consumers.nodes[victim]);

    let bound = Duration::from_millis(options.takeover_bound_ms);
    let restart_at = restart_after.map(|s| killed_at + Duration::from_secs(s));
    let mut taken_over = None;
    let mut resumed = None;
    let mut restarted = false;
    while world.now() < safety_end {
        let now = world.now();
        if taken_over.is_none() && stage.groups_cover(queues, &[victim]) {
            taken_over = Some(now - killed_at);
        }
        if resumed.is_none() {
            let ledger = stage.ledger.lock();
            let all = held.iter().all(|q| {
                ledger
                    .oracle
                    .last_delivery_on(GROUP, q)
                    .is_some_and(|t| t > killed_at)
            });
            resumed = all.then(|| now - killed_at);
        }
        if !restarted && restart_at.is_some_and(|at| now >= at) {
            world.restart(stage.consumers.nodes[victim]);
            restarted = true;
            result.reached("consumer_restarted");
            result.figure("restarted_after_s", restart_after.unwrap_or(0));
        }
        world.sleep(Duration::from_millis(250)).await;
    }
    if taken_over.is_some() {
        result.reached("rebalance_moved_queue");
    }
    match taken_over {
        Some(took) if took <= bound => result.figure("takeover_ms", took.as_millis()),
        Some(took) => {
            result.figure("takeover_ms", took.as_millis());
            result.violations_safety.push(format!(
                "takeover: the survivors held every queue only {} ms after the kill (bound {} ms)",
                took.as_millis(),
                bound.as_millis()
            ));
        }
        None => result.violations_safety.push(format!(
            "takeover: the survivors never held every queue in the {} s after the kill",
            (safety_end - killed_at).as_secs()
        )),
    }
    match resumed {
        Some(took) => result.figure("resumed_ms", took.as_millis()),
        None => result.violations_liveness.push(
            "deliveries never resumed on every queue of the victim during the safety phase".into(),
        ),
    }
    if restarted {
        let back = stage.consumers.assigned(&world, victim, GROUP).len();
        result.figure("restarted_holds", back);
    }
    let drained = stage.drain(phases.liveness, &[]).await;
    result.figure("drain_ms", drained.as_millis());
    stage.judge(&[], &mut result);
    stage.finish().await;
    result
}
