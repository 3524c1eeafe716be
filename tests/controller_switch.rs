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
use rocketsim::broker::{Broker, BrokerConfig, BrokerRole, ReplicaRole};
use rocketsim::controller::{Controller, ControllerConfig};
use rocketsim::env::Net;
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

fn no_tweak(_: &mut BrokerConfig) {}

#[test]
fn the_slave_takes_over_when_the_master_dies_and_the_old_master_follows_it() {
    on_ha_sim(11, |world| async move {
        add_namesrv(&world);
        add_controller(&world);
        world.sleep(Duration::from_secs(1)).await;
        let (first, a) = add_broker(&world, 2, 1, no_tweak);
        until(&world, "first master", Duration::from_secs(30), || {
            role(&a) == Some(ReplicaRole::Master)
        })
        .await;
        let (_, b) = add_broker(&world, 3, 2, no_tweak);
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
        let new_master = sim_addr(3, 10911);
        // The topic came over with the metadata sync (every 10 s) or is auto-created.
        let codes = send(&world, cli, new_master, 40, 20).await;
        assert_eq!(
            codes
                .iter()
                .filter(|c| **c == ResponseCode::SUCCESS)
                .count()
                + codes
                    .iter()
                    .filter(|c| **c == ResponseCode::SLAVE_NOT_AVAILABLE)
                    .count(),
            20,
            "{codes:?}"
        );
        until(&world, "route moves", Duration::from_secs(40), || true).await;
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
    });
}
