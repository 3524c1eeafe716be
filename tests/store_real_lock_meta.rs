//! The store's `lock` file and metadata files on the real environment (tokio + memmap2): a
//! second store on a live directory fails fast with `Locked`; a crashed owner's stale lock is
//! taken over; metadata saved by one run is what the next run loads, in fastjson's shape.

use std::path::Path;

use rocketsim::store::metadata::{SubscriptionGroupConfig, TopicConfig};
use rocketsim::store::{MessageStore, StoreConfig, StoreError};
use rocketsim_real::TokioEnv;

fn on_real<T, Fut: std::future::Future<Output = T>>(body: impl FnOnce(TokioEnv) -> Fut) -> T {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(body(TokioEnv::new()))
}

fn config(root: &Path) -> StoreConfig {
    let mut config = StoreConfig::small(root);
    config.lock_refresh_interval_ms = 20;
    config
}

#[test]
fn a_second_store_on_a_live_directory_is_refused_and_a_crashed_owner_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let r = root.clone();
    on_real(|env| async move {
        let root = r;
        let first = MessageStore::open(env.clone(), config(&root))
            .await
            .unwrap();
        assert!(root.join("lock").exists());
        match MessageStore::open(env.clone(), config(&root)).await {
            Err(StoreError::Locked { .. }) => {}
            Err(other) => panic!("expected Locked, got {other}"),
            Ok(_) => panic!("two stores opened one directory"),
        }
        first.shutdown().await.unwrap();
        assert!(
            !root.join("lock").exists(),
            "a clean shutdown removes the lock"
        );
        // Open again and leave it open: the runtime ends as a crash would.
        let _crashed = MessageStore::open(env, config(&root)).await.unwrap();
    });
    assert!(root.join("lock").exists() && root.join("abort").exists());
    on_real(|env| async move {
        let store = MessageStore::open(env, config(&root)).await.unwrap();
        assert!(store.recovery_report().abnormal);
        store.shutdown().await.unwrap();
    });
}

#[test]
fn metadata_saved_by_one_run_is_loaded_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    let expected = on_real(|env| async move {
        let store = MessageStore::open(env, config(&root)).await.unwrap();
        assert_eq!(
            store.metadata(),
            Default::default(),
            "no files: empty tables"
        );
        store.update_metadata(|m| {
            m.topics.topic_config_table.insert(
                "T".into(),
                TopicConfig {
                    topic_name: "T".into(),
                    read_queue_nums: 4,
                    write_queue_nums: 4,
                    ..TopicConfig::default()
                },
            );
            m.topics.data_version.counter = 3;
            m.consumer_offsets
                .offset_table
                .entry("T@G".into())
                .or_default()
                .extend([(0, 12), (1, 34)]);
            m.subscription_groups.subscription_group_table.insert(
                "G".into(),
                SubscriptionGroupConfig {
                    group_name: "G".into(),
                    ..SubscriptionGroupConfig::default()
                },
            );
            m.delay_offsets.offset_table.insert(3, 99);
        });
        let expected = store.metadata();
        store.shutdown().await.unwrap();
        expected
    });
    let offsets = std::fs::read_to_string(dir.path().join("config/consumerOffset.json")).unwrap();
    assert_eq!(offsets, r#"{"offsetTable":{"T@G":{0:12,1:34}}}"#);
    let root = dir.path().to_path_buf();
    on_real(|env| async move {
        let store = MessageStore::open(env, config(&root)).await.unwrap();
        assert_eq!(store.metadata(), expected);
        store.shutdown().await.unwrap();
    });
}

#[test]
fn an_unparseable_metadata_file_is_a_typed_error_not_an_empty_table() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("config")).unwrap();
    std::fs::write(dir.path().join("config/topics.json"), b"{\"topicConfigTa").unwrap();
    let root = dir.path().to_path_buf();
    on_real(|env| async move {
        match MessageStore::open(env, config(&root)).await {
            Err(StoreError::Metadata { file, .. }) => assert_eq!(file, "topics.json"),
            Err(other) => panic!("expected Metadata, got {other}"),
            Ok(_) => panic!("a torn topics.json was accepted"),
        }
    });
}
