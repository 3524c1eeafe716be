//! Broker liveness as heartbeats report it (RocketMQ's `BrokerLiveInfo` table). Memory only: a
//! restarted controller learns it again within one heartbeat period.
//!
//! Time is the controller's monotonic clock, so a wall-clock step on the controller neither
//! kills every broker nor keeps a dead one alive (RocketMQ compares `currentTimeMillis`).

use std::collections::BTreeMap;
use std::time::Duration;

use super::group::BrokerId;
use crate::env::Instant;
use crate::remoting::ConnId;

/// What an election compares, as the broker last reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BrokerStats {
    /// Last epoch in the broker's epoch file (−1 when unknown).
    pub epoch: i32,
    /// CommitLog max offset (−1 when unknown).
    pub max_offset: i64,
    /// Offset acknowledged by the whole sync-state set (−1 when unknown).
    pub confirm_offset: i64,
    /// Lower wins a tie (`electionPriority`; `i32::MAX` when not given).
    pub election_priority: i32,
}

impl Default for BrokerStats {
    fn default() -> Self {
        BrokerStats {
            epoch: -1,
            max_offset: -1,
            confirm_offset: -1,
            election_priority: i32::MAX,
        }
    }
}

/// One broker's liveness record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveInfo {
    pub cluster_name: String,
    pub address: String,
    pub last_heartbeat: Instant,
    pub timeout: Duration,
    pub stats: BrokerStats,
    /// The connection the last heartbeat came on: where role changes are pushed, and what is
    /// closed when the broker expires.
    pub conn: Option<ConnId>,
}

impl LiveInfo {
    /// RocketMQ's `last + timeout >= now`.
    pub fn is_alive(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.last_heartbeat) <= self.timeout
    }
}

/// Liveness of every broker, keyed by (broker name, broker id).
#[derive(Clone, Debug, Default)]
pub struct Liveness {
    table: BTreeMap<(String, BrokerId), LiveInfo>,
}

impl Liveness {
    /// Records a heartbeat. Stats only move forward: a heartbeat reporting an older
    /// (epoch, maxOffset) than the last one keeps the newer numbers (as RocketMQ does), so a
    /// reordered heartbeat cannot make a broker look staler — or fresher — than it was.
    pub fn beat(&mut self, broker_name: &str, id: BrokerId, info: LiveInfo) {
        let key = (broker_name.to_owned(), id);
        match self.table.get_mut(&key) {
            None => {
                self.table.insert(key, info);
            }
            Some(prev) => {
                let newer = (info.stats.epoch, info.stats.max_offset)
                    > (prev.stats.epoch, prev.stats.max_offset);
                let stats = if newer {
                    info.stats
                } else {
                    BrokerStats {
                        election_priority: info.stats.election_priority,
                        ..prev.stats
                    }
                };
                *prev = LiveInfo { stats, ..info };
            }
        }
    }

    /// Whether `id` of `broker_name` has a record (alive or not yet scanned).
    pub fn contains(&self, broker_name: &str, id: BrokerId) -> bool {
        self.table.contains_key(&(broker_name.to_owned(), id))
    }

    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The record of a broker.
    pub fn get(&self, broker_name: &str, id: BrokerId) -> Option<&LiveInfo> {
        self.table.get(&(broker_name.to_owned(), id))
    }

    /// Whether the broker heartbeated within its timeout.
    pub fn is_alive(&self, broker_name: &str, id: BrokerId, now: Instant) -> bool {
        self.get(broker_name, id).is_some_and(|i| i.is_alive(now))
    }

    /// Removes and returns every record past its timeout, in key order.
    pub fn expire(&mut self, now: Instant) -> Vec<(String, BrokerId, LiveInfo)> {
        let dead: Vec<(String, BrokerId)> = self
            .table
            .iter()
            .filter(|(_, info)| !info.is_alive(now))
            .map(|(key, _)| key.clone())
            .collect();
        dead.into_iter()
            .filter_map(|key| {
                let info = self.table.remove(&key)?;
                Some((key.0, key.1, info))
            })
            .collect()
    }

    /// Removes and returns the records whose heartbeats came on `conn`, in key order.
    pub fn connection_closed(&mut self, conn: ConnId) -> Vec<(String, BrokerId, LiveInfo)> {
        let gone: Vec<(String, BrokerId)> = self
            .table
            .iter()
            .filter(|(_, info)| info.conn == Some(conn))
            .map(|(key, _)| key.clone())
            .collect();
        gone.into_iter()
            .filter_map(|key| {
                let info = self.table.remove(&key)?;
                Some((key.0, key.1, info))
            })
            .collect()
    }
}
