//! The `cluster` workload: a cluster, a workload and faults described entirely by the file.
//!
//! * `[topology]`: name servers and broker groups (flush, role, segment size; classic slaves,
//!   slave reads, controller mode, an HA-port impostor), client nodes;
//! * `[[topics]]`, `[[producers]]` (send mode, rate, sizes, keys, tags), `[[consumer_groups]]`
//!   (push / lite-pull, clustering / broadcast, concurrent / orderly, allocation, injected
//!   consume failures);
//! * `[[faults]]`, a schedule (`at_s` from the start of the safety phase), and/or `[swarm]`.
//!
//! A run: build the cluster and the consumers, wait until every group covers its queues,
//! start the producers and the offset probe; **safety phase** of `safety_s` with the
//! schedule and the swarm injecting faults; then the **liveness phase**: heal everything
//! (restart, resume, unclog, restore clocks, disks and the network), stop the producers, and
//! require convergence within `liveness_s` (`liveness.rs`). Every checker of `sim/src/check/`
//! judges the history at the end, against the guarantee matrix of the configuration (one
//! flush mode for all groups, one replication mode for the groups with slaves; the faults the
//! file can inject), and the replicas' logs are compared (`replicas.rs`). Fault targets may
//! name `master:<group>`, resolved when the fault fires (`targets.rs`).

mod faults;
mod impostor;
mod liveness;
pub mod options;
pub mod plan;
pub mod probe;
mod replicas;
pub mod swarm;
pub mod targets;
pub mod validate;

pub use faults::{FaultAction, FaultStep, Injector};

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rocketsim::env::Spawn;
use rocketsim::protocol::body::MessageQueue;

use self::probe::ProbedQueue;
use crate::check::{consumer_offsets_monotonic, Configuration};
use crate::scenario::messaging::cluster::Cluster;
use crate::scenario::messaging::stage::Stage;
use crate::scenario::namesrv_support::ScenarioResult;
use crate::scenario::Scenario;
use crate::{NodeId, World};

/// How often the probe reads committed offsets, and the convergence test runs.
const PROBE_PERIOD: Duration = Duration::from_secs(1);

/// Runs a `cluster` scenario on a fresh world.
pub async fn run(world: World, scenario: &Scenario) -> ScenarioResult {
    let mut result = ScenarioResult::default();
    let spec = plan::stage_spec(scenario);
    let config = spec.guarantees.clone();
    let stage = Stage::start(&world, spec, &mut result).await;
    let safety_end = stage.traffic_from + Duration::from_secs(scenario.scenario.safety_s);
    for (name, _) in stage
        .cluster
        .broker_names
        .iter()
        .zip(&stage.cluster.controlled)
        .filter(|c| *c.1)
    {
        stage.ledger.lock().oracle.controlled(name);
    }
    let impostors = start_impostors(&world, scenario, &stage.cluster, safety_end);
    let brokers = fault_logged_brokers(&stage.cluster);
    let resolver = targets::Targets::new(&stage.cluster);
    let mut injector = Injector::new(&world, brokers, Some(stage.ledger.clone()));
    injector.log_sync_slaves(sync_slaves(scenario, &stage.cluster));
    let injector = Arc::new(Mutex::new(injector));
    let (targets, cells) = probe_targets(&stage);
    let stop_probe = Arc::new(AtomicBool::new(false));
    let admin = world.env(stage.cluster.admin);
    admin.spawn(
        "workload-offset-probe",
        probe::run(
            world.clone(),
            stage.cluster.admin_client.clone(),
            targets.clone(),
            stage.ledger.clone(),
            PROBE_PERIOD,
            stop_probe.clone(),
        ),
    );
    if stage.cluster.controlled.iter().any(|c| *c) {
        let groups = stage
            .cluster
            .broker_names
            .iter()
            .cloned()
            .zip(stage.cluster.controlled.iter().copied())
            .collect();
        let task = track_masters(
            world.clone(),
            groups,
            cells,
            resolver.clone(),
            stage.ledger.clone(),
            stop_probe.clone(),
        );
        admin.spawn("workload-master-tracker", task);
    }
    let swarm_kinds = Arc::new(Mutex::new(Vec::new()));
    if let Some(options) = scenario.swarm.clone() {
        let (world, injector, kinds) = (world.clone(), injector.clone(), swarm_kinds.clone());
        let victims = swarm::victims(&options, &plan::node_names(scenario));
        let resolver = resolver.clone();
        admin.spawn("workload-swarm", async move {
            let kept =
                swarm::run(&world, &options, &injector, &resolver, &victims, safety_end).await;
            *kinds.lock() = kept;
        });
    }
    let faults = &scenario.faults;
    schedule(&world, faults, &injector, &resolver, stage.traffic_from).await;
    if world.now() < safety_end {
        world.sleep(safety_end - world.now()).await;
    }
    // Liveness: the swarm has stopped (its last fault ends before `safety_end`).
    let healed_at = world.now();
    injector.lock().heal_all();
    stage.producers.stop(&world).await;
    let bound = Duration::from_secs(scenario.scenario.liveness_s);
    let converged = converge(&stage, &targets, &resolver, &config, bound, &mut result).await;
    result.figure("converged_ms", (world.now() - healed_at).as_millis());
    stop_probe.store(true, Ordering::SeqCst);
    if converged {
        result.reached("liveness_converged");
    }
    stage.judge(&[], &mut result);
    judge_offsets(&stage, &config, &mut result);
    let history = stage.ledger.lock().oracle.history().clone();
    replicas::judge(&stage.cluster, &resolver, &config, &history, &mut result).await;
    replicas::judge_final_log(&stage.cluster, &resolver, &config, &history, &mut result).await;
    failover_figures(&resolver.master_deaths(), &history, &mut result);
    if stage.cluster.controlled.iter().any(|c| *c) {
        let moves: usize = history.master_changes.values().map(Vec::len).sum();
        result.figure("master_moves", moves);
        if moves > 0 {
            result.reached("master_moved");
        }
    }
    figures(&stage, &injector.lock(), &swarm_kinds.lock(), &mut result);
    if let Some(tally) = impostors {
        let connected = tally.connected.load(Ordering::Relaxed);
        result.figure("impostor_connections", connected);
        let closed = tally.closed_by_master.load(Ordering::Relaxed);
        result.figure("impostor_closed_by_master", closed);
        if connected > 0 {
            result.reached("impostor_connected");
        }
    }
    stage.finish().await;
    result
}

/// Adds a `<group>-impostor` node for each group with `ha_impostor` (at 10.0.9.`11+i`) lying
/// to the master's HA port until `until`; their common tally (`None`: no impostor).
fn start_impostors(
    world: &World,
    scenario: &Scenario,
    cluster: &Cluster,
    until: Duration,
) -> Option<Arc<impostor::ImpostorTally>> {
    let groups = &scenario.topology.broker_groups;
    if !groups.iter().any(|g| g.ha_impostor) {
        return None;
    }
    let tally = Arc::new(impostor::ImpostorTally::default());
    for (i, g) in groups.iter().enumerate().filter(|(_, g)| g.ha_impostor) {
        let ip = std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 9, 11 + i as u8));
        let node = world.add_client_node(&plan::impostor_name(&g.name), ip);
        let master = cluster.replicas[i][0].addr;
        let ha_addr = std::net::SocketAddr::new(master.ip(), master.port() + 1);
        let env = world.env(node);
        let task = impostor::run(world.clone(), env.clone(), ha_addr, until, tally.clone());
        env.spawn("workload-impostor", task);
    }
    Some(tally)
}

/// Broker nodes whose stops the oracle logs under their group's name (what explains a loss):
/// classic masters (a slave's death loses nothing acked: its master has everything), and
/// every replica of a controller-mode group (any of them may be master when it dies).
fn fault_logged_brokers(cluster: &Cluster) -> BTreeMap<NodeId, String> {
    let mut brokers = BTreeMap::new();
    for (i, replicas) in cluster.replicas.iter().enumerate() {
        let name = &cluster.broker_names[i];
        let logged = match cluster.controlled[i] {
            true => replicas.len(),
            false => 1,
        };
        for replica in &replicas[..logged] {
            brokers.insert(replica.node, name.clone());
        }
    }
    brokers
}

/// The slaves of classic SYNC_MASTER groups (node → group), whose stops the oracle logs for
/// `check::acked_without_replica`.
fn sync_slaves(scenario: &Scenario, cluster: &Cluster) -> BTreeMap<NodeId, String> {
    let groups = &scenario.topology.broker_groups;
    let mut slaves = BTreeMap::new();
    for (g, replicas) in groups.iter().zip(&cluster.replicas) {
        if g.role == options::Role::SyncMaster && !g.controller {
            for slave in &replicas[1..] {
                slaves.insert(slave.node, g.name.clone());
            }
        }
    }
    slaves
}

/// Applies the schedule's steps at their times (from `from`, the start of the safety phase),
/// resolving `master:<group>` targets when each step is due.
async fn schedule(
    world: &World,
    steps: &[FaultStep],
    injector: &Mutex<Injector>,
    resolver: &targets::Targets,
    from: Duration,
) {
    let mut steps: Vec<&FaultStep> = steps.iter().collect();
    steps.sort_by(|a, b| a.at_s.total_cmp(&b.at_s));
    for step in steps {
        let at = from + Duration::from_secs_f64(step.at_s);
        if at > world.now() {
            world.sleep(at - world.now()).await;
        }
        let step = resolver.resolve(step).await;
        injector.lock().apply(&step);
    }
}

/// Every queue of every clustering group's topic, at its broker group's master (one shared
/// cell per broker group, in group order).
fn probe_targets(stage: &Stage) -> (Vec<ProbedQueue>, Vec<probe::MasterCell>) {
    let cluster = &stage.cluster;
    let cells: Vec<probe::MasterCell> = cluster
        .broker_addrs
        .iter()
        .map(|addr| Arc::new(Mutex::new(*addr)))
        .collect();
    let mut targets = Vec::new();
    for group in stage.groups.iter().filter(|g| !g.broadcast) {
        let queues = cluster
            .topics
            .iter()
            .find(|(t, _)| *t == group.topic)
            .map_or(0, |t| t.1);
        for (broker, cell) in cluster.broker_names.iter().zip(&cells) {
            for queue_id in 0..queues {
                targets.push(ProbedQueue {
                    group: group.name.clone(),
                    queue: MessageQueue {
                        topic: group.topic.clone(),
                        broker_name: broker.clone(),
                        queue_id,
                    },
                    master: cell.clone(),
                });
            }
        }
    }
    (targets, cells)
}

/// Controller mode: follows each controlled group's master (as the name servers route it)
/// every `PROBE_PERIOD`, moving its probe cell and logging each change in the history (a
/// master switch explains rewound offsets and reused ones where the matrix allows).
async fn track_masters(
    world: World,
    stage_cluster: Vec<(String, bool)>,
    cells: Vec<probe::MasterCell>,
    resolver: targets::Targets,
    ledger: crate::scenario::messaging::traffic::SharedLedger,
    stop: Arc<AtomicBool>,
) {
    // The first answer per group only places the cell: the first election (whoever asks
    // first wins it) is not a switch.
    let mut placed = vec![false; cells.len()];
    while !stop.load(Ordering::SeqCst) {
        for (i, ((group, controlled), cell)) in stage_cluster.iter().zip(&cells).enumerate() {
            if !controlled {
                continue;
            }
            let Some(addr) = resolver.master_addr_of(group).await else {
                continue;
            };
            let moved = std::mem::replace(&mut *cell.lock(), addr) != addr;
            if moved && placed[i] {
                world.record("master.moved", format_args!("{group} {addr}"));
                ledger.lock().oracle.master_changed(group, world.now());
            }
            placed[i] = true;
        }
        world.sleep(PROBE_PERIOD).await;
    }
}

/// Waits until `liveness::pending` finds nothing, at most `bound`; a liveness violation per
/// thing that did not converge otherwise.
async fn converge(
    stage: &Stage,
    targets: &[ProbedQueue],
    resolver: &targets::Targets,
    config: &Configuration,
    bound: Duration,
    result: &mut ScenarioResult,
) -> bool {
    let world = &stage.world;
    let deadline = world.now() + bound;
    loop {
        let pending = liveness::pending(stage, targets, resolver, config).await;
        if pending.not_converged.is_empty() {
            result.figure("offsets_ahead", pending.offsets_ahead);
            return true;
        }
        if world.now() >= deadline {
            for what in pending.not_converged {
                result.violations_liveness.push(format!(
                    "not converged {} s after healing: {what}",
                    bound.as_secs()
                ));
            }
            return false;
        }
        world.sleep(PROBE_PERIOD).await;
    }
}

/// Deliveries from a classic replicated group's queues while its master's process was down:
/// consumers read them from a slave (§5.5).
fn delivered_while_master_down(stage: &Stage, history: &crate::check::History) -> u64 {
    let cluster = &stage.cluster;
    let mut count = 0;
    for (i, group) in cluster.broker_names.iter().enumerate() {
        if cluster.replicas[i].len() < 2 || cluster.controlled[i] {
            continue;
        }
        let stops = history.broker_stops.get(group).cloned().unwrap_or_default();
        let starts = history
            .broker_starts
            .get(group)
            .cloned()
            .unwrap_or_default();
        let down = |at: Duration| {
            let stopped = stops.iter().filter(|&&t| t <= at).max();
            let started = starts.iter().filter(|&&t| t <= at).max();
            stopped.is_some_and(|s| started.is_none_or(|r| r < s))
        };
        count += history
            .deliveries()
            .filter(|d| &d.queue.broker_name == group && down(d.at))
            .count() as u64;
    }
    count
}

/// `failover_first_ack_ms`: the longest time, over the masters killed or powered off
/// through a `master:<group>` target, from the death to the group's next acknowledged send
/// (on a new master in controller mode; on the returning master in classic mode); deaths
/// followed by no ack at all in the run are counted (`failover_never_acked`).
fn failover_figures(
    deaths: &[(String, Duration)],
    history: &crate::check::History,
    result: &mut ScenarioResult,
) {
    if deaths.is_empty() {
        return;
    }
    let (waits, never) = failover_waits(deaths, history);
    if let Some(max) = waits.iter().max() {
        result.figure("failover_first_ack_ms", max.as_millis());
        result.reached("failover_acked");
    }
    result.figure("failover_never_acked", never);
}

/// For each death, the wait until the group's next ack; and the deaths never followed by one.
fn failover_waits(
    deaths: &[(String, Duration)],
    history: &crate::check::History,
) -> (Vec<Duration>, u64) {
    let mut waits = Vec::new();
    let mut never = 0;
    for (group, died) in deaths {
        let next = history.events.iter().find_map(|e| match e {
            crate::check::Event::Acked { queue, at, .. }
                if &queue.broker_name == group && at > died =>
            {
                Some(*at)
            }
            _ => None,
        });
        match next {
            Some(at) => waits.push(at - *died),
            None => never += 1,
        }
    }
    (waits, never)
}

/// The consumer-offsets checker's verdict.
fn judge_offsets(stage: &Stage, config: &Configuration, result: &mut ScenarioResult) {
    let ledger = stage.ledger.lock();
    let history = ledger.oracle.history();
    let found = consumer_offsets_monotonic::check(history, config);
    result.figure("consumer_offsets_rewound", found.rewound);
    result.figure("consumer_offsets_reset", found.reset);
    result.figure("offset_reads", history.offsets.len());
    let more = found.findings.total - found.findings.kept.len() as u64;
    result.violations_safety.extend(found.findings.kept);
    if more > 0 {
        result
            .violations_safety
            .push(format!("… and {more} more consumer offset regressions"));
    }
    if !history.offsets.is_empty() {
        result.reached("consumer_offset_probed");
    }
}

/// The run's figures and reached marks beyond the standard ones.
fn figures(
    stage: &Stage,
    injector: &Injector,
    swarm: &[swarm::SwarmKind],
    result: &mut ScenarioResult,
) {
    let ledger = stage.ledger.lock();
    let sends = [
        ("sync_send_made", ledger.sync_sends),
        ("ordered_send_made", ledger.ordered_sends),
        ("async_send_made", ledger.async_sends),
        ("oneway_send_made", ledger.oneway_sends),
        ("batch_send_made", ledger.batch_sends),
        ("consume_failure_injected", ledger.later_answers),
        ("broker_power_lost", ledger.power_losses),
        ("power_loss_hit_unsynced_tail", ledger.power_losses_hit_tail),
    ];
    for (mark, count) in sends {
        if count > 0 {
            result.reached(mark);
        }
    }
    result.figure("async_sends", ledger.async_sends);
    result.figure("oneway_sends", ledger.oneway_sends);
    result.figure("batch_sends", ledger.batch_sends);
    result.figure("consume_later", ledger.later_answers);
    for group in &stage.groups {
        let delivered = group
            .oracle_groups()
            .iter()
            .any(|g| ledger.deliveries.get(g).is_some_and(|d| !d.is_empty()));
        match (delivered, group.broadcast, group.lite_pull) {
            (true, true, _) => result.reached("broadcast_delivered"),
            (true, _, true) => result.reached("lite_pull_delivered"),
            _ => {}
        }
    }
    let from_slaves = delivered_while_master_down(stage, ledger.oracle.history());
    if stage.cluster.replicas.iter().any(|r| r.len() > 1) {
        result.figure("delivered_while_master_down", from_slaves);
        if from_slaves > 0 {
            result.reached("delivered_while_master_down");
        }
    }
    let applied: BTreeMap<_, _> = injector.applied.clone();
    let total: u64 = applied.values().sum();
    result.figure("faults", total);
    if applied.contains_key(&FaultAction::Partition) {
        result.reached("partitioned");
    }
    if !swarm.is_empty() {
        let kinds: Vec<String> = swarm.iter().map(|k| format!("{k:?}")).collect();
        result.figure("swarm_kinds", kinds.join(","));
        if total > 0 {
            result.reached("swarm_fault_injected");
        }
    }
}
