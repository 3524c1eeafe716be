//! Bad input to the broker, the same body in simulation and over loopback: each request is
//! refused with a typed code and a remark, nothing is stored, and the broker keeps serving.
//! The broker runs with `autoCreateTopicEnable=false`.

mod broker_common;
mod support;

use broker_common::*;
use bytes::Bytes;
use rocketsim::env::Env;
use rocketsim::protocol::body::perm;
use rocketsim::protocol::header::PullMessageHeader;
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::sysflag::PullSysFlag;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::net::SocketAddr;
use std::path::PathBuf;
use support::{loopback_any, on_real, on_sim, sim_addr, sim_ip};

async fn bad_input<E: Env>(env: E, bind: SocketAddr, root: PathBuf) {
    let mut cfg = config(&root, bind.ip(), bind.port(), None);
    cfg.auto_create_topic_enable = false;
    let broker = start(&env, bind, cfg).await;
    let addr = broker.local_addr();
    let c = client(&env);
    assert_code(
        &call(&c, addr, create_topic("T", 2)).await,
        ResponseCode::SUCCESS,
    );
    let none = Properties::new();
    let cases: Vec<(&str, RemotingCommand, ResponseCode)> = vec![
        (
            "unknown topic, auto-create off",
            send_v1(&send_header("Nope", 0, &none), b"x"),
            ResponseCode::TOPIC_NOT_EXIST,
        ),
        (
            "illegal topic name",
            send_v1(&send_header("bad topic", 0, &none), b"x"),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "topic too long",
            send_v1(&send_header(&"t".repeat(128), 0, &none), b"x"),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "system topic",
            send_v1(&send_header("SCHEDULE_TOPIC_XXXX", 0, &none), b"x"),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "empty body",
            send_v1(&send_header("T", 0, &none), b""),
            ResponseCode::MESSAGE_ILLEGAL,
        ),
        (
            "oversized body",
            send_v1(&send_header("T", 0, &none), &vec![7u8; 16 * 1024 + 1]),
            ResponseCode::MESSAGE_ILLEGAL,
        ),
        (
            "queue id out of range",
            send_v1(&send_header("T", 9, &none), b"x"),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "missing header fields",
            RemotingCommand::request(RequestCode::SEND_MESSAGE).with_body(Bytes::from_static(b"x")),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "bad batch body",
            RemotingCommand::request(RequestCode::SEND_BATCH_MESSAGE)
                .with_header(&rocketsim::protocol::header::SendMessageHeaderV2(
                    send_header("T", 0, &none),
                ))
                .with_body(Bytes::from_static(b"\0\0\0\x05junk")),
            ResponseCode::MESSAGE_ILLEGAL,
        ),
        (
            "pull of a queue that does not exist",
            Pull::new("T", 99, 0).request(),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "pull of an unknown topic",
            Pull::new("Nope", 0, 0).request(),
            ResponseCode::TOPIC_NOT_EXIST,
        ),
        (
            "pull without header",
            RemotingCommand::request(RequestCode::PULL_MESSAGE),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "heartbeat without body",
            RemotingCommand::request(RequestCode::HEART_BEAT),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "heartbeat of bad JSON",
            RemotingCommand::request(RequestCode::HEART_BEAT).with_body(Bytes::from_static(b"{")),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "lock without body",
            RemotingCommand::request(RequestCode::LOCK_BATCH_MQ),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "view beyond the log",
            RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID)
                .with_ext_field("offset", "99999999"),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "create topic with an illegal name",
            create_topic("a/b", 2),
            ResponseCode::SYSTEM_ERROR,
        ),
        (
            "create the template topic",
            create_topic("TBW102", 2),
            ResponseCode::SYSTEM_ERROR,
        ),
    ];
    let mut big = String::new();
    while big.len() < 40_000 {
        big.push_str("k\u{1}v\u{2}");
    }
    let mut over = send_header("T", 0, &none);
    over.properties = Some(big);
    let mut cases = cases;
    cases.push((
        "properties over the limit",
        send_v1(&over, b"x"),
        ResponseCode::MESSAGE_ILLEGAL,
    ));
    for (name, request, code) in cases {
        let before = broker.store().max_physical_offset();
        let response = call(&c, addr, request).await;
        assert_eq!(
            response.response_code(),
            Some(code),
            "{name}: {:?}",
            response.remark
        );
        assert!(
            response.remark.as_deref().is_some_and(|r| !r.is_empty()),
            "{name}: no remark"
        );
        assert_eq!(
            broker.store().max_physical_offset(),
            before,
            "{name}: something was stored"
        );
    }
    // Offsets beyond the end.
    let (code, h, _) = pull(&c, addr, &Pull::new("T", 0, 1_000)).await;
    assert_eq!(
        (code, h.next_begin_offset),
        (ResponseCode::PULL_OFFSET_MOVED, 0)
    );
    // A pull filtered by the group's registered subscription (no subscription flag) whose
    // subVersion is newer than the registered one: SUBSCRIPTION_NOT_LATEST; as new: served.
    let json = r#"{"clientID":"c1","consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{"subString":"*","subVersion":100,"topic":"T"}],"unitMode":false}],"producerDataSet":[]}"#;
    let beat = RemotingCommand::request(RequestCode::HEART_BEAT).with_body(Bytes::from(json));
    assert_code(&call(&c, addr, beat).await, ResponseCode::SUCCESS);
    for (sub_version, code) in [
        (200, ResponseCode::SUBSCRIPTION_NOT_LATEST),
        (100, ResponseCode::PULL_NOT_FOUND),
    ] {
        let mut header: PullMessageHeader =
            Pull::new("T", 1, 0).request().header().expect("header");
        header.sys_flag = PullSysFlag::build(false, false, false, false).to_wire();
        header.sub_version = sub_version;
        let request = RemotingCommand::request(RequestCode::PULL_MESSAGE).with_header(&header);
        let response = call(&c, addr, request).await;
        assert_code(&response, code);
    }
    // Write permission wiped: NO_PERMISSION; restored: served again.
    broker.set_permission(perm::READ);
    let denied = call(&c, addr, send_v1(&send_header("T", 0, &none), b"x")).await;
    assert_code(&denied, ResponseCode::NO_PERMISSION);
    broker.set_permission(perm::READ | perm::WRITE);
    send_answer(&call(&c, addr, send_v1(&send_header("T", 0, &none), b"x")).await);
    broker.shutdown().await.expect("clean shutdown");
}

#[test]
fn bad_input_in_simulation() {
    on_sim(3, |world| async move {
        let node = world.add_client_node("broker", sim_ip(2));
        world
            .run_on(node, move |env| {
                bad_input(env, sim_addr(2, 10911), PathBuf::from("data"))
            })
            .await
            .expect("node stays up");
    });
}

#[test]
fn bad_input_for_real() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    on_real(|env| bad_input(env, loopback_any(), root));
}
