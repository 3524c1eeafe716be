//! Targeted store cases on SimDisk, in virtual time (72 hours cost microseconds):
//! retention at the `deleteWhen` hour, forced deletion above the usage thresholds, writes
//! refused with `DiskFull`, typed results for reads of deleted ranges, group commit making
//! many SYNC_FLUSH puts durable with fewer syncs, and `FlushDiskTimeout` on a slow fsync with
//! the message stored and readable.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use rocketsim::env::Clock;
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::sysflag::SysFlag;
use rocketsim::store::{
    FlushMode, MessageStore, PutError, PutMessage, PutStatus, ReadError, StoreConfig,
};
use rocketsim_sim::{run, DiskFaults, NodeId, SimConfig, SimEnv, World};

const HOUR_MS: u64 = 3_600_000;

fn config(mode: FlushMode) -> StoreConfig {
    let mut config = StoreConfig::small("store");
    config.flush_mode = mode;
    // Rounds run only when a test asks (`clean_now`), except the one at open.
    config.clean_interval_ms = 24 * HOUR_MS;
    config
}

fn message(n: u64, body_bytes: usize) -> PutMessage {
    let mut properties = Properties::new();
    properties.insert("UNIQ_KEY", format!("M{n}")).unwrap();
    PutMessage {
        topic: "Retained".into(),
        queue_id: 0,
        flag: 0,
        body: Bytes::from(vec![(n % 251) as u8; body_bytes]),
        properties,
        sys_flag: SysFlag::default(),
        born_timestamp_ms: n as i64,
        born_host: "10.0.0.9:4000".parse::<SocketAddr>().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

/// Runs `script` on a fresh world with one store node.
fn sim<T: Send + 'static, Fut: std::future::Future<Output = T> + 'static>(
    seed: u64,
    script: impl FnOnce(World, NodeId) -> Fut + Send + 'static,
) -> T {
    let outcome = run(SimConfig::new(seed), move |world| async move {
        let node = world.add_client_node("broker", "10.0.0.1".parse().unwrap());
        script(world, node).await
    });
    outcome
        .output
        .unwrap_or_else(|f| panic!("seed {seed}: {f}"))
}

async fn open(world: &World, node: NodeId, config: StoreConfig) -> MessageStore<SimEnv> {
    world
        .run_on(node, move |env| async move {
            MessageStore::open(env, config).await.unwrap()
        })
        .await
        .unwrap()
}

async fn fill(store: &MessageStore<SimEnv>, count: u64, body_bytes: usize) -> Vec<u64> {
    let mut offsets = Vec::new();
    for n in 0..count {
        let r = store.put(message(n, body_bytes)).await.unwrap();
        offsets.push(r.appended.physical_offsets[0]);
    }
    store.flush_now().await.unwrap();
    offsets
}

/// Milliseconds from `now_ms` to the next `hour`:00:30 UTC (at least one minute away).
fn until_hour(now_ms: u64, hour: u64) -> u64 {
    let day = 24 * HOUR_MS;
    let target = hour * HOUR_MS + 30_000;
    let at = now_ms % day;
    if at + 60_000 <= target {
        target - at
    } else {
        day - at + target
    }
}

#[test]
fn expired_files_go_at_the_delete_when_hour_and_reads_below_min_are_typed() {
    sim(1, |world, node| async move {
        let store = open(&world, node, config(FlushMode::Async)).await;
        let offsets = fill(&store, 3_000, 100).await;
        let env = world.env(node);
        let segments_before = store.max_physical_offset() / (64 * 1024);
        // 73 hours later, one hour before 04:00: expired, but not the hour and no pressure.
        world.clock_step(
            node,
            (72 * HOUR_MS + until_hour(env.now_millis(), 3)) as i64,
        );
        let early = store.clean_now(false).unwrap();
        assert_eq!(
            early.log_segments_removed, 0,
            "not at deleteWhen: {early:?}"
        );
        assert_eq!(store.min_physical_offset(), 0);
        world.clock_step(node, until_hour(env.now_millis(), 4) as i64);
        let round = store.clean_now(false).unwrap();
        assert!(
            round.log_segments_removed >= segments_before.min(10) as usize - 1,
            "{round:?}"
        );
        assert!(round.queue_segments_removed > 0, "{round:?}");
        assert!(round.index_files_removed > 0, "{round:?}");
        let min = store.min_physical_offset();
        assert!(min > 0);
        // Reads of the deleted range: typed, never bytes of something else.
        match store.read(offsets[0]) {
            Err(ReadError::OutOfRange { offset: 0, .. }) => {}
            other => panic!("read below min: {other:?}"),
        }
        let (q_min, q_max) = store.queue_offsets("Retained", 0);
        assert!(q_min > 0 && q_max == 3_000);
        match store.read_queue("Retained", 0, 0, 8, 8, None) {
            Err(ReadError::QueueOffsetTooSmall { offset: 0, min }) => assert_eq!(min, q_min),
            other => panic!("queue read below min: {other:?}"),
        }
        let first = store.read_queue("Retained", 0, q_min, 1, 1, None).unwrap();
        let (q, entry) = first.entries[0];
        assert_eq!((q, entry.physical_offset), (q_min, offsets[q_min as usize]));
        assert!(
            entry.physical_offset >= min,
            "queue min points into the kept log"
        );
        assert!(store
            .query_by_key("Retained", "M0", 0, i64::MAX, 8)
            .unwrap()
            .is_empty());
        let last = format!("M{}", 2_999);
        assert_eq!(
            store
                .query_by_key("Retained", &last, 0, i64::MAX, 8)
                .unwrap(),
            vec![offsets[2_999]]
        );
        store.shutdown().await.unwrap();
    });
}

#[test]
fn usage_over_the_forcible_ratio_deletes_unexpired_files_and_over_the_full_ratio_refuses() {
    sim(2, |world, node| async move {
        let store = open(&world, node, config(FlushMode::Async)).await;
        fill(&store, 600, 1_000).await;
        let used = store.clean_now(false).unwrap();
        assert_eq!(used.log_segments_removed, 0, "nothing expired, no pressure");
        store.shutdown().await.unwrap();
        let usage = world.disk(node).usage();
        // Reopen with the store's share of the disk at 88 % used: over 85 %, under 90 %.
        let mut tight = config(FlushMode::Async);
        tight.capacity_bytes = usage * 100 / 88;
        let store = open(&world, node, tight.clone()).await;
        assert!(
            store.min_physical_offset() > 0,
            "open's round deleted unexpired files"
        );
        let after = store.clean_now(false).unwrap();
        assert!(after.used_pct < 85 && !after.disk_full, "{after:?}");
        store.put(message(9_999, 100)).await.unwrap();
        store.shutdown().await.unwrap();
        // One segment's worth over 90 % of a tiny share: nothing deletable is left.
        let mut full = tight;
        full.capacity_bytes = 64 * 1024;
        let store = open(&world, node, full).await;
        match store.put(message(10_000, 100)).await {
            Err(PutError::DiskFull {
                used_pct,
                limit_pct,
            }) => {
                assert!(used_pct >= limit_pct && limit_pct == 90)
            }
            other => panic!("expected DiskFull, got {other:?}"),
        }
        store.shutdown().await.unwrap();
    });
}

#[test]
fn group_commit_makes_concurrent_sync_puts_durable_with_fewer_syncs() {
    sim(3, |world, node| async move {
        let store = open(&world, node, config(FlushMode::Sync)).await;
        let before = world.disk(node).stats().syncs;
        let writers: Vec<_> = (0..64u64)
            .map(|w| {
                let store = store.clone();
                world.run_on(node, move |_env| async move {
                    let mut ok = 0;
                    for n in 0..10 {
                        let r = store.put(message(w * 100 + n, 200)).await.unwrap();
                        ok += u64::from(r.status == PutStatus::Ok);
                    }
                    ok
                })
            })
            .collect();
        let ok: u64 = futures::future::join_all(writers)
            .await
            .into_iter()
            .map(Result::unwrap)
            .sum();
        let syncs = world.disk(node).stats().syncs - before;
        println!("group commit: 640 SYNC_FLUSH puts, {ok} Ok, {syncs} syncs");
        assert_eq!(ok, 640, "every put acknowledged durable");
        assert!(syncs * 4 < 640, "{syncs} syncs for 640 puts: no batching");
        assert_eq!(store.flushed_physical_offset(), store.max_physical_offset());
        store.shutdown().await.unwrap();
    });
}

#[test]
fn a_slow_fsync_times_the_put_out_but_the_message_is_stored() {
    sim(4, |world, node| async move {
        let store = open(&world, node, config(FlushMode::Sync)).await;
        world.set_disk_faults(
            node,
            DiskFaults {
                enabled: true,
                fsync_latency_ms: (6_000, 6_000),
                ..DiskFaults::default()
            },
        );
        let r = store.put(message(1, 300)).await.unwrap();
        assert_eq!(r.status, PutStatus::FlushDiskTimeout);
        let at = r.appended.physical_offsets[0];
        let (_, record) = store.read_record(at).expect("stored and readable");
        assert_eq!(record.properties.uniq_key(), Some("M1"));
        world.sleep(Duration::from_secs(10)).await;
        assert!(
            store.flushed_physical_offset() >= r.appended.end_offset,
            "durable later"
        );
        world.set_disk_faults(node, DiskFaults::default());
        store.shutdown().await.unwrap();
    });
}

/// SYNC_FLUSH: a record is published to its queue only once it is durable, so no consumer can
/// read a message a power loss could still take away (a `WAIT=false` put returns before its
/// sync; the queue shows it only after the group commit).
#[test]
fn sync_flush_publishes_only_durable_records() {
    sim(5, |world, node| async move {
        let store = open(&world, node, config(FlushMode::Sync)).await;
        world.set_disk_faults(
            node,
            DiskFaults {
                enabled: true,
                fsync_latency_ms: (400, 400),
                ..DiskFaults::default()
            },
        );
        let mut unsynced = message(1, 100);
        unsynced.properties.insert("WAIT", "false").unwrap();
        store.put(unsynced).await.unwrap();
        world.sleep(Duration::from_millis(100)).await;
        assert!(store.flushed_physical_offset() < store.max_physical_offset());
        assert_eq!(
            store.queue_offsets("Retained", 0).1,
            0,
            "not durable: not visible"
        );
        world.sleep(Duration::from_millis(600)).await;
        assert_eq!(store.flushed_physical_offset(), store.max_physical_offset());
        assert_eq!(store.queue_offsets("Retained", 0).1, 1, "durable: visible");
        world.set_disk_faults(node, DiskFaults::default());
        store.shutdown().await.unwrap();
    });
}
