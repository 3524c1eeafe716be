//! Slave reads (§5.5–5.6, classic 4.x deployment without a controller): a consumer group
//! reading from a master/slave group keeps consuming from the slave after the master dies
//! (once the name server drops the master from the route), and commits its offsets there.

mod broker_common;
mod consumer_common;
mod ha_common;
mod namesrv_common;
mod support;

use broker_common::*;
use consumer_common::{consumer_config, producer, send_n, Log};
use ha_common::*;
use rocketsim::broker::{BrokerConfig, BrokerRole};
use rocketsim::client::{ConsumeFromWhere, PushConsumer};
use rocketsim::env::{Spawn, Task};
use rocketsim::protocol::header::{OffsetResponseHeader, QueryConsumerOffsetHeader};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::path::PathBuf;
use std::time::Duration;
use support::sim_ip;

fn configured_slave(c: &mut BrokerConfig) {
    c.ha.master_address = Some(master_ha_addr());
}

fn no_tweak(_: &mut BrokerConfig) {}

#[test]
fn consumers_keep_reading_from_the_slave_after_the_master_dies() {
    on_ha_sim(41, |world| async move {
        add_namesrv(&world);
        let (master_node, master) = add_broker(&world, 2, BrokerRole::AsyncMaster, no_tweak);
        started(&world, &master).await;
        let (_, slave) = add_broker(&world, 3, BrokerRole::Slave, configured_slave);
        started(&world, &slave).await;
        let client_node = world.add_client_node("client", sim_ip(4));
        world
            .run_on(client_node, |env| async move {
                let c = client(&env);
                let created = call(&c, master_addr(), create_topic("Failover", 2)).await;
                assert_code(&created, ResponseCode::SUCCESS);
            })
            .await
            .expect("client up");
        // The slave copies the topic within a sync round.
        world.sleep(Duration::from_secs(15)).await;
        let log = Log::default();
        let listener = log.listener();
        let client_env = world.env(client_node);
        let consumer_env = client_env.clone();
        let task = client_env.spawn("consumer", async move {
            let mut config = consumer_config(ns_addr(), "CG", "c1", &PathBuf::from("client"));
            config.consume_from = ConsumeFromWhere::FirstOffset;
            config.persist_offset_interval_ms = 1_000;
            let consumer = PushConsumer::new(consumer_env, config, listener);
            consumer.subscribe("Failover", "*").expect("subscribe");
            consumer.start().expect("start");
            futures::future::pending::<()>().await;
            drop(consumer);
        });
        // Before: sent and consumed with the master up.
        let before = world
            .run_on(client_node, |env| async move {
                let p = producer(&env, ns_addr(), "PG");
                send_n(&p, "Failover", "before", 20).await
            })
            .await
            .expect("client up");
        wait_for(&world, "the first messages are consumed", || {
            log.bodies().len() >= 20
        })
        .await;
        // After: sent to the master, replicated, then the master dies.
        let after = world
            .run_on(client_node, |env| async move {
                let p = producer(&env, ns_addr(), "PG");
                send_n(&p, "Failover", "after", 20).await
            })
            .await
            .expect("client up");
        caught_up(&world, &master, &slave, Duration::from_secs(60)).await;
        world.kill(master_node);
        // The name server drops the master within its 120 s expiry, the consumer's route
        // refresh (30 s) then leaves only the slave: pulls and commits go there.
        wait_for(&world, "every message is consumed from the slave", || {
            let got = log.bodies();
            before.iter().chain(&after).all(|b| got.contains(b))
        })
        .await;
        // Commits go to the master while the consumer's route still names it; the next route
        // refresh (30 s) leaves the slave, and the 1 s offset persistence commits there.
        world.sleep(Duration::from_secs(35)).await;
        let committed = world
            .run_on(client_node, |env| async move {
                let c = client(&env);
                let mut total = 0;
                for queue_id in 0..2 {
                    let query = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET)
                        .with_header(&QueryConsumerOffsetHeader {
                            consumer_group: "CG".into(),
                            topic: "Failover".into(),
                            queue_id,
                            set_zero_if_not_found: None,
                        });
                    let answer = call(&c, slave_addr(), query).await;
                    assert_code(&answer, ResponseCode::SUCCESS);
                    total += answer
                        .header::<OffsetResponseHeader>()
                        .expect("offset")
                        .offset;
                }
                total
            })
            .await
            .expect("client up");
        assert_eq!(
            committed, 40,
            "the group's offsets on the slave cover every message"
        );
        let counts = log.counts();
        let duplicates: usize = counts.values().map(|n| n - 1).sum();
        eprintln!(
            "slave failover: {} messages, {duplicates} duplicates",
            counts.len()
        );
        task.abort();
    });
}

/// Waits (virtual time, up to 400 s) until `done`.
async fn wait_for(world: &rocketsim_sim::World, what: &str, done: impl Fn() -> bool) {
    for _ in 0..4000 {
        if done() {
            return;
        }
        world.sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting until {what}");
}
