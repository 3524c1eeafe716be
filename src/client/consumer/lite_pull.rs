//! The lite pull consumer (Java's `DefaultLitePullConsumer`): the caller polls.
//!
//! The engine's pull loops fill the process queues of the assigned queues (rebalanced like
//! the push consumer with `subscribe`, fixed with `assign`); the process queues are the
//! buffer. `poll` takes up to `pull_batch_size` messages, in offset order per queue, rotating
//! over the queues, and waits up to its timeout for some to arrive. Pulls pause while the
//! queue is at its thresholds or `lite_buffer_max` messages wait across all queues.
//!
//! Offsets: a poll moves each queue's commit point past what it returned (the smallest offset
//! still buffered, Java's rule). With `auto_commit` (default) that point is committed at once
//! and pushed by the 5 s timer; without it the points wait for `commit()`, which also pushes
//! them. `seek` drops what is buffered for the queue and pulls again from the offset.

use super::config::{ConsumerConfig, ConsumerError, ReceivedMessage};
use super::engine::{Engine, Sink, Slot};
use super::push::parse_subscription;
use crate::env::Env;
use crate::protocol::body::MessageQueue;
use crate::protocol::heartbeat::ConsumeType;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// A lite pull consumer. Cheap to clone (a handle).
pub struct LitePullConsumer<E: Env> {
    inner: Arc<Inner<E>>,
}

impl<E: Env> Clone for LitePullConsumer<E> {
    fn clone(&self) -> Self {
        LitePullConsumer {
            inner: self.inner.clone(),
        }
    }
}

struct Inner<E: Env> {
    engine: Arc<Engine<E>>,
    arrived: Notify,
    /// Commit points polled but not committed (manual commit).
    pending: Mutex<BTreeMap<MessageQueue, i64>>,
    cursor: AtomicUsize,
}

impl<E: Env> LitePullConsumer<E> {
    pub fn new(env: E, config: ConsumerConfig) -> Self {
        let engine = Arc::new(Engine::new(
            env,
            config,
            ConsumeType::ConsumeActively,
            false,
        ));
        let inner = Arc::new(Inner {
            engine,
            arrived: Notify::new(),
            pending: Mutex::new(BTreeMap::new()),
            cursor: AtomicUsize::new(0),
        });
        let weak = Arc::downgrade(&inner);
        inner.engine.set_sink(weak);
        LitePullConsumer { inner }
    }

    /// Subscribes `topic` (queues come from rebalancing).
    pub fn subscribe(&self, topic: &str, expression: &str) -> Result<(), ConsumerError> {
        let engine = &self.inner.engine;
        if engine.is_fixed() {
            return Err(ConsumerError::MixedSubscribeAndAssign);
        }
        engine.subscribe(parse_subscription(&engine.env, topic, expression)?);
        Ok(())
    }

    /// Consumes exactly `queues` (no rebalance, all tags). Before or after start.
    pub fn assign(&self, queues: Vec<MessageQueue>) -> Result<(), ConsumerError> {
        let engine = &self.inner.engine;
        if engine.has_subscriptions() {
            return Err(ConsumerError::MixedSubscribeAndAssign);
        }
        for queue in &queues {
            parse_subscription(&engine.env, &queue.topic, "*")?;
        }
        engine.set_fixed(queues);
        if engine.is_running() {
            let engine = engine.clone();
            let env = engine.env.clone();
            let _detached = crate::env::Spawn::spawn(&env, "consumer-assign", async move {
                engine.refresh_routes().await;
                engine.rebalance().await;
            });
        }
        Ok(())
    }

    pub fn start(&self) -> Result<(), ConsumerError> {
        let engine = &self.inner.engine;
        if engine.is_started() {
            return Err(ConsumerError::AlreadyStarted);
        }
        if !engine.has_subscriptions() && !engine.is_fixed() {
            return Err(ConsumerError::NothingToConsume);
        }
        engine.start();
        Ok(())
    }

    /// Up to `pull_batch_size` messages; waits up to `timeout` when none is buffered.
    pub async fn poll(&self, timeout: Duration) -> Vec<ReceivedMessage> {
        let env = &self.inner.engine.env;
        let deadline = env.now() + timeout;
        loop {
            let notified = self.inner.arrived.notified();
            let got = self.inner.take();
            if !got.is_empty() || !self.inner.engine.is_running() {
                return got;
            }
            let remaining = deadline - env.now();
            if remaining.is_zero() {
                return got;
            }
            let _ = env.timeout(remaining, notified).await;
        }
    }

    /// Commits what was polled (manual commit) and pushes every offset now.
    pub async fn commit(&self) {
        let pending = std::mem::take(&mut *self.inner.pending.lock());
        let engine = &self.inner.engine;
        for (queue, offset) in pending {
            if let Some(slot) = engine.slot(&queue) {
                engine.commit(&queue, &slot, Some(offset));
            }
        }
        engine.persist_all().await;
    }

    /// Pulls `queue` again from `offset`, dropping what is buffered for it; the offset is
    /// also the queue's commit point.
    pub fn seek(&self, queue: &MessageQueue, offset: i64) -> Result<(), ConsumerError> {
        let engine = &self.inner.engine;
        let Some(slot) = engine.slot(queue) else {
            return Err(ConsumerError::NotAssigned {
                queue: queue.clone(),
            });
        };
        slot.pq.lock().reset(offset);
        self.inner.pending.lock().remove(queue);
        engine.offsets.lock().update(queue, offset, false);
        engine.restart_pull(queue);
        Ok(())
    }

    /// Stops pulling, commits (auto-commit) and pushes offsets, unregisters.
    pub async fn shutdown(&self) {
        if self.inner.engine.config.auto_commit {
            self.commit().await;
        }
        self.inner.engine.shutdown().await;
        self.inner.arrived.notify_waiters();
    }

    pub fn assigned(&self) -> Vec<MessageQueue> {
        self.inner.engine.assigned()
    }

    pub fn client_id(&self) -> String {
        self.inner.engine.client_id.clone()
    }

    /// The offset committed (or to be pushed) for `queue`.
    pub fn committed_offset(&self, queue: &MessageQueue) -> Option<i64> {
        self.inner.engine.offsets.lock().get(queue)
    }
}

impl<E: Env> Inner<E> {
    fn take(&self) -> Vec<ReceivedMessage> {
        let slots = self.engine.slots();
        if slots.is_empty() {
            return Vec::new();
        }
        let want = self.engine.config.pull_batch_size.max(1) as usize;
        let start = self.cursor.fetch_add(1, Ordering::SeqCst) % slots.len();
        let mut out = Vec::new();
        for i in 0..slots.len() {
            if out.len() >= want {
                break;
            }
            let (queue, slot) = &slots[(start + i) % slots.len()];
            let (batch, point) = {
                let mut pq = slot.pq.lock();
                if pq.is_dropped() {
                    continue;
                }
                let batch = pq.peek_first(want - out.len());
                if batch.is_empty() {
                    continue;
                }
                let offsets: Vec<i64> = batch.iter().map(ReceivedMessage::queue_offset).collect();
                (batch, pq.remove(&offsets))
            };
            self.polled(queue, slot, point);
            out.extend(batch);
        }
        out
    }

    fn polled(&self, queue: &MessageQueue, slot: &Slot, point: Option<i64>) {
        if self.engine.config.auto_commit {
            self.engine.commit(queue, slot, point);
        } else if let Some(point) = point {
            self.pending.lock().insert(queue.clone(), point);
        }
    }

    fn buffered(&self) -> usize {
        let slots = self.engine.slots();
        slots.iter().map(|(_, s)| s.pq.lock().count()).sum()
    }
}

impl<E: Env> Sink for Inner<E> {
    fn delivered(self: Arc<Self>, _: &MessageQueue, _: &Arc<Slot>, _: Vec<ReceivedMessage>) {
        self.arrived.notify_waiters();
        self.arrived.notify_one();
    }

    fn queue_added(self: Arc<Self>, _: &MessageQueue, _: &Arc<Slot>) {}

    fn accepting(&self) -> bool {
        self.buffered() < self.engine.config.lite_buffer_max
    }
}
