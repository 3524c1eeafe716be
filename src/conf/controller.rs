//! `controller.conf` (standalone `mqcontroller`) and the controller keys of `namesrv.conf`
//! (embedded with `enableControllerInNamesrv=true`, as RocketMQ reads them from the same file)
//! → `ControllerConfig` and the controller's listen port (RocketMQ 5 `ControllerConfig` keys).
//!
//! RocketMQ's controller learns its port from `controllerDLegerPeers`; a single node here takes
//! `listenPort` (standalone) or `controllerListenPort` (embedded), default 9878 — the port of
//! RocketMQ's example controller configuration.

use std::path::PathBuf;

use super::value::{boolean, int, millis, text};
use super::{apply_entries, ConfError, Entry, Loaded, Reason};
use crate::controller::ControllerConfig;

/// The controller's default port.
pub const CONTROLLER_PORT_DEFAULT: u16 = 9878;

/// What a controller runs with.
#[derive(Clone, Debug)]
pub struct ControllerSettings {
    pub listen_port: u16,
    pub config: ControllerConfig,
}

/// Keys RocketMQ's controller has that change nothing here.
const WITHOUT_EFFECT: &[(&str, &str)] = &[
    ("rocketmqHome", "paths are given explicitly"),
    ("configStorePath", "the configuration is not persisted"),
    ("controllerType", "a single controller node; no Raft"),
    ("controllerDLegerGroup", "a single controller node; no Raft"),
    ("controllerDLegerPeers", "a single controller node; no Raft"),
    (
        "controllerDLegerSelfId",
        "a single controller node; no Raft",
    ),
    (
        "controllerThreadPoolNums",
        "requests run on the async runtime",
    ),
    (
        "controllerRequestThreadPoolQueueCapacity",
        "requests run on the async runtime",
    ),
    ("mappedFileSize", "the state is a snapshot file, not a log"),
    (
        "electMasterMaxRetryCount",
        "elections are decided locally and retried by every scan",
    ),
    (
        "scanInactiveMasterInterval",
        "inactive masters are looked for on every scanNotActiveBrokerInterval",
    ),
    ("isProcessReadEvent", "reads are answered from memory"),
];

/// Applies one controller key; `None` when `key` is not a controller key.
pub fn apply_controller_key(
    settings: &mut ControllerSettings,
    key: &str,
    value: &str,
    port_key: &str,
) -> Option<Result<Option<String>, Reason>> {
    let c = &mut settings.config;
    let result = match key {
        k if k == port_key => int(value, 1, 65_535).map(|p| settings.listen_port = p as u16),
        "controllerHeartBeatTimeoutMills" => {
            millis(value, 100, 600_000).map(|d| c.heartbeat_timeout = d)
        }
        "scanNotActiveBrokerInterval" => millis(value, 100, 600_000).map(|d| c.scan_interval = d),
        "enableElectUncleanMaster" => boolean(value).map(|b| c.enable_elect_unclean_master = b),
        "notifyBrokerRoleChanged" => boolean(value).map(|b| c.notify_broker_role_changed = b),
        "controllerStorePath" => {
            text(value).map(|dir| c.store_path = PathBuf::from(dir).join(STORE_FILE))
        }
        key => {
            let (_, why) = WITHOUT_EFFECT.iter().find(|(k, _)| *k == key)?;
            return Some(Ok(Some(format!("accepted without effect: {why}"))));
        }
    };
    Some(result.map(|()| None))
}

/// The file the controller keeps its groups in, under `controllerStorePath`.
pub const STORE_FILE: &str = "groups.json";

/// Applies a standalone `controller.conf` on top of `defaults` (port 9878).
pub fn controller_config(
    entries: &[Entry],
    defaults: ControllerConfig,
) -> Result<Loaded<ControllerSettings>, ConfError> {
    let mut settings = ControllerSettings {
        listen_port: CONTROLLER_PORT_DEFAULT,
        config: defaults,
    };
    let warnings = apply_entries(entries, |entry| {
        apply_controller_key(&mut settings, &entry.key, &entry.value, "listenPort")
            .unwrap_or_else(|| Ok(Some("unknown key, ignored".to_string())))
    })?;
    Ok(Loaded {
        config: settings,
        warnings,
    })
}

/// The effective settings as `key=value` pairs (`-p`).
pub fn describe_controller(
    s: &ControllerSettings,
    port_key: &'static str,
) -> Vec<(&'static str, String)> {
    let c = &s.config;
    vec![
        (port_key, s.listen_port.to_string()),
        (
            "controllerHeartBeatTimeoutMills",
            c.heartbeat_timeout.as_millis().to_string(),
        ),
        (
            "scanNotActiveBrokerInterval",
            c.scan_interval.as_millis().to_string(),
        ),
        (
            "enableElectUncleanMaster",
            c.enable_elect_unclean_master.to_string(),
        ),
        (
            "notifyBrokerRoleChanged",
            c.notify_broker_role_changed.to_string(),
        ),
        ("controllerStoreFile", c.store_path.display().to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::properties;
    use std::time::Duration;

    fn load(text: &str) -> Result<Loaded<ControllerSettings>, ConfError> {
        let entries = properties::parse(text).expect("properties");
        controller_config(&entries, ControllerConfig::default())
    }

    #[test]
    fn keys_apply_and_others_warn() {
        let loaded = load(
            "listenPort=19878\ncontrollerHeartBeatTimeoutMills=3000\nscanNotActiveBrokerInterval=1000\nenableElectUncleanMaster=true\nnotifyBrokerRoleChanged=false\ncontrollerStorePath=/data/ctl\ncontrollerDLegerPeers=n0-127.0.0.1:9878\nlistenPrt=1\n",
        )
        .expect("loads");
        let s = &loaded.config;
        assert_eq!(s.listen_port, 19878);
        assert_eq!(s.config.heartbeat_timeout, Duration::from_secs(3));
        assert_eq!(s.config.scan_interval, Duration::from_secs(1));
        assert!(s.config.enable_elect_unclean_master);
        assert!(!s.config.notify_broker_role_changed);
        assert_eq!(s.config.store_path, PathBuf::from("/data/ctl/groups.json"));
        let keys: Vec<&str> = loaded.warnings.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["controllerDLegerPeers", "listenPrt"]);
    }

    #[test]
    fn defaults_and_errors() {
        let s = load("").expect("empty").config;
        assert_eq!(s.listen_port, CONTROLLER_PORT_DEFAULT);
        assert!(!s.config.enable_elect_unclean_master);
        let error = load("\nscanNotActiveBrokerInterval=5").expect_err("too short");
        assert_eq!(
            (error.line, error.key.as_str()),
            (2, "scanNotActiveBrokerInterval")
        );
        assert!(load("enableElectUncleanMaster=maybe").is_err());
    }
}
