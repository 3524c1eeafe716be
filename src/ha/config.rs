//! `HaConfig`: the replication knobs, named after RocketMQ's store config keys (§5.2–5.3)
//! with their 4.9.8 defaults, units last.

use std::net::SocketAddr;
use std::path::PathBuf;

use super::protocol::HaProtocol;
use std::time::Duration;

/// The shortest wait of a link loop: a deadline that is due now must still let time pass
/// (in simulation a zero wait would spin without virtual time moving).
pub(crate) const WAIT_MIN: Duration = Duration::from_millis(1);

/// Replication settings of one broker.
#[derive(Clone, Debug)]
pub struct HaConfig {
    /// The protocol the links speak: classic (§5.2) or AutoSwitch (§5.8; Java selects it
    /// with `enableControllerMode`).
    pub protocol: HaProtocol,
    /// `haListenPort`; `None` = `listenPort + 1` (what 4.9.8's BrokerStartup forces). `Some(0)`
    /// binds any free port and publishes it (tests).
    pub listen_port: Option<u16>,
    /// `haMasterAddress`: a slave connects here instead of the address the name servers give.
    pub master_address: Option<SocketAddr>,
    /// `haTransferBatchSize` (32 KiB): the most log bytes in one frame a master sends.
    pub transfer_batch_bytes: usize,
    /// `haSendHeartbeatInterval` (5 s): a slave reports at least this often, a master sends a
    /// heartbeat frame after this long without a transfer.
    pub heartbeat_interval: Duration,
    /// `haHousekeepingInterval` (20 s): a link silent this long is closed (master: no report;
    /// slave: nothing read from the master, as 5.x's DefaultHAClient).
    pub housekeeping_interval: Duration,
    /// How often a slave retries connecting (5 s).
    pub reconnect_interval: Duration,
    /// How long a connect attempt may take.
    pub connect_timeout: Duration,
    /// `haSlaveFallbehindMax` (256 MiB): a SYNC_MASTER waits for slaves only when one is
    /// within this many bytes; otherwise it answers SLAVE_NOT_AVAILABLE at once.
    pub slave_fallbehind_max_bytes: u64,
    /// `slaveTimeout` (3 s): a SYNC_MASTER's wait for a slave ack, then FLUSH_SLAVE_TIMEOUT.
    pub slave_ack_timeout: Duration,
    /// How long a master link waits for new log data before looking again (Java: 100 ms).
    pub transfer_poll: Duration,
    /// The largest frame body a slave accepts (Java's slave read buffer: 4 MiB).
    pub frame_body_bytes_max: usize,
    /// Slave links a master serves at once; more are refused (closed) with a log line.
    pub links_max: usize,
    /// SYNC_MASTER sends waiting for an ack at once, at most; more answer FLUSH_SLAVE_TIMEOUT.
    pub ack_waiters_max: usize,
    /// `allAckInSyncStateSet` (false), AutoSwitch: a SYNC write is acknowledged only when every
    /// member of the sync-state set has it, and (with more than one member) the dispatcher —
    /// hence consumers — sees only data up to the confirm offset, on master and slaves.
    pub all_ack_in_sync_state_set: bool,
    /// `minInSyncReplicas` (1), AutoSwitch: a sync-state set smaller than this answers
    /// IN_SYNC_REPLICAS_NOT_ENOUGH.
    pub min_in_sync_replicas: usize,
    /// `checkSyncStateSetPeriod` (5 s): how often the master proposes a new sync-state set
    /// (the caller's timer; see `Master::begin_sync_state_change`); a slave that catches up
    /// asks for a review at once (`Master::review_wanted`).
    pub check_sync_state_set_period: Duration,
    /// `haMaxTimeSlaveNotCatchup` (15 s): a member not caught up for longer leaves the set.
    pub max_time_slave_not_catchup: Duration,
    /// `syncFromLastFile` (false), AutoSwitch: an empty slave asks to start at the master's
    /// last file instead of its first.
    pub sync_from_last_file: bool,
    /// `asyncLearner` (false), AutoSwitch: this slave never joins the sync-state set.
    pub async_learner: bool,
    /// `brokerId` as sent in the AutoSwitch handshake (the controller-assigned id).
    pub broker_id: i64,
    /// `storePathEpochFile`; `None` = `<store root>/epochFileCheckpoint`.
    pub epoch_file_path: Option<PathBuf>,
    /// How long a master waits for an AutoSwitch handshake, and a slave for its reply.
    pub handshake_timeout: Duration,
}

impl Default for HaConfig {
    fn default() -> Self {
        HaConfig {
            protocol: HaProtocol::Classic,
            listen_port: None,
            master_address: None,
            transfer_batch_bytes: 32 * 1024,
            heartbeat_interval: Duration::from_secs(5),
            housekeeping_interval: Duration::from_secs(20),
            reconnect_interval: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(3),
            slave_fallbehind_max_bytes: 256 * 1024 * 1024,
            slave_ack_timeout: Duration::from_secs(3),
            transfer_poll: Duration::from_millis(100),
            frame_body_bytes_max: 4 * 1024 * 1024,
            links_max: 64,
            ack_waiters_max: 100_000,
            all_ack_in_sync_state_set: false,
            min_in_sync_replicas: 1,
            check_sync_state_set_period: Duration::from_secs(5),
            max_time_slave_not_catchup: Duration::from_secs(15),
            sync_from_last_file: false,
            async_learner: false,
            broker_id: 0,
            epoch_file_path: None,
            handshake_timeout: Duration::from_secs(3),
        }
    }
}
