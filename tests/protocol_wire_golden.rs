//! Golden frames written by hand from the reference's field tables (ROCKETMQ.md §1.1–§1.4,
//! §2.1), never produced by our encoder. Each fixture is decoded and every field asserted; where
//! the fixture is in our documented output shape, encoding our command must give the same bytes.

use bytes::{Bytes, BytesMut};
use rocketsim::protocol::frame::{decode, encode};
use rocketsim::protocol::header::{
    OffsetResponseHeader, SendMessageHeader, SendMessageHeaderV2, SendMessageResponseHeader,
    UpdateConsumerOffsetHeader,
};
use rocketsim::protocol::{
    ExtFields, Kind, LanguageCode, RemotingCommand, RequestCode, ResponseCode, SerializeType,
};

/// `prefix` is the 8 bytes written out by hand: length, serialize type, header length.
fn frame(prefix: [u8; 8], header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    out.extend_from_slice(header);
    out.extend_from_slice(body);
    out
}

fn encoded(cmd: &RemotingCommand, ser: SerializeType) -> Vec<u8> {
    let mut buf = BytesMut::new();
    encode(cmd, ser, &mut buf).expect("encodes");
    buf.to_vec()
}

fn decode_all(bytes: &[u8]) -> RemotingCommand {
    let (cmd, used) = decode(bytes).expect("decodes");
    assert_eq!(used, bytes.len(), "the whole fixture is one frame");
    cmd
}

const PROPERTIES: &str =
    "UNIQ_KEY\u{1}AC110001000018B4AAC20C5C5A000000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}";

/// The shape of §1.3's typical request; properties use 0x01/0x02 separators (§3.4), which JSON
/// escapes as `\u0001`/`\u0002`.
const SEND_V2_JSON: &str = r#"{"code":310,"extFields":{"a":"PG","b":"TopicTest","c":"TBW102","d":"4","e":"1","f":"0","g":"1700000000000","h":"0","i":"UNIQ_KEY\u0001AC110001000018B4AAC20C5C5A000000\u0002WAIT\u0001true\u0002TAGS\u0001TagA\u0002","j":"0","k":"false","l":"16","m":"false"},"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}"#;

fn send_header() -> SendMessageHeader {
    SendMessageHeader {
        producer_group: "PG".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 1,
        sys_flag: 0,
        born_timestamp_ms: 1_700_000_000_000,
        flag: 0,
        properties: Some(PROPERTIES.into()),
        reconsume_times: Some(0),
        unit_mode: false,
        max_reconsume_times: Some(16),
        batch: false,
        broker_name: None,
    }
}

#[test]
fn json_send_message_v2_request() {
    let bytes = frame(
        [
            0x00, 0x00, 0x01, 0x67, // length 359 = 4 + 341 + 14
            0x00, // serialize type JSON
            0x00, 0x01, 0x55, // header length 341
        ],
        SEND_V2_JSON.as_bytes(),
        b"Hello RocketMQ",
    );
    let cmd = decode_all(&bytes);
    assert_eq!(
        cmd.kind,
        Kind::Request {
            code: RequestCode::SEND_MESSAGE_V2,
            oneway: false
        }
    );
    assert_eq!(cmd.language, LanguageCode::Java);
    assert_eq!(
        (cmd.version, cmd.opaque, cmd.remark.as_deref()),
        (409, 7, None)
    );
    assert_eq!(cmd.ext_fields.len(), 13);
    assert_eq!(cmd.ext_fields.get("g"), Some("1700000000000"));
    assert_eq!(cmd.ext_fields.get("i"), Some(PROPERTIES));
    assert_eq!(&cmd.body[..], b"Hello RocketMQ");
    let header: SendMessageHeaderV2 = cmd.header().expect("V2 header");
    assert_eq!(header.0, send_header());
    assert_eq!(
        SendMessageHeader::read_for(RequestCode::SEND_MESSAGE_V2, &cmd.ext_fields),
        Ok(send_header())
    );

    let ours = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
        .with_opaque(7)
        .with_header(&SendMessageHeaderV2(send_header()))
        .with_body(Bytes::from_static(b"Hello RocketMQ"));
    assert_eq!(encoded(&ours, SerializeType::Json), bytes);
}

const SEND_RESPONSE_JSON: &str = r#"{"code":0,"extFields":{"MSG_REGION":"DefaultRegion","TRACE_ON":"true","msgId":"0A00000100002A9F0000000000000000","queueId":"1","queueOffset":"0"},"flag":1,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}"#;

#[test]
fn json_send_response_flag_1() {
    let bytes = frame(
        [
            0x00, 0x00, 0x00, 0xEB, // length 235 = 4 + 231
            0x00, // JSON
            0x00, 0x00, 0xE7, // header length 231
        ],
        SEND_RESPONSE_JSON.as_bytes(),
        b"",
    );
    let cmd = decode_all(&bytes);
    assert_eq!(
        cmd.kind,
        Kind::Response {
            code: ResponseCode::SUCCESS
        }
    );
    assert!(cmd.is_response() && !cmd.is_oneway());
    assert_eq!((cmd.opaque, cmd.version), (7, 409));
    assert!(cmd.body.is_empty());
    let expected = SendMessageResponseHeader {
        msg_id: "0A00000100002A9F0000000000000000".into(),
        queue_id: 1,
        queue_offset: 0,
        transaction_id: None,
        msg_region: Some("DefaultRegion".into()),
        trace_on: Some(true),
    };
    assert_eq!(cmd.header(), Ok(expected.clone()));

    let request = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2).with_opaque(7);
    let ours =
        RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None).with_header(&expected);
    assert_eq!(encoded(&ours, SerializeType::Json), bytes);
}

const ROUTE_MISSING_JSON: &str = r#"{"code":17,"flag":1,"language":"JAVA","opaque":9,"remark":"No topic route info in name server for the topic: T","serializeTypeCurrentRPC":"JSON","version":409}"#;

/// A response without a custom header: Java's null `extFields` is omitted, `remark` present.
#[test]
fn json_error_response_with_remark_and_no_ext_fields() {
    let bytes = frame(
        [
            0x00, 0x00, 0x00, 0xA3, // length 163
            0x00, // JSON
            0x00, 0x00, 0x9F, // header length 159
        ],
        ROUTE_MISSING_JSON.as_bytes(),
        b"",
    );
    let cmd = decode_all(&bytes);
    assert_eq!(cmd.response_code(), Some(ResponseCode::TOPIC_NOT_EXIST));
    assert_eq!(
        cmd.remark.as_deref(),
        Some("No topic route info in name server for the topic: T")
    );
    assert!(cmd.ext_fields.is_empty());

    let ours = RemotingCommand::response(
        ResponseCode::TOPIC_NOT_EXIST,
        Some("No topic route info in name server for the topic: T".into()),
    )
    .with_opaque(9);
    assert_eq!(encoded(&ours, SerializeType::Json), bytes);
}

const ONEWAY_JSON: &str = r#"{"code":15,"extFields":{"commitOffset":"42","consumerGroup":"CG","queueId":"3","topic":"T"},"flag":2,"language":"JAVA","opaque":11,"serializeTypeCurrentRPC":"JSON","version":409}"#;

#[test]
fn json_oneway_request_flag_2() {
    let bytes = frame(
        [
            0x00, 0x00, 0x00, 0xB6, // length 182
            0x00, // JSON
            0x00, 0x00, 0xB2, // header length 178
        ],
        ONEWAY_JSON.as_bytes(),
        b"",
    );
    let cmd = decode_all(&bytes);
    assert_eq!(
        cmd.kind,
        Kind::Request {
            code: RequestCode::UPDATE_CONSUMER_OFFSET,
            oneway: true
        }
    );
    let expected = UpdateConsumerOffsetHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: 3,
        commit_offset: 42,
    };
    assert_eq!(cmd.header(), Ok(expected.clone()));

    let ours = RemotingCommand::oneway(RequestCode::UPDATE_CONSUMER_OFFSET)
        .with_opaque(11)
        .with_header(&expected);
    assert_eq!(encoded(&ours, SerializeType::Json), bytes);
}

/// A pure-JavaScript client (§11): no `version`, no `serializeTypeCurrentRPC`, keys in its own
/// order, numeric and boolean ext values, a C++-style `"1"` boolean, a null value and an
/// unknown top-level key.
const THIRD_PARTY_JSON: &str = r#"{"code":310,"language":"NODE_JS","opaque":3,"flag":0,"extFields":{"a":"PG","b":"T","c":"TBW102","d":4,"e":-1,"f":0,"g":1700000000000,"h":0,"k":true,"m":"1","x":null},"extra":{"nested":[1,2]}}"#;

#[test]
fn json_lenient_third_party_header() {
    let bytes = frame(
        [
            0x00, 0x00, 0x00, 0xC3, // length 195
            0x00, // JSON
            0x00, 0x00, 0xBF, // header length 191
        ],
        THIRD_PARTY_JSON.as_bytes(),
        b"",
    );
    let cmd = decode_all(&bytes);
    assert_eq!(cmd.request_code(), Some(RequestCode::SEND_MESSAGE_V2));
    assert_eq!(cmd.language, LanguageCode::NodeJs);
    assert_eq!(cmd.version, 0, "missing version is an old client");
    assert_eq!(cmd.opaque, 3);
    assert_eq!(cmd.ext_fields.get("d"), Some("4"));
    assert_eq!(cmd.ext_fields.get("e"), Some("-1"));
    assert_eq!(cmd.ext_fields.get("k"), Some("true"));
    assert_eq!(cmd.ext_fields.get("x"), None, "null values are absent");
    let header = SendMessageHeader::read_v2(&cmd.ext_fields).expect("lenient V2 header");
    assert_eq!(header.queue_id, -1);
    assert_eq!(header.born_timestamp_ms, 1_700_000_000_000);
    assert!(header.unit_mode && header.batch);
    assert_eq!(header.properties, None);
}

/// ROCKETMQ header (§1.4), every byte by hand: a GET_MAX_OFFSET response with a remark.
#[test]
fn rocketmq_binary_response() {
    let bytes: Vec<u8> = vec![
        0x00, 0x00, 0x00, 0x2A, // frame length 42 = 4 + 38
        0x01, // serialize type ROCKETMQ
        0x00, 0x00, 0x26, // header length 38
        0x00, 0x00, // code 0 SUCCESS
        0x00, // language JAVA
        0x01, 0x99, // version 409
        0x00, 0x00, 0x00, 0x07, // opaque 7
        0x00, 0x00, 0x00, 0x01, // flag 1 = response
        0x00, 0x00, 0x00, 0x02, b'o', b'k', // remark "ok"
        0x00, 0x00, 0x00, 0x0F, // ext area length 15
        0x00, 0x06, b'o', b'f', b'f', b's', b'e', b't', // key "offset"
        0x00, 0x00, 0x00, 0x03, b'1', b'2', b'8', // value "128"
    ];
    let cmd = decode_all(&bytes);
    assert_eq!(
        cmd.kind,
        Kind::Response {
            code: ResponseCode::SUCCESS
        }
    );
    assert_eq!(cmd.language, LanguageCode::Java);
    assert_eq!((cmd.version, cmd.opaque), (409, 7));
    assert_eq!(cmd.remark.as_deref(), Some("ok"));
    assert_eq!(cmd.header(), Ok(OffsetResponseHeader { offset: 128 }));
    assert!(cmd.body.is_empty());

    let ours = RemotingCommand::response(ResponseCode::SUCCESS, Some("ok".into()))
        .with_opaque(7)
        .with_header(&OffsetResponseHeader { offset: 128 });
    assert_eq!(encoded(&ours, SerializeType::RocketMq), bytes);
}

/// Appends one ext entry as §1.4 lays it out: int16 key length, key, int32 value length, value.
fn ext_entry(out: &mut Vec<u8>, key: &str, value: &str) {
    out.extend_from_slice(&(key.len() as u16).to_be_bytes());
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
}

/// ROCKETMQ header: a SEND_MESSAGE_V2 request from a binary-header client, with a body.
#[test]
fn rocketmq_binary_send_message_v2_request() {
    let mut bytes: Vec<u8> = vec![
        0x00, 0x00, 0x00, 0x98, // frame length 152 = 4 + 143 + 5
        0x01, // ROCKETMQ
        0x00, 0x00, 0x8F, // header length 143
        0x01, 0x36, // code 310 SEND_MESSAGE_V2
        0x00, // language JAVA
        0x01, 0x99, // version 409
        0x00, 0x00, 0x00, 0x07, // opaque 7
        0x00, 0x00, 0x00, 0x00, // flag 0 = two-way request
        0x00, 0x00, 0x00, 0x00, // remark length 0 = null
        0x00, 0x00, 0x00, 0x7A, // ext area length 122
    ];
    let ext = [
        ("a", "PG"),
        ("b", "TopicTest"),
        ("c", "TBW102"),
        ("d", "4"),
        ("e", "1"),
        ("f", "0"),
        ("g", "1700000000000"),
        ("h", "0"),
        ("j", "0"),
        ("k", "false"),
        ("m", "false"),
    ];
    for (key, value) in ext {
        ext_entry(&mut bytes, key, value);
    }
    bytes.extend_from_slice(b"Hello"); // body
    assert_eq!(bytes.len(), 4 + 0x98);

    let cmd = decode_all(&bytes);
    assert_eq!(cmd.request_code(), Some(RequestCode::SEND_MESSAGE_V2));
    assert!(!cmd.is_oneway());
    assert_eq!(
        (cmd.version, cmd.opaque, cmd.remark.as_deref()),
        (409, 7, None)
    );
    assert_eq!(cmd.ext_fields, ext.into_iter().collect::<ExtFields>());
    assert_eq!(&cmd.body[..], b"Hello");
    let header = SendMessageHeader::read_v2(&cmd.ext_fields).expect("V2 header");
    assert_eq!(header.topic, "TopicTest");
    assert_eq!(header.max_reconsume_times, None);

    let ours = RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
        .with_opaque(7)
        .with_header(&SendMessageHeaderV2(SendMessageHeader {
            properties: None,
            max_reconsume_times: None,
            ..send_header()
        }))
        .with_body(Bytes::from_static(b"Hello"));
    assert_eq!(encoded(&ours, SerializeType::RocketMq), bytes);
}

/// A binary oneway request (flag 2) from a client in another language, with a null ext value.
#[test]
fn rocketmq_binary_oneway_with_null_value() {
    let bytes: Vec<u8> = vec![
        0x00, 0x00, 0x00, 0x2A, // frame length 42 = 4 + 36 + 2
        0x01, // ROCKETMQ
        0x00, 0x00, 0x24, // header length 36
        0x00, 0x22, // code 34 HEART_BEAT
        0x09, // language GO
        0x00, 0x00, // version 0
        0x00, 0x00, 0x01, 0x00, // opaque 256
        0x00, 0x00, 0x00, 0x02, // flag 2 = oneway
        0x00, 0x00, 0x00, 0x00, // remark null
        0x00, 0x00, 0x00, 0x0F, // ext area length 15 = 8 + 7
        0x00, 0x01, b'k', 0x00, 0x00, 0x00, 0x01, b'v', // "k" = "v"
        0x00, 0x01, b'n', 0x00, 0x00, 0x00, 0x00, // "n" = null (zero length)
        b'{', b'}', // body "{}"
    ];
    let cmd = decode_all(&bytes);
    assert_eq!(
        cmd.kind,
        Kind::Request {
            code: RequestCode::HEART_BEAT,
            oneway: true
        }
    );
    assert_eq!(cmd.language, LanguageCode::Go);
    assert_eq!((cmd.version, cmd.opaque), (0, 256));
    assert_eq!(
        cmd.ext_fields,
        [("k", "v")].into_iter().collect::<ExtFields>()
    );
    assert_eq!(&cmd.body[..], b"{}");
}
