//! Which broker of a group the engine talks to: the master for offsets and locks while the
//! route names it, else the lowest-id slave; for pulls, the broker id the last pull answer
//! suggested (slave reads, §5.5) when the route has it.

use super::Engine;
use crate::env::Env;
use crate::protocol::body::{MessageQueue, MASTER_ID};
use std::collections::BTreeSet;
use std::net::SocketAddr;

impl<E: Env> Engine<E> {
    /// The master address of `broker`, else (the master gone from the route) its
    /// lowest-id slave: where offsets are queried and committed (Java's
    /// `findBrokerAddressInSubscribe(name, MASTER_ID, false)`).
    pub fn broker_addr(&self, broker: &str) -> Option<SocketAddr> {
        let brokers = self.brokers.lock();
        let group = brokers.get(broker)?;
        group
            .get(&MASTER_ID)
            .or_else(|| group.values().next())
            .copied()
    }

    /// The master address of `broker` only (orderly locks live on masters).
    pub fn master_addr(&self, broker: &str) -> Option<SocketAddr> {
        self.brokers.lock().get(broker)?.get(&MASTER_ID).copied()
    }

    /// Where to pull `queue` from: the broker id its last answer suggested when the route has
    /// it, else the master, else any slave. `true` when that is not the master (the commit
    /// offset is then not piggy-backed).
    pub fn pull_addr(&self, queue: &MessageQueue) -> Option<(SocketAddr, bool)> {
        let id = self
            .suggested
            .lock()
            .get(queue)
            .copied()
            .unwrap_or(MASTER_ID);
        let brokers = self.brokers.lock();
        let group = brokers.get(&queue.broker_name)?;
        let (&id, &addr) = (group.get_key_value(&id))
            .or_else(|| group.get_key_value(&MASTER_ID))
            .or_else(|| group.iter().next())?;
        Some((addr, id != MASTER_ID))
    }

    /// Remembers the broker id a pull answer suggested for `queue`.
    pub fn remember_suggestion(&self, queue: &MessageQueue, broker_id: i64) {
        self.suggested.lock().insert(queue.clone(), broker_id);
    }

    /// Every broker address the subscribe routes name, each once, in address order.
    pub(super) fn all_broker_addrs(&self) -> Vec<SocketAddr> {
        let brokers = self.brokers.lock();
        let all: BTreeSet<SocketAddr> =
            brokers.values().flat_map(|g| g.values().copied()).collect();
        all.into_iter().collect()
    }
}
