//! Flow control end to end (simulation): a SYNC_FLUSH broker with one send slot on a disk whose
//! fsync takes 400 ms. A burst of concurrent sends cannot all get a turn within 200 ms: the
//! late ones are answered SYSTEM_BUSY with Java's `[TIMEOUT_CLEAN_QUEUE]` or `[OVERLOAD]`
//! remark and are not stored; every send answered SUCCESS is stored; once the burst is over
//! the broker serves again.

mod broker_common;
mod support;

use broker_common::*;
use rocketsim::protocol::ResponseCode;
use rocketsim::store::FlushMode;
use rocketsim_sim::DiskFaults;
use std::path::PathBuf;
use support::{on_sim, sim_addr, sim_ip};

const BURST: usize = 12;

#[test]
fn a_burst_beyond_the_send_queue_is_refused_busy_and_not_stored() {
    on_sim(3, |world| async move {
        let node = world.add_client_node("broker", sim_ip(2));
        world.set_disk_faults(
            node,
            DiskFaults {
                enabled: true,
                fsync_latency_ms: (400, 400),
                ..DiskFaults::default()
            },
        );
        world
            .run_on(node, |env| async move {
                let bind = sim_addr(2, 10911);
                let mut cfg = config(&PathBuf::from("data"), bind.ip(), bind.port(), None);
                cfg.flush_disk_type = FlushMode::Sync;
                cfg.send_threads = 1;
                cfg.send_queue_capacity = 6;
                let broker = start(&env, bind, cfg).await;
                let addr = broker.local_addr();
                let c = client(&env);
                assert_code(
                    &call(&c, addr, create_topic("T", 1)).await,
                    ResponseCode::SUCCESS,
                );
                let sends = (0..BURST).map(|i| {
                    let c = c.clone();
                    async move {
                        let p = props(&[("WAIT", "true")]);
                        let body = format!("m{i}");
                        call(&c, addr, send_v1(&send_header("T", 0, &p), body.as_bytes())).await
                    }
                });
                let responses = futures::future::join_all(sends).await;
                let mut ok = 0u64;
                let mut busy = 0;
                for response in responses {
                    match response.response_code() {
                        Some(ResponseCode::SUCCESS) => ok += 1,
                        Some(ResponseCode::SYSTEM_BUSY) => {
                            let remark = response.remark.clone().unwrap_or_default();
                            assert!(
                                remark.starts_with("[TIMEOUT_CLEAN_QUEUE]")
                                    || remark.starts_with("[OVERLOAD]"),
                                "{remark}"
                            );
                            busy += 1;
                        }
                        other => panic!("unexpected {other:?}: {:?}", response.remark),
                    }
                }
                assert!(ok >= 1 && busy >= 1, "ok={ok} busy={busy}");
                assert_eq!(
                    broker.store().queue_offsets("T", 0).1,
                    ok,
                    "only SUCCESS stored"
                );
                // The burst is over: the next send gets its turn.
                let after = call(&c, addr, send_v1(&send_header("T", 0, &props(&[])), b"x")).await;
                assert_code(&after, ResponseCode::SUCCESS);
                broker.shutdown().await.expect("clean shutdown");
            })
            .await
            .expect("node stays up");
    });
}
