//! Bad input to the name server: each case gets an error response whose remark names the
//! problem, adds nothing to the route table, and the server keeps serving the same connection.
//! The same body runs in simulation and over loopback.

mod namesrv_common;
mod support;

use bytes::Bytes;
use namesrv_common::{
    call, client, config_in, ok, register_body, register_header, register_request, route,
};
use rocketsim::env::Env;
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::body::BodyLimits;
use rocketsim::protocol::header::{KvConfigHeader, QueryDataVersionHeader};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::net::SocketAddr;
use std::path::PathBuf;
use support::{loopback_any, on_real, on_sim, sim_addr, sim_ip};

fn register_with(body: Vec<u8>, compressed: bool, crc: Option<u32>) -> RemotingCommand {
    let mut header = register_header("broker-a", 0, "10.9.0.1:10911");
    header.compressed = compressed;
    header.body_crc32 = crc.unwrap_or_else(|| crc32fast::hash(&body));
    RemotingCommand::request(RequestCode::REGISTER_BROKER)
        .with_header(&header)
        .with_body(Bytes::from(body))
}

fn zlib(raw: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, raw).unwrap();
    encoder.finish().unwrap()
}

/// (what the case is, the request, a word the remark must contain).
fn cases() -> Vec<(&'static str, RemotingCommand, &'static str)> {
    let good = register_request("broker-a", 0, "10.9.0.1:10911", &["T"]);
    let mut no_name = good.clone();
    no_name.ext_fields.remove("brokerName");
    let mut bad_id = good.clone();
    bad_id.ext_fields.insert("brokerId", "zero");
    let mut empty_name = good.clone();
    empty_name.ext_fields.insert("brokerName", "");
    let json = register_body(1, &["T"]).encode_json();
    let mut truncated = register_body(1, &["T"]).encode_compressed();
    truncated.truncate(truncated.len() / 2);
    let mut short_stream = Vec::new();
    short_stream.extend_from_slice(&100i32.to_be_bytes());
    short_stream.extend_from_slice(b"{\"counter\":1}");
    let mut bad_topic_text = Vec::new();
    let version = b"{\"counter\":1,\"timestamp\":2}";
    bad_topic_text.extend_from_slice(&(version.len() as i32).to_be_bytes());
    bad_topic_text.extend_from_slice(version);
    bad_topic_text.extend_from_slice(&1i32.to_be_bytes());
    bad_topic_text.extend_from_slice(&(9i32).to_be_bytes());
    bad_topic_text.extend_from_slice(b"T 4 4 six");
    let mut no_topic = RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC);
    no_topic.ext_fields.insert("acceptStandardJsonOnly", "true");
    let version_header = QueryDataVersionHeader {
        broker_name: "broker-a".into(),
        broker_addr: "10.9.0.1:10911".into(),
        cluster_name: "DefaultCluster".into(),
        broker_id: 0,
    };
    let kv_header = KvConfigHeader {
        namespace: "ns".into(),
        key: "k".into(),
        value: None,
    };
    vec![
        ("missing brokerName", no_name, "brokerName"),
        ("unparsable brokerId", bad_id, "brokerId"),
        ("empty brokerName", empty_name, "brokerName is empty"),
        ("wrong CRC", register_with(json.clone(), false, Some(12345)), "crc32"),
        ("invalid JSON", register_with(b"{\"topicConfigSerializeWrapper\":".to_vec(), false, None), "not valid JSON"),
        ("JSON of the wrong shape", register_with(b"[1,2,3]".to_vec(), false, None), "not valid JSON"),
        ("no topic wrapper", register_with(b"{\"filterServerList\":[]}".to_vec(), false, None), "topicConfigSerializeWrapper is missing"),
        ("key and topic disagree", register_with(br#"{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"topicName":"B"}}}}"#.to_vec(), false, None), "A holds topic B"),
        ("negative queues", register_with(br#"{"topicConfigSerializeWrapper":{"topicConfigTable":{"A":{"readQueueNums":-1}}}}"#.to_vec(), false, None), "readQueueNums"),
        ("not zlib", register_with(json.clone(), true, None), "inflated"),
        ("truncated zlib", register_with(truncated, true, None), "inflated"),
        ("length past the end", register_with(zlib(&short_stream), true, None), "bad length 100"),
        ("bad topic config text", register_with(zlib(&bad_topic_text), true, None), "topic config text"),
        ("over the body limit", register_with(vec![b' '; 5000], false, None), "exceeds the limit 4096"),
        ("route without topic", no_topic, "topic"),
        ("data version without body", RemotingCommand::request(RequestCode::QUERY_DATA_VERSION).with_header(&version_header), "no body"),
        ("KV put without value", RemotingCommand::request(RequestCode::PUT_KV_CONFIG).with_header(&kv_header), "value"),
    ]
}

async fn each_is_refused_and_nothing_changes<E: Env>(
    ns_env: E,
    env: E,
    bind: SocketAddr,
    kv_dir: PathBuf,
) {
    let listener = ns_env.bind(bind).await.expect("bind");
    let mut config = config_in(&kv_dir);
    config.body_limits = BodyLimits {
        body_bytes_max: 4096,
        ..BodyLimits::default()
    };
    let namesrv = Namesrv::start(ns_env, listener, config)
        .await
        .expect("start");
    let addr = namesrv.local_addr();
    let client = client(&env);
    for (case, request, word) in cases() {
        let response = call(&client, addr, request).await;
        assert_eq!(
            response.response_code(),
            Some(ResponseCode::SYSTEM_ERROR),
            "{case}"
        );
        let remark = response.remark.clone().unwrap_or_default();
        println!("{case}: {remark}");
        assert!(
            remark.contains(word),
            "{case}: remark {remark:?} does not name {word:?}"
        );
        assert_eq!(
            namesrv.with_table(|t| t.sizes()),
            (0, 0, 0),
            "{case} changed the table"
        );
    }
    let unknown = call(&client, addr, RemotingCommand::request(RequestCode(9999))).await;
    assert_eq!(
        unknown.response_code(),
        Some(ResponseCode::REQUEST_CODE_NOT_SUPPORTED)
    );
    // Still serving, on the same connection.
    ok(&call(
        &client,
        addr,
        register_request("broker-a", 0, "10.9.0.1:10911", &["T"]),
    )
    .await);
    assert!(route(&client, addr, "T").await.is_ok());
    namesrv.shutdown();
}

#[test]
fn bad_input_in_simulation() {
    on_sim(7, |world| async move {
        let ns = world.add_client_node("namesrv", sim_ip(1));
        let broker = world.add_client_node("broker", sim_ip(2));
        let ns_env = world.env(ns);
        world
            .run_on(broker, move |env| {
                each_is_refused_and_nothing_changes(
                    ns_env,
                    env,
                    sim_addr(1, 9876),
                    PathBuf::from("namesrv"),
                )
            })
            .await
            .expect("node stays up");
    });
}

#[test]
fn bad_input_for_real() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    on_real(|env| each_is_refused_and_nothing_changes(env.clone(), env, loopback_any(), path));
}
