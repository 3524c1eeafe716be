//! The consumer engine shared by the push and the lite pull consumer: membership (heartbeat),
//! routes, rebalance, one pull loop per assigned queue, and offsets.
//!
//! Owns: the connection pool (whose dispatcher answers the broker's
//! NOTIFY_CONSUMER_IDS_CHANGED by waking the rebalance), the subscriptions, the subscribe
//! routes, the process queue ("slot") of every assigned queue with its pull task, the offset
//! table, and the timers (rebalance 20 s and on notify, routes 30 s, heartbeat 30 s, offsets
//! 5 s, orderly relock 20 s). Does not own consumption: pulled messages go to the [`Sink`]
//! (the push consumer's consume tasks, the lite consumer's buffer).
//!
//! Rebalance (clustering): the consumer ids of the group from a broker of the topic and the
//! topic's readable queues, both sorted, split by the allocation strategy; broadcasting takes
//! every queue; a lite consumer with `assign` keeps its fixed list. A queue taken away is
//! dropped (its pull task stopped, nothing of it committed any more), its offset persisted and
//! forgotten, and (orderly) unlocked. A new queue is (orderly) locked first — not locked, not
//! pulled — then starts at its stored offset or, with none, where `consume_from` says.
//!
//! Delivery: at-least-once. A queue moving between consumers is re-delivered from its last
//! persisted offset; so is everything after a crash.

use super::calls;
use super::config::{ConsumeFromWhere, ConsumerConfig, MessageModel, ReceivedMessage};
use super::offset_store::OffsetTable;
use super::process_queue::{ProcessQueue, QueueStats};
use super::subscription::Subscription;
use crate::env::{Env, Spawn, Task};
use crate::protocol::body::MessageQueue;
use crate::protocol::heartbeat::{ConsumeType, ConsumerData, HeartbeatData};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::{Client, Dispatcher, RemotingConfig};
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;
use tokio::sync::Notify;

mod addressing;

/// One assigned queue: its process queue and the signal its consumer waits on.
#[derive(Default)]
pub(crate) struct Slot {
    pub pq: Mutex<ProcessQueue>,
    /// Rung when messages arrive or the queue is dropped (orderly consumer, lite poll).
    pub wake: Notify,
}

/// Where pulled messages go.
pub(crate) trait Sink: Send + Sync + 'static {
    /// `messages` were just added to `slot`'s process queue.
    fn delivered(
        self: Arc<Self>,
        queue: &MessageQueue,
        slot: &Arc<Slot>,
        messages: Vec<ReceivedMessage>,
    );
    /// `slot` was just assigned (orderly push consumers start the queue's consumer here).
    fn queue_added(self: Arc<Self>, queue: &MessageQueue, slot: &Arc<Slot>);
    /// Whether pulling may go on (the lite consumer's buffer has room).
    fn accepting(&self) -> bool;
}

struct Assigned<T> {
    slot: Arc<Slot>,
    task: T,
}

pub(crate) struct Engine<E: Env> {
    pub env: E,
    pub config: ConsumerConfig,
    pub client: Client<E>,
    pub client_id: String,
    consume_type: ConsumeType,
    /// Orderly locking applies (push consumer with `orderly`).
    orderly: bool,
    subscriptions: Mutex<BTreeMap<String, Subscription>>,
    /// A lite consumer's `assign` list: no rebalance.
    fixed: Mutex<Option<Vec<MessageQueue>>>,
    routes: Mutex<BTreeMap<String, Vec<MessageQueue>>>,
    /// Broker name → broker id → address, from the latest route naming the group.
    brokers: Mutex<BTreeMap<String, BTreeMap<i64, SocketAddr>>>,
    /// The broker id each queue's last pull answer suggested (§5.5 `pullFromWhichNodeTable`).
    suggested: Mutex<BTreeMap<MessageQueue, i64>>,
    namesrv_index: AtomicUsize,
    assigned: Mutex<BTreeMap<MessageQueue, Assigned<<E as Spawn>::Task>>>,
    pub offsets: Mutex<OffsetTable>,
    running: AtomicBool,
    started: AtomicBool,
    rebalance_wake: Arc<Notify>,
    rebalance_turn: tokio::sync::Mutex<()>,
    timers: Mutex<Vec<<E as Spawn>::Task>>,
    sink: OnceLock<Weak<dyn Sink>>,
}

impl<E: Env> Engine<E> {
    pub fn new(env: E, config: ConsumerConfig, consume_type: ConsumeType, orderly: bool) -> Self {
        let rebalance_wake = Arc::new(Notify::new());
        let wake = rebalance_wake.clone();
        let dispatcher = Dispatcher::new().register(
            RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
            move |_ctx, _request: RemotingCommand| {
                wake.notify_one();
                async { RemotingCommand::response(ResponseCode::SUCCESS, None) }
            },
        );
        let client = Client::new(env.clone(), dispatcher, RemotingConfig::default());
        let client_id = config.client_id();
        Engine {
            env,
            client,
            client_id,
            consume_type,
            orderly: orderly && config.message_model == MessageModel::Clustering,
            config,
            subscriptions: Mutex::new(BTreeMap::new()),
            fixed: Mutex::new(None),
            routes: Mutex::new(BTreeMap::new()),
            brokers: Mutex::new(BTreeMap::new()),
            suggested: Mutex::new(BTreeMap::new()),
            namesrv_index: AtomicUsize::new(0),
            assigned: Mutex::new(BTreeMap::new()),
            offsets: Mutex::new(OffsetTable::new()),
            running: AtomicBool::new(false),
            started: AtomicBool::new(false),
            rebalance_wake,
            rebalance_turn: tokio::sync::Mutex::new(()),
            timers: Mutex::new(Vec::new()),
            sink: OnceLock::new(),
        }
    }

    pub fn set_sink(&self, sink: Weak<dyn Sink>) {
        let _ = self.sink.set(sink);
    }

    fn sink(&self) -> Option<Arc<dyn Sink>> {
        self.sink.get().and_then(Weak::upgrade)
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    pub fn is_started(&self) -> bool {
        self.started.load(Ordering::SeqCst)
    }

    pub fn call_timeout(&self) -> Duration {
        Duration::from_millis(self.config.call_timeout_ms)
    }

    pub fn subscribe(&self, subscription: Subscription) {
        let topic = subscription.topic.clone();
        self.subscriptions.lock().insert(topic, subscription);
    }

    pub fn has_subscriptions(&self) -> bool {
        !self.subscriptions.lock().is_empty()
    }

    pub fn set_fixed(&self, queues: Vec<MessageQueue>) {
        let mut queues = queues;
        queues.sort();
        queues.dedup();
        *self.fixed.lock() = Some(queues);
    }

    pub fn is_fixed(&self) -> bool {
        self.fixed.lock().is_some()
    }

    /// The queues assigned now, sorted.
    pub fn assigned(&self) -> Vec<MessageQueue> {
        self.assigned.lock().keys().cloned().collect()
    }

    pub fn slot(&self, queue: &MessageQueue) -> Option<Arc<Slot>> {
        self.assigned.lock().get(queue).map(|a| a.slot.clone())
    }

    pub fn slots(&self) -> Vec<(MessageQueue, Arc<Slot>)> {
        let assigned = self.assigned.lock();
        assigned
            .iter()
            .map(|(q, a)| (q.clone(), a.slot.clone()))
            .collect()
    }

    pub fn stats(&self) -> Vec<(MessageQueue, QueueStats)> {
        self.slots()
            .into_iter()
            .map(|(q, s)| {
                let stats = s.pq.lock().stats();
                (q, stats)
            })
            .collect()
    }

    /// Starts the timers; the first rebalance runs at once (after routes and a heartbeat, so
    /// the broker lists us).
    pub fn start(self: &Arc<Self>) {
        if self.started.swap(true, Ordering::SeqCst) {
            return;
        }
        self.running.store(true, Ordering::SeqCst);
        if self.config.message_model == MessageModel::Broadcasting {
            self.load_local_offsets();
        }
        let mut timers = Vec::new();
        let me = self.clone();
        timers.push(self.env.spawn("consumer-rebalance", async move {
            me.refresh_routes().await;
            me.heartbeat().await;
            let period = Duration::from_millis(me.config.rebalance_interval_ms);
            loop {
                me.rebalance().await;
                let _ = me.env.timeout(period, me.rebalance_wake.notified()).await;
            }
        }));
        timers.push(self.every(
            "consumer-routes",
            self.config.poll_name_server_interval_ms,
            |e| Box::pin(async move { e.refresh_routes().await }),
        ));
        timers.push(self.every(
            "consumer-heartbeat",
            self.config.heartbeat_broker_interval_ms,
            |e| Box::pin(async move { e.heartbeat().await }),
        ));
        timers.push(self.every(
            "consumer-offsets",
            self.config.persist_offset_interval_ms,
            |e| Box::pin(async move { e.persist_all().await }),
        ));
        if self.orderly {
            timers.push(self.every(
                "consumer-relock",
                self.config.orderly_relock_interval_ms,
                |e| Box::pin(async move { e.lock_all().await }),
            ));
        }
        self.timers.lock().extend(timers);
    }

    fn every(
        self: &Arc<Self>,
        name: &'static str,
        period_ms: u64,
        work: fn(Arc<Self>) -> futures::future::BoxFuture<'static, ()>,
    ) -> <E as Spawn>::Task {
        let me = self.clone();
        self.env.spawn(name, async move {
            let period = Duration::from_millis(period_ms);
            loop {
                me.env.sleep(period).await;
                work(me.clone()).await;
            }
        })
    }

    /// Stops everything: pulls, timers; persists offsets, unlocks (orderly), unregisters.
    pub async fn shutdown(&self) {
        if !self.running.swap(false, Ordering::SeqCst) {
            return;
        }
        for task in self.timers.lock().drain(..) {
            task.abort();
        }
        // Wait for a rebalance in progress, then keep it from starting again.
        let _turn = self.rebalance_turn.lock().await;
        let queues = self.assigned();
        for (_, slot) in self.slots() {
            slot.pq.lock().mark_dropped();
            slot.wake.notify_waiters();
        }
        for a in self.assigned.lock().values() {
            a.task.abort();
        }
        self.persist_all().await;
        if self.orderly {
            self.unlock(&queues).await;
        }
        self.assigned.lock().clear();
        let timeout = self.call_timeout();
        for addr in self.all_broker_addrs() {
            let group = &self.config.group;
            let _ = calls::unregister(&self.client, addr, &self.client_id, group, timeout).await;
        }
        self.client.close_all();
    }

    fn topics(&self) -> BTreeSet<String> {
        let mut topics: BTreeSet<String> = self.subscriptions.lock().keys().cloned().collect();
        if let Some(fixed) = &*self.fixed.lock() {
            topics.extend(fixed.iter().map(|q| q.topic.clone()));
        }
        topics
    }

    /// Fetches the route of every topic we consume; a failure keeps the old route.
    pub async fn refresh_routes(&self) {
        for topic in self.topics() {
            let count = self.config.namesrv_addrs.len();
            let first = self.namesrv_index.load(Ordering::SeqCst);
            for attempt in 0..count {
                let index = (first + attempt) % count;
                let addr = self.config.namesrv_addrs[index];
                let timeout = self.call_timeout();
                let Ok(answer) = calls::route(&self.client, addr, &topic, timeout).await else {
                    continue;
                };
                self.namesrv_index.store(index, Ordering::SeqCst);
                if let Some(route) = answer {
                    self.brokers.lock().extend(route.brokers);
                    // (`extend` replaces each named group whole: a master gone from the route
                    // is gone here too.)
                    self.routes.lock().insert(topic.clone(), route.queues);
                }
                break;
            }
        }
    }

    fn heartbeat_data(&self) -> HeartbeatData {
        let subscriptions = self.subscriptions.lock();
        let config = &self.config;
        HeartbeatData {
            client_id: self.client_id.clone(),
            consumers: vec![ConsumerData {
                consume_from_where: config.consume_from.wire(),
                consume_type: self.consume_type,
                group_name: config.group.clone(),
                message_model: config.message_model.wire(),
                subscriptions: subscriptions.values().map(Subscription::to_data).collect(),
                unit_mode: false,
            }],
            producers: Vec::new(),
        }
    }

    /// HEART_BEAT to every broker of our topics.
    pub async fn heartbeat(&self) {
        let data = self.heartbeat_data();
        for addr in self.all_broker_addrs() {
            let _ = calls::heartbeat(&self.client, addr, &data, self.call_timeout()).await;
        }
    }

    /// One rebalance of every topic (or of the fixed list).
    pub async fn rebalance(self: &Arc<Self>) {
        let _turn = self.rebalance_turn.lock().await;
        if !self.is_running() {
            return;
        }
        let fixed = self.fixed.lock().clone();
        if let Some(fixed) = fixed {
            self.update_queues(|_| true, fixed).await;
            return;
        }
        let topics: Vec<String> = self.subscriptions.lock().keys().cloned().collect();
        for topic in topics {
            let Some(all) = self.routes.lock().get(&topic).cloned() else {
                continue;
            };
            let mine = match self.config.message_model {
                MessageModel::Broadcasting => all,
                MessageModel::Clustering => {
                    let Some(mut ids) = self.consumer_ids(&all).await else {
                        continue;
                    };
                    ids.sort();
                    self.config.allocation.allocate(&self.client_id, &all, &ids)
                }
            };
            self.update_queues(|q| q.topic == topic, mine).await;
        }
    }

    async fn consumer_ids(&self, queues: &[MessageQueue]) -> Option<Vec<String>> {
        let broker = queues.first()?;
        let addr = self.broker_addr(&broker.broker_name)?;
        let (group, timeout) = (&self.config.group, self.call_timeout());
        calls::consumer_ids(&self.client, addr, group, timeout)
            .await
            .ok()
    }

    /// Makes the assigned queues among those `scope` selects exactly `mine`.
    async fn update_queues(
        self: &Arc<Self>,
        scope: impl Fn(&MessageQueue) -> bool,
        mine: Vec<MessageQueue>,
    ) {
        let mine: BTreeSet<MessageQueue> = mine.into_iter().collect();
        let current = self.assigned();
        let removed: Vec<MessageQueue> = (current.iter())
            .filter(|q| scope(q) && !mine.contains(q))
            .cloned()
            .collect();
        for queue in removed {
            self.remove_queue(&queue).await;
        }
        let added: Vec<MessageQueue> = (mine.into_iter())
            .filter(|q| !current.contains(q))
            .collect();
        let mut to_start = Vec::new();
        if self.orderly && !added.is_empty() {
            let locked = self.lock(&added).await;
            to_start.extend(added.into_iter().filter(|q| locked.contains(q)));
        } else {
            to_start = added;
        }
        for queue in to_start {
            self.add_queue(queue).await;
        }
    }

    /// Drops `queue`: no more pulls, nothing more committed; persists and forgets its offset.
    pub async fn remove_queue(&self, queue: &MessageQueue) {
        let Some(assigned) = self.assigned.lock().remove(queue) else {
            return;
        };
        assigned.slot.pq.lock().mark_dropped();
        assigned.slot.wake.notify_waiters();
        assigned.task.abort();
        self.persist(std::slice::from_ref(queue)).await;
        self.forget_offset(queue);
        if self.orderly {
            self.unlock(std::slice::from_ref(queue)).await;
        }
    }

    async fn add_queue(self: &Arc<Self>, queue: MessageQueue) {
        let Some(offset) = self.start_offset(&queue).await else {
            return;
        };
        let slot = Arc::new(Slot::default());
        {
            let mut pq = slot.pq.lock();
            *pq = ProcessQueue::new(offset);
            if self.orderly {
                pq.set_locked(true, self.env.now());
            }
        }
        let me = self.clone();
        let (q, s) = (queue.clone(), slot.clone());
        let task = self
            .env
            .spawn("consumer-pull", async move { me.pull_loop(q, s).await });
        self.assigned.lock().insert(
            queue.clone(),
            Assigned {
                slot: slot.clone(),
                task,
            },
        );
        if let Some(sink) = self.sink() {
            sink.queue_added(&queue, &slot);
        }
    }

    /// Restarts the pull loop of `queue` (after a seek: a pull held at the old offset would
    /// otherwise delay the new position by up to the long-poll hold).
    pub fn restart_pull(self: &Arc<Self>, queue: &MessageQueue) {
        let mut assigned = self.assigned.lock();
        let Some(entry) = assigned.get_mut(queue) else {
            return;
        };
        entry.task.abort();
        let (me, q, s) = (self.clone(), queue.clone(), entry.slot.clone());
        entry.task = self
            .env
            .spawn("consumer-pull", async move { me.pull_loop(q, s).await });
    }

    /// Where a newly assigned queue starts: the stored offset, else `consume_from`.
    async fn start_offset(&self, queue: &MessageQueue) -> Option<i64> {
        let addr = self.broker_addr(&queue.broker_name)?;
        let timeout = self.call_timeout();
        let stored = match self.config.message_model {
            MessageModel::Broadcasting => self.offsets.lock().get(queue),
            MessageModel::Clustering => {
                let group = &self.config.group;
                let answer = calls::query_offset(&self.client, addr, group, queue, timeout).await;
                let stored = answer.ok()?;
                if let Some(offset) = stored {
                    self.offsets.lock().update(queue, offset, false);
                }
                stored
            }
        };
        if let Some(offset) = stored.filter(|o| *o >= 0) {
            return Some(offset);
        }
        let client = &self.client;
        match self.config.consume_from {
            ConsumeFromWhere::FirstOffset => Some(0),
            ConsumeFromWhere::LastOffset => {
                calls::max_offset(client, addr, queue, timeout).await.ok()
            }
            ConsumeFromWhere::Timestamp(ms) => {
                calls::search_offset(client, addr, queue, ms, timeout)
                    .await
                    .ok()
            }
        }
    }

    pub(crate) fn sink_accepting(&self) -> bool {
        self.sink().is_none_or(|s| s.accepting())
    }

    pub(crate) fn deliver(&self, queue: &MessageQueue, slot: &Arc<Slot>, m: Vec<ReceivedMessage>) {
        if let Some(sink) = self.sink() {
            sink.delivered(queue, slot, m);
        }
    }

    /// The subscription pulls of `topic` use: the subscribed one, else `*` (assigned queues).
    pub(crate) fn pull_subscription(&self, topic: &str) -> Option<Subscription> {
        if let Some(sub) = self.subscriptions.lock().get(topic) {
            return Some(sub.clone());
        }
        Subscription::parse(topic, "*", 0)
    }

    /// A lite pull consumer (pulls carry the lite flag; offsets move on commit).
    pub(crate) fn is_lite(&self) -> bool {
        self.consume_type == ConsumeType::ConsumeActively
    }

    /// Forgets `queue` after its pull loop found the offset illegal (the loop has ended).
    pub(crate) async fn forget_moved(&self, queue: &MessageQueue) {
        self.assigned.lock().remove(queue);
        self.persist(std::slice::from_ref(queue)).await;
        self.forget_offset(queue);
        if self.orderly {
            self.unlock(std::slice::from_ref(queue)).await;
        }
    }

    pub(crate) fn is_orderly(&self) -> bool {
        self.orderly
    }
}
