//! The controller over loopback on TokioEnv (timings 10× faster than RocketMQ's): three broker
//! clients, the first becomes master and puts the others in sync; its connection goes away; the
//! most advanced in-sync replica becomes master at epoch 2; the stale master is fenced; the
//! state survives a controller restart.

mod controller_common;
mod support;

use controller_common::*;
use rocketsim::controller::client::ControllerClient;
use rocketsim::controller::{BrokerStats, Controller};
use rocketsim::env::Net;
use rocketsim::protocol::ResponseCode;
use std::time::Duration;
use support::{loopback_any, on_real};

#[test]
fn master_loss_and_switch_over_loopback() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dir = dir.path().to_path_buf();
    on_real(|env| async move {
        let listener = env.bind(loopback_any()).await.expect("bind");
        let controller = Controller::start(env.clone(), listener, fast_controller_config(&dir))
            .await
            .expect("start");
        let addr = controller.local_addr();
        let events = Events::default();
        let clients: Vec<ControllerClient<_>> = (1..=3)
            .map(|id| {
                let client = ControllerClient::new(
                    env.clone(),
                    fast_client_config(addr, id),
                    sink(&events, id),
                );
                client.set_stats(BrokerStats {
                    epoch: 1,
                    max_offset: 100 * id,
                    confirm_offset: 100,
                    election_priority: 0,
                });
                client
            })
            .collect();
        let limit = Duration::from_secs(10);
        clients[0].start();
        let up = wait_until(&env, limit, || is_master_at(last_event(&events, 1), 1)).await;
        assert!(up.is_some(), "{:?}", events.lock());
        clients[1].start();
        clients[2].start();
        let slaves = wait_until(&env, limit, || {
            is_slave_of(last_event(&events, 2), 1, 1) && is_slave_of(last_event(&events, 3), 1, 1)
        })
        .await;
        assert!(slaves.is_some(), "{:?}", events.lock());
        let body = clients[0]
            .alter_sync_state_set(&set(&[1, 2, 3]))
            .await
            .expect("expand");
        assert_eq!(body.sync_state_set_epoch, 2);

        clients[0].shutdown();
        let took = wait_until(&env, limit, || is_master_at(last_event(&events, 3), 2))
            .await
            .expect("3 takes over");
        println!("loopback: new master {took:?} after the old master's connection closed");
        assert!(
            is_slave_of(last_event(&events, 2), 3, 2),
            "{:?}",
            events.lock()
        );

        let refused = clients[0]
            .alter_at(1, 1, &set(&[1, 2, 3]), 2)
            .await
            .expect_err("fenced");
        assert_eq!(
            refused.code(),
            Some(ResponseCode::CONTROLLER_FENCED_MASTER_EPOCH)
        );

        let group = controller
            .with_state(|s| s.group(GROUP).cloned())
            .await
            .expect("group");
        assert_eq!(
            (
                group.master,
                group.master_epoch,
                group.sync_state_set.clone(),
                group.sync_state_set_epoch
            ),
            (Some(3), 2, set(&[3]), 3)
        );
        controller.shutdown();
        for client in &clients {
            client.shutdown();
        }

        let listener = env.bind(loopback_any()).await.expect("bind");
        let restarted = Controller::start(env.clone(), listener, fast_controller_config(&dir))
            .await
            .expect("restart");
        let again = restarted.with_state(|s| s.group(GROUP).cloned()).await;
        assert_eq!(
            again,
            Some(group),
            "the restarted controller keeps its epochs"
        );
        restarted.shutdown();
    });
}
