//! The controller's configuration: its timeouts (RocketMQ's `ControllerConfig` defaults) and
//! every limit.

use std::path::PathBuf;
use std::time::Duration;

use crate::remoting::RemotingConfig;

/// Bounds on what the controller keeps; over them a request is refused, never stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ControllerLimits {
    /// Broker groups (broker names) known at once.
    pub groups_max: usize,
    /// Replicas of one group (also the largest sync-state set accepted).
    pub replicas_per_group_max: usize,
    /// Brokers with liveness records at once (heartbeats from unknown groups count too).
    pub live_brokers_max: usize,
    /// Bytes of a cluster name, broker name, address or check code.
    pub name_bytes_max: usize,
    /// Broker names one GET_SYNC_STATE_DATA may ask about.
    pub names_per_query_max: usize,
}

impl Default for ControllerLimits {
    fn default() -> Self {
        ControllerLimits {
            groups_max: 4096,
            replicas_per_group_max: 64,
            live_brokers_max: 65_536,
            name_bytes_max: 512,
            names_per_query_max: 4096,
        }
    }
}

/// Everything `controller::run` needs besides the environment and the listener.
#[derive(Clone, Debug)]
pub struct ControllerConfig {
    /// A broker with no heartbeat for this long is inactive, unless its heartbeat names its
    /// own timeout (`heartbeatTimeoutMills`); RocketMQ: 10 s (`controllerHeartBeatTimeoutMills`
    /// on the broker side).
    pub heartbeat_timeout: Duration,
    /// How often inactive brokers are looked for (`scanNotActiveBrokerInterval`, 5 s). An
    /// inactive master is therefore replaced within `heartbeat_timeout + scan_interval`, or at
    /// once when its connection closes.
    pub scan_interval: Duration,
    /// May an election fall back to replicas outside the sync-state set (and lose data)?
    /// `enableElectUncleanMaster`, false.
    pub enable_elect_unclean_master: bool,
    /// Push NOTIFY_BROKER_ROLE_CHANGED after an election (`notifyBrokerRoleChanged`, true).
    pub notify_broker_role_changed: bool,
    /// Where the group table is persisted (RocketMQ keeps it in the Raft log under
    /// `controllerStorePath`; a single node keeps a snapshot file).
    pub store_path: PathBuf,
    /// Limits.
    pub limits: ControllerLimits,
    /// Limits of the remoting server.
    pub remoting: RemotingConfig,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            heartbeat_timeout: Duration::from_secs(10),
            scan_interval: Duration::from_secs(5),
            enable_elect_unclean_master: false,
            notify_broker_role_changed: true,
            store_path: PathBuf::from("controller/groups.json"),
            limits: ControllerLimits::default(),
            remoting: RemotingConfig::default(),
        }
    }
}
