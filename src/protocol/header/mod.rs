//! Custom ("ext field") headers: typed views of a command's `extFields`.
//!
//! Each header struct uses snake_case domain names in Rust and RocketMQ's exact field names on
//! the wire (§2). Writing renders values as Java's `toString()` does (decimal integers,
//! `true`/`false`) and omits `None`; reading is lenient as the Java broker is (unknown keys
//! ignored, booleans as `true/false/1/0` in any case) but typed: a required field that is
//! missing or unparsable is a `HeaderError`, answered by the caller with a response code.

mod admin;
mod client;
mod controller;
mod field;
mod namesrv;
mod namesrv_admin;
mod offset;
mod pull;
mod query;
mod send;

pub use admin::{CreateTopicHeader, GetConsumeStatsHeader, TopicHeader};
pub use client::{ConsumerGroupHeader, UnregisterClientHeader};
pub use controller::{
    AlterSyncStateSetHeader, AlterSyncStateSetResponseHeader, ApplyBrokerIdHeader,
    ApplyBrokerIdResponseHeader, BrokerGroupHeader, BrokerHeartbeatHeader,
    ControllerMetadataHeader, ElectMasterHeader, ElectMasterResponseHeader, GetNextBrokerIdHeader,
    GetNextBrokerIdResponseHeader, GetReplicaInfoHeader, GetReplicaInfoResponseHeader,
    MasterInfoHeader, NotifyBrokerRoleChangedHeader, RegisterToControllerHeader,
    RegisterToControllerResponseHeader,
};
pub use namesrv::{
    BrokerIdentityHeader, GetRouteInfoHeader, RegisterBrokerHeader, RegisterBrokerResponseHeader,
    UnregisterBrokerHeader,
};
pub use namesrv_admin::{
    perm_count_field, BrokerNameHeader, ClusterHeader, DeleteTopicHeader, KvConfigHeader,
    KvValueHeader, QueryDataVersionHeader, QueryDataVersionResponseHeader,
};
pub use offset::{
    GetMaxOffsetHeader, GetMaxOffsetResponseHeader, GetMinOffsetHeader, GetMinOffsetResponseHeader,
    OffsetResponseHeader, QueryConsumerOffsetHeader, QueryConsumerOffsetResponseHeader,
    UpdateConsumerOffsetHeader,
};
pub use pull::{PullMessageHeader, PullMessageResponseHeader};
pub use query::{
    GetEarliestMsgStoretimeHeader, QueryMessageHeader, QueryMessageResponseHeader,
    SearchOffsetHeader, TimestampResponseHeader, ViewMessageHeader, UNIQUE_KEY_QUERY,
};
pub use send::{SendMessageHeader, SendMessageHeaderV2, SendMessageResponseHeader};

use super::{ExtFields, HeaderError};

/// A typed custom header.
pub trait CommandHeader: Sized {
    /// Writes every present field into `ext` under its wire name.
    fn write(&self, ext: &mut ExtFields);
    /// Reads the header; unknown keys are ignored.
    fn read(ext: &ExtFields) -> Result<Self, HeaderError>;
}
