//! Frame codec throughput: encode + decode of a typical SEND_MESSAGE_V2 request (a..m ext
//! fields, a properties string, 1 KiB body) with a JSON and with a ROCKETMQ header.
//! Plain `main` timing N iterations; run with `cargo bench -p rocketsim --bench frame_codec`.

use std::hint::black_box;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use rocketsim::protocol::frame::{decode, decode_buf, encode};
use rocketsim::protocol::header::{SendMessageHeader, SendMessageHeaderV2};
use rocketsim::protocol::{RemotingCommand, RequestCode, SerializeType};

const ITERATIONS: u32 = 200_000;

fn request() -> RemotingCommand {
    let header = SendMessageHeader {
        producer_group: "please_rename_unique_group_name".into(),
        topic: "TopicTest".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 3,
        sys_flag: 0,
        born_timestamp_ms: 1_700_000_000_000,
        flag: 0,
        properties: Some(
            "KEYS\u{1}OrderID188\u{2}UNIQ_KEY\u{1}7F0000010E6318B4AAC2155A2EDB0000\u{2}WAIT\u{1}true\u{2}TAGS\u{1}TagA\u{2}"
                .into(),
        ),
        reconsume_times: Some(0),
        unit_mode: false,
        max_reconsume_times: None,
        batch: false,
        broker_name: Some("broker-a".into()),
    };
    RemotingCommand::request(RequestCode::SEND_MESSAGE_V2)
        .with_opaque(12345)
        .with_header(&SendMessageHeaderV2(header))
        .with_body(Bytes::from(vec![b'x'; 1024]))
}

fn report(label: &str, frame_bytes: usize, secs: f64) {
    let per_sec = f64::from(ITERATIONS) / secs;
    let mb_per_sec = per_sec * frame_bytes as f64 / 1e6;
    println!(
        "{label:<34} {per_sec:>12.0} frames/s {mb_per_sec:>9.1} MB/s  ({frame_bytes} B/frame)"
    );
}

fn bench(ser: SerializeType) {
    let cmd = request();
    let mut buf = BytesMut::with_capacity(4096);
    encode(&cmd, ser, &mut buf).expect("encodes");
    let frame = buf.split().freeze();
    let name = format!("{ser:?}");

    let start = Instant::now();
    for _ in 0..ITERATIONS {
        encode(black_box(&cmd), ser, &mut buf).expect("encodes");
        black_box(&buf);
        buf.clear();
    }
    report(
        &format!("{name} encode"),
        frame.len(),
        start.elapsed().as_secs_f64(),
    );

    let start = Instant::now();
    for _ in 0..ITERATIONS {
        let decoded = decode(black_box(&frame)).expect("decodes");
        black_box(decoded);
    }
    report(
        &format!("{name} decode (body copied)"),
        frame.len(),
        start.elapsed().as_secs_f64(),
    );

    let start = Instant::now();
    for _ in 0..ITERATIONS {
        encode(black_box(&cmd), ser, &mut buf).expect("encodes");
        let decoded = decode_buf(&mut buf).expect("decodes").expect("whole frame");
        black_box(decoded);
    }
    report(
        &format!("{name} encode+decode_buf"),
        frame.len(),
        start.elapsed().as_secs_f64(),
    );
}

fn main() {
    println!("frame_codec: SEND_MESSAGE_V2, 1 KiB body, {ITERATIONS} iterations each");
    bench(SerializeType::Json);
    bench(SerializeType::RocketMq);
}
