//! A simulated master/slave group for the replication tests: a name server, a master and a
//! slave (restartable broker nodes), and a client node. Each broker node publishes its store
//! in a slot so that the test can compare the two logs byte for byte.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use crate::broker_common::{config, start};
use crate::namesrv_common;
use crate::support::{sim_addr, sim_ip};
use parking_lot::Mutex;
use rocketsim::broker::{BrokerConfig, BrokerRole};
use rocketsim::env::Net;
use rocketsim::namesrv::Namesrv;
use rocketsim::store::MessageStore;
use rocketsim_sim::{NodeId, SimEnv, World};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub type Slot = Arc<Mutex<Option<MessageStore<SimEnv>>>>;

/// Runs `script` in a simulated world with a virtual time limit; on failure prints the last
/// trace events (the HA links' log lines among them) and panics.
pub fn on_ha_sim<F, Fut>(seed: u64, script: F)
where
    F: FnOnce(World) -> Fut + Send,
    Fut: std::future::Future<Output = ()>,
{
    let mut config = rocketsim_sim::SimConfig::new(seed);
    config.time_limit = Some(Duration::from_secs(900));
    config.keep_trace = true;
    let outcome = rocketsim_sim::run(config, script);
    if let Err(failure) = outcome.output {
        let trace = outcome.trace.unwrap_or_default();
        for event in trace.iter().rev().take(80).rev() {
            eprintln!("{event}");
        }
        panic!("simulation with seed {seed} failed: {failure}");
    }
}

pub fn ns_addr() -> SocketAddr {
    sim_addr(1, 9876)
}

pub fn master_addr() -> SocketAddr {
    sim_addr(2, 10911)
}

pub fn slave_addr() -> SocketAddr {
    sim_addr(3, 10911)
}

/// The master's HA port (listenPort + 1).
pub fn master_ha_addr() -> SocketAddr {
    sim_addr(2, 10912)
}

pub fn add_namesrv(world: &World) -> NodeId {
    world.add_node("namesrv", sim_ip(1), |env| async move {
        let listener = env.bind(ns_addr()).await.expect("bind namesrv");
        let ns = Namesrv::start(env, listener, namesrv_common::config_in(Path::new("ns")))
            .await
            .expect("namesrv starts");
        futures::future::pending::<()>().await;
        drop(ns);
    })
}

/// A broker node of group `broker-a` on 10.0.0.`n`: id 0 for masters, 1 for the slave.
pub fn add_broker(
    world: &World,
    n: u8,
    role: BrokerRole,
    tweak: fn(&mut BrokerConfig),
) -> (NodeId, Slot) {
    let slot: Slot = Arc::new(Mutex::new(None));
    let published = slot.clone();
    let name = match role {
        BrokerRole::Slave => "slave",
        _ => "master",
    };
    let node = world.add_node(name, sim_ip(n), move |env| {
        let slot = published.clone();
        async move {
            let bind = sim_addr(n, 10911);
            let mut cfg = config(Path::new("data"), bind.ip(), bind.port(), Some(ns_addr()));
            cfg.broker_role = role;
            cfg.broker_id = i64::from(role == BrokerRole::Slave);
            tweak(&mut cfg);
            let broker = start(&env, bind, cfg).await;
            *slot.lock() = Some(broker.store().clone());
            futures::future::pending::<()>().await;
            drop(broker);
        }
    });
    (node, slot)
}

pub fn store(slot: &Slot) -> MessageStore<SimEnv> {
    slot.lock().clone().expect("the broker has started")
}

/// Waits (in virtual time) until the broker in `slot` has started.
pub async fn started(world: &World, slot: &Slot) {
    for _ in 0..600 {
        if slot.lock().is_some() {
            return;
        }
        world.sleep(Duration::from_millis(100)).await;
    }
    panic!("broker never started");
}

/// Waits until the slave's log ends where the master's does; panics after `limit`.
pub async fn caught_up(world: &World, master: &Slot, slave: &Slot, limit: Duration) {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    loop {
        let (m, s) = (store(master), store(slave));
        if m.max_physical_offset() > 0 && s.max_physical_offset() == m.max_physical_offset() {
            return;
        }
        assert!(
            waited < limit,
            "slave not caught up after {limit:?}: master {} slave {} (received {})",
            m.max_physical_offset(),
            s.max_physical_offset(),
            s.replica_end()
        );
        world.sleep(step).await;
        waited += step;
    }
}

/// Asserts that the slave's log holds the master's bytes over `[slave min, max)` and ends
/// where the master's does; the slave starts at a file boundary (an empty slave that joins
/// late starts at the master's last file, §5.2).
pub fn assert_byte_identical(master: &MessageStore<SimEnv>, slave: &MessageStore<SimEnv>) {
    let (min, max) = (slave.min_physical_offset(), master.max_physical_offset());
    assert!(
        min >= master.min_physical_offset(),
        "slave starts before the master"
    );
    assert_eq!(
        min % master.commitlog_segment_bytes(),
        0,
        "slave starts inside a file"
    );
    assert_eq!(slave.max_physical_offset(), max, "log ends differ");
    let mut at = min;
    while at < max {
        let a = master.read_raw(at, 32 * 1024).expect("master read");
        let b = slave.read_raw(at, 32 * 1024).expect("slave read");
        assert!(!a.is_empty(), "empty read at {at} below max {max}");
        assert_eq!(a, b, "logs differ in the chunk at {at}");
        at += a.len() as u64;
    }
}
