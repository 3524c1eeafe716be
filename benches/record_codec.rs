//! Throughput of the CommitLog record codec on 1 KiB bodies: encode, decode with CRC (body
//! copied and body shared), decode without CRC, and peek. A plain timing loop, no harness:
//! `cargo bench -p rocketsim --bench record_codec`. Figures are machine-dependent; write them
//! down with the machine they ran on.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use rocketsim::protocol::properties::{key, Properties};
use rocketsim::protocol::record::{
    decode_entry, decode_entry_shared, peek, DecodeOptions, Decoded, MessageRecord,
};
use rocketsim::protocol::sysflag::SysFlag;

const ITERATIONS: u32 = 500_000;
const BODY_BYTES: usize = 1024;

fn sample_record() -> MessageRecord {
    let properties = Properties::from_pairs([
        (key::TAGS, "TagA"),
        (key::KEYS, "order-42 user-7"),
        (key::UNIQ_KEY, "7F0000010001FFFFFFFF000000000001"),
        (key::WAIT, "true"),
    ])
    .expect("valid properties");
    MessageRecord {
        queue_id: 3,
        flag: 0,
        queue_offset: 1_000_000,
        physical_offset: 1 << 30,
        sys_flag: SysFlag::default(),
        born_timestamp_ms: 1_700_000_000_000,
        born_host: "10.0.0.5:54321".parse().expect("addr"),
        store_timestamp_ms: 1_700_000_000_010,
        store_host: "10.0.0.1:10911".parse().expect("addr"),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
        body: Bytes::from((0..BODY_BYTES).map(|i| i as u8).collect::<Vec<u8>>()),
        topic: "BenchTopic".to_string(),
        properties,
    }
}

fn report(name: &str, elapsed: Duration, record_bytes: usize) {
    let secs = elapsed.as_secs_f64();
    let per_sec = f64::from(ITERATIONS) / secs;
    let mb_per_sec = per_sec * record_bytes as f64 / 1e6;
    let ns = secs * 1e9 / f64::from(ITERATIONS);
    println!("{name:<28} {per_sec:>12.0} records/s {mb_per_sec:>9.1} MB/s {ns:>8.1} ns/record");
}

fn time(name: &str, record_bytes: usize, mut op: impl FnMut()) {
    for _ in 0..ITERATIONS / 10 {
        op(); // warm-up
    }
    let start = Instant::now();
    for _ in 0..ITERATIONS {
        op();
    }
    report(name, start.elapsed(), record_bytes);
}

fn main() {
    let record = sample_record();
    let encoded = record.encode().expect("encodable").freeze();
    let len = encoded.len();
    println!("record of {len} bytes ({BODY_BYTES}-byte body), {ITERATIONS} iterations each");

    let mut buf = BytesMut::with_capacity(len);
    time("encode", len, || {
        buf.clear();
        black_box(&record).encode_into(&mut buf).expect("encodable");
        black_box(&buf);
    });

    let checked = DecodeOptions::default();
    let unchecked = DecodeOptions {
        check_crc: false,
        ..checked
    };
    time("decode (crc, body copied)", len, || {
        let decoded = decode_entry(black_box(&encoded), &checked).expect("valid");
        assert!(matches!(black_box(decoded), Decoded::Message { .. }));
    });
    time("decode (crc, body shared)", len, || {
        let decoded = decode_entry_shared(black_box(&encoded), &checked).expect("valid");
        black_box(decoded);
    });
    time("decode (no crc, shared)", len, || {
        let decoded = decode_entry_shared(black_box(&encoded), &unchecked).expect("valid");
        black_box(decoded);
    });
    let props = record.properties.encode().expect("encodable");
    time("properties decode", props.len(), || {
        black_box(Properties::decode(black_box(&props)));
    });
    let bytes: &[u8] = &encoded;
    time("peek", len, || {
        black_box(peek(black_box(bytes), &checked).expect("valid"));
    });
}
