//! Reads of the route table, and the admin operations on queue permissions and topics.

use std::collections::BTreeMap;

use super::RouteTable;
use crate::env::Instant;
use crate::protocol::body::{perm, ClusterInfo, DataVersion, TopicList, TopicRouteData};

/// The answer to QUERY_DATA_VERSION.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataVersionAnswer {
    /// Whether the broker's version differs from the one it registered (or it is unknown).
    pub changed: bool,
    /// The version the table holds for it, if any.
    pub current: Option<DataVersion>,
}

impl RouteTable {
    /// QUERY_DATA_VERSION at `now`: an unchanged version counts as a registration for
    /// liveness (RocketMQ refreshes the broker's timestamp), a changed one does not.
    pub fn query_data_version(
        &mut self,
        broker_addr: &str,
        version: &DataVersion,
        now: Instant,
    ) -> DataVersionAnswer {
        let changed = self.version_changed(broker_addr, version);
        let live = self.live.get_mut(broker_addr);
        let current = live.as_ref().map(|live| live.data_version);
        if let (false, Some(live)) = (changed, live) {
            live.last_update = now;
        }
        DataVersionAnswer { changed, current }
    }

    /// The route of `topic`, or `None` when no live broker group serves it.
    pub fn route(&self, topic: &str) -> Option<TopicRouteData> {
        let queues = self.topics.get(topic)?;
        let broker_datas: Vec<_> = queues
            .keys()
            .filter_map(|name| self.brokers.get(name).cloned())
            .collect();
        if broker_datas.is_empty() {
            return None;
        }
        let mut filter_server_table = BTreeMap::new();
        for addr in broker_datas.iter().flat_map(|b| b.broker_addrs.values()) {
            if let Some(servers) = self.filter_servers.get(addr) {
                filter_server_table.insert(addr.clone(), servers.clone());
            }
        }
        Some(TopicRouteData {
            broker_datas,
            filter_server_table,
            order_topic_conf: None,
            queue_datas: queues.values().cloned().collect(),
        })
    }

    /// Every broker group and every cluster.
    pub fn cluster_info(&self) -> ClusterInfo {
        ClusterInfo {
            broker_addr_table: self.brokers.clone(),
            cluster_addr_table: self.clusters.clone(),
        }
    }

    /// Every topic.
    pub fn topic_list(&self) -> TopicList {
        TopicList {
            broker_addr: None,
            topic_list: self.topics.keys().cloned().collect(),
        }
    }

    /// Topics with queues on a broker group of `cluster`.
    pub fn topics_by_cluster(&self, cluster: &str) -> TopicList {
        let names = self.clusters.get(cluster);
        let topic_list = self
            .topics
            .iter()
            .filter(|(_, queues)| {
                names.is_some_and(|names| queues.keys().any(|name| names.contains(name)))
            })
            .map(|(topic, _)| topic.clone())
            .collect();
        TopicList {
            broker_addr: None,
            topic_list,
        }
    }

    /// WIPE_WRITE_PERM_OF_BROKER: clears the write bit of every queue of `broker_name`.
    /// Returns how many topics it touched.
    pub fn wipe_write_perm(&mut self, broker_name: &str) -> usize {
        self.update_perm(broker_name, |perm| perm & !perm::WRITE)
    }

    /// ADD_WRITE_PERM_OF_BROKER: sets the write (and read) bit again. Java sets the perm to
    /// exactly READ|WRITE, dropping INHERIT from TBW102; we keep the other bits.
    pub fn add_write_perm(&mut self, broker_name: &str) -> usize {
        self.update_perm(broker_name, |perm| perm | perm::READ | perm::WRITE)
    }

    fn update_perm(&mut self, broker_name: &str, change: impl Fn(i32) -> i32) -> usize {
        let mut touched = 0;
        for queue in self
            .topics
            .values_mut()
            .filter_map(|q| q.get_mut(broker_name))
        {
            queue.perm = change(queue.perm);
            touched += 1;
        }
        touched
    }

    /// DELETE_TOPIC_IN_NAMESRV: forgets `topic`, or (5.x, with `cluster`) only its queues on
    /// that cluster's broker groups. Returns whether anything was removed.
    pub fn delete_topic(&mut self, topic: &str, cluster: Option<&str>) -> bool {
        let Some(cluster) = cluster else {
            return self.topics.remove(topic).is_some();
        };
        let (Some(queues), Some(names)) = (self.topics.get_mut(topic), self.clusters.get(cluster))
        else {
            return false;
        };
        let before = queues.len();
        queues.retain(|name, _| !names.contains(name));
        let removed = queues.len() != before;
        if queues.is_empty() {
            self.topics.remove(topic);
        }
        removed
    }

    /// Numbers of (live broker addresses, broker groups, topics).
    pub fn sizes(&self) -> (usize, usize, usize) {
        (self.live.len(), self.brokers.len(), self.topics.len())
    }
}
