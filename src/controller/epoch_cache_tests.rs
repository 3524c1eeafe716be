//! The truncation rule against hand-made histories and against a model: logs built byte by
//! byte from epochs, where the true agreement point is known.

use super::*;
use proptest::prelude::*;

fn cache(entries: &[(i32, i64)]) -> EpochCache {
    let entries: Vec<EpochEntry> = entries
        .iter()
        .map(|(epoch, start_offset)| EpochEntry {
            epoch: *epoch,
            start_offset: *start_offset,
        })
        .collect();
    EpochCache::from_entries(&entries).expect("valid history")
}

#[test]
fn identical_histories_keep_everything_the_slave_has() {
    let h = cache(&[(1, 0), (2, 100)]);
    assert_eq!(consistent_point(&h, 250, &h, 300), Some((2, 250)));
    let t = truncation(&h, 250, &h, 300).expect("common");
    assert_eq!((t.keep_until, t.bytes_dropped), (250, 0));
}

#[test]
fn old_master_unreplicated_tail_in_its_epoch_is_dropped() {
    // The old master wrote epoch 1 up to 150; only 100 reached the new master, whose epoch 2
    // starts at 100.
    let old = cache(&[(1, 0)]);
    let new = cache(&[(1, 0), (2, 100)]);
    let t = truncation(&old, 150, &new, 300).expect("common");
    assert_eq!(
        (t.keep_until, t.bytes_dropped, t.common_epoch),
        (100, 50, 1)
    );
}

#[test]
fn an_epoch_the_master_never_saw_is_dropped_whole() {
    // The slave was master of epoch 2 (from 100 to 200) and nothing of it was replicated; the
    // current master's epoch 3 starts at 100.
    let slave = cache(&[(1, 0), (2, 100)]);
    let master = cache(&[(1, 0), (3, 100)]);
    let t = truncation(&slave, 200, &master, 400).expect("common");
    assert_eq!(
        (t.keep_until, t.bytes_dropped, t.common_epoch),
        (100, 100, 1)
    );
}

#[test]
fn same_epoch_with_another_start_is_not_common() {
    let slave = cache(&[(1, 0), (2, 50)]);
    let master = cache(&[(1, 0), (2, 100)]);
    assert_eq!(consistent_point(&slave, 80, &master, 300), Some((1, 50)));
}

#[test]
fn slave_behind_the_master_truncates_nothing() {
    let slave = cache(&[(1, 0)]);
    let master = cache(&[(1, 0), (2, 200)]);
    let t = truncation(&slave, 100, &master, 300).expect("common");
    assert_eq!((t.keep_until, t.bytes_dropped), (100, 0));
}

#[test]
fn empty_epochs_share_a_start() {
    let slave = cache(&[(1, 0), (2, 100)]);
    let master = cache(&[(1, 0), (2, 100), (3, 100)]);
    assert_eq!(consistent_point(&slave, 100, &master, 300), Some((2, 100)));
}

#[test]
fn no_common_history_gives_none() {
    assert_eq!(
        consistent_point(&cache(&[(5, 0)]), 10, &cache(&[(1, 0)]), 10),
        None
    );
    assert_eq!(
        consistent_point(&EpochCache::new(), 0, &cache(&[(1, 0)]), 10),
        None
    );
    assert_eq!(
        truncation(&cache(&[(1, 0)]), 10, &EpochCache::new(), 0),
        None
    );
}

#[test]
fn appends_keep_the_invariants() {
    let mut h = cache(&[(1, 0)]);
    assert_eq!(
        h.append(EpochEntry {
            epoch: 1,
            start_offset: 10
        }),
        Err(EpochCacheError::EpochNotIncreasing { last: 1, epoch: 1 })
    );
    assert!(matches!(
        h.append(EpochEntry {
            epoch: 2,
            start_offset: -1
        }),
        Err(EpochCacheError::NegativeStart { .. })
    ));
    h.append(EpochEntry {
        epoch: 3,
        start_offset: 10,
    })
    .expect("later epoch");
    assert!(matches!(
        h.append(EpochEntry {
            epoch: 4,
            start_offset: 9
        }),
        Err(EpochCacheError::StartGoesBack { .. })
    ));
    h.append(EpochEntry {
        epoch: 4,
        start_offset: 10,
    })
    .expect("empty epoch 3");
    assert_eq!(h.last_epoch(), 4);
    assert_eq!(EpochCache::new().last_epoch(), -1);
}

#[test]
fn lookups_and_truncations() {
    let mut h = cache(&[(1, 0), (2, 100), (4, 300)]);
    assert_eq!(h.end_of(1, 999), Some(100));
    assert_eq!(h.end_of(4, 999), Some(999));
    assert_eq!(h.end_of(3, 999), None);
    assert_eq!(h.find_by_offset(150, 999).map(|e| e.epoch), Some(2));
    assert_eq!(h.find_by_offset(999, 999), None);
    assert_eq!(h.next_after(2).map(|e| e.epoch), Some(4));
    assert_eq!(h.next_after(4), None);
    h.truncate_prefix_to_offset(150);
    assert_eq!(h.entries().first().map(|e| e.epoch), Some(2));
    h.truncate_suffix_from_offset(300);
    assert_eq!(h.last_epoch(), 2);
    h.truncate_suffix_from_epoch(2);
    assert!(h.is_empty());
}

#[test]
fn wire_round_trip_and_bad_bodies() {
    let h = cache(&[(1, 0), (7, 1 << 40)]);
    let bytes = h.encode_wire();
    assert_eq!(bytes.len(), 24);
    assert_eq!(&bytes[12..16], &7i32.to_be_bytes());
    assert_eq!(EpochCache::decode_wire(&bytes), Ok(h));
    assert_eq!(
        EpochCache::decode_wire(&[0; 13]),
        Err(EpochCacheError::WireLength { len: 13 })
    );
    let mut backwards = cache(&[(2, 0)]).encode_wire();
    backwards.extend(cache(&[(1, 0)]).encode_wire());
    assert!(EpochCache::decode_wire(&backwards).is_err());
}

/// A log as one epoch tag per offset, and its history.
fn history_of(log: &[i32]) -> EpochCache {
    let mut h = EpochCache::new();
    for (offset, epoch) in log.iter().enumerate() {
        if h.last_epoch() != *epoch {
            h.append(EpochEntry {
                epoch: *epoch,
                start_offset: offset as i64,
            })
            .expect("epochs increase along a log");
        }
    }
    h
}

proptest! {
    /// A shared prefix; then the last shared epoch's master wrote `c` more bytes of which the
    /// slave has `a` and the master `b`; then each side wrote epochs of its own (odd on the
    /// slave, even on the master: different masters never share an epoch). The logs agree on
    /// exactly `prefix + min(a, b)` bytes, and the rule must find exactly that.
    #[test]
    fn rule_finds_where_logs_stop_agreeing(
        prefix in proptest::collection::vec(1usize..20, 1..5),
        c in 0usize..30,
        a_frac in 0usize..=100,
        b_frac in 0usize..=100,
        slave_tail in proptest::collection::vec(1usize..20, 0..4),
        master_tail in proptest::collection::vec(1usize..20, 0..4),
    ) {
        let mut shared = Vec::new();
        for (i, len) in prefix.iter().enumerate() {
            shared.extend(std::iter::repeat_n(i as i32 + 1, *len));
        }
        let last = prefix.len() as i32;
        let (a, b) = (c * a_frac / 100, c * b_frac / 100);
        let mut slave = shared.clone();
        slave.extend(std::iter::repeat_n(last, a));
        let mut master = shared.clone();
        master.extend(std::iter::repeat_n(last, b));
        for (i, len) in slave_tail.iter().enumerate() {
            slave.extend(std::iter::repeat_n(last + 1 + 2 * i as i32, *len));
        }
        for (i, len) in master_tail.iter().enumerate() {
            master.extend(std::iter::repeat_n(last + 2 + 2 * i as i32, *len));
        }
        let agree = slave.iter().zip(&master).take_while(|(x, y)| x == y).count() as i64;
        let point = consistent_point(
            &history_of(&slave), slave.len() as i64,
            &history_of(&master), master.len() as i64,
        ).map(|(_, p)| p);
        prop_assert_eq!(point, Some(agree));
    }
}
