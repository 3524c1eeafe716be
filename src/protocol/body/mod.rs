//! JSON bodies of the name-server conversation (§2.4, §2.5, §4.9): what brokers register, what
//! clients and the admin tool read back.
//!
//! Writing follows fastjson: keys in alphabetical order (struct fields are declared in that
//! order, maps are `BTreeMap`s), `null` fields omitted. Two styles exist for bodies that hold
//! maps keyed by integers (a broker's addresses by broker id), chosen per request by
//! [`JsonStyle::for_request`]: standard JSON (`{"0":"addr"}`) and fastjson's default output
//! with the key unquoted (`{0:"addr"}`), which pre-4.9.4 Java clients get.
//!
//! Reading is lenient where real peers differ (unquoted integer keys anywhere, the pre-4.9.0
//! `topicSynFlag` spelling, unknown keys ignored) and strict about limits: every decoder takes
//! [`BodyLimits`] and rejects what is over them with a typed [`BodyError`] before building it.

mod cluster_info;
mod consumer_list;
pub mod controller;
mod data_version;
mod error;
pub mod fastjson;
mod kv_table;
mod lock_batch;
mod register_broker;
mod route;
mod stats;
mod topic_config;
mod topic_config_wrapper;
mod topic_list;

pub use cluster_info::ClusterInfo;
pub use consumer_list::ConsumerListBody;
pub use data_version::DataVersion;
pub use error::BodyError;
pub use kv_table::KvTable;
pub use lock_batch::{LockBatchBody, LockBatchResponseBody, MessageQueue};
pub use register_broker::RegisterBrokerBody;
pub use route::{BrokerData, QueueData, TopicRouteData, MASTER_ID};
pub use stats::{ConsumeStats, OffsetWrapper, TopicOffset, TopicStatsTable};
pub use topic_config::{perm, TopicConfig, TopicFilterType};
pub use topic_config_wrapper::TopicConfigSerializeWrapper;
pub use topic_list::TopicList;

/// Which JSON dialect to answer a request with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonStyle {
    /// Standard JSON: integer map keys quoted. 4.9.4+ clients (`version` ≥ 401) and anyone
    /// asking with `acceptStandardJsonOnly`.
    Standard,
    /// fastjson's default output: integer map keys unquoted. Older (or unversioned) clients.
    Fastjson,
}

/// `MQVersion` ordinal of 4.9.4, the first client that is answered standard JSON.
pub const VERSION_STANDARD_JSON_MIN: i32 = 401;

impl JsonStyle {
    /// The style a 4.9.8 name server uses for a request from a client of `version` (an
    /// `MQVersion` ordinal; 0 when a third-party client leaves it out, which counts as old).
    pub fn for_request(version: i32, accept_standard_json_only: bool) -> JsonStyle {
        if accept_standard_json_only || version >= VERSION_STANDARD_JSON_MIN {
            JsonStyle::Standard
        } else {
            JsonStyle::Fastjson
        }
    }
}

/// Limits applied while decoding bodies.
#[derive(Clone, Copy, Debug)]
pub struct BodyLimits {
    /// Largest body accepted, compressed or not.
    pub body_bytes_max: usize,
    /// Largest inflated size of a compressed body (a zip bomb stops here).
    pub inflated_bytes_max: usize,
    /// Most topic configs in one body.
    pub topics_max: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        BodyLimits {
            body_bytes_max: 8 * 1024 * 1024,
            inflated_bytes_max: 32 * 1024 * 1024,
            topics_max: 65_536,
        }
    }
}
