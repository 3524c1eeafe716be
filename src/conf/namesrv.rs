//! `namesrv.conf` → `NamesrvConfig` and the listen port (§7.1, `NamesrvConfig` and
//! `NettyServerConfig` keys). Unknown keys and keys without effect are warnings, as in
//! `conf::broker`.

use super::value::{boolean, int, millis, text};
use super::{ConfError, Entry, Loaded, Reason, Warning};
use crate::namesrv::NamesrvConfig;
use std::path::PathBuf;

/// What `mqnamesrv` runs with.
#[derive(Clone, Debug)]
pub struct NamesrvSettings {
    /// `listenPort` (9876).
    pub listen_port: u16,
    pub config: NamesrvConfig,
}

const WITHOUT_EFFECT: &[(&str, &str)] = &[
    ("rocketmqHome", "paths are given explicitly"),
    ("productEnvName", "no product environments"),
    ("clusterTest", "no cluster test mode"),
    (
        "enableControllerInNamesrv",
        "the controller is not implemented yet",
    ),
    ("serverWorkerThreads", "requests run on the async runtime"),
    (
        "serverCallbackExecutorThreads",
        "requests run on the async runtime",
    ),
    ("serverSelectorThreads", "requests run on the async runtime"),
    ("defaultThreadPoolNums", "requests run on the async runtime"),
];

/// Applies `entries` on top of `defaults` (listen port 9876).
pub fn namesrv_config(
    entries: &[Entry],
    defaults: NamesrvConfig,
) -> Result<Loaded<NamesrvSettings>, ConfError> {
    let mut settings = NamesrvSettings {
        listen_port: 9876,
        config: defaults,
    };
    let mut warnings = Vec::new();
    for entry in entries {
        let c = &mut settings.config;
        let applied: Result<Option<String>, Reason> = (|| {
            match entry.key.as_str() {
                "listenPort" => settings.listen_port = int(&entry.value, 1, 65_535)? as u16,
                "kvConfigPath" => c.kv_config_path = PathBuf::from(text(&entry.value)?),
                "orderMessageEnable" => c.order_message_enable = boolean(&entry.value)?,
                "scanNotActiveBrokerInterval" => {
                    c.scan_interval = millis(&entry.value, 100, 600_000)?;
                }
                key => {
                    return Ok(Some(match WITHOUT_EFFECT.iter().find(|(k, _)| *k == key) {
                        Some((_, why)) => format!("accepted without effect: {why}"),
                        None => "unknown key, ignored".to_string(),
                    }))
                }
            }
            Ok(None)
        })();
        match applied {
            Ok(None) => {}
            Ok(Some(message)) => warnings.push(Warning {
                line: entry.line,
                key: entry.key.clone(),
                message,
            }),
            Err(reason) => {
                return Err(ConfError {
                    line: entry.line,
                    key: entry.key.clone(),
                    value: entry.value.clone(),
                    reason,
                })
            }
        }
    }
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
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conf::properties;
    use std::time::Duration;

    fn load(text: &str) -> Result<Loaded<NamesrvSettings>, ConfError> {
        let entries = properties::parse(text).expect("properties");
        namesrv_config(&entries, NamesrvConfig::default())
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
