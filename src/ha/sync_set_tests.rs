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
    assert_eq!(
        s.on_ack(2, 400, 500).released,
        Vec::<&str>::new(),
        "3 has nothing yet"
    );
    assert_eq!(s.on_ack(3, 250, 500).released, vec!["b"]);
    assert_eq!(s.confirm_offset(500), 250);
    assert_eq!(s.on_ack(3, 300, 500).released, vec!["a"]);
    assert_eq!(s.confirm_offset(280), 280, "never past the master's max");
}

#[test]
fn shrinking_the_set_releases_waiters() {
    let mut s = table();
    s.set_members(set(&[1, 2, 3]), 4, 1, at(0));
    s.on_handshake(2, 10, false);
    s.on_ack(2, 400, 500);
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
        s.on_ack(2, t, t);
    }
    assert_eq!(s.proposal(at(15_000)), None, "grace after set_members");
    assert_eq!(s.proposal(at(15_001)), Some(set(&[1, 2])));
    // 2 falls behind: sends at 20 s onwards are never reached.
    s.on_sent(2, 50_000, at(20_000));
    s.on_ack(2, 30_000, 50_000);
    assert_eq!(s.proposal(at(34_000)), Some(set(&[1, 2])));
    assert_eq!(s.proposal(at(34_001)), Some(set(&[1])));
}

#[test]
fn a_connected_slave_whose_ack_reached_the_confirm_offset_joins_unless_a_learner() {
    let mut s = table();
    s.on_handshake(2, 10, false);
    s.on_handshake(3, 11, true);
    assert!(!s.on_ack(2, 90, 100).joined, "2 is behind");
    assert!(!s.on_ack(3, 100, 100).joined, "3 is a learner");
    assert_eq!(s.proposal(at(0)), None);
    assert!(s.on_ack(2, 100, 100).joined);
    assert!(!s.on_ack(2, 100, 100).joined, "once");
    assert_eq!(s.joiners(), &set(&[2]));
    assert_eq!(s.proposal(at(0)), Some(set(&[1, 2])));
    s.on_link_closed(2, 10);
    assert_eq!(s.proposal(at(0)), None, "no link, no join");
}

/// Under steady load the slave is a record behind at almost every instant (here: at every
/// review), yet each ack that reaches the master's max at that moment makes it a joiner.
#[test]
fn a_slave_trailing_by_a_record_at_every_review_still_joins_at_an_ack() {
    let mut s = table();
    s.on_handshake(2, 10, false);
    assert!(!s.on_ack(2, 900, 1_000).joined, "a record behind");
    assert_eq!(s.proposal(at(5_000)), None);
    assert!(s.on_ack(2, 1_000, 1_000).joined, "caught up for an instant");
    // The master writes on: the next review finds 2 a record behind again, and proposes it.
    assert_eq!(s.proposal(at(10_000)), Some(set(&[1, 2])));
}

#[test]
fn a_joiner_is_counted_from_the_ack_that_made_it_one() {
    let mut s = table();
    s.on_handshake(2, 10, false);
    assert_eq!(s.wait(100, "before"), Ok(None), "only the master counted");
    assert!(s.on_ack(2, 100, 100).joined);
    assert_eq!(s.confirm_offset(150), 100);
    assert_eq!(
        s.wait(150, "after"),
        Ok(Some((150, 0))),
        "the joiner must have it"
    );
    assert_eq!(s.on_ack(2, 150, 150).released, vec!["after"]);
    assert_eq!(s.wait(200, "gone"), Ok(Some((200, 1))));
    assert_eq!(
        s.on_link_closed(2, 10),
        vec!["gone"],
        "a joiner that leaves before it is proposed holds nothing back"
    );
}

#[test]
fn an_accepted_set_turns_joiners_into_members() {
    let mut s = table();
    s.on_handshake(2, 10, false);
    s.on_handshake(3, 11, false);
    s.on_ack(2, 100, 100);
    s.on_ack(3, 100, 100);
    s.set_members(set(&[1, 2]), 2, 1, at(0));
    assert_eq!(
        s.joiners(),
        &set(&[3]),
        "3 joined after the proposal: still a joiner"
    );
    assert_eq!(s.proposal(at(0)), Some(set(&[1, 2, 3])));
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
