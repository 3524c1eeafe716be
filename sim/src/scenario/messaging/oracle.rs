//! The client-side oracle of the messaging scenarios: it records what producers were told and
//! what consumers got (a `check::History`), keeps the running tallies the scenarios ask for
//! while they run (who consumed how much, when a queue last delivered, whether everything
//! acked has arrived), and at the end hands the history to the checkers in `sim/src/check/`
//! (Jepsen's queue checker, §"What a queue checker verifies" of SIMULATION.md), judged against
//! the guarantee matrix of the scenario's configuration.
//!
//! How sends are classified (acked / failed / indeterminate) is documented in
//! `check::history`. The oracle draws no randomness and iterates ordered maps only.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

pub use crate::check::history::show;
use crate::check::{self, Configuration, Event, Findings, History};
pub use crate::check::{Delivery, SendOutcome, SendRecord};

/// Both histories, and the running tallies.
#[derive(Default)]
pub struct Oracle {
    history: History,
    /// group → UNIQ_KEYs delivered at least once.
    delivered: BTreeMap<String, BTreeSet<String>>,
    /// Deliveries in total, duplicates included.
    deliveries: u64,
    /// Deliveries per (group, consumer).
    per_consumer: BTreeMap<(String, String), u64>,
    /// Deliveries per (group, queue): the last delivery time, for "deliveries resumed".
    last_on_queue: BTreeMap<(String, MessageQueue), Duration>,
    max_e2e: Duration,
}

/// The figures and findings of `Oracle::judge`.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    pub acked: u64,
    pub failed: u64,
    pub indeterminate: u64,
    pub in_flight: u64,
    pub consumed: u64,
    /// Losses that are violations.
    pub lost: u64,
    /// Losses the guarantee matrix allows, by figure (`lost_with_broker`, `lost_unflushed`).
    pub lost_reported: BTreeMap<&'static str, u64>,
    pub dup: u64,
    pub max_e2e_ms: u128,
    /// Indeterminate sends that were delivered anyway ("recovered").
    pub recovered: u64,
    /// Offsets handed out again after a power loss, as the matrix allows.
    pub offsets_reused: u64,
    /// The first lost messages, described.
    pub lost_examples: Vec<String>,
    /// Safety violations of every checker.
    pub safety: Findings,
}

impl Oracle {
    pub fn new(orderly_groups: &[&str]) -> Self {
        let mut oracle = Oracle::default();
        oracle.history.orderly = orderly_groups.iter().map(|g| g.to_string()).collect();
        oracle
    }

    /// `group` (an oracle group: a group, or one member of a broadcasting group) should get
    /// every acked message of `topic`.
    pub fn expect_group(&mut self, group: &str, topic: &str, orderly: bool) {
        self.history
            .group_topics
            .insert(group.to_string(), topic.to_string());
        if orderly {
            self.history.orderly.insert(group.to_string());
        }
    }

    /// `broker`'s process stopped (killed or powered off) at `at`.
    pub fn broker_stopped(&mut self, broker: &str, at: Duration) {
        let times = self.history.broker_stops.entry(broker.to_string());
        times.or_default().push(at);
    }

    /// `broker`'s process started again at `at`.
    pub fn broker_started(&mut self, broker: &str, at: Duration) {
        let times = self.history.broker_starts.entry(broker.to_string());
        times.or_default().push(at);
    }

    /// `group` runs in controller mode (its replicas' stops may switch the master).
    pub fn controlled(&mut self, group: &str) {
        self.history.controlled.insert(group.to_string());
    }

    /// `group`'s routed master moved to another replica at `at` (controller mode).
    pub fn master_changed(&mut self, group: &str, at: Duration) {
        let times = self.history.master_changes.entry(group.to_string());
        times.or_default().push(at);
    }

    /// `group` is a classic SYNC_MASTER with these slaves (node names).
    pub fn sync_master_slaves(&mut self, group: &str, slaves: &[String]) {
        let log = self
            .history
            .sync_slaves
            .entry(group.to_string())
            .or_default();
        log.slaves = slaves.iter().cloned().collect();
    }

    /// A slave of a classic SYNC_MASTER group stopped (`running` false) or ran again.
    pub fn slave_changed(&mut self, group: &str, slave: &str, running: bool, at: Duration) {
        if let Some(log) = self.history.sync_slaves.get_mut(group) {
            log.changes.push((at, slave.to_string(), running));
        }
    }

    /// The probe read `group`'s committed offset of `queue` at the broker.
    pub fn offset_observed(&mut self, observation: check::OffsetObservation) {
        self.history.offsets.push(observation);
    }

    /// A send is about to start.
    pub fn send_started(&mut self, key: &str, producer: u32, sent_at: Duration, body_hash: u64) {
        let record = SendRecord {
            producer,
            sent_at,
            body_hash,
            outcome: None,
            ended_at: None,
        };
        let previous = self.history.sends.insert(key.to_string(), record);
        assert!(previous.is_none(), "the workload reused UNIQ_KEY {key}");
    }

    /// A send ended at virtual time `at`.
    pub fn send_ended(&mut self, key: &str, outcome: SendOutcome, at: Duration) {
        let Some(record) = self.history.sends.get_mut(key) else {
            return;
        };
        if let SendOutcome::Acked { queue, offset } = &outcome {
            self.history.events.push(Event::Acked {
                key: key.to_string(),
                producer: record.producer,
                queue: queue.clone(),
                offset: *offset,
                at,
            });
        }
        record.outcome = Some(outcome);
        record.ended_at = Some(at);
    }

    /// `broker`'s machine lost power at `at`.
    pub fn power_lost(&mut self, broker: &str, at: Duration) {
        let times = self.history.power_losses.entry(broker.to_string());
        times.or_default().push(at);
    }

    /// A consumer got a message.
    pub fn delivered(&mut self, delivery: Delivery) {
        self.deliveries += 1;
        let (group, consumer) = (&delivery.group, &delivery.consumer);
        *self
            .per_consumer
            .entry((group.clone(), consumer.clone()))
            .or_default() += 1;
        self.last_on_queue
            .insert((group.clone(), delivery.queue.clone()), delivery.at);
        if let Some(sent) = self.history.sends.get(&delivery.key) {
            self.max_e2e = self.max_e2e.max(delivery.at.saturating_sub(sent.sent_at));
        }
        self.delivered
            .entry(group.clone())
            .or_default()
            .insert(delivery.key.clone());
        self.history.events.push(Event::Delivered(delivery));
    }

    /// Whether every acked message (outside `dead_brokers`) reached every group in `groups`.
    pub fn all_delivered(&self, groups: &[&str], dead_brokers: &[&str]) -> bool {
        groups.iter().all(|group| {
            let got = self.delivered.get(*group);
            let topic = self.history.group_topics.get(*group);
            self.acked_keys(dead_brokers, topic)
                .all(|key| got.is_some_and(|g| g.contains(key)))
        })
    }

    /// Acked keys outside `dead` brokers, of `topic` when given.
    fn acked_keys<'a>(
        &'a self,
        dead: &'a [&str],
        topic: Option<&'a String>,
    ) -> impl Iterator<Item = &'a String> + 'a {
        self.history
            .sends
            .iter()
            .filter_map(move |(key, send)| match &send.outcome {
                Some(SendOutcome::Acked { queue, .. })
                    if !dead.contains(&queue.broker_name.as_str())
                        && topic.is_none_or(|t| *t == queue.topic) =>
                {
                    Some(key)
                }
                _ => None,
            })
    }

    /// When `group` last got a message of `queue`.
    pub fn last_delivery_on(&self, group: &str, queue: &MessageQueue) -> Option<Duration> {
        self.last_on_queue
            .get(&(group.to_string(), queue.clone()))
            .copied()
    }

    /// Deliveries per consumer of `group`.
    pub fn per_consumer(&self, group: &str) -> BTreeMap<String, u64> {
        self.per_consumer
            .iter()
            .filter(|((g, _), _)| g == group)
            .map(|((_, c), n)| (c.clone(), *n))
            .collect()
    }

    /// The recorded history.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The checkers' findings and the final figures; `dead_brokers` never came back.
    pub fn judge(
        &self,
        groups: &[&str],
        config: &Configuration,
        dead_brokers: &[&str],
        exactly_once: bool,
    ) -> Judgement {
        let report = check::messaging(&self.history, groups, config, dead_brokers, exactly_once);
        let mut j = Judgement {
            consumed: self.deliveries,
            max_e2e_ms: self.max_e2e.as_millis(),
            lost: report.lost.lost,
            lost_reported: report.lost.reported,
            lost_examples: report.lost.examples,
            dup: report.dup,
            offsets_reused: report.offsets_reused,
            safety: report.safety,
            ..Judgement::default()
        };
        for (key, send) in &self.history.sends {
            match &send.outcome {
                Some(SendOutcome::Acked { .. }) => j.acked += 1,
                Some(SendOutcome::Failed { .. }) => j.failed += 1,
                Some(SendOutcome::Indeterminate { .. }) => {
                    j.indeterminate += 1;
                    let seen = groups.iter().any(|g| self.got(g, key));
                    j.recovered += u64::from(seen);
                }
                None => j.in_flight += 1,
            }
        }
        j
    }

    fn got(&self, group: &str, key: &str) -> bool {
        self.delivered.get(group).is_some_and(|g| g.contains(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocketsim::store::FlushMode;

    fn queue(id: i32) -> MessageQueue {
        MessageQueue {
            broker_name: "broker-a".into(),
            queue_id: id,
            topic: "T".into(),
        }
    }

    fn delivery(consumer: &str, offset: i64, key: &str, hash: u64) -> Delivery {
        Delivery {
            group: "G".into(),
            consumer: consumer.into(),
            queue: queue(0),
            offset,
            key: key.into(),
            body_hash: hash,
            at: Duration::from_secs(1),
        }
    }

    fn acked(oracle: &mut Oracle, key: &str, offset: i64) {
        oracle.send_started(key, 1, Duration::ZERO, 7);
        let outcome = SendOutcome::Acked {
            queue: queue(0),
            offset,
        };
        oracle.send_ended(key, outcome, Duration::from_millis(1));
    }

    fn config() -> Configuration {
        Configuration::new(FlushMode::Async, &[])
    }

    #[test]
    fn lost_unexpected_and_duplicates() {
        let mut oracle = Oracle::new(&[]);
        acked(&mut oracle, "A", 0);
        acked(&mut oracle, "B", 1);
        oracle.delivered(delivery("c1", 0, "A", 7));
        oracle.delivered(delivery("c2", 0, "A", 7));
        oracle.delivered(delivery("c1", 1, "X", 7));
        let j = oracle.judge(&["G"], &config(), &[], false);
        assert_eq!((j.acked, j.lost, j.dup, j.consumed), (2, 1, 1, 3));
        // X is unexpected, and delivered at B's acked offset.
        assert_eq!(j.safety.total, 2, "{:?}", j.safety);
        assert!(crate::check::unstamp(&j.safety.kept[0])
            .expect("stamped")
            .1
            .starts_with("unexpected"));
        assert!(crate::check::unstamp(&j.safety.kept[1])
            .expect("stamped")
            .1
            .starts_with("inconsistent"));
        let dead = oracle.judge(&["G"], &config(), &["broker-a"], false);
        assert_eq!(dead.lost_reported.get("lost_with_broker"), Some(&1));
        assert!(!oracle.all_delivered(&["G"], &[]));
        assert!(oracle.all_delivered(&["G"], &["broker-a"]));
    }

    #[test]
    fn offsets_bodies_failures_and_order() {
        let mut oracle = Oracle::new(&["G"]);
        acked(&mut oracle, "A", 0);
        acked(&mut oracle, "B", 1);
        oracle.send_started("F", 1, Duration::ZERO, 7);
        let failed = SendOutcome::Failed { why: "no".into() };
        oracle.send_ended("F", failed, Duration::from_millis(1));
        oracle.delivered(delivery("c1", 1, "A", 7)); // inconsistent: offset 1 is B
        oracle.delivered(delivery("c1", 0, "A", 8)); // body mismatch; order: 0 after 1
        oracle.delivered(delivery("c1", 2, "F", 7)); // aborted read
        oracle.delivered(delivery("c2", 0, "A", 7)); // new tenure: fine
        let j = oracle.judge(&["G"], &config(), &[], false);
        assert_eq!(j.safety.total, 4, "{:?}", j.safety);
        for (violation, kind) in
            j.safety
                .kept
                .iter()
                .zip(["aborted", "body", "order", "inconsistent"])
        {
            let text = crate::check::unstamp(violation).map_or(violation.as_str(), |(_, t)| t);
            assert!(text.starts_with(kind), "{violation} is not {kind}");
        }
    }
}
