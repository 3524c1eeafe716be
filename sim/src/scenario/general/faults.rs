//! The fault schedule (`[[faults]]`) and the injector that applies a step to the world and
//! remembers what it must undo when the liveness phase heals everything: dead nodes
//! restarted, paused ones resumed, clogs and partitions healed, network quality restored,
//! clock steps and drift taken back, disks made good again.
//!
//! Every action is a `World` call (`sim/src/world/faults.rs`) or a `SimDisk` fault setting
//! (`sim/src/disk/faults.rs`); nothing here draws randomness.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::scenario::messaging::traffic::SharedLedger;
use crate::{DiskFaults, NodeId, World};

/// One step of the fault schedule.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultStep {
    /// When, in virtual seconds: from the start (rpc-ping-pong) or from the start of the
    /// safety phase, once the cluster is up and traffic flows (cluster).
    pub at_s: f64,
    /// What happens.
    pub action: FaultAction,
    /// The node it happens to (`server`, `client-1`, `namesrv-1`, `broker-a`, `consumer-2`, …),
    /// for the actions on one node.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// For `clock-step`: milliseconds to add to the node's wall clock (may be negative).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<i64>,
    /// For `clog-link` / `unclog-link`: the sending node of the one-way link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// For `clog-link` / `unclog-link`: the receiving node of the one-way link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// For `partition`: sets of nodes; links between different sets are cut both ways.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sets: Vec<Vec<String>>,
    /// For `loss`: probability of losing each packet (0 ..= 0.5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<f64>,
    /// For `latency` (each packet, drawn) and `slow-fsync` (each fsync of the node's disk,
    /// drawn): `[low, high]` ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range_ms: Option<[u64; 2]>,
    /// For `clock-skew`: drift of the node's wall clock in parts per million (0 stops it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppm: Option<i64>,
    /// For `disk-full`: bytes the disk may still grow by (default 0: full now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
}

impl FaultStep {
    /// A step with only an action and a node (the swarm's steps, tests).
    pub fn on(at_s: f64, action: FaultAction, node: &str) -> Self {
        FaultStep {
            at_s,
            action,
            node: node.to_string(),
            ms: None,
            from: None,
            to: None,
            sets: Vec::new(),
            rate: None,
            range_ms: None,
            ppm: None,
            free_bytes: None,
        }
    }
}

/// Faults a schedule can inject.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum FaultAction {
    /// Kill the node's process (its disk keeps volatile data).
    Kill,
    /// Start the node's process again.
    Restart,
    /// Cut the node's power: unsynced disk data may be lost or torn; restart separately.
    PowerLoss,
    /// Freeze the node's tasks (SIGSTOP, a long GC pause).
    Pause,
    /// Let a paused node run again.
    Resume,
    /// Clog every link of the node (no packets in or out; no connection-closed events).
    Clog,
    /// Unclog the node's links.
    Unclog,
    /// Cut the links between `sets` of nodes, both ways.
    Partition,
    /// Remove every clog, link clog and partition.
    Heal,
    /// Hold back packets from `from` to `to` (one way).
    ClogLink,
    /// Release a one-way link clog.
    UnclogLink,
    /// Lose each packet with probability `rate` (TCP retransmits: losses become delays).
    Loss,
    /// Each packet takes a latency drawn from `range_ms`.
    Latency,
    /// Step the node's wall clock by `ms`.
    ClockStep,
    /// Let the node's wall clock drift by `ppm`.
    ClockSkew,
    /// The node's disk accepts `free_bytes` more, then fails with "no space".
    DiskFull,
    /// Each fsync of the node's disk takes a latency drawn from `range_ms`.
    SlowFsync,
    /// The node's disk is good again (room and speed).
    DiskOk,
}

impl FaultAction {
    /// Whether the action is about one node (`node` required).
    pub fn needs_node(self) -> bool {
        !matches!(
            self,
            FaultAction::Partition
                | FaultAction::Heal
                | FaultAction::ClogLink
                | FaultAction::UnclogLink
                | FaultAction::Loss
                | FaultAction::Latency
        )
    }
}

/// madsim's default packet latency, restored by `heal_all`.
pub const DEFAULT_LATENCY: Range<Duration> = Duration::from_millis(1)..Duration::from_millis(10);

/// Applies steps and remembers what to undo.
pub struct Injector {
    world: World,
    /// Node name → node, for every node of the run.
    nodes: BTreeMap<String, NodeId>,
    /// Broker nodes → their group's name (for the oracle's fault log).
    brokers: BTreeMap<NodeId, String>,
    /// Slaves of classic SYNC_MASTER groups → their group's name (the oracle's slave log).
    sync_slaves: BTreeMap<NodeId, String>,
    ledger: Option<SharedLedger>,
    down: BTreeSet<NodeId>,
    paused: BTreeSet<NodeId>,
    /// Net clock step per node (ms), taken back when healing.
    stepped: BTreeMap<NodeId, i64>,
    skewed: BTreeSet<NodeId>,
    disks: BTreeSet<NodeId>,
    network_degraded: bool,
    /// Faults applied, by action (figures).
    pub applied: BTreeMap<FaultAction, u64>,
}

impl Injector {
    /// An injector over every node of `world`; `brokers` names the broker nodes' groups.
    pub fn new(
        world: &World,
        brokers: BTreeMap<NodeId, String>,
        ledger: Option<SharedLedger>,
    ) -> Self {
        let nodes = world
            .nodes()
            .into_iter()
            .map(|id| (world.node_name(id), id))
            .collect();
        Injector {
            world: world.clone(),
            nodes,
            brokers,
            sync_slaves: BTreeMap::new(),
            ledger,
            down: BTreeSet::new(),
            paused: BTreeSet::new(),
            stepped: BTreeMap::new(),
            skewed: BTreeSet::new(),
            disks: BTreeSet::new(),
            network_degraded: false,
            applied: BTreeMap::new(),
        }
    }

    /// Logs stops and starts of these slaves of classic SYNC_MASTER groups (node → group).
    pub fn log_sync_slaves(&mut self, slaves: BTreeMap<NodeId, String>) {
        if let Some(ledger) = &self.ledger {
            let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
            for (node, group) in &slaves {
                by_group
                    .entry(group)
                    .or_default()
                    .push(self.world.node_name(*node));
            }
            let mut ledger = ledger.lock();
            for (group, names) in by_group {
                ledger.oracle.sync_master_slaves(group, &names);
            }
        }
        self.sync_slaves = slaves;
    }

    fn log_slave(&self, node: NodeId, running: bool) {
        if let (Some(ledger), Some(group)) = (&self.ledger, self.sync_slaves.get(&node)) {
            let name = self.world.node_name(node);
            let at = self.world.now();
            ledger
                .lock()
                .oracle
                .slave_changed(group, &name, running, at);
        }
    }

    /// The node named `name` (validated at load time; unknown names are skipped).
    pub fn node(&self, name: &str) -> Option<NodeId> {
        self.nodes.get(name).copied()
    }

    /// Nodes currently down (killed or powered off, not restarted).
    pub fn down(&self) -> &BTreeSet<NodeId> {
        &self.down
    }

    /// Applies `step` now.
    pub fn apply(&mut self, step: &FaultStep) {
        *self.applied.entry(step.action).or_default() += 1;
        let world = self.world.clone();
        if step.action.needs_node() {
            let Some(node) = self.node(&step.node) else {
                return;
            };
            self.apply_to_node(step, node);
            return;
        }
        match step.action {
            FaultAction::Partition => {
                let sets: Vec<Vec<NodeId>> = step
                    .sets
                    .iter()
                    .map(|set| set.iter().filter_map(|n| self.node(n)).collect())
                    .collect();
                let refs: Vec<&[NodeId]> = sets.iter().map(Vec::as_slice).collect();
                world.partition(&refs);
            }
            FaultAction::Heal => world.heal(),
            FaultAction::ClogLink | FaultAction::UnclogLink => {
                let from = step.from.as_deref().and_then(|n| self.node(n));
                let to = step.to.as_deref().and_then(|n| self.node(n));
                if let (Some(from), Some(to)) = (from, to) {
                    match step.action {
                        FaultAction::ClogLink => world.clog_link(from, to),
                        _ => world.unclog_link(from, to),
                    }
                }
            }
            FaultAction::Loss => {
                self.network_degraded = true;
                world.set_packet_loss(step.rate.unwrap_or(0.0));
            }
            FaultAction::Latency => {
                self.network_degraded = true;
                let [low, high] = step.range_ms.unwrap_or([1, 10]);
                world.set_latency(Duration::from_millis(low)..Duration::from_millis(high));
            }
            _ => unreachable!("node actions are handled above"),
        }
    }

    fn apply_to_node(&mut self, step: &FaultStep, node: NodeId) {
        let world = self.world.clone();
        match step.action {
            FaultAction::Kill => {
                world.kill(node);
                self.down.insert(node);
                self.log_slave(node, false);
                self.log_broker(node, |o, b, at| o.broker_stopped(b, at));
            }
            FaultAction::Restart => self.restart(node),
            FaultAction::PowerLoss => {
                let report = world.power_loss(node);
                self.down.insert(node);
                self.log_slave(node, false);
                self.log_broker(node, |o, b, at| {
                    o.broker_stopped(b, at);
                    o.power_lost(b, at);
                });
                if let Some(ledger) = &self.ledger {
                    let mut ledger = ledger.lock();
                    ledger.power_losses += 1;
                    let dropped = report.pages_dropped + report.torn_sectors_dropped;
                    ledger.power_losses_hit_tail += u64::from(dropped > 0);
                }
            }
            FaultAction::Pause => {
                world.pause(node);
                self.paused.insert(node);
                self.log_slave(node, false);
            }
            FaultAction::Resume => {
                world.resume(node);
                self.paused.remove(&node);
                self.log_slave(node, !self.down.contains(&node));
            }
            FaultAction::Clog => world.clog_node(node),
            FaultAction::Unclog => world.unclog_node(node),
            FaultAction::ClockStep => {
                let ms = step.ms.unwrap_or(0);
                world.clock_step(node, ms);
                *self.stepped.entry(node).or_default() += ms;
            }
            FaultAction::ClockSkew => {
                world.clock_skew(node, step.ppm.unwrap_or(0));
                self.skewed.insert(node);
            }
            FaultAction::DiskFull => {
                let usage = world.disk(node).usage();
                let mut faults = world.disk(node).faults();
                faults.enabled = true;
                faults.capacity_bytes = Some(usage + step.free_bytes.unwrap_or(0));
                world.set_disk_faults(node, faults);
                self.disks.insert(node);
            }
            FaultAction::SlowFsync => {
                let [low, high] = step.range_ms.unwrap_or([0, 0]);
                let mut faults = world.disk(node).faults();
                faults.enabled = true;
                faults.fsync_latency_ms = (low, high);
                world.set_disk_faults(node, faults);
                self.disks.insert(node);
            }
            FaultAction::DiskOk => self.disk_ok(node),
            _ => unreachable!("link and network actions are handled by `apply`"),
        }
    }

    fn restart(&mut self, node: NodeId) {
        self.paused.remove(&node);
        self.world.restart(node);
        self.down.remove(&node);
        self.log_slave(node, true);
        self.log_broker(node, |o, b, at| o.broker_started(b, at));
    }

    fn disk_ok(&mut self, node: NodeId) {
        let mut faults = self.world.disk(node).faults();
        faults.capacity_bytes = None;
        faults.fsync_latency_ms = (0, 0);
        faults.enabled = faults != DiskFaults::default();
        self.world.set_disk_faults(node, faults);
        self.disks.remove(&node);
    }

    fn log_broker(
        &self,
        node: NodeId,
        note: impl FnOnce(&mut crate::scenario::messaging::oracle::Oracle, &str, Duration),
    ) {
        if let (Some(ledger), Some(broker)) = (&self.ledger, self.brokers.get(&node)) {
            note(&mut ledger.lock().oracle, broker, self.world.now());
        }
    }

    /// Undoes every fault: network healed and restored, clocks and disks restored, paused
    /// nodes resumed, dead nodes restarted (the liveness phase's first act).
    pub fn heal_all(&mut self) {
        let world = self.world.clone();
        world.heal();
        if self.network_degraded {
            world.set_packet_loss(0.0);
            world.set_latency(DEFAULT_LATENCY);
            self.network_degraded = false;
        }
        for (node, ms) in std::mem::take(&mut self.stepped) {
            if ms != 0 {
                world.clock_step(node, -ms);
            }
        }
        for node in std::mem::take(&mut self.skewed) {
            world.clock_skew(node, 0);
        }
        for node in std::mem::take(&mut self.disks) {
            self.disk_ok(node);
        }
        for node in std::mem::take(&mut self.paused) {
            world.resume(node);
            self.log_slave(node, !self.down.contains(&node));
        }
        for node in self.down.clone() {
            self.restart(node);
        }
    }
}
