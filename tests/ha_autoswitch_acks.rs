//! All-ack in the sync-state set and the confirm offset (§5.8), in simulation: a write waits
//! for every member and times out while one is missing; shrinking the set releases it; the
//! master proposes dropping a member not caught up for 15 s; with `allAckInSyncStateSet` the
//! consume queues (what consumers can read) stop at the confirm offset until the slave acks.

#[path = "ha_common/auto.rs"]
mod auto;

use std::collections::BTreeSet;
use std::time::Duration;

use auto::*;
use rocketsim::env::Clock;
use rocketsim::store::PutStatus;

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

#[test]
fn all_ack_waits_for_every_member_and_shrinking_the_set_releases_it() {
    sim(31, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        let b = replica(&world, "b", 3, None).await;
        a.epochs.append(1, 0).await.unwrap();
        let (master, _task) = start_master(&world, &a, ha_config(1), &[2, 3]).await;
        let _slave = start_slave(&world, &b, ha_config(2), 2).await;
        master.set_sync_state_set(set(&[1]), 1, 1);
        write(&a, Some(&master), 0, 3, "a").await;
        let end = a.store.max_physical_offset();
        assert_eq!(master.wait_for_sync_state_set(end).await, PutStatus::Ok);
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        // Broker 3 is in the set but never connects: the wait times out (3 s).
        master.set_sync_state_set(set(&[1, 2, 3]), 2, 1);
        write(&a, Some(&master), 3, 1, "a").await;
        let end = a.store.max_physical_offset();
        let started = world.now();
        assert_eq!(
            master.wait_for_sync_state_set(end).await,
            PutStatus::FlushSlaveTimeout
        );
        assert!(world.now() - started >= Duration::from_secs(3));
        // A waiter parked now is released when the set shrinks to the members that have it.
        let m = master.clone();
        let waiting = world.run_on(a.node, move |_| async move {
            m.wait_for_sync_state_set(end).await
        });
        let shrink = async {
            world.sleep(Duration::from_millis(500)).await;
            master.set_sync_state_set(set(&[1, 2]), 3, 1);
        };
        let (status, ()) = futures::join!(waiting, shrink);
        assert_eq!(status.unwrap(), PutStatus::Ok);
        assert_eq!(master.confirm_offset(), end);
        // Broker 3 never caught up: after 15 s the master proposes dropping it.
        master.set_sync_state_set(set(&[1, 2, 3]), 4, 1);
        let now = world.env(a.node).now();
        assert_eq!(master.begin_sync_state_change(now), None);
        world.sleep(Duration::from_secs(16)).await;
        let now = world.env(a.node).now();
        assert_eq!(
            master.begin_sync_state_change(now),
            Some((set(&[1, 2]), set(&[1, 2, 3])))
        );
    });
}

#[test]
fn a_caught_up_slave_is_proposed_into_the_set() {
    sim(32, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        let b = replica(&world, "b", 3, None).await;
        a.epochs.append(1, 0).await.unwrap();
        let (master, _task) = start_master(&world, &a, ha_config(1), &[2]).await;
        write(&a, Some(&master), 0, 5, "a").await;
        let _slave = start_slave(&world, &b, ha_config(2), 2).await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        world.sleep(Duration::from_millis(200)).await;
        let now = world.env(a.node).now();
        assert_eq!(
            master.begin_sync_state_change(now),
            Some((set(&[1, 2]), set(&[1])))
        );
        assert_eq!(
            master.sync_state_set().0,
            set(&[1, 2]),
            "counted while the change is in flight"
        );
    });
}

#[test]
fn consumers_see_only_data_up_to_the_confirm_offset() {
    sim(33, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        let b = replica(&world, "b", 3, None).await;
        a.epochs.append(1, 0).await.unwrap();
        let all_ack = |id| rocketsim::ha::HaConfig {
            all_ack_in_sync_state_set: true,
            ..ha_config(id)
        };
        let (master, _task) = start_master(&world, &a, all_ack(1), &[2]).await;
        let _slave = start_slave(&world, &b, all_ack(2), 2).await;
        master.set_sync_state_set(set(&[1, 2]), 1, 1);
        write(&a, Some(&master), 0, 6, "a").await;
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        world.sleep(Duration::from_millis(500)).await;
        assert_eq!(a.store.queue_offsets(TOPIC, 0).1, 3);
        // The slave stops acknowledging: new writes stay invisible on the master.
        world.clog_link(b.node, a.node);
        write(&a, Some(&master), 6, 4, "a").await;
        world.sleep(Duration::from_secs(1)).await;
        assert_eq!(
            a.store.queue_offsets(TOPIC, 0).1,
            3,
            "unconfirmed data dispatched"
        );
        assert_eq!(a.store.dispatch_limit(), Some(master.confirm_offset()));
        world.unclog_link(b.node, a.node);
        caught_up(&world, &a, &b, Duration::from_secs(30)).await;
        world.sleep(Duration::from_secs(6)).await;
        assert_eq!(a.store.queue_offsets(TOPIC, 0).1, 5);
        assert_eq!(b.store.queue_offsets(TOPIC, 0).1, 5);
        // Back to a set of one: no limit at all.
        master.set_sync_state_set(set(&[1]), 2, 1);
        assert_eq!(a.store.dispatch_limit(), None);
    });
}
