//! The push consumer (§6.3): Java's `DefaultMQPushConsumer` over the env seams.
//!
//! The engine (`engine.rs`) rebalances and pulls; this file consumes. **Concurrent** mode:
//! each pulled run is cut into batches of `consume_message_batch_max_size`, each batch a task
//! (through the `Spawn` seam) that waits for one of `consume_thread_count` permits and calls
//! the listener; `Success` removes the batch from the process queue and moves the commit point
//! (the smallest offset still held). `Later`: Java sends the batch back to the broker
//! (CONSUMER_SEND_MSG_BACK → `%RETRY%<group>`); our broker does not serve that yet, so we take
//! Java's fallback path for a failed send-back — the batch is consumed again locally after
//! `reconsume_later_delay_ms` (5 s) with `reconsume_times` raised, its offsets held (the commit
//! point waits for it). A message answered `Later` more than `max_reconsume_times` times is
//! given up and its offset released (Java would move it to the DLQ). Consequently the retry
//! topic is not subscribed.
//!
//! **Orderly** mode: a queue is pulled only once LOCK_BATCH_MQ gave it to us; all queues are
//! re-locked every 20 s and a lock not renewed for 30 s stops consumption of the queue. One
//! task per queue takes messages in offset order, one batch at a time; `Later` puts the batch
//! back and waits `suspend_current_queue_time_ms` (1 s) before retrying the same messages.
//! Removed queues and shutdown UNLOCK_BATCH_MQ.

use super::super::request::check_topic;
use super::config::{ConsumeStatus, ConsumerConfig, ConsumerError, Listener, ReceivedMessage};
use super::engine::{Engine, Sink, Slot};
use super::process_queue::QueueStats;
use super::subscription::Subscription;
use crate::env::Env;
use crate::protocol::body::MessageQueue;
use crate::protocol::heartbeat::ConsumeType;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// A push consumer. Cheap to clone (a handle).
pub struct PushConsumer<E: Env> {
    inner: Arc<Inner<E>>,
}

impl<E: Env> Clone for PushConsumer<E> {
    fn clone(&self) -> Self {
        PushConsumer {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<E: Env> {
    engine: Arc<Engine<E>>,
    listener: Listener,
    pool: Arc<Semaphore>,
}

impl<E: Env> PushConsumer<E> {
    /// A consumer that is not started yet.
    pub fn new(env: E, config: ConsumerConfig, listener: Listener) -> Self {
        let orderly = config.orderly;
        let permits = config.consume_thread_count.max(1);
        let engine = Arc::new(Engine::new(
            env,
            config,
            ConsumeType::ConsumePassively,
            orderly,
        ));
        let inner = Arc::new(Inner {
            engine,
            listener,
            pool: Arc::new(Semaphore::new(permits)),
        });
        let weak = Arc::downgrade(&inner);
        inner.engine.set_sink(weak);
        PushConsumer { inner }
    }

    /// Subscribes `topic` with a tag expression (`*` or `TagA || TagB`). After start, the
    /// next heartbeat and rebalance take it up.
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<(), ConsumerError> {
        let sub = parse_subscription(&self.inner.engine.env, topic, expression)?;
        self.inner.engine.subscribe(sub);
        Ok(())
    }

    /// Starts heartbeats, rebalancing, pulling and consuming.
    pub fn start(&self) -> Result<(), ConsumerError> {
        let engine = &self.inner.engine;
        if engine.is_started() {
            return Err(ConsumerError::AlreadyStarted);
        }
        if !engine.has_subscriptions() {
            return Err(ConsumerError::NothingToConsume);
        }
        engine.start();
        Ok(())
    }

    /// Stops pulling and consuming, persists offsets, unlocks (orderly), unregisters.
    pub async fn shutdown(&self) {
        self.inner.engine.shutdown().await;
    }

    /// The queues assigned to this consumer now, sorted.
    pub fn assigned(&self) -> Vec<MessageQueue> {
        self.inner.engine.assigned()
    }

    /// `clientIP@instanceName`.
    pub fn client_id(&self) -> String {
        self.inner.engine.client_id.clone()
    }

    /// The process queue counts of every assigned queue.
    pub fn queue_stats(&self) -> Vec<(MessageQueue, QueueStats)> {
        self.inner.engine.stats()
    }

    /// The offset this consumer would commit for `queue` now.
    pub fn committed_offset(&self, queue: &MessageQueue) -> Option<i64> {
        self.inner.engine.offsets.lock().get(queue)
    }

    /// Rebalances now (the timer and NOTIFY_CONSUMER_IDS_CHANGED do it anyway).
    pub async fn rebalance(&self) {
        self.inner.engine.rebalance().await;
    }

    /// Pushes the offsets now (the timer does it every 5 s).
    pub async fn persist_offsets(&self) {
        self.inner.engine.persist_all().await;
    }
}

pub(crate) fn parse_subscription<E: Env>(
    env: &E,
    topic: &str,
    expression: &str,
) -> Result<Subscription, ConsumerError> {
    check_topic(topic).map_err(|_| ConsumerError::BadTopic {
        topic: topic.to_string(),
    })?;
    Subscription::parse(topic, expression, env.now_millis() as i64).ok_or_else(|| {
        ConsumerError::InvalidExpression {
            expression: expression.to_string(),
        }
    })
}

impl<E: Env> Sink for Inner<E> {
    fn delivered(
        self: Arc<Self>,
        queue: &MessageQueue,
        slot: &Arc<Slot>,
        messages: Vec<ReceivedMessage>,
    ) {
        if self.engine.is_orderly() {
            slot.wake.notify_one();
            return;
        }
        let size = self.engine.config.consume_message_batch_max_size.max(1);
        for batch in messages.chunks(size) {
            self.clone()
                .submit(queue.clone(), slot.clone(), batch.to_vec(), Duration::ZERO);
        }
    }

    fn queue_added(self: Arc<Self>, queue: &MessageQueue, slot: &Arc<Slot>) {
        if !self.engine.is_orderly() {
            return;
        }
        let (queue, slot) = (queue.clone(), slot.clone());
        let env = self.engine.env.clone();
        let _detached = env.spawn("consumer-orderly", self.consume_orderly(queue, slot));
    }

    fn accepting(&self) -> bool {
        true
    }
}

impl<E: Env> Inner<E> {
    /// Concurrent mode: one batch, consumed by a task when a permit is free.
    fn submit(
        self: Arc<Self>,
        queue: MessageQueue,
        slot: Arc<Slot>,
        batch: Vec<ReceivedMessage>,
        delay: Duration,
    ) {
        let env = self.engine.env.clone();
        let _detached = env.spawn("consumer-consume", async move {
            if !delay.is_zero() {
                self.engine.env.sleep(delay).await;
            }
            let status = {
                let Ok(_permit) = self.pool.acquire().await else {
                    return;
                };
                if slot.pq.lock().is_dropped() || !self.engine.is_running() {
                    return;
                }
                (self.listener)(batch.clone()).await
            };
            self.after_consume(queue, slot, batch, status);
        });
    }

    fn after_consume(
        self: Arc<Self>,
        queue: MessageQueue,
        slot: Arc<Slot>,
        batch: Vec<ReceivedMessage>,
        status: ConsumeStatus,
    ) {
        let max = self.engine.config.max_reconsume_times;
        let (done, again): (Vec<_>, Vec<_>) = match status {
            ConsumeStatus::Success => (batch, Vec::new()),
            ConsumeStatus::Later => batch.into_iter().partition(|m| m.reconsume_times >= max),
        };
        if !done.is_empty() {
            let offsets: Vec<i64> = done.iter().map(ReceivedMessage::queue_offset).collect();
            let commit = slot.pq.lock().remove(&offsets);
            self.engine.commit(&queue, &slot, commit);
        }
        if !again.is_empty() && self.engine.is_running() {
            let again = again
                .into_iter()
                .map(|mut m| {
                    m.reconsume_times += 1;
                    m
                })
                .collect();
            let delay = Duration::from_millis(self.engine.config.reconsume_later_delay_ms);
            self.submit(queue, slot, again, delay);
        }
    }

    /// Orderly mode: the one consumer of `queue`, in offset order, while the lock is valid.
    async fn consume_orderly(self: Arc<Self>, queue: MessageQueue, slot: Arc<Slot>) {
        let config = &self.engine.config;
        let env = &self.engine.env;
        let live = Duration::from_millis(config.orderly_lock_max_live_ms);
        let idle = Duration::from_millis(config.suspend_current_queue_time_ms);
        let size = config.consume_message_batch_max_size.max(1);
        loop {
            let batch = {
                let mut pq = slot.pq.lock();
                if pq.is_dropped() || !self.engine.is_running() {
                    return;
                }
                match pq.lock_valid(env.now(), live) {
                    true => pq.take_ordered(size),
                    false => Vec::new(),
                }
            };
            if batch.is_empty() {
                let _ = env.timeout(idle, slot.wake.notified()).await;
                continue;
            }
            let status = {
                let Ok(_permit) = self.pool.acquire().await else {
                    return;
                };
                (self.listener)(batch).await
            };
            match status {
                ConsumeStatus::Success => {
                    let commit = slot.pq.lock().commit_ordered();
                    self.engine.commit(&queue, &slot, commit);
                }
                ConsumeStatus::Later => {
                    slot.pq.lock().rollback_ordered();
                    env.sleep(idle).await;
                }
            }
        }
    }
}
