//! Topic and subscription-group administration (§2.3, §7.2): UPDATE_AND_CREATE_TOPIC (17),
//! GET_ALL_TOPIC_CONFIG (21), DELETE_TOPIC_IN_BROKER (215),
//! UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200), GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
//! A topic change bumps the data version and wakes the topic sync (save `topics.json`,
//! register with every name server). Deleting a topic forgets its config and offsets; its
//! messages stay until retention removes them.

use std::sync::Arc;

use bytes::Bytes;

use super::error::BrokerError;
use super::state::State;
use super::topic_name::{self, TBW102};
use crate::env::Env;
use crate::protocol::body::{BodyError, TopicConfig, TopicFilterType};
use crate::protocol::header::{CreateTopicHeader, TopicHeader};
use crate::protocol::{RemotingCommand, ResponseCode};
use crate::remoting::RequestContext;
use crate::store::metadata::SubscriptionGroupConfig;

/// Queues a topic may have (Java's name server refuses more).
const QUEUE_NUMS_MAX: i32 = 65_535;
/// Subscription groups kept at most.
const GROUPS_MAX: usize = 100_000;

fn success() -> RemotingCommand {
    RemotingCommand::response(ResponseCode::SUCCESS, None)
}

pub(crate) async fn create_topic<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: CreateTopicHeader = request.header()?;
    topic_name::validate(&h.topic)?;
    if h.topic == TBW102 || h.topic == state.config.broker_cluster_name {
        return Err(BrokerError::TopicConflict { topic: h.topic });
    }
    for (what, nums) in [
        ("readQueueNums", h.read_queue_nums),
        ("writeQueueNums", h.write_queue_nums),
    ] {
        if !(0..=QUEUE_NUMS_MAX).contains(&nums) {
            let value = nums.to_string();
            return Err(BodyError::Invalid { what, value }.into());
        }
    }
    let filter = match h.topic_filter_type.as_str() {
        "MULTI_TAG" => TopicFilterType::MultiTag,
        _ => TopicFilterType::SingleTag,
    };
    let config = TopicConfig {
        order: h.order,
        perm: h.perm,
        read_queue_nums: h.read_queue_nums,
        topic_filter_type: filter,
        topic_name: h.topic.clone(),
        topic_sys_flag: h.topic_sys_flag.unwrap_or(0),
        write_queue_nums: h.write_queue_nums,
    };
    if state.topics.put(config, state.env.now_millis()) {
        state.topics_changed.notify_one();
        tracing::info!(target: "rocketsim::broker", topic = %h.topic, "topic created or updated");
    }
    Ok(success())
}

pub(crate) async fn all_topic_config<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    _request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let json = serde_json::to_vec(&state.topics.snapshot()).expect("topics serialize");
    Ok(success().with_body(Bytes::from(json)))
}

pub(crate) async fn delete_topic<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let h: TopicHeader = request.header()?;
    if h.topic == TBW102 {
        return Err(BrokerError::TopicConflict { topic: h.topic });
    }
    if state.topics.remove(&h.topic, state.env.now_millis()) {
        state.offsets.lock().remove_topic(&h.topic);
        state.topics_changed.notify_one();
    }
    Ok(success())
}

pub(crate) async fn create_group<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    if request.body.is_empty() {
        let what = "SubscriptionGroupConfig";
        return Err(BrokerError::MissingBody { what });
    }
    let config: SubscriptionGroupConfig =
        serde_json::from_slice(&request.body).map_err(|e| BodyError::Json {
            what: "SubscriptionGroupConfig",
            detail: e.to_string(),
        })?;
    if config.group_name.is_empty() {
        let what = "groupName";
        return Err(BodyError::Missing { what }.into());
    }
    let now = state.env.now_millis() as i64;
    {
        let mut groups = state.groups.lock();
        let table = &mut groups.subscription_group_table;
        if table.len() >= GROUPS_MAX && !table.contains_key(&config.group_name) {
            let (what, len, max) = ("subscription groups", table.len() + 1, GROUPS_MAX);
            return Err(BodyError::TooLarge { what, len, max }.into());
        }
        table.insert(config.group_name.clone(), config);
        groups.data_version.counter += 1;
        groups.data_version.timestamp = now;
    }
    state.groups_changed.notify_one();
    Ok(success())
}

pub(crate) async fn all_groups<E: Env>(
    state: Arc<State<E>>,
    _ctx: RequestContext,
    _request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let json = serde_json::to_vec(&*state.groups.lock()).expect("groups serialize");
    Ok(success().with_body(Bytes::from(json)))
}
