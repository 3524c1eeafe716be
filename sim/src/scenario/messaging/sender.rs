//! One producer process of the workload: paces its sends (`rate` or a drawn pause), builds
//! each message under a UNIQ_KEY the workload chooses (so that failed and indeterminate sends
//! are identifiable too), sends it in the plan's mode through the real `Producer`, and records
//! the start and the outcome of every message in the oracle.
//!
//! A batch is one request; each of its messages is recorded as its own send, acked at the
//! batch's first offset plus its index (the broker stores a batch contiguously). A oneway
//! send has no answer: recorded indeterminate. An async send is its own task.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rocketsim::client::{Message, Producer, SendError, SendResult};
use rocketsim::env::Spawn;

use super::oracle::SendOutcome;
use super::rates::Count;
use super::traffic::{classify, Mode, ProducerPlan, SharedLedger};
use crate::{SimRandom, World};

/// Async sends wait this long for room when `in_flight_max` are in flight.
const ROOM_WAIT: Duration = Duration::from_millis(5);

pub(super) struct Driver {
    pub world: World,
    pub index: u32,
    pub producer: Producer<crate::SimEnv>,
    pub plan: ProducerPlan,
    pub ledger: SharedLedger,
    pub draw: SimRandom,
    pub stop: Arc<AtomicBool>,
    pub in_flight: Arc<AtomicU32>,
    /// The producer node's env (async sends are tasks of that node).
    pub env: crate::SimEnv,
}

/// Which producer call a send uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Call {
    Sync,
    Ordered,
    Async,
    Oneway,
    Batch(u32),
}

impl Driver {
    fn between(&self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.draw.next_u64() % (high - low + 1)
    }

    pub async fn run(self) {
        self.producer.start();
        let this = Arc::new(self);
        let mut seq = 0u64;
        let started = this.world.now();
        let mut sends = 0u64;
        while !this.stop.load(Ordering::SeqCst) {
            this.pace(started, sends).await;
            sends += 1;
            let call = this.call();
            let count = match call {
                Call::Batch(n) => u64::from(n),
                _ => 1,
            };
            let first = seq + 1;
            seq += count;
            if call == Call::Async {
                this.send_async(first).await;
            } else {
                this.send(call, first).await;
            }
        }
        while this.in_flight.load(Ordering::SeqCst) > 0 {
            this.world.sleep(ROOM_WAIT).await;
        }
        this.producer.shutdown();
    }

    /// Waits for the next send: the `rate` schedule (no catching up beyond one second), or a
    /// drawn pause.
    async fn pace(&self, started: Duration, sends: u64) {
        if self.plan.rate == 0 {
            let pause = self.between(self.plan.pause_ms[0], self.plan.pause_ms[1]);
            self.world.sleep(Duration::from_millis(pause)).await;
            return;
        }
        let due = started + Duration::from_secs(sends) / self.plan.rate;
        let now = self.world.now();
        if due > now {
            self.world.sleep(due - now).await;
        }
    }

    fn call(&self) -> Call {
        match &self.plan.mode {
            Mode::Mixed { ordered_one_in } => {
                let ordered = self.between(1, (*ordered_one_in).max(1)) == 1 && *ordered_one_in > 0;
                if ordered {
                    Call::Ordered
                } else {
                    Call::Sync
                }
            }
            Mode::Sync => Call::Sync,
            Mode::Ordered => Call::Ordered,
            Mode::Async { .. } => Call::Async,
            Mode::Oneway => Call::Oneway,
            Mode::Batch { size } => Call::Batch(*size),
        }
    }

    async fn send_async(self: &Arc<Self>, seq: u64) {
        let max = match self.plan.mode {
            Mode::Async { in_flight_max } => in_flight_max.max(1),
            _ => 1,
        };
        while self.in_flight.load(Ordering::SeqCst) >= max {
            self.world.sleep(ROOM_WAIT).await;
        }
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        let this = self.clone();
        self.env.spawn("workload-async-send", async move {
            this.send(Call::Async, seq).await;
            this.in_flight.fetch_sub(1, Ordering::SeqCst);
        });
    }

    /// One message: its UNIQ_KEY, body and hash.
    fn message(&self, seq: u64) -> (String, Message, u64) {
        // Shaped like a real UNIQ_KEY (32 hex digits); unique per producer and sequence.
        let key = format!("{:08X}{:024X}", self.index, seq);
        let length = self.between(self.plan.body_bytes[0], self.plan.body_bytes[1]);
        let mut body = format!("{key}|").into_bytes();
        body.resize(length as usize, b'a' + (seq % 26) as u8);
        let body_hash = xxhash_rust::xxh3::xxh3_64(&body);
        let mut message = Message::new(&self.plan.topic, Bytes::from(body));
        message
            .properties
            .insert("UNIQ_KEY", key.clone())
            .expect("a hex UNIQ_KEY is a valid property");
        if !self.plan.tags.is_empty() {
            let tag = &self.plan.tags[self.between(0, self.plan.tags.len() as u64 - 1) as usize];
            message = message.with_tags(tag).expect("validated tags");
        }
        if self.plan.set_keys && self.plan.keys > 0 {
            let k = format!("key-{}", self.between(0, self.plan.keys - 1));
            message = message.with_keys(&k).expect("plain keys are valid");
        }
        (key, message, body_hash)
    }

    async fn send(&self, call: Call, first: u64) {
        let count = match call {
            Call::Batch(n) => u64::from(n),
            _ => 1,
        };
        let mut keys = Vec::new();
        let mut messages = Vec::new();
        let mut hashes = Vec::new();
        for seq in first..first + count {
            let (key, message, hash) = self.message(seq);
            keys.push(key);
            messages.push(message);
            hashes.push(hash);
        }
        let sharding_key = format!("key-{}", self.between(0, self.plan.keys.max(1) - 1));
        self.started(call, &keys, &hashes).await;
        let result = match call {
            Call::Sync | Call::Async => self.producer.send(messages.remove(0)).await,
            Call::Ordered => {
                self.producer
                    .send_ordered(messages.remove(0), &sharding_key)
                    .await
            }
            Call::Batch(_) => self.producer.send_batch(messages).await,
            Call::Oneway => {
                let answer = self.producer.send_oneway(messages.remove(0)).await;
                self.ended(&keys, oneway(answer));
                return;
            }
        };
        let outcome = classify(result, call == Call::Ordered);
        self.ended(&keys, outcome);
    }

    /// Records the start of the sends of `keys`.
    async fn started(&self, call: Call, keys: &[String], hashes: &[u64]) {
        // The route the send will choose from: `route` answers from the cache, and nothing
        // awaits between this read and the send's own read of it.
        let route = self.producer.route(&self.plan.topic).await;
        let now = self.world.now();
        let mut ledger = self.ledger.lock();
        if let (Some(watched), Ok(info)) = (&ledger.watched_broker, &route) {
            if info.queues.iter().any(|q| &q.broker_name == watched) {
                ledger.routed_to_watched.push(now);
            }
        }
        match call {
            Call::Sync => ledger.sync_sends += 1,
            Call::Ordered => ledger.ordered_sends += 1,
            Call::Async => ledger.async_sends += 1,
            Call::Oneway => ledger.oneway_sends += 1,
            Call::Batch(n) => ledger.batch_sends += u64::from(n),
        }
        for (key, &hash) in keys.iter().zip(hashes) {
            ledger.oracle.send_started(key, self.index, now, hash);
        }
        let n = keys.len() as u64;
        ledger.rates.count(&self.world, now, Count::Sent, n);
    }

    /// Records the outcome of the sends of `keys` (a batch: message `i` at offset + `i`).
    fn ended(&self, keys: &[String], outcome: SendOutcome) {
        let at = self.world.now();
        let mut ledger = self.ledger.lock();
        if matches!(outcome, SendOutcome::Acked { .. }) {
            ledger.acks.entry(self.index).or_default().push(at);
            ledger
                .rates
                .count(&self.world, at, Count::Acked, keys.len() as u64);
        }
        for (i, key) in keys.iter().enumerate() {
            let outcome = match &outcome {
                SendOutcome::Acked { queue, offset } => SendOutcome::Acked {
                    queue: queue.clone(),
                    offset: offset + i as i64,
                },
                other => other.clone(),
            };
            ledger.oracle.send_ended(key, outcome, at);
        }
    }
}

/// A oneway send's outcome: refused before sending (failed), else unknown.
fn oneway(answer: Result<(), SendError>) -> SendOutcome {
    match answer {
        Ok(()) => SendOutcome::Indeterminate {
            why: "oneway".into(),
        },
        Err(e) => classify(Err::<SendResult, _>(e), true),
    }
}
