//! `TopicConfigSerializeWrapper`: a broker's whole topic table with its data version — the
//! heart of a registration, and the body of GET_ALL_TOPIC_CONFIG.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{BodyError, DataVersion, TopicConfig};

/// `{"dataVersion":{…},"topicConfigTable":{"T":{…}}}`. 5.x's mapping fields are ignored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicConfigSerializeWrapper {
    #[serde(default)]
    pub data_version: DataVersion,
    #[serde(default)]
    pub topic_config_table: BTreeMap<String, TopicConfig>,
}

impl TopicConfigSerializeWrapper {
    /// Fills names left out of the JSON from the table keys, checks every config and the
    /// topic count.
    pub fn normalize(&mut self, topics_max: usize) -> Result<(), BodyError> {
        let count = self.topic_config_table.len();
        if count > topics_max {
            return Err(BodyError::TooManyTopics {
                count,
                max: topics_max,
            });
        }
        for (name, config) in &mut self.topic_config_table {
            if config.topic_name.is_empty() {
                config.topic_name.clone_from(name);
            }
            if config.topic_name != *name {
                return Err(BodyError::Invalid {
                    what: "topicConfigTable key",
                    value: format!("{name} holds topic {}", config.topic_name),
                });
            }
            config.validate()?;
        }
        Ok(())
    }
}
