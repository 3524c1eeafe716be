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

use parking_lot::Mutex;
use rocketsim::client::{Producer, ProducerConfig, SendError, SendStatus};
use rocketsim::env::Spawn;
use serde::{Deserialize, Serialize};

use super::cluster::{Cluster, TOPIC};
use super::oracle::{Oracle, SendOutcome};
use super::rates::RateMeter;
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

/// How one producer sends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The workload-specific scenarios' mix: sync sends, and one in `ordered_one_in` (0:
    /// none) an ordered send by sharding key.
    Mixed { ordered_one_in: u64 },
    /// `send`, waiting for the answer.
    Sync,
    /// `send` as its own task (Java's callback send), at most `in_flight_max` in flight.
    Async { in_flight_max: u32 },
    /// `send_oneway`: no answer, every send indeterminate.
    Oneway,
    /// `send_batch` of `size` messages.
    Batch { size: u32 },
    /// `send_ordered` by sharding key, one attempt.
    Ordered,
}

/// What one producer process sends.
#[derive(Clone, Debug)]
pub struct ProducerPlan {
    pub topic: String,
    pub mode: Mode,
    /// Sends (or batches) per second (0: `pause_ms`).
    pub rate: u32,
    pub pause_ms: [u64; 2],
    pub body_bytes: [u64; 2],
    /// Distinct sharding keys (ordered sends) and `KEYS` values (when `set_keys`).
    pub keys: u64,
    /// Set the `KEYS` property.
    pub set_keys: bool,
    /// Tags drawn per message (empty: none).
    pub tags: Vec<String>,
    /// Java's latency fault strategy.
    pub latency_fault: bool,
}

impl ProducerPlan {
    /// `count` producers of the workload-specific scenarios, sending `traffic` to `TOPIC`.
    pub fn uniform(traffic: &TrafficOptions, count: usize) -> Vec<ProducerPlan> {
        let plan = ProducerPlan {
            topic: TOPIC.to_string(),
            mode: Mode::Mixed {
                ordered_one_in: traffic.ordered_one_in,
            },
            rate: 0,
            pause_ms: traffic.pause_ms,
            body_bytes: traffic.body_bytes,
            keys: traffic.sharding_keys,
            set_keys: false,
            tags: Vec::new(),
            latency_fault: false,
        };
        vec![plan; count]
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
    pub async_sends: u64,
    pub oneway_sends: u64,
    /// Messages sent in batches.
    pub batch_sends: u64,
    /// Listener calls answered RECONSUME_LATER (injected consume failures).
    pub later_answers: u64,
    /// Power losses injected, and those that dropped unsynced pages.
    pub power_losses: u64,
    pub power_losses_hit_tail: u64,
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
            async_sends: 0,
            oneway_sends: 0,
            batch_sends: 0,
            later_answers: 0,
            power_losses: 0,
            power_losses_hit_tail: 0,
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
    /// Starts one producer process per plan, on the producer nodes of `cluster` in order.
    /// With `latency_fault`, every producer runs Java's latency fault strategy
    /// (`sendLatencyFaultEnable`; off by default, as in Java), else as its plan says.
    pub fn start(
        cluster: &Cluster,
        plans: &[ProducerPlan],
        ledger: &SharedLedger,
        latency_fault: bool,
    ) -> Self {
        let producers = Producers::default();
        for (index, (&node, plan)) in cluster.producers.iter().zip(plans).enumerate() {
            let index = index as u32 + 1;
            let env = cluster.world.env(node);
            let mut config =
                ProducerConfig::new(PRODUCER_GROUP, cluster.namesrv_addrs.clone(), env.ip());
            config.send_latency_fault_enable = latency_fault || plan.latency_fault;
            let producer = Producer::new(env.clone(), config);
            let driver = super::sender::Driver {
                world: cluster.world.clone(),
                index,
                producer,
                plan: plan.clone(),
                ledger: ledger.clone(),
                draw: SimRandom::new(cluster.world.seed(), &format!("messaging/producer-{index}")),
                stop: producers.stop.clone(),
                in_flight: Arc::new(AtomicU32::new(0)),
                env: env.clone(),
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

/// What the producer's answer says about whether the message was stored (see `oracle.rs`).
pub(super) fn classify(
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
