//! The four files' structs and their load/save.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::env::Fs;
use crate::protocol::body::fastjson::{quote_integer_keys, unquote_integer_keys};
use crate::store::error::StoreError;

/// A metadata file: its name under `config/` and the depth of its integer-keyed maps.
pub trait MetadataFile: Serialize + DeserializeOwned + Default {
    const NAME: &'static str;
    /// Objects at this depth have integer keys, written bare as fastjson does (0: none).
    const INTEGER_KEY_DEPTH: usize;
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DataVersion {
    pub counter: i64,
    pub timestamp: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TopicConfig {
    pub order: bool,
    pub perm: i32,
    pub read_queue_nums: i32,
    pub topic_filter_type: String,
    pub topic_name: String,
    pub topic_sys_flag: i32,
    pub write_queue_nums: i32,
}

impl Default for TopicConfig {
    fn default() -> Self {
        TopicConfig {
            order: false,
            perm: 6,
            read_queue_nums: 16,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_name: String::new(),
            topic_sys_flag: 0,
            write_queue_nums: 16,
        }
    }
}

/// `topics.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Topics {
    pub data_version: DataVersion,
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

impl MetadataFile for Topics {
    const NAME: &'static str = "topics.json";
    const INTEGER_KEY_DEPTH: usize = 0;
}

/// `consumerOffset.json`: `topic@group` → queue id → offset.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ConsumerOffsets {
    pub offset_table: BTreeMap<String, BTreeMap<i32, i64>>,
}

impl MetadataFile for ConsumerOffsets {
    const NAME: &'static str = "consumerOffset.json";
    const INTEGER_KEY_DEPTH: usize = 3;
}

/// `delayOffset.json`: delay level → progress.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DelayOffsets {
    pub offset_table: BTreeMap<i32, i64>,
}

impl MetadataFile for DelayOffsets {
    const NAME: &'static str = "delayOffset.json";
    const INTEGER_KEY_DEPTH: usize = 2;
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroupConfig {
    pub group_name: String,
    pub consume_enable: bool,
    pub consume_from_min_enable: bool,
    pub consume_broadcast_enable: bool,
    pub retry_queue_nums: i32,
    pub retry_max_times: i32,
    pub broker_id: i64,
    pub which_broker_when_consume_slowly: i64,
    pub notify_consumer_ids_changed_enable: bool,
}

impl Default for SubscriptionGroupConfig {
    fn default() -> Self {
        SubscriptionGroupConfig {
            group_name: String::new(),
            consume_enable: true,
            consume_from_min_enable: true,
            consume_broadcast_enable: true,
            retry_queue_nums: 1,
            retry_max_times: 16,
            broker_id: 0,
            which_broker_when_consume_slowly: 1,
            notify_consumer_ids_changed_enable: true,
        }
    }
}

/// `subscriptionGroup.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SubscriptionGroups {
    pub data_version: DataVersion,
    pub subscription_group_table: BTreeMap<String, SubscriptionGroupConfig>,
}

impl MetadataFile for SubscriptionGroups {
    const NAME: &'static str = "subscriptionGroup.json";
    const INTEGER_KEY_DEPTH: usize = 0;
}

/// Reads `config_dir/NAME`; a missing file is the default (empty) value.
pub fn load<F: Fs, T: MetadataFile>(fs: &F, config_dir: &Path) -> Result<T, StoreError> {
    let bytes = match fs.read_file(&config_dir.join(T::NAME)) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(T::default()),
        Err(source) => {
            return Err(StoreError::Io {
                what: "read metadata",
                source,
            })
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    serde_json::from_str(&quote_integer_keys(&text)).map_err(|source| StoreError::Metadata {
        file: T::NAME,
        source,
    })
}

/// Writes `config_dir/NAME` atomically in fastjson's shape.
pub async fn save<F: Fs, T: MetadataFile>(
    fs: &F,
    config_dir: &Path,
    value: &T,
) -> Result<(), StoreError> {
    fs.create_dir_all(config_dir)
        .map_err(StoreError::io("create config dir"))?;
    let json = serde_json::to_string(value).map_err(|source| StoreError::Metadata {
        file: T::NAME,
        source,
    })?;
    let text = match T::INTEGER_KEY_DEPTH {
        0 => json,
        depth => unquote_integer_keys(&json, depth),
    };
    fs.write_file_atomic(&config_dir.join(T::NAME), text.as_bytes())
        .await
        .map_err(StoreError::io("write metadata"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_offsets_read_fastjson_and_write_it_back() {
        let text = r#"{"offsetTable":{"T@G":{0:123,1:456}}}"#;
        let parsed: ConsumerOffsets = serde_json::from_str(&quote_integer_keys(text)).unwrap();
        assert_eq!(parsed.offset_table["T@G"][&1], 456);
        let written = unquote_integer_keys(&serde_json::to_string(&parsed).unwrap(), 3);
        assert_eq!(written, text);
    }

    #[test]
    fn topics_read_the_reference_shape() {
        let text = r#"{"dataVersion":{"counter":1,"timestamp":2},"topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4}}}"#;
        let topics: Topics = serde_json::from_str(text).unwrap();
        assert_eq!(topics.topic_config_table["T"].write_queue_nums, 4);
        assert_eq!(serde_json::to_string(&topics).unwrap(), text);
    }

    #[test]
    fn delay_offsets_have_bare_keys() {
        let mut d = DelayOffsets::default();
        d.offset_table.insert(1, 10);
        d.offset_table.insert(2, 0);
        let written = unquote_integer_keys(&serde_json::to_string(&d).unwrap(), 2);
        assert_eq!(written, r#"{"offsetTable":{1:10,2:0}}"#);
    }
}
