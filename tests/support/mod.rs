//! Shared harness of the integration tests: run one generic body on the simulated world or
//! on tokio over loopback.

#![allow(
    dead_code,
    reason = "each test crate uses a different subset of the harness"
)]

pub mod cases;
pub mod rpc_cases;

use rocketsim_real::TokioEnv;
use rocketsim_sim::{SimConfig, World};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

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
