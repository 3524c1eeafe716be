//! The KV store: put/get/delete over the wire, persisted to kvConfig.json and loaded again by a
//! restarted name server (simulation: the node's disk outlives its process). Also the
//! ORDER_TOPIC_CONFIG entry flowing into routes and registration answers.

mod namesrv_common;
mod support;

use namesrv_common::{call, client, ok, register_request, route};
use rocketsim::env::{Fs, Net};
use rocketsim::namesrv::{Namesrv, NamesrvConfig, ORDER_TOPIC_CONFIG};
use rocketsim::protocol::body::KvTable;
use rocketsim::protocol::header::{KvConfigHeader, KvValueHeader};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::path::Path;
use std::time::Duration;
use support::{on_sim, sim_addr, sim_ip};

fn kv(code: RequestCode, namespace: &str, key: &str, value: Option<&str>) -> RemotingCommand {
    RemotingCommand::request(code).with_header(&KvConfigHeader {
        namespace: namespace.into(),
        key: key.into(),
        value: value.map(String::from),
    })
}

fn config() -> NamesrvConfig {
    NamesrvConfig {
        order_message_enable: true,
        ..NamesrvConfig::default()
    }
}

#[test]
fn kv_config_survives_a_restart_and_feeds_order_routes() {
    on_sim(3, |world| async move {
        let ns = world.add_node("namesrv", sim_ip(1), |env| async move {
            let listener = env.bind(sim_addr(1, 9876)).await.expect("bind");
            let namesrv = Namesrv::start(env, listener, config())
                .await
                .expect("start");
            std::future::pending::<()>().await;
            drop(namesrv);
        });
        let broker = world.add_client_node("broker", sim_ip(2));
        world.sleep(Duration::from_millis(100)).await;
        let addr = sim_addr(1, 9876);
        let steps = world.run_on(broker, move |env| async move {
            let client = client(&env);
            ok(&call(
                &client,
                addr,
                kv(
                    RequestCode::PUT_KV_CONFIG,
                    ORDER_TOPIC_CONFIG,
                    "T",
                    Some("broker-a:4"),
                ),
            )
            .await);
            ok(&call(
                &client,
                addr,
                kv(RequestCode::PUT_KV_CONFIG, "ns", "gone", Some("x")),
            )
            .await);
            ok(&call(
                &client,
                addr,
                kv(RequestCode::DELETE_KV_CONFIG, "ns", "gone", None),
            )
            .await);
            let missing = call(
                &client,
                addr,
                kv(RequestCode::GET_KV_CONFIG, "ns", "gone", None),
            )
            .await;
            assert_eq!(missing.response_code(), Some(ResponseCode::QUERY_NOT_FOUND));
            assert_eq!(
                missing.remark.as_deref(),
                Some("No config item, Namespace: ns Key: gone")
            );
            // A registration is answered with the order namespace; the route carries the entry.
            let answer = call(
                &client,
                addr,
                register_request("broker-a", 0, "10.0.0.2:10911", &["T"]),
            )
            .await;
            ok(&answer);
            assert_eq!(
                KvTable::decode(&answer.body).unwrap().table["T"],
                "broker-a:4"
            );
            let routed = route(&client, addr, "T").await.unwrap();
            assert_eq!(routed.order_topic_conf.as_deref(), Some("broker-a:4"));
        });
        steps.await.expect("broker up");
        let file = world
            .disk(ns)
            .read_file(Path::new("namesrv/kvConfig.json"))
            .expect("persisted");
        assert_eq!(
            String::from_utf8(file).unwrap(),
            r#"{"configTable":{"ORDER_TOPIC_CONFIG":{"T":"broker-a:4"}}}"#
        );
        world.restart(ns);
        world.sleep(Duration::from_millis(100)).await;
        world
            .run_on(broker, move |env| async move {
                let client = client(&env);
                let got = call(
                    &client,
                    addr,
                    kv(RequestCode::GET_KV_CONFIG, ORDER_TOPIC_CONFIG, "T", None),
                )
                .await;
                ok(&got);
                assert_eq!(got.header::<KvValueHeader>().unwrap().value, "broker-a:4");
                // Routes are memory only: the restarted name server knows no broker yet.
                assert_eq!(
                    route(&client, addr, "T").await.unwrap_err(),
                    ResponseCode::TOPIC_NOT_EXIST
                );
            })
            .await
            .expect("broker up");
    });
}
