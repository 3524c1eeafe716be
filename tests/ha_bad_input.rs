//! Bad input on the HA port (§5.2): the frame decoders never panic on arbitrary bytes, and a
//! slave fed garbage, truncated frames, impossible sizes or offsets that do not continue its
//! log closes the link with a log line, appends nothing, reconnects, and keeps serving.

mod broker_common;
mod ha_common;
mod namesrv_common;
mod support;

use broker_common::*;
use ha_common::*;
use proptest::prelude::*;
use rocketsim::broker::{BrokerConfig, BrokerRole};
use rocketsim::env::{ConnWrite, Listener, Net};
use rocketsim::ha::{decode_reports, decode_transfer, encode_transfer_header, FrameError};
use rocketsim::protocol::{RemotingCommand, RequestCode, ResponseCode};
use std::time::Duration;
use support::{sim_addr, sim_ip};

proptest! {
    #[test]
    fn transfer_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), max in 0usize..64) {
        match decode_transfer(&bytes, max) {
            Ok(header) => {
                prop_assert!(header.frame_len() <= bytes.len());
                prop_assert!(header.size as usize <= max);
            }
            Err(FrameError::Incomplete) | Err(FrameError::Invalid(_)) => {}
        }
    }

    #[test]
    fn report_decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        if let Ok((_, used)) = decode_reports(&bytes) {
            prop_assert!(used <= bytes.len() && used % 8 == 0);
        }
    }
}

/// What the fake master sends on its `n`th connection.
fn poison(n: usize) -> Vec<u8> {
    match n {
        // Plain garbage with a huge size field.
        0 => b"\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff\xff\xffgarbage".to_vec(),
        // A negative start offset.
        1 => encode_transfer_header(u64::MAX, 4).to_vec(),
        // A well-formed frame at offset 0 whose body is not a record.
        2 => {
            let mut frame = encode_transfer_header(0, 200).to_vec();
            frame.extend((0..200u32).map(|i| (i * 7) as u8));
            frame
        }
        // An offset that does not continue the (empty) log: not a segment start.
        3 => {
            let mut frame = encode_transfer_header(100, 8).to_vec();
            frame.extend_from_slice(&[1; 8]);
            frame
        }
        // A truncated frame, then the connection closes.
        _ => {
            let mut frame = encode_transfer_header(0, 1000).to_vec();
            frame.extend_from_slice(&[0xAB; 300]);
            frame
        }
    }
}

fn fake_master(c: &mut BrokerConfig) {
    c.ha.master_address = Some(sim_addr(5, 10912));
}

#[test]
fn a_slave_fed_bad_frames_appends_nothing_and_keeps_serving() {
    on_ha_sim(21, |world| async move {
        add_namesrv(&world);
        let fake = world.add_client_node("fake-master", sim_ip(5));
        let fake_env = world.env(fake);
        let served = world.run_on(fake, move |_| async move {
            let mut listener = fake_env.bind(sim_addr(5, 10912)).await.expect("bind");
            for n in 0..5 {
                let (conn, _) = listener.accept().await.expect("the slave connects");
                let (_read, mut write) = rocketsim::env::Conn::split(conn);
                let _ = write.write_all(&poison(n)).await;
                if n == 4 {
                    let _ = write.shutdown().await;
                }
                // Keep the connection open until the slave gives up on it.
                rocketsim::env::Clock::sleep(&fake_env, Duration::from_secs(1)).await;
            }
            let _ = Listener::local_addr(&listener);
            5
        });
        let (_, slave) = add_broker(&world, 3, BrokerRole::Slave, fake_master);
        started(&world, &slave).await;
        assert_eq!(
            served.await.expect("fake master up"),
            5,
            "the slave reconnected after every close"
        );
        let s = store(&slave);
        assert_eq!(
            (s.max_physical_offset(), s.replica_end()),
            (0, 0),
            "nothing appended"
        );
        let client_node = world.add_client_node("client", sim_ip(4));
        let answer = world
            .run_on(client_node, |env| async move {
                let c = client(&env);
                call(
                    &c,
                    slave_addr(),
                    RemotingCommand::request(RequestCode::GET_ALL_TOPIC_CONFIG),
                )
                .await
            })
            .await
            .expect("client up");
        assert_code(&answer, ResponseCode::SUCCESS);
    });
}
