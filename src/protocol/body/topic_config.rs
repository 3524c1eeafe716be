//! `TopicConfig` (§2.4): one topic as a broker holds it, and the permission bits.
//!
//! Two encodings: JSON (in `topics.json` and uncompressed register bodies; fields in fastjson's
//! alphabetical order, Java's defaults for missing ones) and the space-separated text Java's
//! `TopicConfig.encode()` writes into *compressed* register bodies:
//! `"<topicName> <readQueueNums> <writeQueueNums> <perm> <topicFilterType>"`. That text has no
//! `topicSysFlag` and no `order`; a name server reading it gets the defaults (0, false), as
//! Java's does.

use serde::{Deserialize, Serialize};

use super::BodyError;

/// Permission bits (`PermName`).
pub mod perm {
    /// Preferred when choosing among equal brokers.
    pub const PRIORITY: i32 = 8;
    /// Consumers may read.
    pub const READ: i32 = 4;
    /// Producers may write.
    pub const WRITE: i32 = 2;
    /// Auto-created topics inherit from it (TBW102).
    pub const INHERIT: i32 = 1;
}

/// Longest topic name accepted (RocketMQ 5.x's limit; 4.9 allows 127).
pub const TOPIC_NAME_BYTES_MAX: usize = 255;
/// Most queues of one kind a topic may declare.
pub const QUEUE_NUMS_MAX: i32 = 65_535;

/// How a topic's messages are tagged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum TopicFilterType {
    #[default]
    #[serde(rename = "SINGLE_TAG")]
    SingleTag,
    #[serde(rename = "MULTI_TAG")]
    MultiTag,
}

impl TopicFilterType {
    /// The Java enum name.
    pub fn name(self) -> &'static str {
        match self {
            TopicFilterType::SingleTag => "SINGLE_TAG",
            TopicFilterType::MultiTag => "MULTI_TAG",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "SINGLE_TAG" => Some(TopicFilterType::SingleTag),
            "MULTI_TAG" => Some(TopicFilterType::MultiTag),
            _ => None,
        }
    }
}

/// One topic's configuration. Fields in alphabetical order: the JSON field order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfig {
    #[serde(default)]
    pub order: bool,
    #[serde(default = "default_perm")]
    pub perm: i32,
    #[serde(default = "default_queue_nums")]
    pub read_queue_nums: i32,
    #[serde(default)]
    pub topic_filter_type: TopicFilterType,
    /// Empty when the JSON left it out; the table key then names the topic.
    #[serde(default)]
    pub topic_name: String,
    #[serde(default)]
    pub topic_sys_flag: i32,
    #[serde(default = "default_queue_nums")]
    pub write_queue_nums: i32,
}

fn default_perm() -> i32 {
    perm::READ | perm::WRITE
}

fn default_queue_nums() -> i32 {
    16
}

impl TopicConfig {
    /// A topic with Java's defaults: 16 read and write queues, READ|WRITE, SINGLE_TAG.
    pub fn new(topic_name: impl Into<String>) -> Self {
        TopicConfig {
            order: false,
            perm: default_perm(),
            read_queue_nums: default_queue_nums(),
            topic_filter_type: TopicFilterType::SingleTag,
            topic_name: topic_name.into(),
            topic_sys_flag: 0,
            write_queue_nums: default_queue_nums(),
        }
    }

    /// A topic with the given queue counts and permission.
    pub fn with_queues(name: impl Into<String>, read: i32, write: i32, perm: i32) -> Self {
        TopicConfig {
            perm,
            read_queue_nums: read,
            write_queue_nums: write,
            ..TopicConfig::new(name)
        }
    }

    /// Java's `TopicConfig.encode()`: the text form used inside compressed register bodies.
    pub fn encode_text(&self) -> String {
        format!(
            "{} {} {} {} {}",
            self.topic_name,
            self.read_queue_nums,
            self.write_queue_nums,
            self.perm,
            self.topic_filter_type.name()
        )
    }

    /// Java's `TopicConfig.decode()`: exactly five space-separated fields.
    pub fn decode_text(text: &str) -> Result<Self, BodyError> {
        let invalid = || BodyError::Invalid {
            what: "topic config text",
            value: text.chars().take(200).collect(),
        };
        let fields: Vec<&str> = text.split(' ').collect();
        let [name, read, write, perm, filter] = fields[..] else {
            return Err(invalid());
        };
        let number = |field: &str| field.parse::<i32>().map_err(|_| invalid());
        let config = TopicConfig {
            perm: number(perm)?,
            read_queue_nums: number(read)?,
            write_queue_nums: number(write)?,
            topic_filter_type: TopicFilterType::from_name(filter).ok_or_else(invalid)?,
            ..TopicConfig::new(name)
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks what a name server relies on: a name, sane queue counts.
    pub fn validate(&self) -> Result<(), BodyError> {
        let name = &self.topic_name;
        if name.is_empty() {
            return Err(BodyError::Missing { what: "topicName" });
        }
        if name.len() > TOPIC_NAME_BYTES_MAX || name.contains(char::is_whitespace) {
            let value = name.chars().take(TOPIC_NAME_BYTES_MAX).collect();
            return Err(BodyError::Invalid {
                what: "topicName",
                value,
            });
        }
        for (what, nums) in [
            ("readQueueNums", self.read_queue_nums),
            ("writeQueueNums", self.write_queue_nums),
        ] {
            if !(0..=QUEUE_NUMS_MAX).contains(&nums) {
                let value = nums.to_string();
                return Err(BodyError::Invalid { what, value });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_round_trips_without_sys_flag_and_order() {
        let mut config = TopicConfig::with_queues("T", 4, 8, 6);
        config.topic_sys_flag = 1;
        config.order = true;
        assert_eq!(config.encode_text(), "T 4 8 6 SINGLE_TAG");
        let back = TopicConfig::decode_text(&config.encode_text()).unwrap();
        assert_eq!(back, TopicConfig::with_queues("T", 4, 8, 6));
    }

    #[test]
    fn text_form_rejects_other_shapes() {
        for bad in [
            "T 4 8 6",
            "T 4 8 6 SINGLE_TAG x",
            "T x 8 6 SINGLE_TAG",
            "T 4 8 6 NONE",
            " 4 8 6 SINGLE_TAG",
        ] {
            assert!(TopicConfig::decode_text(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn json_defaults_are_javas() {
        let config: TopicConfig = serde_json::from_str(r#"{"topicName":"T"}"#).unwrap();
        assert_eq!(config, TopicConfig::new("T"));
        assert_eq!(
            serde_json::to_string(&TopicConfig::with_queues("T", 4, 4, 6)).unwrap(),
            r#"{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"T","topicSysFlag":0,"writeQueueNums":4}"#
        );
    }
}
