//! The broker's topic configs and their data version. Every change bumps the version (the
//! counter by one, the timestamp to the wall clock, as Java's `DataVersion.nextVersion`), which
//! is how name servers tell a registration with news from a heartbeat.
//!
//! In memory only for now; persistence as `config/topics.json` belongs to the store.

use std::collections::BTreeMap;

use parking_lot::Mutex;

use crate::protocol::body::{DataVersion, TopicConfig, TopicConfigSerializeWrapper};

/// Topic name → config, plus the version. Shared (`&self`), internally locked.
#[derive(Debug)]
pub struct TopicConfigTable {
    inner: Mutex<Inner>,
}

#[derive(Debug)]
struct Inner {
    topics: BTreeMap<String, TopicConfig>,
    version: DataVersion,
}

impl TopicConfigTable {
    /// An empty table whose first version is stamped `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        TopicConfigTable {
            inner: Mutex::new(Inner {
                topics: BTreeMap::new(),
                version: DataVersion::new(now_ms),
            }),
        }
    }

    /// Adds or replaces a topic; bumps the version if anything changed. Returns whether it did.
    pub fn put(&self, config: TopicConfig, now_ms: u64) -> bool {
        let mut inner = self.inner.lock();
        if inner.topics.get(&config.topic_name) == Some(&config) {
            return false;
        }
        inner.topics.insert(config.topic_name.clone(), config);
        inner.version = inner.version.next(now_ms);
        true
    }

    /// Removes a topic; bumps the version if it existed.
    pub fn remove(&self, topic: &str, now_ms: u64) -> bool {
        let mut inner = self.inner.lock();
        let removed = inner.topics.remove(topic).is_some();
        if removed {
            inner.version = inner.version.next(now_ms);
        }
        removed
    }

    /// Replaces the whole table and its version with a master's (a slave's metadata sync).
    /// Returns whether anything changed.
    pub fn replace_all(&self, master: TopicConfigSerializeWrapper) -> bool {
        let mut inner = self.inner.lock();
        if inner.topics == master.topic_config_table && inner.version == master.data_version {
            return false;
        }
        inner.topics = master.topic_config_table;
        inner.version = master.data_version;
        true
    }

    pub fn get(&self, topic: &str) -> Option<TopicConfig> {
        self.inner.lock().topics.get(topic).cloned()
    }

    pub fn data_version(&self) -> DataVersion {
        self.inner.lock().version
    }

    /// The table and its version, consistent with each other.
    pub fn snapshot(&self) -> TopicConfigSerializeWrapper {
        let inner = self.inner.lock();
        TopicConfigSerializeWrapper {
            data_version: inner.version,
            topic_config_table: inner.topics.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_change_and_only_a_change_bumps_the_version() {
        let table = TopicConfigTable::new(100);
        assert_eq!(table.data_version(), DataVersion::new(100));
        assert!(table.put(TopicConfig::new("T"), 200));
        assert!(!table.put(TopicConfig::new("T"), 300));
        assert_eq!(table.data_version().counter, 1);
        assert!(table.remove("T", 400));
        assert!(!table.remove("T", 500));
        let version = table.data_version();
        assert_eq!((version.counter, version.timestamp), (2, 400));
        assert!(table.snapshot().topic_config_table.is_empty());
    }
}
