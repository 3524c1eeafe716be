//! Golden JSON and byte layouts of the name-server bodies, written from the reference's field
//! tables (ROCKETMQ.md §2.4, §2.5, §4.9), not from our own output.

use std::collections::BTreeMap;
use std::io::Read;

use rocketsim::protocol::body::{
    fastjson, BodyError, BodyLimits, BrokerData, ClusterInfo, DataVersion, JsonStyle, KvTable,
    QueueData, RegisterBrokerBody, TopicConfig, TopicConfigSerializeWrapper, TopicList,
    TopicRouteData,
};

fn route() -> TopicRouteData {
    TopicRouteData {
        broker_datas: vec![BrokerData {
            broker_addrs: [
                (0, "10.0.0.1:10911".to_string()),
                (1, "10.0.0.2:10911".to_string()),
            ]
            .into(),
            broker_name: "broker-a".into(),
            cluster: "DefaultCluster".into(),
        }],
        filter_server_table: BTreeMap::new(),
        order_topic_conf: None,
        queue_datas: vec![QueueData {
            broker_name: "broker-a".into(),
            perm: 6,
            read_queue_nums: 4,
            topic_sys_flag: 1,
            write_queue_nums: 4,
        }],
    }
}

/// 4.9.4+ clients: fastjson with QuoteFieldNames/MapSortField — keys sorted, integer keys
/// quoted, nulls (orderTopicConf) omitted.
const ROUTE_STANDARD: &str = concat!(
    r#"{"brokerDatas":[{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"#,
    r#""brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"#,
    r#""queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSysFlag":1,"#,
    r#""writeQueueNums":4}]}"#
);

/// Older clients: fastjson's default output, integer keys unquoted; the flag under both its
/// pre-4.9.0 (`topicSynFlag`) and current name.
const ROUTE_FASTJSON: &str = concat!(
    r#"{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"#,
    r#""brokerName":"broker-a","cluster":"DefaultCluster"}],"filterServerTable":{},"#,
    r#""queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":4,"topicSynFlag":1,"#,
    r#""topicSysFlag":1,"writeQueueNums":4}]}"#
);

#[test]
fn route_data_in_both_dialects() {
    assert_eq!(route().to_json(JsonStyle::Standard), ROUTE_STANDARD);
    assert_eq!(route().to_json(JsonStyle::Fastjson), ROUTE_FASTJSON);
    assert_eq!(
        TopicRouteData::decode(ROUTE_STANDARD.as_bytes()).unwrap(),
        route()
    );
    assert_eq!(
        TopicRouteData::decode(ROUTE_FASTJSON.as_bytes()).unwrap(),
        route()
    );
}

#[test]
fn route_data_from_an_old_broker_spells_the_flag_topic_syn_flag() {
    let old = r#"{"brokerDatas":[],"filterServerTable":{},"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":1,"topicSynFlag":2,"writeQueueNums":1}]}"#;
    let parsed = TopicRouteData::decode(old.as_bytes()).unwrap();
    assert_eq!(parsed.queue_datas[0].topic_sys_flag, 2);
}

#[test]
fn route_data_with_order_conf_and_filter_servers() {
    let mut route = route();
    route.order_topic_conf = Some("broker-a:4".into());
    route
        .filter_server_table
        .insert("10.0.0.1:10911".into(), vec!["10.0.0.1:30000".into()]);
    let text = route.to_json(JsonStyle::Standard);
    assert!(text.contains(r#""filterServerTable":{"10.0.0.1:10911":["10.0.0.1:30000"]},"orderTopicConf":"broker-a:4","queueDatas""#), "{text}");
    assert_eq!(TopicRouteData::decode(text.as_bytes()).unwrap(), route);
}

#[test]
fn json_style_follows_the_client_version() {
    assert_eq!(JsonStyle::for_request(401, false), JsonStyle::Standard);
    assert_eq!(JsonStyle::for_request(409, false), JsonStyle::Standard);
    assert_eq!(JsonStyle::for_request(400, false), JsonStyle::Fastjson);
    assert_eq!(
        JsonStyle::for_request(0, false),
        JsonStyle::Fastjson,
        "unversioned = old"
    );
    assert_eq!(JsonStyle::for_request(0, true), JsonStyle::Standard);
}

#[test]
fn cluster_info_in_both_dialects() {
    let info = ClusterInfo {
        broker_addr_table: [("broker-a".to_string(), route().broker_datas[0].clone())].into(),
        cluster_addr_table: [(
            "DefaultCluster".to_string(),
            ["broker-a".to_string()].into(),
        )]
        .into(),
    };
    let standard = concat!(
        r#"{"brokerAddrTable":{"broker-a":{"brokerAddrs":{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"},"#,
        r#""brokerName":"broker-a","cluster":"DefaultCluster"}},"clusterAddrTable":{"DefaultCluster":["broker-a"]}}"#
    );
    assert_eq!(info.to_json(JsonStyle::Standard), standard);
    let old = info.to_json(JsonStyle::Fastjson);
    assert!(
        old.contains(r#"{0:"10.0.0.1:10911",1:"10.0.0.2:10911"}"#),
        "{old}"
    );
    assert_eq!(ClusterInfo::decode(old.as_bytes()).unwrap(), info);
}

fn wrapper() -> TopicConfigSerializeWrapper {
    TopicConfigSerializeWrapper {
        data_version: DataVersion {
            counter: 3,
            state_version: None,
            timestamp: 1_700_000_000_000,
        },
        topic_config_table: [("T".to_string(), TopicConfig::with_queues("T", 4, 4, 6))].into(),
    }
}

fn body() -> RegisterBrokerBody {
    RegisterBrokerBody {
        filter_server_list: Vec::new(),
        topic_config_serialize_wrapper: wrapper(),
    }
}

const REGISTER_JSON: &str = concat!(
    r#"{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000000},"#,
    r#""topicConfigTable":{"T":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","#,
    r#""topicName":"T","topicSysFlag":0,"writeQueueNums":4}}}}"#
);

#[test]
fn register_body_json() {
    assert_eq!(
        String::from_utf8(body().encode_json()).unwrap(),
        REGISTER_JSON
    );
    let limits = BodyLimits::default();
    assert_eq!(
        RegisterBrokerBody::decode(REGISTER_JSON.as_bytes(), false, &limits).unwrap(),
        body()
    );
}

/// The zlib stream holds: i32 len + DataVersion JSON; i32 topic count; per topic i32 len +
/// Java's `TopicConfig.encode()` text; i32 len + filterServerList JSON. Big-endian.
#[test]
fn register_body_compressed_layout() {
    let compressed = body().encode_compressed();
    assert_eq!(
        &compressed[..2],
        &[0x78, 0xDA],
        "zlib header of Deflater.BEST_COMPRESSION"
    );
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&compressed[..])
        .read_to_end(&mut raw)
        .unwrap();
    let mut expected = Vec::new();
    let version = br#"{"counter":3,"timestamp":1700000000000}"#;
    expected.extend_from_slice(&(version.len() as i32).to_be_bytes());
    expected.extend_from_slice(version);
    expected.extend_from_slice(&1i32.to_be_bytes());
    let topic = b"T 4 4 6 SINGLE_TAG";
    expected.extend_from_slice(&(topic.len() as i32).to_be_bytes());
    expected.extend_from_slice(topic);
    expected.extend_from_slice(&2i32.to_be_bytes());
    expected.extend_from_slice(b"[]");
    assert_eq!(raw, expected);
    let limits = BodyLimits::default();
    assert_eq!(
        RegisterBrokerBody::decode(&compressed, true, &limits).unwrap(),
        body()
    );
}

#[test]
fn compressed_body_from_java_with_a_5x_tail_is_read() {
    // Built by hand as a 5.x broker would: the mapping section follows the filter list.
    let mut raw = Vec::new();
    let version = br#"{"counter":1,"stateVersion":0,"timestamp":5}"#;
    raw.extend_from_slice(&(version.len() as i32).to_be_bytes());
    raw.extend_from_slice(version);
    raw.extend_from_slice(&1i32.to_be_bytes());
    let topic = b"TopicTest 8 8 7 MULTI_TAG";
    raw.extend_from_slice(&(topic.len() as i32).to_be_bytes());
    raw.extend_from_slice(topic);
    raw.extend_from_slice(&2i32.to_be_bytes());
    raw.extend_from_slice(b"[]");
    raw.extend_from_slice(&0i32.to_be_bytes()); // 5.x: no mappings
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut encoder, &raw).unwrap();
    let body = RegisterBrokerBody::decode(&encoder.finish().unwrap(), true, &BodyLimits::default())
        .unwrap();
    let config = &body.topic_config_serialize_wrapper.topic_config_table["TopicTest"];
    assert_eq!((config.read_queue_nums, config.perm), (8, 7));
    assert_eq!(
        body.topic_config_serialize_wrapper
            .data_version
            .state_version,
        Some(0)
    );
}

#[test]
fn register_body_limits() {
    let limits = BodyLimits {
        body_bytes_max: 64,
        inflated_bytes_max: 64,
        topics_max: 1,
    };
    let too_big = RegisterBrokerBody::decode(REGISTER_JSON.as_bytes(), false, &limits).unwrap_err();
    assert!(
        matches!(
            too_big,
            BodyError::TooLarge {
                what: "register body",
                ..
            }
        ),
        "{too_big}"
    );
    let mut many = body();
    for name in ["U", "V"] {
        let table = &mut many.topic_config_serialize_wrapper.topic_config_table;
        table.insert(name.into(), TopicConfig::new(name));
    }
    let roomy = BodyLimits {
        topics_max: 2,
        ..BodyLimits::default()
    };
    for compressed in [false, true] {
        let bytes = match compressed {
            true => many.encode_compressed(),
            false => many.encode_json(),
        };
        let error = RegisterBrokerBody::decode(&bytes, compressed, &roomy).unwrap_err();
        assert_eq!(error, BodyError::TooManyTopics { count: 3, max: 2 });
    }
    // A zip bomb stops at the inflated limit.
    let bomb = RegisterBrokerBody {
        filter_server_list: vec!["x".repeat(100_000)],
        topic_config_serialize_wrapper: wrapper(),
    }
    .encode_compressed();
    let small = BodyLimits {
        inflated_bytes_max: 10_000,
        ..BodyLimits::default()
    };
    let error = RegisterBrokerBody::decode(&bomb, true, &small).unwrap_err();
    assert!(
        matches!(
            error,
            BodyError::TooLarge {
                what: "inflated register body",
                len: 10_001,
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn small_bodies() {
    let kv = KvTable {
        table: [("T".to_string(), "broker-a:4".to_string())].into(),
    };
    assert_eq!(kv.to_json(), r#"{"table":{"T":"broker-a:4"}}"#);
    let list = TopicList {
        broker_addr: None,
        topic_list: ["B".to_string(), "A".to_string()].into(),
    };
    assert_eq!(list.to_json(), r#"{"topicList":["A","B"]}"#);
    let offsets: BTreeMap<String, BTreeMap<i32, i64>> =
        fastjson::parse(br#"{"T@g":{0:123,1:456}}"#, "consumerOffset").unwrap();
    assert_eq!(
        offsets["T@g"][&1], 456,
        "unquoted integer keys read anywhere (§4.9)"
    );
}
