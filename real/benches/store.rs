//! Store benchmarks on this machine's disk (run: `cargo bench -p rocketsim-real --bench store`):
//! ASYNC_FLUSH append throughput of 1 KiB messages next to a plain sequential write() of the
//! same bytes in the same directory; SYNC_FLUSH puts/s with 1, 16 and 64 concurrent writers
//! (group commit); consume-queue read throughput; recovery time after an abort.
//! Sizes come from env vars: STORE_BENCH_MSGS (default 200 000), STORE_BENCH_RECOVERY_MIB
//! (default 1024), STORE_BENCH_ONLY (comma list of `async`, `sync`, `recovery`; all when
//! unset: for profiling one phase).

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::sysflag::SysFlag;
use rocketsim::store::{FlushMode, MessageStore, PutMessage, StoreConfig};
use rocketsim_real::TokioEnv;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn config(root: &Path, mode: FlushMode) -> StoreConfig {
    let mut c = StoreConfig::new(root);
    c.flush_mode = mode;
    c.commitlog_segment_bytes = 256 << 20;
    c.check_crc_on_read = false;
    c
}

/// The recovery figure should not include the stale-lock lease wait (3 beats), so that phase
/// refreshes the lock every 10 ms. Only that phase: each refresh is an atomic file replace with
/// two fsyncs, and 150 fsyncs/s of the lock file (measured with `perf stat`) in the SYNC_FLUSH
/// phases would share the disk and the ext4 journal with the group commit being measured.
fn recovery_config(root: &Path) -> StoreConfig {
    let mut c = config(root, FlushMode::Async);
    c.lock_refresh_interval_ms = 10;
    c
}

fn message(n: u64, queue_id: i32) -> PutMessage {
    let mut properties = Properties::new();
    properties
        .insert("UNIQ_KEY", format!("BENCH{n:016}"))
        .unwrap();
    PutMessage {
        topic: "BenchTopic".into(),
        queue_id,
        flag: 0,
        body: Bytes::from(vec![7u8; 1024]),
        properties,
        sys_flag: SysFlag::default(),
        born_timestamp_ms: 0,
        born_host: "127.0.0.1:1".parse::<SocketAddr>().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let msgs = env_u64("STORE_BENCH_MSGS", 200_000);
    let base = std::env::var("STORE_BENCH_DIR")
        .unwrap_or_else(|_| "/work/target-store/bench-store".into());
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(&base).unwrap();
    let base = Path::new(&base);
    println!(
        "store bench: {msgs} messages of 1 KiB body, dir {}",
        base.display()
    );
    let only = std::env::var("STORE_BENCH_ONLY").unwrap_or_default();
    let runs = |phase: &str| only.is_empty() || only.split(',').any(|p| p == phase);
    if runs("async") {
        let bytes = async_append(&base.join("async"), msgs);
        plain_write(&base.join("plain.bin"), bytes, msgs);
    }
    if runs("sync") {
        for writers in [1usize, 16, 64] {
            sync_append(&base.join(format!("sync{writers}")), writers);
        }
    }
    if runs("recovery") {
        recovery(
            &base.join("recovery"),
            env_u64("STORE_BENCH_RECOVERY_MIB", 1024),
        );
    }
    let _ = std::fs::remove_dir_all(base);
}

/// Anonymous resident memory (heap and stacks, not mapped files) of this process, in KiB:
/// the figure that must not grow with the data stored.
fn rss_anon_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("RssAnon:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn async_append(root: &Path, msgs: u64) -> u64 {
    runtime().block_on(async {
        let store = MessageStore::open(TokioEnv::new(), config(root, FlushMode::Async))
            .await
            .unwrap();
        let messages: Vec<PutMessage> = (0..1000).map(|n| message(n, (n % 4) as i32)).collect();
        let start = Instant::now();
        let mut rss_samples = Vec::new();
        for n in 0..msgs {
            store
                .put(messages[(n % 1000) as usize].clone())
                .await
                .unwrap();
            if n % (msgs / 4).max(1) == 0 {
                rss_samples.push((n, rss_anon_kib()));
            }
        }
        let elapsed = start.elapsed();
        rss_samples.push((msgs, rss_anon_kib()));
        let samples: Vec<String> = rss_samples
            .iter()
            .map(|(n, kib)| format!("{n} msgs: {kib} KiB"))
            .collect();
        println!("anonymous RSS while appending: {}", samples.join(", "));
        let bytes = store.max_physical_offset();
        report("ASYNC_FLUSH append", msgs, bytes, elapsed);
        // Consume-queue reads: every entry, 32 at a time, and the record bytes.
        while store.dispatched_offset() < store.max_physical_offset() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let start = Instant::now();
        let mut entries = 0u64;
        for q in 0..4 {
            let (mut at, max) = store.queue_offsets("BenchTopic", q);
            while at < max {
                let read = store.read_queue("BenchTopic", q, at, 32, 32, None).unwrap();
                for (_, e) in &read.entries {
                    std::hint::black_box(store.read(e.physical_offset).unwrap());
                }
                entries += read.entries.len() as u64;
                at = read.next_offset;
            }
        }
        report(
            "consume-queue read (32/batch) + record read",
            entries,
            bytes,
            start.elapsed(),
        );
        store.shutdown().await.unwrap();
        bytes
    })
}

fn plain_write(path: &Path, bytes: u64, msgs: u64) {
    let record = vec![7u8; (bytes / msgs) as usize];
    let mut file = std::fs::File::create(path).unwrap();
    let start = Instant::now();
    for _ in 0..msgs {
        file.write_all(&record).unwrap();
    }
    report("plain write() same bytes", msgs, bytes, start.elapsed());
    drop(file);
    std::fs::remove_file(path).unwrap();
}

fn sync_append(root: &Path, writers: usize) {
    runtime().block_on(async {
        let store = MessageStore::open(TokioEnv::new(), config(root, FlushMode::Sync))
            .await
            .unwrap();
        let run_for = Duration::from_secs(3);
        let start = Instant::now();
        let tasks: Vec<_> = (0..writers)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut n = 0u64;
                    while start.elapsed() < run_for {
                        store.put(message(n, (w % 4) as i32)).await.unwrap();
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        let mut total = 0;
        for t in tasks {
            total += t.await.unwrap();
        }
        let elapsed = start.elapsed();
        report(
            &format!("SYNC_FLUSH {writers} writers"),
            total,
            store.max_physical_offset(),
            elapsed,
        );
        store.shutdown().await.unwrap();
    })
}

fn recovery(root: &Path, mib: u64) {
    let target = mib << 20;
    runtime().block_on(async {
        let store = MessageStore::open(TokioEnv::new(), recovery_config(root))
            .await
            .unwrap();
        let messages: Vec<PutMessage> = (0..1000).map(|n| message(n, (n % 4) as i32)).collect();
        let mut n = 0;
        while store.max_physical_offset() < target {
            store.put(messages[n % 1000].clone()).await.unwrap();
            n += 1;
        }
        store.flush_now().await.unwrap();
        // No shutdown: the runtime ends and the abort file stays.
    });
    let start = Instant::now();
    runtime().block_on(async {
        let store = MessageStore::open(TokioEnv::new(), recovery_config(root)).await.unwrap();
        let elapsed = start.elapsed();
        let r = store.recovery_report().clone();
        println!(
            "recovery after abort: {} MiB log, validated from {} , {:.2} s ({:.0} MB/s), abnormal={}",
            store.max_physical_offset() >> 20,
            r.validated_from,
            elapsed.as_secs_f64(),
            (store.max_physical_offset() - r.validated_from) as f64 / 1e6 / elapsed.as_secs_f64(),
            r.abnormal
        );
        store.shutdown().await.unwrap();
    });
}

fn report(what: &str, count: u64, bytes: u64, elapsed: Duration) {
    let s = elapsed.as_secs_f64();
    println!(
        "{what:<45} {count:>9} in {s:>6.2} s: {:>10.0} /s, {:>8.1} MB/s",
        count as f64 / s,
        bytes as f64 / 1e6 / s
    );
}
