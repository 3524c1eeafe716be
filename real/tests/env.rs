//! Clock, tasks and randomness of `TokioEnv`.

use rocketsim::env::{Clock, Random, RandomExt, Spawn, Task};
use rocketsim_real::TokioEnv;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[test]
fn forks_are_independent_streams() {
    let env = TokioEnv::new();
    let a = env.fork("producer-1");
    let b = env.fork("producer-1");
    let draws = |r: &TokioEnv| (0..4).map(|_| r.next_u64()).collect::<Vec<_>>();
    let (root, a, b) = (draws(&env), draws(&a), draws(&b));
    assert_ne!(root, a);
    assert_ne!(a, b, "real forks are OS-seeded, even with the same salt");
    assert!(env.below(10) < 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clocks_move_forward_and_match_the_wall() {
    let env = TokioEnv::new();
    let before = env.now();
    env.sleep(Duration::from_millis(20)).await;
    assert!(env.now() - before >= Duration::from_millis(20));
    let wall = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(env.now_millis().abs_diff(wall) < 1000);
    // Clones share the origin, so their instants compare.
    let earlier = env.now();
    assert!(env.clone().now() >= earlier);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_task_keeps_running_and_aborted_task_stops() {
    let env = TokioEnv::new();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    drop(env.spawn("detached", async move {
        tokio::task::yield_now().await;
        let _ = done_tx.send(());
    }));
    done_rx
        .await
        .expect("a dropped handle must not cancel the task");

    let reached = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&reached);
    let sleeper = env.clone();
    let task = env.spawn("aborted", async move {
        sleeper.sleep(Duration::from_millis(200)).await;
        flag.store(true, Ordering::SeqCst);
    });
    assert!(!task.is_finished());
    task.abort();
    env.sleep(Duration::from_millis(300)).await;
    assert!(task.is_finished());
    assert!(
        !reached.load(Ordering::SeqCst),
        "an aborted task stops at its await point"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_work_returns_its_value_and_its_panic() {
    let env = TokioEnv::new();
    let thread = env.spawn_blocking(|| std::thread::current().id()).await;
    assert_ne!(
        thread,
        std::thread::current().id(),
        "runs on the blocking pool"
    );

    let panicking = env.clone();
    let outcome = tokio::spawn(async move {
        panicking
            .spawn_blocking(|| -> u32 { panic!("disk on fire") })
            .await
    })
    .await;
    assert!(
        outcome.unwrap_err().is_panic(),
        "the panic reaches the awaiting task"
    );
}
