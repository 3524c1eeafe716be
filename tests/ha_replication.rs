//! Classic master→slave replication in simulation (§5.2–5.3): the slave's CommitLog is
//! byte-identical to the master's and its own dispatcher serves it; a restarted slave catches
//! up; a SLAVE refuses sends; SYNC_MASTER answers SUCCESS only after a slave has the message,
//! FLUSH_SLAVE_TIMEOUT when the slave is clogged, SLAVE_NOT_AVAILABLE with no slave — the
//! message stays on the master every time.

mod broker_common;
mod ha_common;
mod namesrv_common;
mod support;

use broker_common::*;
use ha_common::*;
use rocketsim::broker::{BrokerConfig, BrokerRole};
use rocketsim::protocol::message_id::OffsetMsgId;
use rocketsim::protocol::{RemotingCommand, ResponseCode};
use rocketsim_sim::World;
use std::net::SocketAddr;
use std::time::Duration;
use support::sim_ip;

const QUEUES: i32 = 4;

fn no_tweak(_: &mut BrokerConfig) {}

/// A slave that knows its master's HA address (`haMasterAddress`) and connects at once.
fn configured_slave(c: &mut BrokerConfig) {
    c.ha.master_address = Some(master_ha_addr());
}

/// A body of a size that varies with `i` (up to ~6 KiB), so frames cut records anywhere and
/// the 64 KiB test segments fill with blank markers of various lengths.
fn body(i: usize) -> Vec<u8> {
    let len = 50 + (i * 997) % 6000;
    (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect()
}

/// Sends `count` messages from `from` on the client node; returns each answer's code and the
/// physical offset its msgId names.
async fn send_many(
    world: &World,
    client_node: rocketsim_sim::NodeId,
    addr: SocketAddr,
    from: usize,
    count: usize,
) -> Vec<(ResponseCode, u64)> {
    world
        .run_on(client_node, move |env| async move {
            let c = client(&env);
            let mut out = Vec::new();
            for i in from..from + count {
                let p = props(&[("WAIT", "true")]);
                let queue_id = (i % QUEUES as usize) as i32;
                let request = send_v1(&send_header("Replicated", queue_id, &p), &body(i));
                out.push(answer(&call(&c, addr, request).await));
            }
            out
        })
        .await
        .expect("client up")
}

fn answer(response: &RemotingCommand) -> (ResponseCode, u64) {
    let code = response.response_code().expect("a response code");
    let header: rocketsim::protocol::header::SendMessageResponseHeader =
        response.header().expect("send header");
    let id: OffsetMsgId = header.msg_id.parse().expect("offset msg id");
    (code, id.physical_offset)
}

async fn create(world: &World, client_node: rocketsim_sim::NodeId, addr: SocketAddr) {
    world
        .run_on(client_node, move |env| async move {
            let c = client(&env);
            assert_code(
                &call(&c, addr, create_topic("Replicated", QUEUES)).await,
                ResponseCode::SUCCESS,
            );
        })
        .await
        .expect("client up");
}

#[test]
fn slave_log_is_byte_identical_and_its_dispatcher_serves_it() {
    on_ha_sim(11, |world| async move {
        add_namesrv(&world);
        let (_, master) = add_broker(&world, 2, BrokerRole::AsyncMaster, no_tweak);
        started(&world, &master).await;
        let (_, slave) = add_broker(&world, 3, BrokerRole::Slave, configured_slave);
        started(&world, &slave).await;
        world.sleep(Duration::from_secs(1)).await; // the link is up before the first write
        let client_node = world.add_client_node("client", sim_ip(4));
        create(&world, client_node, master_addr()).await;
        let answers = send_many(&world, client_node, master_addr(), 0, 300).await;
        assert!(answers
            .iter()
            .all(|(code, _)| *code == ResponseCode::SUCCESS));
        let (m, s) = (store(&master), store(&slave));
        assert!(
            m.max_physical_offset() > 10 * m.commitlog_segment_bytes(),
            "the test should span several segments"
        );
        caught_up(&world, &master, &slave, Duration::from_secs(60)).await;
        assert_eq!(
            s.min_physical_offset(),
            0,
            "connected before the first write: a full copy"
        );
        assert_byte_identical(&m, &s);
        // The slave's own dispatcher built the same consume queues.
        world.sleep(Duration::from_secs(1)).await;
        for q in 0..QUEUES {
            assert_eq!(
                s.queue_offsets("Replicated", q),
                m.queue_offsets("Replicated", q)
            );
        }
        // A slave takes no sends (Java's code and remark); its log is unchanged.
        let max_before = s.max_physical_offset();
        let refused = world
            .run_on(client_node, |env| async move {
                let c = client(&env);
                let request = send_v1(&send_header("Replicated", 0, &props(&[])), b"no");
                call(&c, slave_addr(), request).await
            })
            .await
            .expect("client up");
        assert_code(&refused, ResponseCode::SERVICE_NOT_AVAILABLE);
        assert!(refused
            .remark
            .as_deref()
            .is_some_and(|r| r.contains("messages are put to the slave")));
        assert_eq!(s.max_physical_offset(), max_before);
        // Metadata sync (every 10 s) brings the topic; then the slave serves pulls.
        world.sleep(Duration::from_secs(12)).await;
        let records = world
            .run_on(client_node, |env| async move {
                let c = client(&env);
                let (code, _, records) =
                    pull(&c, slave_addr(), &Pull::new("Replicated", 1, 0)).await;
                assert_eq!(code, ResponseCode::SUCCESS);
                records
            })
            .await
            .expect("client up");
        assert_eq!(records[0].body, body(1));
    });
}

/// The slave joins late, empty, learning the master's HA address from the name server's
/// register answer: it starts at the master's last file. Then it is killed, the master takes
/// more writes, and the restarted slave continues from its own end.
#[test]
fn a_restarted_slave_catches_up_from_its_own_end() {
    on_ha_sim(12, |world| async move {
        add_namesrv(&world);
        let (_, master) = add_broker(&world, 2, BrokerRole::AsyncMaster, no_tweak);
        started(&world, &master).await;
        let client_node = world.add_client_node("client", sim_ip(4));
        create(&world, client_node, master_addr()).await;
        send_many(&world, client_node, master_addr(), 0, 100).await;
        let (slave_node, slave) = add_broker(&world, 3, BrokerRole::Slave, no_tweak);
        started(&world, &slave).await;
        caught_up(&world, &master, &slave, Duration::from_secs(60)).await;
        let m = store(&master);
        let last_file =
            m.max_physical_offset() - m.max_physical_offset() % m.commitlog_segment_bytes();
        assert_eq!(store(&slave).min_physical_offset(), last_file);
        assert_byte_identical(&m, &store(&slave));
        world.kill(slave_node);
        *slave.lock() = None;
        send_many(&world, client_node, master_addr(), 100, 150).await;
        world.sleep(Duration::from_secs(2)).await;
        world.restart(slave_node);
        started(&world, &slave).await;
        let restarted_at = store(&slave).max_physical_offset();
        assert!(restarted_at > 0, "the slave kept its log across the kill");
        caught_up(&world, &master, &slave, Duration::from_secs(60)).await;
        assert_byte_identical(&store(&master), &store(&slave));
    });
}

fn sync_master(c: &mut BrokerConfig) {
    c.broker_role = BrokerRole::SyncMaster;
}

#[test]
fn sync_master_acknowledges_only_what_a_slave_has() {
    on_ha_sim(13, |world| async move {
        add_namesrv(&world);
        let (_, master) = add_broker(&world, 2, BrokerRole::SyncMaster, sync_master);
        started(&world, &master).await;
        let client_node = world.add_client_node("client", sim_ip(4));
        create(&world, client_node, master_addr()).await;
        // No slave: SLAVE_NOT_AVAILABLE at once, the message stored on the master.
        let before = store(&master).max_physical_offset();
        let t0 = world.now();
        let lonely = send_many(&world, client_node, master_addr(), 0, 1).await;
        assert_eq!(lonely[0].0, ResponseCode::SLAVE_NOT_AVAILABLE);
        assert!(
            world.now() - t0 < Duration::from_secs(1),
            "answered at once"
        );
        assert!(
            store(&master).max_physical_offset() > before,
            "stored on the master"
        );

        let (slave_node, slave) = add_broker(&world, 3, BrokerRole::Slave, configured_slave);
        started(&world, &slave).await;
        caught_up(&world, &master, &slave, Duration::from_secs(60)).await;
        // With the slave: every SUCCESS is already on the slave when it is answered.
        for (code, phy) in send_many(&world, client_node, master_addr(), 1, 40).await {
            assert_eq!(code, ResponseCode::SUCCESS);
            let len = store(&master).read(phy).expect("on master").len() as u64;
            assert!(
                store(&slave).replica_end() >= phy + len,
                "acknowledged before the slave had it"
            );
        }
        // The slave's link clogged: FLUSH_SLAVE_TIMEOUT after ~3 s, stored on the master.
        world.clog_node(slave_node);
        let t0 = world.now();
        let (code, phy) = send_many(&world, client_node, master_addr(), 41, 1).await[0];
        assert_eq!(code, ResponseCode::FLUSH_SLAVE_TIMEOUT);
        let waited = world.now() - t0;
        assert!(
            waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
            "{waited:?}"
        );
        assert!(store(&master).read(phy).is_ok());
        assert!(store(&slave).replica_end() <= phy);
        // Unclogged, it catches up and sends are acknowledged again.
        world.unclog_node(slave_node);
        caught_up(&world, &master, &slave, Duration::from_secs(60)).await;
        let again = send_many(&world, client_node, master_addr(), 42, 5).await;
        assert!(
            again.iter().all(|(c, _)| *c == ResponseCode::SUCCESS),
            "{again:?}"
        );
        // The slave gone: after the 20 s housekeeping the master has no slave link left.
        world.kill(slave_node);
        world.sleep(Duration::from_secs(25)).await;
        let t0 = world.now();
        let gone = send_many(&world, client_node, master_addr(), 47, 1).await;
        assert_eq!(gone[0].0, ResponseCode::SLAVE_NOT_AVAILABLE);
        assert!(world.now() - t0 < Duration::from_secs(1));
    });
}
