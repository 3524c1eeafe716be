//! Messaging throughput for real: a name server, a broker (ASYNC_FLUSH, default store sizes) and
//! the clients in one process on a 2-worker tokio runtime over loopback, on TokioEnv, store in
//! a temporary directory. Run: `cargo bench -p rocketsim --bench messaging`.
//!
//! Phases:
//! 1. sync send of 1 KiB messages through one `Producer` with 1, 8 and 64 concurrent senders,
//!    each for `PHASE_S` seconds: messages/s, p50/p99/max latency;
//! 2. consumption: a push consumer group drains everything sent: messages/s;
//! 3. memory while consumers lag: 64 senders keep sending with no consumer for
//!    `LAG_PHASE_S` seconds; the process's anonymous resident memory (`RssAnon`, i.e. heap,
//!    not the mapped CommitLog pages) is printed every few seconds and must stay flat.
//!
//! Sender and broker share the two cores, so these are lower bounds of a broker alone.

use rocketsim::broker::{Broker, BrokerConfig};
use rocketsim::client::{
    ConsumeStatus, ConsumerConfig, Listener, Message, Producer, ProducerConfig, PushConsumer,
};
use rocketsim::env::{Clock, Net};
use rocketsim::namesrv::{Namesrv, NamesrvConfig};
use rocketsim::protocol::header::CreateTopicHeader;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig};
use rocketsim_real::bench_cli::Histogram;
use rocketsim_real::TokioEnv;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TOPIC: &str = "BenchTopic";
const QUEUES: i32 = 8;
const BODY_BYTES: usize = 1024;
const PHASE_S: u64 = 8;
const LAG_PHASE_S: u64 = 30;
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

fn any_port() -> SocketAddr {
    SocketAddr::new(LOCALHOST, 0)
}

/// Anonymous resident memory of this process, in KiB (Linux).
fn rss_anon_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// `senders` tasks sending sync for `seconds`; returns the latencies of acknowledged sends
/// (a fixed-size histogram, so that measuring does not grow the heap) and the count of
/// failed ones.
async fn send_for(
    env: &TokioEnv,
    producer: &Producer<TokioEnv>,
    senders: usize,
    seconds: u64,
    progress: Option<&AtomicU64>,
) -> (Histogram, u64) {
    let until = env.now() + Duration::from_secs(seconds);
    let body = bytes::Bytes::from(vec![b'x'; BODY_BYTES]);
    let tasks = (0..senders).map(|_| {
        let (producer, body, env) = (producer.clone(), body.clone(), env.clone());
        async move {
            let mut latencies = Histogram::default();
            let mut failed = 0u64;
            while env.now() < until {
                let started = env.now();
                match producer.send(Message::new(TOPIC, body.clone())).await {
                    Ok(_) => {
                        latencies.record((env.now() - started).as_micros() as u64);
                        if let Some(p) = progress {
                            p.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    Err(_) => failed += 1,
                }
            }
            (latencies, failed)
        }
    });
    let results = futures::future::join_all(tasks).await;
    let failed = results.iter().map(|(_, f)| f).sum();
    let mut all = Histogram::default();
    for (latencies, _) in &results {
        all.merge(latencies);
    }
    (all, failed)
}

async fn create_topic(env: &TokioEnv, broker: SocketAddr) {
    let client = Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default());
    let request = RemotingCommand::request(RequestCode::UPDATE_AND_CREATE_TOPIC).with_header(
        &CreateTopicHeader {
            topic: TOPIC.into(),
            default_topic: "TBW102".into(),
            read_queue_nums: QUEUES,
            write_queue_nums: QUEUES,
            perm: 6,
            topic_filter_type: "SINGLE_TAG".into(),
            topic_sys_flag: None,
            order: false,
        },
    );
    let response = client
        .invoke(broker, request, Duration::from_secs(5))
        .await
        .expect("create topic");
    assert_eq!(response.response_code(), Some(ResponseCode::SUCCESS));
    client.close_all();
}

async fn bench(env: TokioEnv, root: std::path::PathBuf) {
    let ns_listener = env.bind(any_port()).await.expect("bind namesrv");
    let ns_config = NamesrvConfig {
        kv_config_path: root.join("kvConfig.json"),
        ..NamesrvConfig::default()
    };
    let ns = Namesrv::start(env.clone(), ns_listener, ns_config)
        .await
        .expect("namesrv");
    let listener = env.bind(any_port()).await.expect("bind broker");
    let addr = rocketsim::env::Listener::local_addr(&listener).expect("addr");
    let mut config = BrokerConfig::new("broker-a", root.join("broker"));
    config.broker_ip1 = LOCALHOST;
    config.listen_port = addr.port();
    config.namesrv_addr = vec![ns.local_addr()];
    let broker = Broker::start(env.clone(), listener, config)
        .await
        .expect("broker");
    create_topic(&env, broker.local_addr()).await;
    env.sleep(Duration::from_millis(500)).await; // the topic reaches the name server

    let producer = Producer::new(
        env.clone(),
        ProducerConfig::new("BenchProducers", vec![ns.local_addr()], LOCALHOST),
    );
    producer.start();
    send_for(&env, &producer, 8, 1, None).await; // warm up
    println!("sync send, {BODY_BYTES}-byte bodies, {PHASE_S} s per row");
    let mut sent_total = 0u64;
    for senders in [1usize, 8, 64] {
        let started = Instant::now();
        let (latencies, failed) = send_for(&env, &producer, senders, PHASE_S, None).await;
        let wall = started.elapsed().as_secs_f64();
        sent_total += latencies.count();
        println!(
            "  {senders:>2} senders: {:>8.0} msgs/s  p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.2} ms  failed {failed}",
            latencies.count() as f64 / wall,
            latencies.quantile_us(0.5) as f64 / 1e3,
            latencies.quantile_us(0.99) as f64 / 1e3,
            latencies.max_us() as f64 / 1e3,
        );
    }

    // Consumption: everything stored so far (warm-up included) by a fresh group.
    let stored: u64 = (0..QUEUES)
        .map(|q| broker.store().queue_offsets(TOPIC, q).1)
        .sum();
    let consumed = Arc::new(AtomicU64::new(0));
    let counter = consumed.clone();
    let listener: Listener = Arc::new(move |batch| {
        counter.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Box::pin(async { ConsumeStatus::Success })
    });
    let mut consumer_config =
        ConsumerConfig::new("BenchConsumers", vec![ns.local_addr()], LOCALHOST);
    consumer_config.consume_from = rocketsim::client::ConsumeFromWhere::FirstOffset;
    consumer_config.consume_message_batch_max_size = 32;
    let consumer = PushConsumer::new(env.clone(), consumer_config, listener);
    consumer.subscribe(TOPIC, "*").expect("subscribe");
    let started = Instant::now();
    consumer.start().expect("consumer starts");
    while consumed.load(Ordering::Relaxed) < stored && started.elapsed() < Duration::from_secs(120)
    {
        env.sleep(Duration::from_millis(20)).await;
    }
    let wall = started.elapsed().as_secs_f64();
    let got = consumed.load(Ordering::Relaxed);
    println!(
        "consumption (push, batches of 32): {got} of {stored} stored in {wall:.2} s = {:.0} msgs/s (sent in the timed rows: {sent_total})",
        got as f64 / wall
    );
    consumer.shutdown().await;

    // Memory while consumers lag: keep sending with nobody consuming.
    println!("memory while nobody consumes: 64 senders for {LAG_PHASE_S} s");
    let progress = Arc::new(AtomicU64::new(0));
    let watch = {
        let (env, progress) = (env.clone(), progress.clone());
        async move {
            let start_kib = rss_anon_kib();
            let mut samples = vec![start_kib];
            for second in (5..=LAG_PHASE_S).step_by(5) {
                env.sleep(Duration::from_secs(5)).await;
                let kib = rss_anon_kib();
                samples.push(kib);
                println!(
                    "  t={second:>3} s  sent {:>8}  RssAnon {:>7} KiB",
                    progress.load(Ordering::Relaxed),
                    kib
                );
            }
            samples
        }
    };
    let (samples, _) = futures::join!(
        watch,
        send_for(&env, &producer, 64, LAG_PHASE_S, Some(&progress))
    );
    let first = samples[1] as f64;
    let last = *samples.last().expect("samples") as f64;
    println!(
        "  RssAnon from t=5 s to the end: {:.0} → {:.0} KiB ({:+.1} %)",
        first,
        last,
        (last - first) / first * 100.0
    );
    producer.shutdown();
    broker.shutdown().await.expect("broker shutdown");
    ns.shutdown();
}

fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench(TokioEnv::new(), root));
}
