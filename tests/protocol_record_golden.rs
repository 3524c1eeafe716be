//! Golden byte fixtures for the record formats, written by hand from the field tables of
//! ROCKETMQ.md §3 — never produced by our encoder. Each fixture is built field by field; the
//! `Fixture::field` helper asserts that every field starts at the offset the table gives, so a
//! fixture cannot silently drift from the reference. Then our encoder must produce exactly
//! the fixture and our decoder must read every field back.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Bytes, BytesMut};
use rocketsim::protocol::batch::{decode_batch, encode_batch, BatchEntry, BatchLimits};
use rocketsim::protocol::message_id::{OffsetMsgId, UniqKey, UniqKeyGenerator};
use rocketsim::protocol::properties::{key, Properties};
use rocketsim::protocol::record::{
    decode_entry, patch_offsets, peek, DecodeOptions, Decoded, Field, InvalidReason, MessageRecord,
    MessageVersion, Peeked, RecordError,
};
use rocketsim::protocol::sysflag::{SysFlag, TransactionType};

/// A hand-built byte buffer that checks each field's documented offset.
struct Fixture(Vec<u8>);

impl Fixture {
    fn new() -> Self {
        Self(Vec::new())
    }

    /// Appends `bytes` as the field that the reference places at offset `at`.
    fn field(&mut self, at: usize, bytes: &[u8]) -> &mut Self {
        assert_eq!(self.0.len(), at, "fixture field misplaced");
        self.0.extend_from_slice(bytes);
        self
    }
}

/// `TAGS\x01TagA\x02KEYS\x01k1 k2\x02`: 4+1+4+1 + 4+1+5+1 = 21 bytes.
const PROPS_BYTES: &[u8] = b"TAGS\x01TagA\x02KEYS\x01k1 k2\x02";

fn props() -> Properties {
    Properties::from_pairs([(key::TAGS, "TagA"), (key::KEYS, "k1 k2")]).unwrap()
}

fn ipv4_record() -> MessageRecord {
    MessageRecord {
        queue_id: 3,
        flag: 258,
        queue_offset: 42,
        physical_offset: 0x1_0000_0010,
        sys_flag: SysFlag::default().with_transaction_type(TransactionType::Commit),
        born_timestamp_ms: 1_700_000_000_000,
        born_host: "192.168.0.10:54321".parse().unwrap(),
        store_timestamp_ms: 1_700_000_000_123,
        store_host: "127.0.0.1:10911".parse().unwrap(),
        reconsume_times: 1,
        prepared_transaction_offset: 0,
        body: Bytes::from_static(b"123456789"),
        topic: "TopicTest".to_string(),
        properties: props(),
    }
}

/// IPv4 hosts, V1: total = 91 + 9 (body) + 9 (topic) + 21 (properties) = 130 = 0x82.
fn ipv4_fixture() -> Vec<u8> {
    let mut f = Fixture::new();
    f.field(0, &[0x00, 0x00, 0x00, 0x82]) // TOTALSIZE 130
        .field(4, &[0xDA, 0xA3, 0x20, 0xA7]) // MAGICCODE V1
        // BODYCRC: crc32("123456789") = 0xCBF43926, top bit masked → 0x4BF43926.
        .field(8, &[0x4B, 0xF4, 0x39, 0x26])
        .field(12, &[0x00, 0x00, 0x00, 0x03]) // QUEUEID 3
        .field(16, &[0x00, 0x00, 0x01, 0x02]) // FLAG 258
        .field(20, &[0, 0, 0, 0, 0, 0, 0, 0x2A]) // QUEUEOFFSET 42
        .field(28, &[0, 0, 0, 0x01, 0, 0, 0, 0x10]) // PHYSICALOFFSET 0x1_0000_0010
        .field(36, &[0x00, 0x00, 0x00, 0x08]) // SYSFLAG: COMMIT, IPv4 hosts
        // BORNTIMESTAMP 1_700_000_000_000 = 0x18B_CFE5_6800
        .field(40, &[0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x00])
        // BORNHOST 192.168.0.10, port 54321 = 0xD431
        .field(48, &[192, 168, 0, 10, 0x00, 0x00, 0xD4, 0x31])
        // STORETIMESTAMP 1_700_000_000_123 = 0x18B_CFE5_687B
        .field(56, &[0x00, 0x00, 0x01, 0x8B, 0xCF, 0xE5, 0x68, 0x7B])
        // STOREHOST 127.0.0.1, port 10911 = 0x2A9F
        .field(64, &[127, 0, 0, 1, 0x00, 0x00, 0x2A, 0x9F])
        .field(72, &[0x00, 0x00, 0x00, 0x01]) // RECONSUMETIMES 1
        .field(76, &[0; 8]) // PREPARED TRANSACTION OFFSET 0
        .field(84, &[0x00, 0x00, 0x00, 0x09]) // BODYLEN 9
        .field(88, b"123456789")
        .field(97, &[0x09]) // TOPICLEN 9, one byte in V1
        .field(98, b"TopicTest")
        .field(107, &[0x00, 0x15]) // PROPLEN 21
        .field(109, PROPS_BYTES);
    assert_eq!(f.0.len(), 130);
    f.0
}

#[test]
fn ipv4_v1_record_encodes_to_the_hand_built_bytes() {
    let record = ipv4_record();
    assert_eq!(record.encoded_len(), 130);
    assert_eq!(&record.encode().unwrap()[..], &ipv4_fixture()[..]);
}

#[test]
fn ipv4_v1_record_decodes_every_field() {
    let mut bytes = ipv4_fixture();
    bytes.extend_from_slice(b"next record"); // trailing bytes are not consumed
    let (record, len) = MessageRecord::decode(&bytes).unwrap();
    assert_eq!(len, 130);
    let expected = ipv4_record();
    assert_eq!(record.queue_id, 3);
    assert_eq!(record.flag, 258);
    assert_eq!(record.queue_offset, 42);
    assert_eq!(record.physical_offset, 0x1_0000_0010);
    assert_eq!(record.sys_flag.transaction_type(), TransactionType::Commit);
    assert_eq!(record.born_timestamp_ms, 1_700_000_000_000);
    assert_eq!(record.born_host, expected.born_host);
    assert_eq!(record.store_timestamp_ms, 1_700_000_000_123);
    assert_eq!(record.store_host, expected.store_host);
    assert_eq!(record.reconsume_times, 1);
    assert_eq!(record.prepared_transaction_offset, 0);
    assert_eq!(&record.body[..], b"123456789");
    assert_eq!(record.topic, "TopicTest");
    assert_eq!(record.properties.tags(), Some("TagA"));
    assert_eq!(record.properties.keys().collect::<Vec<_>>(), ["k1", "k2"]);
    assert_eq!(record, expected);
    assert_eq!(record.version(), MessageVersion::V1);
}

#[test]
fn ipv4_peek_reads_the_fixed_positions() {
    let bytes = ipv4_fixture();
    // Only the first 64 bytes are needed: up to the end of STORETIMESTAMP.
    let Peeked::Message(head) = peek(&bytes[..64], &DecodeOptions::default()).unwrap() else {
        panic!("not a message");
    };
    assert_eq!(head.total_size, 130);
    assert_eq!(head.version, MessageVersion::V1);
    assert_eq!(head.body_crc, 0x4BF4_3926);
    assert_eq!(head.queue_offset, 42);
    assert_eq!(head.physical_offset, 0x1_0000_0010);
    assert_eq!(head.store_timestamp_ms, 1_700_000_000_123);
    assert_eq!(
        peek(&bytes[..63], &DecodeOptions::default()),
        Err(RecordError::Incomplete { needed: 1 })
    );
}

#[test]
fn patch_offsets_rewrites_positions_20_and_28() {
    let mut bytes = ipv4_fixture();
    patch_offsets(&mut bytes, 0x0102, 0x0A0B_0C0D).unwrap();
    assert_eq!(&bytes[20..28], &[0, 0, 0, 0, 0, 0, 0x01, 0x02]);
    assert_eq!(&bytes[28..36], &[0, 0, 0, 0, 0x0A, 0x0B, 0x0C, 0x0D]);
    let (record, _) = MessageRecord::decode(&bytes).unwrap();
    assert_eq!(
        (record.queue_offset, record.physical_offset),
        (0x0102, 0x0A0B_0C0D)
    );
}

fn ipv6_record() -> MessageRecord {
    MessageRecord {
        queue_id: 0,
        flag: 0,
        queue_offset: 7,
        physical_offset: 0x1234,
        // The host bits are set by the encoder from the addresses; given here too so that
        // the decoded record compares equal.
        sys_flag: SysFlag::BORNHOST_V6 | SysFlag::STOREHOST_V6,
        born_timestamp_ms: 1,
        born_host: "[2001:db8::1]:54321".parse().unwrap(),
        store_timestamp_ms: 2,
        store_host: "[::1]:10911".parse().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: Bytes::from_static(b"abc"),
        topic: "T6".to_string(),
        properties: Properties::new(),
    }
}

/// IPv6 hosts (20-byte host fields), V1: total = 91 + 2×12 + 3 + 2 + 0 = 120 = 0x78.
fn ipv6_fixture() -> Vec<u8> {
    let born_ip = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let store_ip = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    let mut f = Fixture::new();
    f.field(0, &[0x00, 0x00, 0x00, 0x78]) // TOTALSIZE 120
        .field(4, &[0xDA, 0xA3, 0x20, 0xA7]) // MAGICCODE V1
        .field(8, &[0x35, 0x24, 0x41, 0xC2]) // BODYCRC crc32("abc") = 0x352441C2
        .field(12, &[0; 4]) // QUEUEID 0
        .field(16, &[0; 4]) // FLAG 0
        .field(20, &[0, 0, 0, 0, 0, 0, 0, 7]) // QUEUEOFFSET 7
        .field(28, &[0, 0, 0, 0, 0, 0, 0x12, 0x34]) // PHYSICALOFFSET 0x1234
        .field(36, &[0x00, 0x00, 0x00, 0x30]) // SYSFLAG BORNHOST_V6 | STOREHOST_V6
        .field(40, &[0, 0, 0, 0, 0, 0, 0, 1]) // BORNTIMESTAMP 1
        .field(48, &born_ip) // BORNHOST 2001:db8::1 ...
        .field(64, &[0x00, 0x00, 0xD4, 0x31]) // ... port 54321
        .field(68, &[0, 0, 0, 0, 0, 0, 0, 2]) // STORETIMESTAMP 2, shifted by 12
        .field(76, &store_ip) // STOREHOST ::1 ...
        .field(92, &[0x00, 0x00, 0x2A, 0x9F]) // ... port 10911
        .field(96, &[0; 4]) // RECONSUMETIMES 0
        .field(100, &[0; 8]) // PREPARED TRANSACTION OFFSET 0
        .field(108, &[0x00, 0x00, 0x00, 0x03]) // BODYLEN 3
        .field(112, b"abc")
        .field(115, &[0x02]) // TOPICLEN 2
        .field(116, b"T6")
        .field(118, &[0x00, 0x00]); // PROPLEN 0, no properties
    assert_eq!(f.0.len(), 120);
    f.0
}

#[test]
fn ipv6_record_matches_the_hand_built_bytes_both_ways() {
    let record = ipv6_record();
    assert_eq!(&record.encode().unwrap()[..], &ipv6_fixture()[..]);
    let (decoded, len) = MessageRecord::decode(&ipv6_fixture()).unwrap();
    assert_eq!((decoded, len), (record, 120));
}

#[test]
fn ipv6_sysflag_bits_are_set_from_the_addresses() {
    let mut record = ipv6_record();
    record.sys_flag = SysFlag::default();
    assert_eq!(&record.encode().unwrap()[..], &ipv6_fixture()[..]);
}

#[test]
fn ipv6_peek_finds_the_shifted_store_timestamp() {
    let bytes = ipv6_fixture();
    let Peeked::Message(head) = peek(&bytes[..76], &DecodeOptions::default()).unwrap() else {
        panic!("not a message");
    };
    assert_eq!((head.store_timestamp_ms, head.physical_offset), (2, 0x1234));
}

/// V2 (magic 0xDAA320AB): a 128-byte topic, one byte too long for V1, with a 2-byte length.
#[test]
fn long_topic_is_written_as_v2_with_a_two_byte_length() {
    let topic = "t".repeat(128);
    let record = MessageRecord {
        topic: topic.clone(),
        body: Bytes::new(),
        properties: Properties::new(),
        ..ipv4_record()
    };
    // total = 91 + 1 (wider topic length) + 0 + 128 + 0 = 220 = 0xDC
    let mut f = Fixture::new();
    f.field(0, &[0x00, 0x00, 0x00, 0xDC])
        .field(4, &[0xDA, 0xA3, 0x20, 0xAB]) // MAGICCODE V2
        .field(8, &[0; 4]); // crc32("") = 0
    f.0.extend_from_slice(&ipv4_fixture()[12..84]); // QUEUEID..PREPARED as in the V1 fixture
    f.field(84, &[0; 4]) // BODYLEN 0
        .field(88, &[0x00, 0x80]) // TOPICLEN 128, two bytes
        .field(90, topic.as_bytes())
        .field(218, &[0x00, 0x00]); // PROPLEN 0
    assert_eq!(&record.encode().unwrap()[..], &f.0[..]);
    let (decoded, len) = MessageRecord::decode(&f.0).unwrap();
    assert_eq!(
        (decoded.version(), len, decoded),
        (MessageVersion::V2, 220, record)
    );
    // 127 bytes still fits V1.
    let v1 = MessageRecord {
        topic: "t".repeat(127),
        ..ipv4_record()
    };
    assert_eq!(&v1.encode().unwrap()[4..8], &[0xDA, 0xA3, 0x20, 0xA7]);
}

#[test]
fn blank_marker_is_end_of_file_not_corruption() {
    // int32 remaining = 256 (marker included), then the BLANK magic 0xCBD43194.
    let blank = [0x00, 0x00, 0x01, 0x00, 0xCB, 0xD4, 0x31, 0x94];
    let opts = DecodeOptions::default();
    assert_eq!(decode_entry(&blank, &opts), Ok(Decoded::Blank { len: 256 }));
    assert_eq!(peek(&blank, &opts), Ok(Peeked::Blank { len: 256 }));
    // Where only messages may stand (a pull response), it is invalid.
    assert_eq!(
        MessageRecord::decode(&blank),
        Err(RecordError::Invalid {
            at: 4,
            field: Field::Magic,
            why: InvalidReason::UnexpectedBlank
        })
    );
    // A zero-filled tail of a preallocated file is an unknown magic: the end of the log.
    assert_eq!(
        decode_entry(&[0; 16], &opts),
        Err(RecordError::Invalid {
            at: 4,
            field: Field::Magic,
            why: InvalidReason::BadMagic { found: 0 }
        })
    );
}

#[test]
fn properties_string_matches_the_reference_form() {
    assert_eq!(&props().encode().unwrap()[..], PROPS_BYTES);
    let decoded = Properties::decode(PROPS_BYTES);
    assert_eq!(decoded, props());
    assert_eq!(decoded.tags(), Some("TagA"));
    assert_eq!(decoded.keys().collect::<Vec<_>>(), ["k1", "k2"]);
}

#[test]
fn offset_msg_id_of_ipv4_and_ipv6_store_hosts() {
    // 127.0.0.1 = 7F000001, port 10911 = 00002A9F, offset 0x1234 = 0000000000001234.
    let v4 = OffsetMsgId {
        store_host: "127.0.0.1:10911".parse().unwrap(),
        physical_offset: 0x1234,
    };
    assert_eq!(v4.to_string(), "7F00000100002A9F0000000000001234");
    assert_eq!(
        OffsetMsgId::parse("7f00000100002a9f0000000000001234"),
        Ok(v4)
    );
    // ::1 = 15 zero bytes and 01, then the same port and offset: 56 chars.
    let v6 = OffsetMsgId {
        store_host: "[::1]:10911".parse().unwrap(),
        physical_offset: 0x1234,
    };
    let hex = "00000000000000000000000000000001".to_string() + "00002A9F0000000000001234";
    assert_eq!(v6.to_string(), hex);
    assert_eq!(OffsetMsgId::parse(&hex), Ok(v6));
    assert_eq!(
        ipv4_record().offset_msg_id().to_string(),
        "7F00000100002A9F0000000100000010"
    );
}

#[test]
fn uniq_key_layout() {
    let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 5));
    let mut generator = UniqKeyGenerator::new(ip, 0x1234, 0x12AB_34CD).with_counter(7);
    let month_start_ms = 1_698_796_800_000; // 2023-11-01T00:00:00Z
    let now_ms = month_start_ms + 86_400_000; // one day later: 0x05265C00 ms
    let key = generator.next(now_ms, month_start_ms);
    // IP 0A000005 | pid 1234 | class-loader hash 12AB34CD | ms in month 05265C00 | counter 0007
    assert_eq!(key.to_string(), "0A000005123412AB34CD05265C000007");
    assert_eq!(
        generator.next(now_ms, month_start_ms).to_string(),
        "0A000005123412AB34CD05265C000008"
    );
    let parsed = UniqKey::parse("0A000005123412AB34CD05265C000007").unwrap();
    assert_eq!(parsed, key);
    assert_eq!(parsed.client_ip, ip);
    assert_eq!(parsed.pid, 0x1234);
    assert_eq!(parsed.timestamp_ms(month_start_ms), now_ms);
    // IPv6 client: 16 address bytes instead of 4, 56 chars.
    let mut v6 = UniqKeyGenerator::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 1, -1);
    let key = v6.next(month_start_ms, month_start_ms);
    assert_eq!(
        key.to_string(),
        "00000000000000000000000000000001".to_string() + "0001FFFFFFFF000000000000"
    );
}

/// Two entries: int32 TOTALSIZE, int32 MAGIC 0, int32 BODYCRC 0, int32 FLAG, int32 BODYLEN,
/// body, int16 PROPLEN, properties.
fn batch_fixture() -> Vec<u8> {
    let mut f = Fixture::new();
    // Entry 0: 22 + 2 (body "hi") + 7 ("TAGS\x01a\x02") = 31 = 0x1F.
    f.field(0, &[0x00, 0x00, 0x00, 0x1F])
        .field(4, &[0; 4]) // MAGIC 0
        .field(8, &[0; 4]) // BODYCRC 0
        .field(12, &[0; 4]) // FLAG 0
        .field(16, &[0x00, 0x00, 0x00, 0x02]) // BODYLEN 2
        .field(20, b"hi")
        .field(22, &[0x00, 0x07]) // PROPLEN 7
        .field(24, b"TAGS\x01a\x02");
    // Entry 1 at 31: 22 + 3 (body "xyz") + 0 = 25 = 0x19.
    f.field(31, &[0x00, 0x00, 0x00, 0x19])
        .field(35, &[0; 4])
        .field(39, &[0; 4])
        .field(43, &[0x00, 0x00, 0x00, 0x05]) // FLAG 5
        .field(47, &[0x00, 0x00, 0x00, 0x03]) // BODYLEN 3
        .field(51, b"xyz")
        .field(54, &[0x00, 0x00]); // PROPLEN 0
    assert_eq!(f.0.len(), 56);
    f.0
}

fn batch_entries() -> Vec<BatchEntry> {
    vec![
        BatchEntry {
            flag: 0,
            body: Bytes::from_static(b"hi"),
            properties: Properties::from_pairs([(key::TAGS, "a")]).unwrap(),
        },
        BatchEntry {
            flag: 5,
            body: Bytes::from_static(b"xyz"),
            properties: Properties::new(),
        },
    ]
}

#[test]
fn batch_body_of_two_messages() {
    let mut encoded = BytesMut::new();
    encode_batch(&batch_entries(), &mut encoded).unwrap();
    assert_eq!(&encoded[..], &batch_fixture()[..]);
    let decoded = decode_batch(&Bytes::from(batch_fixture()), &BatchLimits::default()).unwrap();
    assert_eq!(decoded, batch_entries());
}

#[test]
fn v6_host_with_scope_is_not_representable_and_is_dropped() {
    // The format has no room for flow info or scope ids; document that they do not survive.
    let mut record = ipv6_record();
    record.store_host = SocketAddr::V6(std::net::SocketAddrV6::new(
        Ipv6Addr::LOCALHOST,
        10911,
        3,
        9,
    ));
    let (decoded, _) = MessageRecord::decode(&record.encode().unwrap()).unwrap();
    assert_eq!(decoded, ipv6_record());
}

/// The hand-built IPv4 record with `edit` applied, decoded with default options.
fn decode_edited(edit: impl FnOnce(&mut Vec<u8>)) -> Result<(MessageRecord, usize), RecordError> {
    let mut bytes = ipv4_fixture();
    edit(&mut bytes);
    MessageRecord::decode(&bytes)
}

fn invalid(
    at: usize,
    field: Field,
    why: InvalidReason,
) -> Result<(MessageRecord, usize), RecordError> {
    Err(RecordError::Invalid { at, field, why })
}

#[test]
fn inconsistent_lengths_are_typed_errors_at_their_field() {
    // TOTALSIZE one larger than the fields, with the extra byte present.
    let longer = decode_edited(|b| {
        b[3] = 0x83;
        b.push(0);
    });
    let why = InvalidReason::LengthMismatch {
        declared: 131,
        actual: 130,
    };
    assert_eq!(longer, invalid(0, Field::TotalSize, why));
    // TOTALSIZE one smaller: the properties run past it.
    let shorter = decode_edited(|b| b[3] = 0x81);
    let why = InvalidReason::Overrun {
        end: 130,
        declared: 129,
    };
    assert_eq!(shorter, invalid(109, Field::Properties, why));
    // BODYLEN negative.
    let negative = decode_edited(|b| b[84] = 0xFF);
    assert_eq!(
        negative,
        invalid(
            84,
            Field::BodyLen,
            InvalidReason::Negative { value: -16_777_207 }
        )
    );
    // A V1 topic length byte over 127 is a negative Java byte.
    let topic = decode_edited(|b| b[97] = 0x80);
    assert_eq!(
        topic,
        invalid(97, Field::TopicLen, InvalidReason::Negative { value: -128 })
    );
    // PROPLEN negative.
    let props = decode_edited(|b| b[107] = 0x80);
    assert_eq!(
        props,
        invalid(
            107,
            Field::PropertiesLen,
            InvalidReason::Negative { value: -32_747 }
        )
    );
}

#[test]
fn out_of_range_values_are_typed_errors() {
    // Port 0x0001_2A9F does not fit 16 bits.
    let port = decode_edited(|b| b[69] = 0x01);
    assert_eq!(
        port,
        invalid(
            64,
            Field::StoreHost,
            InvalidReason::PortOutOfRange { port: 0x1_2A9F }
        )
    );
    // Invalid UTF-8 in the topic.
    let utf8 = decode_edited(|b| b[98] = 0xFF);
    assert_eq!(utf8, invalid(98, Field::Topic, InvalidReason::Utf8));
    // A body over the configured limit, even though the bytes are all there.
    let opts = DecodeOptions {
        check_crc: true,
        body_bytes_max: 8,
    };
    let body = MessageRecord::decode_with(&ipv4_fixture(), &opts);
    assert_eq!(
        body,
        invalid(
            84,
            Field::BodyLen,
            InvalidReason::TooLarge { len: 9, max: 8 }
        )
    );
}

#[test]
fn an_absurd_size_is_invalid_not_a_wait_for_more_bytes() {
    let huge = decode_edited(|b| b[0] = 0x7F);
    assert!(matches!(
        huge,
        Err(RecordError::Invalid {
            at: 0,
            field: Field::TotalSize,
            why: InvalidReason::TooLarge { .. }
        })
    ));
    let tiny = decode_edited(|b| b[3] = 90);
    assert_eq!(
        tiny,
        invalid(
            0,
            Field::TotalSize,
            InvalidReason::TooShort { len: 90, min: 91 }
        )
    );
    let negative = decode_edited(|b| b[0] = 0x80);
    assert!(matches!(
        negative,
        Err(RecordError::Invalid {
            why: InvalidReason::Negative { .. },
            ..
        })
    ));
    let blank = [0x00, 0x00, 0x00, 0x04, 0xCB, 0xD4, 0x31, 0x94];
    assert_eq!(
        decode_entry(&blank, &DecodeOptions::default()),
        Err(RecordError::Invalid {
            at: 0,
            field: Field::TotalSize,
            why: InvalidReason::TooShort { len: 4, min: 8 }
        })
    );
}

#[test]
fn malformed_batches_are_typed_errors() {
    use rocketsim::protocol::batch::{BatchDecodeError, BatchField};
    let limits = BatchLimits::default();
    let decode = |bytes: Vec<u8>| decode_batch(&Bytes::from(bytes), &limits);
    // Entry 1 declares 26 bytes but its fields take 25 (with the extra byte present).
    let mut longer = batch_fixture();
    longer[34] = 0x1A;
    longer.push(0);
    assert_eq!(
        decode(longer),
        Err(BatchDecodeError::Invalid {
            index: 1,
            at: 31,
            field: BatchField::TotalSize,
            why: InvalidReason::LengthMismatch {
                declared: 26,
                actual: 25
            }
        })
    );
    // Truncated: entry 1 runs past the end of the body.
    let mut truncated = batch_fixture();
    truncated.pop();
    assert_eq!(
        decode(truncated),
        Err(BatchDecodeError::Invalid {
            index: 1,
            at: 31,
            field: BatchField::TotalSize,
            why: InvalidReason::Overrun {
                end: 56,
                declared: 55
            }
        })
    );
    // More entries than allowed.
    let one = BatchLimits {
        messages_max: 1,
        ..limits
    };
    assert_eq!(
        decode_batch(&Bytes::from(batch_fixture()), &one),
        Err(BatchDecodeError::TooManyMessages { max: 1 })
    );
    // A body over the limit.
    let small = BatchLimits {
        body_bytes_max: 2,
        ..limits
    };
    assert_eq!(
        decode_batch(&Bytes::from(batch_fixture()), &small),
        Err(BatchDecodeError::Invalid {
            index: 1,
            at: 47,
            field: BatchField::BodyLen,
            why: InvalidReason::TooLarge { len: 3, max: 2 }
        })
    );
    assert_eq!(decode(Vec::new()), Ok(Vec::new()));
}
