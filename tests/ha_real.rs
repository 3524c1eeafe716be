//! Replication for real (TokioEnv over loopback, temp dirs): a name server, a master and a
//! slave as separate brokers. The slave's CommitLog becomes byte-identical to the master's,
//! it refuses sends, and after the master stops it serves every message to pulls.

mod broker_common;
mod namesrv_common;
mod support;

use broker_common::*;
use rocketsim::broker::{Broker, BrokerRole};
use rocketsim::env::{Clock, Net};
use rocketsim::namesrv::Namesrv;
use rocketsim::protocol::ResponseCode;
use rocketsim::store::MessageStore;
use rocketsim_real::TokioEnv;
use std::time::Duration;
use support::{loopback_any, on_real};

const COUNT: usize = 200;

fn identical(master: &MessageStore<TokioEnv>, slave: &MessageStore<TokioEnv>) -> bool {
    let max = master.max_physical_offset();
    if slave.max_physical_offset() != max || slave.min_physical_offset() != 0 {
        return false;
    }
    let mut at = 0;
    while at < max {
        let (Ok(a), Ok(b)) = (
            master.read_raw(at, 32 * 1024),
            slave.read_raw(at, 32 * 1024),
        ) else {
            return false;
        };
        if a.is_empty() || a != b {
            return false;
        }
        at += a.len() as u64;
    }
    true
}

#[test]
fn a_real_slave_replicates_and_serves_reads_after_the_master_stops() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    on_real(|env| async move {
        let ns_listener = env.bind(loopback_any()).await.expect("bind namesrv");
        let ns = Namesrv::start(env.clone(), ns_listener, namesrv_common::config_in(&root))
            .await
            .expect("namesrv");
        let ns_addr = ns.local_addr();
        let mut cfg = config(&root.join("master"), loopback_any().ip(), 0, Some(ns_addr));
        cfg.ha.listen_port = Some(0);
        let master: Broker<TokioEnv> = start(&env, loopback_any(), cfg).await;
        let mut cfg = config(&root.join("slave"), loopback_any().ip(), 0, Some(ns_addr));
        cfg.broker_role = BrokerRole::Slave;
        cfg.broker_id = 1;
        cfg.ha.listen_port = Some(0);
        cfg.ha.master_address = Some(master.ha_addr());
        cfg.slave_sync_first_delay = Duration::from_millis(200);
        cfg.slave_sync_interval = Duration::from_millis(500);
        let slave: Broker<TokioEnv> = start(&env, loopback_any(), cfg).await;
        let c = client(&env);
        assert_code(
            &call(&c, master.local_addr(), create_topic("RealHA", 2)).await,
            ResponseCode::SUCCESS,
        );
        for i in 0..COUNT {
            let body = format!("real-{i}-{}", "x".repeat(i * 37 % 3000));
            let request = send_v1(
                &send_header("RealHA", (i % 2) as i32, &props(&[])),
                body.as_bytes(),
            );
            send_answer(&call(&c, master.local_addr(), request).await);
        }
        let sent_at = std::time::Instant::now();
        let mut waited = 0;
        while !identical(master.store(), slave.store()) {
            assert!(waited < 3000, "the slave never caught up");
            env.sleep(Duration::from_millis(10)).await;
            waited += 1;
        }
        // A measurement, not an assertion (tests do not judge speed).
        eprintln!(
            "ha_real: {} log bytes, slave identical {:?} after the last acknowledged send",
            master.store().max_physical_offset(),
            sent_at.elapsed()
        );
        assert_eq!(master.slave_links(), 1);
        let refused = call(
            &c,
            slave.local_addr(),
            send_v1(&send_header("RealHA", 0, &props(&[])), b"no"),
        )
        .await;
        assert_code(&refused, ResponseCode::SERVICE_NOT_AVAILABLE);
        // Give the metadata sync a round to copy the topic, then stop the master.
        env.sleep(Duration::from_secs(1)).await;
        master.shutdown().await.expect("master stops cleanly");
        let mut received = 0;
        for queue_id in 0..2 {
            let mut offset = 0;
            loop {
                let (code, header, records) = pull(
                    &c,
                    slave.local_addr(),
                    &Pull::new("RealHA", queue_id, offset),
                )
                .await;
                if code != ResponseCode::SUCCESS {
                    assert_eq!(code, ResponseCode::PULL_NOT_FOUND);
                    break;
                }
                received += records.len();
                offset = header.next_begin_offset;
            }
        }
        assert_eq!(received, COUNT, "the slave serves every message");
        slave.shutdown().await.expect("slave stops cleanly");
        drop(ns);
    });
}
