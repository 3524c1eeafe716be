//! The route table: the name server's whole state apart from the KV store, as a plain
//! struct with no I/O, no clock and no tasks (the driver passes `now` and connection ids in).
//!
//! What it holds (RocketMQ's `RouteInfoManager`, §2.4):
//! * `topics`: topic → broker name → queue data (queues and permission of that group);
//! * `brokers`: broker name → cluster and addresses by broker id (0 = master);
//! * `clusters`: cluster → broker names;
//! * `live`: broker address → when it last registered (monotonic), its data version, HA
//!   address and the connection it registered on;
//! * `filter_servers`: broker address → filter server addresses.
//!
//! Invariants (checked by `check_invariants` in tests after every event):
//! * every name in `clusters` has a `brokers` entry with at least one address, and every
//!   `brokers` entry is listed under its cluster;
//! * every broker name in `topics` is in `brokers`, and no topic has an empty queue map;
//! * every address in `live` appears in some `brokers` entry;
//! * sizes: at most `brokers_max` live addresses, at most `topics_max` topics. A registration
//!   that would break a limit or carries an empty name changes nothing.
//!
//! Semantics kept from RocketMQ 4.9: topic configs are applied only from a master, and only
//! when its data version differs from the one it last registered (or it is new); topics a
//! broker stops declaring stay until its whole group disappears or an admin deletes them; a
//! group's topics disappear with its last address. Liveness: a broker is dropped when its
//! last registration (or unchanged QUERY_DATA_VERSION) is older than `broker_expiry`, or when
//! the connection it registered on closes. Deliberate differences, each safer: unregistering
//! removes an id only if it still maps to the address being unregistered; a closed connection
//! removes only brokers that registered on it (Java falls back to the peer address).

mod query;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::env::Instant;
use crate::protocol::body::{
    BrokerData, DataVersion, QueueData, TopicConfigSerializeWrapper, MASTER_ID,
};
use crate::remoting::ConnId;

pub use query::DataVersionAnswer;

/// Limits and timeouts of the table.
#[derive(Clone, Debug)]
pub struct TableConfig {
    /// A broker whose last registration is older than this is removed by `expire`.
    pub broker_expiry: Duration,
    /// Most live broker addresses.
    pub brokers_max: usize,
    /// Most topics.
    pub topics_max: usize,
}

impl Default for TableConfig {
    fn default() -> Self {
        TableConfig {
            broker_expiry: Duration::from_secs(120),
            brokers_max: 4096,
            topics_max: 1_000_000,
        }
    }
}

/// What the table knows about a registered broker address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerLive {
    /// Monotonic time of the last registration or unchanged data-version query.
    pub last_update: Instant,
    pub data_version: DataVersion,
    pub ha_server_addr: String,
    /// The connection it last registered on.
    pub conn: ConnId,
}

/// One REGISTER_BROKER, decoded.
#[derive(Clone, Debug)]
pub struct Registration {
    pub cluster: String,
    pub broker_name: String,
    pub broker_addr: String,
    pub broker_id: i64,
    pub ha_server_addr: String,
    pub topics: TopicConfigSerializeWrapper,
    pub filter_servers: Vec<String>,
    pub conn: ConnId,
}

/// What a registration tells the broker.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registered {
    /// For a slave: its master's address, when the master is registered.
    pub master_addr: Option<String>,
    /// For a slave: the master's HA address.
    pub master_ha_addr: Option<String>,
    /// Whether the topic configs were (re)applied.
    pub topics_applied: bool,
}

/// A broker address removed by expiry or a closed connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removed {
    pub broker_addr: String,
    pub conn: ConnId,
}

/// Why the table refused a change.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("{limit} brokers are registered already (the limit)")]
    TooManyBrokers { limit: usize },
    #[error("registering would exceed {limit} topics (the limit)")]
    TooManyTopics { limit: usize },
    #[error("{field} is empty")]
    Empty { field: &'static str },
    #[error("brokerId {0} is negative")]
    NegativeBrokerId(i64),
}

/// The name server's routes. See the module docs.
#[derive(Debug, Default)]
pub struct RouteTable {
    config: TableConfig,
    topics: BTreeMap<String, BTreeMap<String, QueueData>>,
    brokers: BTreeMap<String, BrokerData>,
    clusters: BTreeMap<String, BTreeSet<String>>,
    live: BTreeMap<String, BrokerLive>,
    filter_servers: BTreeMap<String, Vec<String>>,
}

impl RouteTable {
    pub fn new(config: TableConfig) -> Self {
        RouteTable {
            config,
            ..RouteTable::default()
        }
    }

    /// The liveness record of `broker_addr`.
    pub fn live(&self, broker_addr: &str) -> Option<&BrokerLive> {
        self.live.get(broker_addr)
    }

    /// Registers (or refreshes) a broker at `now`.
    pub fn register(&mut self, reg: Registration, now: Instant) -> Result<Registered, TableError> {
        self.check_registration(&reg)?;
        let Registration {
            cluster,
            broker_name,
            broker_addr,
            broker_id,
            ha_server_addr,
            topics,
            filter_servers,
            conn,
        } = reg;
        self.clusters
            .entry(cluster.clone())
            .or_default()
            .insert(broker_name.clone());
        let group = self
            .brokers
            .entry(broker_name.clone())
            .or_insert_with(|| BrokerData::new(cluster, broker_name.clone()));
        // One address has one id: a slave promoted to master re-registers under id 0.
        group
            .broker_addrs
            .retain(|&id, addr| id == broker_id || *addr != broker_addr);
        let previous = group.broker_addrs.insert(broker_id, broker_addr.clone());
        let first = previous.as_deref() != Some(broker_addr.as_str());
        let apply = broker_id == MASTER_ID
            && (first || self.version_changed(&broker_addr, &topics.data_version));
        if apply {
            for config in topics.topic_config_table.values() {
                let queue = QueueData {
                    broker_name: broker_name.clone(),
                    perm: config.perm,
                    read_queue_nums: config.read_queue_nums,
                    topic_sys_flag: config.topic_sys_flag,
                    write_queue_nums: config.write_queue_nums,
                };
                let queues = self.topics.entry(config.topic_name.clone()).or_default();
                queues.insert(broker_name.clone(), queue);
            }
        }
        let live = BrokerLive {
            last_update: now,
            data_version: topics.data_version,
            ha_server_addr,
            conn,
        };
        self.live.insert(broker_addr.clone(), live);
        match filter_servers.is_empty() {
            true => self.filter_servers.remove(&broker_addr),
            false => self.filter_servers.insert(broker_addr, filter_servers),
        };
        let mut registered = self.master_of(&broker_name, broker_id);
        registered.topics_applied = apply;
        Ok(registered)
    }

    /// Rejects, before anything changes, a registration that is malformed or over a limit.
    fn check_registration(&self, reg: &Registration) -> Result<(), TableError> {
        for (field, value) in [
            ("clusterName", &reg.cluster),
            ("brokerName", &reg.broker_name),
            ("brokerAddr", &reg.broker_addr),
        ] {
            if value.is_empty() {
                return Err(TableError::Empty { field });
            }
        }
        if reg.broker_id < 0 {
            return Err(TableError::NegativeBrokerId(reg.broker_id));
        }
        let limit = self.config.brokers_max;
        if !self.live.contains_key(&reg.broker_addr) && self.live.len() >= limit {
            return Err(TableError::TooManyBrokers { limit });
        }
        if reg.broker_id == MASTER_ID {
            let new_topics = reg
                .topics
                .topic_config_table
                .keys()
                .filter(|topic| !self.topics.contains_key(*topic))
                .count();
            let limit = self.config.topics_max;
            if self.topics.len().saturating_add(new_topics) > limit {
                return Err(TableError::TooManyTopics { limit });
            }
        }
        Ok(())
    }

    fn version_changed(&self, broker_addr: &str, version: &DataVersion) -> bool {
        self.live
            .get(broker_addr)
            .is_none_or(|live| live.data_version != *version)
    }

    /// For a slave: where its master is.
    fn master_of(&self, broker_name: &str, broker_id: i64) -> Registered {
        if broker_id == MASTER_ID {
            return Registered::default();
        }
        let master = self
            .brokers
            .get(broker_name)
            .and_then(|group| group.master_addr());
        match master {
            Some(master) => Registered {
                master_addr: Some(master.to_string()),
                master_ha_addr: self.live.get(master).map(|l| l.ha_server_addr.clone()),
                topics_applied: false,
            },
            None => Registered::default(),
        }
    }

    /// UNREGISTER_BROKER: removes `broker_addr` under `broker_id` of `broker_name`. Returns
    /// whether anything was removed.
    pub fn unregister(&mut self, broker_name: &str, broker_addr: &str, broker_id: i64) -> bool {
        let was_live = self.live.remove(broker_addr).is_some();
        self.filter_servers.remove(broker_addr);
        let Some(group) = self.brokers.get_mut(broker_name) else {
            return was_live;
        };
        let matches = group.broker_addrs.get(&broker_id).map(String::as_str) == Some(broker_addr);
        if matches {
            group.broker_addrs.remove(&broker_id);
        }
        if group.broker_addrs.is_empty() {
            self.remove_group(broker_name);
        }
        was_live || matches
    }

    /// Removes every trace of `broker_addr` (expiry, closed connection).
    fn remove_addr(&mut self, broker_addr: &str) {
        self.live.remove(broker_addr);
        self.filter_servers.remove(broker_addr);
        let mut emptied = Vec::new();
        for (name, group) in &mut self.brokers {
            group.broker_addrs.retain(|_, addr| addr != broker_addr);
            if group.broker_addrs.is_empty() {
                emptied.push(name.clone());
            }
        }
        for name in emptied {
            self.remove_group(&name);
        }
    }

    /// Drops a broker group that has no address left, its cluster entry and its queues.
    fn remove_group(&mut self, broker_name: &str) {
        let Some(group) = self.brokers.remove(broker_name) else {
            return;
        };
        if let Some(names) = self.clusters.get_mut(&group.cluster) {
            names.remove(broker_name);
            if names.is_empty() {
                self.clusters.remove(&group.cluster);
            }
        }
        self.topics.retain(|_, queues| {
            queues.remove(broker_name);
            !queues.is_empty()
        });
    }

    /// Removes every broker whose last registration is older than the expiry at `now`
    /// (strictly older, as RocketMQ's `last + 120 s < now`). The driver closes their
    /// connections.
    pub fn expire(&mut self, now: Instant) -> Vec<Removed> {
        let expiry = self.config.broker_expiry;
        let stale: Vec<Removed> = self
            .live
            .iter()
            .filter(|(_, live)| live.last_update + expiry < now)
            .map(|(addr, live)| Removed {
                broker_addr: addr.clone(),
                conn: live.conn,
            })
            .collect();
        for removed in &stale {
            self.remove_addr(&removed.broker_addr);
        }
        stale
    }

    /// Removes every broker that registered on connection `conn`, which has closed.
    pub fn connection_closed(&mut self, conn: ConnId) -> Vec<Removed> {
        let gone: Vec<Removed> = self
            .live
            .iter()
            .filter(|(_, live)| live.conn == conn)
            .map(|(addr, _)| Removed {
                broker_addr: addr.clone(),
                conn,
            })
            .collect();
        for removed in &gone {
            self.remove_addr(&removed.broker_addr);
        }
        gone
    }
}
