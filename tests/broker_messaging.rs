//! The broker driven with raw frames, the same bodies in simulation and over loopback: topics,
//! sends (V1, V2, batch, auto-create), pulls (found, filtered, not found, offset moved, long
//! polling), offsets, heartbeats with NOTIFY_CONSUMER_IDS_CHANGED, locks, lookups by key,
//! unique key and id; then bad input, each refused with a typed code and a remark, nothing
//! stored, and the broker still serving.

mod broker_common;
mod namesrv_common;
mod support;

use broker_common::*;
use bytes::Bytes;
use rocketsim::broker::Broker;
use rocketsim::env::Env;
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::body::{
    ConsumerListBody, LockBatchBody, LockBatchResponseBody, MessageQueue,
};
use rocketsim::protocol::header::{
    ConsumerGroupHeader, GetMaxOffsetHeader, OffsetResponseHeader, QueryConsumerOffsetHeader,
    QueryMessageHeader, UpdateConsumerOffsetHeader, ViewMessageHeader, UNIQUE_KEY_QUERY,
};
use rocketsim::protocol::heartbeat::HeartbeatData;
use rocketsim::protocol::message_id::OffsetMsgId;
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig, RequestContext};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use support::{loopback_any, on_real, on_sim, sim_addr, sim_ip};

/// How long an idle long poll is held in each world (15 s is free in simulation).
struct Holds {
    idle_ms: i64,
    assert_timing: bool,
}

async fn messaging<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
    holds: Holds,
) {
    let ns_listener = ns_env.bind(ns_bind).await.expect("bind namesrv");
    let ns = Namesrv::start(ns_env, ns_listener, namesrv_common::config_in(&root))
        .await
        .expect("namesrv");
    let cfg = config(
        &root.join("broker"),
        bind.ip(),
        bind.port(),
        Some(ns.local_addr()),
    );
    let broker = start(&env, bind, cfg).await;
    let addr = broker.local_addr();
    let c = client(&env);

    assert_code(
        &call(&c, addr, create_topic("TopicA", 4)).await,
        ResponseCode::SUCCESS,
    );
    // The topic reaches the name server (topic sync registers at once).
    let probe = namesrv_common::client(&env);
    for _ in 0..100 {
        if namesrv_common::route(&probe, ns.local_addr(), "TopicA")
            .await
            .is_ok()
        {
            break;
        }
        env.sleep(Duration::from_millis(50)).await;
    }
    assert!(namesrv_common::route(&probe, ns.local_addr(), "TopicA")
        .await
        .is_ok());

    // Sends: V1, V2, batch.
    let p = props(&[
        ("TAGS", "TagA"),
        ("KEYS", "k1 k2"),
        ("UNIQ_KEY", "U1"),
        ("WAIT", "true"),
    ]);
    let first =
        send_answer(&call(&c, addr, send_v1(&send_header("TopicA", 0, &p), b"hello")).await);
    assert_eq!((first.queue_id, first.queue_offset), (0, 0));
    assert_eq!(first.msg_region.as_deref(), Some("DefaultRegion"));
    let p = props(&[("TAGS", "TagB"), ("UNIQ_KEY", "U2")]);
    let second =
        send_answer(&call(&c, addr, send_v2(send_header("TopicA", 0, &p), b"world")).await);
    assert_eq!(second.queue_offset, 1);
    let batch = send_answer(&call(&c, addr, send_batch("TopicA", 1, &["a", "b", "c"])).await);
    assert_eq!(batch.msg_id.split(',').count(), 3);
    assert_eq!((batch.queue_id, batch.queue_offset), (1, 0));
    // Negative queue id: the broker picks. Auto-create from TBW102.
    let auto = send_answer(
        &call(
            &c,
            addr,
            send_v1(&send_header("AutoTopic", -1, &Properties::new()), b"x"),
        )
        .await,
    );
    assert!((0..4).contains(&auto.queue_id));
    assert_eq!(
        broker
            .topics()
            .get("AutoTopic")
            .expect("created")
            .write_queue_nums,
        4
    );

    // Pulls. Dispatch to the consume queue is asynchronous: the first pull long-polls.
    let mut first_pull = Pull::new("TopicA", 0, 0);
    first_pull.suspend_ms = Some(5_000);
    pull(&c, addr, &first_pull).await;
    let mut first_pull = Pull::new("TopicA", 0, 1);
    first_pull.suspend_ms = Some(5_000);
    pull(&c, addr, &first_pull).await;
    let (code, h, records) = pull(&c, addr, &Pull::new("TopicA", 0, 0)).await;
    assert_eq!(
        (code, h.next_begin_offset, records.len()),
        (ResponseCode::SUCCESS, 2, 2)
    );
    assert_eq!(records[0].body, Bytes::from_static(b"hello"));
    assert_eq!(records[0].properties.uniq_key(), Some("U1"));
    assert_eq!(records[0].born_host.ip(), bind.ip());
    assert_eq!(records[0].store_host, addr);
    let mut tagged = Pull::new("TopicA", 0, 0);
    tagged.subscription = "TagB || TagC";
    let (code, _, records) = pull(&c, addr, &tagged).await;
    assert_eq!((code, records.len()), (ResponseCode::SUCCESS, 1));
    assert_eq!(records[0].queue_offset, 1);
    let (code, h, _) = pull(&c, addr, &Pull::new("TopicA", 0, 2)).await;
    assert_eq!(
        (code, h.next_begin_offset, h.max_offset),
        (ResponseCode::PULL_NOT_FOUND, 2, 2)
    );
    let (code, h, _) = pull(&c, addr, &Pull::new("TopicA", 0, 10)).await;
    assert_eq!(
        (code, h.next_begin_offset),
        (ResponseCode::PULL_OFFSET_MOVED, 0)
    );
    let (code, _, _) = pull(&c, addr, &Pull::new("TopicA", 3, 0)).await;
    assert_eq!(code, ResponseCode::PULL_NOT_FOUND);
    let (code, _, _) = pull(&c, addr, &Pull::new("TopicA", 3, 5)).await;
    assert_eq!(code, ResponseCode::PULL_OFFSET_MOVED);

    long_polls(&env, &c, addr, &holds).await;
    offsets(&c, addr).await;
    clients_and_locks(&env, &c, addr).await;
    lookups(&c, addr, &first.msg_id).await;
    broker.shutdown().await.expect("clean shutdown");
    ns.shutdown();
}

async fn long_polls<E: Env>(env: &E, c: &Client<E>, addr: SocketAddr, holds: &Holds) {
    // A held pull is answered as soon as a message for its queue arrives.
    let mut held = Pull::new("TopicA", 2, 0);
    held.suspend_ms = Some(15_000);
    let (tx, rx) = tokio::sync::oneshot::channel();
    let (c2, started) = (c.clone(), env.now());
    let request = held.request();
    drop(env.spawn("held-pull", async move {
        let response = call(&c2, addr, request).await;
        let _ = tx.send(response);
    }));
    env.sleep(Duration::from_millis(300)).await;
    send_answer(
        &call(
            c,
            addr,
            send_v1(&send_header("TopicA", 2, &Properties::new()), b"late"),
        )
        .await,
    );
    let response = rx.await.expect("held pull answered");
    let waited = env.now() - started;
    assert_code(&response, ResponseCode::SUCCESS);
    if holds.assert_timing {
        assert!(waited < Duration::from_secs(2), "answered after {waited:?}");
    }
    // An idle one is answered PULL_NOT_FOUND when its hold ends.
    let mut idle = Pull::new("TopicA", 3, 0);
    idle.suspend_ms = Some(holds.idle_ms);
    let started = env.now();
    let (code, _, _) = pull(c, addr, &idle).await;
    let waited = env.now() - started;
    assert_eq!(code, ResponseCode::PULL_NOT_FOUND);
    let hold = Duration::from_millis(holds.idle_ms as u64);
    assert!(
        waited >= hold - Duration::from_millis(50),
        "answered after {waited:?}"
    );
    if holds.assert_timing {
        assert!(
            waited < hold + Duration::from_secs(6),
            "answered after {waited:?}"
        );
    }
}

fn offset_of(response: &RemotingCommand) -> i64 {
    assert_code(response, ResponseCode::SUCCESS);
    response
        .header::<OffsetResponseHeader>()
        .expect("offset")
        .offset
}

fn query_offset(group: &str, queue_id: i32) -> RemotingCommand {
    RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(
        &QueryConsumerOffsetHeader {
            consumer_group: group.into(),
            topic: "TopicA".into(),
            queue_id,
            set_zero_if_not_found: None,
        },
    )
}

async fn offsets<E: Env>(c: &Client<E>, addr: SocketAddr) {
    // (Each query above is a round trip, so the loop waits without sleeping.)
    let update = RemotingCommand::oneway(RequestCode::UPDATE_CONSUMER_OFFSET).with_header(
        &UpdateConsumerOffsetHeader {
            consumer_group: "CG".into(),
            topic: "TopicA".into(),
            queue_id: 0,
            commit_offset: 2,
        },
    );
    c.invoke_oneway(addr, update).await.expect("oneway");
    // A brand-new group on a queue that starts at 0 is told 0.
    assert_eq!(offset_of(&call(c, addr, query_offset("Fresh", 0)).await), 0);
    // A oneway has no answer to wait for: give it a moment to land.
    for _ in 0..50 {
        if offset_of(&call(c, addr, query_offset("CG", 0)).await) == 2 {
            break;
        }
    }
    assert_eq!(offset_of(&call(c, addr, query_offset("CG", 0)).await), 2);
    // Piggy-backed on a pull.
    let mut pulling = Pull::new("TopicA", 1, 0);
    pulling.commit_offset = Some(1);
    pull(c, addr, &pulling).await;
    assert_eq!(offset_of(&call(c, addr, query_offset("CG", 1)).await), 1);
    let max =
        RemotingCommand::request(RequestCode::GET_MAX_OFFSET).with_header(&GetMaxOffsetHeader {
            topic: "TopicA".into(),
            queue_id: 1,
            committed: None,
        });
    assert_eq!(offset_of(&call(c, addr, max).await), 3);
    let all = call(
        c,
        addr,
        RemotingCommand::request(RequestCode::GET_ALL_CONSUMER_OFFSET),
    )
    .await;
    assert_code(&all, ResponseCode::SUCCESS);
    assert!(String::from_utf8_lossy(&all.body).contains(r#""TopicA@CG":{0:2,1:1}"#));
}

fn heartbeat(client_id: &str) -> RemotingCommand {
    let json = format!(
        r#"{{"clientID":"{client_id}","consumerDataSet":[{{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY","groupName":"CG","messageModel":"CLUSTERING","subscriptionDataSet":[{{"subString":"*","subVersion":1,"topic":"TopicA"}}],"unitMode":false}}],"producerDataSet":[]}}"#
    );
    let _: HeartbeatData = serde_json::from_str(&json).expect("valid heartbeat");
    RemotingCommand::request(RequestCode::HEART_BEAT).with_body(Bytes::from(json))
}

async fn clients_and_locks<E: Env>(env: &E, c: &Client<E>, addr: SocketAddr) {
    // Consumer 1 listens for NOTIFY_CONSUMER_IDS_CHANGED on its own connection.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let dispatcher = Dispatcher::new().register(
        RequestCode::NOTIFY_CONSUMER_IDS_CHANGED,
        move |_ctx: RequestContext, request: RemotingCommand| {
            let group = request
                .header::<ConsumerGroupHeader>()
                .map(|h| h.consumer_group);
            let _ = tx.send(group.unwrap_or_default());
            async { RemotingCommand::response(ResponseCode::SUCCESS, None) }
        },
    );
    let c1 = Client::new(env.clone(), dispatcher, RemotingConfig::default());
    assert_code(
        &call(&c1, addr, heartbeat("10.0.0.9@c1")).await,
        ResponseCode::SUCCESS,
    );
    while rx.try_recv().is_ok() {}
    assert_code(
        &call(c, addr, heartbeat("10.0.0.9@c2")).await,
        ResponseCode::SUCCESS,
    );
    let notified = env.timeout(Duration::from_secs(3), rx.recv()).await;
    assert_eq!(notified.ok().flatten().as_deref(), Some("CG"));
    let list = call(
        c,
        addr,
        RemotingCommand::request(RequestCode::GET_CONSUMER_LIST_BY_GROUP).with_header(
            &ConsumerGroupHeader {
                consumer_group: "CG".into(),
            },
        ),
    )
    .await;
    let ids = ConsumerListBody::decode(&list.body)
        .expect("list")
        .consumer_id_list;
    assert_eq!(ids, vec!["10.0.0.9@c1", "10.0.0.9@c2"]);
    // Without the subscription flag, the pull filters with the heartbeat's subscription.
    let mut plain = Pull::new("TopicA", 0, 0).request();
    plain.ext_fields.insert("sysFlag", "0");
    assert_code(&call(c, addr, plain).await, ResponseCode::SUCCESS);

    let mq = |q| MessageQueue {
        broker_name: "broker-a".into(),
        queue_id: q,
        topic: "TopicA".into(),
    };
    let lock = |client: &str, code, qs: &[i32]| {
        let body = LockBatchBody {
            client_id: client.into(),
            consumer_group: "CG".into(),
            mq_set: qs.iter().map(|&q| mq(q)).collect(),
            only_this_broker: false,
        };
        RemotingCommand::request(code).with_body(Bytes::from(body.encode()))
    };
    let locked = |r: &RemotingCommand| {
        LockBatchResponseBody::decode(&r.body)
            .expect("lock body")
            .lock_ok_mq_set
    };
    let r = call(c, addr, lock("c1", RequestCode::LOCK_BATCH_MQ, &[0, 1])).await;
    assert_eq!(locked(&r).len(), 2);
    let r = call(c, addr, lock("c2", RequestCode::LOCK_BATCH_MQ, &[1])).await;
    assert!(locked(&r).is_empty());
    assert_code(
        &call(c, addr, lock("c1", RequestCode::UNLOCK_BATCH_MQ, &[1])).await,
        ResponseCode::SUCCESS,
    );
    let r = call(c, addr, lock("c2", RequestCode::LOCK_BATCH_MQ, &[1])).await;
    assert_eq!(locked(&r).into_iter().collect::<Vec<_>>(), vec![mq(1)]);
}

async fn lookups<E: Env>(c: &Client<E>, addr: SocketAddr, msg_id: &str) {
    let id = OffsetMsgId::parse(msg_id).expect("offset msgId");
    assert_eq!(id.store_host, addr);
    let view =
        RemotingCommand::request(RequestCode::VIEW_MESSAGE_BY_ID).with_header(&ViewMessageHeader {
            offset: id.physical_offset as i64,
            topic: None,
        });
    let viewed = call(c, addr, view).await;
    assert_code(&viewed, ResponseCode::SUCCESS);
    let records =
        rocketsim::protocol::record::decode_all(&viewed.body, &Default::default()).expect("record");
    assert_eq!(records[0].body, Bytes::from_static(b"hello"));
    let query = |key: &str| {
        RemotingCommand::request(RequestCode::QUERY_MESSAGE).with_header(&QueryMessageHeader {
            topic: "TopicA".into(),
            key: key.into(),
            max_num: 32,
            begin_timestamp_ms: 0,
            end_timestamp_ms: i64::MAX,
        })
    };
    let by_key = call(c, addr, query("k2")).await;
    assert_code(&by_key, ResponseCode::SUCCESS);
    let by_uniq = call(
        c,
        addr,
        query("U2").with_ext_field(UNIQUE_KEY_QUERY, "true"),
    )
    .await;
    assert_code(&by_uniq, ResponseCode::SUCCESS);
    let found = rocketsim::protocol::record::decode_all(&by_uniq.body, &Default::default())
        .expect("records");
    assert_eq!(found[0].body, Bytes::from_static(b"world"));
    assert_code(
        &call(c, addr, query("nope")).await,
        ResponseCode::QUERY_NOT_FOUND,
    );
}

#[test]
fn messaging_in_simulation() {
    for seed in 1..3 {
        on_sim(seed, |world| async move {
            let ns = world.add_client_node("namesrv", sim_ip(1));
            let node = world.add_client_node("broker", sim_ip(2));
            let ns_env = world.env(ns);
            world
                .run_on(node, move |env| {
                    let holds = Holds {
                        idle_ms: 15_000,
                        assert_timing: true,
                    };
                    messaging(
                        env,
                        ns_env,
                        sim_addr(1, 9876),
                        sim_addr(2, 10911),
                        PathBuf::from("data"),
                        holds,
                    )
                })
                .await
                .expect("node stays up");
        });
    }
}

#[test]
fn messaging_for_real() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    on_real(|env| {
        let holds = Holds {
            idle_ms: 1_000,
            assert_timing: false,
        };
        messaging(
            env.clone(),
            env,
            loopback_any(),
            loopback_any(),
            root,
            holds,
        )
    });
}

#[allow(dead_code, reason = "keeps Broker in scope for the type of start()")]
fn _types<E: Env>(_: Broker<E>) {}
