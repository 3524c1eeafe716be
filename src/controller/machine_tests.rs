//! The state machine, case by case: "state + event → exact outcome", no runtime.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::config::{ControllerConfig, ControllerLimits};
use super::error::{AlterFailure, ControllerError};
use super::group::BrokerId;
use super::liveness::BrokerStats;
use super::machine::{ControllerState, ElectRequest, Election, ElectionOutcome, Heartbeat};
use super::snapshot::Snapshot;
use crate::env::Instant;
use crate::protocol::ResponseCode;
use crate::remoting::ConnId;

const G: &str = "broker-a";

fn at(secs: u64) -> Instant {
    Instant::from_origin(Duration::from_secs(secs))
}

fn addr(id: BrokerId) -> String {
    format!("10.0.0.{id}:10911")
}

fn config() -> ControllerConfig {
    ControllerConfig::default()
}

/// A controller started at t=0 with replicas `ids` applied.
fn with_replicas(config: &ControllerConfig, ids: &[BrokerId]) -> ControllerState {
    let mut s = ControllerState::new(config, BTreeMap::new(), at(0));
    for id in ids {
        s.apply_broker_id("c", G, *id, &format!("{};1", addr(*id)))
            .expect("apply");
    }
    s
}

fn beat(
    s: &mut ControllerState,
    id: BrokerId,
    epoch: i32,
    max_offset: i64,
    prio: i32,
    now: Instant,
) {
    let hb = Heartbeat {
        cluster_name: "c".into(),
        broker_name: G.into(),
        broker_addr: addr(id),
        broker_id: id,
        timeout: None,
        stats: BrokerStats {
            epoch,
            max_offset,
            confirm_offset: 0,
            election_priority: prio,
        },
        conn: Some(ConnId(id as u64)),
    };
    s.heartbeat(hb, now).expect("heartbeat");
}

fn request(id: Option<BrokerId>, designate: bool) -> ElectRequest {
    ElectRequest {
        cluster_name: "c".into(),
        broker_name: G.into(),
        broker_id: id,
        designate,
    }
}

fn master_of(s: &ControllerState) -> (Option<BrokerId>, i32, BTreeSet<BrokerId>, i32) {
    let g = s.group(G).expect("group");
    (
        g.master,
        g.master_epoch,
        g.sync_state_set.clone(),
        g.sync_state_set_epoch,
    )
}

fn set(ids: &[BrokerId]) -> BTreeSet<BrokerId> {
    ids.iter().copied().collect()
}

/// Three replicas, 1 elected first, sync-state set {1,2,3} at epoch 2; all alive at t=1.
fn three_in_sync() -> ControllerState {
    let mut s = with_replicas(&config(), &[1, 2, 3]);
    for id in [1, 2, 3] {
        beat(&mut s, id, 1, 100, 5, at(1));
    }
    s.elect(&request(Some(1), false), at(1))
        .expect("first election");
    s.alter_sync_state_set(G, 1, 1, &set(&[1, 2, 3]), 1, at(1))
        .expect("expand");
    assert!(s.take_dirty());
    s
}

#[test]
fn first_election_takes_the_requester_and_bumps_both_epochs() {
    let mut s = with_replicas(&config(), &[1, 2, 3]);
    let Election::Elected(change) = s.elect(&request(Some(2), false), at(0)).expect("elect") else {
        panic!("expected a new master");
    };
    assert_eq!(master_of(&s), (Some(2), 1, set(&[2]), 1));
    assert_eq!(change.view.master, Some((2, addr(2))));
    let targets: Vec<BrokerId> = change.targets.iter().map(|t| t.0).collect();
    assert_eq!(targets, [1, 2, 3]);
    assert!(s.take_dirty());
}

#[test]
fn elections_need_a_registered_group_and_replica() {
    let mut s = with_replicas(&config(), &[1]);
    let error = s
        .elect(&request(Some(9), false), at(0))
        .expect_err("unknown id");
    assert_eq!(
        error.code(),
        ResponseCode::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED
    );
    let mut other = request(Some(1), false);
    other.broker_name = "nope".into();
    let error = s.elect(&other, at(0)).expect_err("unknown group");
    assert!(matches!(error, ControllerError::GroupNotRegistered { .. }));
}

#[test]
fn alive_master_is_kept() {
    let mut s = three_in_sync();
    let kept = s.elect(&request(Some(2), false), at(2)).expect("kept");
    assert!(matches!(kept, Election::Kept(ref v) if v.master == Some((1, addr(1)))));
    assert_eq!(master_of(&s), (Some(1), 1, set(&[1, 2, 3]), 2));
    assert!(!s.take_dirty());
}

#[test]
fn dead_master_is_replaced_by_the_most_advanced_in_sync_replica() {
    let mut s = three_in_sync();
    // 2 and 3 keep beating; 3 has more data. 1 stops at t=1.
    for t in [5, 10] {
        beat(&mut s, 2, 1, 150, 5, at(t));
        beat(&mut s, 3, 1, 180, 5, at(t));
    }
    assert_eq!(
        s.scan(at(10)).elections,
        vec![],
        "1 is alive until 1 + 10 s"
    );
    let result = s.scan(at(12));
    assert_eq!(result.expired.iter().map(|e| e.1).collect::<Vec<_>>(), [1]);
    let [ElectionOutcome::Elected(change)] = result.elections.as_slice() else {
        panic!("expected an election: {:?}", result.elections);
    };
    assert_eq!(change.view.master, Some((3, addr(3))));
    assert_eq!(master_of(&s), (Some(3), 2, set(&[3]), 3));
    assert!(s.take_dirty());
}

#[test]
fn closed_connection_of_the_master_reelects_at_once() {
    let mut s = three_in_sync();
    let outcomes = s.connection_closed(ConnId(1), at(2));
    assert!(
        matches!(outcomes.as_slice(), [ElectionOutcome::Elected(c)] if c.view.master.as_ref().map(|m| m.0) == Some(2))
    );
    assert_eq!(master_of(&s).1, 2);
    // A slave's connection closing elects nobody.
    assert_eq!(s.connection_closed(ConnId(3), at(2)), vec![]);
}

#[test]
fn unclean_off_leaves_the_group_without_master_and_fences_the_old_one() {
    let mut s = with_replicas(&config(), &[1, 2, 3]);
    for id in [1, 2, 3] {
        beat(&mut s, id, 1, 100, 5, at(1));
    }
    s.elect(&request(Some(1), false), at(1)).expect("first");
    beat(&mut s, 2, 1, 100, 5, at(11));
    beat(&mut s, 3, 1, 100, 5, at(11));
    let result = s.scan(at(12));
    assert_eq!(
        result.elections,
        vec![ElectionOutcome::NoCandidate {
            broker_name: G.into(),
            master_epoch: 2
        }]
    );
    assert_eq!(master_of(&s), (None, 2, set(&[1]), 1));
    // The stale master cannot change the set any more.
    let error = s
        .alter_sync_state_set(G, 1, 1, &set(&[1, 2]), 1, at(12))
        .expect_err("fenced");
    assert_eq!(error.code(), ResponseCode::CONTROLLER_FENCED_MASTER_EPOCH);
    // A broker asking is refused: 2 is not in the sync-state set.
    let error = s
        .elect(&request(Some(2), false), at(12))
        .expect_err("no clean candidate");
    assert_eq!(error.code(), ResponseCode::CONTROLLER_ELECT_MASTER_FAILED);
    assert_eq!(
        master_of(&s).1,
        2,
        "a refused broker request changes nothing"
    );
}

#[test]
fn unclean_on_falls_back_to_any_alive_replica() {
    let config = ControllerConfig {
        enable_elect_unclean_master: true,
        ..config()
    };
    let mut s = with_replicas(&config, &[1, 2, 3]);
    s.elect(&request(Some(1), false), at(0)).expect("first");
    beat(&mut s, 2, 1, 70, 5, at(11));
    beat(&mut s, 3, 1, 90, 5, at(11));
    let result = s.scan(at(12));
    assert!(
        matches!(result.elections.as_slice(), [ElectionOutcome::Elected(c)] if c.view.master.as_ref().map(|m| m.0) == Some(3))
    );
}

#[test]
fn ties_go_to_lower_priority_then_lower_id() {
    let mut s = three_in_sync();
    beat(&mut s, 2, 1, 150, 7, at(11));
    beat(&mut s, 3, 1, 150, 3, at(11));
    let result = s.scan(at(12));
    assert!(
        matches!(result.elections.as_slice(), [ElectionOutcome::Elected(c)] if c.view.master.as_ref().map(|m| m.0) == Some(3))
    );

    let mut s = three_in_sync();
    beat(&mut s, 2, 1, 150, 3, at(11));
    beat(&mut s, 3, 1, 150, 3, at(11));
    let result = s.scan(at(12));
    assert!(
        matches!(result.elections.as_slice(), [ElectionOutcome::Elected(c)] if c.view.master.as_ref().map(|m| m.0) == Some(2))
    );
}

#[test]
fn higher_epoch_beats_more_data() {
    let mut s = three_in_sync();
    beat(&mut s, 2, 2, 10, 5, at(11));
    beat(&mut s, 3, 1, 999, 5, at(11));
    let result = s.scan(at(12));
    assert!(
        matches!(result.elections.as_slice(), [ElectionOutcome::Elected(c)] if c.view.master.as_ref().map(|m| m.0) == Some(2))
    );
}

#[test]
fn designated_election_switches_to_an_in_sync_replica_or_fails() {
    let mut s = three_in_sync();
    let Election::Elected(change) = s.elect(&request(Some(3), true), at(2)).expect("switch") else {
        panic!("expected a switch");
    };
    assert_eq!(change.view.master_epoch, 2);
    assert_eq!(master_of(&s), (Some(3), 2, set(&[3]), 3));
    // 2 is no longer in sync: designating it fails.
    let error = s
        .elect(&request(Some(2), true), at(2))
        .expect_err("not in sync");
    assert_eq!(error.code(), ResponseCode::CONTROLLER_ELECT_MASTER_FAILED);
}

#[test]
fn sync_state_set_shrinks_and_expands_only_at_current_epochs() {
    let mut s = three_in_sync();
    let view = s
        .alter_sync_state_set(G, 1, 1, &set(&[1, 3]), 2, at(2))
        .expect("shrink");
    assert_eq!(
        (view.sync_state_set.clone(), view.sync_state_set_epoch),
        (set(&[1, 3]), 3)
    );
    let stale = s
        .alter_sync_state_set(G, 1, 1, &set(&[1]), 2, at(2))
        .expect_err("stale set epoch");
    assert_eq!(
        stale.code(),
        ResponseCode::CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH
    );
    let view = s
        .alter_sync_state_set(G, 1, 1, &set(&[1, 2, 3]), 3, at(2))
        .expect("expand");
    assert_eq!(view.sync_state_set_epoch, 4);
    assert_eq!(master_of(&s), (Some(1), 1, set(&[1, 2, 3]), 4));
}

#[test]
fn alter_refusals_each_have_their_code() {
    let mut s = three_in_sync();
    let cases: Vec<(BrokerId, i32, &[BrokerId], i32, ResponseCode)> = vec![
        (1, 0, &[1], 2, ResponseCode::CONTROLLER_FENCED_MASTER_EPOCH),
        (
            1,
            1,
            &[1],
            1,
            ResponseCode::CONTROLLER_FENCED_SYNC_STATE_SET_EPOCH,
        ),
        (2, 1, &[2], 2, ResponseCode::CONTROLLER_INVALID_MASTER),
        (
            1,
            1,
            &[1, 2, 3],
            2,
            ResponseCode::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
        ),
        (1, 1, &[1, 9], 2, ResponseCode::CONTROLLER_INVALID_REPLICAS),
        (
            1,
            1,
            &[2, 3],
            2,
            ResponseCode::CONTROLLER_ALTER_SYNC_STATE_SET_FAILED,
        ),
    ];
    for (master, epoch, ids, set_epoch, code) in cases {
        let error = s
            .alter_sync_state_set(G, master, epoch, &set(ids), set_epoch, at(2))
            .expect_err("refused");
        assert_eq!(
            error.code(),
            code,
            "{master} {epoch} {ids:?} {set_epoch}: {error}"
        );
    }
    let error = s
        .alter_sync_state_set(G, 1, 1, &set(&[1, 3]), 2, at(20))
        .expect_err("dead");
    assert_eq!(error.code(), ResponseCode::CONTROLLER_BROKER_NOT_ALIVE);
    let error = s
        .alter_sync_state_set("x", 1, 1, &set(&[1]), 2, at(2))
        .expect_err("no group");
    assert_eq!(
        error.code(),
        ResponseCode::CONTROLLER_BROKER_METADATA_NOT_EXIST
    );
    assert!(matches!(
        s.alter_sync_state_set(G, 1, 1, &set(&[2, 3]), 2, at(2)),
        Err(ControllerError::AlterFailed(AlterFailure::MasterMissing {
            master: 1
        }))
    ));
    assert!(!s.take_dirty(), "no refusal changes anything");
}

#[test]
fn restart_keeps_epochs_and_waits_one_timeout_before_judging_masters() {
    let mut s = three_in_sync();
    s.elect(&request(Some(3), true), at(2)).expect("switch");
    let bytes = Snapshot::of(s.groups()).encode();
    let groups = Snapshot::decode(&bytes, &ControllerLimits::default())
        .expect("decode")
        .groups;
    let mut restarted = ControllerState::new(&config(), groups, at(100));
    assert_eq!(master_of(&restarted), (Some(3), 2, set(&[3]), 3));
    beat(&mut restarted, 1, 1, 100, 5, at(101));
    assert_eq!(
        restarted.scan(at(105)).elections,
        vec![],
        "grace: 3 may not have beaten yet"
    );
    let asked = restarted
        .elect(&request(Some(1), false), at(105))
        .expect("kept");
    assert!(
        matches!(asked, Election::Kept(_)),
        "a broker's request cannot depose it either"
    );
    beat(&mut restarted, 1, 1, 100, 5, at(109));
    let result = restarted.scan(at(111));
    // 3 never came back, 1 is alive but not in the sync-state set: no master, epoch 3.
    assert_eq!(
        result.elections,
        vec![ElectionOutcome::NoCandidate {
            broker_name: G.into(),
            master_epoch: 3
        }]
    );
}

#[test]
fn broker_ids_are_applied_once_per_check_code() {
    let mut s = with_replicas(&config(), &[]);
    assert_eq!(s.next_broker_id(G), 1);
    s.apply_broker_id("c", G, 1, "a:1;5").expect("first");
    s.apply_broker_id("c", G, 1, "a:1;5")
        .expect("same broker again");
    let taken = s.apply_broker_id("c", G, 1, "b:1;6").expect_err("taken");
    assert_eq!(taken.code(), ResponseCode::CONTROLLER_BROKER_ID_INVALID);
    let zero = s.apply_broker_id("c", G, 0, "b:1;6").expect_err("zero");
    assert_eq!(zero.code(), ResponseCode::CONTROLLER_BROKER_ID_INVALID);
    s.apply_broker_id("c", G, 4, "d:1;7").expect("gap is fine");
    assert_eq!(s.next_broker_id(G), 5);
    assert_eq!(s.group(G).and_then(|g| g.address(4)), Some("d:1"));
    let empty = s.apply_broker_id("c", "", 1, "x").expect_err("empty name");
    assert_eq!(empty.code(), ResponseCode::CONTROLLER_INVALID_REQUEST);
}

#[test]
fn limits_refuse_instead_of_growing() {
    let config = ControllerConfig {
        limits: ControllerLimits {
            groups_max: 1,
            replicas_per_group_max: 2,
            live_brokers_max: 2,
            name_bytes_max: 16,
            names_per_query_max: 1,
        },
        ..config()
    };
    let mut s = with_replicas(&config, &[1, 2]);
    let error = s.apply_broker_id("c", G, 3, "x;1").expect_err("replicas");
    assert_eq!(error.code(), ResponseCode::SYSTEM_BUSY);
    let error = s
        .apply_broker_id("c", "other", 1, "x;1")
        .expect_err("groups");
    assert_eq!(error.code(), ResponseCode::SYSTEM_BUSY);
    assert!(s.group("other").is_none());
    let long = "x".repeat(17);
    let error = s.apply_broker_id("c", G, 2, &long).expect_err("long");
    assert_eq!(error.code(), ResponseCode::CONTROLLER_INVALID_REQUEST);
    beat(&mut s, 1, 0, 0, 0, at(0));
    beat(&mut s, 2, 0, 0, 0, at(0));
    let mut third = Heartbeat {
        cluster_name: "c".into(),
        broker_name: G.into(),
        broker_addr: addr(3),
        broker_id: 3,
        timeout: None,
        stats: BrokerStats::default(),
        conn: None,
    };
    assert_eq!(
        s.heartbeat(third.clone(), at(0)).expect_err("live").code(),
        ResponseCode::SYSTEM_BUSY
    );
    third.broker_id = 1;
    s.heartbeat(third, at(1))
        .expect("a known broker may always beat");
    let names = vec![G.to_string(), "x".to_string()];
    assert_eq!(
        s.sync_state_data(&names, at(1)).expect_err("names").code(),
        ResponseCode::SYSTEM_BUSY
    );
}

#[test]
fn register_records_the_address_and_says_whether_the_master_lives() {
    let mut s = three_in_sync();
    let (view, alive) = s.register(G, 2, "10.9.9.9:1", at(2)).expect("register");
    assert!(alive);
    assert_eq!(view.members.get(&2).map(String::as_str), Some("10.9.9.9:1"));
    assert!(s.take_dirty());
    let (_, alive) = s.register(G, 2, "10.9.9.9:1", at(30)).expect("register");
    assert!(!alive, "the master's heartbeat is too old");
    assert!(!s.take_dirty());
    let error = s.register(G, 7, "x:1", at(2)).expect_err("unknown id");
    assert_eq!(
        error.code(),
        ResponseCode::CONTROLLER_BROKER_NEED_TO_BE_REGISTERED
    );
}

#[test]
fn heartbeats_never_move_stats_backwards() {
    let mut s = three_in_sync();
    beat(&mut s, 2, 1, 500, 5, at(2));
    beat(&mut s, 2, 1, 400, 1, at(3));
    let info = s.liveness().get(G, 2).expect("alive");
    assert_eq!(
        (info.stats.max_offset, info.stats.election_priority),
        (500, 1)
    );
    assert_eq!(info.last_heartbeat, at(3));
}

#[test]
fn sync_state_data_lists_in_and_out_of_sync_replicas() {
    let mut s = three_in_sync();
    s.alter_sync_state_set(G, 1, 1, &set(&[1, 2]), 2, at(2))
        .expect("shrink");
    let data = s
        .sync_state_data(&[G.to_string(), "unknown".to_string()], at(2))
        .expect("data");
    let info = &data.replicas_info_table[G];
    let ids = |list: &[crate::protocol::body::controller::ReplicaIdentity]| -> Vec<BrokerId> {
        list.iter().map(|r| r.broker_id).collect()
    };
    assert_eq!(ids(&info.in_sync_replicas), [1, 2]);
    assert_eq!(ids(&info.not_in_sync_replicas), [3]);
    assert_eq!(
        (
            info.master_broker_id,
            info.master_epoch,
            info.sync_state_set_epoch
        ),
        (Some(1), 1, 3)
    );
    assert!(info.in_sync_replicas.iter().all(|r| r.alive));
    assert_eq!(data.replicas_info_table.len(), 1);
}
