//! End to end, for real (TokioEnv over loopback, temp dirs): a name server and a broker, one
//! 8-queue topic, 10,000 messages from two producers using every send mode — sync, async
//! (concurrent sends), oneway and batch — and two consumer groups: a clustering group of two
//! push consumers and a broadcasting group of two. Every message must reach the clustering
//! group exactly once (across both members) and each broadcasting consumer exactly once, with
//! a byte-identical body and the same keys, tags and custom property. Oneway sends are
//! unacknowledged and have no back-pressure: a burst larger than the broker's per-connection
//! in-flight limit (1024) is refused, oneways silently, as a Java broker does. So, as a careful
//! user would, the producers pace oneways: after each 100 they wait until the broker has stored
//! everything sent so far. Then they must all arrive, and are checked like the others.

mod broker_common;
mod consumer_common;
mod namesrv_common;
mod support;

use consumer_common::*;
use futures::future::join_all;
use rocketsim::client::{ConsumeFromWhere, Message, MessageModel, Producer, PushConsumer};
use rocketsim::env::{Clock, Env};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use support::{loopback_any, on_real};

const TOPIC: &str = "TopicE2E";
const PER_MODE: usize = 1250;
const BATCH: usize = 25;

/// What a message must look like when it arrives.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Expected {
    keys: String,
    tags: String,
    idx: String,
}

fn message(body: &str, idx: usize, expected: &mut BTreeMap<String, Expected>) -> Message {
    let tags = ["TagA", "TagB"][idx % 2];
    let keys = format!("key-{idx} k2-{idx}");
    let mut m = Message::new(TOPIC, body.as_bytes().to_vec())
        .with_tags(tags)
        .unwrap()
        .with_keys(&keys)
        .unwrap();
    m.properties.insert("idx", idx.to_string()).unwrap();
    let e = Expected {
        keys,
        tags: tags.into(),
        idx: idx.to_string(),
    };
    expected.insert(body.to_string(), e);
    m
}

fn body(producer: usize, mode: &str, i: usize) -> String {
    // Every 100th sync body is over 4 KiB: compressed by the producer, inflated for us.
    let pad = match mode == "sync" && i.is_multiple_of(100) {
        true => "x".repeat(6_000),
        false => String::new(),
    };
    format!("p{producer}-{mode}-{i}-{pad}")
}

/// Oneway pacing: messages whose send returned (both producers), and what the broker stored.
struct Pace<'a> {
    sent: AtomicU64,
    stored: &'a (dyn Fn() -> u64 + Sync),
}

impl Pace<'_> {
    fn sent(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::SeqCst);
    }

    /// Waits until the broker stored every message whose send returned.
    async fn settle<E: Env>(&self, env: &E) {
        let deadline = env.now() + Duration::from_secs(30);
        while (self.stored)() < self.sent.load(Ordering::SeqCst) {
            assert!(
                env.now() < deadline,
                "the broker never stored the oneway burst"
            );
            env.sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn produce<E: Env>(
    env: &E,
    producer: &Producer<E>,
    index: usize,
    expected: &mut BTreeMap<String, Expected>,
    pace: &Pace<'_>,
) {
    let mut idx = index * 100_000;
    for i in 0..PER_MODE {
        idx += 1;
        let m = message(&body(index, "sync", i), idx, expected);
        producer.send(m).await.expect("sync send");
        pace.sent(1);
    }
    let mut pending = Vec::new();
    for i in 0..PER_MODE {
        idx += 1;
        pending.push(message(&body(index, "async", i), idx, expected));
    }
    for chunk in pending.chunks(50) {
        let sends = chunk.iter().map(|m| producer.send(m.clone()));
        for result in join_all(sends).await {
            result.expect("async send");
            pace.sent(1);
        }
    }
    for i in 0..PER_MODE {
        idx += 1;
        let m = message(&body(index, "oneway", i), idx, expected);
        producer.send_oneway(m).await.expect("oneway send");
        pace.sent(1);
        if i % 100 == 99 {
            pace.settle(env).await;
        }
    }
    pace.settle(env).await;
    for start in (0..PER_MODE).step_by(BATCH) {
        let batch = (start..start + BATCH)
            .map(|i| {
                idx += 1;
                message(&body(index, "batch", i), idx, expected)
            })
            .collect();
        producer.send_batch(batch).await.expect("batch send");
        pace.sent(BATCH as u64);
    }
}

fn check(log: &Log, expected: &BTreeMap<String, Expected>, who: &str) {
    let counts = log.counts();
    let bodies: Vec<String> = expected.keys().cloned().collect();
    assert_eq!(counts.len(), bodies.len(), "{who}: distinct messages");
    assert_exactly_once(&counts, &bodies);
    for m in log.messages() {
        let body = String::from_utf8(m.record.body.to_vec()).unwrap();
        let props = &m.record.properties;
        let got = Expected {
            keys: props.get("KEYS").unwrap_or_default().to_string(),
            tags: props.get("TAGS").unwrap_or_default().to_string(),
            idx: props.get("idx").unwrap_or_default().to_string(),
        };
        assert_eq!(
            Some(&got),
            expected.get(&body),
            "{who}: properties of {body:.40}"
        );
        assert!(m.msg_id().is_some(), "{who}: UNIQ_KEY");
    }
}

#[test]
fn ten_thousand_messages_two_groups_for_real() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    on_real(|env| async move {
        let cluster =
            Cluster::start(&env, env.clone(), loopback_any(), loopback_any(), &root).await;
        cluster.topic(&env, TOPIC, 8).await;
        let ns = cluster.ns_addr();

        let mut consumers = Vec::new();
        let mut logs = Vec::new();
        for (group, name, model) in [
            ("E2E-C", "c1", MessageModel::Clustering),
            ("E2E-C", "c2", MessageModel::Clustering),
            ("E2E-B", "b1", MessageModel::Broadcasting),
            ("E2E-B", "b2", MessageModel::Broadcasting),
        ] {
            let mut config = consumer_config(ns, group, name, &root);
            config.message_model = model;
            config.consume_from = ConsumeFromWhere::FirstOffset;
            let log = Log::default();
            let consumer = PushConsumer::new(env.clone(), config, log.listener());
            consumer.subscribe(TOPIC, "*").unwrap();
            consumer.start().unwrap();
            consumers.push(consumer);
            logs.push(log);
        }
        wait_until(&env, "assignments settle", Duration::from_secs(30), || {
            let sizes: Vec<usize> = consumers.iter().map(|c| c.assigned().len()).collect();
            sizes == [4, 4, 8, 8]
        })
        .await;

        let producers = [producer(&env, ns, "PG1"), producer(&env, ns, "PG2")];
        let (mut e0, mut e1) = (BTreeMap::new(), BTreeMap::new());
        let stored = || {
            (0..8)
                .map(|q| cluster.broker.store().queue_offsets(TOPIC, q).1)
                .sum::<u64>()
        };
        let pace = Pace {
            sent: AtomicU64::new(0),
            stored: &stored,
        };
        futures::join!(
            produce(&env, &producers[0], 0, &mut e0, &pace),
            produce(&env, &producers[1], 1, &mut e1, &pace)
        );
        e0.extend(e1);
        let expected = e0;
        assert_eq!(expected.len(), 10_000);

        let total = expected.len();
        wait_until(
            &env,
            "every message consumed",
            Duration::from_secs(60),
            || {
                logs[0].len() + logs[1].len() >= total
                    && logs[2].len() >= total
                    && logs[3].len() >= total
            },
        )
        .await;
        env.sleep(Duration::from_millis(500)).await;
        let clustering = Log::default();
        for log in &logs[..2] {
            clustering.0.lock().unwrap().extend(log.messages());
        }
        check(&clustering, &expected, "clustering group");
        check(&logs[2], &expected, "broadcast b1");
        check(&logs[3], &expected, "broadcast b2");

        for c in &consumers {
            c.shutdown().await;
        }
        for p in &producers {
            p.shutdown();
        }
        cluster.shutdown().await;
    });
}
