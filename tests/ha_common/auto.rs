//! AutoSwitch replicas in simulation without a broker: each node runs a `MessageStore`, its
//! `Epochs`, and a `Master` or `Slave` driver started by the test, so a test can switch roles,
//! write divergent tails and compare logs byte for byte.

#![allow(dead_code, reason = "each test crate uses a different subset")]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rocketsim::env::{Net, Spawn, Task};
use rocketsim::ha::{Epochs, HaConfig, HaProtocol, Master, Slave};
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::sysflag::SysFlag;
use rocketsim::store::{FlushMode, MessageStore, PutMessage, StoreConfig};
use rocketsim_sim::{NodeId, SimConfig, SimEnv, World};

/// A task handle of the simulated environment.
pub type SimTask = <SimEnv as Spawn>::Task;

pub const TOPIC: &str = "AutoTopic";
pub const HA_PORT: u16 = 10912;

pub fn ip(n: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, n])
}

pub fn ha_addr(n: u8) -> SocketAddr {
    SocketAddr::new(ip(n), HA_PORT)
}

/// Runs `script` in a simulated world (virtual time limit 900 s); panics with the seed.
pub fn sim<F, Fut>(seed: u64, script: F)
where
    F: FnOnce(World) -> Fut + Send,
    Fut: std::future::Future<Output = ()>,
{
    let mut config = SimConfig::new(seed);
    config.time_limit = Some(Duration::from_secs(900));
    config.keep_trace = true;
    let outcome = rocketsim_sim::run(config, script);
    if let Err(failure) = outcome.output {
        for event in outcome
            .trace
            .unwrap_or_default()
            .iter()
            .rev()
            .take(60)
            .rev()
        {
            eprintln!("{event}");
        }
        panic!("simulation with seed {seed} failed: {failure}");
    }
}

pub fn store_config(n: u8) -> StoreConfig {
    let mut config = StoreConfig::small("store");
    config.flush_mode = FlushMode::Async;
    config.dispatch_interval_ms = 10;
    config.store_host = SocketAddr::new(ip(n), 10911);
    config
}

pub fn ha_config(broker_id: i64) -> HaConfig {
    HaConfig {
        protocol: HaProtocol::AutoSwitch,
        broker_id,
        reconnect_interval: Duration::from_secs(1),
        ..HaConfig::default()
    }
}

/// One replica: its node, store and epoch history.
#[derive(Clone)]
pub struct Replica {
    pub node: NodeId,
    pub n: u8,
    pub store: MessageStore<SimEnv>,
    pub epochs: Arc<Epochs<SimEnv>>,
}

/// Opens the store and epoch history of node 10.0.0.`n` (adding the node if `node` is None).
pub async fn replica(world: &World, name: &str, n: u8, node: Option<NodeId>) -> Replica {
    let node = node.unwrap_or_else(|| world.add_client_node(name, ip(n)));
    let (store, epochs) = world
        .run_on(node, move |env| async move {
            let store = MessageStore::open(env.clone(), store_config(n))
                .await
                .unwrap();
            let path = Epochs::<SimEnv>::default_path(std::path::Path::new("store"));
            let epochs = Epochs::open(env, &path).expect("epoch file");
            (store, epochs)
        })
        .await
        .expect("node up");
    Replica {
        node,
        n,
        store,
        epochs,
    }
}

/// Starts an AutoSwitch master on `r` accepting `allowed` ids; returns it and its task.
pub async fn start_master(
    world: &World,
    r: &Replica,
    config: HaConfig,
    allowed: &'static [i64],
) -> (Arc<Master<SimEnv>>, SimTask) {
    let (store, epochs, n) = (r.store.clone(), r.epochs.clone(), r.n);
    world
        .run_on(r.node, move |env| async move {
            let listener = env.bind(ha_addr(n)).await.expect("bind HA port");
            let allowed = Arc::new(move |id: i64| allowed.contains(&id));
            let master = Master::new_auto_switch(env, store, config, epochs, allowed);
            let task = master.serve(listener);
            (master, task)
        })
        .await
        .expect("node up")
}

/// Starts an AutoSwitch slave on `r` replicating from node `master_n`.
pub async fn start_slave(world: &World, r: &Replica, config: HaConfig, master_n: u8) -> SimTask {
    let (store, epochs) = (r.store.clone(), r.epochs.clone());
    world
        .run_on(r.node, move |env| async move {
            let resolve = Arc::new(move || Some(ha_addr(master_n)));
            Slave::new_auto_switch(env, store, config, resolve, epochs).start()
        })
        .await
        .expect("node up")
}

pub fn stop(task: SimTask) {
    task.abort();
}

pub fn message(n: u64, tag: &str) -> PutMessage {
    let mut properties = Properties::new();
    properties.insert("UNIQ_KEY", format!("{tag}{n}")).unwrap();
    PutMessage {
        topic: TOPIC.into(),
        queue_id: (n % 2) as i32,
        flag: 0,
        body: Bytes::from(vec![tag.as_bytes()[0]; 1_500 + (n as usize * 389) % 3_000]),
        properties,
        sys_flag: SysFlag::default(),
        born_timestamp_ms: 1_700_000_000_000 + n as i64,
        born_host: "10.0.0.9:40000".parse::<SocketAddr>().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

/// Appends `count` messages tagged `tag` to `r` and wakes `master`'s links.
pub async fn write(r: &Replica, master: Option<&Master<SimEnv>>, from: u64, count: u64, tag: &str) {
    for n in from..from + count {
        r.store.put(message(n, tag)).await.expect("put");
        if let Some(m) = master {
            m.notify_appended();
        }
    }
}

/// Waits until `slave`'s log ends where `master`'s does; panics after `limit`.
pub async fn caught_up(world: &World, master: &Replica, slave: &Replica, limit: Duration) {
    let step = Duration::from_millis(50);
    let mut waited = Duration::ZERO;
    while slave.store.max_physical_offset() != master.store.max_physical_offset() {
        assert!(
            waited < limit,
            "not caught up after {limit:?}: master {} slave {} (received {})",
            master.store.max_physical_offset(),
            slave.store.max_physical_offset(),
            slave.store.replica_end()
        );
        world.sleep(step).await;
        waited += step;
    }
}

/// The slave's log holds the master's bytes over `[slave min, max)` and ends where it does.
pub fn assert_byte_identical(master: &MessageStore<SimEnv>, slave: &MessageStore<SimEnv>) {
    let max = master.max_physical_offset();
    assert_eq!(slave.max_physical_offset(), max, "log ends differ");
    assert_prefix(master, slave);
}

/// Every byte of the slave's log is the master's byte at the same offset.
pub fn assert_prefix(master: &MessageStore<SimEnv>, slave: &MessageStore<SimEnv>) {
    let (mut at, max) = (slave.min_physical_offset(), slave.max_physical_offset());
    while at < max {
        let b = slave.read_raw(at, 32 * 1024).expect("slave read");
        let a = master.read_raw(at, b.len()).expect("master read");
        assert!(!b.is_empty(), "empty read at {at} below max {max}");
        assert!(a == b, "logs differ in the chunk at {at}");
        at += b.len() as u64;
    }
}
