//! Orderly consumption's broker locks (§6.5), for the engine: LOCK_BATCH_MQ before a queue is
//! pulled, every assigned queue re-locked every 20 s (the answer recorded in each process
//! queue), UNLOCK_BATCH_MQ when a queue is removed and at shutdown.

use super::calls;
use super::engine::Engine;
use crate::env::Env;
use crate::protocol::body::{LockBatchBody, MessageQueue};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

impl<E: Env> Engine<E> {
    pub(super) fn lock_body(&self, queues: BTreeSet<MessageQueue>) -> LockBatchBody {
        LockBatchBody {
            client_id: self.client_id.clone(),
            consumer_group: self.config.group.clone(),
            mq_set: queues,
            only_this_broker: false,
        }
    }

    pub(super) fn by_broker(
        &self,
        queues: &[MessageQueue],
    ) -> BTreeMap<SocketAddr, BTreeSet<MessageQueue>> {
        let mut by_broker: BTreeMap<SocketAddr, BTreeSet<MessageQueue>> = BTreeMap::new();
        for queue in queues {
            if let Some(addr) = self.master_addr(&queue.broker_name) {
                by_broker.entry(addr).or_default().insert(queue.clone());
            }
        }
        by_broker
    }

    /// LOCK_BATCH_MQ for `queues`; the ones we now own.
    pub(super) async fn lock(&self, queues: &[MessageQueue]) -> BTreeSet<MessageQueue> {
        let mut owned = BTreeSet::new();
        for (addr, set) in self.by_broker(queues) {
            let body = self.lock_body(set);
            if let Ok(ok) = calls::lock(&self.client, addr, body, self.call_timeout()).await {
                owned.extend(ok);
            }
        }
        owned
    }

    pub(super) async fn unlock(&self, queues: &[MessageQueue]) {
        for (addr, set) in self.by_broker(queues) {
            let body = self.lock_body(set);
            let _ = calls::unlock(&self.client, addr, body, self.call_timeout()).await;
        }
    }

    /// Re-locks every assigned queue and records the answer in each process queue.
    pub async fn lock_all(&self) {
        let queues = self.assigned();
        for (addr, set) in self.by_broker(&queues) {
            let body = self.lock_body(set.clone());
            let Ok(ok) = calls::lock(&self.client, addr, body, self.call_timeout()).await else {
                continue;
            };
            let now = self.env.now();
            for queue in set {
                if let Some(slot) = self.slot(&queue) {
                    slot.pq.lock().set_locked(ok.contains(&queue), now);
                    slot.wake.notify_one();
                }
            }
        }
    }
}
