//! Typed custom headers: exact wire names, round trips through both header encodings, and the
//! leniency real clients need (§11), with typed errors for what cannot be read.

use bytes::BytesMut;
use rocketsim::protocol::frame::{decode, encode};
use rocketsim::protocol::header::{
    CommandHeader, GetMaxOffsetHeader, GetMinOffsetHeader, GetRouteInfoHeader,
    OffsetResponseHeader, PullMessageHeader, PullMessageResponseHeader, QueryConsumerOffsetHeader,
    RegisterBrokerHeader, RegisterBrokerResponseHeader, SendMessageHeader, SendMessageHeaderV2,
    SendMessageResponseHeader, UnregisterBrokerHeader, UpdateConsumerOffsetHeader,
};
use rocketsim::protocol::{ExtFields, HeaderError, RemotingCommand, RequestCode, SerializeType};

fn keys<H: CommandHeader>(header: &H) -> Vec<String> {
    let mut ext = ExtFields::new();
    header.write(&mut ext);
    ext.iter().map(|(k, _)| k.to_owned()).collect()
}

/// Writes `header` into a request, sends it through a frame in both encodings, reads it back.
fn round_trip<H: CommandHeader + PartialEq + std::fmt::Debug>(header: &H) {
    for ser in [SerializeType::Json, SerializeType::RocketMq] {
        let cmd = RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(header);
        let mut buf = BytesMut::new();
        encode(&cmd, ser, &mut buf).expect("encodes");
        let (back, _) = decode(&buf).expect("decodes");
        assert_eq!(&back.header::<H>().expect("reads"), header, "{ser:?}");
    }
}

fn send() -> SendMessageHeader {
    SendMessageHeader {
        producer_group: "PG".into(),
        topic: "T".into(),
        default_topic: "TBW102".into(),
        default_topic_queue_nums: 4,
        queue_id: 2,
        sys_flag: 0,
        born_timestamp_ms: 1_700_000_000_123,
        flag: 0,
        properties: Some("TAGS\u{1}A\u{2}".into()),
        reconsume_times: Some(0),
        unit_mode: false,
        max_reconsume_times: Some(16),
        batch: true,
        broker_name: Some("broker-a".into()),
    }
}

#[test]
fn send_v1_and_v2_names() {
    assert_eq!(
        keys(&send()),
        [
            "batch",
            "bname",
            "bornTimestamp",
            "defaultTopic",
            "defaultTopicQueueNums",
            "flag",
            "maxReconsumeTimes",
            "producerGroup",
            "properties",
            "queueId",
            "reconsumeTimes",
            "sysFlag",
            "topic",
            "unitMode"
        ]
    );
    let v2 = keys(&SendMessageHeaderV2(send()));
    assert_eq!(
        v2,
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"]
    );
    round_trip(&send());
    round_trip(&SendMessageHeaderV2(send()));
}

#[test]
fn send_read_for_picks_the_spelling() {
    let mut v1 = ExtFields::new();
    send().write_v1(&mut v1);
    let mut v2 = ExtFields::new();
    send().write_v2(&mut v2);
    assert_eq!(
        SendMessageHeader::read_for(RequestCode::SEND_MESSAGE, &v1),
        Ok(send())
    );
    assert_eq!(
        SendMessageHeader::read_for(RequestCode::SEND_BATCH_MESSAGE, &v2),
        Ok(send())
    );
    assert_eq!(
        SendMessageHeader::read_for(RequestCode::SEND_MESSAGE_V2, &v1),
        Err(HeaderError::Missing { field: "a" })
    );
}

#[test]
fn send_cpp_booleans_and_missing_primitives() {
    let mut ext = ExtFields::new();
    send().write_v2(&mut ext);
    ext.insert("k", "1");
    ext.insert("m", "FALSE");
    let header = SendMessageHeader::read_v2(&ext).expect("reads");
    assert!(header.unit_mode && !header.batch);
    ext.remove("k");
    ext.remove("m");
    ext.remove("j");
    let header = SendMessageHeader::read_v2(&ext).expect("reads");
    assert!(!header.unit_mode && !header.batch);
    assert_eq!(header.reconsume_times, None);
    ext.insert("m", "yes");
    assert_eq!(
        SendMessageHeader::read_v2(&ext),
        Err(HeaderError::Invalid {
            field: "m",
            value: "yes".into()
        })
    );
    ext.insert("m", "0");
    ext.insert("e", "2.5");
    assert_eq!(
        SendMessageHeader::read_v2(&ext),
        Err(HeaderError::Invalid {
            field: "e",
            value: "2.5".into()
        })
    );
}

#[test]
fn send_response() {
    let header = SendMessageResponseHeader {
        msg_id: "0A000001000027110000000000000010".into(),
        queue_id: 3,
        queue_offset: 99,
        transaction_id: Some("tx".into()),
        msg_region: Some("DefaultRegion".into()),
        trace_on: Some(false),
    };
    assert_eq!(
        keys(&header),
        [
            "MSG_REGION",
            "TRACE_ON",
            "msgId",
            "queueId",
            "queueOffset",
            "transactionId"
        ]
    );
    round_trip(&header);
}

#[test]
fn pull_request_and_response() {
    let header = PullMessageHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: 1,
        queue_offset: 10,
        max_msg_nums: 32,
        sys_flag: 0x3,
        commit_offset: 8,
        suspend_timeout_ms: 15_000,
        subscription: Some("*".into()),
        sub_version: 1_700_000_000_000,
        expression_type: Some("TAG".into()),
        max_msg_bytes: None,
    };
    assert_eq!(
        keys(&header),
        [
            "commitOffset",
            "consumerGroup",
            "expressionType",
            "maxMsgNums",
            "queueId",
            "queueOffset",
            "subVersion",
            "subscription",
            "suspendTimeoutMillis",
            "sysFlag",
            "topic"
        ]
    );
    round_trip(&header);
    let response = PullMessageResponseHeader {
        suggest_which_broker_id: 1,
        next_begin_offset: 42,
        min_offset: 0,
        max_offset: 100,
    };
    assert_eq!(
        keys(&response),
        [
            "maxOffset",
            "minOffset",
            "nextBeginOffset",
            "suggestWhichBrokerId"
        ]
    );
    round_trip(&response);
}

#[test]
fn register_and_unregister_broker() {
    let header = RegisterBrokerHeader {
        broker_name: "broker-a".into(),
        broker_addr: "10.0.0.1:10911".into(),
        cluster_name: "DefaultCluster".into(),
        ha_server_addr: "10.0.0.1:10912".into(),
        broker_id: 0,
        compressed: false,
        body_crc32: 0xDEAD_BEEF,
        heartbeat_timeout_ms: None,
        enable_acting_master: None,
    };
    let mut ext = ExtFields::new();
    header.write(&mut ext);
    assert_eq!(
        ext.get("bodyCrc32"),
        Some("-559038737"),
        "Java's signed int"
    );
    assert_eq!(
        keys(&header),
        [
            "bodyCrc32",
            "brokerAddr",
            "brokerId",
            "brokerName",
            "clusterName",
            "compressed",
            "haServerAddr"
        ]
    );
    round_trip(&header);
    round_trip(&RegisterBrokerResponseHeader {
        ha_server_addr: Some("10.0.0.1:10912".into()),
        master_addr: Some("10.0.0.1:10911".into()),
    });
    round_trip(&RegisterBrokerResponseHeader::default());
    let unregister = UnregisterBrokerHeader {
        broker_name: "broker-a".into(),
        broker_addr: "10.0.0.1:10911".into(),
        cluster_name: "DefaultCluster".into(),
        broker_id: 1,
    };
    assert_eq!(
        keys(&unregister),
        ["brokerAddr", "brokerId", "brokerName", "clusterName"]
    );
    round_trip(&unregister);
}

#[test]
fn route_info() {
    let header = GetRouteInfoHeader {
        topic: "T".into(),
        accept_standard_json_only: None,
    };
    assert_eq!(keys(&header), ["topic"]);
    round_trip(&header);
    let ext: ExtFields = [("topic", "T"), ("acceptStandardJsonOnly", "True")]
        .into_iter()
        .collect();
    assert_eq!(
        GetRouteInfoHeader::read(&ext).map(|h| h.accept_standard_json_only),
        Ok(Some(true))
    );
    assert_eq!(
        GetRouteInfoHeader::read(&ExtFields::new()),
        Err(HeaderError::Missing { field: "topic" })
    );
}

#[test]
fn offsets() {
    let query = QueryConsumerOffsetHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: 0,
        set_zero_if_not_found: None,
    };
    assert_eq!(keys(&query), ["consumerGroup", "queueId", "topic"]);
    round_trip(&query);
    let update = UpdateConsumerOffsetHeader {
        consumer_group: "CG".into(),
        topic: "T".into(),
        queue_id: 0,
        commit_offset: 7,
    };
    assert_eq!(
        keys(&update),
        ["commitOffset", "consumerGroup", "queueId", "topic"]
    );
    round_trip(&update);
    round_trip(&GetMaxOffsetHeader {
        topic: "T".into(),
        queue_id: 5,
        committed: Some(true),
    });
    round_trip(&GetMinOffsetHeader {
        topic: "T".into(),
        queue_id: 5,
    });
    assert_eq!(keys(&OffsetResponseHeader { offset: 1 }), ["offset"]);
    round_trip(&OffsetResponseHeader { offset: i64::MIN });
}
