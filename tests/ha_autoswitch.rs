//! AutoSwitch replication (§5.8) in simulation, driving `Master`/`Slave` over real stores:
//! byte-identical logs and epoch histories across an epoch change; a slave whose tail diverged
//! (written under another epoch while it was master) is cut exactly to the consistent point,
//! ends byte-identical and a power loss right after does not bring the tail back; a log that
//! shares no epoch with the master is refused, nothing appended.

#[path = "ha_common/auto.rs"]
mod auto;

use std::path::Path;
use std::time::Duration;

use auto::*;
use rocketsim::controller::epoch_file::EpochEntry;
use rocketsim::env::Fs;
use rocketsim::ha::{prepare_master, Epochs};

fn entries(r: &Replica) -> Vec<(i32, i64)> {
    r.epochs
        .cache()
        .entries()
        .iter()
        .map(
            |EpochEntry {
                 epoch,
                 start_offset,
             }| (*epoch, *start_offset),
        )
        .collect()
}

#[test]
fn a_slave_replicates_byte_identical_logs_and_the_epoch_history() {
    sim(21, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        let b = replica(&world, "b", 3, None).await;
        a.epochs.append(1, 0).await.unwrap();
        let (master, _task) = start_master(&world, &a, ha_config(1), &[2]).await;
        let _slave = start_slave(&world, &b, ha_config(2), 2).await;
        write(&a, Some(&master), 0, 40, "a").await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        // The same master re-elected: a new epoch at its end; frames never span the two.
        let second = a.store.max_physical_offset();
        a.epochs.append(2, second).await.unwrap();
        write(&a, Some(&master), 40, 40, "a").await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        assert_byte_identical(&a.store, &b.store);
        assert_eq!(entries(&b), vec![(1, 0), (2, second as i64)]);
        assert_eq!(
            master.broker_acked_offset(2),
            Some(a.store.max_physical_offset())
        );
        // The slave's own dispatcher serves what it received.
        world.sleep(Duration::from_millis(200)).await;
        assert_eq!(
            b.store.queue_offsets(TOPIC, 0),
            a.store.queue_offsets(TOPIC, 0)
        );
    });
}

#[test]
fn a_divergent_tail_is_cut_to_the_consistent_point_durably() {
    sim(22, split_brain);
}

#[test]
fn the_split_brain_run_is_deterministic() {
    let hash = |seed| {
        let outcome = rocketsim_sim::run(rocketsim_sim::SimConfig::new(seed), split_brain);
        assert!(outcome.output.is_ok(), "seed {seed} failed");
        assert!(outcome.events > 0, "an empty trace proves nothing");
        (outcome.trace_hash, outcome.events)
    };
    assert_eq!(hash(7), hash(7));
}

/// b replicates a, both take writes under different epochs, a wins epoch 3 and b rejoins.
async fn split_brain(world: rocketsim_sim::World) {
    {
        let a = replica(&world, "a", 2, None).await;
        let b = replica(&world, "b", 3, None).await;
        a.epochs.append(1, 0).await.unwrap();
        let (master_a, task_a) = start_master(&world, &a, ha_config(1), &[2]).await;
        let slave_b = start_slave(&world, &b, ha_config(2), 2).await;
        write(&a, Some(&master_a), 0, 20, "a").await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        let common = a.store.max_physical_offset();
        // Split brain: b turns master in epoch 2 and takes writes; a keeps writing in epoch 1.
        stop(slave_b);
        b.epochs.append(2, common).await.unwrap();
        write(&b, None, 100, 5, "b").await;
        // The divergent tail is durable: only a durable cut keeps it from coming back.
        b.store.flush_now().await.unwrap();
        write(&a, Some(&master_a), 20, 7, "a").await;
        let divergent = b.store.max_physical_offset() - common;
        // The controller elects a again (epoch 3); b rejoins as its slave.
        stop(task_a);
        a.epochs
            .append(3, a.store.max_physical_offset())
            .await
            .unwrap();
        let (master_a, _task) = start_master(&world, &a, ha_config(1), &[2]).await;
        write(&a, Some(&master_a), 27, 3, "a").await;
        let _slave = start_slave(&world, &b, ha_config(2), 2).await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        assert!(divergent > 0);
        assert_byte_identical(&a.store, &b.store);
        assert_eq!(
            entries(&b),
            entries(&a),
            "b's epoch 2 is gone, a's 3 recorded"
        );
        let bytes = b.store.read_raw(common, 8).unwrap();
        assert_eq!(bytes, a.store.read_raw(common, 8).unwrap());
        // Power loss at once: whatever survives is a prefix of a's log — no byte of b's tail.
        world.power_loss(b.node);
        world.restart(b.node);
        let b = replica(&world, "b", 3, Some(b.node)).await;
        assert!(b.store.max_physical_offset() >= common);
        assert_prefix(&a.store, &b.store);
        assert_eq!(b.epochs.cache().start_of(2), None);
    }
}

/// async-master-switch seeds 363 and 491: the epoch file is durable at every change, an
/// ASYNC_FLUSH log is not, so a power loss can leave the history claiming an epoch that starts
/// past the recovered log. Elected again, the broker must still take the role.
#[test]
fn a_master_elected_again_after_losing_its_unflushed_tail_takes_the_role() {
    sim(26, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        prepare_master(&a.store, &a.epochs, 1).await.unwrap();
        write(&a, None, 0, 10, "a").await;
        a.store.flush_now().await.unwrap();
        let durable = a.store.max_physical_offset();
        write(&a, None, 10, 6, "a").await;
        let third = prepare_master(&a.store, &a.epochs, 3).await.unwrap();
        write(&a, None, 16, 6, "a").await;
        assert!(third > durable);
        world.power_loss(a.node);
        world.restart(a.node);
        let a = replica(&world, "a", 2, Some(a.node)).await;
        let end = a.store.max_physical_offset();
        assert!(
            durable <= end && end < third,
            "{durable} <= {end} < {third}"
        );
        // Epoch 3 holds nothing of this log any more; epoch 5 starts where the log ends.
        assert_eq!(prepare_master(&a.store, &a.epochs, 5).await.unwrap(), end);
        assert_eq!(entries(&a), vec![(1, 0), (5, end as i64)]);
    });
}

#[test]
fn a_log_sharing_no_epoch_with_the_master_is_refused_and_nothing_appended() {
    sim(23, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        let b = replica(&world, "b", 3, None).await;
        a.epochs.append(5, 0).await.unwrap();
        b.epochs.append(4, 0).await.unwrap();
        let (master, _task) = start_master(&world, &a, ha_config(1), &[2]).await;
        write(&a, Some(&master), 0, 10, "a").await;
        write(&b, None, 0, 3, "b").await;
        let before = b.store.max_physical_offset();
        let _slave = start_slave(&world, &b, ha_config(2), 2).await;
        world.sleep(Duration::from_secs(10)).await;
        assert_eq!(
            b.store.max_physical_offset(),
            before,
            "no truncation, no append"
        );
        assert_eq!(b.store.replica_end(), before);
        assert_eq!(entries(&b), vec![(4, 0)]);
        assert_eq!(
            master.broker_acked_offset(2),
            Some(0),
            "handshaken, never acked"
        );
    });
}

#[test]
fn roles_swap_at_run_time_master_to_slave_and_back() {
    sim(24, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        let b = replica(&world, "b", 3, None).await;
        prepare_master(&a.store, &a.epochs, 1).await.unwrap();
        let (master_a, task_a) = start_master(&world, &a, ha_config(1), &[2]).await;
        let slave_b = start_slave(&world, &b, ha_config(2), 2).await;
        write(&a, Some(&master_a), 0, 10, "a").await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        // b becomes master in epoch 2, a its slave (a's listener goes with its task).
        stop(task_a);
        stop(slave_b);
        assert_eq!(
            prepare_master(&b.store, &b.epochs, 2).await.unwrap(),
            b.store.max_physical_offset()
        );
        let (master_b, task_b) = start_master(&world, &b, ha_config(2), &[1]).await;
        let slave_a = start_slave(&world, &a, ha_config(1), 3).await;
        write(&b, Some(&master_b), 10, 10, "b").await;
        caught_up(&world, &b, &a, Duration::from_secs(30)).await;
        assert_byte_identical(&b.store, &a.store);
        // And back: a master again in epoch 3.
        stop(task_b);
        stop(slave_a);
        prepare_master(&a.store, &a.epochs, 3).await.unwrap();
        let (master_a, _task) = start_master(&world, &a, ha_config(1), &[2]).await;
        let _slave = start_slave(&world, &b, ha_config(2), 2).await;
        write(&a, Some(&master_a), 20, 10, "a").await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        assert_byte_identical(&a.store, &b.store);
        assert_eq!(entries(&a), entries(&b));
        assert_eq!(
            entries(&a).iter().map(|e| e.0).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
    });
}

#[test]
fn the_epoch_file_survives_restarts_and_falls_back_to_its_backup() {
    sim(25, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        a.epochs.append(1, 0).await.unwrap();
        a.epochs.append(2, 4096).await.unwrap();
        let path = Epochs::<rocketsim_sim::SimEnv>::default_path(Path::new("store"));
        let outcome = world
            .run_on(a.node, move |env| async move {
                let reopened = Epochs::open(env.clone(), &path).unwrap();
                let first = reopened.cache().entries().len();
                // A damaged main file: the .bak (one entry older) is used.
                env.write_file_atomic(&path, b"2\n1\n1-0\n2-4096\n")
                    .await
                    .unwrap();
                let fallback = Epochs::open(env.clone(), &path)
                    .unwrap()
                    .cache()
                    .entries()
                    .len();
                let bak = rocketsim::controller::epoch_file::backup_path(&path);
                env.write_file_atomic(&bak, b"garbage").await.unwrap();
                let both_bad = Epochs::open(env, &path).is_err();
                (first, fallback, both_bad)
            })
            .await
            .unwrap();
        assert_eq!(outcome, (2, 1, true));
    });
}
