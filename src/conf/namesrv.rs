//! `namesrv.conf` → `NamesrvConfig` and the listen port (§7.1, `NamesrvConfig` and
//! `NettyServerConfig` keys). Unknown keys and keys without effect are warnings, as in
//! `conf::broker`.

use super::controller::{apply_controller_key, ControllerSettings, CONTROLLER_PORT_DEFAULT};
use super::value::{boolean, int, millis, text};
use super::{apply_entries, ConfError, Entry, Loaded};
use crate::controller::ControllerConfig;
use crate::namesrv::NamesrvConfig;
use std::path::PathBuf;

/// What `mqnamesrv` runs with.
#[derive(Clone, Debug)]
pub struct NamesrvSettings {
    /// `listenPort` (9876).
    pub listen_port: u16,
    pub config: NamesrvConfig,
    /// `enableControllerInNamesrv`: run a controller in the same process.
    pub enable_controller: bool,
    /// The embedded controller's settings (its keys come from the same file; its port is
    /// `controllerListenPort`, 9878).
    pub controller: ControllerSettings,
}

/// The embedded controller's port key in `namesrv.conf`.
pub const CONTROLLER_PORT_KEY: &str = "controllerListenPort";

const WITHOUT_EFFECT: &[(&str, &str)] = &[
    ("rocketmqHome", "paths are given explicitly"),
    ("productEnvName", "no product environments"),
    ("clusterTest", "no cluster test mode"),
    ("serverWorkerThreads", "requests run on the async runtime"),
    (
        "serverCallbackExecutorThreads",
        "requests run on the async runtime",
    ),
    ("serverSelectorThreads", "requests run on the async runtime"),
    ("defaultThreadPoolNums", "requests run on the async runtime"),
];

/// Applies `entries` on top of `defaults` (listen port 9876) and `controller_defaults`.
pub fn namesrv_config(
    entries: &[Entry],
    defaults: NamesrvConfig,
    controller_defaults: ControllerConfig,
) -> Result<Loaded<NamesrvSettings>, ConfError> {
    let mut settings = NamesrvSettings {
        listen_port: 9876,
        config: defaults,
        enable_controller: false,
        controller: ControllerSettings {
            listen_port: CONTROLLER_PORT_DEFAULT,
            config: controller_defaults,
        },
    };
    let warnings = apply_entries(entries, |entry| {
        let c = &mut settings.config;
        match entry.key.as_str() {
            "listenPort" => settings.listen_port = int(&entry.value, 1, 65_535)? as u16,
            "kvConfigPath" => c.kv_config_path = PathBuf::from(text(&entry.value)?),
            "orderMessageEnable" => c.order_message_enable = boolean(&entry.value)?,
            "scanNotActiveBrokerInterval" => {
                // RocketMQ's NamesrvConfig and ControllerConfig both read this key.
                c.scan_interval = millis(&entry.value, 100, 600_000)?;
                let controller = &mut settings.controller;
                apply_controller_key(controller, &entry.key, &entry.value, CONTROLLER_PORT_KEY)
                    .unwrap_or(Ok(None))?;
            }
            "enableControllerInNamesrv" => settings.enable_controller = boolean(&entry.value)?,
            key => {
                let controller = &mut settings.controller;
                if let Some(applied) =
                    apply_controller_key(controller, key, &entry.value, CONTROLLER_PORT_KEY)
                {
                    return applied;
                }
                return Ok(Some(match WITHOUT_EFFECT.iter().find(|(k, _)| *k == key) {
                    Some((_, why)) => format!("accepted without effect: {why}"),
                    None => "unknown key, ignored".to_string(),
                }));
            }
        }
        Ok(None)
    })?;
    Ok(Loaded {
        config: settings,
        warnings,
    })
}

/// The effective settings as `key=value` pairs (`mqnamesrv -p`).
pub fn describe_namesrv(s: &NamesrvSettings) -> Vec<(&'static str, String)> {
    let c = &s.config;
    vec![
        ("listenPort", s.listen_port.to_string()),
        ("kvConfigPath", c.kv_config_path.display().to_string()),
        ("orderMessageEnable", c.order_message_enable.to_string()),
        (
            "scanNotActiveBrokerInterval",
            c.scan_interval.as_millis().to_string(),
        ),
        (
            "brokerChannelExpiredTime",
            c.table.broker_expiry.as_millis().to_string(),
        ),
        ("enableControllerInNamesrv", s.enable_controller.to_string()),
    ]
    .into_iter()
    .chain(match s.enable_controller {
        true => super::controller::describe_controller(&s.controller, CONTROLLER_PORT_KEY),
        false => Vec::new(),
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::properties;
    use std::time::Duration;

    fn load(text: &str) -> Result<Loaded<NamesrvSettings>, ConfError> {
        let entries = properties::parse(text).expect("properties");
        namesrv_config(
            &entries,
            NamesrvConfig::default(),
            ControllerConfig::default(),
        )
    }

    #[test]
    fn embedded_controller_keys() {
        let loaded = load(
            "enableControllerInNamesrv=true\ncontrollerListenPort=19878\nenableElectUncleanMaster=true\nscanNotActiveBrokerInterval=2000\n",
        )
        .expect("loads");
        let s = &loaded.config;
        assert!(s.enable_controller);
        assert_eq!(s.controller.listen_port, 19878);
        assert!(s.controller.config.enable_elect_unclean_master);
        assert_eq!(s.controller.config.scan_interval, Duration::from_secs(2));
        assert_eq!(s.config.scan_interval, Duration::from_secs(2));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert!(!load("").expect("empty").config.enable_controller);
    }

    #[test]
    fn keys_apply_and_unknown_ones_warn() {
        let loaded = load(
            "listenPort=19876\nkvConfigPath=/data/kv.json\norderMessageEnable=true\nscanNotActiveBrokerInterval=5000\nrocketmqHome=/opt\nlistenPrt=1\n",
        )
        .expect("loads");
        let s = &loaded.config;
        assert_eq!(s.listen_port, 19876);
        assert_eq!(s.config.kv_config_path, PathBuf::from("/data/kv.json"));
        assert!(s.config.order_message_enable);
        assert_eq!(s.config.scan_interval, Duration::from_secs(5));
        let keys: Vec<&str> = loaded.warnings.iter().map(|w| w.key.as_str()).collect();
        assert_eq!(keys, ["rocketmqHome", "listenPrt"]);
    }

    #[test]
    fn defaults_and_errors() {
        assert_eq!(load("").expect("empty").config.listen_port, 9876);
        let error = load("listenPort=0").expect_err("port 0");
        assert_eq!((error.line, error.key.as_str()), (1, "listenPort"));
        let error = load("\norderMessageEnable=1").expect_err("not a bool");
        assert_eq!(error.line, 2);
    }
}
