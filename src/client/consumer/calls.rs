//! The consumer's remote calls, one function each: the request built as the Java client builds
//! it, the answer read into a plain value. No state, no retries (the callers' timers retry).

use crate::env::Env;
use crate::protocol::body::{
    perm, ConsumerListBody, LockBatchBody, LockBatchResponseBody, MessageQueue, TopicRouteData,
};
use crate::protocol::header::GetRouteInfoHeader;
use crate::protocol::header::{
    ConsumerGroupHeader, GetMaxOffsetHeader, OffsetResponseHeader, QueryConsumerOffsetHeader,
    SearchOffsetHeader, UnregisterClientHeader, UpdateConsumerOffsetHeader,
};
use crate::protocol::heartbeat::HeartbeatData;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::Client;
use bytes::Bytes;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::time::Duration;

/// Why a call gave no usable answer (the caller only needs to know it failed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallFailed;

async fn call<E: Env>(
    client: &Client<E>,
    addr: SocketAddr,
    request: RemotingCommand,
    timeout: Duration,
) -> Result<RemotingCommand, CallFailed> {
    client
        .invoke(addr, request, timeout)
        .await
        .map_err(|_| CallFailed)
}

fn offset_of(response: &RemotingCommand) -> Result<i64, CallFailed> {
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => response
            .header::<OffsetResponseHeader>()
            .map(|h| h.offset)
            .map_err(|_| CallFailed),
        _ => Err(CallFailed),
    }
}

/// A topic's readable queues (Java's `topicRouteData2TopicSubscribeInfo`: every broker with
/// read permission, queue ids `0..readQueueNums`) and every address of each broker group
/// (id 0 the master, others slaves: pulls may go to a slave, §5.5).
pub struct SubscribeRoute {
    pub queues: Vec<MessageQueue>,
    pub brokers: BTreeMap<String, BTreeMap<i64, SocketAddr>>,
}

/// Builds the subscribe route of `topic` from a route answer; groups with no address that
/// parses are left out (a group whose master is gone stays, served by its slaves).
pub fn subscribe_route(topic: &str, route: &TopicRouteData) -> SubscribeRoute {
    let mut queues = Vec::new();
    let mut brokers = BTreeMap::new();
    for data in &route.queue_datas {
        if data.perm & perm::READ == 0 {
            continue;
        }
        let addrs: BTreeMap<i64, SocketAddr> = (route.broker_datas.iter())
            .find(|b| b.broker_name == data.broker_name)
            .map(|b| {
                (b.broker_addrs.iter())
                    .filter_map(|(&id, a)| Some((id, a.parse::<SocketAddr>().ok()?)))
                    .collect()
            })
            .unwrap_or_default();
        if addrs.is_empty() {
            continue;
        }
        brokers.insert(data.broker_name.clone(), addrs);
        queues.extend(
            (0..data.read_queue_nums.max(0)).map(|queue_id| MessageQueue {
                broker_name: data.broker_name.clone(),
                queue_id,
                topic: topic.to_string(),
            }),
        );
    }
    queues.sort();
    SubscribeRoute { queues, brokers }
}

/// GET_ROUTEINFO_BY_TOPIC from one name server; Ok(None) when the topic has no route.
pub async fn route<E: Env>(
    client: &Client<E>,
    namesrv: SocketAddr,
    topic: &str,
    timeout: Duration,
) -> Result<Option<SubscribeRoute>, CallFailed> {
    let request = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(
        &GetRouteInfoHeader {
            topic: topic.to_string(),
            accept_standard_json_only: None,
        },
    );
    let response = call(client, namesrv, request, timeout).await?;
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => {
            let route = TopicRouteData::decode(&response.body).map_err(|_| CallFailed)?;
            Ok(Some(subscribe_route(topic, &route)))
        }
        Some(ResponseCode::TOPIC_NOT_EXIST) => Ok(None),
        _ => Err(CallFailed),
    }
}

/// GET_CONSUMER_LIST_BY_GROUP: the client ids the broker knows in `group`.
pub async fn consumer_ids<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    group: &str,
    timeout: Duration,
) -> Result<Vec<String>, CallFailed> {
    let request = RemotingCommand::request(RequestCode::GET_CONSUMER_LIST_BY_GROUP).with_header(
        &ConsumerGroupHeader {
            consumer_group: group.to_string(),
        },
    );
    let response = call(client, broker, request, timeout).await?;
    if response.response_code() != Some(ResponseCode::SUCCESS) {
        return Err(CallFailed);
    }
    let body = ConsumerListBody::decode(&response.body).map_err(|_| CallFailed)?;
    Ok(body.consumer_id_list)
}

/// QUERY_CONSUMER_OFFSET: Some(offset), or None when the group has none for the queue. We ask
/// for QUERY_NOT_FOUND even when the queue still starts at 0 (`setZeroIfNotFound=false`), so
/// that `consume_from` is honoured for every new group; a 4.9 broker ignores the field and
/// answers 0 there, as it does for Java 4.9 clients.
pub async fn query_offset<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    group: &str,
    queue: &MessageQueue,
    timeout: Duration,
) -> Result<Option<i64>, CallFailed> {
    let request = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(
        &QueryConsumerOffsetHeader {
            consumer_group: group.to_string(),
            topic: queue.topic.clone(),
            queue_id: queue.queue_id,
            set_zero_if_not_found: Some(false),
        },
    );
    let response = call(client, broker, request, timeout).await?;
    match response.response_code() {
        Some(ResponseCode::QUERY_NOT_FOUND) => Ok(None),
        _ => offset_of(&response).map(Some),
    }
}

/// UPDATE_CONSUMER_OFFSET, waiting for the answer (so shutdown knows it arrived).
pub async fn update_offset<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    group: &str,
    queue: &MessageQueue,
    offset: i64,
    timeout: Duration,
) -> Result<(), CallFailed> {
    let request = RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetHeader {
            consumer_group: group.to_string(),
            topic: queue.topic.clone(),
            queue_id: queue.queue_id,
            commit_offset: offset,
        },
    );
    let response = call(client, broker, request, timeout).await?;
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => Ok(()),
        _ => Err(CallFailed),
    }
}

/// GET_MAX_OFFSET: the next offset to be written in the queue.
pub async fn max_offset<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    queue: &MessageQueue,
    timeout: Duration,
) -> Result<i64, CallFailed> {
    let request =
        RemotingCommand::request(RequestCode::GET_MAX_OFFSET).with_header(&GetMaxOffsetHeader {
            topic: queue.topic.clone(),
            queue_id: queue.queue_id,
            committed: None,
        });
    offset_of(&call(client, broker, request, timeout).await?)
}

/// SEARCH_OFFSET_BY_TIMESTAMP: the first offset stored at or after `timestamp_ms`.
pub async fn search_offset<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    queue: &MessageQueue,
    timestamp_ms: i64,
    timeout: Duration,
) -> Result<i64, CallFailed> {
    let request = RemotingCommand::request(RequestCode::SEARCH_OFFSET_BY_TIMESTAMP).with_header(
        &SearchOffsetHeader {
            topic: queue.topic.clone(),
            queue_id: queue.queue_id,
            timestamp_ms,
        },
    );
    offset_of(&call(client, broker, request, timeout).await?)
}

/// LOCK_BATCH_MQ: the queues of `queues` the broker now says we own.
pub async fn lock<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    body: LockBatchBody,
    timeout: Duration,
) -> Result<BTreeSet<MessageQueue>, CallFailed> {
    let request =
        RemotingCommand::request(RequestCode::LOCK_BATCH_MQ).with_body(Bytes::from(body.encode()));
    let response = call(client, broker, request, timeout).await?;
    if response.response_code() != Some(ResponseCode::SUCCESS) {
        return Err(CallFailed);
    }
    let answer = LockBatchResponseBody::decode(&response.body).map_err(|_| CallFailed)?;
    Ok(answer.lock_ok_mq_set)
}

/// UNLOCK_BATCH_MQ.
pub async fn unlock<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    body: LockBatchBody,
    timeout: Duration,
) -> Result<(), CallFailed> {
    let request = RemotingCommand::request(RequestCode::UNLOCK_BATCH_MQ)
        .with_body(Bytes::from(body.encode()));
    call(client, broker, request, timeout).await.map(|_| ())
}

/// HEART_BEAT.
pub async fn heartbeat<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    data: &HeartbeatData,
    timeout: Duration,
) -> Result<(), CallFailed> {
    let body = Bytes::from(serde_json::to_vec(data).expect("heartbeat JSON"));
    let request = RemotingCommand::request(RequestCode::HEART_BEAT).with_body(body);
    call(client, broker, request, timeout).await.map(|_| ())
}

/// UNREGISTER_CLIENT for a consumer group.
pub async fn unregister<E: Env>(
    client: &Client<E>,
    broker: SocketAddr,
    client_id: &str,
    group: &str,
    timeout: Duration,
) -> Result<(), CallFailed> {
    let request = RemotingCommand::request(RequestCode::UNREGISTER_CLIENT).with_header(
        &UnregisterClientHeader {
            client_id: client_id.to_string(),
            producer_group: None,
            consumer_group: Some(group.to_string()),
        },
    );
    call(client, broker, request, timeout).await.map(|_| ())
}
