//! The producer's wire side, pure: a message (with its UNIQ_KEY already set) into a
//! SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE request, and a response into a `SendResult` or a typed
//! error; which broker answers are worth another attempt.

use super::message::{InvalidMessage, Message, SendError, SendResult, SendStatus};
use crate::protocol::batch::{encode_batch, BatchEntry};
use crate::protocol::body::MessageQueue;
use crate::protocol::header::{SendMessageHeader, SendMessageHeaderV2, SendMessageResponseHeader};
use crate::protocol::properties::Properties;
use crate::protocol::sysflag::SysFlag;
use crate::protocol::{RemotingCommand, RequestCode, ResponseCode};
use bytes::{Bytes, BytesMut};
use flate2::write::ZlibEncoder;
use flate2::Compression;
use std::io::Write;

/// zlib level of Java's 4.9 producer (`compressLevel`, default 5).
pub const ZLIB_LEVEL: u32 = 5;

/// What every send request of one producer shares.
pub struct SendContext<'a> {
    pub group: &'a str,
    pub default_topic: &'a str,
    pub default_topic_queue_nums: i32,
    pub born_timestamp_ms: i64,
}

/// The body to send and its sysflag: zlib-compressed when longer than `over_bytes`.
pub fn maybe_compress(body: &Bytes, over_bytes: usize) -> (Bytes, SysFlag) {
    if body.len() <= over_bytes {
        return (body.clone(), SysFlag::default());
    }
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::new(ZLIB_LEVEL));
    // Writing into a Vec cannot fail.
    let compressed = encoder
        .write_all(body)
        .and_then(|()| encoder.finish())
        .expect("zlib into memory");
    (Bytes::from(compressed), SysFlag::COMPRESSED)
}

fn properties_text(properties: &Properties) -> Result<String, InvalidMessage> {
    let bytes = properties.encode()?;
    // Keys and values are checked strings, the separators are ASCII.
    Ok(String::from_utf8(bytes.to_vec()).expect("properties are UTF-8"))
}

fn header(
    ctx: &SendContext<'_>,
    queue: &MessageQueue,
    sys_flag: SysFlag,
    flag: i32,
    properties: &Properties,
    batch: bool,
) -> Result<SendMessageHeader, InvalidMessage> {
    Ok(SendMessageHeader {
        producer_group: ctx.group.to_string(),
        topic: queue.topic.clone(),
        default_topic: ctx.default_topic.to_string(),
        default_topic_queue_nums: ctx.default_topic_queue_nums,
        queue_id: queue.queue_id,
        sys_flag: sys_flag.to_wire(),
        born_timestamp_ms: ctx.born_timestamp_ms,
        flag,
        properties: Some(properties_text(properties)?),
        reconsume_times: Some(0),
        unit_mode: false,
        max_reconsume_times: None,
        batch,
        broker_name: Some(queue.broker_name.clone()),
    })
}

/// SEND_MESSAGE_V2 of `message` (body already compressed as `sys_flag` says) to `queue`.
pub fn send_request(
    ctx: &SendContext<'_>,
    queue: &MessageQueue,
    message: &Message,
    body: Bytes,
    sys_flag: SysFlag,
    oneway: bool,
) -> Result<RemotingCommand, InvalidMessage> {
    let h = header(
        ctx,
        queue,
        sys_flag,
        message.flag,
        &message.properties,
        false,
    )?;
    let request = if oneway {
        RemotingCommand::oneway(RequestCode::SEND_MESSAGE_V2)
    } else {
        RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
    };
    Ok(request.with_header(&SendMessageHeaderV2(h)).with_body(body))
}

/// Longest topic name a 4.9 producer accepts.
pub const TOPIC_CHARS_MAX: usize = 127;

/// Java's `Validators.checkTopic`, plus the rule that TBW102 is not a destination.
pub fn check_topic(topic: &str) -> Result<(), InvalidMessage> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '%' | '|' | '_' | '-');
    let ok = !topic.is_empty()
        && topic.len() <= TOPIC_CHARS_MAX
        && topic.chars().all(allowed)
        && topic != super::route_cache::TBW102;
    if ok {
        Ok(())
    } else {
        Err(InvalidMessage::BadTopic)
    }
}

/// SEND_BATCH_MESSAGE of `messages` (one topic, UNIQ_KEYs set, never compressed) to `queue`;
/// the encoded batch body may be at most `body_bytes_max` (Java checks the whole batch
/// against `maxMessageSize`).
pub fn batch_request(
    ctx: &SendContext<'_>,
    queue: &MessageQueue,
    messages: &[Message],
    body_bytes_max: usize,
) -> Result<RemotingCommand, InvalidMessage> {
    let entries: Vec<BatchEntry> = messages
        .iter()
        .map(|m| BatchEntry {
            flag: m.flag,
            body: m.body.clone(),
            properties: m.properties.clone(),
        })
        .collect();
    let mut body = BytesMut::new();
    encode_batch(&entries, &mut body).map_err(|_| InvalidMessage::BadBatch)?;
    if body.len() > body_bytes_max {
        let bytes = body.len();
        return Err(InvalidMessage::TooLarge {
            bytes,
            max: body_bytes_max,
        });
    }
    // The batch's own properties: only WAIT, copied from the first message as Java does.
    let mut properties = Properties::new();
    if let Some(wait) = messages.first().and_then(|m| m.properties.get("WAIT")) {
        properties.insert("WAIT", wait)?;
    }
    let h = header(ctx, queue, SysFlag::default(), 0, &properties, true)?;
    Ok(RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE)
        .with_header(&SendMessageHeaderV2(h))
        .with_body(body.freeze()))
}

/// The result of a send answered by the broker; `msg_id` is the UNIQ_KEY(s) we set.
pub fn read_response(
    response: &RemotingCommand,
    queue: &MessageQueue,
    msg_id: String,
) -> Result<SendResult, SendError> {
    let code = response
        .response_code()
        .unwrap_or(ResponseCode::SYSTEM_ERROR);
    let Some(status) = SendStatus::from_code(code) else {
        return Err(SendError::Broker {
            code,
            remark: response.remark.clone(),
        });
    };
    let header: SendMessageResponseHeader = response.header().map_err(|_| SendError::Broker {
        code: ResponseCode::SYSTEM_ERROR,
        remark: Some("unreadable send response header".into()),
    })?;
    Ok(SendResult {
        status,
        msg_id,
        offset_msg_id: header.msg_id,
        queue: MessageQueue {
            broker_name: queue.broker_name.clone(),
            queue_id: header.queue_id,
            topic: queue.topic.clone(),
        },
        queue_offset: header.queue_offset,
    })
}

/// Broker answers after which Java's sync send tries again (on another broker):
/// TOPIC_NOT_EXIST, SERVICE_NOT_AVAILABLE, SYSTEM_ERROR, NO_PERMISSION, NO_BUYER_ID (204),
/// NOT_IN_CURRENT_UNIT. Every other refusal (SYSTEM_BUSY, MESSAGE_ILLEGAL, …) is returned at
/// once, as are the stored-but-not-OK statuses (`retryAnotherBrokerWhenNotStoreOK` is false).
pub fn is_retryable(code: ResponseCode) -> bool {
    const NO_BUYER_ID: ResponseCode = ResponseCode(204);
    [
        ResponseCode::TOPIC_NOT_EXIST,
        ResponseCode::SERVICE_NOT_AVAILABLE,
        ResponseCode::SYSTEM_ERROR,
        ResponseCode::NO_PERMISSION,
        NO_BUYER_ID,
        ResponseCode::NOT_IN_CURRENT_UNIT,
    ]
    .contains(&code)
}

/// Java's `String.hashCode` (over UTF-16 units), so a sharding key picks the same queue as
/// `SelectMessageQueueByHash` does for a Java producer.
pub fn java_string_hash(key: &str) -> i32 {
    key.encode_utf16().fold(0i32, |h, unit| {
        h.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// `SelectMessageQueueByHash`: |hash % n|.
pub fn queue_index_by_hash(key: &str, queue_count: usize) -> usize {
    assert!(queue_count > 0, "no queue to select");
    let n = i32::try_from(queue_count).unwrap_or(i32::MAX);
    (java_string_hash(key) % n).unsigned_abs() as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use std::io::Read;

    #[test]
    fn java_hash_matches_known_values() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        assert_eq!(java_string_hash("hello"), 99_162_322);
        // Overflows like Java's int arithmetic.
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(queue_index_by_hash("polygenelubricants", 3), 2);
        assert_eq!(queue_index_by_hash("hello", 4), 2);
    }

    #[test]
    fn bodies_over_the_threshold_are_zlib_compressed() {
        let small = Bytes::from(vec![7u8; 4096]);
        assert_eq!(
            maybe_compress(&small, 4096),
            (small.clone(), SysFlag::default())
        );
        let large = Bytes::from(vec![7u8; 4097]);
        let (body, flag) = maybe_compress(&large, 4096);
        assert!(flag.is_compressed());
        let mut out = Vec::new();
        ZlibDecoder::new(&body[..])
            .read_to_end(&mut out)
            .expect("zlib");
        assert_eq!(out, large);
    }

    #[test]
    fn topics_are_checked_as_java_does() {
        for good in ["T", "Topic_A-1", "%RETRY%G", "a|b", &"x".repeat(127)] {
            assert_eq!(check_topic(good), Ok(()), "{good}");
        }
        for bad in ["", "TBW102", "a b", "a.b", "ü", &"x".repeat(128)] {
            assert_eq!(check_topic(bad), Err(InvalidMessage::BadTopic), "{bad}");
        }
    }

    #[test]
    fn retryable_codes_are_javas() {
        assert!(is_retryable(ResponseCode::TOPIC_NOT_EXIST));
        assert!(is_retryable(ResponseCode::SYSTEM_ERROR));
        assert!(!is_retryable(ResponseCode::SYSTEM_BUSY));
        assert!(!is_retryable(ResponseCode::MESSAGE_ILLEGAL));
        assert!(!is_retryable(ResponseCode::FLUSH_DISK_TIMEOUT));
    }
}
