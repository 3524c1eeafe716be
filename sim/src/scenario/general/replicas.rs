//! The replicas of each broker group, read white-box through the brokers' stores: which one
//! is master, whether the slaves caught up (a liveness condition), and whether each slave's
//! CommitLog is a byte prefix of its master's (`check::replica_prefix`, judged at the end).
//!
//! The master of a classic group is its first replica; in controller mode it is the replica
//! the name servers route as `brokerId` 0 (`targets.rs`).

use std::sync::Arc;

use rocketsim::broker::Broker;
use rocketsim::protocol::body::MessageQueue;

use super::targets::Targets;
use crate::check::acked_in_final_log::{self, Slot};
use crate::check::matrix::{Claim, Configuration, FaultKind};
use crate::check::replica_prefix::{divergence, LogBytes};
use crate::check::History;
use crate::scenario::messaging::cluster::Cluster;
use crate::scenario::namesrv_support::ScenarioResult;
use crate::SimEnv;

/// A running broker's CommitLog.
struct StoreLog(Arc<Broker<SimEnv>>);

impl LogBytes for StoreLog {
    fn min_offset(&self) -> u64 {
        self.0.store().min_physical_offset()
    }
    fn max_offset(&self) -> u64 {
        self.0.store().max_physical_offset()
    }
    fn read(&self, from: u64, len_max: usize) -> Vec<u8> {
        self.0
            .store()
            .read_raw(from, len_max)
            .map(|b| b.to_vec())
            .unwrap_or_default()
    }
}

/// Per group, the index of its master among `cluster.replicas[group]` (`None`: none routed).
pub async fn masters(cluster: &Cluster, targets: &Targets) -> Vec<Option<usize>> {
    let mut masters = Vec::new();
    for (i, replicas) in cluster.replicas.iter().enumerate() {
        if !cluster.controlled[i] {
            masters.push(Some(0));
            continue;
        }
        let name = targets.master_of(&cluster.broker_names[i]).await;
        masters.push(name.and_then(|n| replicas.iter().position(|r| r.name == n)));
    }
    masters
}

/// Whether a divergence in group `group` is the matrix's reported effect (a classic master
/// that lost power).
fn excused(history: &History, config: &Configuration, group: &str) -> bool {
    let lost_power = history.power_losses.contains_key(group);
    let claim = config.loss(Some(FaultKind::ReplicaDivergedAfterPowerLoss));
    lost_power && matches!(claim, Claim::Reported(_))
}

/// Liveness: every replicated group has a master, every replica runs, and every slave ends
/// where its master ends (or diverged as the matrix allows).
pub async fn pending(
    cluster: &Cluster,
    targets: &Targets,
    config: &Configuration,
    history: &History,
) -> Vec<String> {
    let mut pending = Vec::new();
    let masters = masters(cluster, targets).await;
    for (i, replicas) in cluster.replicas.iter().enumerate() {
        if replicas.len() < 2 {
            continue;
        }
        let group = &cluster.broker_names[i];
        let Some(m) = masters[i] else {
            pending.push(format!("group {group}: no master routed"));
            continue;
        };
        let Some(master) = replicas[m].broker() else {
            pending.push(format!(
                "group {group}: master {} not running",
                replicas[m].name
            ));
            continue;
        };
        for (_, slave) in replicas.iter().enumerate().filter(|(k, _)| *k != m) {
            let Some(broker) = slave.broker() else {
                pending.push(format!("group {group}: {} not running", slave.name));
                continue;
            };
            let (m_end, s_end) = (
                master.store().max_physical_offset(),
                broker.store().max_physical_offset(),
            );
            if m_end == s_end {
                continue;
            }
            let diverged = divergence(&StoreLog(master.clone()), &StoreLog(broker)).is_some();
            if diverged && excused(history, config, group) {
                continue;
            }
            pending.push(format!(
                "group {group}: {} ends at {s_end}, its master {} at {m_end}",
                slave.name, replicas[m].name
            ));
        }
    }
    pending
}

/// The replica-prefix check, at the end of the run: violations into `result`, figures
/// `replicas_compared` and (when the matrix reports it) `replicas_diverged`.
pub async fn judge(
    cluster: &Cluster,
    targets: &Targets,
    config: &Configuration,
    history: &History,
    result: &mut ScenarioResult,
) {
    let masters = masters(cluster, targets).await;
    let (mut compared, mut reported) = (0u64, 0u64);
    for (i, replicas) in cluster.replicas.iter().enumerate() {
        let group = &cluster.broker_names[i];
        let master = masters[i].and_then(|m| replicas[m].broker().map(|b| (m, b)));
        let Some((m, master)) = master else {
            continue;
        };
        for slave in replicas.iter().enumerate().filter(|(k, _)| *k != m) {
            let Some(broker) = slave.1.broker() else {
                continue;
            };
            compared += 1;
            let Some(how) = divergence(&StoreLog(master.clone()), &StoreLog(broker)) else {
                continue;
            };
            if excused(history, config, group) {
                reported += 1;
                continue;
            }
            result.violations_safety.push(format!(
                "replica not a prefix: group {group}: {} {how} (master {})",
                slave.1.name, replicas[m].name
            ));
        }
    }
    result.figure("replicas_compared", compared);
    let claim = config.loss(Some(FaultKind::ReplicaDivergedAfterPowerLoss));
    if let (Claim::Reported(figure), true) = (claim, compared > 0) {
        result.figure(figure, reported);
    }
}

/// What `broker`'s log holds at (queue, offset).
fn slot_of(broker: &Broker<SimEnv>, queue: &MessageQueue, offset: i64) -> Slot {
    let Ok(offset) = u64::try_from(offset) else {
        return Slot::Unknown;
    };
    let store = broker.store();
    let read = store.read_queue(&queue.topic, queue.queue_id, offset, 1, 1, None);
    let Ok(read) = read else {
        return Slot::Unknown;
    };
    let Some((at, entry)) = read.entries.first() else {
        return Slot::Empty;
    };
    if *at != offset {
        return Slot::Empty;
    }
    match store.read_record(entry.physical_offset) {
        Ok((_, record)) => Slot::Message(record.properties.uniq_key().map(str::to_string)),
        Err(_) => Slot::Unknown,
    }
}

/// The final-log check over the replicated groups (`check::acked_in_final_log`): violations
/// into `result`, figures `final_log_checked` and `final_log_unknown`.
pub async fn judge_final_log(
    cluster: &Cluster,
    targets: &Targets,
    config: &Configuration,
    history: &History,
    result: &mut ScenarioResult,
) {
    let masters = masters(cluster, targets).await;
    let mut groups = Vec::new();
    let mut finals = std::collections::BTreeMap::new();
    for (i, replicas) in cluster.replicas.iter().enumerate() {
        if replicas.len() < 2 {
            continue;
        }
        let name = cluster.broker_names[i].as_str();
        groups.push(name);
        if let Some(master) = masters[i].and_then(|m| replicas[m].broker()) {
            finals.insert(name.to_string(), master);
        }
    }
    if groups.is_empty() {
        return;
    }
    let lookup = |queue: &MessageQueue, offset: i64| match finals.get(&queue.broker_name) {
        Some(broker) => slot_of(broker, queue, offset),
        None => Slot::Unknown,
    };
    let found = acked_in_final_log::check(history, config, &groups, &lookup);
    result.figure("final_log_checked", found.checked);
    result.figure("final_log_unknown", found.unknown);
    result
        .violations_safety
        .extend(found.findings.kept.iter().cloned());
    let more = found.findings.total - found.findings.kept.len() as u64;
    if more > 0 {
        result.violations_safety.push(format!(
            "… and {more} more acked messages missing from final logs"
        ));
    }
}
