//! Shared harness of the integration tests: run one generic body on the simulated world or
//! on tokio over loopback.

#![allow(
    dead_code,
    reason = "each test crate uses a different subset of the harness"
)]

pub mod cases;
pub mod rpc_cases;

use rocketsim_real::TokioEnv;
use rocketsim_sim::SimEnv;
use rocketsim_sim::{SimConfig, World};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

/// Runs `script` as the supervisor of a simulated world with `seed`; fails on any failure.
pub fn on_sim<F, Fut>(seed: u64, script: F)
where
    F: FnOnce(World) -> Fut + Send,
    Fut: Future<Output = ()>,
{
    let outcome = rocketsim_sim::run(SimConfig::new(seed), script);
    if let Err(failure) = outcome.output {
        panic!("simulation with seed {seed} failed: {failure}");
    }
}

/// Runs `body` on a multi-threaded tokio runtime with a fresh `TokioEnv`.
pub fn on_real<F, Fut>(body: F)
where
    F: FnOnce(TokioEnv) -> Fut,
    Fut: Future<Output = ()>,
{
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(body(TokioEnv::new()));
}

/// The simulated IP of test node `n` (10.0.0.n).
pub fn sim_ip(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, 0, 0, n))
}

/// A simulated address on `node`'s IP.
pub fn sim_addr(n: u8, port: u16) -> SocketAddr {
    SocketAddr::new(sim_ip(n), port)
}

/// Loopback with port 0: the OS picks a free port.
pub fn loopback_any() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
}

/// A loopback port on which nothing listens (bound, then released).
pub fn loopback_closed_port() -> SocketAddr {
    let socket = std::net::TcpListener::bind(loopback_any()).expect("bind probe");
    let addr = socket.local_addr().expect("probe addr");
    drop(socket);
    addr
}

/// Runs `body(env, ns_env, ns_bind, broker_bind, root)` on a simulated world: a name-server
/// node (10.0.0.1:9876) and the body on a broker node (10.0.0.2:10911).
pub fn on_sim_pair<F, Fut>(seed: u64, body: F)
where
    F: FnOnce(SimEnv, SimEnv, SocketAddr, SocketAddr, PathBuf) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    on_sim(seed, |world| async move {
        let ns = world.add_client_node("namesrv", sim_ip(1));
        let node = world.add_client_node("broker", sim_ip(2));
        let ns_env = world.env(ns);
        world
            .run_on(node, move |env| {
                body(
                    env,
                    ns_env,
                    sim_addr(1, 9876),
                    sim_addr(2, 10911),
                    PathBuf::from("data"),
                )
            })
            .await
            .expect("node stays up");
    });
}

/// Runs `body(env, env, any, any, root)` over loopback with a temporary directory.
pub fn on_real_pair<F, Fut>(body: F)
where
    F: FnOnce(TokioEnv, TokioEnv, SocketAddr, SocketAddr, PathBuf) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    on_real(|env| body(env.clone(), env, loopback_any(), loopback_any(), root));
}
