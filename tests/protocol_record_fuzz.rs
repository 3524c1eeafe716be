//! Property tests of the record codecs: arbitrary and mutated bytes never panic a decoder
//! (a typed error or a value, nothing else), a strict prefix of a valid record is always
//! `Incomplete` with the exact shortfall, a flipped body byte is caught by the CRC, and
//! random records, properties and batches survive encode → decode unchanged.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use rocketsim::protocol::batch::{decode_batch, encode_batch, BatchEntry, BatchLimits};
use rocketsim::protocol::message_id::{OffsetMsgId, UniqKey};
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::record::{
    decode_all, decode_entry, decode_entry_shared, peek, record_bytes_max, DecodeOptions, Decoded,
    Field, InvalidReason, Layout, MessageRecord, Peeked, RecordError, BODY_BYTES_MAX,
};
use rocketsim::protocol::sysflag::SysFlag;

fn host() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

fn properties() -> impl Strategy<Value = Properties> {
    // \PC excludes control characters, so never a separator byte.
    prop::collection::vec(("[A-Za-z_]{1,12}", "\\PC{1,16}"), 0..8)
        .prop_map(|pairs| Properties::from_pairs(pairs).expect("generated pairs are valid"))
}

fn topic() -> impl Strategy<Value = String> {
    // Up to 200 bytes, so both V1 (≤ 127) and V2 topics occur; sometimes non-ASCII.
    prop_oneof!["[A-Za-z0-9_%|-]{0,200}", "\\PC{0,60}"]
}

prop_compose! {
    fn record()(
        ints in (any::<i32>(), any::<i32>(), any::<u64>(), any::<u64>(), any::<i32>(), any::<u64>()),
        sys_flag in any::<u32>(),
        times in (any::<i64>(), any::<i64>()),
        born_host in host(),
        store_host in host(),
        body in prop::collection::vec(any::<u8>(), 0..2048),
        topic in topic(),
        properties in properties(),
    ) -> MessageRecord {
        let (queue_id, flag, queue_offset, physical_offset, reconsume_times, prepared) = ints;
        let record = MessageRecord {
            queue_id,
            flag,
            queue_offset,
            physical_offset,
            sys_flag: SysFlag::from_bits(sys_flag),
            born_timestamp_ms: times.0,
            born_host,
            store_timestamp_ms: times.1,
            store_host,
            reconsume_times,
            prepared_transaction_offset: prepared,
            body: Bytes::from(body),
            topic,
            properties,
        };
        // The host bits of the given flag are overridden on the wire: make them agree so the
        // decoded record compares equal.
        MessageRecord { sys_flag: record.wire_sys_flag(), ..record }
    }
}

fn batch() -> impl Strategy<Value = Vec<BatchEntry>> {
    let entry = (
        any::<i32>(),
        prop::collection::vec(any::<u8>(), 0..256),
        properties(),
    )
        .prop_map(|(flag, body, properties)| BatchEntry {
            flag,
            body: Bytes::from(body),
            properties,
        });
    prop::collection::vec(entry, 0..8)
}

fn encode(record: &MessageRecord) -> Vec<u8> {
    record
        .encode()
        .expect("generated records are encodable")
        .to_vec()
}

/// Every decoder over `bytes`: must return, never panic, and keep its promises.
fn decode_everything(bytes: &[u8]) {
    let opts = DecodeOptions::default();
    match decode_entry(bytes, &opts) {
        Ok(Decoded::Message { len, .. }) => assert!(len <= bytes.len()),
        Ok(Decoded::Blank { len }) => assert!(len >= 8),
        Err(RecordError::Incomplete { needed }) => {
            // Never asks for more than a sane record could take.
            assert!(needed > 0 && needed + bytes.len() <= record_bytes_max(BODY_BYTES_MAX));
        }
        Err(RecordError::Invalid { .. }) => {}
    }
    let _ = decode_entry(
        bytes,
        &DecodeOptions {
            check_crc: false,
            body_bytes_max: 16,
        },
    );
    let _ = peek(bytes, &opts);
    let shared = Bytes::copy_from_slice(bytes);
    let _ = decode_all(&shared, &opts);
    let _ = decode_batch(
        &shared,
        &BatchLimits {
            messages_max: 4,
            body_bytes_max: 64,
        },
    );
    let _ = decode_batch(&shared, &BatchLimits::default());
    let _ = Properties::decode(bytes);
    let text = String::from_utf8_lossy(bytes);
    let _ = OffsetMsgId::parse(&text);
    let _ = UniqKey::parse(&text);
}

fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8)]) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    let len = bytes.len();
    for &(at, value) in edits {
        bytes[at % len] = value;
    }
    bytes
}

proptest! {
    // More cases than the default 256: decoding is cheap and the input space is large.
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        decode_everything(&bytes);
    }

    #[test]
    fn arbitrary_bytes_behind_a_valid_prefix_never_panic(
        size in 0i32..400,
        magic in prop_oneof![Just(0xDAA3_20A7u32), Just(0xDAA3_20AB), Just(0xCBD4_3194), any::<u32>()],
        rest in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        // Random bytes rarely start with a known magic; this reaches the field parsers.
        let mut bytes = size.to_be_bytes().to_vec();
        bytes.extend_from_slice(&magic.to_be_bytes());
        bytes.extend_from_slice(&rest);
        decode_everything(&bytes);
    }

    #[test]
    fn mutated_records_never_panic(
        record in record(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mutated = mutate(encode(&record), &edits);
        decode_everything(&mutated);
        let cut = cut.index(mutated.len() + 1);
        decode_everything(&mutated[..cut]);
    }

    #[test]
    fn mutated_batches_and_properties_never_panic(
        entries in batch(),
        props in properties(),
        edits in prop::collection::vec((any::<usize>(), any::<u8>()), 1..8),
    ) {
        let mut encoded = BytesMut::new();
        encode_batch(&entries, &mut encoded).unwrap();
        decode_everything(&mutate(encoded.to_vec(), &edits));
        decode_everything(&mutate(props.encode().unwrap().to_vec(), &edits));
    }

    #[test]
    fn every_strict_prefix_of_a_record_is_incomplete(record in record(), cut in any::<prop::sample::Index>()) {
        let bytes = encode(&record);
        let len = cut.index(bytes.len());
        let needed = if len < 8 { 8 - len } else { bytes.len() - len };
        let opts = DecodeOptions::default();
        prop_assert_eq!(decode_entry(&bytes[..len], &opts), Err(RecordError::Incomplete { needed }));
    }

    #[test]
    fn a_flipped_body_byte_fails_the_crc(
        record in record(),
        at in any::<prop::sample::Index>(),
        mask in 1u8..=255,
    ) {
        prop_assume!(!record.body.is_empty());
        let mut bytes = encode(&record);
        let body_start = Layout::new(record.wire_sys_flag(), record.version()).body_len_at() + 4;
        bytes[body_start + at.index(record.body.len())] ^= mask;
        let result = MessageRecord::decode(&bytes);
        let caught = matches!(
            result,
            Err(RecordError::Invalid { at: 8, field: Field::BodyCrc, why: InvalidReason::BodyCrcMismatch { .. } })
        );
        prop_assert!(caught, "{:?}", result);
        // Skipping the check is the caller's choice, and then the record decodes.
        let unchecked = DecodeOptions { check_crc: false, ..DecodeOptions::default() };
        prop_assert!(MessageRecord::decode_with(&bytes, &unchecked).is_ok());
    }

    #[test]
    fn records_round_trip(record in record()) {
        let bytes = encode(&record);
        prop_assert_eq!(bytes.len(), record.encoded_len());
        let (decoded, len) = MessageRecord::decode(&bytes).unwrap();
        prop_assert_eq!(len, bytes.len());
        prop_assert_eq!(&decoded, &record);
        prop_assert_eq!(encode(&decoded), bytes.clone());
        let shared = decode_entry_shared(&Bytes::from(bytes.clone()), &DecodeOptions::default());
        prop_assert_eq!(shared, Ok(Decoded::Message { record: record.clone(), len }));
        let Ok(Peeked::Message(head)) = peek(&bytes, &DecodeOptions::default()) else {
            panic!("peek failed on a valid record");
        };
        prop_assert_eq!(
            (head.total_size, head.queue_offset, head.physical_offset, head.store_timestamp_ms),
            (len, record.queue_offset, record.physical_offset, record.store_timestamp_ms)
        );
    }

    #[test]
    fn concatenated_records_decode_in_order(records in prop::collection::vec(record(), 0..4)) {
        let mut bytes = Vec::new();
        for r in &records {
            bytes.extend_from_slice(&encode(r));
        }
        prop_assert_eq!(decode_all(&Bytes::from(bytes), &DecodeOptions::default()), Ok(records));
    }

    #[test]
    fn properties_round_trip(props in properties()) {
        let bytes = props.encode().unwrap();
        prop_assert_eq!(bytes.len(), props.encoded_len());
        prop_assert_eq!(Properties::decode(&bytes), props);
    }

    #[test]
    fn batches_round_trip(entries in batch()) {
        let mut encoded = BytesMut::new();
        encode_batch(&entries, &mut encoded).unwrap();
        prop_assert_eq!(decode_batch(&encoded.freeze(), &BatchLimits::default()), Ok(entries));
    }

    #[test]
    fn message_ids_round_trip(store_host in host(), offset in any::<u64>()) {
        let id = OffsetMsgId { store_host, physical_offset: offset };
        let text = id.to_string();
        prop_assert!(text.len() == 32 || text.len() == 56);
        prop_assert_eq!(OffsetMsgId::parse(&text), Ok(id));
        prop_assert_eq!(OffsetMsgId::parse(&text.to_lowercase()), Ok(id));
    }
}
