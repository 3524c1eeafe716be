//! Existing clients against the real binaries: raw frames written here byte by byte from the
//! reference's field tables (§1.1 frame layout, §1.3 JSON header, §2 headers, §3.2 batch
//! body, §3.4 properties) — not with rocketsim's encoder — sent over plain TCP to `mqnamesrv`
//! and `mqbroker` processes: create topic, route query, send V1, send V2, batch send, pull,
//! commit offset, heartbeat, query by key. Then the quirks of third-party clients (§11): no
//! `version` / `serializeTypeCurrentRPC`, ext values as JSON numbers, booleans as `1`/`0`,
//! heartbeat enums as ordinals, `language` as an ordinal.

mod process;

use process::{broker_conf, free_port, namesrv_conf, wait_listening, Server};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One frame: `length | serType(0=JSON)<<24 | headerLen | header | body`.
fn frame(header: &str, body: &[u8]) -> Vec<u8> {
    let header = header.as_bytes();
    let mut out = Vec::new();
    out.extend_from_slice(&((4 + header.len() + body.len()) as i32).to_be_bytes());
    out.extend_from_slice(&(header.len() as u32).to_be_bytes()); // top byte 0: JSON
    out.extend_from_slice(header);
    out.extend_from_slice(body);
    out
}

/// A Java 4.9.8 request header with `extFields`.
fn java_header(code: i32, opaque: i32, ext: &str) -> String {
    format!(
        r#"{{"code":{code},"extFields":{{{ext}}},"flag":0,"language":"JAVA","opaque":{opaque},"serializeTypeCurrentRPC":"JSON","version":409}}"#
    )
}

struct Wire {
    stream: TcpStream,
    opaque: i32,
    /// Server-initiated requests seen (NOTIFY_CONSUMER_IDS_CHANGED).
    notices: usize,
}

/// A response: the JSON header and the body.
struct Reply {
    header: Value,
    body: Vec<u8>,
}

impl Reply {
    fn code(&self) -> i64 {
        self.header["code"].as_i64().expect("code")
    }

    fn ext(&self, key: &str) -> String {
        match &self.header["extFields"][key] {
            Value::String(s) => s.clone(),
            other => panic!("extFields.{key}: {other}"),
        }
    }
}

impl Wire {
    fn connect(port: u16) -> Wire {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        Wire {
            stream,
            opaque: 0,
            notices: 0,
        }
    }

    /// Sends `header` (with `{opaque}` standing for the next opaque) and `body`; the reply.
    fn call(&mut self, header: &str, body: &[u8]) -> Reply {
        self.opaque += 1;
        let header = header.replace("{opaque}", &self.opaque.to_string());
        self.stream.write_all(&frame(&header, body)).expect("write");
        loop {
            let reply = self.read_frame();
            // The broker may call us first (NOTIFY_CONSUMER_IDS_CHANGED, oneway, after a
            // consumer heartbeat): a request, not our answer.
            if reply.header["flag"].as_i64().is_some_and(|f| f & 1 == 0) {
                assert_eq!(reply.code(), 40, "server request: {}", reply.header);
                self.notices += 1;
                continue;
            }
            assert_eq!(
                reply.header["opaque"].as_i64(),
                Some(self.opaque as i64),
                "opaque echoed"
            );
            return reply;
        }
    }

    fn read_frame(&mut self) -> Reply {
        let mut word = [0u8; 4];
        self.stream.read_exact(&mut word).expect("length");
        let length = i32::from_be_bytes(word) as usize;
        self.stream.read_exact(&mut word).expect("header length");
        assert_eq!(word[0], 0, "the answer is JSON");
        let header_len = (u32::from_be_bytes(word) & 0x00FF_FFFF) as usize;
        let mut header = vec![0u8; header_len];
        self.stream.read_exact(&mut header).expect("header");
        let mut body = vec![0u8; length - 4 - header_len];
        self.stream.read_exact(&mut body).expect("body");
        let header: Value = serde_json::from_slice(&header).expect("JSON header");
        Reply { header, body }
    }
}

/// `key 0x01 value 0x02` per pair (§3.4).
fn properties(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}\u{1}{v}\u{2}"))
        .collect()
}

/// The ext-field JSON of a properties string (control characters escaped).
fn json_str(s: &str) -> String {
    serde_json::to_string(s).expect("string")
}

/// Batch body (§3.2): TOTALSIZE, MAGIC 0, BODYCRC 0, FLAG, BODYLEN + body, PROPLEN + props.
fn batch_body(messages: &[(&[u8], &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (body, props) in messages {
        let total = 4 + 4 + 4 + 4 + 4 + body.len() + 2 + props.len();
        out.extend_from_slice(&(total as i32).to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&(body.len() as i32).to_be_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(&(props.len() as i16).to_be_bytes());
        out.extend_from_slice(props.as_bytes());
    }
    out
}

/// Bodies of the records in a pull or query answer: each record's BODYLEN at its fixed
/// position (§3.1: TOTALSIZE 4, MAGIC 4, BODYCRC 4, QUEUEID 4, FLAG 4, QUEUEOFFSET 8,
/// PHYSICALOFFSET 8, SYSFLAG 4, BORNTIMESTAMP 8, BORNHOST 8, STORETIMESTAMP 8, STOREHOST 8,
/// RECONSUMETIMES 4, PREPAREDTRANSACTIONOFFSET 8 = 84 bytes for IPv4 hosts, then BODYLEN).
fn record_bodies(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    while bytes.len() >= 88 {
        let total = i32::from_be_bytes(bytes[0..4].try_into().unwrap()) as usize;
        let body_len = i32::from_be_bytes(bytes[84..88].try_into().unwrap()) as usize;
        bodies.push(bytes[88..88 + body_len].to_vec());
        bytes = &bytes[total..];
    }
    bodies
}

#[test]
fn raw_java_frames_and_client_quirks_against_the_binaries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path();
    let (ns_port, broker_port) = (free_port(), free_port());
    let ns_addr = format!("127.0.0.1:{ns_port}");
    let namesrv = Server::start(
        "namesrv",
        env!("CARGO_BIN_EXE_mqnamesrv"),
        &namesrv_conf(dir, "namesrv", ns_port),
        dir,
    );
    wait_listening(ns_port, &[&namesrv]);
    let conf = broker_conf(dir, "broker-a", broker_port, &ns_addr, "");
    let broker = Server::start("broker", env!("CARGO_BIN_EXE_mqbroker"), &conf, dir);
    wait_listening(broker_port, &[&broker]);
    let mut b = Wire::connect(broker_port);
    let mut ns = Wire::connect(ns_port);

    // UPDATE_AND_CREATE_TOPIC (17).
    let create = java_header(
        17,
        0,
        r#""defaultTopic":"TBW102","order":"false","perm":"6","readQueueNums":"2","topic":"Compat","topicFilterType":"SINGLE_TAG","topicSysFlag":"0","writeQueueNums":"2""#,
    )
    .replace("\"opaque\":0", "\"opaque\":{opaque}");
    assert_eq!(b.call(&create, b"").code(), 0);

    // GET_ROUTEINFO_BY_TOPIC (105): once registered, the broker and its 2 queues.
    let route_query =
        java_header(105, 0, r#""topic":"Compat""#).replace("\"opaque\":0", "\"opaque\":{opaque}");
    let mut route = ns.call(&route_query, b"");
    for _ in 0..100 {
        if route.code() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        route = ns.call(&route_query, b"");
    }
    assert_eq!(route.code(), 0, "route: {:?}", route.header);
    let route_json: Value = serde_json::from_slice(&route.body).expect("standard JSON for 409");
    assert_eq!(route_json["queueDatas"][0]["brokerName"], "broker-a");
    assert_eq!(route_json["queueDatas"][0]["writeQueueNums"], 2);
    assert_eq!(
        route_json["brokerDatas"][0]["brokerAddrs"]["0"],
        format!("127.0.0.1:{broker_port}")
    );

    // SEND_MESSAGE (10), V1 names.
    let props = json_str(&properties(&[
        ("KEYS", "order-7"),
        ("TAGS", "TagA"),
        ("UNIQ_KEY", "AC11000100002A9F0000000000000001"),
        ("WAIT", "true"),
    ]));
    let v1 = java_header(
        10,
        0,
        &format!(
            r#""batch":"false","bornTimestamp":"1700000000000","defaultTopic":"TBW102","defaultTopicQueueNums":"4","flag":"0","producerGroup":"PG","properties":{props},"queueId":"0","reconsumeTimes":"0","sysFlag":"0","topic":"Compat","unitMode":"false""#
        ),
    )
    .replace("\"opaque\":0", "\"opaque\":{opaque}");
    let sent = b.call(&v1, b"v1-body");
    assert_eq!(sent.code(), 0, "{:?}", sent.header);
    assert_eq!(sent.ext("queueId"), "0");
    assert_eq!(sent.ext("queueOffset"), "0");
    assert_eq!(sent.ext("msgId").len(), 32, "offset msgId: 16 bytes hex");

    // SEND_MESSAGE_V2 (310), short names a..n.
    let props = json_str(&properties(&[
        ("TAGS", "TagB"),
        ("UNIQ_KEY", "AC11000100002A9F0000000000000002"),
    ]));
    let v2 = java_header(
        310,
        0,
        &format!(
            r#""a":"PG","b":"Compat","c":"TBW102","d":"4","e":"0","f":"0","g":"1700000000001","h":"0","i":{props},"j":"0","k":"false","m":"false","n":"broker-a""#
        ),
    )
    .replace("\"opaque\":0", "\"opaque\":{opaque}");
    let sent = b.call(&v2, b"v2-body");
    assert_eq!((sent.code(), sent.ext("queueOffset")), (0, "1".to_string()));

    // SEND_BATCH_MESSAGE (320): V2 header with m=true, batch body.
    let batch = java_header(
        320,
        0,
        r#""a":"PG","b":"Compat","c":"TBW102","d":"4","e":"1","f":"0","g":"1700000000002","h":"0","j":"0","k":"false","m":"true""#,
    )
    .replace("\"opaque\":0", "\"opaque\":{opaque}");
    let p1 = properties(&[("UNIQ_KEY", "AC11000100002A9F0000000000000003")]);
    let p2 = properties(&[("UNIQ_KEY", "AC11000100002A9F0000000000000004")]);
    let sent = b.call(&batch, &batch_body(&[(b"batch-1", &p1), (b"batch-2", &p2)]));
    assert_eq!(sent.code(), 0, "{:?}", sent.header);
    assert_eq!(sent.ext("msgId").split(',').count(), 2);
    assert_eq!(
        (sent.ext("queueId"), sent.ext("queueOffset")),
        ("1".into(), "0".into())
    );

    // PULL_MESSAGE (11): commit offset + suspend + subscription flags (0x7).
    let pull = |queue: i32| {
        java_header(
            11,
            0,
            &format!(
                r#""commitOffset":"0","consumerGroup":"CG","expressionType":"TAG","maxMsgNums":"32","queueId":"{queue}","queueOffset":"0","subVersion":"0","subscription":"*","suspendTimeoutMillis":"1000","sysFlag":"7","topic":"Compat""#
            ),
        )
        .replace("\"opaque\":0", "\"opaque\":{opaque}")
    };
    // Dispatch to the consume queue is asynchronous: pull until both records are there.
    let mut pull_all = |queue: i32| {
        for _ in 0..100 {
            let pulled = b.call(&pull(queue), b"");
            assert_eq!(pulled.code(), 0, "{:?}", pulled.header);
            if pulled.ext("nextBeginOffset") == "2" {
                return record_bodies(&pulled.body);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("queue {queue} never held 2 records");
    };
    assert_eq!(pull_all(0), [b"v1-body".to_vec(), b"v2-body".to_vec()]);
    assert_eq!(pull_all(1), [b"batch-1".to_vec(), b"batch-2".to_vec()]);

    // UPDATE_CONSUMER_OFFSET (15), then QUERY_CONSUMER_OFFSET (14).
    let commit = java_header(
        15,
        0,
        r#""commitOffset":"2","consumerGroup":"CG","queueId":"0","topic":"Compat""#,
    )
    .replace("\"opaque\":0", "\"opaque\":{opaque}");
    assert_eq!(b.call(&commit, b"").code(), 0);
    let query = java_header(
        14,
        0,
        r#""consumerGroup":"CG","queueId":"0","topic":"Compat""#,
    )
    .replace("\"opaque\":0", "\"opaque\":{opaque}");
    let offset = b.call(&query, b"");
    assert_eq!((offset.code(), offset.ext("offset")), (0, "2".to_string()));

    // HEART_BEAT (34), Java's body (§2.7).
    let beat = java_header(34, 0, "").replace("\"opaque\":0", "\"opaque\":{opaque}");
    let body = br#"{"clientID":"10.0.0.9@DEFAULT","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1700000000000,"tagsSet":[],"topic":"Compat"}],"unitMode":false}],"producerDataSet":[{"groupName":"PG"},{"groupName":"CLIENT_INNER_PRODUCER"}]}"#;
    assert_eq!(b.call(&beat, body).code(), 0);

    // QUERY_MESSAGE (12) by key.
    let by_key = java_header(
        12,
        0,
        r#""beginTimestamp":"0","endTimestamp":"9223372036854775807","key":"order-7","maxNum":"32","topic":"Compat""#,
    )
    .replace("\"opaque\":0", "\"opaque\":{opaque}");
    let mut found = b.call(&by_key, b"");
    for _ in 0..50 {
        if found.code() == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        found = b.call(&by_key, b"");
    }
    assert_eq!(found.code(), 0, "{:?}", found.header);
    assert_eq!(record_bodies(&found.body), [b"v1-body".to_vec()]);

    // Quirks (§11): no version, no serializeTypeCurrentRPC, language as an ordinal, ext values
    // as numbers and booleans as 1/0 — a V2 send the broker must accept.
    let props = json_str(&properties(&[(
        "UNIQ_KEY",
        "AC11000100002A9F0000000000000005",
    )]));
    let quirky = format!(
        r#"{{"code":310,"extFields":{{"a":"PG","b":"Compat","c":"TBW102","d":4,"e":0,"f":0,"g":1700000000003,"h":0,"i":{props},"k":"0","m":"0"}},"flag":0,"language":1,"opaque":{{opaque}}}}"#
    );
    let sent = b.call(&quirky, b"cpp-body");
    assert_eq!(sent.code(), 0, "{:?}", sent.header);
    // An old client (no version): the route answer uses fastjson's unquoted integer keys.
    let old_route = r#"{"code":105,"extFields":{"topic":"Compat"},"flag":0,"language":"CPP","opaque":{opaque}}"#;
    let route = ns.call(old_route, b"");
    assert_eq!(route.code(), 0);
    let text = String::from_utf8(route.body).expect("UTF-8");
    assert!(
        text.contains(&format!("{{0:\"127.0.0.1:{broker_port}\"}}")),
        "{text}"
    );
    // A C++ heartbeat: enums as ordinals, subVersion as a string, optional fields missing.
    let cpp_beat = br#"{"clientID":"10.0.0.8@cpp","consumerDataSet":[{"consumeFromWhere":4,"consumeType":1,"groupName":"CPPG","messageModel":1,"subscriptionDataSet":[{"subString":"*","subVersion":"1700000000000","topic":"Compat"}]}],"producerDataSet":[]}"#;
    assert_eq!(b.call(&beat, cpp_beat).code(), 0);

    drop((b, ns));
    assert_eq!(broker.terminate(), Some(0));
    assert_eq!(namesrv.terminate(), Some(0));
}
