//! Message operations: `queryMsgById`, `queryMsgByKey`, `queryMsgByOffset`, `sendMessage`,
//! `consumeMessage`. Reads are raw: VIEW_MESSAGE_BY_ID, QUERY_MESSAGE and PULL_MESSAGE
//! without a commit offset, so looking at messages never moves a group's position.

use std::net::SocketAddr;

use bytes::Bytes;

use super::client::{header, parse_addr, refused, success, Admin};
use super::error::AdminError;
use super::view::{MessageView, SendView};
use crate::client::{Message, Producer, ProducerConfig};
use crate::env::Env;
use crate::protocol::body::MessageQueue;
use crate::protocol::header::{
    GetMinOffsetHeader, OffsetResponseHeader, PullMessageHeader, PullMessageResponseHeader,
    QueryMessageHeader, ViewMessageHeader,
};
use crate::protocol::message_id::OffsetMsgId;
use crate::protocol::record::{decode_all, DecodeOptions, MessageRecord};
use crate::protocol::sysflag::PullSysFlag;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};

/// The group the tool pulls as (Java's `MixAll.TOOLS_CONSUMER_GROUP`).
pub const TOOLS_CONSUMER_GROUP: &str = "TOOLS_CONSUMER";
/// The group the tool sends as.
pub const TOOLS_PRODUCER_GROUP: &str = "TOOLS_PRODUCER";
/// Messages per pull of `consume_messages` at most.
const PULL_BATCH_MAX: i32 = 32;
/// Messages `query_msg_by_key` asks each broker for (Java's `-m` default is 64).
pub const QUERY_MAX_NUM: i32 = 64;

/// A message to send from the tool.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendSpec {
    pub topic: String,
    pub body: String,
    pub keys: Option<String>,
    pub tags: Option<String>,
    /// Send to this broker's queue (`-b` and `-i`) instead of letting the producer choose.
    pub queue: Option<(String, i32)>,
}

/// Where `consume_messages` reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumeSpec {
    pub topic: String,
    /// Only this broker's queues.
    pub broker_name: Option<String>,
    /// Only this queue id.
    pub queue_id: Option<i32>,
    /// Start here in every queue read; the queue's min offset when absent.
    pub offset: Option<i64>,
    /// Messages in total at most.
    pub count: usize,
}

fn decode_records(addr: SocketAddr, body: &Bytes) -> Result<Vec<MessageRecord>, AdminError> {
    decode_all(body, &DecodeOptions::default()).map_err(|e| AdminError::BadBody {
        addr,
        what: "message records",
        detail: e.to_string(),
    })
}

impl<E: Env> Admin<E> {
    /// Decodes the offset msgId into broker address and CommitLog offset and asks that
    /// broker with VIEW_MESSAGE_BY_ID.
    pub async fn query_msg_by_id(&self, id: &str) -> Result<MessageView, AdminError> {
        let parsed = OffsetMsgId::parse(id).map_err(|source| AdminError::BadMessageId {
            id: id.to_string(),
            source,
        })?;
        let addr = parsed.store_host;
        let request = RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID).with_header(
            &ViewMessageHeader {
                offset: parsed.physical_offset as i64,
                topic: None,
            },
        );
        let response = self.call(addr, request).await?;
        let records = decode_records(addr, &response.body)?;
        match records.first() {
            Some(record) => Ok(MessageView::of(record)),
            None => Err(AdminError::MessageNotFound {
                what: format!("with id {id}"),
            }),
        }
    }

    /// QUERY_MESSAGE by key on every master of the topic's route (all time); a broker with no
    /// match answers QUERY_NOT_FOUND, which is no error here.
    pub async fn query_msg_by_key(
        &self,
        topic: &str,
        key: &str,
    ) -> Result<Vec<MessageView>, AdminError> {
        let (_, masters) = self.topic_masters(topic).await?;
        let header = QueryMessageHeader {
            topic: topic.to_string(),
            key: key.to_string(),
            max_num: QUERY_MAX_NUM,
            begin_timestamp_ms: 0,
            end_timestamp_ms: i64::MAX,
        };
        let mut found = Vec::new();
        for (_, addr) in masters {
            let request = RemotingCommand::request(RequestCode::QUERY_MESSAGE);
            let response = self
                .call_any_code(addr, request.with_header(&header))
                .await?;
            if response.response_code() == Some(ResponseCode::QUERY_NOT_FOUND) {
                continue;
            }
            let response = success(addr, response)?;
            let records = decode_records(addr, &response.body)?;
            found.extend(records.iter().map(MessageView::of));
        }
        Ok(found)
    }

    /// The message at `offset` of one queue: a PULL_MESSAGE of one message there.
    pub async fn query_msg_by_offset(
        &self,
        topic: &str,
        broker_name: &str,
        queue_id: i32,
        offset: i64,
    ) -> Result<MessageView, AdminError> {
        let addr = self.master_of(topic, broker_name).await?;
        let (records, _) = self.pull(addr, topic, queue_id, offset, 1).await?;
        match records.first() {
            Some(record) if record.queue_offset == offset as u64 => Ok(MessageView::of(record)),
            _ => Err(AdminError::MessageNotFound {
                what: format!("at {topic} {broker_name} queue {queue_id} offset {offset}"),
            }),
        }
    }

    /// Sends one message with a producer of its own (started and shut down here).
    pub async fn send_message(&self, spec: &SendSpec) -> Result<SendView, AdminError> {
        let mut config = ProducerConfig::new(
            TOOLS_PRODUCER_GROUP,
            self.config.namesrv_addrs.clone(),
            self.config.client_ip,
        );
        config.send_timeout_ms = self.config.call_timeout.as_millis() as u64;
        let producer = Producer::new(self.env.clone(), config);
        let mut message = Message::new(spec.topic.clone(), spec.body.clone().into_bytes());
        let invalid = |e| crate::client::SendError::Invalid {
            reason: crate::client::InvalidMessage::Properties(e),
        };
        if let Some(tags) = &spec.tags {
            message = message.with_tags(tags).map_err(invalid)?;
        }
        if let Some(keys) = &spec.keys {
            message = message.with_keys(keys).map_err(invalid)?;
        }
        producer.start();
        let sent = match &spec.queue {
            Some((broker_name, queue_id)) => {
                // The route must be known for the producer to find the broker's address.
                let routed = producer.route(&spec.topic).await;
                let queue = MessageQueue {
                    broker_name: broker_name.clone(),
                    queue_id: *queue_id,
                    topic: spec.topic.clone(),
                };
                match routed {
                    Ok(_) => producer.send_to_queue(message, &queue).await,
                    Err(error) => Err(error),
                }
            }
            None => producer.send(message).await,
        };
        producer.shutdown();
        let sent = sent?;
        Ok(SendView {
            broker_name: sent.queue.broker_name,
            queue_id: sent.queue.queue_id,
            queue_offset: sent.queue_offset,
            status: format!("{:?}", sent.status),
            msg_id: sent.msg_id,
            offset_msg_id: sent.offset_msg_id,
        })
    }

    /// Raw pulls from every readable queue of the topic (or the chosen broker / queue), from
    /// `offset` (or each queue's min offset), until `count` messages or the queues' ends.
    pub async fn consume_messages(
        &self,
        spec: &ConsumeSpec,
    ) -> Result<Vec<MessageView>, AdminError> {
        let (route, masters) = self.topic_masters(&spec.topic).await?;
        let mut out = Vec::new();
        let mut queue_datas = route.queue_datas.clone();
        queue_datas.sort_by(|a, b| a.broker_name.cmp(&b.broker_name));
        for queues in &queue_datas {
            if spec
                .broker_name
                .as_ref()
                .is_some_and(|b| *b != queues.broker_name)
            {
                continue;
            }
            let Some(&(_, addr)) = masters.iter().find(|(n, _)| *n == queues.broker_name) else {
                continue;
            };
            for queue_id in 0..queues.read_queue_nums {
                if spec.queue_id.is_some_and(|q| q != queue_id) {
                    continue;
                }
                if out.len() >= spec.count {
                    return Ok(out);
                }
                let left = spec.count - out.len();
                out.extend(self.drain_queue(addr, spec, queue_id, left).await?);
            }
        }
        Ok(out)
    }

    /// Up to `left` messages of one queue from the spec's offset.
    async fn drain_queue(
        &self,
        addr: SocketAddr,
        spec: &ConsumeSpec,
        queue_id: i32,
        left: usize,
    ) -> Result<Vec<MessageView>, AdminError> {
        let topic = &spec.topic;
        let mut offset = match spec.offset {
            Some(offset) => offset,
            None => self.min_offset(addr, topic, queue_id).await?,
        };
        let mut out = Vec::new();
        while out.len() < left {
            let batch = (left - out.len()).min(PULL_BATCH_MAX as usize) as i32;
            let (records, next) = self.pull(addr, topic, queue_id, offset, batch).await?;
            if records.is_empty() || next <= offset {
                break;
            }
            out.extend(records.iter().take(left - out.len()).map(MessageView::of));
            offset = next;
        }
        Ok(out)
    }

    async fn min_offset(
        &self,
        addr: SocketAddr,
        topic: &str,
        queue_id: i32,
    ) -> Result<i64, AdminError> {
        let request = RemotingCommand::request(RequestCode::GET_MIN_OFFSET).with_header(
            &GetMinOffsetHeader {
                topic: topic.to_string(),
                queue_id,
            },
        );
        let response = self.call(addr, request).await?;
        Ok(header::<OffsetResponseHeader>(addr, &response, "offset")?.offset)
    }

    /// The master address of `broker_name` in the topic's route.
    async fn master_of(&self, topic: &str, broker_name: &str) -> Result<SocketAddr, AdminError> {
        let route = self.topic_route(topic).await?;
        let broker = (route.broker_datas.iter()).find(|b| b.broker_name == broker_name);
        match broker.and_then(|b| b.master_addr()) {
            Some(addr) => parse_addr(addr),
            None => Err(AdminError::NoSuchBroker {
                broker: broker_name.to_string(),
            }),
        }
    }

    /// One raw pull (no commit offset, no long-poll hold, subscription `*`): the records and
    /// the next offset. Nothing found (or an offset out of range) is an empty list.
    async fn pull(
        &self,
        addr: SocketAddr,
        topic: &str,
        queue_id: i32,
        offset: i64,
        max: i32,
    ) -> Result<(Vec<MessageRecord>, i64), AdminError> {
        let flags = PullSysFlag::build(false, false, true, false);
        let request =
            RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&PullMessageHeader {
                consumer_group: TOOLS_CONSUMER_GROUP.into(),
                topic: topic.to_string(),
                queue_id,
                queue_offset: offset,
                max_msg_nums: max,
                sys_flag: flags.to_wire(),
                commit_offset: 0,
                suspend_timeout_ms: 0,
                subscription: Some("*".into()),
                sub_version: 0,
                expression_type: Some("TAG".into()),
                max_msg_bytes: None,
            });
        let response = self.call_any_code(addr, request).await?;
        match response.response_code() {
            Some(ResponseCode::SUCCESS) => {
                let h: PullMessageResponseHeader = header(addr, &response, "pull")?;
                let records = decode_records(addr, &response.body)?;
                Ok((records, h.next_begin_offset))
            }
            Some(
                ResponseCode::PULL_NOT_FOUND
                | ResponseCode::PULL_OFFSET_MOVED
                | ResponseCode::PULL_RETRY_IMMEDIATELY,
            ) => Ok((Vec::new(), offset)),
            _ => Err(refused(addr, response)),
        }
    }
}
