//! The name server's configuration: timeouts of the liveness model and every limit.

use std::path::PathBuf;
use std::time::Duration;

use super::kv_config::KvLimits;
use super::table::TableConfig;
use crate::protocol::body::BodyLimits;
use crate::remoting::RemotingConfig;

/// Everything `namesrv::run` needs besides the environment and the listener.
#[derive(Clone, Debug)]
pub struct NamesrvConfig {
    /// Route table limits and the broker expiry (120 s, RocketMQ's `BROKER_CHANNEL_EXPIRED_TIME`).
    pub table: TableConfig,
    /// How often expired brokers are looked for (RocketMQ 4.9: 10 s). A broker is therefore
    /// removed between `broker_expiry` and `broker_expiry + scan_interval` after its last
    /// registration.
    pub scan_interval: Duration,
    /// Delay of the first scan after start (RocketMQ 4.9: 5 s).
    pub scan_initial_delay: Duration,
    /// Remove a broker as soon as the connection it registered on closes (RocketMQ does).
    pub remove_on_close: bool,
    /// Limits on register bodies.
    pub body_limits: BodyLimits,
    /// Where the KV store lives (RocketMQ: `~/namesrv/kvConfig.json`).
    pub kv_config_path: PathBuf,
    /// Limits on the KV store.
    pub kv_limits: KvLimits,
    /// Put the ORDER_TOPIC_CONFIG entry of a topic into its route (`orderMessageEnable`).
    pub order_message_enable: bool,
    /// Limits of the remoting server.
    pub remoting: RemotingConfig,
}

impl Default for NamesrvConfig {
    fn default() -> Self {
        NamesrvConfig {
            table: TableConfig::default(),
            scan_interval: Duration::from_secs(10),
            scan_initial_delay: Duration::from_secs(5),
            remove_on_close: true,
            body_limits: BodyLimits::default(),
            kv_config_path: PathBuf::from("namesrv/kvConfig.json"),
            kv_limits: KvLimits::default(),
            order_message_enable: false,
            remoting: RemotingConfig::default(),
        }
    }
}
