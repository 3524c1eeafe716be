//! Custom headers of the name server's administrative requests: QUERY_DATA_VERSION, KV
//! config, write permission, topic deletion, topics by cluster. Java field names, lenient
//! reads, typed errors, like the other headers.

use super::field::{opt, put, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

/// QUERY_DATA_VERSION (322): the same fields as UNREGISTER_BROKER.
pub type QueryDataVersionHeader = super::namesrv::BrokerIdentityHeader;

/// QUERY_DATA_VERSION response; the body is the version the name server holds, if any.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueryDataVersionResponseHeader {
    pub changed: bool,
}

impl CommandHeader for QueryDataVersionResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "changed", self.changed);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        let changed = req::<bool>(ext, "changed")?;
        Ok(QueryDataVersionResponseHeader { changed })
    }
}

/// PUT_KV_CONFIG (100), GET_KV_CONFIG (101), DELETE_KV_CONFIG (102); `value` only in puts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvConfigHeader {
    pub namespace: String,
    pub key: String,
    pub value: Option<String>,
}

impl CommandHeader for KvConfigHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "namespace", &self.namespace);
        put(ext, "key", &self.key);
        if let Some(value) = &self.value {
            put(ext, "value", value);
        }
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(KvConfigHeader {
            namespace: req(ext, "namespace")?,
            key: req(ext, "key")?,
            value: opt(ext, "value")?,
        })
    }
}

/// GET_KV_CONFIG response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvValueHeader {
    pub value: String,
}

impl CommandHeader for KvValueHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "value", &self.value);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(KvValueHeader {
            value: req(ext, "value")?,
        })
    }
}

/// WIPE_WRITE_PERM_OF_BROKER (205), ADD_WRITE_PERM_OF_BROKER (327).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerNameHeader {
    pub broker_name: String,
}

impl CommandHeader for BrokerNameHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "brokerName", &self.broker_name);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(BrokerNameHeader {
            broker_name: req(ext, "brokerName")?,
        })
    }
}

/// DELETE_TOPIC_IN_NAMESRV (216); `clusterName` is 5.x.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteTopicHeader {
    pub topic: String,
    pub cluster_name: Option<String>,
}

impl CommandHeader for DeleteTopicHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        if let Some(cluster) = &self.cluster_name {
            put(ext, "clusterName", cluster);
        }
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(DeleteTopicHeader {
            topic: req(ext, "topic")?,
            cluster_name: opt(ext, "clusterName")?,
        })
    }
}

/// GET_TOPICS_BY_CLUSTER (224).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterHeader {
    pub cluster: String,
}

impl CommandHeader for ClusterHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "cluster", &self.cluster);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(ClusterHeader {
            cluster: req(ext, "cluster")?,
        })
    }
}

/// The name of the count field in a write-permission response.
pub fn perm_count_field(wipe: bool) -> &'static str {
    match wipe {
        true => "wipeTopicCount",
        false => "addTopicCount",
    }
}
