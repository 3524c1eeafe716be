//! The producing side of the messaging scenarios: producer processes on client nodes sending
//! small messages at a modest, seeded rate — a mix of sync sends (round robin with retries)
//! and ordered sends by sharding key (one attempt, `SelectMessageQueueByHash`) — and recording
//! every send in the oracle under a UNIQ_KEY the workload chooses (so that failed and
//! indeterminate sends are identifiable too: the producer keeps a UNIQ_KEY it is given).
//!
//! Also kept in the [`Ledger`]: when each producer got an ack (for the "longest stretch without
//! a successful send" figures), when each group got a delivery, and, when a broker is watched,
//! the start times of sends whose producer could still pick that broker (see
//! `broker_death.rs` for why that observation is exact).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use rocketsim::client::{Message, Producer, ProducerConfig, SendError, SendStatus};
use rocketsim::env::Spawn;
use serde::{Deserialize, Serialize};

use super::cluster::{Cluster, TOPIC};
use super::oracle::{Oracle, SendOutcome};
use super::rates::{Count, RateMeter};
use crate::{SimRandom, World};

/// The producer group of every workload producer.
pub const PRODUCER_GROUP: &str = "PG-sim";

/// What producers send, drawn per message (the `[*.traffic]` part of each workload's table).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficOptions {
    /// Pause between two sends of one producer, drawn (ms).
    pub pause_ms: [u64; 2],
    /// Body length, drawn (bytes).
    pub body_bytes: [u64; 2],
    /// Out of how many sends one is an ordered send by sharding key (0: none).
    pub ordered_one_in: u64,
    /// Number of distinct sharding keys.
    pub sharding_keys: u64,
}

impl Default for TrafficOptions {
    fn default() -> Self {
        TrafficOptions {
            pause_ms: [10, 40],
            body_bytes: [32, 256],
            ordered_one_in: 3,
            sharding_keys: 16,
        }
    }
}

impl TrafficOptions {
    /// Checks the table; the key prefix names it in errors.
    pub fn validate(&self, key: &str) -> Result<(), (String, String)> {
        if self.pause_ms[0] > self.pause_ms[1] || self.pause_ms[1] == 0 {
            return Err((
                format!("{key}.pause_ms"),
                "need low <= high, high > 0".into(),
            ));
        }
        let [low, high] = self.body_bytes;
        if low < 32 || low > high || high > super::cluster::BODY_BYTES_MAX as u64 {
            return Err((
                format!("{key}.body_bytes"),
                "need 32 <= low <= high <= 16384".into(),
            ));
        }
        if self.sharding_keys == 0 {
            return Err((format!("{key}.sharding_keys"), "must be > 0".into()));
        }
        Ok(())
    }
}

/// Everything the workload observed, shared by the producers, the consumers and the script.
pub struct Ledger {
    pub oracle: Oracle,
    /// Producer index → the virtual times it got an ack.
    pub acks: BTreeMap<u32, Vec<Duration>>,
    /// Group → the virtual times it got a delivery.
    pub deliveries: BTreeMap<String, Vec<Duration>>,
    /// The broker whose presence in producers' routes is observed.
    pub watched_broker: Option<String>,
    /// Start times of sends whose producer's route still offered the watched broker.
    pub routed_to_watched: Vec<Duration>,
    /// Sends started, per kind.
    pub sync_sends: u64,
    pub ordered_sends: u64,
    /// Per-second counts, written to the trace.
    pub rates: RateMeter,
}

impl Ledger {
    pub fn new(oracle: Oracle) -> Self {
        Ledger {
            oracle,
            acks: BTreeMap::new(),
            deliveries: BTreeMap::new(),
            watched_broker: None,
            routed_to_watched: Vec::new(),
            sync_sends: 0,
            ordered_sends: 0,
            rates: RateMeter::default(),
        }
    }
}

/// The ledger, shared.
pub type SharedLedger = Arc<Mutex<Ledger>>;

/// The running producers: a stop flag and how many are still sending.
#[derive(Clone, Default)]
pub struct Producers {
    stop: Arc<AtomicBool>,
    running: Arc<AtomicU32>,
}

impl Producers {
    /// Starts one producer process per producer node of `cluster`.
    /// With `latency_fault`, the producers run Java's latency fault strategy
    /// (`sendLatencyFaultEnable`; off by default, as in Java).
    pub fn start(
        cluster: &Cluster,
        traffic: &TrafficOptions,
        ledger: &SharedLedger,
        latency_fault: bool,
    ) -> Self {
        let producers = Producers::default();
        for (index, &node) in cluster.producers.iter().enumerate() {
            let index = index as u32 + 1;
            let env = cluster.world.env(node);
            let mut config =
                ProducerConfig::new(PRODUCER_GROUP, cluster.namesrv_addrs.clone(), env.ip());
            config.send_latency_fault_enable = latency_fault;
            let producer = Producer::new(env.clone(), config);
            let driver = Driver {
                world: cluster.world.clone(),
                index,
                producer,
                traffic: traffic.clone(),
                ledger: ledger.clone(),
                draw: SimRandom::new(cluster.world.seed(), &format!("messaging/producer-{index}")),
                stop: producers.stop.clone(),
            };
            producers.running.fetch_add(1, Ordering::SeqCst);
            let running = producers.running.clone();
            env.spawn("workload-producer", async move {
                driver.run().await;
                running.fetch_sub(1, Ordering::SeqCst);
            });
        }
        producers
    }

    /// Asks every producer to stop and waits (≤ 10 s) for the sends in flight to end.
    pub async fn stop(&self, world: &World) {
        self.stop.store(true, Ordering::SeqCst);
        for _ in 0..100 {
            if self.running.load(Ordering::SeqCst) == 0 {
                return;
            }
            world.sleep(Duration::from_millis(100)).await;
        }
    }
}

struct Driver {
    world: World,
    index: u32,
    producer: Producer<crate::SimEnv>,
    traffic: TrafficOptions,
    ledger: SharedLedger,
    draw: SimRandom,
    stop: Arc<AtomicBool>,
}

impl Driver {
    fn between(&self, low: u64, high: u64) -> u64 {
        if high <= low {
            return low;
        }
        low + self.draw.next_u64() % (high - low + 1)
    }

    async fn run(self) {
        self.producer.start();
        let mut seq = 0u64;
        while !self.stop.load(Ordering::SeqCst) {
            let pause = self.between(self.traffic.pause_ms[0], self.traffic.pause_ms[1]);
            self.world.sleep(Duration::from_millis(pause)).await;
            seq += 1;
            self.send_one(seq).await;
        }
        self.producer.shutdown();
    }

    async fn send_one(&self, seq: u64) {
        // Shaped like a real UNIQ_KEY (32 hex digits); unique per producer and sequence.
        let key = format!("{:08X}{:024X}", self.index, seq);
        let length = self.between(self.traffic.body_bytes[0], self.traffic.body_bytes[1]);
        let mut body = format!("{key}|").into_bytes();
        body.resize(length as usize, b'a' + (seq % 26) as u8);
        let body_hash = xxhash_rust::xxh3::xxh3_64(&body);
        let ordered = self.between(1, self.traffic.ordered_one_in.max(1)) == 1
            && self.traffic.ordered_one_in > 0;
        let sharding_key = format!("key-{}", self.between(0, self.traffic.sharding_keys - 1));
        let mut message = Message::new(TOPIC, Bytes::from(body));
        message
            .properties
            .insert("UNIQ_KEY", key.clone())
            .expect("a hex UNIQ_KEY is a valid property");
        // The route the send will choose from: `route` answers from the cache, and nothing
        // awaits between this read and the send's own read of it.
        let route = self.producer.route(TOPIC).await;
        let now = self.world.now();
        {
            let mut ledger = self.ledger.lock();
            if let (Some(watched), Ok(info)) = (&ledger.watched_broker, &route) {
                if info.queues.iter().any(|q| &q.broker_name == watched) {
                    ledger.routed_to_watched.push(now);
                }
            }
            match ordered {
                true => ledger.ordered_sends += 1,
                false => ledger.sync_sends += 1,
            }
            ledger.oracle.send_started(&key, self.index, now, body_hash);
            ledger.rates.count(&self.world, now, Count::Sent, 1);
        }
        let result = match ordered {
            true => self.producer.send_ordered(message, &sharding_key).await,
            false => self.producer.send(message).await,
        };
        let outcome = classify(result, ordered);
        let mut ledger = self.ledger.lock();
        if matches!(outcome, SendOutcome::Acked { .. }) {
            let at = self.world.now();
            ledger.acks.entry(self.index).or_default().push(at);
            ledger.rates.count(&self.world, at, Count::Acked, 1);
        }
        let at = self.world.now();
        ledger.oracle.send_ended(&key, outcome, at);
    }
}

/// What the producer's answer says about whether the message was stored (see `oracle.rs`).
fn classify(
    result: Result<rocketsim::client::SendResult, SendError>,
    one_attempt: bool,
) -> SendOutcome {
    match result {
        Ok(sent) if sent.status == SendStatus::SendOk => SendOutcome::Acked {
            queue: sent.queue,
            offset: sent.queue_offset,
        },
        Ok(sent) => SendOutcome::Indeterminate {
            why: format!("{:?}", sent.status),
        },
        Err(
            e @ (SendError::NoRoute { .. }
            | SendError::NameServersUnreachable
            | SendError::Invalid { .. }
            | SendError::NotRunning),
        ) => SendOutcome::Failed { why: e.to_string() },
        Err(e @ (SendError::Broker { .. } | SendError::UnknownBroker { .. })) if one_attempt => {
            SendOutcome::Failed { why: e.to_string() }
        }
        Err(e) => SendOutcome::Indeterminate { why: e.to_string() },
    }
}

/// The longest stretch within `[from, to]` without an event of `times` (sorted).
pub fn longest_gap(times: &[Duration], from: Duration, to: Duration) -> Duration {
    let mut last = from;
    let mut longest = Duration::ZERO;
    for &t in times.iter().filter(|&&t| t >= from && t <= to) {
        longest = longest.max(t - last);
        last = t;
    }
    longest.max(to.saturating_sub(last))
}
