//! Files and directories through the `Fs` seam of `TokioEnv`.

use rocketsim::env::Fs;
use rocketsim_real::TokioEnv;
use std::io;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_file_atomic_replaces_content_and_leaves_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let env = TokioEnv::new();
    let path = dir.path().join("config").join("topics.json");
    env.create_dir_all(path.parent().unwrap()).unwrap();
    assert_eq!(
        env.read_file(&path).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );

    env.write_file_atomic(&path, b"{\"version\":1, \"longer\":true}")
        .await
        .unwrap();
    env.write_file_atomic(&path, b"{\"version\":2}")
        .await
        .unwrap();
    assert_eq!(env.read_file(&path).unwrap(), b"{\"version\":2}");
    assert_eq!(
        env.list_dir(path.parent().unwrap()).unwrap(),
        ["topics.json"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_file_atomic_into_a_missing_directory_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let env = TokioEnv::new();
    let path = dir.path().join("absent").join("checkpoint");
    let error = env.write_file_atomic(&path, b"x").await.unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::NotFound);
    assert!(env.list_dir(dir.path()).unwrap().is_empty());
}

#[test]
fn list_dir_returns_sorted_names() {
    let dir = tempfile::tempdir().unwrap();
    let env = TokioEnv::new();
    let names = [
        "00000000002147483648",
        "abort",
        "00000000000000000000",
        "00000000001073741824",
        "checkpoint",
    ];
    for name in names {
        std::fs::write(dir.path().join(name), b"").unwrap();
    }
    env.create_dir_all(&dir.path().join("consumequeue"))
        .unwrap();
    let mut expected: Vec<&str> = names.to_vec();
    expected.push("consumequeue");
    expected.sort();
    assert_eq!(env.list_dir(dir.path()).unwrap(), expected);
}

#[test]
fn exists_and_removal() {
    let dir = tempfile::tempdir().unwrap();
    let env = TokioEnv::new();
    let abort = dir.path().join("abort");
    assert!(!env.exists(&abort));
    std::fs::write(&abort, b"").unwrap();
    assert!(env.exists(&abort));
    env.remove_file(&abort).unwrap();
    assert!(!env.exists(&abort));
    assert_eq!(
        env.remove_file(&abort).unwrap_err().kind(),
        io::ErrorKind::NotFound
    );

    let queue = dir.path().join("consumequeue").join("TopicA").join("0");
    env.create_dir_all(&queue).unwrap();
    std::fs::write(queue.join("00000000000000000000"), b"cq").unwrap();
    env.remove_dir_all(&dir.path().join("consumequeue").join("TopicA"))
        .unwrap();
    assert_eq!(
        env.list_dir(&dir.path().join("consumequeue")).unwrap(),
        Vec::<String>::new()
    );
}

/// A task aborted in the middle of a replace keeps writing on the blocking pool; the next
/// writer of the same file must not trip over its temporary (the store's shutdown flush did).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_replaces_of_one_file_all_succeed() {
    // On the build's disk, not a tmpfs: real fsyncs widen the window the race needs.
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let env = TokioEnv::new();
    let path = dir.path().join("checkpoint");
    // Pairs: with many writers some new temporary always exists and hides the collision.
    for round in 0..300u32 {
        let pair = [0u8, 1].map(|n| {
            let (env, path) = (env.clone(), path.clone());
            let byte = (round as u8).wrapping_mul(2).wrapping_add(n);
            tokio::spawn(async move { env.write_file_atomic(&path, &[byte; 64]).await })
        });
        for writer in pair {
            writer
                .await
                .unwrap()
                .expect("every concurrent replace succeeds");
        }
    }
    let content = env.read_file(&path).unwrap();
    assert_eq!(content.len(), 64);
    assert!(
        content.iter().all(|&b| b == content[0]),
        "a mix of two writes"
    );
    assert_eq!(env.list_dir(dir.path()).unwrap(), ["checkpoint"]);
}
