//! From the file's tables to what `Stage` builds: the cluster spec (groups, topics, producer
//! nodes), the consumer groups and their members, one producer plan per producer node, the
//! guarantee-matrix configuration, the node names faults may name, and the reached marks.

use rocketsim::broker::BrokerRole;
use rocketsim::client::rebalance::Strategy;

use super::options::{
    Allocation, ConsumerKind, Model, Order, ProducerOptions, Role, SendMode, TopologyOptions,
};
use super::swarm::SwarmKind;
use super::FaultAction;
use crate::check::matrix::Replication;
use crate::check::{Configuration, FaultKind};
use crate::scenario::messaging::cluster::{
    replica_name, BrokerGroupSpec, ClusterSpec, ControllerSpec, StoreSpec,
};
use crate::scenario::messaging::consumers::GroupSpec;
use crate::scenario::messaging::stage::StageSpec;
use crate::scenario::messaging::traffic::{Mode, ProducerPlan};
use crate::scenario::Scenario;

/// Producer nodes the file needs.
pub fn producer_nodes(scenario: &Scenario) -> u8 {
    let needed: u32 = scenario.producers.iter().map(|p| u32::from(p.count)).sum();
    (needed.min(64) as u8).max(scenario.topology.producer_nodes)
}

/// Consumer nodes the file needs.
pub fn consumer_nodes(scenario: &Scenario) -> u8 {
    let needed = scenario.consumer_groups.iter().map(|g| g.consumers).max();
    needed.unwrap_or(0).max(scenario.topology.consumer_nodes)
}

/// A fault target naming the current master of a group (`master:broker-a`), resolved when
/// the fault is injected (`targets.rs`).
pub const MASTER_OF: &str = "master:";

/// The node lying to group `group`'s HA port.
pub fn impostor_name(group: &str) -> String {
    format!("{group}-impostor")
}

/// Every node a `cluster` run creates, by name (what `[[faults]]` and `[swarm]` may name).
pub fn node_names(scenario: &Scenario) -> Vec<String> {
    let topology = &scenario.topology;
    let mut names: Vec<String> = (1..=topology.namesrvs)
        .map(|i| format!("namesrv-{i}"))
        .collect();
    for g in &topology.broker_groups {
        names.extend((0..=g.slaves).map(|k| replica_name(&g.name, k)));
        if g.ha_impostor {
            names.push(impostor_name(&g.name));
        }
    }
    if topology.broker_groups.iter().any(|g| g.controller) {
        names.push("controller".to_string());
    }
    names.extend((1..=producer_nodes(scenario)).map(|i| format!("producer-{i}")));
    names.extend((1..=consumer_nodes(scenario)).map(|i| format!("consumer-{i}")));
    names
}

fn queues_of(topology: &TopologyOptions, queues: Option<i32>) -> i32 {
    queues.unwrap_or(topology.queues_per_topic)
}

/// What `Stage::start` builds for this file.
pub fn stage_spec(scenario: &Scenario) -> StageSpec {
    let topology = &scenario.topology;
    let groups = topology
        .broker_groups
        .iter()
        .map(|g| BrokerGroupSpec {
            name: g.name.clone(),
            role: match g.role {
                Role::AsyncMaster => BrokerRole::AsyncMaster,
                Role::SyncMaster => BrokerRole::SyncMaster,
            },
            store: StoreSpec {
                flush: g.flush.mode(),
                fsync_latency_ms: g.fsync_latency_ms,
                plant_ack_before_sync: g.plant_ack_before_sync,
                commitlog_segment_bytes: g.commitlog_segment_bytes,
            },
            slaves: g.slaves,
            slave_read: g.slave_read,
            controller: g
                .controller
                .then_some(ControllerSpec { all_ack: g.all_ack }),
        })
        .collect();
    let topics = scenario
        .topics
        .iter()
        .map(|t| (t.name.clone(), queues_of(topology, t.queues)))
        .collect();
    let producers: Vec<ProducerPlan> = scenario
        .producers
        .iter()
        .flat_map(|p| vec![producer_plan(p); usize::from(p.count)])
        .collect();
    StageSpec {
        cluster: ClusterSpec {
            namesrvs: topology.namesrvs,
            groups,
            topics,
            producers: producer_nodes(scenario),
        },
        consumer_nodes: usize::from(consumer_nodes(scenario)),
        groups: scenario
            .consumer_groups
            .iter()
            .map(|g| GroupSpec {
                name: g.name.clone(),
                orderly: g.order == Order::Orderly,
                members: (0..usize::from(g.consumers)).collect(),
                topic: g.topic.clone(),
                broadcast: g.model == Model::Broadcast,
                lite_pull: g.kind == ConsumerKind::LitePull,
                allocation: match g.allocation {
                    Allocation::Averagely => Strategy::Averagely,
                    Allocation::AveragelyByCircle => Strategy::AveragelyByCircle,
                    Allocation::ConsistentHash => Strategy::ConsistentHash { virtual_nodes: 10 },
                },
                consume_delay_ms: Some(g.consume_delay_ms),
                fail_one_in: g.fail_one_in,
            })
            .collect(),
        producers,
        consume_delay_ms: [0, 5],
        latency_fault: false,
        plant_forget_one_in: topology.plant_forget_one_in,
        guarantees: guarantees(scenario),
        exactly_once: false,
    }
}

fn producer_plan(p: &ProducerOptions) -> ProducerPlan {
    ProducerPlan {
        topic: p.topic.clone(),
        mode: match p.mode {
            SendMode::Sync => Mode::Sync,
            SendMode::Async => Mode::Async {
                in_flight_max: p.async_in_flight_max,
            },
            SendMode::Oneway => Mode::Oneway,
            SendMode::Batch => Mode::Batch { size: p.batch_size },
            SendMode::Ordered => Mode::Ordered,
        },
        rate: p.rate,
        pause_ms: p.pause_ms,
        body_bytes: p.body_bytes,
        keys: p.keys.max(1),
        set_keys: p.keys > 0,
        tags: p.tags.clone(),
        latency_fault: p.latency_fault,
    }
}

/// The fault actions the file can inject: the schedule's, and the swarm's kinds.
pub fn actions(scenario: &Scenario) -> Vec<FaultAction> {
    let mut actions: Vec<FaultAction> = scenario.faults.iter().map(|f| f.action).collect();
    if let Some(swarm) = &scenario.swarm {
        for kind in &swarm.kinds {
            actions.push(match kind {
                SwarmKind::Kill => FaultAction::Kill,
                SwarmKind::PowerLoss => FaultAction::PowerLoss,
                SwarmKind::Pause => FaultAction::Pause,
                SwarmKind::Partition => FaultAction::Partition,
                SwarmKind::Clog => FaultAction::Clog,
                SwarmKind::ClogLink => FaultAction::ClogLink,
                SwarmKind::Loss => FaultAction::Loss,
                SwarmKind::Latency => FaultAction::Latency,
                SwarmKind::ClockStep => FaultAction::ClockStep,
                SwarmKind::SlowFsync => FaultAction::SlowFsync,
            });
        }
    }
    actions.sort();
    actions.dedup();
    actions
}

/// The guarantee-matrix configuration: the brokers' flush mode (validated to be one) and the
/// faults that can explain a loss.
pub fn guarantees(scenario: &Scenario) -> Configuration {
    let flush = scenario
        .topology
        .broker_groups
        .first()
        .map_or(rocketsim::store::FlushMode::Async, |g| g.flush.mode());
    let actions = actions(scenario);
    let mut faults = Vec::new();
    if actions.contains(&FaultAction::PowerLoss) {
        faults.push(FaultKind::PowerLoss);
    }
    if actions.contains(&FaultAction::Kill) {
        faults.push(FaultKind::ProcessKill);
    }
    let replication = replication(scenario);
    let controlled = matches!(
        replication,
        Replication::SyncMaster | Replication::AsyncMaster
    );
    if controlled && !faults.is_empty() {
        faults.push(FaultKind::MasterSwitch);
    }
    let mut config = Configuration::new(flush, &faults);
    config.replication = replication;
    config
}

/// The replication mode of the run: that of its groups with slaves (validated to be one).
pub fn replication(scenario: &Scenario) -> Replication {
    let Some(g) = scenario
        .topology
        .broker_groups
        .iter()
        .find(|g| g.slaves > 0)
    else {
        return Replication::Any;
    };
    match (g.controller, g.role, g.all_ack) {
        (false, Role::SyncMaster, _) => Replication::ClassicSyncMaster,
        (false, Role::AsyncMaster, _) => Replication::ClassicAsyncMaster,
        (true, Role::SyncMaster, true) => Replication::SyncMaster,
        (true, _, _) => Replication::AsyncMaster,
    }
}

/// Whether the file kills or powers off a `master:<group>` target (the failover figure).
fn kills_a_master(scenario: &Scenario) -> bool {
    let dies = |a: FaultAction| matches!(a, FaultAction::Kill | FaultAction::PowerLoss);
    let scheduled = scenario
        .faults
        .iter()
        .any(|f| dies(f.action) && f.node.starts_with(MASTER_OF));
    let swarmed = scenario.swarm.as_ref().is_some_and(|s| {
        s.targets.iter().any(|t| t.starts_with(MASTER_OF))
            && s.kinds
                .iter()
                .any(|k| matches!(k, SwarmKind::Kill | SwarmKind::PowerLoss))
    });
    scheduled || swarmed
}

/// The reached marks a `cluster` scenario declares.
pub fn declared(scenario: &Scenario) -> Vec<&'static str> {
    let mut probes = vec!["liveness_converged", "consumer_offset_probed"];
    for p in &scenario.producers {
        probes.push(match p.mode {
            SendMode::Sync => "sync_send_made",
            SendMode::Async => "async_send_made",
            SendMode::Oneway => "oneway_send_made",
            SendMode::Batch => "batch_send_made",
            SendMode::Ordered => "ordered_send_made",
        });
    }
    if !scenario.consumer_groups.is_empty() {
        // Emitted by the broker (`rocketsim::probe!`): a held pull released by a new message.
        probes.push("long_poll_woken_by_message");
    }
    if scenario.consumer_groups.iter().any(|g| g.fail_one_in > 0) {
        probes.push("consume_failure_injected");
    }
    if scenario
        .consumer_groups
        .iter()
        .any(|g| g.model == Model::Broadcast)
    {
        probes.push("broadcast_delivered");
    }
    if scenario
        .consumer_groups
        .iter()
        .any(|g| g.kind == ConsumerKind::LitePull)
    {
        probes.push("lite_pull_delivered");
    }
    let actions = actions(scenario);
    if actions.contains(&FaultAction::PowerLoss) {
        probes.extend(["broker_power_lost", "power_loss_hit_unsynced_tail"]);
    }
    if actions.contains(&FaultAction::Partition) {
        probes.push("partitioned");
    }
    let slave_read = scenario
        .topology
        .broker_groups
        .iter()
        .any(|g| g.slave_read && !g.controller);
    let master_dies = [FaultAction::Kill, FaultAction::PowerLoss]
        .iter()
        .any(|a| actions.contains(a));
    if slave_read && master_dies && !scenario.consumer_groups.is_empty() {
        probes.push("delivered_while_master_down");
    }
    if scenario.swarm.is_some() {
        probes.push("swarm_fault_injected");
    }
    if kills_a_master(scenario) {
        probes.push("failover_acked");
    }
    let controlled = scenario.topology.broker_groups.iter().any(|g| g.controller);
    if controlled && !actions.is_empty() {
        // The offset probe's tracker saw the routed master move to another replica.
        probes.push("master_moved");
    }
    if scenario
        .topology
        .broker_groups
        .iter()
        .any(|g| g.ha_impostor)
    {
        probes.push("impostor_connected");
    }
    probes.sort();
    probes.dedup();
    probes
}
