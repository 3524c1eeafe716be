//! Bad input on AutoSwitch links (§5.8): the decoders never panic on arbitrary bytes; a slave
//! fed malformed or truncated frames by a fake master closes the link and appends nothing; a
//! master refuses a handshake from a broker id that is not a replica of its group, and a first
//! message that is not a handshake, without answering.

#[path = "ha_common/auto.rs"]
mod auto;

use std::time::Duration;

use auto::*;
use bytes::BytesMut;
use proptest::prelude::*;
use rocketsim::env::{Conn, ConnRead, ConnWrite, Listener, Net};
use rocketsim::ha::{
    decode_master_msg, decode_slave_msg, encode_ack, encode_auto_transfer_header, encode_handshake,
    encode_reply, AutoTransfer,
};

proptest! {
    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80), max in 0usize..64) {
        let _ = decode_slave_msg(&bytes);
        let _ = decode_master_msg(&bytes, max, 4);
    }
}

/// What a fake master sends after reading the slave's handshake.
fn poison(n: usize) -> Vec<u8> {
    let header = |t: AutoTransfer| encode_auto_transfer_header(&t).to_vec();
    let frame = AutoTransfer {
        size: 8,
        offset: 0,
        epoch: 1,
        epoch_start: 0,
        confirm: 0,
    };
    let reply = encode_reply(1_000, 1, &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut out = match n % 4 {
        // Not a reply at all: an unknown state.
        0 => vec![0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        // A reply whose body is not whole epoch entries.
        1 => encode_reply(1_000, 1, &[0; 5]),
        // A good reply, then a frame whose epoch starts after it.
        2 => [
            reply.clone(),
            header(AutoTransfer {
                offset: 0,
                epoch_start: 9,
                ..frame
            }),
        ]
        .concat(),
        // A good reply, then a frame of garbage bytes where a record should be.
        _ => [reply, header(frame), vec![0xAB; 8]].concat(),
    };
    out.extend_from_slice(&[0xFF; 3]);
    out
}

#[test]
fn a_slave_fed_bad_frames_appends_nothing_and_keeps_trying() {
    sim(41, |world| async move {
        let fake = world.add_client_node("fake", ip(2));
        let b = replica(&world, "b", 3, None).await;
        let served = world.run_on(fake, |env| async move {
            let mut listener = env.bind(ha_addr(2)).await.unwrap();
            for n in 0..8 {
                let (conn, _) = listener.accept().await.unwrap();
                let (mut read, mut write) = conn.split();
                let mut buf = BytesMut::new();
                while buf.len() < 16 {
                    read.read_buf(&mut buf).await.unwrap();
                }
                assert_eq!(&buf[..16], &encode_handshake(false, false, 2)[..]);
                write.write_all(&poison(n)).await.unwrap();
                // The slave closes: the read ends (perhaps after an ack of its end, 0).
                let mut rest = BytesMut::new();
                while read.read_buf(&mut rest).await.unwrap_or(0) > 0 {}
                assert!(rest.is_empty() || rest[..] == encode_ack(0)[..]);
            }
        });
        let _slave = start_slave(&world, &b, ha_config(2), 2).await;
        served.await.expect("fake master up");
        assert_eq!(b.store.replica_end(), 0, "nothing appended");
        assert_eq!(b.store.max_physical_offset(), 0);
        assert_eq!(
            b.epochs.cache().len(),
            0,
            "no epoch recorded from a bad frame"
        );
    });
}

/// Connects to the master's HA port, sends `hello`, returns what comes back before it closes.
async fn knock(world: &rocketsim_sim::World, node: rocketsim_sim::NodeId, hello: Vec<u8>) -> usize {
    world
        .run_on(node, move |env| async move {
            let conn = env.connect(ha_addr(2)).await.unwrap();
            let (mut read, mut write) = conn.split();
            write.write_all(&hello).await.unwrap();
            let mut buf = BytesMut::new();
            while read.read_buf(&mut buf).await.unwrap_or(0) > 0 {}
            buf.len()
        })
        .await
        .unwrap()
}

#[test]
fn a_master_refuses_unknown_broker_ids_and_non_handshakes() {
    sim(42, |world| async move {
        let a = replica(&world, "a", 2, None).await;
        a.epochs.append(1, 0).await.unwrap();
        let (master, _task) = start_master(&world, &a, ha_config(1), &[2]).await;
        write(&a, Some(&master), 0, 3, "a").await;
        let impostor = world.add_client_node("impostor", ip(9));
        assert_eq!(
            knock(&world, impostor, encode_handshake(false, false, 99)).await,
            0
        );
        assert_eq!(
            knock(&world, impostor, encode_handshake(false, false, 1)).await,
            0,
            "own id"
        );
        assert_eq!(
            knock(&world, impostor, encode_ack(1 << 40).to_vec()).await,
            0
        );
        assert_eq!(master.broker_acked_offset(99), None);
        assert_eq!(master.slave_count(), 0);
        // The confirm offset is untouched: a refused peer acknowledges nothing.
        master.set_sync_state_set([1, 2].into_iter().collect(), 1, 1);
        assert_eq!(master.confirm_offset(), 0);
        world.sleep(Duration::from_millis(10)).await;
    });
}
