//! `mqbench produce|consume -n <namesrv> -t <topic> [-s bytes] [-c concurrency] [-d seconds]
//! [--mode sync|async|oneway|batch] [--json]`: load against a running cluster through the
//! rocketsim client. A progress line every second on stderr, then min/p50/p99/p999/max
//! latency and messages/s; with `--json` the last stdout line is one JSON object
//! (`msgs_per_s`, `mb_per_s`, `p50_ms`, `p99_ms`, `errors`, …).
//!
//! produce: `sync` — `-c` tasks each sending and waiting; `async` — one task keeping `-c`
//! sends in flight; `oneway` — `-c` tasks sending without answers (latency = time to write);
//! `batch` — `-c` tasks each sending batches of `--batch` messages. Latency is per call.
//! consume: a push consumer group (`-g`, from `--from first|last`), `-c` consume tasks;
//! messages/s is over the stretch from the first to the last message received; latency is
//! store-to-consume (now − the broker's store timestamp), so it needs synchronised
//! clocks, as with Java's benchmark tool. `--expect N` stops once N messages arrived.

// The request path allocates per request (headers, ext fields); glibc's malloc was ~20% of the
// broker's CPU under 64 concurrent senders (perf), mimalloc about a quarter of that.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand, ValueEnum};
use futures::stream::{FuturesUnordered, StreamExt};
use rocketsim::client::{
    ConsumeFromWhere, ConsumeStatus, ConsumerConfig, Listener, Message, Producer, ProducerConfig,
    PushConsumer,
};
use rocketsim::env::Clock;
use rocketsim_real::admin_cli;
use rocketsim_real::bench_cli::{Meter, Summary};
use rocketsim_real::cli::{self, EXIT_START, EXIT_USAGE};
use rocketsim_real::TokioEnv;
use std::net::SocketAddr;
use std::process::exit;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(version, about = "rocketsim load generator")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// Name servers, `host:port;host:port` (default: NAMESRV_ADDR).
    #[arg(short = 'n', long = "namesrvAddr")]
    namesrv: Option<String>,
    /// Topic.
    #[arg(short = 't', long, default_value = "BenchmarkTest")]
    topic: String,
    /// Concurrency (senders, in-flight sends, or consume tasks).
    #[arg(short = 'c', long, default_value_t = 64)]
    concurrency: usize,
    /// Duration in seconds.
    #[arg(short = 'd', long, default_value_t = 10)]
    seconds: u64,
    /// Print one JSON object as the last line.
    #[arg(long)]
    json: bool,
    #[arg(long, default_value = "warn")]
    log_level: String,
}

#[derive(Subcommand)]
enum Command {
    /// Send messages.
    Produce {
        #[command(flatten)]
        common: Common,
        /// Body size in bytes.
        #[arg(short = 's', long, default_value_t = 1024)]
        size: usize,
        #[arg(long, value_enum, default_value_t = Mode::Sync)]
        mode: Mode,
        /// Messages per batch (`--mode batch`).
        #[arg(long, default_value_t = 32)]
        batch: usize,
    },
    /// Consume messages with a push consumer group.
    Consume {
        #[command(flatten)]
        common: Common,
        /// Consumer group.
        #[arg(short = 'g', long, default_value = "benchmark_consumer")]
        group: String,
        /// Where a new group starts.
        #[arg(long, value_enum, default_value_t = From::Last)]
        from: From,
        /// Stop once this many messages arrived (or at the deadline).
        #[arg(long)]
        expect: Option<u64>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    Sync,
    Async,
    Oneway,
    Batch,
}

#[derive(Clone, Copy, ValueEnum)]
enum From {
    First,
    Last,
}

fn main() {
    let args = Args::parse();
    let common = match &args.command {
        Command::Produce { common, .. } | Command::Consume { common, .. } => common.clone(),
    };
    cli::init_logging(&common.log_level);
    let text = common
        .namesrv
        .clone()
        .or_else(|| std::env::var("NAMESRV_ADDR").ok())
        .unwrap_or_else(|| usage("no name server: -n or NAMESRV_ADDR"));
    // The name-server list as mqadmin reads it (`;` or `,`, host names resolved).
    let namesrv = admin_cli::parse_namesrv(&text).unwrap_or_else(|e| usage(&e.to_string()));
    if common.concurrency == 0 {
        usage("-c must be at least 1");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let json = common.json;
    let (what, summary) = runtime.block_on(async move {
        match args.command {
            Command::Produce {
                size, mode, batch, ..
            } => (
                "produce",
                produce(&common, namesrv, size, mode, batch.max(1)).await,
            ),
            Command::Consume {
                group,
                from,
                expect,
                ..
            } => (
                "consume",
                consume(&common, namesrv, group, from, expect).await,
            ),
        }
    });
    println!("{}", summary.table(what));
    if json {
        println!("{}", serde_json::to_string(&summary).expect("summary JSON"));
    }
}

async fn produce(
    common: &Common,
    namesrv: Vec<SocketAddr>,
    size: usize,
    mode: Mode,
    batch: usize,
) -> Summary {
    let env = TokioEnv::new();
    let config = ProducerConfig::new("benchmark_producer", namesrv, cli::local_ip());
    let producer = Producer::new(env.clone(), config);
    producer.start();
    if let Err(error) = producer.route(&common.topic).await {
        eprintln!("mqbench: {error}");
        exit(EXIT_START);
    }
    let meter = Arc::new(Meter::default());
    let started = Instant::now();
    let until = started + Duration::from_secs(common.seconds);
    let body = bytes::Bytes::from(vec![b'x'; size]);
    let message = {
        let (topic, body) = (common.topic.clone(), body.clone());
        move || Message::new(topic.clone(), body.clone())
    };
    let work = async {
        match mode {
            Mode::Async => {
                let mut in_flight = FuturesUnordered::new();
                while Instant::now() < until || !in_flight.is_empty() {
                    while Instant::now() < until && in_flight.len() < common.concurrency {
                        let (producer, m) = (producer.clone(), message());
                        in_flight.push(async move {
                            let at = Instant::now();
                            (producer.send(m).await.is_ok(), at.elapsed())
                        });
                    }
                    match in_flight.next().await {
                        Some((true, latency)) => meter.ok(1, size as u64, latency),
                        Some((false, _)) => meter.error(),
                        None => break,
                    }
                }
            }
            _ => {
                let workers = (0..common.concurrency).map(|_| {
                    let (producer, meter, message) = (producer.clone(), meter.clone(), &message);
                    async move {
                        while Instant::now() < until {
                            let at = Instant::now();
                            let (ok, n) = match mode {
                                Mode::Oneway => (producer.send_oneway(message()).await.is_ok(), 1),
                                Mode::Batch => {
                                    let msgs = (0..batch).map(|_| message()).collect();
                                    (producer.send_batch(msgs).await.is_ok(), batch as u64)
                                }
                                _ => (producer.send(message()).await.is_ok(), 1),
                            };
                            match ok {
                                true => meter.ok(n, n * size as u64, at.elapsed()),
                                false => meter.error(),
                            }
                        }
                    }
                });
                futures::future::join_all(workers).await;
            }
        }
    };
    futures::join!(work, meter.progress("sent", started, until));
    let summary = meter.summary(started.elapsed());
    producer.shutdown();
    // Let the unregistration reach the brokers.
    env.sleep(Duration::from_millis(200)).await;
    summary
}

async fn consume(
    common: &Common,
    namesrv: Vec<SocketAddr>,
    group: String,
    from: From,
    expect: Option<u64>,
) -> Summary {
    let env = TokioEnv::new();
    let mut config = ConsumerConfig::new(group, namesrv, cli::local_ip());
    config.consume_from = match from {
        From::First => ConsumeFromWhere::FirstOffset,
        From::Last => ConsumeFromWhere::LastOffset,
    };
    config.consume_thread_count = common.concurrency;
    let meter = Arc::new(Meter::default());
    let sink = meter.clone();
    let clock = env.clone();
    let listener: Listener = Arc::new(move |batch| {
        let now_ms = clock.now_millis() as i64;
        for m in &batch {
            let e2e = (now_ms - m.record.store_timestamp_ms).max(0) as u64;
            sink.ok(1, m.record.body.len() as u64, Duration::from_millis(e2e));
        }
        Box::pin(async { ConsumeStatus::Success })
    });
    let consumer = PushConsumer::new(env.clone(), config, listener);
    if let Err(error) = consumer
        .subscribe(&common.topic, "*")
        .and_then(|()| consumer.start())
    {
        eprintln!("mqbench: {error}");
        exit(EXIT_START);
    }
    let started = Instant::now();
    let until = started + Duration::from_secs(common.seconds);
    let done = async {
        while Instant::now() < until && expect.is_none_or(|n| meter.messages() < n) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = done => {}
        _ = meter.progress("received", started, until) => {}
    }
    // Throughput over the stretch messages were arriving: not the start-up (route, rebalance)
    // before the first, nor the idle wait after the last when `--expect` was not reached.
    let summary = meter.summary(meter.active());
    consumer.shutdown().await;
    summary
}

fn usage(message: &str) -> ! {
    eprintln!("mqbench: {message}");
    exit(EXIT_USAGE);
}
