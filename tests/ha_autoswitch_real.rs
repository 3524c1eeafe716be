//! AutoSwitch replication for real (TokioEnv over loopback, temp dirs, memmap2 segments): a
//! slave becomes byte-identical to its master, then, after a split brain in which it wrote
//! its own tail under another epoch, cuts that tail on rejoining and ends identical again —
//! also after a clean restart of its store.

#[path = "ha_common/auto.rs"]
mod auto;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use rocketsim::env::{Clock, Listener, Net, Task};
use rocketsim::ha::{prepare_master, Epochs, HaConfig, Master, Slave};
use rocketsim::store::{MessageStore, StoreConfig};
use rocketsim_real::TokioEnv;

type Store = MessageStore<TokioEnv>;

fn on_real<Fut: std::future::Future<Output = ()>>(body: impl FnOnce(TokioEnv) -> Fut) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(body(TokioEnv::new()));
}

fn config(root: &Path) -> StoreConfig {
    let mut config = StoreConfig::small(root);
    config.lock_refresh_interval_ms = 20;
    config.dispatch_interval_ms = 10;
    config
}

async fn open(env: &TokioEnv, root: &Path) -> (Store, Arc<Epochs<TokioEnv>>) {
    let store = MessageStore::open(env.clone(), config(root)).await.unwrap();
    let epochs = Epochs::open(env.clone(), &Epochs::<TokioEnv>::default_path(root)).unwrap();
    (store, epochs)
}

async fn put(store: &Store, master: Option<&Master<TokioEnv>>, from: u64, count: u64, tag: &str) {
    for n in from..from + count {
        store.put(auto::message(n, tag)).await.unwrap();
        if let Some(m) = master {
            m.notify_appended();
        }
    }
}

async fn serve(
    env: &TokioEnv,
    store: &Store,
    epochs: &Arc<Epochs<TokioEnv>>,
) -> (
    Arc<Master<TokioEnv>>,
    <TokioEnv as rocketsim::env::Spawn>::Task,
    SocketAddr,
) {
    let listener = env.bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let allowed = Arc::new(|id: i64| id == 2);
    let master = Master::new_auto_switch(
        env.clone(),
        store.clone(),
        auto::ha_config(1),
        epochs.clone(),
        allowed,
    );
    let task = master.serve(listener);
    (master, task, addr)
}

async fn caught_up(env: &TokioEnv, master: &Store, slave: &Store) {
    for _ in 0..600 {
        if slave.max_physical_offset() == master.max_physical_offset() {
            return;
        }
        env.sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "not caught up: master {} slave {}",
        master.max_physical_offset(),
        slave.max_physical_offset()
    );
}

fn identical(master: &Store, slave: &Store) -> bool {
    let (mut at, max) = (0, master.max_physical_offset());
    if slave.max_physical_offset() != max {
        return false;
    }
    while at < max {
        let (Ok(a), Ok(b)) = (
            master.read_raw(at, 32 * 1024),
            slave.read_raw(at, 32 * 1024),
        ) else {
            return false;
        };
        if a.is_empty() || a != b {
            return false;
        }
        at += a.len() as u64;
    }
    true
}

#[test]
fn a_real_slave_replicates_then_cuts_its_divergent_tail() {
    let dirs = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (root_a, root_b) = (dirs.0.path().to_path_buf(), dirs.1.path().to_path_buf());
    on_real(|env| async move {
        let (a, epochs_a) = open(&env, &root_a).await;
        let (b, epochs_b) = open(&env, &root_b).await;
        prepare_master(&a, &epochs_a, 1).await.unwrap();
        let (master, task, addr) = serve(&env, &a, &epochs_a).await;
        let target = Arc::new(Mutex::new(addr));
        let resolve_to = target.clone();
        let resolve = Arc::new(move || Some(*resolve_to.lock()));
        let config = HaConfig {
            reconnect_interval: Duration::from_millis(200),
            ..auto::ha_config(2)
        };
        let slave = Slave::new_auto_switch(
            env.clone(),
            b.clone(),
            config.clone(),
            resolve.clone(),
            epochs_b.clone(),
        );
        let slave_task = slave.start();
        put(&a, Some(&master), 0, 60, "a").await;
        caught_up(&env, &a, &b).await;
        assert!(identical(&a, &b));
        let common = a.max_physical_offset();
        // Split brain, then a is elected again in epoch 3 and b rejoins.
        slave_task.abort();
        prepare_master(&b, &epochs_b, 2).await.unwrap();
        put(&b, None, 100, 5, "b").await;
        put(&a, Some(&master), 60, 5, "a").await;
        task.abort();
        prepare_master(&a, &epochs_a, 3).await.unwrap();
        let (master, _task, addr) = serve(&env, &a, &epochs_a).await;
        *target.lock() = addr;
        put(&a, Some(&master), 65, 5, "a").await;
        let slave =
            Slave::new_auto_switch(env.clone(), b.clone(), config, resolve, epochs_b.clone());
        let slave_task = slave.start();
        caught_up(&env, &a, &b).await;
        assert!(identical(&a, &b), "b ends identical to a");
        assert!(b.max_physical_offset() > common);
        // The slave records a frame's new epoch right after appending its bytes.
        for _ in 0..100 {
            if epochs_b.cache() == epochs_a.cache() {
                break;
            }
            env.sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(epochs_b.cache(), epochs_a.cache());
        slave_task.abort();
        b.shutdown().await.unwrap();
        let (b, _) = open(&env, &root_b).await;
        assert!(identical(&a, &b), "identical after a restart");
        b.shutdown().await.unwrap();
        a.shutdown().await.unwrap();
    });
}
