//! One PULL_MESSAGE (§2.2) as pure functions: the request a pull loop sends and what its
//! answer means. The driver (`engine.rs`) does the call and acts on the [`PullOutcome`].
//!
//! Answers, as Java's `PullAPIWrapper` / `DefaultMQPushConsumerImpl.pullMessage` read them:
//! SUCCESS → FOUND (records decoded, inflated, re-checked against the tags);
//! PULL_NOT_FOUND → no new message; PULL_RETRY_IMMEDIATELY → nothing matched (pull again from
//! `next`); PULL_OFFSET_MOVED → the offset is illegal (the queue is dropped and its offset
//! moved to `next`); anything else is an error (wait, retry).

use super::config::ReceivedMessage;
use super::subscription::Subscription;
use crate::protocol::body::MessageQueue;
use crate::protocol::header::{PullMessageHeader, PullMessageResponseHeader};
use crate::protocol::record::{decode_all, DecodeOptions, MessageRecord};
use crate::protocol::sysflag::{PullSysFlag, SysFlag};
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use bytes::Bytes;
use flate2::read::ZlibDecoder;
use std::io::Read;

/// What a pull loop needs to build one request.
#[derive(Clone, Debug)]
pub struct PullParams<'a> {
    pub group: &'a str,
    pub queue: &'a MessageQueue,
    pub offset: i64,
    pub batch: u32,
    /// The committed offset to piggy-back (clustering only).
    pub commit_offset: Option<i64>,
    pub subscription: &'a Subscription,
    pub suspend_ms: u64,
    pub lite: bool,
}

/// The PULL_MESSAGE request: long polling on, the subscription always sent.
pub fn pull_request(p: &PullParams<'_>) -> RemotingCommand {
    let flags = PullSysFlag::build(p.commit_offset.is_some(), true, true, false);
    let flags = flags.with(PullSysFlag::LITE_PULL, p.lite);
    RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&PullMessageHeader {
        consumer_group: p.group.to_string(),
        topic: p.queue.topic.clone(),
        queue_id: p.queue.queue_id,
        queue_offset: p.offset,
        max_msg_nums: p.batch as i32,
        sys_flag: flags.to_wire(),
        commit_offset: p.commit_offset.unwrap_or(0),
        suspend_timeout_ms: p.suspend_ms as i64,
        subscription: Some(p.subscription.expression.clone()),
        sub_version: p.subscription.version,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
    })
}

/// What an answer means for the pull loop.
#[derive(Debug)]
pub enum PullOutcome {
    /// Messages (after the tag re-check; possibly none) and the next offset to pull.
    Found {
        messages: Vec<ReceivedMessage>,
        next: i64,
    },
    /// Nothing new (the broker held the pull and gave up) or nothing matched; pull from `next`.
    Nothing { next: i64 },
    /// The offset is illegal: drop the queue, commit `next`.
    OffsetMoved { next: i64 },
    /// Refused or unreadable: wait and retry.
    Error,
}

/// Reads an answer to a pull of `queue`.
pub fn read_pull_response(
    response: &RemotingCommand,
    queue: &MessageQueue,
    subscription: &Subscription,
    inflated_max: usize,
) -> PullOutcome {
    let Ok(header) = response.header::<PullMessageResponseHeader>() else {
        return PullOutcome::Error;
    };
    let next = header.next_begin_offset;
    match response.response_code() {
        Some(ResponseCode::SUCCESS) => {
            let Ok(records) = decode_all(&response.body, &DecodeOptions::default()) else {
                return PullOutcome::Error;
            };
            let mut messages = Vec::with_capacity(records.len());
            for record in records {
                if !subscription.matches(&record) {
                    continue;
                }
                let Some(record) = inflate(record, inflated_max) else {
                    return PullOutcome::Error;
                };
                messages.push(ReceivedMessage {
                    queue: queue.clone(),
                    reconsume_times: record.reconsume_times.max(0) as u32,
                    record,
                });
            }
            PullOutcome::Found { messages, next }
        }
        Some(ResponseCode::PULL_NOT_FOUND) | Some(ResponseCode::PULL_RETRY_IMMEDIATELY) => {
            PullOutcome::Nothing { next }
        }
        Some(ResponseCode::PULL_OFFSET_MOVED) => PullOutcome::OffsetMoved { next },
        _ => PullOutcome::Error,
    }
}

/// The broker id an answer suggests pulling from next (§5.5), when it says.
pub fn suggested_broker(response: &RemotingCommand) -> Option<i64> {
    let header = response.header::<PullMessageResponseHeader>().ok()?;
    Some(header.suggest_which_broker_id)
}

/// Inflates a compressed body (zlib, as 4.9 writes it) and clears the flag; None when the
/// body does not inflate or inflates past `max` bytes.
pub fn inflate(mut record: MessageRecord, max: usize) -> Option<MessageRecord> {
    if !record.sys_flag.is_compressed() {
        return Some(record);
    }
    let mut out = Vec::new();
    let limit = max as u64 + 1;
    ZlibDecoder::new(&record.body[..])
        .take(limit)
        .read_to_end(&mut out)
        .ok()?;
    if out.len() > max {
        return None;
    }
    record.body = Bytes::from(out);
    record.sys_flag = record.sys_flag.with(SysFlag::COMPRESSED, false);
    Some(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_has_suspend_subscription_and_optional_commit() {
        let queue = MessageQueue {
            broker_name: "b".into(),
            queue_id: 3,
            topic: "T".into(),
        };
        let sub = Subscription::parse("T", "A || B", 9).unwrap();
        let mut p = PullParams {
            group: "G",
            queue: &queue,
            offset: 42,
            batch: 32,
            commit_offset: Some(40),
            subscription: &sub,
            suspend_ms: 15_000,
            lite: false,
        };
        let h: PullMessageHeader = pull_request(&p).header().unwrap();
        assert_eq!(h.sys_flag, 0x7);
        assert_eq!(
            (h.queue_offset, h.commit_offset, h.max_msg_nums),
            (42, 40, 32)
        );
        assert_eq!(h.subscription.as_deref(), Some("A || B"));
        p.commit_offset = None;
        p.lite = true;
        let h: PullMessageHeader = pull_request(&p).header().unwrap();
        assert_eq!(h.sys_flag, 0x16);
    }
}
