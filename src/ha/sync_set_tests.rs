use super::*;

fn at(ms: u64) -> Instant {
    Instant::from_origin(Duration::from_millis(ms))
}

fn set(ids: &[i64]) -> BTreeSet<i64> {
    ids.iter().copied().collect()
}

fn table() -> SyncSet<&'static str> {
    SyncSet::new(1, 10, Duration::from_secs(15))
}

#[test]
fn a_set_of_only_the_master_confirms_its_max_and_waits_for_nothing() {
    let mut s = table();
    assert_eq!(s.confirm_offset(500), 500);
    assert_eq!(s.wait(500, "a"), Ok(None));
}

#[test]
fn all_ack_waits_for_every_member_and_the_confirm_offset_is_the_least_ack() {
    let mut s = table();
    assert_eq!(
        s.set_members(set(&[1, 2, 3]), 4, 1, at(0)),
        Vec::<&str>::new()
    );
    s.on_handshake(2, 10, false);
    s.on_handshake(3, 11, false);
    assert_eq!(s.confirm_offset(500), 0);
    assert_eq!(s.wait(300, "a"), Ok(Some((300, 0))));
    assert_eq!(s.wait(200, "b"), Ok(Some((200, 1))));
    assert_eq!(s.on_ack(2, 400), Vec::<&str>::new(), "3 has nothing yet");
    assert_eq!(s.on_ack(3, 250), vec!["b"]);
    assert_eq!(s.confirm_offset(500), 250);
    assert_eq!(s.on_ack(3, 300), vec!["a"]);
    assert_eq!(s.confirm_offset(280), 280, "never past the master's max");
}

#[test]
fn shrinking_the_set_releases_waiters() {
    let mut s = table();
    s.set_members(set(&[1, 2, 3]), 4, 1, at(0));
    s.on_handshake(2, 10, false);
    s.on_ack(2, 400);
    assert_eq!(s.wait(300, "a"), Ok(Some((300, 0))));
    assert_eq!(s.wait(450, "b"), Ok(Some((450, 1))));
    assert_eq!(s.set_members(set(&[1, 2]), 5, 1, at(10)), vec!["a"]);
    assert_eq!(s.set_members(set(&[1]), 6, 1, at(10)), vec!["b"]);
    assert_eq!(s.epoch(), 6);
}

#[test]
fn a_member_not_caught_up_for_fifteen_seconds_is_proposed_out() {
    let mut s = table();
    s.set_members(set(&[1, 2, 3]), 4, 1, at(0));
    s.on_handshake(2, 10, false);
    // 2 keeps up: each send's max is acknowledged; 3 never connects.
    for t in (0..20_000).step_by(1000) {
        s.on_sent(2, t, at(t));
        s.on_ack(2, t);
    }
    assert_eq!(
        s.proposal(at(15_000), 20_000),
        None,
        "grace after set_members"
    );
    assert_eq!(s.proposal(at(15_001), 20_000), Some(set(&[1, 2])));
    // 2 falls behind: sends at 20 s onwards are never reached.
    s.on_sent(2, 50_000, at(20_000));
    s.on_ack(2, 30_000);
    assert_eq!(s.proposal(at(34_000), 50_000), Some(set(&[1, 2])));
    assert_eq!(s.proposal(at(34_001), 50_000), Some(set(&[1])));
}

#[test]
fn a_connected_slave_that_reached_the_confirm_offset_is_proposed_in_unless_a_learner() {
    let mut s = table();
    s.on_handshake(2, 10, false);
    s.on_handshake(3, 11, true);
    s.on_ack(2, 90);
    s.on_ack(3, 100);
    assert_eq!(s.proposal(at(0), 100), None, "2 is behind, 3 is a learner");
    s.on_ack(2, 100);
    assert_eq!(s.proposal(at(0), 100), Some(set(&[1, 2])));
    s.on_link_closed(2, 10);
    assert_eq!(s.proposal(at(0), 100), None, "no link, no join");
}

#[test]
fn a_newer_link_of_the_same_broker_supersedes_the_older() {
    let mut s = table();
    assert_eq!(s.on_handshake(2, 10, false), None);
    assert_eq!(s.on_handshake(2, 12, false), Some(10));
    assert!(!s.is_current(2, 10));
    s.on_link_closed(2, 10);
    assert!(
        s.is_current(2, 12),
        "the old link's close keeps the new one"
    );
}

#[test]
fn a_full_waiter_table_refuses() {
    let mut s: SyncSet<u8> = SyncSet::new(1, 1, Duration::from_secs(15));
    s.set_members(set(&[1, 2]), 1, 1, at(0));
    assert!(s.wait(5, 1).is_ok());
    assert_eq!(s.wait(6, 2), Err(2));
}
