//! The skeleton every messaging scenario shares: build the cluster and the consumers, wait
//! until every group has every queue assigned, start the producers; at the end stop them,
//! drain, and turn the oracle's findings into the scenario result.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;

use super::cluster::{Cluster, ClusterSpec};
use super::consumers::{Consumers, GroupSpec};
use super::oracle::Oracle;
use super::traffic::{Ledger, ProducerPlan, Producers, SharedLedger};
use crate::check::{Configuration, FaultKind};
use crate::scenario::namesrv_support::ScenarioResult;
use crate::World;

/// How long consumers get to cover every queue before traffic starts.
const SETTLE_LIMIT: Duration = Duration::from_secs(60);

/// A running messaging workload.
pub struct Stage {
    pub world: World,
    pub cluster: Cluster,
    pub consumers: Consumers,
    pub ledger: SharedLedger,
    pub producers: Producers,
    pub groups: Vec<GroupSpec>,
    /// Virtual time traffic started.
    pub traffic_from: Duration,
    /// What the guarantee matrix allows in this configuration.
    pub guarantees: Configuration,
    /// Duplicates are violations (a fault-free run that demands exactly-once).
    pub exactly_once: bool,
}

/// What to stage.
pub struct StageSpec {
    pub cluster: ClusterSpec,
    pub consumer_nodes: usize,
    pub groups: Vec<GroupSpec>,
    /// One plan per producer node (`cluster.producers` of them).
    pub producers: Vec<ProducerPlan>,
    pub consume_delay_ms: [u64; 2],
    /// Producers run the latency fault strategy.
    pub latency_fault: bool,
    /// Planted bug for canaries (0: off): consumers forget one delivery in this many.
    pub plant_forget_one_in: u64,
    /// What the guarantee matrix allows in this configuration.
    pub guarantees: Configuration,
    /// Duplicates are violations.
    pub exactly_once: bool,
}

impl Stage {
    /// Builds everything and starts traffic once the groups cover every queue (a liveness
    /// violation in `result` if they do not within 60 s; traffic starts anyway).
    pub async fn start(world: &World, spec: StageSpec, result: &mut ScenarioResult) -> Stage {
        let mut oracle = Oracle::new(&[]);
        for group in &spec.groups {
            for name in group.oracle_groups() {
                oracle.expect_group(&name, &group.topic, group.orderly);
            }
        }
        let ledger: SharedLedger = Arc::new(Mutex::new(Ledger::new(oracle)));
        let cluster = Cluster::build(world, &spec.cluster).await;
        let consumers = Consumers::add(
            world,
            spec.consumer_nodes,
            &spec.groups,
            &cluster.namesrv_addrs,
            &ledger,
            spec.consume_delay_ms,
            spec.plant_forget_one_in,
        );
        let queues: Vec<usize> = spec
            .groups
            .iter()
            .map(|g| spec.cluster.queues_of(&g.topic))
            .collect();
        let started = world.now();
        let mut stage = Stage {
            world: world.clone(),
            cluster,
            consumers,
            ledger,
            producers: Producers::default(),
            groups: spec.groups,
            traffic_from: Duration::ZERO,
            guarantees: spec.guarantees,
            exactly_once: spec.exactly_once,
        };
        while !stage.groups_cover_each(&queues, &[]) {
            if world.now() - started > SETTLE_LIMIT {
                result.violations_liveness.push(format!(
                    "the groups did not cover all {queues:?} queues within {} s of start",
                    SETTLE_LIMIT.as_secs()
                ));
                break;
            }
            world.sleep(Duration::from_millis(200)).await;
        }
        result.figure("settled_ms", (world.now() - started).as_millis());
        stage.traffic_from = world.now();
        stage.producers = Producers::start(
            &stage.cluster,
            &spec.producers,
            &stage.ledger,
            spec.latency_fault,
        );
        stage
    }

    /// Whether, in every group, the members not in `except` together hold `queues` queues.
    pub fn groups_cover(&self, queues: usize, except: &[usize]) -> bool {
        self.groups_cover_each(&vec![queues; self.groups.len()], except)
    }

    /// `groups_cover` with the queue count of each group (in group order).
    pub fn groups_cover_each(&self, queues: &[usize], except: &[usize]) -> bool {
        self.groups.iter().zip(queues).all(|(group, &queues)| {
            let mut held = std::collections::BTreeSet::new();
            for &member in group.members.iter().filter(|m| !except.contains(m)) {
                held.extend(self.consumers.assigned(&self.world, member, &group.name));
            }
            held.len() >= queues
        })
    }

    /// Stops the producers and waits up to `limit` until every acked message (outside
    /// `dead_brokers`) reached every group; returns how long the drain took.
    pub async fn drain(&self, limit: Duration, dead_brokers: &[&str]) -> Duration {
        self.producers.stop(&self.world).await;
        let groups = self.oracle_groups();
        let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
        let started = self.world.now();
        while self.world.now() - started < limit {
            if self
                .ledger
                .lock()
                .oracle
                .all_delivered(&groups, dead_brokers)
            {
                break;
            }
            self.world.sleep(Duration::from_millis(250)).await;
        }
        self.world.now() - started
    }

    /// The oracle's groups: each group's name, or one per member of a broadcasting group.
    pub fn oracle_groups(&self) -> Vec<String> {
        self.groups
            .iter()
            .flat_map(GroupSpec::oracle_groups)
            .collect()
    }

    /// The checkers' findings: violations into `result`, the standard figures first.
    pub fn judge(&self, dead_brokers: &[&str], result: &mut ScenarioResult) {
        let mut ledger = self.ledger.lock();
        ledger.rates.flush(&self.world);
        let groups = self.oracle_groups();
        let groups: Vec<&str> = groups.iter().map(String::as_str).collect();
        let config = &self.guarantees;
        let j = ledger
            .oracle
            .judge(&groups, config, dead_brokers, self.exactly_once);
        result
            .violations_safety
            .extend(j.safety.kept.iter().cloned());
        if j.safety.total > j.safety.kept.len() as u64 {
            let more = j.safety.total - j.safety.kept.len() as u64;
            result
                .violations_safety
                .push(format!("… and {more} more safety violations"));
        }
        result
            .violations_liveness
            .extend(j.lost_examples.iter().cloned());
        if j.lost > j.lost_examples.len() as u64 {
            let more = j.lost - j.lost_examples.len() as u64;
            result
                .violations_liveness
                .push(format!("… and {more} more lost deliveries"));
        }
        if j.in_flight > 0 {
            let n = j.in_flight;
            result.violations_liveness.push(format!(
                "{n} sends never ended after the producers were stopped"
            ));
        }
        let mut standard = ScenarioResult::default();
        standard.figure("acked", j.acked);
        standard.figure("failed", j.failed);
        standard.figure("indeterminate", j.indeterminate);
        standard.figure("consumed", j.consumed);
        standard.figure("lost", j.lost);
        standard.figure("dup", j.dup);
        standard.figure("max_e2e_ms", j.max_e2e_ms);
        standard.figure("recovered", j.recovered);
        standard.figure("sync_sends", ledger.sync_sends);
        standard.figure("ordered_sends", ledger.ordered_sends);
        for name in config.reported_figures() {
            let n = j.lost_reported.get(name).copied().unwrap_or(0);
            standard.figure(name, n);
        }
        if config.faults.contains(&FaultKind::PowerLoss) {
            standard.figure("offsets_reused", j.offsets_reused);
        }
        standard.figures.append(&mut result.figures);
        result.figures = standard.figures;
    }

    /// Shuts the consumers down (after judging; keeps the end of the trace tidy).
    pub async fn finish(&self) {
        self.consumers.shutdown(&self.world).await;
    }
}
