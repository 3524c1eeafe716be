//! The producer against a real name server and broker, the same bodies in simulation and over
//! loopback: sync, oneway, batch, ordered and compressed sends, each pulled back with raw
//! PULL_MESSAGE frames and checked byte for byte; the TBW102 fallback; typed errors for an
//! unknown topic with auto-create off; and (simulation) a broker killed under a two-broker
//! topic, the sends going on through the other one.

mod broker_common;
mod namesrv_common;
mod support;

use broker_common::*;
use bytes::Bytes;
use flate2::read::ZlibDecoder;
use rocketsim::broker::BrokerConfig;
use rocketsim::client::{InvalidMessage, Message, Producer, ProducerConfig, SendError, SendStatus};
use rocketsim::env::{Clock, Env};
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::body::MessageQueue;
use rocketsim::protocol::message_id::{start_of_month_utc_ms, UniqKey};
use rocketsim::protocol::record::MessageRecord;
use rocketsim::protocol::ResponseCode;
use rocketsim::remoting::Client;
use rocketsim_sim::{SimConfig, World};
use std::collections::BTreeMap;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use support::{on_real_pair, on_sim, on_sim_pair, sim_addr, sim_ip};

/// Waits until the name server routes `topic` over `brokers` broker groups.
async fn await_route<E: Env>(env: &E, ns: SocketAddr, topic: &str, brokers: usize) {
    let probe = namesrv_common::client(env);
    for _ in 0..200 {
        if let Ok(route) = namesrv_common::route(&probe, ns, topic).await {
            if route.queue_datas.len() == brokers {
                return;
            }
        }
        env.sleep(Duration::from_millis(50)).await;
    }
    panic!("no route for {topic} over {brokers} brokers");
}

/// Every record of `topic` on `addr`, keyed by UNIQ_KEY, once there are `expected`.
async fn pull_all<E: Env>(
    env: &E,
    c: &Client<E>,
    addr: SocketAddr,
    topic: &'static str,
    expected: usize,
) -> BTreeMap<String, MessageRecord> {
    let mut all = BTreeMap::new();
    for _ in 0..200 {
        all.clear();
        for queue_id in 0..4 {
            let (_, _, records) = pull(c, addr, &Pull::new(topic, queue_id, 0)).await;
            for record in records {
                let key = record.properties.uniq_key().expect("UNIQ_KEY").to_string();
                all.insert(key, record);
            }
        }
        if all.len() >= expected {
            assert_eq!(all.len(), expected);
            return all;
        }
        env.sleep(Duration::from_millis(50)).await;
    }
    panic!("only {} of {expected} messages arrived", all.len());
}

fn inflate(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    ZlibDecoder::new(body).read_to_end(&mut out).expect("zlib");
    out
}

async fn start_namesrv<E: Env>(env: E, bind: SocketAddr, root: &Path) -> Namesrv<E> {
    let listener = env.bind(bind).await.expect("bind namesrv");
    Namesrv::start(env, listener, namesrv_common::config_in(root))
        .await
        .expect("namesrv")
}

fn producer_config(ns: SocketAddr, ip: std::net::IpAddr) -> ProducerConfig {
    ProducerConfig::new("PG", vec![ns], ip)
}

async fn producing<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
) {
    let ns = start_namesrv(ns_env, ns_bind, &root).await;
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
        &call(&c, addr, create_topic("TopicP", 4)).await,
        ResponseCode::SUCCESS,
    );
    await_route(&env, ns.local_addr(), "TopicP", 1).await;

    let producer = Producer::new(env.clone(), producer_config(ns.local_addr(), bind.ip()));
    let stopped = producer.send(Message::new("TopicP", "x")).await;
    assert!(matches!(stopped, Err(SendError::NotRunning)), "{stopped:?}");
    producer.start();

    let sync_msg = Message::new("TopicP", "sync-body")
        .with_tags("TagA")
        .expect("tags")
        .with_keys("k1 k2")
        .expect("keys");
    let sync_msg = Message {
        flag: 7,
        ..sync_msg
    };
    let sent_at_ms = env.now_millis();
    let sync = producer.send(sync_msg).await.expect("sync send");
    let received_at_ms = env.now_millis();
    assert_eq!(sync.status, SendStatus::SendOk);
    assert_eq!(sync.msg_id.len(), 32);
    assert_eq!(sync.offset_msg_id.len(), 32);
    assert_eq!(sync.queue.topic, "TopicP");
    assert_eq!(sync.queue.broker_name, "broker-a");

    producer
        .send_oneway(Message::new("TopicP", "oneway-body"))
        .await
        .expect("oneway");

    let batch = producer
        .send_batch(
            ["b0", "b1", "b2"]
                .iter()
                .map(|b| Message::new("TopicP", Bytes::from_static(b.as_bytes())))
                .collect(),
        )
        .await
        .expect("batch");
    let batch_ids: Vec<String> = batch.msg_id.split(',').map(str::to_string).collect();
    assert_eq!(batch_ids.len(), 3);
    assert_eq!(batch.offset_msg_id.split(',').count(), 3);

    let mut ordered = Vec::new();
    for i in 0..3 {
        let m = Message::new("TopicP", format!("order-{i}"));
        ordered.push(
            producer
                .send_ordered(m, "order-key")
                .await
                .expect("ordered"),
        );
    }
    assert!(ordered.iter().all(|r| r.queue == ordered[0].queue));
    let offsets: Vec<i64> = ordered.iter().map(|r| r.queue_offset).collect();
    assert_eq!(offsets, [offsets[0], offsets[0] + 1, offsets[0] + 2]);

    let large_body: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let large = producer
        .send(Message::new("TopicP", large_body.clone()))
        .await
        .expect("large send");

    // Pull everything back with raw frames: 1 + 1 + 3 + 3 + 1 messages.
    let records = pull_all(&env, &c, addr, "TopicP", 9).await;
    let r = &records[&sync.msg_id];
    assert_eq!(r.body, Bytes::from_static(b"sync-body"));
    assert_eq!(r.properties.tags(), Some("TagA"));
    assert_eq!(r.properties.keys().collect::<Vec<_>>(), ["k1", "k2"]);
    assert_eq!(
        (r.queue_id, r.queue_offset as i64),
        (sync.queue.queue_id, sync.queue_offset)
    );
    assert_eq!(r.offset_msg_id().to_string(), sync.offset_msg_id);
    assert!(!r.sys_flag.is_compressed());
    let props: Vec<(&str, &str)> = r.properties.iter().collect();
    let expected = [
        ("TAGS", "TagA"),
        ("KEYS", "k1 k2"),
        ("UNIQ_KEY", sync.msg_id.as_str()),
        ("CLUSTER", "DefaultCluster"),
    ];
    assert_eq!(
        props, expected,
        "the producer's properties, then the broker's CLUSTER"
    );
    assert_eq!(r.flag, 7);
    assert!((sent_at_ms..=received_at_ms).contains(&(r.born_timestamp_ms as u64)));
    let key = UniqKey::parse(&sync.msg_id).expect("a UNIQ_KEY");
    assert_eq!(key.client_ip, bind.ip());
    let month = start_of_month_utc_ms(sent_at_ms as i64);
    assert!((sent_at_ms..=received_at_ms).contains(&(key.timestamp_ms(month) as u64)));
    assert!(records
        .values()
        .any(|r| r.body == Bytes::from_static(b"oneway-body")));
    for (i, id) in batch_ids.iter().enumerate() {
        assert_eq!(records[id].body, Bytes::from(format!("b{i}")));
        assert_eq!(records[id].queue_id, batch.queue.queue_id);
    }
    for (i, sent) in ordered.iter().enumerate() {
        assert_eq!(
            records[&sent.msg_id].body,
            Bytes::from(format!("order-{i}"))
        );
    }
    let r = &records[&large.msg_id];
    assert!(r.sys_flag.is_compressed());
    assert!(r.body.len() < large_body.len());
    assert_eq!(inflate(&r.body), large_body);

    // A topic with no route goes through TBW102 and is auto-created by the broker.
    let auto = producer
        .send(Message::new("AutoP", "auto"))
        .await
        .expect("auto-created");
    assert_eq!(auto.status, SendStatus::SendOk);
    assert!(broker.topics().get("AutoP").is_some());

    producer.shutdown();
    let after = producer.send(Message::new("TopicP", "late")).await;
    assert!(matches!(after, Err(SendError::NotRunning)), "{after:?}");
    broker.shutdown().await.expect("clean shutdown");
    ns.shutdown();
}

/// With auto-create off: no route (TBW102 is not registered) and, sent to a known broker's
/// queue directly, the broker's TOPIC_NOT_EXIST as a typed error.
async fn unknown_topic<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
) {
    let ns = start_namesrv(ns_env, ns_bind, &root).await;
    let mut cfg = config(
        &root.join("broker"),
        bind.ip(),
        bind.port(),
        Some(ns.local_addr()),
    );
    cfg.auto_create_topic_enable = false;
    let broker = start(&env, bind, cfg).await;
    let c = client(&env);
    assert_code(
        &call(&c, broker.local_addr(), create_topic("Known", 1)).await,
        ResponseCode::SUCCESS,
    );
    await_route(&env, ns.local_addr(), "Known", 1).await;
    let producer = Producer::new(env.clone(), producer_config(ns.local_addr(), bind.ip()));
    producer.start();
    let none = producer.send(Message::new("Nowhere", "x")).await;
    assert!(
        matches!(&none, Err(SendError::NoRoute { topic }) if topic == "Nowhere"),
        "{none:?}"
    );
    producer
        .send(Message::new("Known", "x"))
        .await
        .expect("known topic");
    // Refused before anything is sent.
    for (message, reason) in [
        (Message::new("bad topic", "x"), InvalidMessage::BadTopic),
        (Message::new("TBW102", "x"), InvalidMessage::BadTopic),
        (Message::new("Known", ""), InvalidMessage::EmptyBody),
    ] {
        let refused = producer.send(message).await;
        assert!(
            matches!(&refused, Err(SendError::Invalid { reason: r }) if *r == reason),
            "{refused:?}"
        );
    }
    let big: Vec<Message> = (0..5)
        .map(|_| Message::new("Known", vec![1u8; 1024 * 1024]))
        .collect();
    let refused = producer.send_batch(big).await;
    assert!(
        matches!(
            &refused,
            Err(SendError::Invalid {
                reason: InvalidMessage::TooLarge { .. }
            })
        ),
        "a 5 MiB batch is over the 4 MiB limit"
    );
    let queue = MessageQueue {
        broker_name: "broker-a".into(),
        queue_id: 0,
        topic: "Nowhere".into(),
    };
    let refused = producer
        .send_to_queue(Message::new("Nowhere", "x"), &queue)
        .await;
    match refused {
        Err(SendError::Broker { code, remark }) => {
            assert_eq!(code, ResponseCode::TOPIC_NOT_EXIST);
            assert!(remark.is_some());
        }
        other => panic!("expected TOPIC_NOT_EXIST, got {other:?}"),
    }
    producer.shutdown();
    broker.shutdown().await.expect("clean shutdown");
    ns.shutdown();
}

#[test]
fn producer_in_simulation() {
    for seed in 1..3 {
        on_sim_pair(seed, producing);
    }
}

#[test]
fn producer_for_real() {
    on_real_pair(producing);
}

#[test]
fn unknown_topic_in_simulation() {
    on_sim_pair(7, unknown_topic);
}

#[test]
fn unknown_topic_for_real() {
    on_real_pair(unknown_topic);
}

fn named(root: &Path, name: &str, bind: SocketAddr, ns: SocketAddr) -> BrokerConfig {
    let mut cfg = config(&root.join(name), bind.ip(), bind.port(), Some(ns));
    cfg.broker_name = name.into();
    cfg
}

/// Two brokers serve TopicK; broker-a is killed; every later send succeeds on broker-b.
async fn broker_killed(world: World, latency_fault: bool) {
    let ns_node = world.add_client_node("namesrv", sim_ip(1));
    let a_node = world.add_client_node("broker-a", sim_ip(2));
    let b_node = world.add_client_node("broker-b", sim_ip(3));
    let client_node = world.add_client_node("client", sim_ip(4));
    let (ns_env, a_env, b_env) = (world.env(ns_node), world.env(a_node), world.env(b_node));
    let killer = world.clone();
    world
        .run_on(client_node, move |env| async move {
            let root = PathBuf::from("data");
            let ns = start_namesrv(ns_env, sim_addr(1, 9876), &root).await;
            let ns_addr = ns.local_addr();
            let a = start(
                &a_env,
                sim_addr(2, 10911),
                named(&root, "broker-a", sim_addr(2, 10911), ns_addr),
            )
            .await;
            let b = start(
                &b_env,
                sim_addr(3, 10911),
                named(&root, "broker-b", sim_addr(3, 10911), ns_addr),
            )
            .await;
            let c = client(&env);
            for broker in [a.local_addr(), b.local_addr()] {
                assert_code(
                    &call(&c, broker, create_topic("TopicK", 2)).await,
                    ResponseCode::SUCCESS,
                );
            }
            await_route(&env, ns_addr, "TopicK", 2).await;
            let mut cfg = producer_config(ns_addr, sim_ip(4));
            cfg.send_latency_fault_enable = latency_fault;
            let producer = Producer::new(env.clone(), cfg);
            producer.start();
            let mut brokers = std::collections::BTreeSet::new();
            for i in 0..8 {
                let sent = producer
                    .send(Message::new("TopicK", format!("before-{i}")))
                    .await;
                brokers.insert(sent.expect("send before the kill").queue.broker_name);
            }
            assert_eq!(brokers.len(), 2, "round robin reaches both brokers");
            killer.kill(a_node);
            let before = producer.broker_available("broker-a");
            assert!(before, "nothing has failed on broker-a yet");
            for i in 0..20 {
                let sent = producer
                    .send(Message::new("TopicK", format!("after-{i}")))
                    .await;
                let sent = sent.unwrap_or_else(|e| panic!("send {i} after the kill: {e}"));
                assert_eq!(sent.queue.broker_name, "broker-b");
            }
            // With the strategy on, the failed broker is isolated for 600 s; without it,
            // nothing is remembered and each send's retry does the avoiding.
            assert_eq!(producer.broker_available("broker-a"), !latency_fault);
            producer.shutdown();
            drop(a);
            b.shutdown().await.expect("clean shutdown");
            ns.shutdown();
        })
        .await
        .expect("client node stays up");
}

#[test]
fn broker_killed_sends_retry_on_the_other_broker() {
    for seed in 1..3 {
        on_sim(seed, |world| broker_killed(world, false));
    }
}

#[test]
fn broker_killed_latency_fault_strategy_avoids_it() {
    for seed in 1..3 {
        on_sim(seed, |world| broker_killed(world, true));
    }
}

/// Routes are refreshed every 30 s (a topic that gains a broker is seen without any send
/// failing), and a name server that does not answer is skipped for the next in the list.
#[test]
fn routes_refresh_and_dead_name_servers_are_skipped() {
    on_sim(5, |world| async move {
        let ns_node = world.add_client_node("namesrv", sim_ip(1));
        let a_node = world.add_client_node("broker-a", sim_ip(2));
        let b_node = world.add_client_node("broker-b", sim_ip(3));
        let client_node = world.add_client_node("client", sim_ip(4));
        let (ns_env, a_env, b_env) = (world.env(ns_node), world.env(a_node), world.env(b_node));
        world
            .run_on(client_node, move |env| async move {
                let root = PathBuf::from("data");
                let ns = start_namesrv(ns_env, sim_addr(1, 9876), &root).await;
                let ns_addr = ns.local_addr();
                let a_cfg = named(&root, "broker-a", sim_addr(2, 10911), ns_addr);
                let a = start(&a_env, sim_addr(2, 10911), a_cfg).await;
                let b_cfg = named(&root, "broker-b", sim_addr(3, 10911), ns_addr);
                let b = start(&b_env, sim_addr(3, 10911), b_cfg).await;
                let c = client(&env);
                let topic = create_topic("TopicR", 2);
                assert_code(
                    &call(&c, a.local_addr(), topic).await,
                    ResponseCode::SUCCESS,
                );
                await_route(&env, ns_addr, "TopicR", 1).await;
                // Nothing listens on port 9999 of the name server's host.
                let dead = sim_addr(1, 9999);
                let cfg = ProducerConfig::new("PG", vec![dead, ns_addr], sim_ip(4));
                let producer = Producer::new(env.clone(), cfg);
                producer.start();
                let sent = producer.send(Message::new("TopicR", "one")).await;
                assert_eq!(
                    sent.expect("via the second name server").queue.broker_name,
                    "broker-a"
                );
                let topic = create_topic("TopicR", 2);
                assert_code(
                    &call(&c, b.local_addr(), topic).await,
                    ResponseCode::SUCCESS,
                );
                await_route(&env, ns_addr, "TopicR", 2).await;
                let route = producer.route("TopicR").await.expect("cached");
                assert_eq!(route.queues.len(), 2, "not refreshed before 30 s");
                env.sleep(Duration::from_secs(31)).await;
                let route = producer.route("TopicR").await.expect("cached");
                let brokers: Vec<&str> = route.broker_addrs.keys().map(String::as_str).collect();
                assert_eq!(brokers, ["broker-a", "broker-b"]);
                assert_eq!(route.queues.len(), 4);
                producer.shutdown();
                a.shutdown().await.expect("clean shutdown");
                b.shutdown().await.expect("clean shutdown");
                ns.shutdown();
            })
            .await
            .expect("client node stays up");
    });
}

/// The same seed twice gives the same run, event for event (the producer draws all its
/// randomness from the env and reads no ambient clock).
#[test]
fn broker_killed_is_deterministic() {
    let run = || rocketsim_sim::run(SimConfig::new(11), |world| broker_killed(world, true));
    let (first, second) = (run(), run());
    assert!(first.output.is_ok(), "{:?}", first.output.err());
    assert_eq!(
        (first.trace_hash, first.events),
        (second.trace_hash, second.events)
    );
}
