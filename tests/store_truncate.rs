//! `MessageStore::truncate_to` and the dispatch limit on SimDisk (§5.8): a cut at a record
//! boundary drops exactly the tail, durably (a power loss right after it does not bring the
//! tail back — rocketmq#10666), consume queues and the writer's queue offsets follow, the
//! index returns nothing of the cut tail, and a cut inside a record is refused. The dispatch
//! limit (confirm offset) bounds what consumers can read until it is raised.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use bytes::Bytes;
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::sysflag::SysFlag;
use rocketsim::store::{FlushMode, MessageStore, PutMessage, StoreConfig, StoreError};
use rocketsim_sim::{run, SimConfig, SimEnv, World};

const TOPIC: &str = "CutTopic";

fn config() -> StoreConfig {
    let mut config = StoreConfig::small("store");
    config.flush_mode = FlushMode::Async;
    config.dispatch_interval_ms = 10;
    config.store_host = "10.0.0.1:10911".parse().unwrap();
    config
}

fn message(n: u64) -> PutMessage {
    let mut properties = Properties::new();
    properties.insert("UNIQ_KEY", format!("U{n}")).unwrap();
    properties.set_keys([format!("k{n}").as_str()]).unwrap();
    PutMessage {
        topic: TOPIC.into(),
        queue_id: (n % 2) as i32,
        flag: 0,
        body: Bytes::from(vec![(n % 251) as u8; 2_000 + (n as usize * 131) % 2_000]),
        properties,
        sys_flag: SysFlag::default(),
        born_timestamp_ms: 1_700_000_000_000 + n as i64,
        born_host: "10.0.0.9:40000".parse::<SocketAddr>().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

/// Appends messages `from..to`; returns each one's physical offset.
async fn put_range(store: &MessageStore<SimEnv>, from: u64, to: u64) -> Vec<u64> {
    let mut offsets = Vec::new();
    for n in from..to {
        let result = store.put(message(n)).await.expect("put");
        offsets.push(result.appended.physical_offsets[0]);
    }
    offsets
}

fn sim<F, Fut>(seed: u64, script: F)
where
    F: FnOnce(World) -> Fut + Send,
    Fut: std::future::Future<Output = ()>,
{
    let mut config = SimConfig::new(seed);
    config.time_limit = Some(Duration::from_secs(300));
    if let Err(failure) = run(config, script).output {
        panic!("seed {seed}: {failure}");
    }
}

fn ip() -> IpAddr {
    "10.0.0.1".parse().unwrap()
}

fn keyed(store: &MessageStore<SimEnv>, n: u64) -> Vec<u64> {
    store
        .query_by_key(TOPIC, &format!("k{n}"), 0, i64::MAX, 10)
        .expect("query")
}

#[test]
fn a_cut_drops_exactly_the_tail_and_survives_a_power_loss_right_after() {
    sim(11, |world| async move {
        let node = world.add_client_node("broker", ip());
        let (keep, offsets) = world
            .run_on(node, |env| async move {
                let store = MessageStore::open(env, config()).await.unwrap();
                // ~40 messages of 2–4 KiB: several 64 KiB segments.
                let offsets = put_range(&store, 0, 40).await;
                store.flush_now().await.unwrap();
                let max = store.max_physical_offset();
                let keep = offsets[23];
                assert!(matches!(
                    store.truncate_to(keep + 1, "test").await,
                    Err(StoreError::NotABoundary { .. })
                ));
                assert!(matches!(
                    store.truncate_to(max + 8, "test").await,
                    Err(StoreError::NotABoundary { .. })
                ));
                assert_eq!(store.truncate_to(keep, "test").await.unwrap(), max - keep);
                assert_eq!(store.max_physical_offset(), keep);
                // Messages 0..23 stay: queue 0 holds 12 (even n), queue 1 holds 11 (odd n).
                assert_eq!(store.queue_offsets(TOPIC, 0).1, 12);
                assert_eq!(store.queue_offsets(TOPIC, 1).1, 11);
                assert_eq!(store.next_queue_offsets()[&(TOPIC.to_string(), 0)], 12);
                assert_eq!(
                    keyed(&store, 30),
                    Vec::<u64>::new(),
                    "index hit of the cut tail"
                );
                assert_eq!(keyed(&store, 5), vec![offsets[5]]);
                (keep, offsets)
            })
            .await
            .unwrap();
        world.power_loss(node);
        world.restart(node);
        world
            .run_on(node, move |env| async move {
                let store = MessageStore::open(env, config()).await.unwrap();
                assert_eq!(store.max_physical_offset(), keep, "the cut tail came back");
                assert_eq!(store.queue_offsets(TOPIC, 0).1, 12);
                assert_eq!(store.queue_offsets(TOPIC, 1).1, 11);
                assert_eq!(keyed(&store, 30), Vec::<u64>::new());
                // The writer continues right after the cut, with dense queue offsets.
                let result = store.put(message(100)).await.unwrap();
                assert_eq!(result.appended.physical_offsets[0], keep);
                assert_eq!(result.appended.queue_offset, 12);
                let (_, kept) = store.read_record(offsets[22]).unwrap();
                assert_eq!(kept.properties.uniq_key(), Some("U22"));
                store.shutdown().await.unwrap();
            })
            .await
            .unwrap();
    });
}

#[test]
fn a_cut_rebuilds_queue_offsets_of_records_not_yet_dispatched() {
    sim(12, |world| async move {
        let node = world.add_client_node("broker", ip());
        world
            .run_on(node, |env| async move {
                let store = MessageStore::open(env, config()).await.unwrap();
                let offsets = put_range(&store, 0, 10).await;
                store.flush_now().await.unwrap();
                // Hold dispatching at message 4, append more, cut at message 7.
                store.set_dispatch_limit(Some(offsets[4]));
                let more = put_range(&store, 10, 14).await;
                assert_eq!(more.len(), 4);
                assert!(store.truncate_to(offsets[7], "test").await.unwrap() > 0);
                // Messages 0..7 kept: queue 0 has n = 0,2,4,6 → next 4; queue 1: 1,3,5 → 3.
                let next = store.next_queue_offsets();
                assert_eq!(next[&(TOPIC.to_string(), 0)], 4);
                assert_eq!(next[&(TOPIC.to_string(), 1)], 3);
                store.set_dispatch_limit(None);
                store.flush_now().await.unwrap();
                assert_eq!(store.queue_offsets(TOPIC, 0).1, 4);
                assert_eq!(store.queue_offsets(TOPIC, 1).1, 3);
                let result = store.put(message(20)).await.unwrap();
                assert_eq!(result.appended.queue_offset, 4);
                store.shutdown().await.unwrap();
            })
            .await
            .unwrap();
    });
}

#[test]
fn the_dispatch_limit_bounds_what_consumers_see_until_raised() {
    sim(13, |world| async move {
        let node = world.add_client_node("broker", ip());
        world
            .run_on(node, |env| async move {
                let store = MessageStore::open(env.clone(), config()).await.unwrap();
                let first = put_range(&store, 0, 2).await;
                store.flush_now().await.unwrap();
                // A limit inside message 2 (not a boundary) must not stall the dispatcher.
                store.set_dispatch_limit(Some(first[1] + 10));
                let offsets = put_range(&store, 2, 12).await;
                let end_of_6 = offsets[5];
                store.set_dispatch_limit(Some(end_of_6));
                store.flush_now().await.unwrap();
                // Messages 0..=6 visible: queue 0 has 0,2,4,6; queue 1 has 1,3,5.
                assert_eq!(store.queue_offsets(TOPIC, 0).1, 4);
                assert_eq!(store.queue_offsets(TOPIC, 1).1, 3);
                assert_eq!(store.dispatch_limit(), Some(end_of_6));
                store.set_dispatch_limit(None);
                use rocketsim::env::Clock;
                env.sleep(Duration::from_millis(50)).await;
                assert_eq!(store.queue_offsets(TOPIC, 0).1, 6);
                assert_eq!(store.queue_offsets(TOPIC, 1).1, 6);
                store.shutdown().await.unwrap();
            })
            .await
            .unwrap();
    });
}
