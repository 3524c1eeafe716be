//! Property test of the message store under SimDisk: random concurrent appends (single and
//! batch, sizes crossing 64 KiB segments), random reads, a crash at a random moment (process
//! kill, or power loss with a torn in-flight write), restart and recovery; then the oracle:
//!
//! * SYNC_FLUSH: every append acknowledged `Ok` is readable, byte-identical, at its offsets.
//! * ASYNC_FLUSH + kill: likewise for every acknowledged append.
//! * ASYNC_FLUSH + power loss: the survivors are exactly the acknowledged appends below the
//!   recovered end (a prefix); the loss is counted and reported.
//! * Always: every consume-queue entry points at a valid record of its topic and queue with
//!   that queue offset; queue offsets are dense; the writer continues each queue at its max;
//!   every surviving keyed message is found by key (UNIQ_KEY and KEYS).
//! * Then a clean shutdown and a normal reopen change nothing.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use rocketsim::env::{Random, RandomExt};
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::sysflag::SysFlag;
use rocketsim::store::{
    FlushMode, IllegalReason, MessageStore, PutError, PutMessage, PutStatus, StoreConfig,
};
use rocketsim_sim::{run, DiskFaults, SimConfig, SimEnv};

const TOPICS: [&str; 2] = ["TopicA", "Topic_B"];
const QUEUES: i32 = 3;
const WRITERS: usize = 4;

/// One acknowledged append, with the bytes read back right after it.
#[derive(Clone, Debug)]
struct Acked {
    topic: String,
    queue_id: i32,
    queue_offset: u64,
    physical_offset: u64,
    bytes: Bytes,
    uniq_key: String,
    durable_claimed: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Crash {
    Kill,
    PowerLoss,
}

#[derive(Debug, Default)]
struct Summary {
    acked: usize,
    lost: usize,
    torn_kept: u64,
    zeroed: u64,
}

fn config(mode: FlushMode) -> StoreConfig {
    let mut config = StoreConfig::small("store");
    config.flush_mode = mode;
    config.dispatch_interval_ms = 10;
    config.store_host = "10.0.0.1:10911".parse().unwrap();
    config
}

fn message(rng: &SimEnv, writer: usize, n: u64, topic: &str, queue_id: i32) -> PutMessage {
    let big = rng.chance(0.05);
    let len = if big {
        rng.between(8_000, 15_000)
    } else {
        rng.between(0, 2_500)
    };
    let mut body = vec![0u8; len as usize];
    rng.fill(&mut body);
    let mut properties = Properties::new();
    properties
        .insert("UNIQ_KEY", format!("W{writer}N{n}"))
        .unwrap();
    if rng.chance(0.5) {
        properties
            .set_keys([format!("k{}", n % 7).as_str(), "order"])
            .unwrap();
    }
    if rng.chance(0.7) {
        properties
            .insert("TAGS", ["TagA", "TagB", "TagC"][rng.below(3) as usize])
            .unwrap();
    }
    PutMessage {
        topic: topic.to_string(),
        queue_id,
        flag: rng.below(4) as i32,
        body: Bytes::from(body),
        properties,
        sys_flag: SysFlag::default(),
        born_timestamp_ms: 1_700_000_000_000 + n as i64,
        born_host: SocketAddr::new(IpAddr::from([10, 0, 0, 9]), 40_000 + writer as u16),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

/// One writer: appends until killed, recording every acknowledgement; reads back at random.
async fn writer(
    store: MessageStore<SimEnv>,
    rng: SimEnv,
    id: usize,
    acked: Arc<Mutex<Vec<Acked>>>,
) {
    let mut n = 0u64;
    loop {
        rng_sleep(&rng).await;
        let topic = TOPICS[rng.below(2) as usize];
        let queue_id = rng.below(QUEUES as u64) as i32;
        let count = if rng.chance(0.3) {
            rng.between(2, 8)
        } else {
            1
        };
        let batch: Vec<PutMessage> = (0..count)
            .map(|i| message(&rng, id, n + i, topic, queue_id))
            .collect();
        n += count;
        let result = match store.put_batch(&batch).await {
            Ok(result) => result,
            // A batch of large bodies may not fit a 64 KiB segment: a typed refusal.
            Err(PutError::MessageIllegal(IllegalReason::LargerThanSegment { .. })) => continue,
            Err(other) => panic!("append refused: {other}"),
        };
        let appended = result.appended;
        for (i, (m, phys)) in batch.iter().zip(&appended.physical_offsets).enumerate() {
            let bytes = store.read(*phys).expect("read your own write");
            acked.lock().push(Acked {
                topic: m.topic.clone(),
                queue_id,
                queue_offset: appended.queue_offset + i as u64,
                physical_offset: *phys,
                bytes,
                uniq_key: m.properties.uniq_key().unwrap().to_string(),
                durable_claimed: result.status == PutStatus::Ok,
            });
        }
        if rng.chance(0.2) {
            let pick = {
                let all = acked.lock();
                (!all.is_empty()).then(|| all[rng.below(all.len() as u64) as usize].clone())
            };
            if let Some(a) = pick {
                assert_eq!(
                    store.read(a.physical_offset).unwrap(),
                    a.bytes,
                    "read back differs"
                );
            }
        }
    }
}

async fn rng_sleep(rng: &SimEnv) {
    use rocketsim::env::Clock;
    let ms = rng.below(6);
    if ms > 0 {
        rng.sleep(Duration::from_millis(ms)).await;
    }
}

fn scenario(seed: u64) -> (FlushMode, Crash, bool) {
    let mode = if seed.is_multiple_of(2) {
        FlushMode::Sync
    } else {
        FlushMode::Async
    };
    let crash = if (seed / 2).is_multiple_of(2) {
        Crash::PowerLoss
    } else {
        Crash::Kill
    };
    (mode, crash, (seed / 4).is_multiple_of(2))
}

fn run_seed(seed: u64) -> Summary {
    let (mode, crash, latency) = scenario(seed);
    let ip: IpAddr = "10.0.0.1".parse().unwrap();
    let outcome = run(SimConfig::new(seed), move |world| async move {
        let node = world.add_client_node("broker", ip);
        if latency {
            world.set_disk_faults(
                node,
                DiskFaults {
                    enabled: true,
                    fsync_latency_ms: (1, 8),
                    ..DiskFaults::default()
                },
            );
        }
        let plan = world.env(node).fork("plan");
        let cut_ms = plan.between(20, 1_500);
        let store = world
            .run_on(node, move |env| async move {
                MessageStore::open(env, config(mode)).await.unwrap()
            })
            .await
            .unwrap();
        let acked = Arc::new(Mutex::new(Vec::new()));
        let writers: Vec<_> = (0..WRITERS)
            .map(|id| {
                let (store, acked) = (store.clone(), acked.clone());
                world.run_on(node, move |env| {
                    let rng = env.fork(&format!("writer-{id}"));
                    writer(store, rng, id, acked)
                })
            })
            .collect();
        let cut = async {
            world.sleep(Duration::from_millis(cut_ms)).await;
            match crash {
                Crash::Kill => {
                    world.kill(node);
                    None
                }
                Crash::PowerLoss => Some(world.power_loss(node)),
            }
        };
        let (_, report) = futures::join!(futures::future::join_all(writers), cut);
        drop(store);
        world.restart(node);
        let acked = acked.lock().clone();
        let summary = world
            .run_on(node, move |env| async move {
                verify(env, mode, crash, acked).await
            })
            .await
            .unwrap();
        Summary {
            torn_kept: report.map_or(0, |r| r.torn_sectors_kept),
            ..summary
        }
    });
    match outcome.output {
        Ok(summary) => summary,
        Err(failure) => panic!("seed {seed} ({mode:?}, {crash:?}, latency {latency}): {failure}"),
    }
}

async fn verify(env: SimEnv, mode: FlushMode, crash: Crash, acked: Vec<Acked>) -> Summary {
    let store = MessageStore::open(env.clone(), config(mode)).await.unwrap();
    let report = store.recovery_report().clone();
    assert!(report.abnormal, "the abort file marks the crash");
    let end = store.max_physical_offset();
    let mut lost = 0;
    for a in &acked {
        let must_survive = match (mode, crash) {
            (FlushMode::Sync, _) => a.durable_claimed,
            (FlushMode::Async, Crash::Kill) => true,
            (FlushMode::Async, Crash::PowerLoss) => false,
        };
        if a.physical_offset < end {
            let bytes = store
                .read(a.physical_offset)
                .expect("a surviving record reads");
            assert_eq!(bytes, a.bytes, "survivor at {} differs", a.physical_offset);
        } else {
            assert!(
                !must_survive,
                "acknowledged durable append at {} lost (end {end})",
                a.physical_offset
            );
            lost += 1;
        }
    }
    check_queues(&store, &acked, end);
    check_index(&store, &acked, end);
    store.shutdown().await.unwrap();
    let reopened = MessageStore::open(env, config(mode)).await.unwrap();
    assert!(!reopened.recovery_report().abnormal);
    assert_eq!(
        reopened.max_physical_offset(),
        end,
        "normal recovery keeps everything"
    );
    check_queues(&reopened, &acked, end);
    reopened.shutdown().await.unwrap();
    Summary {
        acked: acked.len(),
        lost,
        torn_kept: 0,
        zeroed: report.log_bytes_zeroed,
    }
}

/// Every queue is dense from its min to its max, every entry is a valid record of that
/// queue at that offset, survivors are where they were acknowledged, and the writer goes on
/// at each queue's max.
fn check_queues(store: &MessageStore<SimEnv>, acked: &[Acked], end: u64) {
    let next = store.next_queue_offsets();
    for (topic, queue_id) in store.queues() {
        let (min, max) = store.queue_offsets(&topic, queue_id);
        assert_eq!(
            next.get(&(topic.clone(), queue_id)).copied().unwrap_or(0),
            max
        );
        let read = store
            .read_queue(&topic, queue_id, min, usize::MAX, u64::MAX, None)
            .unwrap();
        assert_eq!(
            read.entries.len() as u64,
            max - min,
            "{topic}/{queue_id} not dense"
        );
        for (q, entry) in read.entries {
            assert!(entry.physical_offset + u64::from(entry.size) <= end);
            let (bytes, record) = store
                .read_record(entry.physical_offset)
                .expect("entry points at a record");
            assert_eq!(bytes.len(), entry.size as usize);
            assert_eq!(
                (record.topic.as_str(), record.queue_id, record.queue_offset),
                (topic.as_str(), queue_id, q)
            );
        }
    }
    for a in acked.iter().filter(|a| a.physical_offset < end) {
        let read = store
            .read_queue(&a.topic, a.queue_id, a.queue_offset, 1, 1, None)
            .unwrap();
        assert_eq!(
            read.entries.first().map(|e| (e.0, e.1.physical_offset)),
            Some((a.queue_offset, a.physical_offset))
        );
    }
}

fn check_index(store: &MessageStore<SimEnv>, acked: &[Acked], end: u64) {
    for a in acked.iter().filter(|a| a.physical_offset < end) {
        let found = store
            .query_by_key(&a.topic, &a.uniq_key, 0, i64::MAX, 32)
            .unwrap();
        assert!(
            found.contains(&a.physical_offset),
            "{} not found by key",
            a.uniq_key
        );
    }
}

#[test]
fn store_survives_crashes_across_seeds() {
    let seeds: u64 = std::env::var("STORE_CRASH_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200);
    let mut total = Summary::default();
    let mut lossy_power_runs = 0;
    for seed in 0..seeds {
        let s = run_seed(seed);
        assert!(
            s.acked > 0,
            "seed {seed}: nothing was appended before the crash"
        );
        if s.lost > 0 {
            lossy_power_runs += 1;
        }
        total.acked += s.acked;
        total.lost += s.lost;
        total.torn_kept += s.torn_kept;
        total.zeroed += s.zeroed;
    }
    println!("store_crash: {seeds} seeds, {} appends acknowledged, {} lost to power loss in {lossy_power_runs} runs (ASYNC_FLUSH or unconfirmed SYNC), {} torn sectors kept, {} stale bytes zeroed", total.acked, total.lost, total.torn_kept, total.zeroed);
    assert!(
        lossy_power_runs > 0,
        "some power loss must lose an unflushed tail"
    );
    assert!(
        total.torn_kept > 0,
        "some power loss must keep a torn write"
    );
}
