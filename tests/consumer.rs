//! The consumers against a real name server and broker, in simulation (virtual time) and,
//! where cheap, over loopback: a clustering group splits the queues and receives every message
//! once; members joining and leaving move queues (NOTIFY_CONSUMER_IDS_CHANGED); committed
//! offsets reach the broker and a restarted group resumes from them; consume-from
//! first/last/timestamp; broadcasting with the local offset file surviving a restart; orderly
//! consumption keeps per-queue order and holds the broker locks; flow control stops pulling at
//! the threshold; the lite pull consumer (subscribe, assign, seek, commit); tag filtering.

mod broker_common;
mod consumer_common;
mod namesrv_common;
mod support;

use consumer_common::*;
use rocketsim::client::{
    ConsumeFromWhere, ConsumeStatus, ConsumerError, Listener, LitePullConsumer, Message,
    MessageModel, PushConsumer,
};
use rocketsim::env::Env;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{on_real_pair, on_sim_pair, sim_addr, sim_ip};

const LONG: Duration = Duration::from_secs(60);

fn disjoint_cover(parts: &[Vec<rocketsim::protocol::body::MessageQueue>], total: usize) -> bool {
    let mut all = BTreeSet::new();
    let mut count = 0;
    for p in parts {
        count += p.len();
        all.extend(p.iter().cloned());
    }
    count == total && all.len() == total
}

/// Two members split 8 queues 4/4 and get 200 messages once; a third joins (3/3/2) and
/// leaves (4/4 again); offsets reach the broker; a restarted group re-delivers nothing.
async fn clustering<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
) {
    let cluster = Cluster::start(&env, ns_env, ns_bind, bind, &root).await;
    cluster.topic(&env, "TopicC", 8).await;
    let ns = cluster.ns_addr();
    let log = Log::default();
    let mut members = Vec::new();
    for name in ["c1", "c2"] {
        let mut config = consumer_config(ns, "GC", name, &root);
        config.consume_from = ConsumeFromWhere::FirstOffset;
        let consumer = PushConsumer::new(env.clone(), config, log.listener());
        consumer.subscribe("TopicC", "*").expect("subscribe");
        consumer.start().expect("start");
        members.push(consumer);
    }
    assert!(matches!(
        members[0].start(),
        Err(ConsumerError::AlreadyStarted)
    ));
    wait_until(&env, "4/4 split", LONG, || {
        members.iter().all(|m| m.assigned().len() == 4)
    })
    .await;
    let parts: Vec<_> = members.iter().map(PushConsumer::assigned).collect();
    assert!(disjoint_cover(&parts, 8), "{parts:?}");

    let producer = producer(&env, ns, "PG");
    let sent = send_n(&producer, "TopicC", "m", 200).await;
    wait_until(&env, "200 received", LONG, || log.len() >= 200).await;
    env.sleep(Duration::from_millis(500)).await;
    assert_exactly_once(&log.counts(), &sent);

    // A third member joins: the broker notifies, everyone rebalances at once.
    let joined_at = env.now();
    let mut config = consumer_config(ns, "GC", "c3", &root);
    config.consume_from = ConsumeFromWhere::FirstOffset;
    let third = PushConsumer::new(env.clone(), config, log.listener());
    third.subscribe("TopicC", "*").unwrap();
    third.start().unwrap();
    members.push(third);
    wait_until(&env, "3/3/2 split", LONG, || {
        let parts: Vec<_> = members.iter().map(PushConsumer::assigned).collect();
        disjoint_cover(&parts, 8) && parts.iter().all(|p| p.len() >= 2)
    })
    .await;
    assert!(
        env.now() - joined_at < Duration::from_secs(20),
        "within one rebalance period"
    );

    // It leaves: the others take its queues back.
    let left = members.pop().unwrap();
    left.shutdown().await;
    wait_until(&env, "4/4 again", LONG, || {
        members.iter().all(|m| m.assigned().len() == 4)
    })
    .await;

    // Offsets reach the broker (persist timer, 5 s) and equal the queues' ends.
    let more = send_n(&producer, "TopicC", "n", 40).await;
    // Distinct bodies: the join may have re-delivered some, so the raw count can reach 240
    // before the last message arrived.
    wait_until(&env, "240 distinct received", LONG, || {
        log.counts().len() >= 240
    })
    .await;
    for m in &members {
        m.shutdown().await;
    }
    let mut stored_total = 0;
    for q in 0..8 {
        stored_total += cluster
            .stored_offset("GC", &cluster.queue("TopicC", q))
            .await
            .unwrap_or(0);
    }
    assert_eq!(stored_total, 240);
    // Across the join, a moved queue restarts from the last persisted offset, which may lag
    // what its old owner consumed (at-least-once, as in Java): the earlier messages may come
    // twice; the later ones, sent with the group settled, exactly once.
    let counts = log.counts();
    assert!(
        sent.iter().all(|b| counts.contains_key(b)),
        "an early message was lost"
    );
    let later: BTreeMap<String, usize> = (counts.into_iter())
        .filter(|(b, _)| b.starts_with("n-"))
        .collect();
    assert_exactly_once(&later, &more);

    // A restarted group (same ids) resumes where it was: only new messages arrive.
    let again = Log::default();
    let mut config = consumer_config(ns, "GC", "c1", &root);
    config.consume_from = ConsumeFromWhere::FirstOffset;
    let restarted = PushConsumer::new(env.clone(), config, again.listener());
    restarted.subscribe("TopicC", "*").unwrap();
    restarted.start().unwrap();
    wait_until(&env, "restart assigned", LONG, || {
        restarted.assigned().len() == 8
    })
    .await;
    let fresh = send_n(&producer, "TopicC", "r", 16).await;
    wait_until(&env, "16 received", LONG, || again.len() >= 16).await;
    env.sleep(Duration::from_millis(500)).await;
    assert_exactly_once(&again.counts(), &fresh);
    restarted.shutdown().await;
    producer.shutdown();
    cluster.shutdown().await;
}

#[test]
fn clustering_group_in_simulation() {
    on_sim_pair(1, clustering);
}

#[test]
fn clustering_group_for_real() {
    on_real_pair(clustering);
}

/// A new group starts at the beginning, at the end, or at a time, as configured.
async fn consume_from<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
) {
    let cluster = Cluster::start(&env, ns_env, ns_bind, bind, &root).await;
    cluster.topic(&env, "TopicF", 2).await;
    let ns = cluster.ns_addr();
    let producer = producer(&env, ns, "PG");
    let old = send_n(&producer, "TopicF", "old", 10).await;
    env.sleep(Duration::from_secs(2)).await;
    let boundary_ms = env.now_millis() as i64;
    env.sleep(Duration::from_secs(1)).await;
    let mid = send_n(&producer, "TopicF", "mid", 6).await;

    let mut consumers = Vec::new();
    let mut logs = Vec::new();
    for (group, from) in [
        ("GFirst", ConsumeFromWhere::FirstOffset),
        ("GLast", ConsumeFromWhere::LastOffset),
        ("GTime", ConsumeFromWhere::Timestamp(boundary_ms)),
    ] {
        let mut config = consumer_config(ns, group, "c", &root);
        config.consume_from = from;
        let log = Log::default();
        let consumer = PushConsumer::new(env.clone(), config, log.listener());
        consumer.subscribe("TopicF", "*").unwrap();
        consumer.start().unwrap();
        consumers.push(consumer);
        logs.push(log);
    }
    wait_until(&env, "all assigned", LONG, || {
        consumers.iter().all(|c| c.assigned().len() == 2)
    })
    .await;
    env.sleep(Duration::from_secs(1)).await;
    let new = send_n(&producer, "TopicF", "new", 4).await;
    let first: Vec<String> = [old.clone(), mid.clone(), new.clone()].concat();
    let time: Vec<String> = [mid.clone(), new.clone()].concat();
    wait_until(&env, "all delivered", LONG, || {
        logs[0].len() >= first.len() && logs[1].len() >= new.len() && logs[2].len() >= time.len()
    })
    .await;
    env.sleep(Duration::from_millis(500)).await;
    assert_exactly_once(&logs[0].counts(), &first);
    assert_exactly_once(&logs[1].counts(), &new);
    assert_exactly_once(&logs[2].counts(), &time);
    for c in &consumers {
        c.shutdown().await;
    }
    producer.shutdown();
    cluster.shutdown().await;
}

#[test]
fn consume_from_where_in_simulation() {
    on_sim_pair(2, consume_from);
}

/// Each broadcasting consumer gets every message; offsets live in a local file that a
/// restarted consumer (same client id) resumes from.
async fn broadcasting<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
) {
    let cluster = Cluster::start(&env, ns_env, ns_bind, bind, &root).await;
    cluster.topic(&env, "TopicB", 4).await;
    let ns = cluster.ns_addr();
    let start = |name: &str, log: &Log| {
        let mut config = consumer_config(ns, "GB", name, &root);
        config.message_model = MessageModel::Broadcasting;
        config.consume_from = ConsumeFromWhere::FirstOffset;
        config.persist_offset_interval_ms = 1_000;
        let consumer = PushConsumer::new(env.clone(), config, log.listener());
        consumer.subscribe("TopicB", "*").unwrap();
        consumer.start().unwrap();
        consumer
    };
    let (log1, log2) = (Log::default(), Log::default());
    let (b1, b2) = (start("b1", &log1), start("b2", &log2));
    wait_until(&env, "all queues each", LONG, || {
        b1.assigned().len() == 4 && b2.assigned().len() == 4
    })
    .await;
    let producer = producer(&env, ns, "PG");
    let sent = send_n(&producer, "TopicB", "m", 60).await;
    wait_until(&env, "both got all", LONG, || {
        log1.len() >= 60 && log2.len() >= 60
    })
    .await;
    env.sleep(Duration::from_millis(500)).await;
    assert_exactly_once(&log1.counts(), &sent);
    assert_exactly_once(&log2.counts(), &sent);
    b1.shutdown().await;
    b2.shutdown().await;
    assert_eq!(
        cluster
            .stored_offset("GB", &cluster.queue("TopicB", 0))
            .await,
        None
    );

    let later = send_n(&producer, "TopicB", "later", 8).await;
    let log3 = Log::default();
    let b1_again = start("b1", &log3);
    wait_until(&env, "restart got the new ones", LONG, || log3.len() >= 8).await;
    env.sleep(Duration::from_millis(500)).await;
    assert_exactly_once(&log3.counts(), &later);
    b1_again.shutdown().await;
    producer.shutdown();
    cluster.shutdown().await;
}

#[test]
fn broadcasting_in_simulation() {
    on_sim_pair(3, broadcasting);
}

#[test]
fn broadcasting_for_real() {
    on_real_pair(broadcasting);
}

/// Orderly: per-queue offset order even with `Later` answers; the queues are locked at the
/// broker so another member cannot take them; shutdown unlocks them.
async fn orderly<E: Env>(env: E, ns_env: E, ns_bind: SocketAddr, bind: SocketAddr, root: PathBuf) {
    let cluster = Cluster::start(&env, ns_env, ns_bind, bind, &root).await;
    cluster.topic(&env, "TopicO", 4).await;
    let ns = cluster.ns_addr();
    let seen: Arc<Mutex<Vec<(i32, i64, u32)>>> = Arc::default();
    let record = seen.clone();
    let listener: Listener = Arc::new(move |messages| {
        let mut seen = record.lock().unwrap();
        let m = &messages[0];
        seen.push((m.queue.queue_id, m.queue_offset(), m.reconsume_times));
        // Every fifth message is refused once: it must come back before its successors.
        let later = m.queue_offset() % 5 == 0 && m.reconsume_times == 0;
        Box::pin(async move {
            match later {
                true => ConsumeStatus::Later,
                false => ConsumeStatus::Success,
            }
        })
    });
    let mut config = consumer_config(ns, "GO", "o1", &root);
    config.orderly = true;
    config.consume_from = ConsumeFromWhere::FirstOffset;
    let consumer = PushConsumer::new(env.clone(), config, listener);
    consumer.subscribe("TopicO", "*").unwrap();
    consumer.start().unwrap();
    wait_until(&env, "assigned", LONG, || consumer.assigned().len() == 4).await;
    let queues = consumer.assigned();
    let stolen = cluster.try_lock("GO", "10.9.9.9@intruder", &queues).await;
    assert!(
        stolen.is_empty(),
        "locked queues were handed to another client: {stolen:?}"
    );

    let producer = producer(&env, ns, "PG");
    for i in 0..40 {
        let key = format!("order-{}", i % 4);
        let message = Message::new("TopicO", format!("o-{i}").into_bytes());
        producer
            .send_ordered(message, &key)
            .await
            .expect("ordered send");
    }
    wait_until(&env, "40 consumed", LONG, || {
        let seen = seen.lock().unwrap();
        let refused = |(_, o, r): &&(i32, i64, u32)| o % 5 == 0 && *r == 0;
        seen.iter().filter(|m| !refused(m)).count() >= 40
    })
    .await;
    // Per queue, the successful deliveries are in offset order and complete.
    let seen = seen.lock().unwrap().clone();
    let mut per_queue: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
    for (q, offset, reconsumed) in &seen {
        let refused = offset % 5 == 0 && *reconsumed == 0;
        if !refused {
            per_queue.entry(*q).or_default().push(*offset);
        }
    }
    let total: usize = per_queue.values().map(Vec::len).sum();
    assert_eq!(total, 40);
    for offsets in per_queue.values() {
        let expected: Vec<i64> = (0..offsets.len() as i64).collect();
        assert_eq!(offsets, &expected);
    }
    consumer.shutdown().await;
    let free = cluster.try_lock("GO", "10.9.9.9@intruder", &queues).await;
    assert_eq!(free.len(), 4, "shutdown unlocks");
    producer.shutdown();
    cluster.shutdown().await;
}

#[test]
fn orderly_in_simulation() {
    on_sim_pair(4, orderly);
}

/// A listener that never finishes: pulling stops at the threshold (plus at most one batch).
async fn flow_control<E: Env>(
    env: E,
    ns_env: E,
    ns_bind: SocketAddr,
    bind: SocketAddr,
    root: PathBuf,
) {
    let cluster = Cluster::start(&env, ns_env, ns_bind, bind, &root).await;
    cluster.topic(&env, "TopicW", 1).await;
    let ns = cluster.ns_addr();
    let producer = producer(&env, ns, "PG");
    send_n(&producer, "TopicW", "w", 300).await;
    let listener: Listener = Arc::new(|_| Box::pin(std::future::pending()));
    let mut config = consumer_config(ns, "GW", "w1", &root);
    config.consume_from = ConsumeFromWhere::FirstOffset;
    config.pull_threshold_for_queue = 100;
    let consumer = PushConsumer::new(env.clone(), config, listener);
    consumer.subscribe("TopicW", "*").unwrap();
    consumer.start().unwrap();
    wait_until(&env, "held at the threshold", LONG, || {
        consumer
            .queue_stats()
            .first()
            .is_some_and(|(_, s)| s.count >= 100)
    })
    .await;
    env.sleep(Duration::from_secs(5)).await;
    let (_, stats) = consumer.queue_stats()[0].clone();
    assert!(stats.count >= 100 && stats.count <= 100 + 32, "{stats:?}");
    consumer.shutdown().await;
    producer.shutdown();
    cluster.shutdown().await;
}

#[test]
fn flow_control_in_simulation() {
    on_sim_pair(5, flow_control);
}

/// Only the subscribed tags arrive; the listener sees tags, keys and user properties.
async fn tags<E: Env>(env: E, ns_env: E, ns_bind: SocketAddr, bind: SocketAddr, root: PathBuf) {
    let cluster = Cluster::start(&env, ns_env, ns_bind, bind, &root).await;
    cluster.topic(&env, "TopicT", 2).await;
    let ns = cluster.ns_addr();
    let log = Log::default();
    let mut config = consumer_config(ns, "GT", "t1", &root);
    config.consume_from = ConsumeFromWhere::FirstOffset;
    let consumer = PushConsumer::new(env.clone(), config, log.listener());
    assert!(matches!(
        consumer.subscribe("TopicT", "||"),
        Err(ConsumerError::InvalidExpression { .. })
    ));
    consumer.subscribe("TopicT", "TagA || TagB").unwrap();
    consumer.start().unwrap();
    let producer = producer(&env, ns, "PG");
    let mut wanted = Vec::new();
    for i in 0..30 {
        let tag = ["TagA", "TagB", "TagC"][i % 3];
        let body = format!("{tag}-{i}");
        let mut m = Message::new("TopicT", body.clone().into_bytes())
            .with_tags(tag)
            .unwrap()
            .with_keys(&format!("k{i}"))
            .unwrap();
        m.properties.insert("color", "blue").unwrap();
        producer.send(m).await.unwrap();
        if tag != "TagC" {
            wanted.push(body);
        }
    }
    producer
        .send(Message::new("TopicT", "untagged"))
        .await
        .unwrap();
    wait_until(&env, "20 received", LONG, || log.len() >= 20).await;
    env.sleep(Duration::from_secs(1)).await;
    assert_exactly_once(&log.counts(), &wanted);
    for m in log.messages() {
        let props = &m.record.properties;
        assert!(props.get("KEYS").is_some_and(|k| k.starts_with('k')));
        assert_eq!(props.get("color"), Some("blue"));
        assert!(m.msg_id().is_some());
    }
    consumer.shutdown().await;
    producer.shutdown();
    cluster.shutdown().await;
}

#[test]
fn tag_filtering_in_simulation() {
    on_sim_pair(6, tags);
}

/// Lite pull: subscribe and poll everything; assign one queue, seek back, manual commit.
async fn lite<E: Env>(env: E, ns_env: E, ns_bind: SocketAddr, bind: SocketAddr, root: PathBuf) {
    let cluster = Cluster::start(&env, ns_env, ns_bind, bind, &root).await;
    cluster.topic(&env, "TopicL", 2).await;
    let ns = cluster.ns_addr();
    let producer = producer(&env, ns, "PG");
    let sent = send_n(&producer, "TopicL", "l", 50).await;

    let mut config = consumer_config(ns, "GL", "l1", &root);
    config.consume_from = ConsumeFromWhere::FirstOffset;
    let lite = LitePullConsumer::new(env.clone(), config);
    lite.subscribe("TopicL", "*").unwrap();
    assert!(matches!(
        lite.assign(vec![cluster.queue("TopicL", 0)]),
        Err(ConsumerError::MixedSubscribeAndAssign)
    ));
    lite.start().unwrap();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let deadline = env.now() + LONG;
    while counts.values().sum::<usize>() < 50 && env.now() < deadline {
        for m in lite.poll(Duration::from_secs(1)).await {
            *counts
                .entry(String::from_utf8(m.record.body.to_vec()).unwrap())
                .or_default() += 1;
        }
    }
    assert_exactly_once(&counts, &sent);
    lite.shutdown().await;
    let stored = cluster
        .stored_offset("GL", &cluster.queue("TopicL", 0))
        .await
        .unwrap()
        + cluster
            .stored_offset("GL", &cluster.queue("TopicL", 1))
            .await
            .unwrap();
    assert_eq!(stored, 50, "auto-commit pushed the polled offsets");

    // Assign queue 0, manual commit, seek back to 2.
    let q0 = cluster.queue("TopicL", 0);
    let mut config = consumer_config(ns, "GA", "a1", &root);
    config.auto_commit = false;
    config.consume_from = ConsumeFromWhere::FirstOffset;
    let assigned = LitePullConsumer::new(env.clone(), config);
    assigned.assign(vec![q0.clone()]).unwrap();
    assigned.start().unwrap();
    wait_until(&env, "assigned", LONG, || {
        assigned.assigned() == vec![q0.clone()]
    })
    .await;
    let mut offsets = Vec::new();
    let deadline = env.now() + LONG;
    while offsets.len() < 5 && env.now() < deadline {
        offsets.extend(
            assigned
                .poll(Duration::from_secs(1))
                .await
                .iter()
                .map(|m| m.queue_offset()),
        );
    }
    assert_eq!(offsets[..5], [0, 1, 2, 3, 4]);
    assigned.seek(&q0, 2).unwrap();
    let after = assigned.poll(Duration::from_secs(5)).await;
    assert_eq!(after.first().map(|m| m.queue_offset()), Some(2));
    assert!(after.iter().all(|m| m.queue.queue_id == 0));
    let last = after.last().unwrap().queue_offset();
    assigned.commit().await;
    assert_eq!(cluster.stored_offset("GA", &q0).await, Some(last + 1));
    assert!(matches!(
        assigned.seek(&cluster.queue("TopicL", 1), 0),
        Err(ConsumerError::NotAssigned { .. })
    ));
    assigned.shutdown().await;
    producer.shutdown();
    cluster.shutdown().await;
}

#[test]
fn lite_pull_in_simulation() {
    on_sim_pair(7, lite);
}

#[test]
fn lite_pull_for_real() {
    on_real_pair(lite);
}

/// The same seed twice gives the same run, event for event (the consumers read no ambient
/// clock, draw no ambient randomness and iterate only ordered collections).
#[test]
fn clustering_is_deterministic() {
    let run = || {
        rocketsim_sim::run(rocketsim_sim::SimConfig::new(9), |world| async move {
            let ns = world.add_client_node("namesrv", sim_ip(1));
            let node = world.add_client_node("broker", sim_ip(2));
            let ns_env = world.env(ns);
            world
                .run_on(node, move |env| {
                    let root = PathBuf::from("data");
                    clustering(env, ns_env, sim_addr(1, 9876), sim_addr(2, 10911), root)
                })
                .await
                .expect("node stays up");
        })
    };
    let (first, second) = (run(), run());
    assert!(first.output.is_ok(), "{:?}", first.output.err());
    assert_eq!(
        (first.trace_hash, first.events),
        (second.trace_hash, second.events)
    );
}
