//! SEND_MESSAGE (10, V1 header), SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) (§2.1,
//! §1.6, §3.2).
//!
//! Checks, in Java's order: header, topic name, broker write permission, topic existence
//! (auto-created from the template the producer names, normally TBW102, when
//! `autoCreateTopicEnable`), topic write permission, queue id (negative: the broker picks one),
//! body and properties. Then the send waits its turn in the bounded send queue and is stored.
//! A refused send stores nothing. Born host = the connection's peer; store host = the
//! broker's published address (the store stamps it).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;

use super::error::{BrokerError, Denied};
use super::state::State;
use super::topic_name::{self, TBW102};
use crate::env::{Env, RandomExt};
use crate::protocol::batch::{decode_batch, BatchLimits};
use crate::protocol::body::{perm, TopicConfig};
use crate::protocol::header::{SendMessageHeader, SendMessageResponseHeader};
use crate::protocol::message_id::OffsetMsgId;
use crate::protocol::properties::{key, Properties, PROPERTIES_BYTES_MAX};
use crate::protocol::sysflag::SysFlag;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use crate::remoting::RequestContext;
use crate::store::{PutMessage, PutResult, PutStatus};

pub(crate) async fn send<E: Env>(
    state: Arc<State<E>>,
    ctx: RequestContext,
    request: RemotingCommand,
) -> Result<RemotingCommand, BrokerError> {
    let code = request.request_code().unwrap_or(RequestCode::SEND_MESSAGE);
    let header = SendMessageHeader::read_for(code, &request.ext_fields)?;
    topic_name::validate_for_send(&header.topic)?;
    let Some(term) = state.write_term() else {
        // Java refuses in the store (`putMessage` on a SLAVE); refusing before the topic
        // checks keeps a slave from auto-creating topics its master does not have.
        return Err(BrokerError::PutToSlave);
    };
    if !state.broker_writable() {
        let broker = state.config.broker_addr().to_string();
        return Err(Denied::BrokerNotWritable { broker }.into());
    }
    let topic = ensure_topic(&state, &header)?;
    if topic.perm & perm::WRITE == 0 {
        let topic = topic.topic_name;
        return Err(Denied::TopicNotWritable { topic }.into());
    }
    let queue_id = pick_queue(&state, &topic, header.queue_id)?;
    let batch = code == RequestCode::SEND_BATCH_MESSAGE;
    let messages = build_messages(&state, &ctx, &header, queue_id, &request.body, batch)?;
    let _turn = state.send_queue.admit(&state.env).await?;
    let mut result = match batch {
        true => state.store.put_batch(&messages).await?,
        false => state.store.put(messages[0].clone()).await?,
    };
    state.replication.notify_appended();
    if messages[0].properties.wait_store_msg_ok() {
        // §5.3: the replicas' verdict replaces the flush's unless they acknowledged.
        let end = result.appended.end_offset;
        let replicated = state.replication.wait_for_replicas(&term, end).await;
        if replicated != PutStatus::Ok {
            result.status = replicated;
        }
    }
    state
        .put_total
        .fetch_add(messages.len() as u64, Ordering::Relaxed);
    Ok(response(&state, queue_id, &result))
}

/// The topic's config, creating it from the template when allowed (Java's
/// `createTopicInSendMessageMethod`): queues = min(the producer's default, the template's),
/// permission = the template's without INHERIT.
fn ensure_topic<E: Env>(
    state: &State<E>,
    header: &SendMessageHeader,
) -> Result<TopicConfig, BrokerError> {
    if let Some(config) = state.topics.get(&header.topic) {
        return Ok(config);
    }
    let not_exist = || BrokerError::TopicNotExist {
        topic: header.topic.clone(),
    };
    let template = state
        .topics
        .get(&header.default_topic)
        .filter(|t| t.perm & perm::INHERIT != 0)
        .filter(|_| header.default_topic != TBW102 || state.config.auto_create_topic_enable)
        .ok_or_else(not_exist)?;
    let queues = header
        .default_topic_queue_nums
        .clamp(1, template.write_queue_nums.max(1));
    let config = TopicConfig::with_queues(
        &header.topic,
        queues,
        queues,
        template.perm & !perm::INHERIT,
    );
    if state.topics.put(config.clone(), state.env.now_millis()) {
        state.topics_changed.notify_one();
        tracing::info!(target: "rocketsim::broker", topic = %header.topic, queues, "topic auto-created");
    }
    Ok(state.topics.get(&header.topic).unwrap_or(config))
}

fn pick_queue<E: Env>(
    state: &State<E>,
    topic: &TopicConfig,
    queue_id: i32,
) -> Result<i32, BrokerError> {
    let queues = topic.write_queue_nums.max(topic.read_queue_nums);
    if queue_id < 0 {
        let writable = topic.write_queue_nums.max(1) as u64;
        return Ok(state.env.below(writable) as i32);
    }
    if queue_id >= queues {
        return Err(BrokerError::QueueIdIllegal {
            topic: topic.topic_name.clone(),
            queue_id,
            queues,
        });
    }
    Ok(queue_id)
}

fn build_messages<E: Env>(
    state: &State<E>,
    ctx: &RequestContext,
    header: &SendMessageHeader,
    queue_id: i32,
    body: &Bytes,
    batch: bool,
) -> Result<Vec<PutMessage>, BrokerError> {
    if body.is_empty() {
        return Err(BrokerError::EmptyBody);
    }
    let text = header.properties.as_deref().unwrap_or("");
    if text.len() > PROPERTIES_BYTES_MAX {
        let (len, max) = (text.len(), PROPERTIES_BYTES_MAX);
        return Err(BrokerError::PropertiesTooLarge { len, max });
    }
    let properties = with_cluster(state, Properties::decode(text.as_bytes()));
    let template = PutMessage {
        topic: header.topic.clone(),
        queue_id,
        flag: header.flag,
        body: body.clone(),
        properties,
        sys_flag: SysFlag::from_wire(header.sys_flag),
        born_timestamp_ms: header.born_timestamp_ms,
        born_host: ctx.info().peer,
        reconsume_times: header.reconsume_times.unwrap_or(0),
        prepared_transaction_offset: 0,
    };
    let body_bytes_max = state.config.max_message_size;
    if !batch {
        template.validate(body_bytes_max)?;
        return Ok(vec![template]);
    }
    let limits = BatchLimits {
        body_bytes_max,
        ..BatchLimits::default()
    };
    let entries = decode_batch(body, &limits)?;
    let mut messages = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut properties = with_cluster(state, entry.properties);
        // The batch's WAIT (in the header's properties) decides for all of its messages.
        if let Some(wait) = template.properties.get(key::WAIT) {
            let _ = properties.insert(key::WAIT, wait);
        }
        let message = PutMessage {
            flag: entry.flag,
            body: entry.body,
            properties,
            ..template.clone()
        };
        message.validate(body_bytes_max)?;
        messages.push(message);
    }
    Ok(messages)
}

/// Java stamps the cluster name on every message (`PROPERTY_CLUSTER`).
fn with_cluster<E: Env>(state: &State<E>, mut properties: Properties) -> Properties {
    let _ = properties.insert(key::CLUSTER, state.config.broker_cluster_name.as_str());
    properties
}

fn response<E: Env>(state: &State<E>, queue_id: i32, result: &PutResult) -> RemotingCommand {
    let store_host = state.config.broker_addr();
    let msg_id = result
        .appended
        .physical_offsets
        .iter()
        .map(|&physical_offset| {
            OffsetMsgId {
                store_host,
                physical_offset,
            }
            .to_string()
        })
        .collect::<Vec<_>>()
        .join(",");
    let header = SendMessageResponseHeader {
        msg_id,
        queue_id,
        queue_offset: result.appended.queue_offset as i64,
        transaction_id: None,
        msg_region: Some(state.config.region_id.clone()),
        trace_on: Some(state.config.trace_on),
    };
    let code: ResponseCode = result.status.response_code();
    RemotingCommand::response(code, None).with_header(&header)
}
