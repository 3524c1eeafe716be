//! rocketmq#3015: anything can connect to a classic master's HA port and report an offset.
//! Java trusts it, so a client reporting a huge offset makes a SYNC_MASTER acknowledge writes
//! no slave has. Our guard (see `ha::master_link`): a first report beyond the master's end
//! closes the link, and an acknowledgement never exceeds what the link was sent. What remains
//! (documented): a peer that reads the stream and echoes its end is a slave as far as classic
//! HA can tell — only a handshake (the controller mode's) can tell them apart.

mod broker_common;
mod ha_common;
mod namesrv_common;
mod support;

use broker_common::*;
use bytes::BytesMut;
use ha_common::*;
use rocketsim::broker::{BrokerConfig, BrokerRole};
use rocketsim::env::{Conn, ConnRead, ConnWrite, Net};
use rocketsim::ha::encode_report;
use rocketsim::protocol::ResponseCode;
use std::time::Duration;
use support::sim_ip;

fn sync_master(c: &mut BrokerConfig) {
    c.broker_role = BrokerRole::SyncMaster;
}

async fn send_one<E: rocketsim::env::Env>(env: &E, i: usize) -> ResponseCode {
    let c = client(env);
    let request = send_v1(
        &send_header("Guarded", 0, &props(&[("WAIT", "true")])),
        format!("m{i}").as_bytes(),
    );
    call(&c, master_addr(), request)
        .await
        .response_code()
        .expect("code")
}

#[test]
fn a_fake_slave_reporting_a_huge_offset_acknowledges_nothing() {
    on_ha_sim(31, |world| async move {
        add_namesrv(&world);
        let (_, master) = add_broker(&world, 2, BrokerRole::SyncMaster, sync_master);
        started(&world, &master).await;
        let node = world.add_client_node("impostor", sim_ip(6));
        let codes = world
            .run_on(node, |env| async move {
                let c = client(&env);
                assert_code(
                    &call(&c, master_addr(), create_topic("Guarded", 1)).await,
                    ResponseCode::SUCCESS,
                );
                // (a) First report beyond the master's end: the master closes the link.
                let conn = env.connect(master_ha_addr()).await.expect("HA port open");
                let (mut read, mut write) = conn.split();
                write
                    .write_all(&encode_report(1 << 50))
                    .await
                    .expect("report");
                let mut buf = BytesMut::new();
                let closed = rocketsim::env::Clock::timeout(
                    &env,
                    Duration::from_secs(5),
                    read.read_buf(&mut buf),
                )
                .await;
                assert!(
                    matches!(closed, Ok(Ok(0)) | Ok(Err(_))),
                    "the master closes the link: {closed:?}"
                );
                let a = send_one(&env, 0).await;
                // (b) Report 0 (an empty slave), never read, then claim a huge offset.
                let conn = env.connect(master_ha_addr()).await.expect("HA port open");
                let (_read, mut write) = conn.split();
                write.write_all(&encode_report(0)).await.expect("report");
                rocketsim::env::Clock::sleep(&env, Duration::from_millis(500)).await;
                write
                    .write_all(&encode_report(1 << 50))
                    .await
                    .expect("report");
                let b = send_one(&env, 1).await;
                (a, b)
            })
            .await
            .expect("impostor up");
        // Unguarded classic HA would answer SUCCESS to both.
        assert_eq!(codes.0, ResponseCode::SLAVE_NOT_AVAILABLE);
        assert_ne!(
            codes.1,
            ResponseCode::SUCCESS,
            "acknowledged an unreplicated write"
        );
        assert!(
            store(&master).max_physical_offset() > 0,
            "both messages stored on the master"
        );
    });
}
