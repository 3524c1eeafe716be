//! The client-side oracle of the messaging scenarios: what producers were told, what consumers
//! got, and the queue properties checked from those two histories alone (Jepsen's queue
//! checker, §"What a queue checker verifies" of SIMULATION.md).
//!
//! Sends are classified by what the producer was told:
//! * **acked** — a `SendResult` with `SEND_OK`: the message is stored at the result's
//!   (queue, offset);
//! * **failed** — the send was refused before any attempt could store it (no route, invalid,
//!   producer not running), or the one attempt of an ordered send was refused by the broker;
//! * **indeterminate** — everything else: timeouts, closed connections, a retried send whose
//!   last error says nothing about earlier attempts, and the stored-but-not-OK statuses
//!   (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE mean *stored on the master*,
//!   never "not sent" — OpenChaos got that wrong). An indeterminate message may show up, or not.
//!
//! Every delivery is recorded per group and consumer with its (queue, offset), UNIQ_KEY and
//! body hash. The oracle draws no randomness and iterates ordered maps only.
//!
//! Properties (each a violation when broken; `check` returns them):
//! * unexpected: a delivered UNIQ_KEY that no producer ever sent;
//! * aborted read: a delivered message whose send definitely failed;
//! * body mismatch: a delivered body that is not the body sent under that UNIQ_KEY;
//! * inconsistent offsets: one (queue, offset) delivered as two different messages, or an acked
//!   (queue, offset) delivered as another message;
//! * non-monotonic send: one producer's acked sends to one queue got decreasing offsets;
//! * per-queue order (orderly groups): within one consumer's tenure of a queue — a run of
//!   deliveries of that queue to that consumer not interrupted by a delivery to another
//!   consumer of the group — offsets strictly increase;
//! * lost (liveness, judged at the end): an acked message never delivered to a group that
//!   should get it. Messages acked by a broker the scenario declares dead for good are counted
//!   apart as `lost_with_broker` (that broker's disk never comes back: expected, not a bug).
//!
//! Duplicates (a group receiving one UNIQ_KEY more than once) are counted and reported:
//! RocketMQ delivers at least once.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use rocketsim::protocol::body::MessageQueue;

/// How a send ended, as the producer saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// SEND_OK at (queue, offset).
    Acked { queue: MessageQueue, offset: i64 },
    /// Cannot have been stored.
    Failed { why: String },
    /// May have been stored.
    Indeterminate { why: String },
}

/// One send.
#[derive(Clone, Debug)]
pub struct SendRecord {
    pub producer: u32,
    /// Virtual time the send started.
    pub sent_at: Duration,
    pub body_hash: u64,
    /// `None` while the send is in flight.
    pub outcome: Option<SendOutcome>,
}

/// One delivery to one consumer.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub group: String,
    pub consumer: String,
    pub queue: MessageQueue,
    pub offset: i64,
    pub key: String,
    pub body_hash: u64,
    pub at: Duration,
}

/// Both histories, and the violations found as deliveries arrive.
#[derive(Default)]
pub struct Oracle {
    sends: BTreeMap<String, SendRecord>,
    /// group → UNIQ_KEY → number of deliveries.
    delivered: BTreeMap<String, BTreeMap<String, u64>>,
    /// group → UNIQ_KEY → first delivery time.
    first_delivery: BTreeMap<String, BTreeMap<String, Duration>>,
    /// (queue, offset) → the UNIQ_KEY seen there (acked or delivered).
    slots: BTreeMap<(MessageQueue, i64), String>,
    /// group → queue → (consumer, last offset) of the current tenure.
    tenures: BTreeMap<String, BTreeMap<MessageQueue, (String, i64)>>,
    /// Groups whose per-queue order is checked.
    orderly: BTreeSet<String>,
    /// producer → queue → last acked offset.
    last_acked: BTreeMap<(u32, MessageQueue), i64>,
    /// Deliveries in total, duplicates included.
    deliveries: u64,
    /// Deliveries per (group, consumer).
    per_consumer: BTreeMap<(String, String), u64>,
    /// Deliveries per (group, queue): the last delivery time, for "deliveries resumed".
    last_on_queue: BTreeMap<(String, MessageQueue), Duration>,
    max_e2e: Duration,
    violations: Vec<String>,
    violations_total: u64,
}

/// The figures and liveness findings of `Oracle::judge`.
#[derive(Clone, Debug, Default)]
pub struct Judgement {
    pub acked: u64,
    pub failed: u64,
    pub indeterminate: u64,
    pub in_flight: u64,
    pub consumed: u64,
    pub lost: u64,
    pub lost_with_broker: u64,
    pub dup: u64,
    pub max_e2e_ms: u128,
    /// Indeterminate sends that were delivered anyway ("recovered").
    pub recovered: u64,
    /// The first lost messages, described.
    pub lost_examples: Vec<String>,
}

const KEPT: usize = 20;

impl Oracle {
    pub fn new(orderly_groups: &[&str]) -> Self {
        Oracle {
            orderly: orderly_groups.iter().map(|g| g.to_string()).collect(),
            ..Oracle::default()
        }
    }

    fn violation(&mut self, what: String) {
        self.violations_total += 1;
        if self.violations.len() < KEPT {
            self.violations.push(what);
        }
    }

    /// A send is about to start.
    pub fn send_started(&mut self, key: &str, producer: u32, sent_at: Duration, body_hash: u64) {
        let record = SendRecord {
            producer,
            sent_at,
            body_hash,
            outcome: None,
        };
        let previous = self.sends.insert(key.to_string(), record);
        assert!(previous.is_none(), "the workload reused UNIQ_KEY {key}");
    }

    /// A send ended.
    pub fn send_ended(&mut self, key: &str, outcome: SendOutcome) {
        if let SendOutcome::Acked { queue, offset } = &outcome {
            let producer = self.sends[key].producer;
            self.claim_slot(queue, *offset, key, "acked");
            let last = self.last_acked.insert((producer, queue.clone()), *offset);
            if let Some(last) = last.filter(|&last| last >= *offset) {
                self.violation(format!(
                    "non-monotonic send: producer {producer} got offset {offset} on {} after {last}",
                    show(queue)
                ));
            }
        }
        if let Some(record) = self.sends.get_mut(key) {
            record.outcome = Some(outcome);
        }
    }

    fn claim_slot(&mut self, queue: &MessageQueue, offset: i64, key: &str, how: &str) {
        let slot = (queue.clone(), offset);
        match self.slots.get(&slot) {
            Some(held) if held != key => {
                let held = held.clone();
                self.violation(format!(
                    "inconsistent offsets: {} offset {offset} is {held} and, {how}, {key}",
                    show(queue)
                ));
            }
            Some(_) => {}
            None => {
                self.slots.insert(slot, key.to_string());
            }
        }
    }

    /// A consumer got a message.
    pub fn delivered(&mut self, delivery: Delivery) {
        self.deliveries += 1;
        let Delivery {
            group,
            consumer,
            queue,
            offset,
            key,
            body_hash,
            at,
        } = delivery;
        *self
            .per_consumer
            .entry((group.clone(), consumer.clone()))
            .or_default() += 1;
        self.last_on_queue
            .insert((group.clone(), queue.clone()), at);
        match self.sends.get(&key) {
            None => self.violation(format!(
                "unexpected: {group}/{consumer} got {key} at {} offset {offset}, never sent",
                show(&queue)
            )),
            Some(sent) => {
                let (sent_at, sent_hash) = (sent.sent_at, sent.body_hash);
                if let Some(SendOutcome::Failed { why }) = &sent.outcome {
                    let why = why.clone();
                    self.violation(format!(
                        "aborted read: {group}/{consumer} got {key}, whose send failed ({why})"
                    ));
                }
                if sent_hash != body_hash {
                    self.violation(format!(
                        "body mismatch: {group}/{consumer} got {key} with another body"
                    ));
                }
                self.max_e2e = self.max_e2e.max(at.saturating_sub(sent_at));
            }
        }
        self.claim_slot(&queue, offset, &key, "delivered");
        if self.orderly.contains(&group) {
            self.check_order(&group, &consumer, &queue, offset);
        }
        *self
            .delivered
            .entry(group.clone())
            .or_default()
            .entry(key.clone())
            .or_default() += 1;
        self.first_delivery
            .entry(group)
            .or_default()
            .entry(key)
            .or_insert(at);
    }

    fn check_order(&mut self, group: &str, consumer: &str, queue: &MessageQueue, offset: i64) {
        let tenures = self.tenures.entry(group.to_string()).or_default();
        let previous = tenures.insert(queue.clone(), (consumer.to_string(), offset));
        if let Some((holder, last)) = previous {
            if holder == consumer && offset <= last {
                self.violation(format!(
                    "order: {group}/{consumer} got {} offset {offset} after offset {last} in one tenure",
                    show(queue)
                ));
            }
        }
    }

    /// Whether every acked message (outside `dead_brokers`) reached every group in `groups`.
    pub fn all_delivered(&self, groups: &[&str], dead_brokers: &[&str]) -> bool {
        groups.iter().all(|group| {
            let got = self.delivered.get(*group);
            self.acked_keys(dead_brokers)
                .all(|key| got.is_some_and(|g| g.contains_key(key)))
        })
    }

    fn acked_keys<'a>(&'a self, dead: &'a [&str]) -> impl Iterator<Item = &'a String> + 'a {
        self.sends
            .iter()
            .filter_map(move |(key, send)| match &send.outcome {
                Some(SendOutcome::Acked { queue, .. })
                    if !dead.contains(&queue.broker_name.as_str()) =>
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

    /// The safety violations seen so far (the first ones) and how many there were.
    pub fn violations(&self) -> (&[String], u64) {
        (&self.violations, self.violations_total)
    }

    /// The sends, by UNIQ_KEY.
    pub fn sends(&self) -> &BTreeMap<String, SendRecord> {
        &self.sends
    }

    /// Final figures: acked messages (not on `dead_brokers`) missing from a group are lost.
    pub fn judge(&self, groups: &[&str], dead_brokers: &[&str]) -> Judgement {
        let mut j = Judgement {
            consumed: self.deliveries,
            max_e2e_ms: self.max_e2e.as_millis(),
            ..Judgement::default()
        };
        for (key, send) in &self.sends {
            let dead = match &send.outcome {
                Some(SendOutcome::Acked { queue, .. }) => {
                    j.acked += 1;
                    dead_brokers.contains(&queue.broker_name.as_str())
                }
                Some(SendOutcome::Failed { .. }) => {
                    j.failed += 1;
                    continue;
                }
                Some(SendOutcome::Indeterminate { .. }) => {
                    j.indeterminate += 1;
                    let seen = groups.iter().any(|g| self.got(g, key));
                    j.recovered += u64::from(seen);
                    continue;
                }
                None => {
                    j.in_flight += 1;
                    continue;
                }
            };
            for group in groups {
                if self.got(group, key) {
                    continue;
                }
                if dead {
                    j.lost_with_broker += 1;
                    continue;
                }
                j.lost += 1;
                if j.lost_examples.len() < KEPT {
                    let sent_ms = send.sent_at.as_millis();
                    j.lost_examples.push(format!(
                        "lost: {key} (producer {}, sent at {sent_ms} ms, {:?}) never reached group {group}",
                        send.producer, send.outcome
                    ));
                }
            }
        }
        for counts in self.delivered.values() {
            j.dup += counts.values().map(|n| n - 1).sum::<u64>();
        }
        j
    }

    fn got(&self, group: &str, key: &str) -> bool {
        self.delivered
            .get(group)
            .is_some_and(|g| g.contains_key(key))
    }
}

/// `broker-a:3`.
pub fn show(queue: &MessageQueue) -> String {
    format!("{}:{}", queue.broker_name, queue.queue_id)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        oracle.send_ended(key, outcome);
    }

    #[test]
    fn lost_unexpected_and_duplicates() {
        let mut oracle = Oracle::new(&[]);
        acked(&mut oracle, "A", 0);
        acked(&mut oracle, "B", 1);
        oracle.delivered(delivery("c1", 0, "A", 7));
        oracle.delivered(delivery("c2", 0, "A", 7));
        oracle.delivered(delivery("c1", 5, "X", 7));
        let j = oracle.judge(&["G"], &[]);
        assert_eq!((j.acked, j.lost, j.dup, j.consumed), (2, 1, 1, 3));
        assert_eq!(oracle.violations().1, 1, "{:?}", oracle.violations());
        assert!(oracle.violations().0[0].starts_with("unexpected"));
        assert_eq!(oracle.judge(&["G"], &["broker-a"]).lost_with_broker, 1);
    }

    #[test]
    fn offsets_bodies_failures_and_order() {
        let mut oracle = Oracle::new(&["G"]);
        acked(&mut oracle, "A", 0);
        acked(&mut oracle, "B", 1);
        oracle.send_started("F", 1, Duration::ZERO, 7);
        oracle.send_ended("F", SendOutcome::Failed { why: "no".into() });
        oracle.delivered(delivery("c1", 1, "A", 7)); // inconsistent: offset 1 is B
        oracle.delivered(delivery("c1", 0, "A", 8)); // body mismatch; order: 0 after 1
        oracle.delivered(delivery("c1", 2, "F", 7)); // aborted read
        oracle.delivered(delivery("c2", 0, "A", 7)); // new tenure: fine
        let (kept, total) = oracle.violations();
        assert_eq!(total, 4, "{kept:?}");
        for (violation, kind) in kept
            .iter()
            .zip(["inconsistent", "body", "order", "aborted"])
        {
            assert!(violation.starts_with(kind), "{violation} is not {kind}");
        }
    }
}
