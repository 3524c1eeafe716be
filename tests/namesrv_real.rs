//! The name server on TokioEnv over loopback, spoken to with raw frames built by
//! `protocol::frame::encode`, in both header encodings — what a Java or C++ client would send.

mod namesrv_common;
mod support;

use bytes::BytesMut;
use namesrv_common::{config_in, register_request, route_request};
use rocketsim::env::{Conn, ConnRead, ConnWrite, Net};
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::body::{ClusterInfo, TopicList, TopicRouteData};
use rocketsim::protocol::{frame, RemotingCommand, RequestCode, ResponseCode, SerializeType};
use rocketsim_real::TokioEnv;
use support::{loopback_any, on_real};

/// One request, one response, over a raw connection.
async fn exchange<R: ConnRead, W: ConnWrite>(
    read: &mut R,
    write: &mut W,
    buf: &mut BytesMut,
    mut request: RemotingCommand,
    opaque: i32,
    ser: SerializeType,
) -> RemotingCommand {
    request.opaque = opaque;
    let mut out = BytesMut::new();
    frame::encode(&request, ser, &mut out).expect("encode");
    write.write_all(&out).await.expect("write");
    loop {
        if let Some(response) = frame::decode_buf(buf).expect("valid frame") {
            assert_eq!(response.opaque, opaque);
            assert!(response.is_response());
            return response;
        }
        let n = read.read_buf(buf).await.expect("read");
        assert!(n > 0, "the name server closed the connection");
    }
}

async fn register_and_route(env: TokioEnv, ser: SerializeType) {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = env.bind(loopback_any()).await.expect("bind");
    let namesrv = Namesrv::start(env.clone(), listener, config_in(dir.path()))
        .await
        .expect("start");
    let conn = env.connect(namesrv.local_addr()).await.expect("connect");
    let (mut read, mut write) = conn.split();
    let mut buf = BytesMut::new();
    let mut next = 0;
    let mut ask = |request: RemotingCommand| {
        next += 1;
        (request, next)
    };

    let (request, opaque) = ask(register_request(
        "broker-a",
        0,
        "127.0.0.1:10911",
        &["TopicTest"],
    ));
    let answer = exchange(&mut read, &mut write, &mut buf, request, opaque, ser).await;
    assert_eq!(
        answer.response_code(),
        Some(ResponseCode::SUCCESS),
        "{:?}",
        answer.remark
    );

    // A 4.9.8 client: standard JSON.
    let (request, opaque) = ask(route_request("TopicTest"));
    let answer = exchange(&mut read, &mut write, &mut buf, request, opaque, ser).await;
    assert_eq!(answer.response_code(), Some(ResponseCode::SUCCESS));
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    assert!(
        text.contains(r#""brokerAddrs":{"0":"127.0.0.1:10911"}"#),
        "{text}"
    );
    let route = TopicRouteData::decode(&answer.body).unwrap();
    assert_eq!(route.queue_datas[0].write_queue_nums, 4);

    // An old client (version below 4.9.4): unquoted integer keys.
    let (mut request, opaque) = ask(route_request("TopicTest"));
    request.version = 317;
    let answer = exchange(&mut read, &mut write, &mut buf, request, opaque, ser).await;
    let text = String::from_utf8(answer.body.to_vec()).unwrap();
    assert!(
        text.contains(r#""brokerAddrs":{0:"127.0.0.1:10911"}"#),
        "{text}"
    );
    assert_eq!(TopicRouteData::decode(&answer.body).unwrap(), route);

    let (request, opaque) = ask(route_request("NoSuchTopic"));
    let answer = exchange(&mut read, &mut write, &mut buf, request, opaque, ser).await;
    assert_eq!(answer.response_code(), Some(ResponseCode::TOPIC_NOT_EXIST));

    let (request, opaque) = ask(RemotingCommand::request(
        RequestCode::GET_BROKER_CLUSTER_INFO,
    ));
    let answer = exchange(&mut read, &mut write, &mut buf, request, opaque, ser).await;
    let info = ClusterInfo::decode(&answer.body).unwrap();
    assert!(info.cluster_addr_table["DefaultCluster"].contains("broker-a"));

    let (request, opaque) = ask(RemotingCommand::request(
        RequestCode::GET_ALL_TOPIC_LIST_FROM_NAMESERVER,
    ));
    let answer = exchange(&mut read, &mut write, &mut buf, request, opaque, ser).await;
    let list = TopicList::decode(&answer.body).unwrap();
    assert!(list.topic_list.contains("TopicTest"));

    // Closing the broker's connection removes it at once.
    drop((read, write));
    let client = namesrv_common::client(&env);
    for _ in 0..100 {
        if namesrv_common::route(&client, namesrv.local_addr(), "TopicTest")
            .await
            .is_err()
        {
            namesrv.shutdown();
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the broker stayed after its connection closed");
}

#[test]
fn register_and_route_with_json_headers() {
    on_real(|env| register_and_route(env, SerializeType::Json));
}

#[test]
fn register_and_route_with_rocketmq_binary_headers() {
    on_real(|env| register_and_route(env, SerializeType::RocketMq));
}
