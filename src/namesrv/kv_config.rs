//! The KV store (§4.9): namespaced string settings the admin tool puts into the name server,
//! most importantly `ORDER_TOPIC_CONFIG` (topic → `brokerName:queueNum;…`). The only state a
//! name server keeps across restarts.
//!
//! Sans-IO: this type holds the map and its file format, `{"configTable":{ns:{k:v}}}`; the
//! driver writes the file after every change (atomically, through `env::Fs`) and reads it at
//! start. Limits: namespaces, entries and key/value sizes are bounded; a put over a limit
//! changes nothing.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::protocol::body::{fastjson, BodyError, KvTable};

/// The namespace whose entries go into routes and registration answers.
pub const ORDER_TOPIC_CONFIG: &str = "ORDER_TOPIC_CONFIG";

/// Limits of the store.
#[derive(Clone, Copy, Debug)]
pub struct KvLimits {
    pub entries_max: usize,
    pub key_bytes_max: usize,
    pub value_bytes_max: usize,
}

impl Default for KvLimits {
    fn default() -> Self {
        KvLimits {
            entries_max: 100_000,
            key_bytes_max: 1024,
            value_bytes_max: 64 * 1024,
        }
    }
}

/// Why a put was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("{what} is empty")]
    Empty { what: &'static str },
    #[error("{what} of {len} bytes exceeds the limit {max}")]
    TooLong {
        what: &'static str,
        len: usize,
        max: usize,
    },
    #[error("the KV store holds {max} entries already (the limit)")]
    Full { max: usize },
}

/// The file format.
#[derive(Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct KvFile {
    #[serde(default)]
    config_table: BTreeMap<String, BTreeMap<String, String>>,
}

/// Namespace → key → value.
#[derive(Clone, Debug, Default)]
pub struct KvConfig {
    limits: KvLimits,
    table: BTreeMap<String, BTreeMap<String, String>>,
    entries: usize,
}

impl KvConfig {
    pub fn new(limits: KvLimits) -> Self {
        KvConfig {
            limits,
            ..KvConfig::default()
        }
    }

    /// The store as read from its file.
    pub fn from_json(bytes: &[u8], limits: KvLimits) -> Result<Self, BodyError> {
        let file: KvFile = fastjson::parse(bytes, "kvConfig.json")?;
        let entries = file.config_table.values().map(BTreeMap::len).sum();
        Ok(KvConfig {
            limits,
            table: file.config_table,
            entries,
        })
    }

    /// The file's content.
    pub fn to_json(&self) -> Vec<u8> {
        let file = KvFile {
            config_table: self.table.clone(),
        };
        serde_json::to_vec(&file).expect("string maps serialize")
    }

    /// Sets `namespace`/`key` to `value`.
    pub fn put(&mut self, namespace: &str, key: &str, value: &str) -> Result<(), KvError> {
        for (what, text, max) in [
            ("namespace", namespace, self.limits.key_bytes_max),
            ("key", key, self.limits.key_bytes_max),
            ("value", value, self.limits.value_bytes_max),
        ] {
            if text.is_empty() && what != "value" {
                return Err(KvError::Empty { what });
            }
            if text.len() > max {
                let len = text.len();
                return Err(KvError::TooLong { what, len, max });
            }
        }
        let exists = self.get(namespace, key).is_some();
        if !exists && self.entries >= self.limits.entries_max {
            let max = self.limits.entries_max;
            return Err(KvError::Full { max });
        }
        let previous = self
            .table
            .entry(namespace.to_string())
            .or_default()
            .insert(key.to_string(), value.to_string());
        if previous.is_none() {
            self.entries += 1;
        }
        Ok(())
    }

    pub fn get(&self, namespace: &str, key: &str) -> Option<&str> {
        self.table.get(namespace)?.get(key).map(String::as_str)
    }

    /// Removes an entry; returns whether it existed.
    pub fn delete(&mut self, namespace: &str, key: &str) -> bool {
        let Some(entries) = self.table.get_mut(namespace) else {
            return false;
        };
        let removed = entries.remove(key).is_some();
        if entries.is_empty() {
            self.table.remove(namespace);
        }
        if removed {
            self.entries -= 1;
        }
        removed
    }

    /// A whole namespace, or `None` when it has no entry.
    pub fn namespace(&self, namespace: &str) -> Option<KvTable> {
        let table = self.table.get(namespace)?.clone();
        Some(KvTable { table })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_get_delete_and_file_round_trip() {
        let mut kv = KvConfig::new(KvLimits::default());
        kv.put(ORDER_TOPIC_CONFIG, "T", "b1:4;b2:4").unwrap();
        kv.put("ns", "k", "v").unwrap();
        kv.put("ns", "k", "w").unwrap();
        assert_eq!(kv.get("ns", "k"), Some("w"));
        let json = String::from_utf8(kv.to_json()).unwrap();
        assert_eq!(
            json,
            r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"b1:4;b2:4"},"ns":{"k":"w"}}}"#
        );
        let mut back = KvConfig::from_json(json.as_bytes(), KvLimits::default()).unwrap();
        assert_eq!(back.namespace("ns").unwrap().table["k"], "w");
        assert!(back.delete("ns", "k"));
        assert!(!back.delete("ns", "k"));
        assert_eq!(back.namespace("ns"), None);
    }

    #[test]
    fn limits_refuse_without_change() {
        let limits = KvLimits {
            entries_max: 1,
            key_bytes_max: 3,
            value_bytes_max: 4,
        };
        let mut kv = KvConfig::new(limits);
        kv.put("ns", "k", "v").unwrap();
        assert_eq!(kv.put("ns", "k2", "v"), Err(KvError::Full { max: 1 }));
        assert_eq!(
            kv.put("ns", "k", "vvvvv"),
            Err(KvError::TooLong {
                what: "value",
                len: 5,
                max: 4
            })
        );
        assert_eq!(
            kv.put("", "k", "v"),
            Err(KvError::Empty { what: "namespace" })
        );
        assert_eq!(
            kv.put("nsss", "k", "v").unwrap_err(),
            KvError::TooLong {
                what: "namespace",
                len: 4,
                max: 3
            }
        );
        assert_eq!(kv.get("ns", "k"), Some("v"));
    }
}
