//! Headers of the broker's admin requests (§2.3): UPDATE_AND_CREATE_TOPIC (17),
//! DELETE_TOPIC_IN_BROKER (215), GET_CONSUME_STATS (208), GET_TOPIC_STATS_INFO (202).

use super::field::{opt, put, put_opt, req};
use super::CommandHeader;
use crate::protocol::{ExtFields, HeaderError};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateTopicHeader {
    pub topic: String,
    pub default_topic: String,
    pub read_queue_nums: i32,
    pub write_queue_nums: i32,
    pub perm: i32,
    /// `SINGLE_TAG` / `MULTI_TAG`.
    pub topic_filter_type: String,
    pub topic_sys_flag: Option<i32>,
    pub order: bool,
}

impl CommandHeader for CreateTopicHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
        put(ext, "defaultTopic", &self.default_topic);
        put(ext, "readQueueNums", self.read_queue_nums);
        put(ext, "writeQueueNums", self.write_queue_nums);
        put(ext, "perm", self.perm);
        put(ext, "topicFilterType", &self.topic_filter_type);
        put_opt(ext, "topicSysFlag", self.topic_sys_flag);
        put(ext, "order", self.order);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(CreateTopicHeader {
            topic: req(ext, "topic")?,
            default_topic: req(ext, "defaultTopic")?,
            read_queue_nums: req(ext, "readQueueNums")?,
            write_queue_nums: req(ext, "writeQueueNums")?,
            perm: req(ext, "perm")?,
            topic_filter_type: req(ext, "topicFilterType")?,
            topic_sys_flag: opt(ext, "topicSysFlag")?,
            order: opt(ext, "order")?.unwrap_or(false),
        })
    }
}

/// DELETE_TOPIC_IN_BROKER and GET_TOPIC_STATS_INFO: just the topic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicHeader {
    pub topic: String,
}

impl CommandHeader for TopicHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "topic", &self.topic);
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(TopicHeader {
            topic: req(ext, "topic")?,
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetConsumeStatsHeader {
    pub consumer_group: String,
    pub topic: Option<String>,
}

impl CommandHeader for GetConsumeStatsHeader {
    fn write(&self, ext: &mut ExtFields) {
        put(ext, "consumerGroup", &self.consumer_group);
        put_opt(ext, "topic", self.topic.as_ref());
    }

    fn read(ext: &ExtFields) -> Result<Self, HeaderError> {
        Ok(GetConsumeStatsHeader {
            consumer_group: req(ext, "consumerGroup")?,
            topic: opt(ext, "topic")?.filter(|t: &String| !t.is_empty()),
        })
    }
}
