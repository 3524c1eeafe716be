//! RPC round trips per second through the remoting layer: for real over loopback (TokioEnv,
//! one process, server and client on a 2-thread runtime) and in simulation (wall-clock cost of
//! simulated calls). Run: `cargo bench -p rocketsim --bench rpc`.

use bytes::Bytes;
use rocketsim::env::Env;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::{Client, Dispatcher, RemotingConfig, RequestContext, Server};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ECHO: RequestCode = RequestCode::HEART_BEAT;
const BODY_BYTES: usize = 1024;

async fn echo_server<E: Env>(env: &E, bind: SocketAddr) -> Server {
    let dispatcher = Dispatcher::new().register(
        ECHO,
        |_ctx: RequestContext, request: RemotingCommand| async move {
            RemotingCommand::response_to(&request, ResponseCode::SUCCESS, None)
                .with_body(request.body.clone())
        },
    );
    let listener = env.bind(bind).await.expect("bind");
    Server::start(env, listener, dispatcher, RemotingConfig::default()).expect("server")
}

/// Runs `calls` echo calls with `concurrency` callers; returns per-call latencies.
async fn drive<E: Env>(
    env: &E,
    addr: SocketAddr,
    calls: usize,
    concurrency: usize,
) -> Vec<Duration> {
    let client = Client::new(env.clone(), Dispatcher::new(), RemotingConfig::default());
    let body = Bytes::from(vec![7u8; BODY_BYTES]);
    let per_caller = calls / concurrency;
    let callers = (0..concurrency).map(|_| {
        let (client, body, env) = (client.clone(), body.clone(), env.clone());
        async move {
            let mut latencies = Vec::with_capacity(per_caller);
            for _ in 0..per_caller {
                let started = env.now();
                let request = RemotingCommand::request(ECHO).with_body(body.clone());
                let response = client
                    .invoke(addr, request, Duration::from_secs(10))
                    .await
                    .expect("call");
                assert_eq!(response.body.len(), BODY_BYTES);
                latencies.push(env.now() - started);
            }
            latencies
        }
    });
    futures::future::join_all(callers)
        .await
        .into_iter()
        .flatten()
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(label: &str, mut latencies: Vec<Duration>, wall: Duration) {
    latencies.sort();
    println!(
        "{label:<34} {:>9.0} calls/s  p50 {:>8.1} us  p99 {:>8.1} us",
        latencies.len() as f64 / wall.as_secs_f64(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e6,
        percentile(&latencies, 0.99).as_secs_f64() * 1e6,
    );
}

fn real() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let env = rocketsim_real::TokioEnv::new();
        let server = echo_server(&env, "127.0.0.1:0".parse().expect("addr")).await;
        let addr = server.local_addr();
        drive(&env, addr, 2_000, 8).await; // warm up
        for (calls, concurrency) in [(20_000, 1), (100_000, 8), (200_000, 64)] {
            let started = Instant::now();
            let latencies = drive(&env, addr, calls, concurrency).await;
            report(
                &format!("real loopback, {concurrency} concurrent"),
                latencies,
                started.elapsed(),
            );
        }
    });
}

fn simulated() {
    for concurrency in [1usize, 64] {
        let calls = 20_000;
        let started = Instant::now();
        let latencies = Arc::new(parking_lot::Mutex::new(Vec::new()));
        let sink = latencies.clone();
        let outcome =
            rocketsim_sim::run(rocketsim_sim::SimConfig::new(1), move |world| async move {
                let server_ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
                let server = world.add_client_node("server", server_ip);
                let client =
                    world.add_client_node("client", IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)));
                let addr = SocketAddr::new(server_ip, 10911);
                let server_env = world.env(server);
                let measured = world
                    .run_on(client, move |env| async move {
                        let _server = echo_server(&server_env, addr).await;
                        drive(&env, addr, calls, concurrency).await
                    })
                    .await
                    .expect("client up");
                *sink.lock() = measured;
            });
        outcome.output.expect("simulation");
        let wall = started.elapsed();
        let latencies = std::mem::take(&mut *latencies.lock());
        let per_wall_s = latencies.len() as f64 / wall.as_secs_f64();
        println!(
            "{:<34} {per_wall_s:>9.0} calls per wall second ({:.1} virtual s in {:.2} wall s)",
            format!("simulated, {concurrency} concurrent"),
            outcome.virtual_secs,
            wall.as_secs_f64()
        );
    }
}

fn main() {
    println!("echo calls with a {BODY_BYTES}-byte body, JSON headers");
    real();
    simulated();
}
