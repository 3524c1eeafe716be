//! The store on the real environment (tokio + memmap2) in a temporary directory: restart after
//! a clean shutdown and after an abort, and recovery from damaged files (corrupted bytes mid
//! segment and at the tail, a truncated segment, a zero-filled tail, consume-queue entries
//! pointing past the log): it truncates at the first invalid record, never panics and never
//! serves a corrupt record.

use std::net::SocketAddr;
use std::path::Path;

use bytes::Bytes;
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::sysflag::SysFlag;
use rocketsim::store::{segment_name, FlushMode, MessageStore, PutMessage, StoreConfig};
use rocketsim_real::TokioEnv;

/// Runs `body` on a fresh two-worker tokio runtime; dropping the runtime at the end kills
/// every task still running, as a process exit would.
fn on_real<T, Fut: std::future::Future<Output = T>>(body: impl FnOnce(TokioEnv) -> Fut) -> T {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(body(TokioEnv::new()))
}

/// (physical offset, bytes, uniq key) of each appended message.
type Written = Vec<(u64, Bytes, String)>;

fn config(root: &Path, mode: FlushMode) -> StoreConfig {
    let mut config = StoreConfig::small(root);
    config.flush_mode = mode;
    config
}

fn message(n: u64, queue_id: i32) -> PutMessage {
    let mut properties = Properties::new();
    properties.insert("UNIQ_KEY", format!("U{n}")).unwrap();
    properties
        .insert("TAGS", if n.is_multiple_of(2) { "even" } else { "odd" })
        .unwrap();
    properties
        .set_keys([format!("key{}", n % 10).as_str()])
        .unwrap();
    PutMessage {
        topic: "RealTopic".into(),
        queue_id,
        flag: 0,
        body: Bytes::from(vec![(n % 251) as u8; 700 + (n as usize * 37) % 2000]),
        properties,
        sys_flag: SysFlag::default(),
        born_timestamp_ms: n as i64,
        born_host: "127.0.0.1:5555".parse::<SocketAddr>().unwrap(),
        reconsume_times: 0,
        prepared_transaction_offset: 0,
    }
}

/// Opens, appends `count` messages (some as batches), flushes, and either shuts down
/// cleanly or leaves the abort file (the runtime ends, killing the tasks).
fn fill(root: &Path, mode: FlushMode, count: u64, clean: bool) -> Written {
    let root = root.to_path_buf();
    let mut written = Vec::new();
    on_real(|env| async move {
        let store = MessageStore::open(env, config(&root, mode)).await.unwrap();
        let mut n = 0;
        while n < count {
            let batch: Vec<PutMessage> = (n..(n + 1 + n % 3).min(count))
                .map(|i| message(i, (n % 2) as i32))
                .collect();
            let result = store.put_batch(&batch).await.unwrap();
            for (m, phys) in batch.iter().zip(&result.appended.physical_offsets) {
                let bytes = store.read(*phys).unwrap();
                written.push((*phys, bytes, m.properties.uniq_key().unwrap().to_string()));
            }
            n += batch.len() as u64;
        }
        store.flush_now().await.unwrap();
        if clean {
            store.shutdown().await.unwrap();
        }
        written
    })
}

fn reopen<T>(root: &Path, f: impl FnOnce(MessageStore<TokioEnv>) -> T) -> T {
    let root = root.to_path_buf();
    on_real(|env| async move {
        let store = MessageStore::open(env, config(&root, FlushMode::Async))
            .await
            .unwrap();
        let out = f(store.clone());
        store.shutdown().await.unwrap();
        out
    })
}

/// Every written record below the end is served identical; none at or past it is served.
fn check_served(store: &MessageStore<TokioEnv>, written: &Written) -> usize {
    let end = store.max_physical_offset();
    let mut survivors = 0;
    for (phys, bytes, key) in written {
        if *phys < end {
            assert_eq!(&store.read(*phys).unwrap(), bytes);
            let found = store
                .query_by_key("RealTopic", key, 0, i64::MAX, 8)
                .unwrap();
            assert!(found.contains(phys), "{key} not indexed");
            survivors += 1;
        } else {
            assert!(store.read(*phys).is_err(), "served a record past the end");
        }
    }
    for queue_id in 0..2 {
        let (min, max) = store.queue_offsets("RealTopic", queue_id);
        let read = store
            .read_queue("RealTopic", queue_id, min, usize::MAX, u64::MAX, None)
            .unwrap();
        assert_eq!(
            read.entries.len() as u64,
            max - min,
            "queue {queue_id} not dense"
        );
        for (q, entry) in read.entries {
            let (_, record) = store.read_record(entry.physical_offset).unwrap();
            assert_eq!((record.queue_id, record.queue_offset), (queue_id, q));
        }
    }
    survivors
}

fn segment_path(root: &Path, written: &Written, nth_from_end: usize) -> (std::path::PathBuf, u64) {
    let size = StoreConfig::small(root).commitlog_segment_bytes;
    let (phys, _, _) = &written[written.len() - 1 - nth_from_end];
    let start = phys - phys % size;
    (
        root.join("commitlog").join(segment_name(start)),
        phys - start,
    )
}

fn patch(path: &Path, at: u64, bytes: &[u8]) {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(bytes, at).unwrap();
    file.sync_all().unwrap();
}

#[test]
fn restart_after_clean_shutdown_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let written = fill(dir.path(), FlushMode::Sync, 300, true);
    let survivors = reopen(dir.path(), |store| {
        assert!(!store.recovery_report().abnormal);
        let (q0, q1) = (
            store.queue_offsets("RealTopic", 0),
            store.queue_offsets("RealTopic", 1),
        );
        assert_eq!(q0.1 + q1.1, 300);
        check_served(&store, &written)
    });
    assert_eq!(survivors, 300);
}

#[test]
fn restart_after_abort_recovers_and_redispatches() {
    let dir = tempfile::tempdir().unwrap();
    let written = fill(dir.path(), FlushMode::Async, 300, false);
    assert!(dir.path().join("abort").exists(), "abort file left behind");
    // Lose the consume queues entirely: abnormal recovery must rebuild them from the log.
    std::fs::remove_dir_all(dir.path().join("consumequeue")).unwrap();
    std::fs::remove_file(dir.path().join("checkpoint")).unwrap();
    let survivors = reopen(dir.path(), |store| {
        let report = store.recovery_report().clone();
        assert!(report.abnormal);
        assert_eq!(report.redispatched, 300);
        check_served(&store, &written)
    });
    assert_eq!(survivors, 300);
    assert!(
        !dir.path().join("abort").exists(),
        "clean shutdown removes the abort file"
    );
}

#[test]
fn corrupted_bytes_mid_segment_truncate_at_that_record() {
    let dir = tempfile::tempdir().unwrap();
    let written = fill(dir.path(), FlushMode::Async, 200, true);
    let (path, at) = segment_path(dir.path(), &written, 5);
    patch(&path, at + 200, &[0xFF, 0x00, 0xEE]); // inside the body: the CRC catches it
    let survivors = reopen(dir.path(), |store| {
        let report = store.recovery_report().clone();
        assert!(report.stopped_because.is_some(), "{report:?}");
        assert!(report.log_bytes_zeroed > 0);
        check_served(&store, &written)
    });
    assert_eq!(survivors, 194);
}

#[test]
fn corrupted_tail_and_zero_filled_tail_are_cut() {
    for (nth, bytes) in [(0usize, vec![0x5Au8; 40]), (2, vec![0u8; 3000])] {
        let dir = tempfile::tempdir().unwrap();
        let written = fill(dir.path(), FlushMode::Async, 120, true);
        let (path, at) = segment_path(dir.path(), &written, nth);
        let len = written[written.len() - 1 - nth].1.len() as u64;
        let from = if bytes[0] == 0 {
            at + 100
        } else {
            at + len - 40
        };
        patch(&path, from, &bytes);
        let survivors = reopen(dir.path(), |store| check_served(&store, &written));
        assert_eq!(survivors, 120 - nth - 1);
    }
}

#[test]
fn truncated_segment_file_is_extended_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    let written = fill(dir.path(), FlushMode::Async, 200, true);
    let (path, at) = segment_path(dir.path(), &written, 3);
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(at + 50).unwrap();
    drop(file);
    let survivors = reopen(dir.path(), |store| check_served(&store, &written));
    assert_eq!(survivors, 196);
}

#[test]
fn consume_queue_entries_past_the_log_are_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let written = fill(dir.path(), FlushMode::Async, 100, true);
    let cq = dir
        .path()
        .join("consumequeue/RealTopic/0")
        .join(segment_name(0));
    // One entry past the end of queue 0, pointing far past the end of the log.
    let in_queue_0 = written
        .iter()
        .filter(|w| w.1[12..16] == [0, 0, 0, 0])
        .count() as u64;
    let mut entry = Vec::new();
    entry.extend_from_slice(&(10u64 << 30).to_be_bytes());
    entry.extend_from_slice(&500u32.to_be_bytes());
    entry.extend_from_slice(&0i64.to_be_bytes());
    patch(&cq, in_queue_0 * 20, &entry);
    std::fs::write(dir.path().join("abort"), b"").unwrap();
    let survivors = reopen(dir.path(), |store| {
        assert_eq!(store.recovery_report().queue_entries_dropped, 1);
        assert_eq!(store.queue_offsets("RealTopic", 0), (0, in_queue_0));
        check_served(&store, &written)
    });
    assert_eq!(survivors, 100);
}
