//! Metadata files under crashes: a store saves its metadata again and again (fsync latency
//! on, so a crash often lands inside a save) until a kill or power loss at a random moment;
//! after restart each of the four files parses and holds the content of a save that had
//! started: never older than the last save acknowledged, never torn.

use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rocketsim::env::{Random, RandomExt};
use rocketsim::store::metadata::{Metadata, TopicConfig};
use rocketsim::store::{MessageStore, StoreConfig};
use rocketsim_sim::{run, DiskFaults, SimConfig};

fn config() -> StoreConfig {
    let mut config = StoreConfig::small("store");
    config.metadata_persist_interval_ms = 3_600_000;
    config
}

/// Version `v` of the metadata: every file carries `v` where it can be read back.
fn bump(m: &mut Metadata, v: i64) {
    m.topics.data_version.counter = v;
    m.topics.topic_config_table.insert(
        format!("T{v}"),
        TopicConfig {
            topic_name: format!("T{v}"),
            ..TopicConfig::default()
        },
    );
    m.consumer_offsets
        .offset_table
        .entry("T@G".into())
        .or_default()
        .insert((v % 4) as i32, v);
    m.consumer_offsets
        .offset_table
        .entry("version@G".into())
        .or_default()
        .insert(0, v);
    m.subscription_groups.data_version.counter = v;
    m.delay_offsets.offset_table.insert(1, v);
}

fn versions(m: &Metadata) -> [i64; 4] {
    [
        m.topics.data_version.counter,
        m.consumer_offsets
            .offset_table
            .get("version@G")
            .map_or(0, |t| t[&0]),
        m.subscription_groups.data_version.counter,
        m.delay_offsets.offset_table.get(&1).copied().unwrap_or(0),
    ]
}

fn run_seed(seed: u64) -> [i64; 2] {
    let outcome = run(SimConfig::new(seed), move |world| async move {
        let node = world.add_client_node("broker", "10.0.0.1".parse().unwrap());
        world.set_disk_faults(
            node,
            DiskFaults {
                enabled: true,
                fsync_latency_ms: (1, 30),
                ..DiskFaults::default()
            },
        );
        let cut_ms = world.env(node).fork("cut").between(500, 3_000);
        let power = seed.is_multiple_of(2);
        let (acked, started) = (Arc::new(AtomicI64::new(0)), Arc::new(AtomicI64::new(0)));
        let saver = {
            let (acked, started) = (acked.clone(), started.clone());
            world.run_on(node, move |env| async move {
                let store = MessageStore::open(env, config()).await.unwrap();
                for v in 1.. {
                    store.update_metadata(|m| bump(m, v));
                    started.store(v, Ordering::SeqCst);
                    store.persist_metadata().await.unwrap();
                    acked.store(v, Ordering::SeqCst);
                }
            })
        };
        let cut = async {
            world.sleep(Duration::from_millis(cut_ms)).await;
            if power {
                world.power_loss(node);
            } else {
                world.kill(node);
            }
        };
        let _ = futures::join!(saver, cut);
        world.restart(node);
        let (acked, started) = (acked.load(Ordering::SeqCst), started.load(Ordering::SeqCst));
        world
            .run_on(node, move |env| async move {
                let loaded = Metadata::load(&env, Path::new("store/config"))
                    .expect("every file parses after the crash");
                for (file, v) in versions(&loaded).into_iter().enumerate() {
                    assert!(
                        acked <= v && v <= started,
                        "file {file} holds version {v}, acked {acked}, started {started}"
                    );
                }
                let mut expected = Metadata::default();
                let v = loaded.topics.data_version.counter;
                (1..=v).for_each(|i| bump(&mut expected, i));
                assert_eq!(
                    loaded.topics, expected.topics,
                    "topics.json is one whole save"
                );
                let store = MessageStore::open(env, config()).await.unwrap();
                assert_eq!(store.metadata(), loaded, "the store loads the same on open");
                store.shutdown().await.unwrap();
                [acked, started]
            })
            .await
            .unwrap()
    });
    outcome
        .output
        .unwrap_or_else(|f| panic!("seed {seed}: {f}"))
}

#[test]
fn metadata_files_are_old_or_new_never_torn_across_crashes() {
    let mut mid_save = 0;
    for seed in 0..40 {
        let [acked, started] = run_seed(seed);
        assert!(acked > 0, "seed {seed}: no save completed before the crash");
        mid_save += u64::from(started > acked);
    }
    println!("metadata crash: 40 seeds, {mid_save} crashed inside a save");
    assert!(
        mid_save > 0,
        "no crash landed inside a save: the test proves nothing"
    );
}
