//! The broker's registrar against the name server, the same body in simulation and over
//! loopback: master and slave register, the slave learns its master, unchanged data is only
//! queried, a closed connection and a clean shutdown remove the broker.

mod namesrv_common;
mod support;

use namesrv_common::{client, config_in, route};
use rocketsim::broker::{BrokerIdentity, Outcome, Registrar, RegistrationConfig, TopicConfigTable};
use rocketsim::env::Env;
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::body::TopicConfig;
use rocketsim::protocol::ResponseCode;
use rocketsim::remoting::Client;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use support::{loopback_any, on_real, on_sim, sim_addr, sim_ip};

fn identity(id: i64, addr: &str) -> BrokerIdentity {
    BrokerIdentity {
        cluster_name: "DefaultCluster".into(),
        broker_name: "broker-a".into(),
        broker_id: id,
        broker_addr: addr.into(),
        ha_server_addr: format!("{addr}-ha"),
    }
}

fn registrar<E: Env>(
    env: &E,
    namesrv: SocketAddr,
    id: i64,
    addr: &str,
    compressed: bool,
) -> (Registrar<E>, Arc<TopicConfigTable>, Client<E>) {
    let topics = Arc::new(TopicConfigTable::new(env.now_millis()));
    topics.put(
        TopicConfig::with_queues("TopicTest", 4, 4, 6),
        env.now_millis(),
    );
    let config = RegistrationConfig {
        namesrv_addrs: vec![namesrv],
        force_register: false,
        compressed,
        ..RegistrationConfig::default()
    };
    let client = client(env);
    let registrar = Registrar::new(
        env.clone(),
        client.clone(),
        identity(id, addr),
        config,
        topics.clone(),
    );
    (registrar, topics, client)
}

fn registered(outcome: &Outcome) -> Option<Option<String>> {
    match outcome {
        Outcome::Registered { master, .. } => Some(master.as_ref().map(|m| m.master_addr.clone())),
        _ => None,
    }
}

async fn master_and_slave<E: Env>(ns_env: E, env: E, bind: SocketAddr, kv_dir: PathBuf) {
    let listener = ns_env.bind(bind).await.expect("bind");
    let namesrv = Namesrv::start(ns_env.clone(), listener, config_in(&kv_dir))
        .await
        .expect("start");
    let addr = namesrv.local_addr();
    let (master, master_topics, _) = registrar(&env, addr, 0, "10.9.0.1:10911", false);
    let (slave, _, slave_client) = registrar(&env, addr, 1, "10.9.0.2:10911", true);

    let first = master.register_all(true).await;
    assert_eq!(registered(&first[0].outcome), Some(None), "{first:?}");
    let answers = slave.register_all(true).await;
    assert_eq!(
        registered(&answers[0].outcome),
        Some(Some("10.9.0.1:10911".into()))
    );
    let learned = slave.master().expect("the slave learned its master");
    assert_eq!(learned.ha_server_addr.as_deref(), Some("10.9.0.1:10911-ha"));

    let probe = client(&env);
    let routed = route(&probe, addr, "TopicTest").await.expect("routed");
    assert_eq!(routed.broker_datas[0].broker_addrs.len(), 2);

    // Unchanged: only the data-version query. Changed: a registration with the new topic.
    assert!(matches!(
        master.register_all(false).await[0].outcome,
        Outcome::Unchanged
    ));
    master_topics.put(TopicConfig::with_queues("Added", 2, 2, 6), env.now_millis());
    assert_eq!(
        registered(&master.register_all(false).await[0].outcome),
        Some(None)
    );
    assert!(route(&probe, addr, "Added").await.is_ok());

    // Clean shutdown of the master: the group stays with its slave.
    master.unregister_all().await;
    let routed = route(&probe, addr, "TopicTest")
        .await
        .expect("slave still routed");
    assert_eq!(
        routed.broker_datas[0]
            .broker_addrs
            .keys()
            .copied()
            .collect::<Vec<_>>(),
        vec![1]
    );

    // The run loop: registers at once; when shut down, unregisters.
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (master, _, _) = registrar(&env, addr, 0, "10.9.0.1:10911", false);
    let running = env.spawn("registrar", async move {
        master.run(async { drop(stopped.await) }).await;
    });
    wait_until(&env, || async {
        route(&probe, addr, "TopicTest")
            .await
            .is_ok_and(|r| r.broker_datas[0].broker_addrs.len() == 2)
    })
    .await;
    drop(stop);
    wait_until(&env, || async {
        rocketsim::env::Task::is_finished(&running)
    })
    .await;
    let routed = route(&probe, addr, "TopicTest")
        .await
        .expect("slave still routed");
    assert_eq!(routed.broker_datas[0].broker_addrs.len(), 1);

    // The slave's connection closes: it is removed at once, and the group's topics with it.
    slave_client.close_all();
    wait_until(&env, || async {
        route(&probe, addr, "TopicTest").await.is_err()
    })
    .await;
    assert_eq!(
        route(&probe, addr, "TopicTest").await.unwrap_err(),
        ResponseCode::TOPIC_NOT_EXIST
    );
    namesrv.shutdown();
}

async fn wait_until<E: Env, F, Fut>(env: &E, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..200 {
        if done().await {
            return;
        }
        env.sleep(Duration::from_millis(20)).await;
    }
    panic!("condition not reached within 4 s");
}

#[test]
fn master_and_slave_in_simulation() {
    for seed in 1..6 {
        on_sim(seed, |world| async move {
            let ns = world.add_client_node("namesrv", sim_ip(1));
            let broker = world.add_client_node("broker", sim_ip(2));
            let ns_env = world.env(ns);
            world
                .run_on(broker, move |env| {
                    master_and_slave(ns_env, env, sim_addr(1, 9876), PathBuf::from("namesrv"))
                })
                .await
                .expect("broker node stays up");
        });
    }
}

#[test]
fn master_and_slave_for_real() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().to_path_buf();
    on_real(|env| master_and_slave(env.clone(), env, loopback_any(), path));
}
