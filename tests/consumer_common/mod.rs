//! Helpers of the consumer tests: a name server and broker, a producer, recording listeners,
//! waiting for a condition, reading the broker's view of offsets and locks.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use crate::broker_common::{self, assert_code, call, create_topic};
use crate::namesrv_common;
use bytes::Bytes;
use rocketsim::broker::Broker;
use rocketsim::client::{
    ConsumeStatus, ConsumerConfig, Listener, Message, Producer, ProducerConfig, ReceivedMessage,
};
use rocketsim::env::Env;
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::body::{LockBatchBody, LockBatchResponseBody, MessageQueue};
use rocketsim::protocol::header::{OffsetResponseHeader, QueryConsumerOffsetHeader};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::Client;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A name server and one broker (`broker-a`) registered with it.
pub struct Cluster<E: Env> {
    pub ns: Namesrv<E>,
    pub broker: Broker<E>,
    pub client: Client<E>,
    pub root: PathBuf,
}

impl<E: Env> Cluster<E> {
    pub async fn start(
        env: &E,
        ns_env: E,
        ns_bind: SocketAddr,
        bind: SocketAddr,
        root: &Path,
    ) -> Self {
        let listener = ns_env.bind(ns_bind).await.expect("bind namesrv");
        let ns = Namesrv::start(ns_env, listener, namesrv_common::config_in(root))
            .await
            .expect("namesrv");
        let cfg = broker_common::config(
            &root.join("broker"),
            bind.ip(),
            bind.port(),
            Some(ns.local_addr()),
        );
        let broker = broker_common::start(env, bind, cfg).await;
        Cluster {
            ns,
            broker,
            client: broker_common::client(env),
            root: root.to_path_buf(),
        }
    }

    pub fn ns_addr(&self) -> SocketAddr {
        self.ns.local_addr()
    }

    pub fn addr(&self) -> SocketAddr {
        self.broker.local_addr()
    }

    /// Creates `topic` with `queues` queues and waits until the name server routes it.
    pub async fn topic(&self, env: &E, topic: &str, queues: i32) {
        let answer = call(&self.client, self.addr(), create_topic(topic, queues)).await;
        assert_code(&answer, ResponseCode::SUCCESS);
        let probe = namesrv_common::client(env);
        for _ in 0..400 {
            if let Ok(route) = namesrv_common::route(&probe, self.ns_addr(), topic).await {
                if route
                    .queue_datas
                    .first()
                    .is_some_and(|q| q.read_queue_nums == queues)
                {
                    return;
                }
            }
            env.sleep(Duration::from_millis(50)).await;
        }
        panic!("no route for {topic}");
    }

    pub fn queue(&self, topic: &str, queue_id: i32) -> MessageQueue {
        MessageQueue {
            broker_name: "broker-a".into(),
            queue_id,
            topic: topic.into(),
        }
    }

    /// The group's offset on the broker, None when it has none.
    pub async fn stored_offset(&self, group: &str, queue: &MessageQueue) -> Option<i64> {
        let request = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET).with_header(
            &QueryConsumerOffsetHeader {
                consumer_group: group.into(),
                topic: queue.topic.clone(),
                queue_id: queue.queue_id,
                set_zero_if_not_found: Some(false),
            },
        );
        let answer = call(&self.client, self.addr(), request).await;
        match answer.response_code() {
            Some(ResponseCode::SUCCESS) => {
                Some(answer.header::<OffsetResponseHeader>().unwrap().offset)
            }
            _ => None,
        }
    }

    /// What LOCK_BATCH_MQ gives `client_id` of `group` among `queues`.
    pub async fn try_lock(
        &self,
        group: &str,
        client_id: &str,
        queues: &[MessageQueue],
    ) -> BTreeSet<MessageQueue> {
        let body = LockBatchBody {
            client_id: client_id.into(),
            consumer_group: group.into(),
            mq_set: queues.iter().cloned().collect(),
            only_this_broker: false,
        };
        let request = RemotingCommand::request(RequestCode::LOCK_BATCH_MQ)
            .with_body(Bytes::from(body.encode()));
        let answer = call(&self.client, self.addr(), request).await;
        assert_code(&answer, ResponseCode::SUCCESS);
        LockBatchResponseBody::decode(&answer.body)
            .unwrap()
            .lock_ok_mq_set
    }

    pub async fn shutdown(self) {
        self.broker.shutdown().await.expect("clean shutdown");
        self.ns.shutdown();
    }
}

pub fn producer<E: Env>(env: &E, ns: SocketAddr, group: &str) -> Producer<E> {
    let config = ProducerConfig::new(group, vec![ns], ns.ip());
    let producer = Producer::new(env.clone(), config);
    producer.start();
    producer
}

/// Sends `count` messages `"{prefix}-{i}"`; returns the bodies.
pub async fn send_n<E: Env>(
    producer: &Producer<E>,
    topic: &str,
    prefix: &str,
    count: usize,
) -> Vec<String> {
    let mut bodies = Vec::new();
    for i in 0..count {
        let body = format!("{prefix}-{i}");
        producer
            .send(Message::new(topic, body.clone().into_bytes()))
            .await
            .expect("send");
        bodies.push(body);
    }
    bodies
}

pub fn consumer_config(ns: SocketAddr, group: &str, instance: &str, root: &Path) -> ConsumerConfig {
    let mut config = ConsumerConfig::new(group, vec![ns], ns.ip());
    config.instance_name = instance.into();
    config.offset_store_dir = root.join("offsets");
    config
}

/// What a recording listener saw.
#[derive(Clone, Default)]
pub struct Log(pub Arc<Mutex<Vec<ReceivedMessage>>>);

impl Log {
    pub fn listener(&self) -> Listener {
        let log = self.0.clone();
        Arc::new(move |messages| {
            log.lock().unwrap().extend(messages);
            Box::pin(async { ConsumeStatus::Success })
        })
    }

    pub fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    /// Body → times received.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for m in self.0.lock().unwrap().iter() {
            let body = String::from_utf8(m.record.body.to_vec()).unwrap();
            *counts.entry(body).or_insert(0) += 1;
        }
        counts
    }

    pub fn bodies(&self) -> BTreeSet<String> {
        self.counts().into_keys().collect()
    }

    pub fn messages(&self) -> Vec<ReceivedMessage> {
        self.0.lock().unwrap().clone()
    }
}

/// Waits (polling every 50 ms, up to `limit`) until `done`; panics with `what` otherwise.
pub async fn wait_until<E: Env>(
    env: &E,
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) {
    let deadline = env.now() + limit;
    while !done() {
        if env.now() >= deadline {
            panic!("timed out waiting until {what}");
        }
        env.sleep(Duration::from_millis(50)).await;
    }
}

/// Every body received exactly once, and exactly the expected ones.
pub fn assert_exactly_once(counts: &BTreeMap<String, usize>, expected: &[String]) {
    let dupes: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(dupes.is_empty(), "duplicates: {dupes:?}");
    let got: BTreeSet<&String> = counts.keys().collect();
    let want: BTreeSet<&String> = expected.iter().collect();
    assert_eq!(got, want);
}
