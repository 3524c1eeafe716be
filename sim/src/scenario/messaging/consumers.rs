//! The consuming side of the messaging scenarios: consumer nodes whose process runs one
//! consumer per group it belongs to — a push consumer (concurrent or orderly) or a lite pull
//! consumer (a poll loop, auto-commit) — subscribed to the group's topic with `*`, clustering
//! or broadcasting, CONSUME_FROM_FIRST_OFFSET so that nothing sent before a queue's first
//! assignment is skipped. Each delivery is recorded in the oracle with the node's name as the
//! consumer (a broadcasting member's under `group@consumer-N`: each member must get
//! everything). A killed node's consumers die with it; a restarted node starts them again, as
//! a restarted JVM would. The listener answers `Success` after a drawn processing delay, or,
//! one call in `fail_one_in`, RECONSUME_LATER (not recorded: the batch comes again).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rocketsim::client::rebalance::Strategy;
use rocketsim::client::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, LitePullConsumer, MessageModel,
    PushConsumer, ReceivedMessage,
};
use rocketsim::env::{Clock, Spawn};
use rocketsim::protocol::body::MessageQueue;

use super::super::namesrv_support::ip;
use super::cluster::TOPIC;
use super::oracle::Delivery;
use super::rates::Count;
use super::traffic::SharedLedger;
use crate::{NodeId, SimEnv, SimRandom, World};

/// A consumer group of the workload.
#[derive(Clone, Debug)]
pub struct GroupSpec {
    pub name: String,
    pub orderly: bool,
    /// Indexes (0-based) of the consumer nodes that run a member of this group.
    pub members: Vec<usize>,
    /// The topic it subscribes to (`*`).
    pub topic: String,
    /// Broadcasting: every member reads every queue (offsets in a file on its node).
    pub broadcast: bool,
    /// Lite pull consumers (poll loop, auto-commit) instead of push consumers.
    pub lite_pull: bool,
    pub allocation: Strategy<MessageQueue>,
    /// Processing time of one listener call or polled batch (ms; `None`: the workload's).
    pub consume_delay_ms: Option<[u64; 2]>,
    /// One listener call in this many answers `Later` (0: never).
    pub fail_one_in: u64,
}

impl Default for GroupSpec {
    fn default() -> Self {
        GroupSpec {
            name: String::new(),
            orderly: false,
            members: Vec::new(),
            topic: TOPIC.to_string(),
            broadcast: false,
            lite_pull: false,
            allocation: Strategy::Averagely,
            consume_delay_ms: None,
            fail_one_in: 0,
        }
    }
}

impl GroupSpec {
    /// The names the oracle records this group's deliveries under: the group's, or for a
    /// broadcasting group one per member (`group@consumer-N`: each member must get everything).
    pub fn oracle_groups(&self) -> Vec<String> {
        match self.broadcast {
            false => vec![self.name.clone()],
            true => self
                .members
                .iter()
                .map(|&m| broadcast_member(&self.name, &consumer_name(m)))
                .collect(),
        }
    }
}

/// The oracle's name of one member of a broadcasting group.
pub fn broadcast_member(group: &str, consumer: &str) -> String {
    format!("{group}@{consumer}")
}

/// `consumer-N` for the 0-based index N-1.
pub fn consumer_name(index: usize) -> String {
    format!("consumer-{}", index + 1)
}

/// One member of a group in a node's current process.
#[derive(Clone)]
enum Member {
    Push(PushConsumer<SimEnv>),
    Lite(LitePullConsumer<SimEnv>),
}

impl Member {
    fn assigned(&self) -> Vec<MessageQueue> {
        match self {
            Member::Push(c) => c.assigned(),
            Member::Lite(c) => c.assigned(),
        }
    }

    async fn shutdown(&self) {
        match self {
            Member::Push(c) => c.shutdown().await,
            Member::Lite(c) => c.shutdown().await,
        }
    }
}

/// The consumers of one node's current process, by group.
type Slot = Arc<Mutex<BTreeMap<String, Member>>>;

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
            let name = consumer_name(index);
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
            .map(Member::assigned)
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
            config.allocation = group.allocation.clone();
            config.offset_store_dir = "/offsets".into();
            if group.broadcast {
                config.message_model = MessageModel::Broadcasting;
            }
            let member = match group.lite_pull {
                false => {
                    let listener = self.listener(&env, group);
                    let consumer = PushConsumer::new(env.clone(), config, listener);
                    consumer
                        .subscribe(&group.topic, "*")
                        .expect("the workload's subscription is valid");
                    consumer.start().expect("a new consumer starts");
                    Member::Push(consumer)
                }
                true => {
                    let consumer = LitePullConsumer::new(env.clone(), config);
                    consumer
                        .subscribe(&group.topic, "*")
                        .expect("the workload's subscription is valid");
                    consumer.start().expect("a new consumer starts");
                    env.spawn(
                        "workload-lite-poll",
                        self.clone()
                            .poll(env.clone(), group.clone(), consumer.clone()),
                    );
                    Member::Lite(consumer)
                }
            };
            self.slot.lock().insert(group.name.clone(), member);
        }
    }

    fn delay(&self, group: &GroupSpec, random: &SimRandom) -> Duration {
        let [low, high] = group.consume_delay_ms.unwrap_or(self.delay_ms);
        let span = high.saturating_sub(low) + 1;
        Duration::from_millis(low + random.next_u64() % span)
    }

    /// The oracle's group name for this member's deliveries.
    fn oracle_group(&self, group: &GroupSpec) -> String {
        match group.broadcast {
            true => broadcast_member(&group.name, &self.name),
            false => group.name.clone(),
        }
    }

    /// A lite pull member's application: poll, record, process; until the member is shut
    /// down (it leaves the slot) or the process dies (the task with it).
    async fn poll(self, env: SimEnv, group: GroupSpec, consumer: LitePullConsumer<SimEnv>) {
        let random = SimRandom::new(
            self.world.seed(),
            &format!("{}/poll-{}", self.name, group.name),
        );
        let oracle_group = self.oracle_group(&group);
        while self.slot.lock().contains_key(&group.name) {
            let messages = consumer.poll(Duration::from_secs(1)).await;
            if messages.is_empty() {
                continue;
            }
            let at = self.world.now();
            let n = messages.len() as u64;
            self.ledger
                .lock()
                .rates
                .count(&self.world, at, Count::Consumed, n);
            record(&self.ledger, &oracle_group, &self.name, messages, at);
            env.sleep(self.delay(&group, &random)).await;
        }
    }

    fn listener(&self, env: &SimEnv, group: &GroupSpec) -> Listener {
        let (world, ledger, env) = (self.world.clone(), self.ledger.clone(), env.clone());
        let (oracle_group, consumer) = (self.oracle_group(group), self.name.clone());
        let forget_one_in = self.forget_one_in;
        let fail_one_in = group.fail_one_in;
        let random = SimRandom::new(
            world.seed(),
            &format!("{}/listener-{}", self.name, group.name),
        );
        let process = self.clone();
        let group = group.clone();
        Arc::new(move |messages: Vec<ReceivedMessage>| {
            let (world, ledger, env) = (world.clone(), ledger.clone(), env.clone());
            let (oracle_group, consumer) = (oracle_group.clone(), consumer.clone());
            let delay = process.delay(&group, &random);
            let fail = fail_one_in > 0 && random.next_u64().is_multiple_of(fail_one_in);
            let forget = forget_one_in > 0 && random.next_u64().is_multiple_of(forget_one_in);
            Box::pin(async move {
                if fail {
                    // RECONSUME_LATER: not consumed; the client delivers the batch again.
                    ledger.lock().later_answers += 1;
                    env.sleep(delay).await;
                    return ConsumeStatus::Later;
                }
                // Recorded on arrival, so that the history keeps the order of listener calls.
                let at = world.now();
                if !forget {
                    let n = messages.len() as u64;
                    ledger.lock().rates.count(&world, at, Count::Consumed, n);
                    record(&ledger, &oracle_group, &consumer, messages, at);
                }
                env.sleep(delay).await;
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
