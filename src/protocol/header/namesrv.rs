//! Name server headers (§2.4, §2.5): broker registration and route queries.

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

/// REGISTER_BROKER (103). The body is the topic config wrapper (JSON, or zlib when compressed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterBrokerHeader {
    pub broker_name: String,
    /// `brokerIP1:listenPort`, what clients connect to.
    pub broker_addr: String,
    pub cluster_name: String,
    /// `brokerIP2:haListenPort`.
    pub ha_server_addr: String,
    /// 0 = master.
    pub broker_id: i64,
    pub compressed: bool,
    /// CRC32 of the body; 0 = not checked. Written as Java's signed int.
    pub body_crc32: u32,
    /// 5.x.
    pub heartbeat_timeout_ms: Option<i64>,
    /// 5.x.
    pub enable_acting_master: Option<bool>,
}

impl CommandHeader for RegisterBrokerHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "brokerName", &self.broker_name);
        put(ext, "brokerAddr", &self.broker_addr);
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "haServerAddr", &self.ha_server_addr);
        put(ext, "brokerId", self.broker_id);
        put(ext, "compressed", self.compressed);
        // Java's CRC field is an Integer: the same 32 bits, printed signed.
        put(ext, "bodyCrc32", self.body_crc32 as i32);
        put_opt(ext, "heartbeatTimeoutMillis", self.heartbeat_timeout_ms);
        put_opt(ext, "enableActingMaster", self.enable_acting_master);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(RegisterBrokerHeader {
            broker_name: req(ext, "brokerName")?,
            broker_addr: req(ext, "brokerAddr")?,
            cluster_name: req(ext, "clusterName")?,
            ha_server_addr: req(ext, "haServerAddr")?,
            broker_id: req(ext, "brokerId")?,
            compressed: opt(ext, "compressed")?.unwrap_or(false),
            body_crc32: opt(ext, "bodyCrc32")?.unwrap_or(0),
            heartbeat_timeout_ms: opt(ext, "heartbeatTimeoutMillis")?,
            enable_acting_master: opt(ext, "enableActingMaster")?,
        })
    }
}

/// REGISTER_BROKER response: how a slave learns its master.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegisterBrokerResponseHeader {
    pub ha_server_addr: Option<String>,
    pub master_addr: Option<String>,
}

impl CommandHeader for RegisterBrokerResponseHeader {
    fn write(&self, ext: &mut ExtFields) {
        put_opt(ext, "haServerAddr", self.ha_server_addr.as_ref());
        put_opt(ext, "masterAddr", self.master_addr.as_ref());
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(RegisterBrokerResponseHeader {
            ha_server_addr: opt(ext, "haServerAddr")?,
            master_addr: opt(ext, "masterAddr")?,
        })
    }
}

/// Who a broker is: the header of UNREGISTER_BROKER (104) and QUERY_DATA_VERSION (322).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrokerIdentityHeader {
    pub broker_name: String,
    pub broker_addr: String,
    pub cluster_name: String,
    pub broker_id: i64,
}

/// UNREGISTER_BROKER (104).
pub type UnregisterBrokerHeader = BrokerIdentityHeader;

impl CommandHeader for BrokerIdentityHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "brokerName", &self.broker_name);
        put(ext, "brokerAddr", &self.broker_addr);
        put(ext, "clusterName", &self.cluster_name);
        put(ext, "brokerId", self.broker_id);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(BrokerIdentityHeader {
            broker_name: req(ext, "brokerName")?,
            broker_addr: req(ext, "brokerAddr")?,
            cluster_name: req(ext, "clusterName")?,
            broker_id: req(ext, "brokerId")?,
        })
    }
}

/// GET_ROUTEINFO_BY_TOPIC (105).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetRouteInfoHeader {
    pub topic: String,
    /// 5.x: answer standard JSON whatever the client's version.
    pub accept_standard_json_only: Option<bool>,
}

impl CommandHeader for GetRouteInfoHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        put_opt(
            ext,
            "acceptStandardJsonOnly",
            self.accept_standard_json_only,
        );
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(GetRouteInfoHeader {
            topic: req(ext, "topic")?,
            accept_standard_json_only: opt(ext, "acceptStandardJsonOnly")?,
        })
    }
}
