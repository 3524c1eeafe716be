//! The consuming side of the messaging scenarios: consumer nodes whose process runs one push
//! consumer per group it belongs to (subscribed to the topic with `*`, clustering model,
//! CONSUME_FROM_FIRST_OFFSET so that nothing sent before a queue's first assignment is
//! skipped), each delivery recorded in the oracle with the node's name as the consumer.
//! A killed node's consumers die with it; a restarted node starts them again, as a restarted
//! JVM would. The listener always answers `Success` after a drawn processing delay.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rocketsim::client::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, PushConsumer, ReceivedMessage,
};
use rocketsim::env::Clock;
use rocketsim::protocol::body::MessageQueue;

use super::super::namesrv_support::ip;
use super::cluster::TOPIC;
use super::oracle::Delivery;
use super::rates::Count;
use super::traffic::SharedLedger;
use crate::{NodeId, SimEnv, World};

/// A consumer group of the workload.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    pub name: String,
    pub orderly: bool,
    /// Indexes (0-based) of the consumer nodes that run a member of this group.
    pub members: Vec<usize>,
}

/// The consumers of one node's current process, by group.
type Slot = Arc<Mutex<BTreeMap<String, PushConsumer<SimEnv>>>>;

/// The consumer nodes.
pub struct Consumers {
    pub nodes: Vec<NodeId>,
    pub names: Vec<String>,
    slots: Vec<Slot>,
}

impl Consumers {
    /// Adds `count` consumer nodes (`consumer-1` at 10.0.0.41, …) running the members of
    /// `groups`.
    pub fn add(
        world: &World,
        count: usize,
        groups: &[GroupSpec],
        namesrvs: &[SocketAddr],
        ledger: &SharedLedger,
        consume_delay_ms: [u64; 2],
        plant_forget_one_in: u64,
    ) -> Consumers {
        let mut consumers = Consumers {
            nodes: Vec::new(),
            names: Vec::new(),
            slots: Vec::new(),
        };
        for index in 0..count {
            let name = format!("consumer-{}", index + 1);
            let mine: Vec<GroupSpec> = groups
                .iter()
                .filter(|g| g.members.contains(&index))
                .cloned()
                .collect();
            let slot = Slot::default();
            let process = Process {
                world: world.clone(),
                name: name.clone(),
                groups: mine,
                namesrvs: namesrvs.to_vec(),
                ledger: ledger.clone(),
                slot: slot.clone(),
                delay_ms: consume_delay_ms,
                forget_one_in: plant_forget_one_in,
            };
            let node = world.add_node(&name, ip(41 + index as u8), move |env| {
                let process = process.clone();
                async move { process.start(env).await }
            });
            consumers.nodes.push(node);
            consumers.names.push(name);
            consumers.slots.push(slot);
        }
        consumers
    }

    /// The queues of `group` assigned to consumer `index` now (empty when its node is down).
    pub fn assigned(&self, world: &World, index: usize, group: &str) -> Vec<MessageQueue> {
        if !world.is_alive(self.nodes[index]) {
            return Vec::new();
        }
        self.slots[index]
            .lock()
            .get(group)
            .map(|c| c.assigned())
            .unwrap_or_default()
    }

    /// Shuts every live consumer down (offsets persisted), at the end of a run.
    pub async fn shutdown(&self, world: &World) {
        for (index, slot) in self.slots.iter().enumerate() {
            if !world.is_alive(self.nodes[index]) {
                continue;
            }
            let all: Vec<_> = std::mem::take(&mut *slot.lock()).into_values().collect();
            for consumer in all {
                consumer.shutdown().await;
            }
        }
    }
}

#[derive(Clone)]
struct Process {
    world: World,
    name: String,
    groups: Vec<GroupSpec>,
    namesrvs: Vec<SocketAddr>,
    ledger: SharedLedger,
    slot: Slot,
    delay_ms: [u64; 2],
    /// Planted bug (0: off): forget one delivery in this many, as a consumer that acks a
    /// message it never handed to the application. The oracle must report them lost.
    forget_one_in: u64,
}

impl Process {
    async fn start(self, env: SimEnv) {
        self.slot.lock().clear();
        for group in &self.groups {
            let mut config = ConsumerConfig::new(&group.name, self.namesrvs.clone(), env.ip());
            config.orderly = group.orderly;
            config.consume_from = ConsumeFromWhere::FirstOffset;
            let consumer = PushConsumer::new(env.clone(), config, self.listener(&env, &group.name));
            consumer
                .subscribe(TOPIC, "*")
                .expect("the workload's subscription is valid");
            consumer.start().expect("a new consumer starts");
            self.slot.lock().insert(group.name.clone(), consumer);
        }
    }

    fn listener(&self, env: &SimEnv, group: &str) -> Listener {
        let (world, ledger, env) = (self.world.clone(), self.ledger.clone(), env.clone());
        let (group, consumer, delay_ms) = (group.to_string(), self.name.clone(), self.delay_ms);
        let forget_one_in = self.forget_one_in;
        let random = rocketsim::env::Random::fork(&env, &format!("listener-{group}"));
        Arc::new(move |messages: Vec<ReceivedMessage>| {
            let (world, ledger, env) = (world.clone(), ledger.clone(), env.clone());
            let (group, consumer) = (group.clone(), consumer.clone());
            let span = delay_ms[1].saturating_sub(delay_ms[0]) + 1;
            let delay = delay_ms[0] + rocketsim::env::Random::next_u64(&random) % span;
            Box::pin(async move {
                // Recorded on arrival, so that the history keeps the order of listener calls.
                let at = world.now();
                let forget = forget_one_in > 0
                    && rocketsim::env::Random::next_u64(&env) % forget_one_in == 0;
                if !forget {
                    let n = messages.len() as u64;
                    ledger.lock().rates.count(&world, at, Count::Consumed, n);
                    record(&ledger, &group, &consumer, messages, at);
                }
                env.sleep(Duration::from_millis(delay)).await;
                ConsumeStatus::Success
            })
        })
    }
}

fn record(
    ledger: &SharedLedger,
    group: &str,
    consumer: &str,
    messages: Vec<ReceivedMessage>,
    at: Duration,
) {
    let mut ledger = ledger.lock();
    for message in messages {
        let key = message.msg_id().unwrap_or("<no UNIQ_KEY>").to_string();
        let delivery = Delivery {
            group: group.to_string(),
            consumer: consumer.to_string(),
            queue: message.queue.clone(),
            offset: message.queue_offset(),
            key,
            body_hash: xxhash_rust::xxh3::xxh3_64(&message.record.body),
            at,
        };
        ledger
            .deliveries
            .entry(group.to_string())
            .or_default()
            .push(at);
        ledger.oracle.delivered(delivery);
    }
}
