//! A simulated broker restarted under load keeps every acknowledged message pullable: after a
//! process kill (page cache survives) and after a power loss with SYNC_FLUSH (only synced data
//! survives). Also checks that committed offsets and created topics come back.

mod broker_common;
mod support;

use broker_common::*;
use rocketsim::broker::Broker;
use rocketsim::env::{Clock, Env};
use rocketsim::protocol::header::{OffsetResponseHeader, QueryConsumerOffsetHeader};
use rocketsim::protocol::properties::Properties;
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use rocketsim::remoting::Client;
use rocketsim::store::FlushMode;
use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use support::{on_sim, sim_addr, sim_ip};

const QUEUES: i32 = 4;

async fn broker_process(env: rocketsim_sim::SimEnv) {
    let bind = sim_addr(2, 10911);
    let mut cfg = config(Path::new("data"), bind.ip(), bind.port(), None);
    cfg.flush_disk_type = FlushMode::Sync;
    let broker: Broker<_> = start(&env, bind, cfg).await;
    futures::future::pending::<()>().await;
    drop(broker);
}

/// Calls until the broker answers (it may be restarting).
async fn call_retrying<E: Env>(
    env: &E,
    c: &Client<E>,
    addr: SocketAddr,
    request: RemotingCommand,
) -> RemotingCommand {
    for _ in 0..200 {
        if let Ok(response) = c
            .invoke(addr, request.clone(), Duration::from_secs(2))
            .await
        {
            return response;
        }
        env.sleep(Duration::from_millis(100)).await;
    }
    panic!("broker never answered");
}

async fn acknowledged_all_there<E: Env>(
    env: &E,
    c: &Client<E>,
    addr: SocketAddr,
    acked: &BTreeSet<(i32, i64, String)>,
) {
    let mut found = BTreeSet::new();
    for queue_id in 0..QUEUES {
        let mut offset = 0;
        loop {
            let mut p = Pull::new("Durable", queue_id, offset);
            p.group = "RG";
            let response = call_retrying(env, c, addr, p.request()).await;
            if response.response_code() != Some(ResponseCode::SUCCESS) {
                break;
            }
            let header: rocketsim::protocol::header::PullMessageResponseHeader =
                response.header().expect("header");
            let records =
                rocketsim::protocol::record::decode_all(&response.body, &Default::default())
                    .expect("records");
            for r in records {
                found.insert((
                    r.queue_id,
                    r.queue_offset as i64,
                    String::from_utf8_lossy(&r.body).to_string(),
                ));
            }
            offset = header.next_begin_offset;
        }
    }
    let lost: Vec<_> = acked.difference(&found).collect();
    assert!(lost.is_empty(), "acknowledged messages lost: {lost:?}");
}

async fn send_some<E: Env>(
    env: &E,
    c: &Client<E>,
    addr: SocketAddr,
    from: usize,
    acked: &mut BTreeSet<(i32, i64, String)>,
) {
    for i in from..from + 40 {
        let body = format!("m{i}");
        let queue_id = (i % QUEUES as usize) as i32;
        let request = send_v1(
            &send_header("Durable", queue_id, &Properties::new()),
            body.as_bytes(),
        );
        let response = call_retrying(env, c, addr, request).await;
        if response.response_code() == Some(ResponseCode::SUCCESS) {
            let h = send_answer(&response);
            acked.insert((h.queue_id, h.queue_offset, body));
        }
    }
}

#[test]
fn acknowledged_messages_survive_kill_and_power_loss() {
    for seed in 1..4 {
        on_sim(seed, |world| async move {
            let broker = world.add_node("broker", sim_ip(2), broker_process);
            let client_node = world.add_client_node("client", sim_ip(3));
            let env = world.env(client_node);
            let addr = sim_addr(2, 10911);
            let c = client(&env);
            let mut acked = BTreeSet::new();
            let (env2, c2) = (env.clone(), c.clone());
            let created = world
                .run_on(client_node, move |_| async move {
                    call_retrying(&env2, &c2, addr, create_topic("Durable", QUEUES)).await
                })
                .await
                .expect("client up");
            assert_code(&created, ResponseCode::SUCCESS);
            for (round, fault) in ["kill", "power"].into_iter().enumerate() {
                let (env2, c2, mut set) = (env.clone(), c.clone(), acked.clone());
                acked = world
                    .run_on(client_node, move |_| async move {
                        send_some(&env2, &c2, addr, round * 100, &mut set).await;
                        let commit = RemotingCommand::request(RequestCode::UPDATE_CONSUMER_OFFSET)
                            .with_ext_field("consumerGroup", "RG")
                            .with_ext_field("topic", "Durable")
                            .with_ext_field("queueId", "0")
                            .with_ext_field("commitOffset", "7");
                        assert_code(
                            &call_retrying(&env2, &c2, addr, commit).await,
                            ResponseCode::SUCCESS,
                        );
                        env2.sleep(Duration::from_secs(6)).await; // the offset persister runs
                        set
                    })
                    .await
                    .expect("client up");
                match fault {
                    "kill" => world.kill(broker),
                    _ => {
                        world.power_loss(broker);
                    }
                }
                world.sleep(Duration::from_secs(1)).await;
                world.restart(broker);
                let (env2, c2, set) = (env.clone(), c.clone(), acked.clone());
                world
                    .run_on(client_node, move |_| async move {
                        acknowledged_all_there(&env2, &c2, addr, &set).await;
                        let query = RemotingCommand::request(RequestCode::QUERY_CONSUMER_OFFSET)
                            .with_header(&QueryConsumerOffsetHeader {
                                consumer_group: "RG".into(),
                                topic: "Durable".into(),
                                queue_id: 0,
                                set_zero_if_not_found: None,
                            });
                        let answer = call_retrying(&env2, &c2, addr, query).await;
                        assert_eq!(
                            answer
                                .header::<OffsetResponseHeader>()
                                .expect("offset")
                                .offset,
                            7
                        );
                    })
                    .await
                    .expect("client up");
            }
            assert!(acked.len() >= 60, "too few acknowledged: {}", acked.len());
        });
    }
}
