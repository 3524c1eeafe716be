//! `broker.conf` → `BrokerConfig` (with its `StoreConfig`), keys and defaults of RocketMQ
//! 4.9.8 (§7.1). Legacy spellings are accepted (`mapedFileSizeCommitLog`,
//! `mapedFileSizeConsumeQueue`: 4.5.1 and older; 4.9 ignores them silently). Keys of
//! features this implementation does not have yet are accepted with a warning naming them.
//!
//! Replication keys (§5.1–5.5): `haListenPort` (listenPort + 1 when absent), `haMasterAddress`,
//! `haSendHeartbeatInterval`, `haHousekeepingInterval`, `haTransferBatchSize`,
//! `haSlaveFallbehindMax`, `slaveTimeout`, `slaveReadEnable`, `accessMessageInMemoryMaxRatio`,
//! and rocketsim's own `totalPhysicalMemoryBytes` (what Java reads from the OS).
//!
//! Controller mode (§5.8): `enableControllerMode`, `controllerAddr`, `allAckInSyncStateSet`,
//! `brokerElectionPriority`, `brokerHeartbeatInterval`, `controllerHeartBeatTimeoutMills`,
//! `syncBrokerMetadataPeriod`, `checkSyncStateSetPeriod`, `haMaxTimeSlaveNotCatchup`; the
//! role then comes from the controller and `brokerId` (> 0, required) is the replica's id.
//!
//! Checks after all keys: a SLAVE needs `brokerId` > 0 (error); a master's `brokerId` is
//! forced to 0 as Java's `BrokerStartup` does (warning when it said otherwise).

use super::value::{addresses, boolean, int, ip, millis, text, unsigned};
use super::{ConfError, Entry, Loaded, Reason, Resolve, Warning};
use crate::broker::{BrokerConfig, BrokerRole};
use crate::store::FlushMode;
use std::path::PathBuf;

/// Size of a consume-queue entry: `mappedFileSizeConsumeQueue` is in bytes.
const CQ_ENTRY_BYTES: u64 = 20;
const GIB: u64 = 1 << 30;

/// Keys Java reads that have no effect here (yet), with what is missing.
const WITHOUT_EFFECT: &[(&str, &str)] = &[
    ("brokerIP2", "the HA address is brokerIP1:haListenPort"),
    ("messageDelayLevel", "delayed delivery is not implemented"),
    ("transactionTimeOut", "transactions are not implemented"),
    ("transactionCheckMax", "transactions are not implemented"),
    (
        "transactionCheckInterval",
        "transactions are not implemented",
    ),
    ("enablePropertyFilter", "SQL92 filtering is not implemented"),
    ("aclEnable", "ACL is not implemented"),
    ("enableDLegerCommitLog", "DLedger is not implemented"),
    ("dLegerGroup", "DLedger is not implemented"),
    ("dLegerPeers", "DLedger is not implemented"),
    ("dLegerSelfId", "DLedger is not implemented"),
    (
        "transientStorePoolEnable",
        "the transient store pool is not implemented",
    ),
    (
        "transientStorePoolSize",
        "the transient store pool is not implemented",
    ),
    (
        "commitIntervalCommitLog",
        "the transient store pool is not implemented",
    ),
    (
        "commitCommitLogLeastPages",
        "the transient store pool is not implemented",
    ),
    (
        "storePathCommitLog",
        "the CommitLog is always <storePathRootDir>/commitlog",
    ),
    ("autoCreateSubscriptionGroup", "groups are always accepted"),
    ("messageIndexEnable", "the index is always kept"),
    ("messageIndexSafe", "the index is always kept"),
    (
        "osPageCacheBusyTimeOutMills",
        "page-cache busy is not measured",
    ),
    (
        "cleanFileForciblyEnable",
        "forced cleaning follows diskSpaceCleanForciblyRatio",
    ),
    (
        "deleteCommitLogFilesInterval",
        "segments are deleted per round, not on a timer",
    ),
    (
        "destroyMapedFileIntervalForcibly",
        "segments are deleted per round, not on a timer",
    ),
    (
        "redeleteHangedFileInterval",
        "segments are deleted per round, not on a timer",
    ),
    (
        "pullMessageThreadPoolNums",
        "pulls run on the async runtime",
    ),
    (
        "fetchNamesrvAddrByAddressServer",
        "the address server is not implemented",
    ),
];

/// Applies `entries` (in order; a repeated key: the last wins) on top of `defaults`.
pub fn broker_config(
    entries: &[Entry],
    defaults: BrokerConfig,
    resolve: Resolve<'_>,
) -> Result<Loaded<BrokerConfig>, ConfError> {
    let mut config = defaults;
    let mut warnings = Vec::new();
    let mut id_line = None;
    let mut role_line = None;
    for entry in entries {
        let error = |reason| ConfError {
            line: entry.line,
            key: entry.key.clone(),
            value: entry.value.clone(),
            reason,
        };
        let mut warn = |message: String| {
            warnings.push(Warning {
                line: entry.line,
                key: entry.key.clone(),
                message,
            })
        };
        match apply(&mut config, &entry.key, &entry.value, resolve) {
            Ok(Applied::Set) => {}
            Ok(Applied::Legacy(now)) => warn(format!("old spelling of {now}; applied")),
            Ok(Applied::WithoutEffect(why)) => warn(format!("accepted without effect: {why}")),
            Ok(Applied::Unknown) => warn("unknown key, ignored".into()),
            Err(reason) => return Err(error(reason)),
        }
        match entry.key.as_str() {
            "brokerId" => id_line = Some(entry),
            "brokerRole" => role_line = Some(entry),
            _ => {}
        }
    }
    if config.controller.enabled {
        // The controller decides the role; the id is this replica's controller id.
        if config.broker_id <= 0 {
            return Err(ConfError {
                line: id_line.map_or(0, |e| e.line),
                key: "brokerId".into(),
                value: config.broker_id.to_string(),
                reason: Reason::Invalid("controller mode needs a fixed brokerId greater than 0"),
            });
        }
        return Ok(Loaded { config, warnings });
    }
    match config.broker_role {
        BrokerRole::Slave if config.broker_id <= 0 => {
            let entry = id_line.or(role_line);
            return Err(ConfError {
                line: entry.map_or(0, |e| e.line),
                key: "brokerId".into(),
                value: config.broker_id.to_string(),
                reason: Reason::Invalid("a SLAVE needs a brokerId greater than 0"),
            });
        }
        BrokerRole::AsyncMaster | BrokerRole::SyncMaster if config.broker_id != 0 => {
            warnings.push(Warning {
                line: id_line.map_or(0, |e| e.line),
                key: "brokerId".into(),
                message: format!(
                    "a {} is always brokerId 0; {} replaced",
                    config.broker_role.name(),
                    config.broker_id
                ),
            });
            config.broker_id = 0;
        }
        _ => {}
    }
    Ok(Loaded { config, warnings })
}

/// The effective configuration as `broker.conf` pairs (`mqbroker -p`).
pub fn describe_broker(c: &BrokerConfig) -> Vec<(&'static str, String)> {
    let s = c.store_config();
    let r = &c.registration;
    let ms = |d: std::time::Duration| d.as_millis().to_string();
    let flush = match c.flush_disk_type {
        FlushMode::Async => "ASYNC_FLUSH",
        FlushMode::Sync => "SYNC_FLUSH",
    };
    let namesrv: Vec<String> = c.namesrv_addr.iter().map(|a| a.to_string()).collect();
    let hours: Vec<String> = s
        .delete_when_hours
        .iter()
        .map(|h| format!("{h:02}"))
        .collect();
    vec![
        ("brokerClusterName", c.broker_cluster_name.clone()),
        ("brokerName", c.broker_name.clone()),
        ("brokerId", c.broker_id.to_string()),
        ("brokerRole", c.broker_role.name().to_string()),
        ("brokerIP1", c.broker_ip1.to_string()),
        ("listenPort", c.listen_port.to_string()),
        ("namesrvAddr", namesrv.join(";")),
        ("storePathRootDir", s.root.display().to_string()),
        ("flushDiskType", flush.to_string()),
        (
            "autoCreateTopicEnable",
            c.auto_create_topic_enable.to_string(),
        ),
        (
            "defaultTopicQueueNums",
            c.default_topic_queue_nums.to_string(),
        ),
        ("brokerPermission", c.broker_permission.to_string()),
        ("maxMessageSize", c.max_message_size.to_string()),
        (
            "mappedFileSizeCommitLog",
            s.commitlog_segment_bytes.to_string(),
        ),
        (
            "mappedFileSizeConsumeQueue",
            (s.consume_queue_entries_per_segment * CQ_ENTRY_BYTES).to_string(),
        ),
        ("flushIntervalCommitLog", s.flush_interval_ms.to_string()),
        ("flushCommitLogLeastPages", s.flush_least_pages.to_string()),
        ("syncFlushTimeout", s.sync_flush_timeout_ms.to_string()),
        (
            "fileReservedTime",
            (s.file_reserved_time_ms / 3_600_000).to_string(),
        ),
        ("deleteWhen", hours.join(";")),
        (
            "diskMaxUsedSpaceRatio",
            s.disk_max_used_ratio_pct.to_string(),
        ),
        ("longPollingEnable", c.long_polling_enable.to_string()),
        (
            "flushConsumerOffsetInterval",
            ms(c.flush_consumer_offset_interval),
        ),
        ("sendMessageThreadPoolNums", c.send_threads.to_string()),
        ("waitTimeMillsInSendQueue", ms(c.wait_time_in_send_queue)),
        ("registerNameServerPeriod", ms(r.period)),
        ("forceRegister", r.force_register.to_string()),
        ("compressedRegister", r.compressed.to_string()),
        ("haListenPort", c.ha_listen_port().to_string()),
        (
            "haMasterAddress",
            c.ha.master_address
                .map(|a| a.to_string())
                .unwrap_or_default(),
        ),
        ("haSendHeartbeatInterval", ms(c.ha.heartbeat_interval)),
        ("haHousekeepingInterval", ms(c.ha.housekeeping_interval)),
        ("haTransferBatchSize", c.ha.transfer_batch_bytes.to_string()),
        (
            "haSlaveFallbehindMax",
            c.ha.slave_fallbehind_max_bytes.to_string(),
        ),
        ("slaveTimeout", ms(c.ha.slave_ack_timeout)),
        ("slaveReadEnable", c.slave_read_enable.to_string()),
        (
            "accessMessageInMemoryMaxRatio",
            c.access_message_in_memory_max_ratio_pct.to_string(),
        ),
        (
            "totalPhysicalMemoryBytes",
            c.total_physical_memory_bytes.to_string(),
        ),
        ("enableControllerMode", c.controller.enabled.to_string()),
        (
            "controllerAddr",
            (c.controller.controller_addrs.iter())
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(";"),
        ),
        (
            "allAckInSyncStateSet",
            c.controller.all_ack_in_sync_state_set.to_string(),
        ),
        (
            "brokerElectionPriority",
            c.controller.election_priority.to_string(),
        ),
        (
            "checkSyncStateSetPeriod",
            ms(c.controller.check_sync_state_set_period),
        ),
        (
            "haMaxTimeSlaveNotCatchup",
            ms(c.controller.max_time_slave_not_catchup),
        ),
    ]
}

enum Applied {
    Set,
    /// Applied under its current name.
    Legacy(&'static str),
    WithoutEffect(&'static str),
    Unknown,
}

fn apply(
    c: &mut BrokerConfig,
    key: &str,
    value: &str,
    resolve: Resolve<'_>,
) -> Result<Applied, Reason> {
    let s = &mut c.store;
    let r = &mut c.registration;
    match key {
        "brokerClusterName" => c.broker_cluster_name = text(value)?,
        "brokerName" => c.broker_name = text(value)?,
        "brokerId" => c.broker_id = int(value, 0, i64::from(u16::MAX))?,
        "brokerRole" => {
            c.broker_role = match value.trim() {
                "ASYNC_MASTER" => BrokerRole::AsyncMaster,
                "SYNC_MASTER" => BrokerRole::SyncMaster,
                "SLAVE" => BrokerRole::Slave,
                _ => {
                    let allowed = "ASYNC_MASTER, SYNC_MASTER, SLAVE";
                    return Err(Reason::NotOneOf { allowed });
                }
            }
        }
        "brokerIP1" => c.broker_ip1 = ip(value)?,
        "listenPort" => c.listen_port = int(value, 1, 65_533)? as u16,
        "namesrvAddr" => c.namesrv_addr = addresses(value, resolve)?,
        "autoCreateTopicEnable" => c.auto_create_topic_enable = boolean(value)?,
        "defaultTopicQueueNums" => c.default_topic_queue_nums = int(value, 1, 1024)? as i32,
        "flushDiskType" => {
            c.flush_disk_type = match value.trim() {
                "ASYNC_FLUSH" => FlushMode::Async,
                "SYNC_FLUSH" => FlushMode::Sync,
                _ => {
                    let allowed = "ASYNC_FLUSH, SYNC_FLUSH";
                    return Err(Reason::NotOneOf { allowed });
                }
            }
        }
        "brokerPermission" => c.broker_permission = int(value, 0, 7)? as i32,
        "storePathRootDir" => s.root = PathBuf::from(text(value)?),
        "maxMessageSize" => c.max_message_size = int(value, 1, 64 << 20)? as usize,
        "regionId" => c.region_id = text(value)?,
        "traceOn" => c.trace_on = boolean(value)?,
        "longPollingEnable" => c.long_polling_enable = boolean(value)?,
        "shortPollingTimeMills" => c.short_polling_time = millis(value, 0, 60_000)?,
        "flushConsumerOffsetInterval" => {
            c.flush_consumer_offset_interval = millis(value, 100, 3_600_000)?;
            s.metadata_persist_interval_ms = c.flush_consumer_offset_interval.as_millis() as u64;
        }
        "waitTimeMillsInSendQueue" => c.wait_time_in_send_queue = millis(value, 1, 60_000)?,
        "sendMessageThreadPoolNums" => c.send_threads = int(value, 1, 1024)? as usize,
        "sendThreadPoolQueueCapacity" => c.send_queue_capacity = int(value, 1, 1 << 20)? as usize,
        "registerNameServerPeriod" => r.period = millis(value, 1_000, 600_000)?,
        "registerBrokerTimeoutMills" => r.call_timeout = millis(value, 100, 60_000)?,
        "forceRegister" => r.force_register = boolean(value)?,
        "compressedRegister" => r.compressed = boolean(value)?,
        "mappedFileSizeCommitLog" => s.commitlog_segment_bytes = unsigned(value, 4096, 16 * GIB)?,
        "mapedFileSizeCommitLog" => {
            s.commitlog_segment_bytes = unsigned(value, 4096, 16 * GIB)?;
            return Ok(Applied::Legacy("mappedFileSizeCommitLog"));
        }
        "mappedFileSizeConsumeQueue" => {
            s.consume_queue_entries_per_segment = cq_entries(value)?;
        }
        "mapedFileSizeConsumeQueue" => {
            s.consume_queue_entries_per_segment = cq_entries(value)?;
            return Ok(Applied::Legacy("mappedFileSizeConsumeQueue"));
        }
        "flushIntervalCommitLog" => s.flush_interval_ms = unsigned(value, 1, 60_000)?,
        "flushCommitLogLeastPages" => s.flush_least_pages = unsigned(value, 0, 1 << 20)?,
        "flushCommitLogThoroughInterval" => {
            s.flush_thorough_interval_ms = unsigned(value, 1, 3_600_000)?;
        }
        "syncFlushTimeout" => s.sync_flush_timeout_ms = unsigned(value, 1, 600_000)?,
        "flushIntervalConsumeQueue" => s.logics_flush_interval_ms = unsigned(value, 1, 60_000)?,
        "flushConsumeQueueLeastPages" => s.logics_flush_least_pages = unsigned(value, 0, 1 << 20)?,
        "flushConsumeQueueThoroughInterval" => {
            s.logics_flush_thorough_interval_ms = unsigned(value, 1, 3_600_000)?;
        }
        "maxHashSlotNum" => s.index_slots = unsigned(value, 1, 50_000_000)? as u32,
        "maxIndexNum" => s.index_entries_max = unsigned(value, 1, 200_000_000)? as u32,
        "fileReservedTime" => s.file_reserved_time_ms = unsigned(value, 0, 24 * 365)? * 3_600_000,
        "deleteWhen" => s.delete_when_hours = hours(value)?,
        "cleanResourceInterval" => s.clean_interval_ms = unsigned(value, 100, 3_600_000)?,
        // Java clamps to 10..=95.
        "diskMaxUsedSpaceRatio" => s.disk_max_used_ratio_pct = unsigned(value, 10, 95)?,
        "checkCRCOnRecover" => s.check_crc_on_recover = boolean(value)?,
        "haListenPort" => c.ha.listen_port = Some(int(value, 0, 65_535)? as u16),
        "haMasterAddress" => c.ha.master_address = one_address(value, resolve)?,
        "haSendHeartbeatInterval" => c.ha.heartbeat_interval = millis(value, 100, 600_000)?,
        "haHousekeepingInterval" => c.ha.housekeeping_interval = millis(value, 1_000, 3_600_000)?,
        "haTransferBatchSize" => c.ha.transfer_batch_bytes = int(value, 1, 4 << 20)? as usize,
        "haSlaveFallbehindMax" => c.ha.slave_fallbehind_max_bytes = unsigned(value, 1, u64::MAX)?,
        "slaveTimeout" => c.ha.slave_ack_timeout = millis(value, 1, 600_000)?,
        "slaveReadEnable" => c.slave_read_enable = boolean(value)?,
        "accessMessageInMemoryMaxRatio" => {
            c.access_message_in_memory_max_ratio_pct = unsigned(value, 0, 100)?;
        }
        "enableControllerMode" => c.controller.enabled = boolean(value)?,
        "controllerAddr" => c.controller.controller_addrs = some_addresses(value, resolve)?,
        "allAckInSyncStateSet" => c.controller.all_ack_in_sync_state_set = boolean(value)?,
        "brokerElectionPriority" => {
            c.controller.election_priority = int(value, 0, i32::MAX as i64)? as i32;
        }
        "brokerHeartbeatInterval" => c.controller.heartbeat_interval = millis(value, 100, 60_000)?,
        "controllerHeartBeatTimeoutMills" => {
            c.controller.heartbeat_timeout = millis(value, 1_000, 600_000)?;
        }
        "syncBrokerMetadataPeriod" => {
            c.controller.replica_info_interval = millis(value, 100, 600_000)?;
        }
        "checkSyncStateSetPeriod" => {
            c.controller.check_sync_state_set_period = millis(value, 100, 600_000)?;
        }
        "haMaxTimeSlaveNotCatchup" => {
            c.controller.max_time_slave_not_catchup = millis(value, 1_000, 3_600_000)?;
        }
        // rocketsim's own: Java reads the machine's memory; a config value keeps it explicit.
        "totalPhysicalMemoryBytes" => c.total_physical_memory_bytes = unsigned(value, 1, u64::MAX)?,
        _ => {
            return Ok(match WITHOUT_EFFECT.iter().find(|(k, _)| *k == key) {
                Some((_, why)) => Applied::WithoutEffect(why),
                None => Applied::Unknown,
            })
        }
    }
    Ok(Applied::Set)
}

/// `haMasterAddress`: one `host:port` (empty: none, learn it from the name servers).
fn one_address(value: &str, resolve: Resolve<'_>) -> Result<Option<std::net::SocketAddr>, Reason> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    Ok(addresses(value, resolve)?.into_iter().next())
}

/// `controllerAddr`: `;`-separated `host:port`s, possibly none.
fn some_addresses(value: &str, resolve: Resolve<'_>) -> Result<Vec<std::net::SocketAddr>, Reason> {
    match value.trim().is_empty() {
        true => Ok(Vec::new()),
        false => addresses(value, resolve),
    }
}

/// Bytes per consume-queue file → entries (Java rounds down to whole entries).
fn cq_entries(value: &str) -> Result<u64, Reason> {
    let bytes = unsigned(value, CQ_ENTRY_BYTES, GIB)?;
    Ok(bytes / CQ_ENTRY_BYTES)
}

/// `deleteWhen`: hours of the day separated by `;` ("04", "04;12").
fn hours(value: &str) -> Result<Vec<u8>, Reason> {
    let hours = (value.split(';').map(str::trim).filter(|h| !h.is_empty()))
        .map(|h| int(h, 0, 23).map(|h| h as u8))
        .collect::<Result<Vec<_>, _>>()?;
    match hours.is_empty() {
        true => Err(Reason::Empty),
        false => Ok(hours),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::{literal_addresses, properties};
    use std::net::SocketAddr;

    fn load(text: &str) -> Result<Loaded<BrokerConfig>, ConfError> {
        let entries = properties::parse(text).expect("properties");
        broker_config(
            &entries,
            BrokerConfig::new("host", "/home/u/store"),
            &literal_addresses,
        )
    }

    #[test]
    fn the_shipped_broker_conf() {
        let loaded = load(
            "brokerClusterName = DefaultCluster\nbrokerName = broker-a\nbrokerId = 0\ndeleteWhen = 04\nfileReservedTime = 48\nbrokerRole = ASYNC_MASTER\nflushDiskType = ASYNC_FLUSH\n",
        )
        .expect("loads");
        let c = &loaded.config;
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(c.broker_name, "broker-a");
        assert_eq!(c.broker_role, BrokerRole::AsyncMaster);
        assert_eq!(c.store.file_reserved_time_ms, 48 * 3_600_000);
        assert_eq!(c.store.delete_when_hours, [4]);
        assert_eq!(c.flush_disk_type, FlushMode::Async);
    }

    #[test]
    fn store_and_broker_keys_reach_their_fields() {
        let text = "namesrvAddr=10.0.0.1:9876;10.0.0.2:9876\nlistenPort=20911\nbrokerIP1=10.0.0.9\nstorePathRootDir=/data/rmq\nmappedFileSizeCommitLog=104857600\nmappedFileSizeConsumeQueue=600000\nflushDiskType=SYNC_FLUSH\nmaxMessageSize=1048576\ndeleteWhen=04;16\nautoCreateTopicEnable=false\nsendMessageThreadPoolNums=2\n";
        let c = load(text).expect("loads").config;
        let ns: Vec<SocketAddr> = ["10.0.0.1:9876", "10.0.0.2:9876"]
            .map(|a| a.parse().expect("addr"))
            .into();
        assert_eq!(c.namesrv_addr, ns);
        assert_eq!(c.broker_addr(), "10.0.0.9:20911".parse().expect("addr"));
        assert_eq!(c.store.root, PathBuf::from("/data/rmq"));
        assert_eq!(c.store.commitlog_segment_bytes, 104_857_600);
        assert_eq!(c.store.consume_queue_entries_per_segment, 30_000);
        assert!(!c.auto_create_topic_enable);
        assert_eq!(c.send_threads, 2);
        let store = c.store_config();
        assert_eq!(store.flush_mode, FlushMode::Sync);
        assert_eq!(store.body_bytes_max, 1_048_576);
        assert_eq!(store.delete_when_hours, [4, 16]);
        assert_eq!(store.store_host, c.broker_addr());
    }

    #[test]
    fn legacy_spelling_applies_with_a_warning_unknown_keys_warn() {
        let loaded = load("mapedFileSizeCommitLog=1048576\nbrokerNmae=oops\naclEnable=true\n")
            .expect("loads");
        assert_eq!(loaded.config.store.commitlog_segment_bytes, 1_048_576);
        let said: Vec<(usize, &str)> = (loaded.warnings.iter())
            .map(|w| (w.line, w.key.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (1, "mapedFileSizeCommitLog"),
                (2, "brokerNmae"),
                (3, "aclEnable")
            ]
        );
        assert!(loaded.warnings[1].message.contains("unknown key"));
        assert!(loaded.warnings[2].message.contains("ACL"));
    }

    #[test]
    fn bad_values_name_line_and_key() {
        let cases: &[(&str, usize, &str)] = &[
            ("brokerName=a\nlistenPort=abc", 2, "listenPort"),
            ("flushDiskType=SOMETIMES", 1, "flushDiskType"),
            ("namesrvAddr=localhost:9876", 1, "namesrvAddr"),
            ("namesrvAddr= ; ", 1, "namesrvAddr"),
            ("autoCreateTopicEnable=yes", 1, "autoCreateTopicEnable"),
            ("deleteWhen=25", 1, "deleteWhen"),
            ("brokerIP1=host-a", 1, "brokerIP1"),
            ("brokerRole=LEADER", 1, "brokerRole"),
            ("brokerName=", 1, "brokerName"),
        ];
        for (text, line, key) in cases {
            let error = load(text).expect_err(text);
            assert_eq!((error.line, error.key.as_str()), (*line, *key), "{text}");
            assert!(error
                .to_string()
                .starts_with(&format!("line {line}: {key}=")));
        }
    }

    #[test]
    fn described_configuration_loads_back_to_the_same() {
        let text = "brokerName=b\nnamesrvAddr=10.0.0.1:9876\nflushDiskType=SYNC_FLUSH\ndeleteWhen=04;16\nmappedFileSizeConsumeQueue=600000\n";
        let first = load(text).expect("loads").config;
        let described: String = describe_broker(&first)
            .into_iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        let again = load(&described).expect("reloads");
        assert!(again.warnings.is_empty(), "{:?}", again.warnings);
        assert_eq!(describe_broker(&again.config), describe_broker(&first));
    }

    #[test]
    fn replication_keys_reach_their_fields() {
        let loaded = load(
            "brokerRole=SLAVE\nbrokerId=2\nhaListenPort=20912\nhaMasterAddress=10.0.0.9:10912\nslaveReadEnable=true\naccessMessageInMemoryMaxRatio=30\nslaveTimeout=2000\nhaSlaveFallbehindMax=1024\nhaTransferBatchSize=65536\ntotalPhysicalMemoryBytes=1073741824\n",
        )
        .expect("loads");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let c = loaded.config;
        assert_eq!(c.ha_listen_port(), 20912);
        assert_eq!(c.ha.master_address, Some("10.0.0.9:10912".parse().unwrap()));
        assert!(c.slave_read_enable);
        assert_eq!(c.access_message_in_memory_max_ratio_pct, 30);
        assert_eq!(c.ha.slave_ack_timeout, std::time::Duration::from_secs(2));
        assert_eq!(c.ha.slave_fallbehind_max_bytes, 1024);
        assert_eq!(c.ha.transfer_batch_bytes, 65536);
        assert_eq!(c.total_physical_memory_bytes, 1 << 30);
        let derived = load("listenPort=10921").expect("loads").config;
        assert_eq!(derived.ha_listen_port(), 10922);
    }

    #[test]
    fn roles_and_ids() {
        let error = load("brokerRole=SLAVE\nbrokerId=0").expect_err("slave with id 0");
        assert_eq!((error.line, error.key.as_str()), (2, "brokerId"));
        assert!(load("brokerRole=SLAVE").is_err());
        let slave = load("brokerRole=SLAVE\nbrokerId=1").expect("slave");
        assert_eq!(slave.config.broker_id, 1);
        let master = load("brokerId=3").expect("master with an id");
        assert_eq!(master.config.broker_id, 0);
        assert!(master.warnings[0].message.contains("always brokerId 0"));
    }

    #[test]
    fn controller_mode_keys() {
        let loaded = load(
            "enableControllerMode=true\ncontrollerAddr=10.0.0.5:9878;10.0.0.6:9878\nbrokerId=2\nbrokerRole=SYNC_MASTER\nallAckInSyncStateSet=true\nbrokerElectionPriority=3\ncheckSyncStateSetPeriod=2000\nhaMaxTimeSlaveNotCatchup=9000\ncontrollerHeartBeatTimeoutMills=4000\n",
        )
        .expect("loads");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let c = loaded.config;
        assert!(c.controller.enabled);
        assert_eq!(c.controller.controller_addrs.len(), 2);
        assert_eq!(c.broker_id, 2, "the controller id is kept, not forced to 0");
        assert!(c.controller.all_ack_in_sync_state_set);
        assert_eq!(c.controller.election_priority, 3);
        let secs = std::time::Duration::from_secs;
        assert_eq!(c.controller.check_sync_state_set_period, secs(2));
        assert_eq!(c.controller.max_time_slave_not_catchup, secs(9));
        assert_eq!(c.controller.heartbeat_timeout, secs(4));
        let error = load("enableControllerMode=true\nbrokerId=0\n").expect_err("id 0");
        assert_eq!((error.line, error.key.as_str()), (2, "brokerId"));
    }
}
