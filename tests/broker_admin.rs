//! The broker's administration and operator views, the same body in simulation and over
//! loopback: topics (create, list, delete), subscription groups (create, list), and the JSON
//! that `mqadmin brokerStatus`, `consumerProgress` and `topicStatus` read (field names from
//! the reference's tables: `putTps`, `msgPutTotalTodayNow`, `offsetTable`, `brokerOffset`,
//! `consumerOffset`, `minOffset`, `maxOffset`).

mod broker_common;
mod support;

use broker_common::*;
use bytes::Bytes;
use rocketsim::env::Env;
use rocketsim::protocol::body::KvTable;
use rocketsim::protocol::header::{GetConsumeStatsHeader, TopicHeader, UpdateConsumerOffsetHeader};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use support::{loopback_any, on_real, on_sim, sim_addr};

fn body_text(response: &RemotingCommand) -> String {
    String::from_utf8(response.body.to_vec()).expect("UTF-8 body")
}

async fn admin<E: Env>(env: E, bind: SocketAddr, root: PathBuf) {
    let broker = start(&env, bind, config(&root, bind.ip(), bind.port(), None)).await;
    let addr = broker.local_addr();
    let c = client(&env);
    assert_code(
        &call(&c, addr, create_topic("Orders", 2)).await,
        ResponseCode::SUCCESS,
    );

    // GET_ALL_TOPIC_CONFIG: a TopicConfigSerializeWrapper with the new topic.
    let all = call(
        &c,
        addr,
        RemotingCommand::request(RequestCode::GET_ALL_TOPIC_CONFIG),
    )
    .await;
    assert_code(&all, ResponseCode::SUCCESS);
    let json: serde_json::Value = serde_json::from_slice(&all.body).expect("topic wrapper JSON");
    let orders = &json["topicConfigTable"]["Orders"];
    assert_eq!(orders["readQueueNums"], 2);
    assert_eq!(orders["writeQueueNums"], 2);
    assert!(json["dataVersion"]["counter"].as_i64().is_some());

    // Five messages in queue 0, three in queue 1; a group commits 4 on queue 0.
    let none = props(&[]);
    for (queue_id, n) in [(0, 5), (1, 3)] {
        for _ in 0..n {
            send_answer(
                &call(
                    &c,
                    addr,
                    send_v1(&send_header("Orders", queue_id, &none), b"m"),
                )
                .await,
            );
        }
    }
    let commit = RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetHeader {
            consumer_group: "Billing".into(),
            topic: "Orders".into(),
            queue_id: 0,
            commit_offset: 4,
        },
    );
    assert_code(&call(&c, addr, commit).await, ResponseCode::SUCCESS);
    // Let dispatch catch up and the rate sampler see the sends.
    env.sleep(Duration::from_secs(3)).await;

    // GET_BROKER_RUNTIME_INFO: counters and the three rates.
    let info = call(
        &c,
        addr,
        RemotingCommand::request(RequestCode::GET_BROKER_RUNTIME_INFO),
    )
    .await;
    assert_code(&info, ResponseCode::SUCCESS);
    let table = KvTable::decode(&info.body).expect("KVTable");
    assert_eq!(table.table["msgPutTotalTodayNow"], "8");
    let put_tps: Vec<f64> = table.table["putTps"]
        .split(' ')
        .map(|r| r.parse().expect("a rate"))
        .collect();
    assert_eq!(put_tps.len(), 3, "{:?}", table.table["putTps"]);
    assert!(put_tps.iter().all(|r| *r > 0.0), "{put_tps:?}");

    // GET_CONSUME_STATS: per queue the broker's max and the group's committed offset.
    let stats = call(
        &c,
        addr,
        RemotingCommand::request(RequestCode::GET_CONSUME_STATS).with_header(
            &GetConsumeStatsHeader {
                consumer_group: "Billing".into(),
                topic: Some("Orders".into()),
            },
        ),
    )
    .await;
    assert_code(&stats, ResponseCode::SUCCESS);
    let text = body_text(&stats);
    assert!(text.starts_with("{\"consumeTps\":"), "{text}");
    let q0 = r#"{"brokerName":"broker-a","queueId":0,"topic":"Orders"}:{"brokerOffset":5,"consumerOffset":4"#;
    let q1 = r#"{"brokerName":"broker-a","queueId":1,"topic":"Orders"}:{"brokerOffset":3,"consumerOffset":0"#;
    assert!(text.contains(q0) && text.contains(q1), "{text}");

    // GET_TOPIC_STATS_INFO: min and max per queue; unknown topic refused.
    let topic_stats = |topic: &str| {
        RemotingCommand::request(RequestCode::GET_TOPIC_STATS_INFO).with_header(&TopicHeader {
            topic: topic.into(),
        })
    };
    let stats = call(&c, addr, topic_stats("Orders")).await;
    assert_code(&stats, ResponseCode::SUCCESS);
    let text = body_text(&stats);
    assert!(
        text.contains(
            r#""queueId":1,"topic":"Orders"}:{"lastUpdateTimestamp":0,"maxOffset":3,"minOffset":0}"#
        ),
        "{text}"
    );
    assert_code(
        &call(&c, addr, topic_stats("Nope")).await,
        ResponseCode::TOPIC_NOT_EXIST,
    );

    // Subscription groups: create, list; a body that is not a config is refused.
    let group = br#"{"groupName":"Billing","consumeEnable":true,"retryMaxTimes":5}"#;
    let create = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
        .with_body(Bytes::from_static(group));
    assert_code(&call(&c, addr, create).await, ResponseCode::SUCCESS);
    let bad = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_SUBSCRIPTIONGROUP)
        .with_body(Bytes::from_static(b"[1,2"));
    assert_code(&call(&c, addr, bad).await, ResponseCode::SYSTEM_ERROR);
    let groups = call(
        &c,
        addr,
        RemotingCommand::request(RequestCode::GET_ALL_SUBSCRIPTIONGROUP_CONFIG),
    )
    .await;
    assert_code(&groups, ResponseCode::SUCCESS);
    let json: serde_json::Value = serde_json::from_slice(&groups.body).expect("groups JSON");
    assert_eq!(
        json["subscriptionGroupTable"]["Billing"]["retryMaxTimes"],
        5
    );

    // DELETE_TOPIC_IN_BROKER: the config and the group's offsets go; TBW102 is refused.
    let delete = |topic: &str| {
        RemotingCommand::request(RequestCode::DELETE_TOPIC_IN_BROKER).with_header(&TopicHeader {
            topic: topic.into(),
        })
    };
    assert_code(
        &call(&c, addr, delete("Orders")).await,
        ResponseCode::SUCCESS,
    );
    assert!(broker.topics().get("Orders").is_none());
    assert_code(
        &call(&c, addr, topic_stats("Orders")).await,
        ResponseCode::TOPIC_NOT_EXIST,
    );
    assert_code(
        &call(&c, addr, delete("TBW102")).await,
        ResponseCode::SYSTEM_ERROR,
    );
    broker.shutdown().await.expect("clean shutdown");
}

#[test]
fn admin_in_simulation() {
    on_sim(7, |world| async move {
        let node = world.add_client_node("broker", support::sim_ip(2));
        world
            .run_on(node, |env| {
                admin(env, sim_addr(2, 10911), PathBuf::from("data"))
            })
            .await
            .expect("node stays up");
    });
}

#[test]
fn admin_for_real() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    on_real(|env| admin(env, loopback_any(), root));
}
