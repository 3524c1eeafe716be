//! Controller mode end to end in simulation (§5.8): a name server, a controller and two
//! brokers of one group in controller mode. The first broker to register becomes master and
//! registers with the name server as id 0; the second follows it; acknowledged sends are on
//! both. The master dies: the slave becomes master within the heartbeat timeout plus a scan,
//! takes writes, and the name server's route names it as id 0. The old master restarts,
//! follows the new one, and catches up.

mod broker_common;
mod ha_common;
mod namesrv_common;
mod support;

use broker_common::*;
use ha_common::{add_namesrv, ns_addr, on_ha_sim};
use parking_lot::Mutex;
use rocketsim::admin::{Admin, AdminConfig};
use rocketsim::broker::{Broker, BrokerConfig, BrokerRole, ReplicaRole};
use rocketsim::client::{Message, Producer, ProducerConfig};
use rocketsim::controller::{Controller, ControllerConfig};
use rocketsim::env::Clock;
use rocketsim::env::Net;
use rocketsim::protocol::message_id::OffsetMsgId;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim_sim::{NodeId, SimEnv, World};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::{sim_addr, sim_ip};

type Slot = Arc<Mutex<Option<Arc<Broker<SimEnv>>>>>;

const QUEUES: i32 = 2;

fn ctl_addr() -> SocketAddr {
    sim_addr(4, 9878)
}

fn add_controller(world: &World) -> NodeId {
    world.add_node("controller", sim_ip(4), |env| async move {
        let listener = env.bind(ctl_addr()).await.expect("bind");
        let config = ControllerConfig {
            store_path: PathBuf::from("controller/groups.json"),
            ..ControllerConfig::default()
        };
        let controller = Controller::start(env, listener, config)
            .await
            .expect("controller starts");
        futures::future::pending::<()>().await;
        drop(controller);
    })
}

/// Broker with controller id `id` on 10.0.0.`n`.
fn add_broker(world: &World, n: u8, id: i64, tweak: fn(&mut BrokerConfig)) -> (NodeId, Slot) {
    let slot: Slot = Arc::new(Mutex::new(None));
    let published = slot.clone();
    let node = world.add_node(&format!("broker-{id}"), sim_ip(n), move |env| {
        let slot = published.clone();
        async move {
            *slot.lock() = None;
            let bind = sim_addr(n, 10911);
            let mut cfg = config(
                &PathBuf::from("data"),
                bind.ip(),
                bind.port(),
                Some(ns_addr()),
            );
            cfg.broker_role = BrokerRole::SyncMaster;
            cfg.broker_id = id;
            cfg.controller.enabled = true;
            cfg.controller.controller_addrs = vec![ctl_addr()];
            cfg.registration.first_round_delay = Duration::from_secs(1);
            tweak(&mut cfg);
            let broker = Arc::new(start(&env, bind, cfg).await);
            *slot.lock() = Some(broker.clone());
            futures::future::pending::<()>().await;
            drop(broker);
        }
    });
    (node, slot)
}

fn broker(slot: &Slot) -> Arc<Broker<SimEnv>> {
    slot.lock().clone().expect("the broker has started")
}

fn role(slot: &Slot) -> Option<ReplicaRole> {
    slot.lock().as_ref().map(|b| b.role().role)
}

async fn until(
    world: &World,
    what: &str,
    limit: Duration,
    mut done: impl FnMut() -> bool,
) -> Duration {
    let start = world.now();
    while !done() {
        assert!(world.now() - start < limit, "{what}: not within {limit:?}");
        world.sleep(Duration::from_millis(50)).await;
    }
    world.now() - start
}

/// Sends `count` messages to `addr` from the client node; returns the response codes.
async fn send(
    world: &World,
    node: NodeId,
    addr: SocketAddr,
    from: usize,
    count: usize,
) -> Vec<ResponseCode> {
    world
        .run_on(node, move |env| async move {
            let c = client(&env);
            let mut codes = Vec::new();
            for i in from..from + count {
                let p = props(&[("WAIT", "true")]);
                let header = send_header("Switched", (i % QUEUES as usize) as i32, &p);
                let response = call(&c, addr, send_v1(&header, format!("m{i}").as_bytes())).await;
                codes.push(response.response_code().expect("code"));
            }
            codes
        })
        .await
        .expect("client up")
}

/// The address the name server gives for id 0 of `broker-a`.
async fn routed_master(world: &World, node: NodeId) -> Option<String> {
    world
        .run_on(node, move |env| async move {
            let c = client(&env);
            let header = rocketsim::protocol::header::TopicHeader {
                topic: "Switched".into(),
            };
            let request =
                RemotingCommand::request(RequestCode::GET_ROUTEINFO_BY_TOPIC).with_header(&header);
            let response = call(&c, ns_addr(), request).await;
            if response.response_code() != Some(ResponseCode::SUCCESS) {
                return None;
            }
            let route = rocketsim::protocol::body::TopicRouteData::decode(&response.body).ok()?;
            route.broker_datas.first()?.master_addr().map(str::to_owned)
        })
        .await
        .expect("client up")
}

/// The recommended setting: a send is acknowledged once the whole sync-state set has it.
fn all_ack(c: &mut BrokerConfig) {
    c.controller.all_ack_in_sync_state_set = true;
}

#[test]
fn the_slave_takes_over_when_the_master_dies_and_the_old_master_follows_it() {
    on_ha_sim(11, |world| async move {
        add_namesrv(&world);
        add_controller(&world);
        world.sleep(Duration::from_secs(1)).await;
        let (first, a) = add_broker(&world, 2, 1, all_ack);
        until(&world, "first master", Duration::from_secs(30), || {
            role(&a) == Some(ReplicaRole::Master)
        })
        .await;
        let (_, b) = add_broker(&world, 3, 2, all_ack);
        until(&world, "second follows", Duration::from_secs(30), || {
            role(&b) == Some(ReplicaRole::Slave)
        })
        .await;
        let cli = world.add_client_node("client", sim_ip(9));
        let master = sim_addr(2, 10911);
        world
            .run_on(cli, move |env| async move {
                assert_code(
                    &call(&client(&env), master, create_topic("Switched", QUEUES)).await,
                    ResponseCode::SUCCESS,
                );
            })
            .await
            .expect("client up");
        let codes = send(&world, cli, master, 0, 40).await;
        assert!(
            codes.iter().all(|c| *c == ResponseCode::SUCCESS),
            "{codes:?}"
        );
        until(
            &world,
            "routed to the first master",
            Duration::from_secs(60),
            || true,
        )
        .await;
        assert_eq!(
            routed_master(&world, cli).await.as_deref(),
            Some("10.0.0.2:10911")
        );
        until(
            &world,
            "the slave joins the sync-state set",
            Duration::from_secs(30),
            || broker(&a).sync_state_set().0.len() == 2,
        )
        .await;
        let end = broker(&a).store().max_physical_offset();
        assert_eq!(
            broker(&b).store().max_physical_offset(),
            end,
            "every acked send is on the slave"
        );

        world.kill(first);
        let took = until(
            &world,
            "slave becomes master",
            Duration::from_secs(30),
            || role(&b) == Some(ReplicaRole::Master),
        )
        .await;
        assert!(took <= Duration::from_secs(16), "election took {took:?}");
        eprintln!("new master {took:?} after the kill");
        let new_master = sim_addr(3, 10911);
        // The topic came over with the metadata sync (every 10 s) or is auto-created; the
        // sync-state set is the new master alone, so all-ack needs nobody else.
        let codes = send(&world, cli, new_master, 40, 20).await;
        assert!(
            codes.iter().all(|c| *c == ResponseCode::SUCCESS),
            "{codes:?}"
        );
        assert_eq!(
            routed_master(&world, cli).await.as_deref(),
            Some("10.0.0.3:10911")
        );

        world.restart(first);
        until(
            &world,
            "old master follows",
            Duration::from_secs(60),
            || role(&a) == Some(ReplicaRole::Slave),
        )
        .await;
        until(
            &world,
            "old master catches up",
            Duration::from_secs(60),
            || {
                let (a, b) = (broker(&a), broker(&b));
                a.store().max_physical_offset() == b.store().max_physical_offset()
            },
        )
        .await;
        let codes = send(&world, cli, new_master, 60, 20).await;
        assert!(
            codes.iter().all(|c| *c == ResponseCode::SUCCESS),
            "{codes:?}"
        );

        // The admin hands the group back to replica 1 once it is in the sync-state set.
        until(
            &world,
            "replica 1 rejoins the set",
            Duration::from_secs(40),
            || broker(&b).sync_state_set().0.len() == 2,
        )
        .await;
        let answer = world
            .run_on(cli, |env| async move {
                let admin = Admin::new(env, AdminConfig::new(vec![ns_addr()], sim_ip(9)));
                admin
                    .elect_master(ctl_addr(), "DefaultCluster", "broker-a", 1)
                    .await
            })
            .await
            .expect("client up")
            .expect("the controller elects replica 1");
        assert_eq!(answer["masterBrokerId"], "1", "{answer:?}");
        until(&world, "handed back", Duration::from_secs(20), || {
            role(&a) == Some(ReplicaRole::Master) && role(&b) == Some(ReplicaRole::Slave)
        })
        .await;
        let codes = send(&world, cli, master, 80, 20).await;
        assert!(
            codes.iter().all(|c| *c == ResponseCode::SUCCESS),
            "{codes:?}"
        );
        let refused = send(&world, cli, new_master, 100, 1).await;
        assert_eq!(
            refused,
            vec![ResponseCode::SERVICE_NOT_AVAILABLE],
            "a slave takes no writes"
        );
    });
}

/// A producer (the client library) that was writing to the master when it died finds the new
/// master at its first failure, not at its next 30 s route poll.
#[test]
fn a_producer_follows_the_switch_at_its_first_failure() {
    on_ha_sim(12, |world| async move {
        add_namesrv(&world);
        add_controller(&world);
        world.sleep(Duration::from_secs(1)).await;
        let (first, a) = add_broker(&world, 2, 1, all_ack);
        until(&world, "first master", Duration::from_secs(30), || {
            role(&a) == Some(ReplicaRole::Master)
        })
        .await;
        let (_, b) = add_broker(&world, 3, 2, all_ack);
        let cli = world.add_client_node("client", sim_ip(9));
        let master = sim_addr(2, 10911);
        world
            .run_on(cli, move |env| async move {
                let c = client(&env);
                let created = call(&c, master, create_topic("Switched", QUEUES)).await;
                assert_code(&created, ResponseCode::SUCCESS);
            })
            .await
            .expect("client up");
        until(
            &world,
            "the slave joins the sync-state set",
            Duration::from_secs(40),
            || broker(&a).sync_state_set().0.len() == 2,
        )
        .await;
        let killer = async {
            world.sleep(Duration::from_secs(5)).await;
            world.kill(first);
            world.now()
        };
        let producing = world.run_on(cli, |env| async move {
            let config = ProducerConfig::new("switch-producer", vec![ns_addr()], sim_ip(9));
            let producer = Producer::new(env.clone(), config);
            producer.start();
            // Send every 100 ms for 40 s; note when each success happened and where.
            let mut acked = Vec::new();
            for i in 0..400 {
                let message = Message::new("Switched", format!("p{i}").into_bytes());
                if let Ok(result) = producer.send(message).await {
                    let offset_id: OffsetMsgId = result.offset_msg_id.parse().expect("id");
                    acked.push((env.now().since_origin(), offset_id.store_host));
                }
                env.sleep(Duration::from_millis(100)).await;
            }
            producer.shutdown();
            acked
        });
        let (killed_at, acked) = futures::join!(killer, producing);
        let acked = acked.expect("client up");
        let new_master = sim_addr(3, 10911);
        assert!(
            acked.iter().any(|(_, host)| *host == master),
            "acked on the first master"
        );
        let first_on_new = acked
            .iter()
            .find(|(_, host)| *host == new_master)
            .map(|(at, _)| *at)
            .expect("the producer reached the new master");
        let waited = first_on_new.saturating_sub(killed_at);
        eprintln!("first acknowledged send on the new master {waited:?} after the kill");
        assert!(
            waited < Duration::from_secs(10),
            "{waited:?}: waited for the 30 s route poll"
        );
        assert_eq!(role(&b), Some(ReplicaRole::Master));
    });
}
