//! The records the checkers judge: what producers were told and what consumers got, in the
//! order it happened, plus the faults that explain a loss. Written by the messaging oracle
//! (`scenario/messaging/oracle.rs`), read by every checker; nothing here draws randomness or
//! does I/O.
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
    /// Virtual time the outcome came back.
    pub ended_at: Option<Duration>,
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

/// A (queue, offset) claimed for a message: by an ack or by a delivery.
#[derive(Clone, Debug)]
pub enum Event {
    /// A producer was told `key` is stored at (queue, offset).
    Acked {
        key: String,
        producer: u32,
        queue: MessageQueue,
        offset: i64,
        at: Duration,
    },
    /// A consumer got a message.
    Delivered(Delivery),
}

/// Everything observed in one run.
#[derive(Clone, Debug, Default)]
pub struct History {
    /// Every send, by UNIQ_KEY.
    pub sends: BTreeMap<String, SendRecord>,
    /// Acks and deliveries in the order they happened.
    pub events: Vec<Event>,
    /// Groups consuming orderly (their per-queue order is checked).
    pub orderly: BTreeSet<String>,
    /// Broker name → virtual times its machine lost power.
    pub power_losses: BTreeMap<String, Vec<Duration>>,
    /// Oracle group → the topic whose acked messages it must get (absent: every topic).
    pub group_topics: BTreeMap<String, String>,
    /// Broker name → virtual times its process stopped (kill or power loss).
    pub broker_stops: BTreeMap<String, Vec<Duration>>,
    /// Broker name → virtual times its process was started again.
    pub broker_starts: BTreeMap<String, Vec<Duration>>,
    /// Committed consumer offsets read at the brokers, in the order they were read.
    pub offsets: Vec<OffsetObservation>,
    /// Classic SYNC_MASTER group → its slaves and when they stopped and started.
    pub sync_slaves: BTreeMap<String, SlaveLog>,
    /// Groups in controller mode: a stop of one of their replicas (logged in `broker_stops`)
    /// may switch the master.
    pub controlled: BTreeSet<String>,
    /// Controller-mode group → times its routed master was seen to move to another replica.
    pub master_changes: BTreeMap<String, Vec<Duration>>,
}

/// The slaves of one classic SYNC_MASTER group and their stops and starts, in order.
#[derive(Clone, Debug, Default)]
pub struct SlaveLog {
    /// The slaves' node names.
    pub slaves: BTreeSet<String>,
    /// (time, slave, running again?) for each stop (kill, power loss, pause) and start.
    pub changes: Vec<(Duration, String, bool)>,
}

/// One QUERY_CONSUMER_OFFSET answer: `group`'s committed offset of `queue` at time `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OffsetObservation {
    pub group: String,
    pub queue: MessageQueue,
    pub offset: i64,
    pub at: Duration,
}

impl History {
    /// The deliveries, in order.
    pub fn deliveries(&self) -> impl Iterator<Item = &Delivery> {
        self.events.iter().filter_map(|e| match e {
            Event::Delivered(d) => Some(d),
            Event::Acked { .. } => None,
        })
    }

    /// Whether `broker`'s process stopped in `(after, until]`.
    pub fn broker_stopped_between(&self, broker: &str, after: Duration, until: Duration) -> bool {
        self.broker_stops
            .get(broker)
            .is_some_and(|times| times.iter().any(|&t| t > after && t <= until))
    }

    /// Whether `group` should get messages of `topic`.
    pub fn expects(&self, group: &str, topic: &str) -> bool {
        self.group_topics.get(group).is_none_or(|t| t == topic)
    }

    /// Whether `broker` is a controller-mode group one of whose replicas stopped in
    /// `(after, until]` (a master switch may have happened).
    pub fn switch_possible_between(&self, broker: &str, after: Duration, until: Duration) -> bool {
        self.controlled.contains(broker)
            && (self.broker_stopped_between(broker, after, until)
                || self.master_changed_between(broker, after, until))
    }

    /// Whether `broker`'s routed master moved to another replica in `(after, until]`.
    pub fn master_changed_between(&self, broker: &str, after: Duration, until: Duration) -> bool {
        self.master_changes
            .get(broker)
            .is_some_and(|times| times.iter().any(|&t| t > after && t <= until))
    }

    /// Whether `broker` lost power in `(after, until]`.
    pub fn power_lost_between(&self, broker: &str, after: Duration, until: Duration) -> bool {
        self.power_losses
            .get(broker)
            .is_some_and(|times| times.iter().any(|&t| t > after && t <= until))
    }
}

/// `broker-a:3`.
pub fn show(queue: &MessageQueue) -> String {
    format!("{}:{}", queue.broker_name, queue.queue_id)
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Hand-made records for the checkers' unit tests.
    use super::*;

    pub fn queue(id: i32) -> MessageQueue {
        MessageQueue {
            broker_name: "broker-a".into(),
            queue_id: id,
            topic: "T".into(),
        }
    }

    pub fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Records a send of `key` (body hash 7) by producer 1 at `at` ms with `outcome`.
    pub fn send(h: &mut History, key: &str, at: u64, outcome: Option<SendOutcome>) {
        if let Some(SendOutcome::Acked { queue, offset }) = &outcome {
            h.events.push(Event::Acked {
                key: key.into(),
                producer: 1,
                queue: queue.clone(),
                offset: *offset,
                at: ms(at + 1),
            });
        }
        let record = SendRecord {
            producer: 1,
            sent_at: ms(at),
            body_hash: 7,
            ended_at: outcome.as_ref().map(|_| ms(at + 1)),
            outcome,
        };
        h.sends.insert(key.into(), record);
    }

    /// An ack of `key` at (queue 0, `offset`), sent at `at` ms.
    pub fn acked(h: &mut History, key: &str, offset: i64, at: u64) {
        let outcome = SendOutcome::Acked {
            queue: queue(0),
            offset,
        };
        send(h, key, at, Some(outcome));
    }

    /// A delivery of `key` (body hash `hash`) at (queue 0, `offset`) to `group`/`consumer`.
    pub fn deliver(
        h: &mut History,
        group: &str,
        consumer: &str,
        offset: i64,
        key: &str,
        hash: u64,
    ) {
        h.events.push(Event::Delivered(Delivery {
            group: group.into(),
            consumer: consumer.into(),
            queue: queue(0),
            offset,
            key: key.into(),
            body_hash: hash,
            at: ms(1_000),
        }));
    }
}
