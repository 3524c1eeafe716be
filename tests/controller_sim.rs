//! The controller in simulation, with RocketMQ's timings: a controller node and three broker
//! nodes running the broker-side client library. The master dies (process killed; or cut off
//! by a partition), a new master is elected from the sync-state set within the heartbeat
//! timeout plus one scan, both epochs move on, the stale master is fenced, the returning old
//! master becomes a slave, and a restarted controller keeps its epochs.

mod controller_common;
mod support;

use controller_common::*;
use parking_lot::Mutex;
use rocketsim::controller::client::{ClientError, ControllerClient, Role};
use rocketsim::controller::{BrokerId, BrokerStats, Controller};
use rocketsim::env::Net;
use rocketsim::protocol::ResponseCode;
use rocketsim_sim::{NodeId, SimEnv, World};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::{on_sim, sim_addr, sim_ip};

type Slot = Arc<Mutex<Option<ControllerClient<SimEnv>>>>;

fn ctl_addr() -> SocketAddr {
    sim_addr(1, 9878)
}

fn add_controller(world: &World) -> NodeId {
    world.add_node("controller", sim_ip(1), |env| async move {
        let listener = env.bind(ctl_addr()).await.expect("bind");
        let config = controller_config(&PathBuf::from("controller"));
        let controller = Controller::start(env, listener, config)
            .await
            .expect("start");
        futures::future::pending::<()>().await;
        drop(controller);
    })
}

/// A broker node whose process is a controller client with broker id `id`; its stats say it
/// holds `100 * id` bytes of epoch 1.
fn add_broker(world: &World, id: BrokerId, events: &Events, slot: &Slot) -> NodeId {
    let (events, slot) = (events.clone(), slot.clone());
    world.add_node(&format!("broker-{id}"), sim_ip(1 + id as u8), move |env| {
        let (events, slot) = (events.clone(), slot.clone());
        async move {
            let client =
                ControllerClient::new(env, client_config(ctl_addr(), id), sink(&events, id));
            client.set_stats(BrokerStats {
                epoch: 1,
                max_offset: 100 * id,
                confirm_offset: 100,
                election_priority: 0,
            });
            client.start();
            *slot.lock() = Some(client);
            futures::future::pending::<()>().await
        }
    })
}

fn client(slot: &Slot) -> ControllerClient<SimEnv> {
    slot.lock().clone().expect("the broker process started")
}

/// Broker 1 first (it becomes master), then 2 and 3; the master puts everyone in sync.
async fn three_in_sync(world: &World, events: &Events, slots: &[Slot; 3]) -> [NodeId; 3] {
    let env = world.env(world.nodes()[0]);
    let b1 = add_broker(world, 1, events, &slots[0]);
    let up = wait_until(&env, Duration::from_secs(10), || {
        is_master_at(last_event(events, 1), 1)
    })
    .await;
    assert!(up.is_some(), "broker 1 elected itself: {:?}", events.lock());
    let b2 = add_broker(world, 2, events, &slots[1]);
    let b3 = add_broker(world, 3, events, &slots[2]);
    let slaves = wait_until(&env, Duration::from_secs(10), || {
        is_slave_of(last_event(events, 2), 1, 1) && is_slave_of(last_event(events, 3), 1, 1)
    })
    .await;
    assert!(slaves.is_some(), "2 and 3 follow 1: {:?}", events.lock());
    let master = client(&slots[0]);
    let body = world
        .run_on(b1, move |_| async move {
            master.alter_sync_state_set(&set(&[1, 2, 3])).await
        })
        .await
        .expect("node up")
        .expect("the master expands its sync-state set");
    assert_eq!(
        (body.sync_state_set, body.sync_state_set_epoch),
        (set(&[1, 2, 3]), 2)
    );
    [b1, b2, b3]
}

/// After the failover: 3 is master at epoch 2 with set {3} at epoch 3, and 2 follows it (its
/// push may land a little after 3's, or be repaired by its next poll).
async fn assert_switched(env: &SimEnv, events: &Events) {
    assert!(
        matches!(
            last_event(events, 3),
            Some(rocketsim::controller::client::RoleEvent::BecomeMaster { master_epoch: 2, ref sync_state_set, sync_state_set_epoch: 3 })
                if *sync_state_set == set(&[3])
        ),
        "{:?}",
        events.lock()
    );
    let follows = wait_until(env, Duration::from_secs(6), || {
        is_slave_of(last_event(events, 2), 3, 2)
    })
    .await;
    assert!(follows.is_some(), "{:?}", events.lock());
}

/// What the old master would send with the epochs it knew is fenced. The first call may find
/// its connection half-open after a partition (the controller closed it unseen): retried.
async fn stale_alter_is_fenced(world: &World, node: NodeId, slot: &Slot) {
    for _ in 0..5 {
        let stale = client(slot);
        let outcome = world
            .run_on(node, move |_| async move {
                stale.alter_at(1, 1, &set(&[1, 2, 3]), 2).await
            })
            .await
            .expect("node up");
        let refused = outcome.expect_err("a stale master is fenced");
        if matches!(refused, ClientError::Rpc(_)) {
            world.sleep(Duration::from_secs(1)).await;
            continue;
        }
        assert_eq!(
            refused.code(),
            Some(ResponseCode::CONTROLLER_FENCED_MASTER_EPOCH),
            "{refused}"
        );
        return;
    }
    panic!("the controller never answered the stale master");
}

#[test]
fn killed_master_is_replaced_from_the_sync_state_set() {
    on_sim(11, |world| async move {
        let events = Events::default();
        let slots: [Slot; 3] = Default::default();
        let ctl = add_controller(&world);
        let env = world.env(ctl);
        world.sleep(Duration::from_secs(1)).await;
        let [b1, _, b3] = three_in_sync(&world, &events, &slots).await;

        world.kill(b1);
        let took = wait_until(&env, Duration::from_secs(20), || {
            is_master_at(last_event(&events, 3), 2)
        })
        .await
        .expect("a new master within the timeout");
        println!("killed master: new master after {took:?} (virtual)");
        // The connection closes with the process: no need to wait for the 10 s timeout.
        assert!(took <= Duration::from_secs(15), "{took:?}");
        assert_switched(&env, &events).await;

        // The old master comes back: it follows 3, and what it would send as master is fenced.
        world.restart(b1);
        let back = wait_until(&env, Duration::from_secs(10), || {
            is_slave_of(last_event(&events, 1), 3, 2)
        })
        .await;
        assert!(back.is_some(), "{:?}", events.lock());
        stale_alter_is_fenced(&world, b1, &slots[0]).await;

        // A restarted controller keeps its epochs; the brokers keep their roles.
        world.restart(ctl);
        world.sleep(Duration::from_secs(20)).await;
        let raw = raw_client(&world.env(b3));
        let info = world
            .run_on(
                b3,
                move |_| async move { replica_info(&raw, ctl_addr()).await },
            )
            .await
            .expect("node up");
        assert_eq!(info, (Some(3), 2, set(&[3]), 3));
        assert_eq!(client(&slots[2]).role(), Some((Role::Master, 2)));
    });
}

#[test]
fn partitioned_master_is_replaced_after_the_heartbeat_timeout_and_fenced() {
    on_sim(12, |world| async move {
        let events = Events::default();
        let slots: [Slot; 3] = Default::default();
        let ctl = add_controller(&world);
        let env = world.env(ctl);
        world.sleep(Duration::from_secs(1)).await;
        let [b1, _, _] = three_in_sync(&world, &events, &slots).await;

        world.clog_node(b1);
        let took = wait_until(&env, Duration::from_secs(30), || {
            is_master_at(last_event(&events, 3), 2)
        })
        .await
        .expect("a new master");
        println!("partitioned master: new master after {took:?} (virtual)");
        // Silent for the 10 s timeout, then found by a scan at most 5 s later.
        assert!(took >= Duration::from_secs(9), "{took:?}");
        assert!(took <= Duration::from_secs(16), "{took:?}");
        assert_switched(&env, &events).await;
        assert_eq!(
            client(&slots[0]).role(),
            Some((Role::Master, 1)),
            "1 has heard nothing"
        );

        world.unclog_node(b1);
        stale_alter_is_fenced(&world, b1, &slots[0]).await;
        let demoted = wait_until(&env, Duration::from_secs(15), || {
            is_slave_of(last_event(&events, 1), 3, 2)
        })
        .await;
        assert!(
            demoted.is_some(),
            "the old master learns it is a slave: {:?}",
            events.lock()
        );
    });
}

#[test]
fn same_seed_same_events() {
    let run = |seed| {
        let log = Arc::new(Mutex::new(String::new()));
        let out = log.clone();
        on_sim(seed, move |world| async move {
            let events = Events::default();
            let slots: [Slot; 3] = Default::default();
            add_controller(&world);
            world.sleep(Duration::from_secs(1)).await;
            let [b1, _, _] = three_in_sync(&world, &events, &slots).await;
            world.kill(b1);
            world.sleep(Duration::from_secs(20)).await;
            *out.lock() = format!("{:?}", events.lock());
        });
        let text = log.lock().clone();
        text
    };
    assert_eq!(run(5), run(5));
}

/// Time from the partition to the new master's BecomeMaster, over seeds: silent for the 10 s
/// heartbeat timeout, then found by a 5 s scan (so 10–15 s plus the push).
#[test]
fn partitioned_master_failover_time_over_seeds() {
    let times = Arc::new(Mutex::new(Vec::new()));
    for seed in 100..130 {
        let times = times.clone();
        on_sim(seed, move |world| async move {
            let events = Events::default();
            let slots: [Slot; 3] = Default::default();
            let ctl = add_controller(&world);
            let env = world.env(ctl);
            world.sleep(Duration::from_millis(seed % 7 * 150)).await;
            let [b1, _, _] = three_in_sync(&world, &events, &slots).await;
            world.sleep(Duration::from_millis(seed % 5 * 230)).await;
            world.clog_node(b1);
            let took = wait_until(&env, Duration::from_secs(30), || {
                is_master_at(last_event(&events, 3), 2)
            })
            .await
            .expect("a new master");
            assert_switched(&env, &events).await;
            times.lock().push(took);
        });
    }
    let mut times = times.lock().clone();
    times.sort();
    let pct = |p: usize| times[(times.len() - 1) * p / 100];
    println!(
        "partitioned master → new master over {} seeds: min {:?} p50 {:?} p99 {:?} max {:?}",
        times.len(),
        times[0],
        pct(50),
        pct(99),
        times[times.len() - 1]
    );
    assert!(
        times
            .iter()
            .all(|t| *t >= Duration::from_secs(9) && *t <= Duration::from_secs(16)),
        "{times:?}"
    );
}

/// A disk that refuses the write: the change is undone and answered SYSTEM_ERROR; once the disk
/// works again the same change goes through at the same epochs.
#[test]
fn unpersistable_change_is_undone() {
    on_sim(21, |world| async move {
        let events = Events::default();
        let slots: [Slot; 3] = Default::default();
        let ctl = add_controller(&world);
        let env = world.env(ctl);
        world.sleep(Duration::from_secs(1)).await;
        let b1 = add_broker(&world, 1, &events, &slots[0]);
        let up = wait_until(&env, Duration::from_secs(10), || {
            is_master_at(last_event(&events, 1), 1)
        })
        .await;
        assert!(up.is_some());
        add_broker(&world, 2, &events, &slots[1]);
        let slave = wait_until(&env, Duration::from_secs(10), || {
            is_slave_of(last_event(&events, 2), 1, 1)
        })
        .await;
        assert!(slave.is_some());

        world.set_disk_faults(
            ctl,
            rocketsim_sim::DiskFaults {
                enabled: true,
                write_eio_probability: 1.0,
                ..Default::default()
            },
        );
        let master = client(&slots[0]);
        let refused = world
            .run_on(b1, move |_| async move {
                master.alter_sync_state_set(&set(&[1, 2])).await
            })
            .await
            .expect("node up")
            .expect_err("the disk refuses");
        assert_eq!(
            refused.code(),
            Some(ResponseCode::SYSTEM_ERROR),
            "{refused}"
        );
        assert!(refused.to_string().contains("undone"), "{refused}");
        let raw = raw_client(&world.env(b1));
        let info = world
            .run_on(
                b1,
                move |_| async move { replica_info(&raw, ctl_addr()).await },
            )
            .await
            .expect("node up");
        assert_eq!(info, (Some(1), 1, set(&[1]), 1), "nothing changed");

        world.set_disk_faults(ctl, rocketsim_sim::DiskFaults::default());
        let master = client(&slots[0]);
        let body = world
            .run_on(b1, move |_| async move {
                master.alter_sync_state_set(&set(&[1, 2])).await
            })
            .await
            .expect("node up")
            .expect("the disk works again");
        assert_eq!(body.sync_state_set_epoch, 2);
    });
}
